"""CPU time per exchange of the reference CMS (and of the channel server), optionally with a profile.

Rates move with whatever else the machine runs; CPU seconds per exchange barely do. This benchmark
starts the channel server on the scaled clock and the reference CMS as real processes, sends a fixed
number of requests of the capacity benchmark's mix (urgent-direct and non-urgent: `load/traffic.py`,
with the load's fixtures) at a fixed offered rate from a lean asyncio client in this process (no
locust: the generator's own cost stays out of the figure), reads and acknowledges the requesters'
mailboxes until every request has its final answer, and prints, per process, the CPU milliseconds per
exchange between the first send and the last answer. With `--profile FILE` the CMS runs under cProfile
and the heaviest functions (cumulative and own time) are printed; a profile inflates the CPU figure,
so measure without it.

It measures twice in the same run, on fresh processes each time: the baseline, a CMS reading the network
clock for every push it receives (`cms --receipt-time-from clock`), then the CMS as it runs, taking the
receipt time from the push's `X-Network-Time` header (`push`), and prints the ratio of their CPU per
exchange (below 1: the header is cheaper), for the CMS and for the channel server (which answers the
clock reads). `--rounds N` alternates the two N times and compares the sums.

With `--against TREE` (another checkout of this project, e.g. `git archive main | tar -x -C /tmp/base`) the
baseline is instead that checkout's CMS, taking its receipt time from the push too: an A/B of a change to the
CMS in one run, on the same channel server code, alternating the two so that both see the same machine.

    python benchmarks/cms_cpu.py                              # 1500 exchanges at 100/s, each way
    python benchmarks/cms_cpu.py --exchanges 600 --profile /tmp/cms.prof
    python benchmarks/cms_cpu.py --against /tmp/base --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.campaign.processes import _Managed
from load.network import ChannelServer, free_port
from load.traffic import CLASSES, FINAL_KINDS, TrafficGenerator, fixture_records, foreign_states

_STATE = "AT"
_MIX = (("urgent-direct", 1), ("non-urgent", 2))


class ProfiledCms(_Managed):
    """`spoc-harness cms`, under cProfile when `profile` is set (written when it stops on SIGTERM)."""

    name = "reference CMS"

    def __init__(self, data_dir: Path, *, channels_url: str, credentials: Path, port: int,
                 profile: Path | None, receipt_time_from: str = "push", tree: Path | None = None) -> None:
        entry = "from conformance.cli import main; main()"
        if profile is not None:
            # CPU time, not wall time: on a shared machine a wall-clock profile charges each function with the
            # time the process waited for a core.
            entry = ("import cProfile, time; from conformance.cli import main\n"
                     "profiler = cProfile.Profile(time.process_time)\n"
                     "try:\n    profiler.runcall(main)\nexcept SystemExit:\n    pass\n"
                     f"profiler.dump_stats({str(profile)!r})")
        if tree is not None:
            # Ahead of this checkout (`-c` puts the working directory first, the editable install after it).
            entry = f"import sys; sys.path.insert(0, {str(tree)!r})\n" + entry
        args = [sys.executable, "-c", entry, "cms", "--state", _STATE, "--channels", channels_url,
                "--credentials", str(credentials), "--port", str(port), "--data", str(data_dir),
                "--follow-network-clock", "--receipt-time-from", receipt_time_from]
        super().__init__(args, data_dir.parent / "cms.log")

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid


def _cpu(pids: list[int]) -> float:
    """CPU seconds of these processes and their children (the channel server's journal writer)."""
    total = 0.0
    for pid in pids:
        process = psutil.Process(pid)
        for each in (process, *process.children(recursive=True)):
            times = each.cpu_times()
            total += times.user + times.system
    return total


# Long: one benchmark round from the first send to the last answer, timed as one; split, its timing would
# be spread over several functions.
async def _drive(channels: str, sut: str, tokens: dict[str, str], exchanges: int, rate: float,
                 wait_seconds: float) -> dict[str, Any]:
    senders = [f"SPOC-{s}" for s in foreign_states(_STATE)]
    generators = {p: TrafficGenerator(sut_state=_STATE, sender_state=p.split("-")[1], seed=1, user_key=f"cpu:{p}")
                  for p in senders}
    classes = [CLASSES[name] for name, weight in _MIX for _ in range(weight)]
    bodies = []
    for n in range(exchanges):
        party = senders[n % len(senders)]
        body, reference = generators[party].siena_request(classes[n % len(classes)], party)
        bodies.append((party, body, reference))
    pending: dict[str, float] = {}
    answered: dict[str, float] = {}
    done = asyncio.Event()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        async with http.put(f"{sut}/sut/v1/fixtures", json={"records": fixture_records(_STATE, 1)}) as answer:
            answer.raise_for_status()

        async def send(party: str, body: dict[str, Any], reference: str) -> None:
            headers = {"Authorization": f"Bearer {tokens[party]}", "Idempotency-Key": f"cpu:{reference}"}
            began = time.monotonic()
            async with http.post(f"{channels}/siena/messages", json=body, headers=headers) as answer:
                if answer.status != 201:
                    raise RuntimeError(f"send: {answer.status} {await answer.text()}")
                pending[str((await answer.json())["message_id"])] = began

        async def read(party: str) -> None:
            headers = {"Authorization": f"Bearer {tokens[party]}"}
            while not done.is_set():
                async with http.get(f"{channels}/siena/mailbox", params={"after": "0", "limit": "500"},
                                    headers=headers) as answer:
                    page = await answer.json()
                ids = []
                for delivery in page["deliveries"]:
                    ids.append(delivery["delivery_id"])
                    message = delivery["message"]
                    if (message.get("directive") or {}).get("kind") in FINAL_KINDS:
                        answered.setdefault(str(message.get("in_reply_to")), time.monotonic())
                if ids:
                    async with http.post(f"{channels}/siena/mailbox/ack", headers=headers,
                                         json={"delivery_ids": ids, "status": "READ"}) as answer:
                        answer.raise_for_status()
                if len(answered) >= exchanges:
                    done.set()
                await asyncio.sleep(0.25)

        readers = [asyncio.create_task(read(p)) for p in senders]
        began = time.monotonic()
        sends = []
        for n, (party, body, reference) in enumerate(bodies):
            await asyncio.sleep(max(0.0, began + n / rate - time.monotonic()))
            sends.append(asyncio.create_task(send(party, body, reference)))
        await asyncio.gather(*sends)
        offered = exchanges / (time.monotonic() - began)
        try:
            await asyncio.wait_for(done.wait(), wait_seconds)
        except TimeoutError:
            done.set()
        await asyncio.gather(*readers)
    latencies = sorted(answered[m] - pending[m] for m in pending if m in answered)
    return {"offered_per_second": round(offered, 1), "answered": len(latencies),
            "answer_wall_seconds_p50": round(latencies[len(latencies) // 2], 2) if latencies else None,
            "answer_wall_seconds_max": round(latencies[-1], 2) if latencies else None,
            "last_answer_after_seconds": round(max(answered.values()) - began, 2) if answered else None}


def _measure(options: argparse.Namespace, receipt_time_from: str, profile: Path | None,
             tree: Path | None = None) -> dict[str, Any]:
    """One round on fresh processes (the CMS of `tree` if given): the figures of `_drive` and the CPU seconds of
    each process."""
    with tempfile.TemporaryDirectory(prefix="cms-cpu-") as tmp:
        work = Path(tmp)
        server = ChannelServer(work / "channels", speed=options.speed, port=free_port())
        server.start()
        cms = ProfiledCms(work / "cms", channels_url=server.url, credentials=server.credentials, port=free_port(),
                          profile=profile, receipt_time_from=receipt_time_from, tree=tree)
        try:
            cms.start()
            assert server._process is not None
            tokens = json.loads(server.credentials.read_text(encoding="utf-8"))["parties"]
            cpu_before = {"reference CMS": _cpu([cms.pid]), "channel server": _cpu([server._process.pid])}
            own_before = time.process_time()
            wall = time.monotonic()
            result = asyncio.run(_drive(server.url, cms.url, tokens, options.exchanges, options.rate,
                                        options.timeout))
            wall = time.monotonic() - wall
            cpu = {"reference CMS": _cpu([cms.pid]) - cpu_before["reference CMS"],
                   "channel server": _cpu([server._process.pid]) - cpu_before["channel server"],
                   "generator (this process)": time.process_time() - own_before}
        finally:
            cms.stop(timeout=60)
            server.stop()
    return {**result, "wall_seconds": wall, "cpu_seconds": cpu}


def _figures(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    answered = max(1, sum(int(r["answered"]) for r in rounds))
    wall = sum(float(r["wall_seconds"]) for r in rounds)
    cpu = {k: sum(float(r["cpu_seconds"][k]) for r in rounds) for k in rounds[0]["cpu_seconds"]}
    last = rounds[-1]
    return {"answered": answered, "offered_per_second": last["offered_per_second"],
            "answer_wall_seconds_p50": last["answer_wall_seconds_p50"],
            "answer_wall_seconds_max": last["answer_wall_seconds_max"], "wall_seconds": round(wall, 1),
            "cpu_ms_per_exchange": {k: round(1000 * v / answered, 2) for k, v in cpu.items()},
            "cpu_share_of_a_core": {k: round(v / wall, 2) for k, v in cpu.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exchanges", type=int, default=1500)
    parser.add_argument("--rate", type=float, default=100.0, help="offered requests per wall second")
    parser.add_argument("--speed", type=float, default=600.0, help="network seconds per wall second")
    parser.add_argument("--timeout", type=float, default=120.0, help="wall seconds to wait for the last answer")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of each way, alternating")
    parser.add_argument("--profile", type=Path, help="run the CMS under cProfile (the header's rounds) to this file")
    parser.add_argument("--top", type=int, default=30, help="functions of the profile to print")
    parser.add_argument("--against", type=Path,
                        help="baseline: the CMS of this other checkout of the project (receipt time from the push)")
    options = parser.parse_args()
    load_before = os.getloadavg()[0]
    rounds: dict[str, list[dict[str, Any]]] = {"clock": [], "push": []}
    for _ in range(options.rounds):
        for way in ("clock", "push"):
            if way == "clock" and options.against is not None:
                rounds[way].append(_measure(options, "push", None, options.against.resolve()))
            else:
                rounds[way].append(_measure(options, way, options.profile if way == "push" else None))
    baseline, header = _figures(rounds["clock"]), _figures(rounds["push"])
    ratio = {k: round(header["cpu_ms_per_exchange"][k] / baseline["cpu_ms_per_exchange"][k], 3)
             for k in ("reference CMS", "channel server") if baseline["cpu_ms_per_exchange"][k]}
    if options.against is not None:
        names = (f"baseline: the CMS of {options.against}", "this checkout's CMS",
                 "cpu_per_exchange_ratio_this_to_baseline")
    else:
        names = ("baseline (clock read per push)", "X-Network-Time on the push",
                 "cpu_per_exchange_ratio_header_to_baseline")
    print(json.dumps({"exchanges": options.exchanges, "rounds": options.rounds, names[0]: baseline,
                      names[1]: header, names[2]: ratio,
                      "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)]}, indent=1))
    if options.profile is not None:
        stats = pstats.Stats(str(options.profile))
        stats.sort_stats("cumulative").print_stats(options.top)
        stats.sort_stats("tottime").print_stats(options.top)


if __name__ == "__main__":
    main()
