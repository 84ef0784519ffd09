"""The CMS's connection to the channels (SIENA, SIRENE, Interpol I-24/7), over HTTP only.

The CMS logs in as each of its state's parties with that party's token from the credentials file
the channel server wrote (never with the control token). Every response's `X-Network-Time` goes to
the clock. A 503 or a refused connection is `ChannelUnavailable` (the CMS may fall back to another
channel, Art 13(2)(c)); any other refusal is `ChannelRejected` with the server's problem document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from yarl import URL

from simulators.model.channels import channel_spec
from simulators.reference_cms.clock_follower import CmsClock, parse_network_time

__all__ = [
    "ChannelError",
    "ChannelRejected",
    "ChannelUnavailable",
    "ChannelsClient",
    "load_party_tokens",
]

# Real seconds the channels may hold a clock long poll (`GET /clock?after=`) before answering with an unchanged time.
CLOCK_WATCH_SECONDS = 5.0


class ChannelError(Exception):
    def __init__(self, channel: str, status: int | None, detail: str, problem: Mapping[str, Any] | None = None):
        super().__init__(f"{channel}: {status or 'no answer'}: {detail}")
        self.channel = channel
        self.status = status
        self.detail = detail
        self.problem = dict(problem or {})


class ChannelUnavailable(ChannelError):
    """The channel cannot be used right now (503, connection refused, timeout)."""


class ChannelRejected(ChannelError):
    """The channel answered and refused the message (4xx or a 5xx other than 503)."""


def load_party_tokens(path: Path, state: str) -> dict[str, str]:
    """The tokens of the state's own parties from the channel server's credentials file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read credentials file {path}: {exc}") from None
    parties = data.get("parties") if isinstance(data, dict) else None
    if not isinstance(parties, dict):
        raise ValueError(f"credentials file {path} has no 'parties' object")
    suffix = f"-{state}"
    own = {pid: str(token) for pid, token in parties.items() if isinstance(pid, str) and pid.endswith(suffix)
           and pid.count("-") == 1}
    if f"SPOC-{state}" not in own:
        raise ValueError(f"credentials file {path} holds no token for SPOC-{state}")
    return own


class ChannelsClient:
    def __init__(self, base_url: str, tokens: Mapping[str, str], clock: CmsClock, *, key_scope: str,
                 timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        # Every Idempotency-Key is sent under the installation's id (Store.instance_id): the callers' keys
        # (case id, what, counter) repeat from one installation to the next, the scoped keys never do.
        self._key_scope = key_scope
        self._tokens = dict(tokens)
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, URL] = {}

    @property
    def parties(self) -> list[str]:
        return sorted(self._tokens)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # orjson writes a message's body at a tenth of json's cost (every answer the CMS sends is one); the
            # channels set no cookies, so none are kept or looked up per request.
            self._session = aiohttp.ClientSession(timeout=self._timeout, json_serialize=_json_text,
                                                  cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _url(self, path: str) -> URL:
        """The parsed URL of a path on the channels: parsed once per path (a handful: each channel's send and
        mailbox paths), not per request."""
        url = self._urls.get(path)
        if url is None:
            url = URL(self.base_url + path)
            if len(self._urls) < 256:  # a mailbox path carries its cursor: a bound, not a cache of every one
                self._urls[path] = url
        return url

    def _headers(self, party: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if party is not None:
            headers["Authorization"] = f"Bearer {self._tokens[party]}"
        headers.update(extra or {})
        return headers

    async def _call(
        self, method: str, path: str, channel: str, party: str | None, body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        try:
            async with self._http().request(
                method, self._url(path), json=body, headers=self._headers(party, headers)
            ) as response:
                self._clock.observe_header(response.headers.get("X-Network-Time"))
                raw = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientConnectionError, OSError) as exc:
            raise ChannelUnavailable(channel, None, f"{method} {path}: {type(exc).__name__}: {exc}") from None
        try:
            document = orjson.loads(raw) if raw else None
        except ValueError:  # orjson.JSONDecodeError is one
            document = {"detail": raw.decode("utf-8", "replace")[:500]}
        problem = document if isinstance(document, dict) else None
        if status == 503:
            raise ChannelUnavailable(channel, status, _detail(document), problem)
        if status >= 400:
            raise ChannelRejected(channel, status, _detail(document), problem)
        return status, document

    async def read_clock(self) -> tuple[datetime, str]:
        _, document = await self._call("GET", "/clock", "CLOCK", None)
        return parse_network_time(str(document["now"])), str(document.get("mode", "system"))

    async def watch_clock(self, after: datetime) -> tuple[datetime, str]:
        """The network time once it is later than `after` (the channels' long poll), or the same time after a while."""
        query = {"after": after.isoformat(), "wait": str(CLOCK_WATCH_SECONDS)}
        timeout = aiohttp.ClientTimeout(total=CLOCK_WATCH_SECONDS + 5.0)
        try:
            async with self._http().get(self.base_url + "/clock", params=query, timeout=timeout,
                                        headers=self._headers(None)) as response:
                status = response.status
                document = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientConnectionError, OSError, ValueError) as exc:
            raise ChannelUnavailable("CLOCK", None, f"GET /clock?after: {type(exc).__name__}: {exc}") from None
        if status >= 400 or not isinstance(document, dict):
            raise ChannelRejected("CLOCK", status, _detail(document), document if isinstance(document, dict) else None)
        return parse_network_time(str(document["now"])), str(document.get("mode", "system"))

    async def send(self, channel: str, party: str, body: Mapping[str, Any], idempotency_key: str) -> dict[str, Any]:
        """Send one message as `party` (`idempotency_key` unique within this installation); the stored envelope."""
        _, document = await self._call("POST", channel_spec(channel).send_path, channel, party, dict(body),
                                       {"Idempotency-Key": f"{self._key_scope}:{idempotency_key}"})
        if not isinstance(document, dict) or "message_id" not in document:
            raise ChannelRejected(channel, 502, "the channel answered without a message envelope")
        return document

    async def register_webhook(self, channel: str, party: str, url: str) -> None:
        await self._call("PUT", f"{channel_spec(channel).url_prefix}/webhook", channel, party, {"url": url})

    async def remove_webhook(self, channel: str, party: str) -> None:
        await self._call("DELETE", f"{channel_spec(channel).url_prefix}/webhook", channel, party)

    async def mailbox(self, channel: str, party: str, after: int, limit: int = 100) -> dict[str, Any]:
        _, document = await self._call("GET", f"{channel_spec(channel).url_prefix}/mailbox?after={after}&limit={limit}",
                                       channel, party)
        return document if isinstance(document, dict) else {"deliveries": [], "next_cursor": after}

    async def ack_many(self, channel: str, party: str, delivery_ids: list[str]) -> None:
        """Acknowledge a mailbox page in one call (the channels take up to 1000 ids)."""
        for start in range(0, len(delivery_ids), 1000):
            await self._call("POST", f"{channel_spec(channel).url_prefix}/mailbox/ack", channel, party,
                             {"delivery_ids": delivery_ids[start:start + 1000], "status": "DELIVERED"})


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # what orjson cannot write (an integer beyond 64 bits), json can
        return json.dumps(value)


def _detail(document: Any) -> str:
    if isinstance(document, dict):
        detail = str(document.get("detail") or document.get("title") or "")
        errors = document.get("errors")
        if isinstance(errors, list) and errors:
            named = [f"{e.get('field')}: {e.get('rule')}" for e in errors if isinstance(e, dict)]
            detail += " [" + "; ".join(named) + "]"
        return detail
    return str(document)[:500]
