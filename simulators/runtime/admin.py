"""Changes to the network's configuration, each journaled: webhooks, faults, the virtual clock, reset."""

from __future__ import annotations

import json
from datetime import datetime

from simulators.model.directive import ChannelName
from simulators.model.envelope import DeliveryStatus
from simulators.runtime.clock import LATEST_NETWORK_TIME, VirtualClock, ensure_aware
from simulators.runtime.faults import Fault
from simulators.runtime.network import Network
from simulators.runtime.problems import FieldError, ProblemError
from simulators.runtime.store import Statement, db_time

__all__ = ["move_clock", "reset", "set_faults", "set_webhook"]


async def set_webhook(network: Network, channel: ChannelName, party: str, url: str | None) -> None:
    """Register (or with None remove) a party's webhook; what waits in its mailbox is pushed too."""
    now = network.clock.now()
    statements: list[Statement] = [
        ("DELETE FROM webhooks WHERE party=? AND channel=?", (party, channel.value))
    ]
    if url is not None:
        statements += [
            ("INSERT INTO webhooks(party, channel, url) VALUES (?,?,?)", (party, channel.value, url)),
            (
                "UPDATE deliveries SET next_attempt_at=? "
                "WHERE party=? AND channel=? AND segment=? AND status=? "
                "AND next_attempt_at IS NULL",
                (db_time(now), party, channel.value, network.journal.segment, DeliveryStatus.PENDING.value),
            ),
        ]
    else:
        statements.append(
            ("UPDATE deliveries SET next_attempt_at=NULL WHERE party=? AND channel=?", (party, channel.value))
        )
    entry = {"party": party, "channel": channel.value, "url": url}
    await network.journal.append("webhook.set", entry, at=now, statements=statements)
    if url is None:
        network.webhooks.pop((party, channel.value), None)
    else:
        network.webhooks[(party, channel.value)] = url
        network.pusher.kick()


async def set_faults(network: Network, faults: list[Fault]) -> None:
    specs = [f.model_dump(mode="json") for f in faults]
    statements: list[Statement] = [("DELETE FROM faults", ())]
    statements += [
        ("INSERT INTO faults(position, spec) VALUES (?,?)", (i, json.dumps(s))) for i, s in enumerate(specs)
    ]
    await network.journal.append(
        "faults.set", {"faults": specs}, at=network.clock.now(), statements=statements
    )
    network.faults.replace(faults)
    network.pusher.kick()


async def move_clock(
    network: Network, *, to: datetime | None = None, advance_seconds: float | None = None
) -> datetime:
    """Set or advance the virtual clock; journaled and persisted, so a restart resumes from it."""
    clock = network.clock
    if not isinstance(clock, VirtualClock):
        raise ProblemError(
            409,
            "Clock not virtual",
            "the network runs on the system clock; start it with --clock virtual to move time",
            slug="clock-not-virtual",
        )
    before = clock.now()
    try:
        if to is not None:
            clock.set(ensure_aware(to, "set"))
        elif advance_seconds is not None:
            clock.advance(advance_seconds)
    except (ValueError, OverflowError) as exc:
        field = "set" if to is not None else "advance_seconds"
        raise ProblemError(
            422,
            "Validation failed",
            f"{field}: {exc}",
            slug="validation",
            errors=[FieldError(field=field, rule="must move the clock forward, to a time before "
                                                f"{LATEST_NETWORK_TIME.year}")],
        ) from None
    now = clock.now()
    await network.journal.append(
        "clock.moved",
        {"from": db_time(before), "to": db_time(now)},
        at=now,
        statements=[("INSERT OR REPLACE INTO meta(key, value) VALUES ('clock', ?)", (db_time(now),))],
    )
    network.pusher.kick()
    return now


async def reset(network: Network, *, clock: datetime | None = None) -> int:
    """Forget traffic: a new journal segment; faults, webhooks, timers and idempotency keys cleared.

    With `clock` (virtual clock only) the new segment starts at that network time, earlier than now if need
    be: one server then serves campaign after campaign, each from the same start, as a fresh server would.
    """
    statements: list[Statement] = [
        ("DELETE FROM webhooks", ()),
        ("DELETE FROM faults", ()),
        ("DELETE FROM idempotency", ()),
        ("DELETE FROM timers", ()),
        ("UPDATE deliveries SET next_attempt_at=NULL WHERE next_attempt_at IS NOT NULL", ()),
    ]
    data: dict[str, str] = {"reason": "control reset"}
    virtual = network.clock
    if clock is not None:
        if not isinstance(virtual, VirtualClock):
            raise ProblemError(409, "Clock not virtual",
                               "the network runs on the system clock; only a virtual clock restarts at a given time",
                               slug="clock-not-virtual")
        clock = ensure_aware(clock, "clock")
        if clock >= LATEST_NETWORK_TIME:
            raise ProblemError(422, "Validation failed", f"clock: must be before {LATEST_NETWORK_TIME.isoformat()}",
                               slug="validation",
                               errors=[FieldError(field="clock", rule=f"before {LATEST_NETWORK_TIME.year}")])
    await network.scheduler.cancel_all()
    if clock is not None and isinstance(virtual, VirtualClock):
        data["clock_from"] = db_time(virtual.now())
        data["clock"] = db_time(clock)
        virtual.restart_at(clock)
        # A restarted server still resumes from the latest time journaled (app._make_clock), never earlier.
        statements.append(("INSERT OR REPLACE INTO meta(key, value) VALUES ('clock', ?)", (db_time(clock),)))
    await network.journal.append(
        "segment.started", data, at=network.clock.now(), new_segment=True, statements=statements,
    )
    network.webhooks.clear()
    network.faults.replace([])
    network.refusals.forget()
    for callback in network.reset_callbacks:
        await callback()
    return network.journal.segment
