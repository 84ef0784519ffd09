"""One HTTP call path for the harness: JSON in and out, network time read from each answer, and
every state-changing call recorded in the ledger with its raw request and response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import orjson

from conformance.ledger import Ledger

__all__ = ["HttpCaller", "HttpProblem", "Reply", "parse_time"]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    network_time: datetime | None


class HttpProblem(Exception):
    """A call that did not succeed; carries the RFC 9457 problem (or raw body) the server answered."""

    def __init__(self, method: str, url: str, status: int, body: Any) -> None:
        self.method, self.url, self.status, self.body = method, url, status, body
        detail = body.get("detail") or body.get("title") if isinstance(body, dict) else str(body)[:300]
        super().__init__(f"{method} {url} -> {status}: {detail}")


class HttpCaller:
    """JSON calls against one base URL with one bearer token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        ledger: Ledger,
        *,
        token: str | None = None,
        now: Callable[[], datetime],
        timeout: float = 30.0,
        network_time: Callable[[], datetime | None] | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.ledger = ledger
        self.token = token
        self._now = now
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        # The network time the harness set last, told with every call (X-Network-Time) while it owns the clock.
        self._network_time = network_time
        # Calls made so far: a campaign step whose scenarios made none changed nothing the SUT must settle on.
        self.calls = 0
        # Awaited before every call: the campaign's timeline moves a clock move it deferred (Timeline.defer_to).
        self.before: Callable[[], Awaitable[None]] | None = None

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        record: str | None = None,
        actor: str = "control",
        scenario: str | None = None,
        allowed: tuple[int, ...] = (),
    ) -> Reply:
        """Make the call; `record` names the ledger action (None = a read that is not recorded).

        Raises HttpProblem for a status >= 400 unless it is in `allowed`.
        """
        if self.before is not None:
            await self.before()
        self.calls += 1
        all_headers = {"Accept": "application/json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        told = self._network_time() if self._network_time is not None else None
        if told is not None:
            all_headers["X-Network-Time"] = told.isoformat().replace("+00:00", "Z")
        all_headers.update(headers or {})
        url = self.url(path)
        data: bytes | None = None
        if body is not None:
            # orjson: a campaign makes about a thousand calls, most of them reading the journal.
            data = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
            all_headers["Content-Type"] = "application/json"
        async with self.session.request(
            method, url, data=data, params=params, headers=all_headers, timeout=self._timeout
        ) as response:
            raw = await response.read()
            status = response.status
            stamp = response.headers.get("X-Network-Time")
        parsed: Any
        try:
            parsed = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            parsed = raw.decode("utf-8", errors="replace")
        network_time = parse_time(stamp) if stamp else None
        if record is not None:
            self.ledger.record(
                at=network_time or self._now(), actor=actor, what=record, scenario=scenario, method=method,
                url=url, request=body, status=status, response=parsed,
                error=None if status < 400 else _problem_text(parsed),
            )
        if status >= 400 and status not in allowed:
            raise HttpProblem(method, url, status, parsed)
        return Reply(status, parsed, network_time)


def _problem_text(body: Any) -> str:
    if isinstance(body, dict):
        parts = [str(body.get("title") or ""), str(body.get("detail") or "")]
        errors = body.get("errors")
        if isinstance(errors, list):
            parts += [f"{e.get('field')}: {e.get('rule')}" for e in errors if isinstance(e, dict)]
        return "; ".join(p for p in parts if p)
    return str(body)[:500]
