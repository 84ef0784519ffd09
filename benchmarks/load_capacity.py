"""The highest exchange rate the reference CMS sustains with nothing lost and every deadline met.

Two measurements in the same run, on the same machine:

* *channel raw*: the channel server alone (`serve --clock scaled`), SIENA send-and-deliver between two
  foreign SPOCs: aiohttp senders at `--concurrency` sends in flight and a recipient that pulls and
  acknowledges its mailbox; the rate counts a message once its recipient acknowledged it.
* *CMS capacity*: `spoc-harness load` against the reference CMS at increasing offered rates (users /
  pacing, on `--workers` locust workers), each for `--seconds`; a step passes when the verdict is PASS
  (nothing lost or duplicated, every deadline met), the SUT acknowledged at least 95% of what was
  offered, and the generator offered at least 80% of the rate asked. The capacity is the best
  achieved rate of a passing step.

It prints both, their ratio, and which side was the bottleneck at the first failing step: the
process group (locust generator, reference CMS, channel server with its journal writer) that used
the largest share of the CPU it can use (one core per process), and the machine's load average, since
the machine may be shared.

    python benchmarks/load_capacity.py                     # full ladder
    python benchmarks/load_capacity.py --rates 20,50 --seconds 8   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load.network import ChannelServer, free_port
from load.options import LoadOptions
from load.runner import run_load

_BODY = {
    "sender": "SPOC-DE", "to": ["SPOC-FR"], "cc": [], "subject": "capacity", "body": "capacity", "language": "en",
    "urgency": "NON_URGENT", "crime_areas": ["SWINDLING_FRAUD"], "europol_involved": False,
    "handling_codes": ["H0"], "security_level": "BPL", "processing_purposes": ["FACILITATE_EXCHANGE"],
    "attachments": [], "entities": [],
}


async def _raw_rate(url: str, tokens: dict[str, str], messages: int, concurrency: int) -> float:
    sender = {"Authorization": f"Bearer {tokens['SPOC-DE']}"}
    recipient = {"Authorization": f"Bearer {tokens['SPOC-FR']}"}
    async with aiohttp.ClientSession() as session:
        queue = iter(range(messages))

        async def send() -> None:
            for _ in queue:
                async with session.post(f"{url}/siena/messages", json=_BODY, headers=sender) as answer:
                    if answer.status != 201:
                        raise RuntimeError(f"send: {answer.status} {await answer.text()}")

        async def pull() -> int:
            acked, cursor = 0, 0
            while acked < messages:
                async with session.get(f"{url}/siena/mailbox", params={"after": str(cursor), "limit": "1000"},
                                       headers=recipient) as answer:
                    page = await answer.json()
                cursor = int(page.get("next_cursor") or cursor)
                ids = [d["delivery_id"] for d in page["deliveries"]]
                if ids:
                    async with session.post(f"{url}/siena/mailbox/ack", headers=recipient,
                                            json={"delivery_ids": ids, "status": "DELIVERED"}) as answer:
                        answer.raise_for_status()
                    acked += len(ids)
                else:
                    await asyncio.sleep(0.01)
            return acked

        began = time.monotonic()
        puller = asyncio.create_task(pull())
        await asyncio.gather(*(send() for _ in range(concurrency)))
        await puller
        return messages / (time.monotonic() - began)


def channel_raw(work: Path, messages: int, concurrency: int) -> float:
    server = ChannelServer(work / "raw" / "channels", speed=600, port=free_port())
    server.start()
    try:
        tokens = json.loads(server.credentials.read_text())["parties"]
        asyncio.run(_raw_rate(server.url, tokens, messages // 10, concurrency))  # warm-up
        return asyncio.run(_raw_rate(server.url, tokens, messages, concurrency))
    finally:
        server.stop()


class CpuSampler:
    """CPU seconds per process group among this process's children (locust, CMS, channel server)."""

    def __init__(self) -> None:
        self.seconds: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def group(cmdline: list[str]) -> str:
        text = " ".join(cmdline)
        if "locust" in text:
            return "locust generator"
        if " cms " in f" {text} ":
            return "reference CMS"
        if "serve" in text or "journal_writer" in text:
            return "channel server"
        return "other"

    def sample(self) -> None:
        for child in psutil.Process().children(recursive=True):
            try:
                cpu = child.cpu_times()
                self.seconds[child.pid] = (self.group(child.cmdline()), cpu.user + cpu.system)
            except psutil.Error:
                continue

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def cpu_seconds(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for group, seconds in self.seconds.values():
            totals[group] = totals.get(group, 0.0) + seconds
        return totals

    def busy(self, wall: float) -> dict[str, float]:
        """Per group: the share of the CPU it could use (one core per process), 0..1."""
        totals: dict[str, float] = {}
        counts: dict[str, int] = {}
        for group, seconds in self.seconds.values():
            totals[group] = totals.get(group, 0.0) + seconds
            counts[group] = counts.get(group, 0) + 1
        return {g: round(totals[g] / wall / counts[g], 3) for g in totals if g != "other"}


def capacity_step(work: Path, rate: float, seconds: float, workers: int, pacing: float) -> dict[str, Any]:
    users = max(1, round(rate * pacing))
    options = LoadOptions(report_dir=work / f"rate-{rate:g}", users=users, duration=seconds, pacing=pacing,
                          workers=workers, mix="urgent-direct=1,non-urgent=2", drain_timeout=120)
    began = time.monotonic()
    marks: dict[str, dict[str, float]] = {}
    with CpuSampler() as cpu:

        def mark(line: str) -> None:
            # CPU of the load itself: from the users' start (the network's start-up before it) to their end
            # (the drain after it). Locust's own start-up still counts on its side.
            if "user(s)" in line or "users stopped" in line:
                cpu.sample()
                marks["start" if "user(s)" in line else "end"] = cpu.cpu_seconds()

        code, results = run_load(options, mark)
    wall = time.monotonic() - began
    used = {g: marks.get("end", {}).get(g, 0.0) - marks.get("start", {}).get(g, 0.0) for g in marks.get("end", {})}
    achieved = float(results["achieved_exchanges_per_second"])
    offered = float(results["offered_exchanges_per_second"])
    return {"offered_target": rate, "users": users, "offered": offered, "achieved": achieved,
            "verdict": results["verdict"], "reasons": results["reasons"],
            # The SUT kept up with what was offered, and the generator offered what was asked.
            "passed": code == 0 and achieved >= 0.95 * offered and offered >= 0.8 * rate,
            "generator_short": offered < 0.8 * rate, "cpu_busy": cpu.busy(wall),
            # CPU per exchange is steadier than rates on a shared machine: the process that needs the most
            # per exchange (one core each) saturates first on an idle one.
            "cpu_ms_per_exchange": {g: round(1000 * v / max(1, int(results["acknowledged"])), 2)
                                    for g, v in used.items() if g != "other"},
            "load_average": os.getloadavg()[0], "errors": results["errors"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="25,50,100,150,200,300,400", help="offered exchanges/s to try, rising")
    parser.add_argument("--seconds", type=float, default=15.0, help="wall seconds of load per step")
    parser.add_argument("--workers", type=int, default=2, help="locust workers (0: one process)")
    parser.add_argument("--pacing", type=float, default=2.0,
                        help="wall seconds between a user's exchanges (users = rate x pacing; a cycle must fit)")
    parser.add_argument("--raw-messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    options = parser.parse_args()
    rates = [float(r) for r in options.rates.split(",")]
    with tempfile.TemporaryDirectory(prefix="load-capacity-") as tmp:
        work = Path(tmp)
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
        raw = channel_raw(work, options.raw_messages, options.concurrency)
        print(f"channel raw send-and-deliver: {raw:.1f} msg/s", flush=True)
        best: dict[str, Any] | None = None
        failed: dict[str, Any] | None = None
        for rate in rates:
            step = capacity_step(work, rate, options.seconds, options.workers, options.pacing)
            print(json.dumps(step), flush=True)
            if step["passed"]:
                best = step
            else:
                failed = step
                break
    capacity = float(best["achieved"]) if best else 0.0
    print(f"\nreference CMS capacity: {capacity:.1f} exchanges/s sustained (nothing lost, every deadline met)")
    print(f"channel server raw:      {raw:.1f} messages/s send-and-deliver")
    print(f"ratio capacity / raw:    {capacity / raw:.3f}" if raw else "ratio: n/a")
    if failed is not None:
        busy = failed["cpu_busy"]
        bottleneck = max(busy, key=lambda g: busy[g]) if busy else "unknown"
        if failed["generator_short"] and failed["verdict"] == "PASS":
            bottleneck = f"locust generator (offered {failed['offered']}/s of {failed['offered_target']:g}/s asked)"
        cores = os.cpu_count() or 1
        if busy and max(busy.values()) < 0.5 and failed["load_average"] > cores:
            # Nobody of ours near a core: the processes waited for CPU the machine gave to other work.
            bottleneck += (f"; but no process group used half a core while the load average was "
                           f"{failed['load_average']:.1f} on {cores} cores: the machine's other work starved them")
        print(f"first failing step: {failed['offered_target']:g}/s offered, achieved {failed['achieved']}/s, "
              f"{'; '.join(failed['reasons'])}; CPU share per group {busy}; bottleneck: {bottleneck}")
    else:
        print("no step failed: raise --rates to find the limit")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
