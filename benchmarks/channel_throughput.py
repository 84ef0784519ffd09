"""SIENA send-and-deliver throughput with the durable journal, against a bare aiohttp + pydantic endpoint.

Every server runs as its own process on loopback; all are measured in the same run, on the same
machine, by the same load generator, in alternating rounds (best round kept), at several
concurrencies (sends in flight: 32, 64, 128 and 256 by default):

* *bare*: an aiohttp endpoint that validates the same `SienaSendRequest` with pydantic and echoes
  it: no auth, no journal, no delivery. The ceiling for "HTTP + validation" here. It runs on the
  event loop `spoc-harness serve` runs on (`simulators.runtime.event_loop`: uvloop where installed,
  `SPOC_HARNESS_EVENT_LOOP=asyncio` for asyncio's own), so that the ratio compares like with like.
* *send + pull*: `spoc-harness serve --channels siena` (system clock, journal with
  synchronous=FULL). Each send is journaled with its delivery before the 201; the recipient pulls
  its mailbox and acknowledges in batches while the senders run. The figure counts a message once
  it is acknowledged by its recipient: send-and-deliver, not send alone. This is the headline ratio.
* *send + push*: the same, delivered by push to the recipient's webhook (a receiver process),
  one push at a time per recipient to keep its order.

The load generator (`--load-generator`):

* *wrk* (the reference; taken when it is on PATH): the C load generator sends for `--seconds` per
  measurement and reports the 201s and the latency percentiles; any other answer or a socket error
  fails the run. The figure for send + pull is the 201s over the time until the recipient (this
  process) has acknowledged every one of them. wrk needs a few microseconds of CPU per request, so
  each server reaches its own limit: the bare endpoint keeps a whole core busy.
* *python*: an aiohttp client in this process sends `--messages` per measurement. It needs more CPU
  per request than the bare endpoint itself; on a 2-core machine it then sets the bare endpoint's
  figure (measured: the bare endpoint at 77% of a core, the generator at a whole one), which makes
  the ratio a measure of the generator as much as of the servers. Kept for machines without wrk.

Sustained throughput is each set-up's peak over the concurrencies: the headline ratio is SIENA
send+pull's peak against the bare endpoint's peak, each at its own best concurrency (a journal with
group commit needs more sends in flight than a bare endpoint to keep the cores busy). The ratio at
each same concurrency is printed too.

Then the pull network keeps going until `--memory-messages` messages are journaled and delivered,
and the growth of the resident memory of the server and its journal writer process since the
warm-up is printed (the measurements count towards it).
Targets: ratio >= 0.6, memory growth < 50 MB.

Beside each figure: the CPU time per message of the server (its journal writer process included),
how many cores' worth of CPU the server used, and the CPU of the load generator (wrk and the
pulling recipient, or this process). On a machine shared with other work, msg/s moves with the load
(the load average is printed); CPU per message is the steadier measure of the server itself. "Cores
busy" is the share of all the machine's cores the server and the load generator used together.

    python benchmarks/channel_throughput.py                                   # full run
    python benchmarks/channel_throughput.py --seconds 1 --memory-messages 5000 --rounds 1   # quick
    python benchmarks/channel_throughput.py --load-generator python           # without wrk
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import psutil

BODY: dict[str, Any] = {
    "sender": "SPOC-DE", "to": ["SPOC-AT"], "cc": [], "subject": "Registered keeper of a vehicle",
    "body": "Please provide the registered keeper of the vehicle with plate W-12345X. " * 4, "language": "en",
    "urgency": "NON_URGENT", "crime_areas": ["MOTOR_VEHICLE_CRIME"], "handling_codes": ["H0"],
    "security_level": "BPL", "europol_involved": False, "processing_purposes": ["FACILITATE_EXCHANGE"],
}
TARGET_RATIO = 0.6
TARGET_GROWTH_MB = 50.0


# -- the processes ---------------------------------------------------------------------------------

def bare_server(port: int) -> None:
    """The comparison endpoint: aiohttp + pydantic validation + JSON answer, nothing else."""
    # Runs as a process of its own: the server's imports stay out of the measuring process.
    from aiohttp import web

    from simulators.model.siena import SienaSendRequest

    async def send(request: web.Request) -> web.Response:
        message = SienaSendRequest.model_validate_json(await request.read())
        return web.Response(status=201, text=message.model_dump_json(), content_type="application/json")

    app = web.Application()
    app.router.add_post("/siena/messages", send)
    _run(app, port)


def receiver_server(port: int) -> None:
    """A webhook that acknowledges every push and counts distinct deliveries (GET /count)."""
    # Runs as a process of its own: the server's imports stay out of the measuring process.
    from aiohttp import web

    seen: set[str] = set()

    async def push(request: web.Request) -> web.Response:
        await request.read()
        seen.add(request.headers["X-Delivery-Id"])
        return web.Response(status=204)

    async def count(request: web.Request) -> web.Response:
        return web.json_response({"delivered": len(seen)})

    app = web.Application()
    app.router.add_post("/hook", push)
    app.router.add_get("/count", count)
    _run(app, port)


def _run(app: Any, port: int) -> None:
    """Serve `app` on loopback; say so only once the port is bound."""
    # Runs as a process of its own: the server's imports stay out of the measuring process.
    from aiohttp import web

    from simulators.runtime.event_loop import run

    async def serve() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print(f"serving on http://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    # On the event loop `spoc-harness serve` runs on (uvloop where installed): like for like.
    with contextlib.suppress(KeyboardInterrupt):
        run(serve())


def start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"serving on (\S+)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return process, match.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- the load --------------------------------------------------------------------------------------

async def blast(url: str, headers: dict[str, str], count: int, concurrency: int) -> list[float]:
    """Send `count` messages with `concurrency` in flight; each send's latency in seconds."""
    payload = json.dumps(BODY).encode()
    sent_headers = {"Content-Type": "application/json", **headers}
    latencies: list[float] = []
    remaining = iter(range(count))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            for _ in remaining:
                started = time.perf_counter()
                async with http.post(url + "/siena/messages", data=payload, headers=sent_headers) as answer:
                    await answer.read()
                    if answer.status != 201:
                        raise RuntimeError(f"send failed: {answer.status} {await answer.text()}")
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


@dataclass
class Burst:
    """One measurement's load: messages counted, the seconds they took, send latency percentiles."""

    count: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @classmethod
    def of(cls, count: int, seconds: float, latencies: list[float]) -> Burst:
        return cls(count, seconds, statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000)


_WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


class Wrk:
    """wrk (a load generator in C) sending `BODY` as fast as `concurrency` connections allow.

    On a machine of 2 cores the load generator shares the cores with the servers. The Python load
    generator costs more CPU per request than the bare endpoint itself, so it, not the endpoint, sets
    the bare endpoint's figure; wrk costs a fraction of that and lets each server reach its own limit.
    """

    def __init__(self, executable: str, folder: Path) -> None:
        self.executable = executable
        self._folder = folder
        self._scripts = 0

    def _script(self, headers: dict[str, str]) -> Path:
        lines = ['wrk.method = "POST"', f"wrk.body = [==[{json.dumps(BODY)}]==]",
                 'wrk.headers["Content-Type"] = "application/json"']
        lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()]
        self._scripts += 1
        script = self._folder / f"send-{self._scripts}.lua"
        script.write_text("\n".join(lines) + "\n")
        return script

    async def run(self, url: str, headers: dict[str, str], seconds: int, concurrency: int) -> Burst:
        """Send for `seconds`; every answer must be a 201 (anything else fails the measurement)."""
        command = [self.executable, "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "30s", "--latency",
                   "-s", str(self._script(headers)), url + "/siena/messages"]
        process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = (text.decode() for text in await process.communicate())
        return parse_wrk(out, err, process.returncode)


def parse_wrk(out: str, err: str, returncode: int | None) -> Burst:
    """A `Burst` from wrk's report (run with --latency); RuntimeError for any failed or refused send."""
    done = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)\b", out, re.MULTILINE)
    if returncode != 0 or done is None:
        raise RuntimeError(f"wrk failed (exit {returncode}): {(err or out).strip()[-500:]}")
    problems = [line.strip() for line in out.splitlines()
                if line.strip().startswith(("Non-2xx", "Socket errors"))]
    if problems:
        raise RuntimeError("sends failed during the measurement: " + "; ".join(problems))
    percentiles = {int(share): float(value) * _WRK_UNITS[unit] for share, value, unit in
                   re.findall(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)}
    if set(percentiles) != {50, 99}:
        raise RuntimeError(f"no latency distribution in wrk's report: {out.strip()[-500:]}")
    seconds = float(done.group(2)) * _WRK_UNITS[done.group(3)] / 1000
    return Burst(int(done.group(1)), seconds, percentiles[50], percentiles[99])


async def delivered(receiver_url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(receiver_url + "/count") as answer:
        return int((await answer.json())["delivered"])


async def settled(receiver_url: str, quiet: float = 0.3) -> int:
    """The receiver's count once it has not moved for `quiet` seconds."""
    count, since = await delivered(receiver_url), time.perf_counter()
    while time.perf_counter() - since < quiet:
        await asyncio.sleep(0.02)
        now = await delivered(receiver_url)
        if now != count:
            count, since = now, time.perf_counter()
    return count


async def wait_delivered(receiver_url: str, total: int, within: float = 600.0) -> None:
    deadline = time.monotonic() + within
    while await delivered(receiver_url) < total:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {await delivered(receiver_url)} of {total} deliveries arrived")
        await asyncio.sleep(0.01)


class Recipient:
    """The recipient's CMS: pulls its mailbox and acknowledges each page, counting what it acknowledged."""

    def __init__(self, url: str, token: str) -> None:
        self._url, self._auth = url, {"Authorization": f"Bearer {token}"}
        self.acked = 0
        self.target: int | None = None  # stop once this many are acknowledged (None: not known yet)
        self.reached_at = 0.0  # perf_counter() when `target` was reached

    async def _take_page(self, http: aiohttp.ClientSession) -> int:
        """Pull one page and acknowledge it; how many deliveries it held."""
        async with http.get(self._url + "/siena/mailbox?limit=1000", headers=self._auth) as answer:
            ids = [d["delivery_id"] for d in orjson.loads(await answer.read())["deliveries"]]
        if ids:
            async with http.post(self._url + "/siena/mailbox/ack", data=orjson.dumps({"delivery_ids": ids}),
                                 headers={**self._auth, "Content-Type": "application/json"}) as answer:
                assert answer.status == 200, await answer.text()
        return len(ids)

    async def consume(self) -> None:
        async with aiohttp.ClientSession() as http:
            while self.target is None or self.acked < self.target:
                taken = await self._take_page(http)
                if not taken:
                    await asyncio.sleep(0.005)
                self.acked += taken
        self.reached_at = time.perf_counter()

    async def drain(self, quiet: float = 0.3) -> int:
        """Acknowledge whatever else arrives until the mailbox stays empty for `quiet` seconds."""
        drained = 0
        async with aiohttp.ClientSession() as http:
            last = time.perf_counter()
            while time.perf_counter() - last < quiet:
                taken = await self._take_page(http)
                if not taken:
                    await asyncio.sleep(0.02)
                    continue
                drained += taken
                last = time.perf_counter()
        return drained


def resident(server: psutil.Process) -> int:
    """Resident memory of the server and of its processes (the journal writer), in bytes."""
    return sum(p.memory_info().rss for p in [server, *server.children(recursive=True)])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def figures(burst: Burst, cpu: CpuMeter) -> dict[str, float]:
    count, seconds = burst.count, burst.seconds
    used = cpu.per_message(count)
    # The share of the machine's cores the server and this load generator kept busy: rows with the
    # same share were limited alike, and then their CPU per message decides the ratio.
    busy = (used["server_cpu_us"] + used["client_cpu_us"]) * 1e-6 * count / seconds / (os.cpu_count() or 1)
    return {"messages": count, "seconds": seconds, "per_second": count / seconds,
            "p50_ms": burst.p50_ms, "p99_ms": burst.p99_ms, "cores_busy": busy,
            "server_cores": used["server_cpu_us"] * 1e-6 * count / seconds, **used}


def show(name: str, figure: dict[str, float], bare: dict[str, float] | None = None) -> None:
    ratio = f"  ratio {figure['per_second'] / bare['per_second']:.2f}" if bare else ""
    level = f"  at {figure['concurrency']:.0f}" if "concurrency" in figure else ""
    print(f"{name:>22}: {figure['per_second']:7.0f} msg/s{level}  p50 {figure['p50_ms']:6.2f} ms  "
          f"p99 {figure['p99_ms']:6.2f} ms{ratio}   CPU per message: server {figure['server_cpu_us']:4.0f} us "
          f"(on {figure['server_cores']:.2f} cores), "
          f"load generator {figure['client_cpu_us']:4.0f} us; cores busy {figure['cores_busy']:.0%}", flush=True)


class CpuMeter:
    """CPU time spent by the server process and by this load generator during one measurement.

    Throughput on a shared machine moves with whatever else runs; CPU time per message much less,
    so it is printed beside each figure to tell a slower server from a busier machine.
    """

    def __init__(self, server: subprocess.Popen[str]) -> None:
        self._server = psutil.Process(server.pid)
        self._start = self._now()

    def _now(self) -> tuple[float, float]:
        # The server's own CPU time and that of its processes (the journal writer), alive ones only:
        # a server's children live as long as it does.
        server = sum(p.cpu_times().user + p.cpu_times().system
                     for p in [self._server, *self._server.children(recursive=True)])
        # The load generator: this process, and wrk once it has ended (the servers, also children
        # of this process, are reaped only at the very end).
        ended = resource.getrusage(resource.RUSAGE_CHILDREN)
        return server, time.process_time() + ended.ru_utime + ended.ru_stime

    def per_message(self, count: int) -> dict[str, float]:
        (server_end, client_end), (server_start, client_start) = self._now(), self._start
        return {"server_cpu_us": (server_end - server_start) / count * 1e6,
                "client_cpu_us": (client_end - client_start) / count * 1e6}


class SienaServerProcess:
    """A `serve --channels siena` process; `push` registers the recipient's webhook at `hook`."""

    def __init__(self, data: str, hook: str | None) -> None:
        self.process, self.url = start([sys.executable, "-c", "from conformance.cli import main; main()", "serve",
                                        "--port", "0", "--data", data, "--channels", "siena"])
        credentials = json.loads((Path(data) / "credentials.json").read_text())
        self.control = {"Authorization": f"Bearer {credentials['control']}"}
        self.sender = {"Authorization": f"Bearer {credentials['parties']['SPOC-DE']}"}
        self.recipient = str(credentials["parties"]["SPOC-AT"])
        self.hook = hook
        self.sent = 0

    async def setup(self) -> None:
        if self.hook is not None:
            async with aiohttp.ClientSession() as http, http.put(
                self.url + "/siena/webhook", json={"url": self.hook + "/hook"},
                headers={"Authorization": f"Bearer {self.recipient}"},
            ) as answer:
                assert answer.status == 200, await answer.text()

    async def run(self, count: int, concurrency: int) -> Burst:
        """Send `count` messages from Python; the seconds until every one was delivered, the send latencies."""
        started = time.perf_counter()
        sending = blast(self.url, self.sender, count, concurrency)
        if self.hook is not None:
            latencies = await sending
            self.sent += count
            await wait_delivered(self.hook, self.sent)
        else:
            recipient = Recipient(self.url, self.recipient)
            recipient.target = count
            latencies, _ = await asyncio.gather(sending, recipient.consume())
            self.sent += count
        return Burst.of(count, time.perf_counter() - started, latencies)

    async def run_wrk(self, wrk: Wrk, seconds: int, concurrency: int) -> Burst:
        """Send with wrk for `seconds`: the 201s counted, and the seconds until every one was delivered.

        wrk stops on time with sends still in flight: those the server took are delivered too, and
        are drained before the next measurement, uncounted.
        """
        started = time.perf_counter()
        if self.hook is not None:
            burst = await wrk.run(self.url, self.sender, seconds, concurrency)
            await wait_delivered(self.hook, self.sent + burst.count)
            finished = time.perf_counter()
            self.sent = await settled(self.hook)
        else:
            recipient = Recipient(self.url, self.recipient)
            consuming = asyncio.create_task(recipient.consume())
            try:
                burst = await wrk.run(self.url, self.sender, seconds, concurrency)
            except BaseException:
                consuming.cancel()
                raise
            recipient.target = burst.count
            await consuming
            finished = recipient.reached_at
            await recipient.drain()
            self.sent += burst.count
        return Burst(burst.count, finished - started, burst.p50_ms, burst.p99_ms)

    async def verify(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.get(
            self.url + "/control/journal/verify", headers=self.control
        ) as answer:
            return dict(await answer.json())


# Long: the benchmark's rounds over every set-up and concurrency, interleaved
# so that each round compares set-ups under the same machine load.
async def measure(options: argparse.Namespace) -> dict[str, Any]:
    me = [sys.executable, __file__]
    levels: list[int] = options.concurrency
    results: dict[str, Any] = {"cpus": os.cpu_count(), "concurrency": levels,
                               "messages": options.messages, "rounds": options.rounds,
                               "load_average_before": os.getloadavg()[0]}
    # The best round of each set-up at each concurrency: best[level][name].
    best: dict[int, dict[str, dict[str, float]]] = {level: {} for level in levels}

    # Each round's peak of each set-up: per_round[round][name], msg/s.
    per_round: dict[int, dict[str, float]] = {}

    def keep(level: int, name: str, figure: dict[str, float]) -> None:
        figure["concurrency"] = level
        if name not in best[level] or figure["per_second"] > best[level][name]["per_second"]:
            best[level][name] = figure
        this_round = per_round.setdefault(round_number, {})
        this_round[name] = max(this_round.get(name, 0.0), figure["per_second"])

    wrk_path = None if options.load_generator == "python" else shutil.which("wrk")
    if options.load_generator == "wrk" and wrk_path is None:
        raise SystemExit("--load-generator wrk: no wrk on PATH (Debian/Ubuntu: apt-get install wrk)")
    if wrk_path is None:
        print("load generator: Python (aiohttp client) in this process. On a small machine it needs more CPU "
              "per request than the bare endpoint, so it limits the bare figure; install wrk for the "
              "reference measurement (Debian/Ubuntu: apt-get install wrk)", flush=True)
    else:
        print(f"load generator: wrk ({wrk_path}), {options.seconds:g} s per measurement; "
              "the recipient pulls and acknowledges from this process", flush=True)
    results["load_generator"] = "wrk" if wrk_path else "python"
    with tempfile.TemporaryDirectory(prefix="channel-bench-") as data:
        wrk = None if wrk_path is None else Wrk(wrk_path, Path(data) / "wrk")
        if wrk is not None:
            (Path(data) / "wrk").mkdir()
        bare, bare_url = start([*me, "--bare-server", str(free_port())])
        receiver, receiver_url = start([*me, "--receiver-server", str(free_port())])
        pull = SienaServerProcess(str(Path(data) / "pull"), None)
        push = SienaServerProcess(str(Path(data) / "push"), receiver_url)
        try:
            await push.setup()
            await blast(bare_url, {}, options.warmup, levels[0])
            for network in (pull, push):
                await network.run(options.warmup, levels[0])
            server = psutil.Process(pull.process.pid)
            rss_start = resident(server)
            # The growth after each burst of the pull network, measurements included: flat memory
            # grows early (buffers, caches, the largest concurrency's connections) and then stops.
            trail = [(pull.sent, 0.0)]
            # Rounds alternate the set-ups and the concurrencies, so that a burst of load from
            # elsewhere on the machine does not fall on one of them only; each one's best is kept.
            round_number = 0
            for round_number in range(1, options.rounds + 1):
                for level in levels:
                    print(f"round {round_number} of {options.rounds}, {level} sends in flight", flush=True)
                    cpu = CpuMeter(bare)
                    if wrk is not None:
                        burst = await wrk.run(bare_url, {}, options.seconds, level)
                    else:
                        started = time.perf_counter()
                        latencies = await blast(bare_url, {}, options.messages, level)
                        burst = Burst.of(options.messages, time.perf_counter() - started, latencies)
                    keep(level, "bare", figures(burst, cpu))
                    for name, network in (("pull", pull), ("push", push)):
                        cpu = CpuMeter(network.process)
                        if wrk is None:
                            burst = await network.run(options.messages, level)
                        else:
                            # Push delivers one message at a time per recipient, several times slower
                            # than wrk sends: a shorter burst keeps its wait for delivery short.
                            burst = await network.run_wrk(
                                wrk, options.seconds if network is pull else max(1, options.seconds // 5), level)
                        keep(level, name, figures(burst, cpu))
                        if network is pull:
                            trail.append((pull.sent, (resident(server) - rss_start) / 2**20))
            for level in levels:
                print(f"-- {level} sends in flight", flush=True)
                show("bare aiohttp+pydantic", best[level]["bare"])
                show("SIENA send+pull+ack", best[level]["pull"], best[level]["bare"])
                show("SIENA send+push", best[level]["push"], best[level]["bare"])
            # Sustained throughput is what a set-up keeps up at its best: each at the concurrency
            # that suits it (the journal's group commit needs more sends in flight than a bare
            # endpoint to keep the cores busy), peak against peak.
            peak = {name: max((best[level][name] for level in levels), key=lambda f: f["per_second"])
                    for name in ("bare", "pull", "push")}
            print("-- peak of each (its best concurrency)", flush=True)
            show("bare aiohttp+pydantic", peak["bare"])
            show("SIENA send+pull+ack", peak["pull"], peak["bare"])
            show("SIENA send+push", peak["push"], peak["bare"])
            results.update(peak)
            results["by_concurrency"] = {str(level): best[level] for level in levels}
            results["ratio"] = peak["pull"]["per_second"] / peak["bare"]["per_second"]
            results["ratio_push"] = peak["push"]["per_second"] / peak["bare"]["per_second"]
            results["ratio_same_concurrency"] = {
                str(level): best[level]["pull"]["per_second"] / best[level]["bare"]["per_second"] for level in levels}
            print(f"ratio (send + pull delivery, peak against peak): {results['ratio']:.2f}   "
                  f"target >= {TARGET_RATIO}  (at the same concurrency: "
                  + ", ".join(f"{r:.2f} at {lv}" for lv, r in results["ratio_same_concurrency"].items()) + ")",
                  flush=True)
            # The same within each round (the set-ups measured a minute apart at most): how much of
            # the figure is the machine's own drift from one minute to the next.
            results["ratio_by_round"] = [peaks["pull"] / peaks["bare"] for _, peaks in sorted(per_round.items())]
            print("ratio within each round: " + ", ".join(f"{r:.2f}" for r in results["ratio_by_round"]), flush=True)
            memory_level = int(peak["pull"]["concurrency"])
            while pull.sent < options.memory_messages:
                await pull.run(min(options.chunk, options.memory_messages - pull.sent), memory_level)
                trail.append((pull.sent, (resident(server) - rss_start) / 2**20))
            rss_end = resident(server)
            growth = (rss_end - rss_start) / 2**20
            middle = trail[0][0] + (pull.sent - trail[0][0]) / 2
            # The last point at or before the middle: the growth since covers at least the later half.
            halfway_sent, halfway_growth = [(sent, g) for sent, g in trail if sent <= middle][-1]
            journal_mb = sum(p.stat().st_size for p in (Path(data) / "pull").glob("journal*")) / 2**20
            results["memory"] = {"messages_journaled": pull.sent, "rss_growth_mb": growth, "rss_mb": rss_end / 2**20,
                                 "journal_mb": journal_mb, "growth_after_each_burst_mb": trail,
                                 "growth_over_last_messages_mb": growth - halfway_growth,
                                 "last_messages": pull.sent - halfway_sent}
            print(f"memory: +{growth:.1f} MB resident after {pull.sent} journaled and delivered messages "
                  f"(target < {TARGET_GROWTH_MB:.0f} MB), of which {growth - halfway_growth:+.1f} MB over the last "
                  f"{pull.sent - halfway_sent}; journal file {journal_mb:.0f} MB", flush=True)
            results["journal"] = await pull.verify()
            print(f"journal: {results['journal']['entries']} entries, hash chain ok={results['journal']['ok']}")
            results["load_average_after"] = os.getloadavg()[0]
            print(f"machine: {os.cpu_count()} CPUs, load average {results['load_average_before']:.1f} before, "
                  f"{results['load_average_after']:.1f} after (other work on the machine moves msg/s, "
                  "much less CPU per message)", flush=True)
        finally:
            for process in (pull.process, push.process, bare, receiver):
                stop(process)
    results["met"] = results["ratio"] >= TARGET_RATIO and results["memory"]["rss_growth_mb"] < TARGET_GROWTH_MB
    return results


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give 1 or more (wrk measures in whole seconds)")
    return value


def _levels(text: str) -> list[int]:
    try:
        levels = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None
    if not levels or levels[0] < 1:
        raise argparse.ArgumentTypeError("give one or more levels of 1 or more, e.g. 32,64,128")
    return levels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load-generator", choices=("auto", "wrk", "python"), default="auto",
                        help="what sends the load: wrk (a C load generator; the reference) or this Python "
                        "process; auto (default) takes wrk when it is on PATH")
    parser.add_argument("--seconds", type=_positive, default=3,
                        help="with wrk: seconds of sending per throughput measurement (push: a fifth of it)")
    parser.add_argument("--messages", type=int, default=20_000,
                        help="with the Python load generator: messages per throughput measurement")
    parser.add_argument("--warmup", type=int, default=1_000, help="messages sent to each server before measuring")
    parser.add_argument("--concurrency", type=_levels, default=[32, 64, 128, 256],
                        help="sends in flight, one or several comma-separated levels (default 32,64,128,256); "
                        "each set-up's peak over them is its sustained throughput")
    parser.add_argument("--memory-messages", type=int, default=200_000, help="messages journaled for the memory figure")
    parser.add_argument("--chunk", type=int, default=20_000, help="messages per load burst in the memory phase")
    parser.add_argument("--rounds", type=int, default=3, help="measurement rounds; the best of each is kept")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--receiver-server", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.bare_server is not None:
        return bare_server(options.bare_server)
    if options.receiver_server is not None:
        return receiver_server(options.receiver_server)
    options.memory_messages = max(options.memory_messages, options.warmup + options.messages * options.rounds)
    results = asyncio.run(measure(options))
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))
    if options.strict and not results["met"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
