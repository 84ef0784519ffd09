"""Sampled mutation score of the campaign over the reference CMS's decision and sending code.

The test is the campaign itself: each mutant of the reference CMS is run through `spoc-harness run
--sut reference` (the full profile unless `--profile` narrows it; say so when you quote a score), and a
mutant is killed when the run is not plain "conformant" (a failure, an inconclusive requirement, a
timeout or a crash). Mutants are made by cosmic-ray (`pip install -e '.[mutation]'`) in a throw-away
clone of the repository at `--rev`, so the working tree is never touched; a random sample of
`--sample` mutants (chosen with `--seed`) is run, the others are marked skipped.

Survivors are looked up in the triage file (benchmarks/mutation_triage.toml): each entry names a
mutant by its stable key (module, operator, the mutated line's text, its occurrence on that line) and
says `killed-by` (the check or scenario that now kills it), `equivalent` or `out-of-scope`, with the
reason. The score counts killed mutants against the sample less the equivalent and out-of-scope ones;
a survivor missing from the triage file is printed as untriaged and makes the exit code 1.

Mutants inside a function's parameter or return annotation are left out of the population before
sampling, and their number is printed (`excluded_annotation` in the JSON): in a module with `from
__future__ import annotations` (PEP 563) those annotations are kept as strings and never evaluated, and
the mutated modules neither call `typing.get_type_hints` nor use `pydantic.validate_call`, so such a
mutant (`X | None` turned into `X / None`) is equivalent by construction. Annotated assignments stay in:
a pydantic model's field annotations (`Outbound` in sending.py) are evaluated when the class is made.

A run stopped with Ctrl-C or SIGTERM still prints and writes what it has: the mutants run so far, the
others as "not run" (`interrupted` is true in the JSON).

    .venv/bin/python benchmarks/mutation_sample.py --sample 12 --seed 2027 [--rev main] [--json out.json]
    .venv/bin/python benchmarks/mutation_sample.py --same-as before.json   # the same mutants again

Measured on a shared 2-core machine: 38 s per mutant at a load average of 5-8, 74 s at 20, 13.5 s at 1.4-3.4
(the campaign plus its checks and reports); size `--sample` to the time you have (~30 min: about 50 on a busy
machine).
Not part of CI (`make mutation`).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TRIAGE = Path(__file__).with_name("mutation_triage.toml")
# The reference CMS's decision and sending code: what it answers, refuses, copies, sends and when.
DEFAULT_MODULES = (
    "simulators/reference_cms/policy.py",
    "simulators/reference_cms/answers.py",
    "simulators/reference_cms/sending.py",
    "simulators/reference_cms/incoming.py",
    "simulators/reference_cms/intake.py",
    "simulators/reference_cms/deciding.py",
    "simulators/reference_cms/answers_received.py",
    "simulators/reference_cms/scheduler.py",
)


# A mutant inside an annotation that is never evaluated cannot change behaviour: equivalent by construction.
_ANNOTATION_TRIAGE = {"status": "equivalent", "reason": "inside an annotation of a module with `from __future__ "
                      "import annotations`: never evaluated"}


@dataclass(frozen=True)
class Mutant:
    job_id: str
    module: str
    operator: str
    line: int
    occurrence_on_line: int
    text: str
    in_annotation: bool = False  # inside an annotation of a module with postponed evaluation: never run

    @property
    def key(self) -> str:
        """Stable across edits elsewhere in the module: the mutated line's text, not its number."""
        return f"{self.module}|{self.operator}|{self.text}|{self.occurrence_on_line}"


def _clone(rev: str, into: Path) -> None:
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(into)], check=True)
    subprocess.run(["git", "-C", str(into), "checkout", "--quiet", rev], check=True)
    # Uncommitted work of the working tree is not part of a revision; `--rev WORKTREE` copies it.


def _copy_worktree(into: Path) -> None:
    _clone("HEAD", into)
    diff = subprocess.run(["git", "-C", str(REPO), "diff", "HEAD", "--binary"], capture_output=True, check=True)
    if diff.stdout:
        subprocess.run(["git", "-C", str(into), "apply", "--whitespace=nowarn"], input=diff.stdout, check=True)


def _config(clone: Path, modules: list[str], profile: str, timeout: float) -> Path:
    report = clone / "mutation-run"
    command = (f"{shlex.quote(sys.executable)} -c 'from conformance.cli import main; main()' run --sut reference "
               f"--quiet --profile {shlex.quote(profile)} --report-dir {shlex.quote(str(report))}")
    paths = ", ".join(json.dumps(m) for m in modules)
    text = (f"[cosmic-ray]\nmodule-path = [{paths}]\ntimeout = {timeout}\nexcluded-modules = []\n"
            f"test-command = {json.dumps(command)}\n\n[cosmic-ray.distributor]\nname = \"local\"\n")
    path = clone / "cosmic-ray.toml"
    path.write_text(text)
    return path


def _annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's function parameter and return annotations are, if it postpones their evaluation
    (PEP 563); else nowhere. Not annotated assignments: a pydantic model evaluates its fields' annotations."""
    tree = ast.parse(source)
    postponed = any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
                    and any(a.name == "annotations" for a in n.names) for n in tree.body)
    if not postponed:
        return []
    nodes: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            nodes.append(node.returns)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            nodes.append(node.annotation)
    return [((n.lineno, n.col_offset), (n.end_lineno or n.lineno, n.end_col_offset or 0)) for n in nodes]


def _mutants(clone: Path, session: Path) -> list[Mutant]:
    # cosmic-ray is optional (the [mutation] extra): needed only once mutants have run.
    from cosmic_ray.work_db import WorkDB, use_db

    found: list[Mutant] = []
    columns: dict[str, int] = {}
    spans: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in db.work_items:
            for spec in item.mutations:
                columns[item.job_id] = spec.start_pos[1]
                source = (clone / spec.module_path).read_text()
                module = str(spec.module_path)
                if module not in spans:
                    spans[module] = _annotation_spans(source)
                annotated = any(a <= tuple(spec.start_pos) and tuple(spec.end_pos) <= b for a, b in spans[module])
                line = spec.start_pos[0]
                found.append(Mutant(item.job_id, module, spec.operator_name, line, 0,
                                    source.splitlines()[line - 1].strip(), annotated))
    # The occurrence on a line (in column order) tells apart two mutants of one operator on the same line.
    counted: dict[tuple[str, str, int], int] = {}
    numbered: list[Mutant] = []
    for m in sorted(found, key=lambda m: (m.module, m.line, m.operator, columns[m.job_id])):
        n = counted.get((m.module, m.operator, m.line), 0)
        counted[(m.module, m.operator, m.line)] = n + 1
        numbered.append(Mutant(m.job_id, m.module, m.operator, m.line, n, m.text, m.in_annotation))
    return numbered


def _skip_all_but(session: Path, keep: set[str]) -> None:
    # cosmic-ray is optional (the [mutation] extra): needed only once mutants have run.
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(session), WorkDB.Mode.open) as db:
        skipped = [item.job_id for item in db.pending_work_items if item.job_id not in keep]
        db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))


def _outcomes(session: Path) -> dict[str, tuple[str, str]]:
    # cosmic-ray is optional (the [mutation] extra): needed only once mutants have run.
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(session), WorkDB.Mode.open) as db:
        return {job_id: (str(result.worker_outcome.value),
                         str(result.test_outcome.value) if result.test_outcome else "")
                for job_id, result in db.results}


def _load_triage(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text())
    return {str(entry["key"]): {k: str(v) for k, v in entry.items()} for entry in data.get("survivor", [])}


def _choose(mutants: list[Mutant], sample: int, seed: int, same_as: Path | None) -> list[Mutant]:
    """The earlier run's mutants (`--same-as`), else a seeded sample of those outside annotations."""
    if same_as is not None:
        wanted = [row["key"] for row in json.loads(same_as.read_text())["mutants"]]
        by_key = {m.key: m for m in mutants}
        chosen = [by_key[k] for k in wanted if k in by_key]
        gone = len(wanted) - len(chosen)
        if gone:
            print(f"{gone} mutant(s) of the earlier sample no longer exist (their line changed); "
                  "they are left out", flush=True)
        return chosen
    eligible = [m for m in mutants if not m.in_annotation]
    return random.Random(seed).sample(eligible, min(sample, len(eligible)))


def _stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl-C, so the mutants run so far are still reported."""
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def run(args: argparse.Namespace) -> dict[str, Any]:
    modules = list(args.module or DEFAULT_MODULES)
    with tempfile.TemporaryDirectory(prefix="spoc-mutation-") as tmp:
        clone = Path(tmp) / "repo"
        if args.rev == "WORKTREE":
            _copy_worktree(clone)
        else:
            _clone(args.rev, clone)
        config = _config(clone, modules, args.profile, args.timeout)
        session = clone / "session.sqlite"
        env = {**os.environ, "PYTHONPATH": str(clone), "PYTEST_ADDOPTS": ""}
        subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "init", str(config), str(session)], cwd=clone,
                       env=env, check=True)
        mutants = _mutants(clone, session)
        chosen = _choose(mutants, args.sample, args.seed, args.same_as)
        _skip_all_but(session, {m.job_id for m in chosen})
        in_annotation = sum(m.in_annotation for m in mutants)
        print(f"{len(mutants)} mutants in {len(modules)} module(s), {in_annotation} of them in parameter or "
              f"return annotations (left out: never evaluated); running {len(chosen)} (seed {args.seed}, "
              f"profile {args.profile}); load average {os.getloadavg()[0]:.1f}", flush=True)
        began = time.monotonic()
        interrupted = False
        try:
            subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "exec", str(config), str(session)],
                           cwd=clone, env=env, check=True)
        except KeyboardInterrupt:  # subprocess.run has killed cosmic-ray; its session keeps the results so far
            interrupted = True
            print("interrupted: reporting the mutants run so far", flush=True)
        wall = time.monotonic() - began
        outcomes = _outcomes(session)
    triage = _load_triage(args.triage)
    rows: list[dict[str, Any]] = []
    for m in chosen:
        worker, test = outcomes.get(m.job_id, ("missing", ""))
        survived = test == "survived"
        entry = triage.get(m.key) or (_ANNOTATION_TRIAGE if m.in_annotation else {})
        # A run that timed out or crashed counts as killed (the campaign did not call the CMS conformant).
        ran = bool(test) or worker in ("abnormal", "exception")
        verdict = (entry.get("status", "untriaged") if survived else "killed") if ran else "not run"
        rows.append({**asdict(m), "key": m.key, "worker_outcome": worker, "test_outcome": test, "status": verdict,
                     "reason": entry.get("reason", "") if survived else ""})
    return {**_summary(rows, args, wall), "population": len(mutants), "excluded_annotation": in_annotation,
            "interrupted": interrupted}


def _rescore(args: argparse.Namespace) -> dict[str, Any]:
    earlier = json.loads(args.rescore.read_text())
    triage = _load_triage(args.triage)
    for row in earlier["mutants"]:
        if row["test_outcome"] == "survived":
            entry = triage.get(row["key"]) or (_ANNOTATION_TRIAGE if row.get("in_annotation") else {})
            row["status"], row["reason"] = entry.get("status", "untriaged"), entry.get("reason", "")
    for name in ("rev", "seed", "profile"):
        setattr(args, name, earlier[name])
    summary = _summary(earlier["mutants"], args, earlier["wall_seconds"])
    for name in ("load_average_after", "population", "excluded_annotation", "interrupted"):
        if name in earlier:
            summary[name] = earlier[name]
    return summary


def _summary(rows: list[dict[str, Any]], args: argparse.Namespace, wall: float) -> dict[str, Any]:
    excluded = sum(1 for r in rows if r["status"] in ("equivalent", "out-of-scope", "not run"))
    killed = sum(1 for r in rows if r["status"] == "killed")
    counted = len(rows) - excluded
    return {
        "rev": args.rev, "seed": args.seed, "sample": len(rows), "profile": args.profile, "killed": killed,
        "survived": sum(1 for r in rows if r["test_outcome"] == "survived"), "excluded": excluded,
        "not_run": sum(1 for r in rows if r["status"] == "not run"),
        "score": round(killed / counted, 3) if counted else None,
        "raw_score": round(killed / ran, 3) if (ran := sum(r["status"] != "not run" for r in rows)) else None,
        "wall_seconds": round(wall, 1),
        "load_average_after": round(os.getloadavg()[0], 2), "mutants": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="Mutants in function parameter or return annotations are left out before sampling: the modules "
        "postpone annotation evaluation (from __future__ import annotations) and nothing evaluates them, so "
        "they are equivalent by construction. Ctrl-C or SIGTERM stops the run and still reports the mutants "
        "run so far.")
    parser.add_argument("--sample", type=int, default=50, help="number of mutants to run (default 50, ~30 min)")
    parser.add_argument("--seed", type=int, default=2027, help="seed of the random sample")
    parser.add_argument("--rev", default="HEAD", help="git revision to mutate, or WORKTREE for uncommitted work")
    parser.add_argument("--module", action="append", help="module to mutate (repeatable; default: decision code)")
    parser.add_argument("--profile", default="all", help="campaign profile (narrower is faster, say so)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a mutant's run is killed")
    parser.add_argument("--triage", type=Path, default=TRIAGE, help="survivor triage file (TOML)")
    parser.add_argument("--same-as", type=Path, help="results JSON of an earlier run: run the same mutants")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--rescore", type=Path, help="results JSON of an earlier run: apply the triage file again, "
                        "without running anything")
    args = parser.parse_args(argv)
    if args.same_as is not None:
        args.seed = json.loads(args.same_as.read_text())["seed"]  # the mutants are that sample's: name its seed
    _stop_on_sigterm()
    summary = _rescore(args) if args.rescore else run(args)
    for row in summary["mutants"]:
        print(f"{row['status']:<13} {row['module']}:{row['line']} {row['operator']} | {row['text'][:80]}"
              + (f" ({row['reason']})" if row["reason"] else ""))
    print(f"score {summary['score']} ({summary['killed']} killed of {summary['sample']} sampled, less "
          f"{summary['excluded']} equivalent, out of scope or not run); raw {summary['raw_score']}; "
          f"{summary['wall_seconds']} s wall clock")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 1 if any(r["status"] == "untriaged" for r in summary["mutants"]) else 0


if __name__ == "__main__":
    sys.exit(main())
