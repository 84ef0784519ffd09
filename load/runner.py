"""`spoc-harness load`: start the network, run locust headless, drain, reconcile, write the results.

1. The channel server on the scaled clock and the reference CMS (or a vendor's SUT and network; or, with
   `--sut eu`, a reference CMS for every state the directive binds, several to a process).
2. locust, in processes of its own (one, or a master and N workers), with load/locustfile.py.
3. Optional chaos while it runs (load/chaos.py).
4. The drain: the users have stopped; the runner answers outstanding clarification requests as the
   requesters would and, on a network it controls, moves the scaled clock on to the SUT's next planned
   action (its agenda) until every request is answered or due.
5. The reconciliation (load/reconcile.py) and load-results.json beside locust's CSV and HTML.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import load
from load.chaos import Chaos
from load.eu_reconcile import defects_for, reasons_by_state, reconcile_eu, state_figures
from load.http import JsonClient, LoadHttpError
from load.network import ChannelServer, ReferenceCmsHost, ReferenceCmsProcess, Restartable, free_port, free_port_block
from load.options import LoadOptions
from load.plots import write_report
from load.reconcile import Reconciliation, load_logs, percentiles, reconcile
from load.results import build_results, plot_series
from load.traffic import TrafficGenerator, prepare_suts
from simulators.model.parties import member_states

__all__ = ["LoadOptions", "run_load"]

Echo = Callable[[str], None]


@dataclass
class _Network:
    channels_url: str
    credentials: Path
    sut_url: str
    server: ChannelServer | None = None
    cms: ReferenceCmsProcess | None = None
    hosts: list[ReferenceCmsHost] = field(default_factory=list)  # --sut eu

    @property
    def suts(self) -> dict[str, str]:
        """Every SUT interface the run drives, by state (one, or every state's with --sut eu)."""
        if self.hosts:
            return {state: url for host in self.hosts for state, url in host.urls.items()}
        return {"": self.sut_url}

    @property
    def control(self) -> JsonClient:
        token = json.loads(self.credentials.read_text(encoding="utf-8"))["control"]
        return JsonClient(self.channels_url, str(token))

    def stop(self) -> None:
        for process in (*self.hosts, self.cms, self.server):
            if process is not None:
                process.stop()


def _start_network(options: LoadOptions, echo: Echo) -> _Network:
    work = options.report_dir / "network"
    if options.sut not in ("reference", "eu"):
        if not options.channels_url or options.credentials is None:
            raise ValueError("--sut URL needs --channels URL and --credentials PATH of the network it is on")
        return _Network(options.channels_url, options.credentials, options.sut.rstrip("/"))
    server = ChannelServer(work / "channels", speed=options.speed, port=free_port())
    server.start()
    if options.eu:
        return _start_eu(options, server, echo)
    try:
        cms = ReferenceCmsProcess(work / "cms", state=options.state, channels_url=server.url,
                                  credentials=server.credentials, port=free_port(), defects=options.defects)
        cms.start()
    except BaseException:
        server.stop()
        raise
    echo(f"load: channels {server.url} (scaled clock x{options.speed:g}), reference CMS {options.state} {cms.url}"
         + (f" with defects {', '.join(options.defects)}" if options.defects else ""))
    return _Network(server.url, server.credentials, cms.url, server, cms)


def _start_eu(options: LoadOptions, server: ChannelServer, echo: Echo) -> _Network:
    """A reference CMS for every state the directive binds, `cms_processes` processes hosting them."""
    states = [s.code for s in member_states(bound_only=True)]
    groups = [states[index::options.cms_processes] for index in range(min(options.cms_processes, len(states)))]
    network = _Network(server.url, server.credentials, "", server)
    # --chaos restarts the hosts: each then keeps a block of ports of its own, so that the URLs the operators
    # hold stay right.
    network.hosts = [ReferenceCmsHost(options.report_dir / "network" / f"cms-{index + 1}", states=group,
                                      channels_url=server.url, credentials=server.credentials,
                                      defects=defects_for(options.defects, group),
                                      port=free_port_block(len(group)) if options.chaos else 0)
                     for index, group in enumerate(groups)]
    try:
        # Side by side: each host takes seconds to start its installations.
        with ThreadPoolExecutor(max_workers=len(network.hosts)) as pool:
            for started in [pool.submit(host.start, 60) for host in network.hosts]:
                started.result()
        for host in network.hosts:
            if set(host.urls) != set(host.states):
                raise RuntimeError(f"the CMS host for {', '.join(host.states)} announced only "
                                   f"{', '.join(host.urls) or 'none'}")
        prepare_suts(network.suts, options.seed)
    except BaseException:
        network.stop()
        raise
    echo(f"load: channels {server.url} (scaled clock x{options.speed:g}), reference CMSs of {len(states)} states "
         f"in {len(groups)} process(es)" + (f" with defects {', '.join(options.defects)}" if options.defects else ""))
    return network


def _locust_commands(options: LoadOptions, network: _Network) -> tuple[list[str], list[list[str]]]:
    locustfile = str(Path(load.__file__).parent / ("eu_locustfile.py" if options.eu else "locustfile.py"))
    prefix = str(options.report_dir / "locust")
    master = [sys.executable, "-m", "locust", "-f", locustfile, "--host", network.channels_url, "--headless",
              "--csv", prefix, "--csv-full-history", "--html", prefix + ".html", "--only-summary",
              "--loglevel", "INFO", "--stop-timeout", "5"]
    # No --run-time: a load shape (load/shapes.py, `constant` without --profile) ends the run, timed from
    # when the users start.
    workers: list[list[str]] = []
    if options.workers:
        port = free_port()
        master += ["--master", "--expect-workers", str(options.workers), "--master-bind-port", str(port)]
        workers = [[sys.executable, "-m", "locust", "-f", locustfile, "--worker", "--master-host", "127.0.0.1",
                    "--master-port", str(port), "--loglevel", "INFO"] for _ in range(options.workers)]
    return master, workers


def _environment(options: LoadOptions, network: _Network) -> dict[str, str]:
    env = {**os.environ, "SPOC_LOAD_CREDENTIALS": str(network.credentials), "SPOC_LOAD_STATE": options.state,
           "SPOC_LOAD_SUT": network.sut_url, "SPOC_LOAD_SEED": str(options.seed),
           "SPOC_LOAD_PACING": f"{options.pacing:g}", "SPOC_LOAD_SPEED": f"{options.speed:g}",
           "SPOC_LOAD_PEAK_FACTOR": f"{options.peak_factor:g}", "SPOC_LOAD_DURATION": f"{options.duration:g}",
           "SPOC_LOAD_LOG_DIR": str(options.report_dir / "users"), "PYTHONUNBUFFERED": "1"}
    suts = ",".join(f"{state}={url}" for state, url in network.suts.items()) if options.eu else None
    if options.eu:
        env["SPOC_LOAD_SUTS_PREPARED"] = "1"  # _start_eu did
    for key, value in (("SPOC_LOAD_PROFILE", options.profile), ("SPOC_LOAD_MIX", options.mix),
                       ("SPOC_LOAD_USERS", str(options.users) if options.users else None),
                       ("SPOC_LOAD_SUTS", suts)):
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    return env


def _run_locust(options: LoadOptions, network: _Network, chaos: Chaos | None, echo: Echo) -> float:
    master_cmd, worker_cmds = _locust_commands(options, network)
    for stale in options.report_dir.glob("locust*"):
        stale.unlink()
    env = _environment(options, network)
    log = (options.report_dir / "locust.log").open("w", encoding="utf-8")
    processes = [subprocess.Popen(master_cmd, stdout=log, stderr=subprocess.STDOUT, env=env)]
    processes += [subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env) for cmd in worker_cmds]
    began = time.monotonic()
    last_line = 0.0
    try:
        while processes[0].poll() is None:
            elapsed = time.monotonic() - began
            if chaos is not None:
                chaos.step(elapsed)
            if elapsed - last_line >= 5:
                last_line = elapsed
                echo(f"load: {elapsed:5.0f} s of {options.duration:g} s, network time {_network_now(network)}")
            if elapsed > options.duration + 120:
                raise RuntimeError(f"locust did not end {options.duration + 120:g} s after the start; see "
                                   f"{options.report_dir / 'locust.log'}")
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        if chaos is not None:
            chaos.finish()
    if not (options.report_dir / "locust_stats.csv").exists():
        tail = "\n".join((options.report_dir / "locust.log").read_text(encoding="utf-8").splitlines()[-15:])
        raise RuntimeError(f"locust ended without statistics (see {options.report_dir / 'locust.log'}):\n{tail}")
    return time.monotonic() - began


def _network_now(network: _Network) -> str:
    try:
        return str(JsonClient(network.channels_url, timeout=2).get("/clock")["now"])
    except LoadHttpError:
        return "(channels not answering)"


def _time(text: Any) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)


def _snapshot_states(
    options: LoadOptions, network: _Network, *, final: bool = True,
) -> tuple[Reconciliation, dict[str, Reconciliation], list[dict[str, Any]]]:
    """The reconciliation now: of the run, per requested state (--sut eu), and the journal it rests on.

    With --sut eu and `final=False` (the drain's steps), only what is still open counts, and that rests on
    the journal alone: the thirty CMSs' case lists and the chain's verification are read once, at the end."""
    control = network.control
    traffic = list(control.get("/control/traffic", limit="100000")["messages"])
    light = options.eu and not final
    verify = {"ok": True} if light else control.get("/control/journal/verify")
    ended = _time(control.get("/clock")["now"])
    if options.eu:
        cases_by_state = {state: [] if light else list(JsonClient(url).get("/sut/v1/cases")["cases"])
                          for state, url in network.suts.items()}
        merged, per_state = reconcile_eu(traffic=traffic, cases_by_state=cases_by_state,
                                         sent_log=load_logs(options.report_dir / "users", "sent"), verify=verify,
                                         seed=options.seed, ended_at=ended)
        return merged, per_state, traffic
    cases = list(JsonClient(network.sut_url).get("/sut/v1/cases")["cases"])
    result = reconcile(traffic=traffic, cases=cases, sent_log=load_logs(options.report_dir / "users", "sent"),
                       verify=verify, sut_state=options.state, seed=options.seed, ended_at=ended)
    return result, {}, traffic


def _answer_clarifications(options: LoadOptions, network: _Network, traffic: list[dict[str, Any]]) -> int:
    """Answer, as the requester would, every clarification request the users stopped before seeing."""
    by_id = {str(m["message_id"]): m for m in traffic}
    answered = {str((m.get("directive") or {}).get("case_reference")) for m in traffic
                if (m.get("directive") or {}).get("kind") == "CLARIFICATION"}
    control, count = network.control, 0
    for asked in traffic:
        directive = asked.get("directive") or {}
        request = by_id.get(str(asked.get("in_reply_to")))
        if directive.get("kind") != "CLARIFICATION_REQUEST" or request is None \
                or str(directive.get("case_reference")) in answered:
            continue
        requester = str(request["sender"])
        generator = TrafficGenerator(sut_state=options.state, sender_state=requester.split("-")[-1],
                                     seed=options.seed, user_key=f"drain:{requester}")
        body = generator.clarification(request, asked, requester)
        control.call("POST", "/siena/messages", body=body, headers={
            "X-Act-As": requester, "Idempotency-Key": f"load:{directive.get('case_reference')}:clarification"})
        count += 1
    return count


def _drain(options: LoadOptions, network: _Network, echo: Echo) -> tuple[Reconciliation, dict[str, Reconciliation]]:
    """Until every request is answered or due: answer clarifications, step the clock to the SUTs' agendas."""
    began = time.monotonic()
    controlled = network.server is not None
    while True:
        result, per_state, traffic = _snapshot_states(options, network, final=False)
        # The whole EU sends only complete requests (a CMS's own), so no clarification is owed there.
        clarified = 0 if options.eu else _answer_clarifications(options, network, traffic)
        if not result.open and not clarified:
            return _snapshot_states(options, network)[:2] if options.eu else (result, per_state)
        if time.monotonic() - began > options.drain_timeout:
            echo(f"load: drain stopped after {options.drain_timeout:g} s with {len(result.open)} request(s) open")
            return _snapshot_states(options, network)[:2] if options.eu else (result, per_state)
        if controlled and not clarified:
            _step_clock(network, result)
        time.sleep(0.3)


def _next_action(network: _Network, now: datetime) -> tuple[bool, datetime | None] | None:
    """(some SUT is acting now, the earliest action any SUT has planned after now); None: no SUT has an agenda."""
    planned: list[datetime] = []
    answered = False
    for url in network.suts.values():
        try:
            agenda = JsonClient(url).get("/sut/v1/agenda")
        except LoadHttpError:
            continue
        answered = True
        if agenda.get("next_action_at"):
            planned.append(_time(agenda["next_action_at"]))
    if not answered:
        return None
    if any(moment <= now for moment in planned):
        return True, None
    return False, min(planned, default=None)


def _step_clock(network: _Network, result: Reconciliation) -> None:
    control = network.control
    now = _time(control.get("/clock")["now"])
    due = [_time(o["due"]) for o in result.open if o.get("due")]
    agenda = _next_action(network, now)
    if agenda is None:
        return  # no agenda: the scaled clock runs on by itself
    acting, target = agenda
    if acting:
        return  # a SUT is acting now: let it finish first
    horizon = max(due) + timedelta(seconds=1) if due else None
    candidates = [t for t in (target, horizon) if t is not None and t > now]
    if candidates:
        try:
            control.call("POST", "/control/clock", body={"set": min(candidates).isoformat().replace("+00:00", "Z")})
        except LoadHttpError as exc:
            if exc.status != 422:
                raise
            # The scaled clock ran past the target while it was asked for: it is where it was meant to go.


def _restartable_cms(network: _Network) -> dict[Restartable, list[str]]:
    """The CMS processes the harness started, each with the SUT interfaces it serves (none for a vendor's)."""
    if network.hosts:
        return {host: list(host.urls.values()) for host in network.hosts}
    return {network.cms: [network.sut_url]} if network.cms is not None else {}


def run_load(options: LoadOptions, echo: Echo) -> tuple[int, Mapping[str, Any]]:
    """Run one load test; returns the exit code (0: nothing lost, every deadline met) and the results."""
    options.report_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("network", "users"):  # a report directory used before: this run's journal and logs only
        shutil.rmtree(options.report_dir / stale, ignore_errors=True)
    network = _start_network(options, echo)
    try:
        chaos = Chaos(network.control, server=network.server, cms=_restartable_cms(network),
                      states=list(network.suts) if options.eu else [options.state], duration=options.duration,
                      echo=echo) if options.chaos else None
        echo(f"load: {options.users or 'yearly-volume'} user(s)"
             + (f" shaped by {options.profile}" if options.profile else "")
             + f" for {options.duration:g} s" + (f" on {options.workers} worker(s)" if options.workers else ""))
        run_seconds = _run_locust(options, network, chaos, echo)
        echo("load: users stopped; draining (answers still due) and reconciling")
        reconciliation, per_state = _drain(options, network, echo)
        answers = load_logs(options.report_dir / "users", "answers")
        results = build_results(
            options=options, reconciliation=reconciliation, run_seconds=run_seconds,
            sent=load_logs(options.report_dir / "users", "sent"),
            answer_wall=percentiles(a["wall_seen"] - a["wall_sent"] for a in answers),
            chaos=chaos.log if chaos else [], csv_prefix=options.report_dir / "locust",
        )
        if options.eu:
            results["state"] = "EU"
            results["cms_processes"] = len(network.hosts)
            states = state_figures(per_state, load_logs(options.report_dir / "users", "sent"))
            # The operators' DEADLINE events are named by the requested state: they belong with its figures.
            for state, figures in states.items():
                figures["locust_events"] = results["deadlines"].pop(state, {}).get("locust_events")
            results["states"] = states
            results["reasons"] = reasons_by_state(results["reasons"], per_state)
    finally:
        network.stop()
    results["files"]["report"] = "load-report.html"
    results["series"] = plot_series(load_logs(options.report_dir / "users", "sent"),
                                    load_logs(options.report_dir / "users", "answers"), reconciliation.margin_points)
    (options.report_dir / "load-results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_report(options.report_dir / "load-report.html", results)
    return (0 if results["verdict"] == "PASS" else 1), results
