"""CPU time of the reference CMS's outbox per exchange, alone: this checkout's against another's.

The outbox (simulators/reference_cms/outbox.py) is a small part of a CMS exchange (some 4 ms of CPU with the
channels' HTTP, the store and the case engine), below what `benchmarks/cms_cpu.py` tells apart on a shared
machine. Here it runs on its own, on a real SQLite file in a temporary directory, in the pattern of one
exchange of the capacity mix: four worker steps (`Store.batch`), one of which sends one message (kept, then
accepted). Prints the CPU milliseconds per exchange of each outbox, alternating the two `--rounds` times,
the medians, their ratio and the load average.

    python benchmarks/outbox_cost.py --against /tmp/base          # e.g. git worktree add /tmp/base main
    python benchmarks/outbox_cost.py --against /tmp/base --exchanges 5000 --rounds 5
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

_BODY: dict[str, Any] = {"subject": "Request " + "x" * 200, "text": "y" * 1500, "to": ["SPOC-BE"],
                         "sent_at": "2026-01-01T00:00:00Z"}
_ENVELOPE: dict[str, Any] = {"message_id": "SIENA-000001", "to": ["SPOC-BE"], "accepted_at": "2026-01-01T00:00:01Z",
                             "directive": _BODY}
_STEPS_PER_EXCHANGE = 4  # receipt, the reply's action, two timer checks (profile of cms_cpu.py: 4 batches)


def _outbox_module(tree: Path, name: str) -> ModuleType:
    """The outbox module of a checkout, loaded under its own name so that both can live in this process."""
    spec = importlib.util.spec_from_file_location(name, tree / "simulators" / "reference_cms" / "outbox.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no outbox in {tree}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _cpu_ms_per_exchange(module: ModuleType, exchanges: int) -> float:
    with tempfile.TemporaryDirectory(prefix="outbox-cost-") as directory:
        outbox = module.Outbox(Path(directory) / "cms.sqlite3-outbox", "BENCH")
        started = time.process_time()
        for number in range(exchanges):
            for quiet in range(_STEPS_PER_EXCHANGE - 1):
                outbox.begin(f"action:{number}-{quiet}")
                outbox.end(f"action:{number}-{quiet}")
            outbox.begin(f"inbox:{number}")
            entry = outbox.prepare("SIENA", "SPOC-BE", f"key-{number}", _BODY)
            outbox.accepted(entry, _ENVELOPE)
            outbox.end(f"inbox:{number}")
        spent = time.process_time() - started
        outbox.close()
    return spent * 1000 / exchanges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", type=Path, required=True, help="the baseline: another checkout of the project")
    parser.add_argument("--exchanges", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each, alternating")
    args = parser.parse_args()
    this = _outbox_module(Path(__file__).resolve().parent.parent, "outbox_this")
    baseline = _outbox_module(args.against.resolve(), "outbox_baseline")
    figures: dict[str, list[float]] = {"baseline": [], "this checkout": []}
    for _ in range(args.rounds):
        figures["baseline"].append(_cpu_ms_per_exchange(baseline, args.exchanges))
        figures["this checkout"].append(_cpu_ms_per_exchange(this, args.exchanges))
    medians = {name: statistics.median(values) for name, values in figures.items()}
    print(json.dumps({
        "exchanges": args.exchanges, "steps_per_exchange": _STEPS_PER_EXCHANGE,
        "outbox_cpu_ms_per_exchange": {name: [round(v, 4) for v in values] for name, values in figures.items()},
        "median": {name: round(value, 4) for name, value in medians.items()},
        "ratio_this_to_baseline": round(medians["this checkout"] / medians["baseline"], 3),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }, indent=1))


if __name__ == "__main__":
    main()
