"""How fast the full conformance campaign runs against the reference CMS in virtual time.

Starts the simulators and the reference CMS (real subprocesses), runs the whole campaign (every
scenario, no pytest around it) and prints the wall-clock time, the CPU seconds it used (harness,
simulators and CMS together: the gap to the wall time is waiting), the network time covered, the
number of clock steps and how steps were settled, the harness's HTTP calls (round trips) and the CPU
seconds of each process during the campaign itself (psutil); `--runs N` repeats it on fresh processes and prints
the medians. The target is a campaign of at least seven days of network time in at most 4 s of wall
clock on a 2-core machine (median of 3). The machine's load average is printed beside the figures,
since a shared machine's load moves them: compare two versions back to back, not with older figures.

    .venv/bin/python benchmarks/campaign_speed.py [--runs 3] [--target 4] [--json]

Exit code 1 when a run is slower than the target or covers less than seven days of network time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psutil

from conformance.campaign.processes import started
from conformance.campaign.runner import CampaignResult, Endpoints, run_campaign
from conformance.catalogue import load_catalogue
from conformance.scenarios.preparation import prepare_in_background
from conformance.settings import CampaignSettings


async def _campaign(settings: CampaignSettings, work: Path) -> tuple[CampaignResult, float, dict[str, float]]:
    requirements = settings.profile.resolve(load_catalogue())
    prepare_in_background()  # as `spoc-harness run` does: the scenarios and their Faker while the processes start
    began = time.monotonic()
    with started(work, state=settings.sut_state, start=settings.start_utc) as network:
        assert network.simulators is not None
        assert network.cms is not None
        endpoints = Endpoints(network.simulators.url, network.simulators.control_token, network.cms.url)
        startup = time.monotonic() - began
        before = _cpu_by_process()
        result = await run_campaign(settings, endpoints, requirements)
        after = _cpu_by_process()
    return result, startup, {name: round(after.get(name, 0.0) - spent, 3) for name, spent in before.items()}


def _cpu_by_process() -> dict[str, float]:
    """CPU seconds so far of this process (the harness) and of each process of the network it started."""
    me = psutil.Process()
    spent = {"harness": _seconds(me)}
    for child in me.children(recursive=True):
        try:
            command = " ".join(child.cmdline())
            seconds = _seconds(child)
        except psutil.Error:
            continue
        name = "journal_writer" if "journal_writer" in command else "channels" if " serve " in command else "cms"
        spent[name] = spent.get(name, 0.0) + seconds
    return spent


def _seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--target", type=float, default=4.0, help="wall-clock seconds a campaign may take")
    parser.add_argument("--json", action="store_true", help="print one JSON object per run")
    args = parser.parse_args(argv)
    settings = CampaignSettings() if args.seed is None else CampaignSettings(seed=args.seed)
    walls: list[float] = []
    cpus: list[float] = []
    ok = True
    for number in range(1, args.runs + 1):
        cpu_before = _cpu_seconds()
        with tempfile.TemporaryDirectory(prefix="spoc-bench-") as tmp:
            result, startup, by_process = asyncio.run(_campaign(settings, Path(tmp) / "network"))
        cpu = _cpu_seconds() - cpu_before  # the processes have ended: their CPU time is counted
        cpus.append(cpu)
        main_span = (result.main_end or result.network_end) - result.network_start
        total_span = result.network_end - result.network_start
        walls.append(result.wall_seconds)
        row = {
            "run": number, "campaign_wall_seconds": round(result.wall_seconds, 3), "cpu_seconds": round(cpu, 3),
            "load_average": round(os.getloadavg()[0], 2),
            "process_startup_seconds": round(startup, 3), "main_timeline_days": round(main_span / timedelta(days=1), 3),
            "network_span_days": round(total_span / timedelta(days=1), 3), "clock_steps": result.steps,
            "scenarios": len(result.scenarios), "messages": len(result.ledger.observed),
            "settle_timeouts": result.settle_timeouts, "settling": result.settling,
            "scenario_failures": len(result.scenario_failures), "harness_calls": result.harness_calls,
            "campaign_cpu_seconds": by_process,
            "campaign_cpu_ms_per_clock_step": round(1000 * sum(by_process.values()) / max(result.steps, 1), 2),
        }
        if args.json:
            print(json.dumps(row))
        else:
            print(f"run {number}: {row['campaign_wall_seconds']} s wall clock ({row['cpu_seconds']} s CPU with startup "
                  f"and shutdown, load average {row['load_average']}) for {row['main_timeline_days']} days of "
                  f"network time ({row['network_span_days']} days with the retention review), "
                  f"{row['clock_steps']} clock steps settled on {row['settling']}, {row['scenarios']} scenarios, "
                  f"{row['messages']} messages, "
                  f"processes started in {row['process_startup_seconds']} s; during the campaign "
                  f"{row['harness_calls']} harness calls, CPU s by process {row['campaign_cpu_seconds']} "
                  f"({row['campaign_cpu_ms_per_clock_step']} ms per clock step)")
        ok = ok and main_span >= timedelta(days=7) and not result.scenario_failures
    if len(walls) > 1:
        print(f"median {statistics.median(walls):.3f} s, min {min(walls):.3f} s, max {max(walls):.3f} s "
              f"(target {args.target:g} s); CPU median {statistics.median(cpus):.3f} s")
    ok = ok and statistics.median(walls) <= args.target
    return 0 if ok else 1


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    sys.exit(main())
