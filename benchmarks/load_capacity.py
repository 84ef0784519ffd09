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

It prints both, their ratio, and what limited the first failing step: the generator (it offered less
than asked) or the SUT (late, lost, or behind), with the cores each process group used in it and the
load average, since the machine may be shared.

Rates move with whatever else the machine runs; CPU per exchange barely does. So it also prints a cost
model: per process group (locust generator, reference CMS, channel server with its journal writer), the
CPU milliseconds per exchange in the steady part of each step (the middle of the sending, start-up and
drain left out; the median over the passing steps), the ceiling they imply on `--cores` idle cores (shared by
all groups, and a group never above one core per process), the bottleneck named from the measured
shares, and what `--target` exchanges/s would need.

    python benchmarks/load_capacity.py                     # full ladder
    python benchmarks/load_capacity.py --rates 20,50 --seconds 8   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
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
from load.reconcile import load_logs
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
    """CPU seconds per process group among this process's children (locust, CMS, channel server), sampled
    twice a second with the wall time, so that a window of the run can be cut out afterwards."""

    def __init__(self) -> None:
        self.latest: dict[int, tuple[str, float]] = {}  # pid -> (group, CPU seconds so far); kept after it ends
        self.samples: list[tuple[float, dict[str, float]]] = []  # (time.time(), CPU seconds per group)
        self._groups: dict[int, str] = {}
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
                group = self._groups.get(child.pid) or self._groups.setdefault(child.pid, self.group(child.cmdline()))
                cpu = child.cpu_times()
                self.latest[child.pid] = (group, cpu.user + cpu.system)
            except psutil.Error:
                continue
        self.samples.append((time.time(), self.cpu_seconds()))

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
        for group, seconds in self.latest.values():
            totals[group] = totals.get(group, 0.0) + seconds
        return totals

    def processes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for group, _ in self.latest.values():
            counts[group] = counts.get(group, 0) + 1
        return counts

    def between(self, began: float, ended: float) -> tuple[float, dict[str, float]]:
        """(wall seconds, CPU seconds per group) between the samples nearest the two wall times."""
        first = min(self.samples, key=lambda sample: abs(sample[0] - began))
        last = min(self.samples, key=lambda sample: abs(sample[0] - ended))
        return last[0] - first[0], {g: last[1].get(g, 0.0) - first[1].get(g, 0.0) for g in last[1]}


def steady_cost(cpu: CpuSampler, sent: list[dict[str, Any]]) -> dict[str, Any]:
    """CPU milliseconds per exchange per group in the steady part of a step: the middle of the sending, from
    30% to 90% of it. Locust's and the network's start-up (imports, Fakers, users spawning) stay out, and so
    does the end; answers lag their requests by a few seconds, but at a steady rate as many are answered in
    the window as are sent in it."""
    times = sorted(float(record["wall_sent"]) for record in sent)
    if len(times) < 20 or len(cpu.samples) < 4:
        return {}
    span = times[-1] - times[0]
    began, ended = times[0] + 0.3 * span, times[0] + 0.9 * span
    wall, used = cpu.between(began, ended)
    exchanges = sum(1 for moment in times if began <= moment <= ended)
    if wall <= 0 or not exchanges:
        return {}
    return {"window_seconds": round(wall, 1), "exchanges": exchanges, "rate": round(exchanges / wall, 1),
            "cpu_ms_per_exchange": {g: round(1000 * v / exchanges, 2) for g, v in sorted(used.items()) if g != "other"},
            "cores_used": {g: round(v / wall, 2) for g, v in sorted(used.items()) if g != "other"}}


def cost_model(
    ms_per_exchange: dict[str, float], processes: dict[str, int], cores: int, target: float,
) -> dict[str, Any]:
    """The exchange rate the measured CPU costs allow on `cores` idle cores, and which group bounds it.

    Two limits: all groups share the cores (cores x 1000 ms over the sum of the costs), and one group cannot
    use more cores than it has processes, each process at most one (a single-process CMS: 1000 ms over its
    cost). The bottleneck is the group whose limit is lowest; on the shared limit, the group with the largest
    share of the cost."""
    total = sum(ms_per_exchange.values())
    if total <= 0:
        return {}
    shared = cores * 1000 / total
    own = {g: min(cores, processes.get(g, 1)) * 1000 / ms for g, ms in ms_per_exchange.items() if ms > 0}
    tightest = min(own, key=lambda g: own[g])
    if own[tightest] < shared:
        ceiling, bottleneck = own[tightest], f"{tightest} (its {processes.get(tightest, 1)} process(es) alone)"
    else:
        largest = max(ms_per_exchange, key=lambda g: ms_per_exchange[g])
        ceiling = shared
        bottleneck = f"{largest} ({100 * ms_per_exchange[largest] / total:.0f}% of the CPU per exchange)"
    return {"total_cpu_ms_per_exchange": round(total, 2), "ceiling_per_second": round(ceiling, 1),
            "per_group_ceiling": {g: round(v, 1) for g, v in own.items()},
            "share": {g: round(ms / total, 3) for g, ms in ms_per_exchange.items()},
            "bottleneck": bottleneck, "target": target,
            "cores_for_target": round(target * total / 1000, 1)}


def capacity_step(work: Path, rate: float, seconds: float, workers: int, pacing: float) -> dict[str, Any]:
    users = max(1, round(rate * pacing))
    report = work / f"rate-{rate:g}"
    options = LoadOptions(report_dir=report, users=users, duration=seconds, pacing=pacing,
                          workers=workers, mix="urgent-direct=1,non-urgent=2", drain_timeout=120)
    load_before = os.getloadavg()[0]
    with CpuSampler() as cpu:
        code, results = run_load(options, lambda line: None)
        cpu.sample()
    achieved = float(results["achieved_exchanges_per_second"])
    offered = float(results["offered_exchanges_per_second"])
    return {"offered_target": rate, "users": users, "offered": offered, "achieved": achieved,
            "verdict": results["verdict"], "reasons": results["reasons"],
            # The SUT kept up with what was offered, and the generator offered what was asked.
            "passed": code == 0 and achieved >= 0.95 * offered and offered >= 0.8 * rate,
            "generator_short": offered < 0.8 * rate,
            # CPU per exchange is steadier than rates on a shared machine: the cost model rests on it.
            "steady": steady_cost(cpu, load_logs(report / "users", "sent")), "processes": cpu.processes(),
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)], "errors": results["errors"]}


def _typical_cost(steps: list[dict[str, Any]]) -> dict[str, float]:
    """Per group, the median of the steps' steady CPU ms per exchange (steps without a steady window left out)."""
    per_group: dict[str, list[float]] = {}
    for step in steps:
        for group, ms in step["steady"].get("cpu_ms_per_exchange", {}).items():
            per_group.setdefault(group, []).append(ms)
    return {g: round(statistics.median(values), 2) for g, values in per_group.items()}


def _limit_of(step: dict[str, Any], cores: int) -> str:
    """Which side limited a failing step, from what was measured in it."""
    used = step["steady"].get("cores_used", {})
    busiest = max(used, key=lambda g: used[g]) if used else "unknown"
    if step["generator_short"]:
        side = f"the locust generator offered only {step['offered']}/s of {step['offered_target']:g}/s asked"
    else:
        side = f"the SUT: {'; '.join(step['reasons']) or 'it acknowledged less than 95% of what was offered'}"
    note = f"{side}; cores used per group {used} (most: {busiest})"
    if used and sum(used.values()) < 0.75 * cores and step["load_average"][1] > cores:
        # Our processes together used well under the machine: they waited for CPU that other work had.
        note += (f"; together they used {sum(used.values()):.2f} of {cores} cores while the load average was "
                 f"{step['load_average'][1]:.1f}: the machine's other work starved them")
    return note


# Long: the ladder, then the three figures (capacity and ratio, the failing step, the cost model) printed in
# the order a reader checks them; split, each part would take the whole ladder's state as arguments.
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="25,50,100,150,200,300,400", help="offered exchanges/s to try, rising")
    parser.add_argument("--seconds", type=float, default=20.0, help="wall seconds of load per step")
    parser.add_argument("--workers", type=int, default=2, help="locust workers (0: one process)")
    parser.add_argument("--pacing", type=float, default=2.0,
                        help="wall seconds between a user's exchanges (users = rate x pacing; a cycle must fit)")
    parser.add_argument("--raw-messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="cores of the cost model's ceiling")
    parser.add_argument("--target", type=float, default=300.0, help="exchanges/s the cost model is held against")
    options = parser.parse_args()
    rates = [float(r) for r in options.rates.split(",")]
    steps: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="load-capacity-") as tmp:
        work = Path(tmp)
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
        raw = channel_raw(work, options.raw_messages, options.concurrency)
        print(f"channel raw send-and-deliver: {raw:.1f} msg/s", flush=True)
        best: dict[str, Any] | None = None
        failed: dict[str, Any] | None = None
        for rate in rates:
            step = capacity_step(work, rate, options.seconds, options.workers, options.pacing)
            steps.append(step)
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
        print(f"first failing step: {failed['offered_target']:g}/s asked, {failed['offered']}/s offered, "
              f"{failed['achieved']}/s achieved; limited by {_limit_of(failed, options.cores)}")
    else:
        print("no step failed: raise --rates to find the limit")
    # The passing steps: there the SUT kept up, so the work of the window's exchanges was done in the window. In
    # a failing one it lags, and part of its CPU falls after the window.
    cost = _typical_cost([step for step in steps if step["passed"]] or steps)
    processes = steps[-1]["processes"] if steps else {}
    model = cost_model(cost, processes, options.cores, options.target)
    if model:
        print("\ncost model (steady CPU ms per exchange, median over the passing steps): "
              + ", ".join(f"{g} {ms:.2f} ms ({100 * model['share'][g]:.0f}%, {processes.get(g, 1)} process(es))"
                          for g, ms in sorted(cost.items(), key=lambda item: -item[1])))
        print(f"  sum {model['total_cpu_ms_per_exchange']:.2f} ms per exchange: ceiling {model['ceiling_per_second']}"
              f" exchanges/s on {options.cores} idle cores; bottleneck: {model['bottleneck']}")
        print(f"  each group alone (its processes, one core each at most): {model['per_group_ceiling']}")
        generator = cost.get("locust generator", 0.0)
        without = model["total_cpu_ms_per_exchange"] - generator
        if without > 0:
            print(f"  the generator's share is {100 * model['share'].get('locust generator', 0.0):.0f}%; without it "
                  f"(locust on other machines) the ceiling is {options.cores * 1000 / without:.1f}/s")
        verdict = "reached" if model["ceiling_per_second"] >= options.target else "not reached"
        print(f"  target {options.target:g}/s: {verdict} at these costs; it needs {model['cores_for_target']} cores,"
              f" or {1000 * options.cores / options.target:.2f} ms per exchange in all on {options.cores}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
