"""The `Network` facade: what every channel uses to accept, store, deliver and time its messages.

How a channel plugs in
----------------------
A channel is a module exposing `setup(app: web.Application) -> None`. It adds its routes with
`simulators.runtime.openapi.route(app, ...)` (route + OpenAPI description in one call, with
`channel=ChannelName.X` so that auth, faults and mailbox isolation apply) and usually calls
`simulators.runtime.mailbox.add_mailbox_routes(app, ChannelName.X)` for the shared pull/ack/webhook
routes. Handlers reach the network through the typed key: `network = request.app[NETWORK]`, and the
acting party through `caller(request)` (`simulators.runtime.mailbox`). A send handler validates its
body into its pydantic model, then:

    envelope = await network.accept(SendRequest(channel=ChannelName.X, sender=..., to=..., cc=...,
                                                payload=payload_dict, directive=..., case_id=...,
                                                in_reply_to=..., idempotency_key=...))
    return accepted_response(request, envelope)     # 201, or 200 for an idempotent replay

`accept` journals the message and its deliveries (one per To/CC recipient) in one durable
transaction, then pushes to recipients with a webhook. Reads: `message`, `case_messages`,
`can_see`; time: `network.clock`, `network.schedule_at(moment, name, factory)` (in memory) and
`network.register_timer(kind, handler)` + `network.schedule_durable(moment, kind, key, params)`
(survives restarts). `network.refuse(party, action, detail)` journals a refused access and raises
the 403 problem. `network.on_reset(callback)` lets a channel drop in-memory state on a reset.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from simulators.model.channels import ChannelName
from simulators.model.envelope import Envelope, MessageView
from simulators.runtime import queries
from simulators.runtime.accepting import Accepting, SendRequest, can_see
from simulators.runtime.acknowledging import Acknowledging
from simulators.runtime.clock import Clock
from simulators.runtime.delivery import Pusher
from simulators.runtime.faults import Fault, FaultSet
from simulators.runtime.mailbox_pages import MailboxPages
from simulators.runtime.problems import ProblemError
from simulators.runtime.refusals import RefusalBudget, RefusalDecision
from simulators.runtime.store import ENTRY_SEQ, Journal, db_time
from simulators.runtime.timers import CoroutineFactory, DurableTimers, Scheduler, TimerHandler

__all__ = ["NETWORK", "Network", "SendRequest", "TimerHandler"]

_log = logging.getLogger("simulators.network")


class Network:
    """One exchange network: journal, clock, deliveries, faults. Create with `await Network.open(...)`.

    A facade over its parts: `accepting` (sends), `mailboxes` (pulls), `acknowledging` (acks) and
    the `pusher` (push deliveries); it keeps what they share (journal, clock, faults, webhooks,
    refusals) and the reads, timers and resets the channels use.
    """

    def __init__(self, journal: Journal, clock: Clock, *, allow_remote_webhooks: bool = False,
                 refusals: RefusalBudget | None = None) -> None:
        self.journal = journal
        self.refusals = refusals or RefusalBudget()
        self.clock = clock
        self.faults = FaultSet()
        self.scheduler = Scheduler(clock)
        self.allow_remote_webhooks = allow_remote_webhooks
        self.webhooks: dict[tuple[str, str], str] = {}  # (party, channel) -> URL; changed in place only
        self.durable_timers = DurableTimers(journal, self.scheduler)
        self.reset_callbacks: list[Callable[[], Awaitable[None]]] = []
        self.pusher = Pusher(self)
        self.accepting = Accepting(journal, clock, self.webhooks, self.refuse, self.pusher.kick)
        self.acknowledging = Acknowledging(journal, clock, self.refuse)
        self.mailboxes = MailboxPages(journal, self.faults)
        # The parts' own methods, handed out as they are: no extra coroutine layer on every send, pull
        # and acknowledgement. (Documented on each part.)
        self.accept = self.accepting.accept
        self.mailbox = self.mailboxes.mailbox
        self.mailbox_json = self.mailboxes.mailbox_json
        self.ack = self.acknowledging.ack
        self.ack_many = self.acknowledging.ack_many
        self.ack_many_json = self.acknowledging.ack_many_json

    @classmethod
    async def open(cls, journal: Journal, clock: Clock, *, allow_remote_webhooks: bool = False,
                   refusals: RefusalBudget | None = None) -> Network:
        network = cls(journal, clock, allow_remote_webhooks=allow_remote_webhooks, refusals=refusals)
        await network._load()
        return network

    async def _load(self) -> None:
        await self.accepting.load()

        def state(conn: Any) -> tuple[list[tuple[str, str, str]], list[str]]:
            hooks = conn.execute("SELECT party, channel, url FROM webhooks").fetchall()
            faults = [r[0] for r in conn.execute("SELECT spec FROM faults ORDER BY position")]
            return hooks, faults

        hooks, faults = await self.journal.read(state)
        self.webhooks.clear()
        self.webhooks.update({(p, c): u for p, c, u in hooks})
        self.faults.replace([Fault.model_validate_json(f) for f in faults])

    async def start(self) -> None:
        """Arm durable timers and resume pending pushes; call once every channel has been set up."""
        await self.durable_timers.arm_pending()
        self.pusher.start()

    async def close(self) -> None:
        await self.pusher.close()
        await self.scheduler.close()

    # -- reading ----------------------------------------------------------------------------------

    @staticmethod
    def can_see(envelope: Envelope, party: str) -> bool:
        return can_see(envelope, party)

    async def message(self, message_id: str) -> MessageView | None:
        def work(conn: Any) -> MessageView | None:
            found = queries.message(conn, message_id)
            return queries.message_views(conn, [found[0]])[0] if found else None

        return await self.journal.read(work)

    async def case_messages(self, channel: ChannelName, case_id: str) -> list[MessageView]:
        segment = self.journal.segment
        return await self.journal.read(
            lambda c: queries.message_views(c, queries.case_messages(c, channel.value, case_id, segment))
        )

    async def traffic(self, query: queries.TrafficFilter) -> list[MessageView]:
        return await self.journal.read(lambda c: queries.message_views(c, queries.traffic(c, query)))

    # -- access refusals --------------------------------------------------------------------------

    async def refuse(self, party: str | None, action: str, detail: str, *,
                     answer: ProblemError | None = None) -> None:
        """Journal a refused access attempt and raise the 403 problem for it (always raises).

        `answer`: the problem to raise instead of 403, where a 403 would tell the caller that what it
        named exists (another party's message, case or delivery answers as one that does not exist).
        Beyond the caller's budget of journaled refusals (`RefusalBudget`), the burst is journaled
        once and further refusals are answered 429 (or `answer`) without a journal entry.
        """
        who = party or "(control)"
        verdict = self.refusals.judge(who)
        if verdict is not RefusalDecision.QUIET:
            now = self.clock.now()
            if verdict is RefusalDecision.BURST:
                detail = (f"{detail} [refusal burst: more than {self.refusals.limit} refusals within "
                          f"{self.refusals.window_seconds:g} s; further ones are answered 429 and not journaled]")
            entry = {"party": party, "action": action, "detail": detail}
            await self.journal.append(
                "access.refused",
                entry,
                at=now,
                statements=[(
                    "INSERT INTO audit(journal_seq, at, party, action, detail) VALUES (?,?,?,?,?)",
                    (ENTRY_SEQ, db_time(now), party, action, detail),
                )],
            )
        if answer is not None:
            raise answer
        if verdict is RefusalDecision.QUIET:
            raise ProblemError(
                429, "Too many refused requests",
                f"{who} was refused more than {self.refusals.limit} times within {self.refusals.window_seconds:g} s; "
                "the burst is logged once",
                slug="too-many-refusals", headers={"Retry-After": str(self.refusals.retry_after(who))})
        raise ProblemError(
            403,
            "Forbidden",
            f"{party or 'the caller'} may not {detail}; the attempt is logged",
            slug="forbidden",
        )

    # -- timers -----------------------------------------------------------------------------------

    def schedule_at(self, moment: datetime, name: str, factory: CoroutineFactory) -> None:
        """Run `factory()` when the network time reaches `moment` (in memory; see schedule_durable)."""
        self.scheduler.schedule_at(moment, name, factory)

    def register_timer(self, kind: str, handler: TimerHandler) -> None:
        """Handler for durable timers of `kind`; register in `setup`, before the network starts."""
        self.durable_timers.register(kind, handler)

    async def schedule_durable(self, moment: datetime, kind: str, key: str, params: dict[str, Any]) -> None:
        """Persist a timer; `handler(params)` of `kind` runs at `moment`, also after a restart."""
        await self.durable_timers.schedule(moment, kind, key, params)

    # -- reset ------------------------------------------------------------------------------------

    def on_reset(self, callback: Callable[[], Awaitable[None]]) -> None:
        """`callback()` runs after a control reset, to drop a channel's in-memory state."""
        self.reset_callbacks.append(callback)


NETWORK = web.AppKey("network", Network)
