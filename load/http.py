"""A small blocking JSON client for the load runner and its reconciliation (outside locust's users).

Blocking on purpose: the runner is a plain process that starts locust in processes of its own, and
locust's gevent must never share an event loop with aiohttp.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

__all__ = ["JsonClient", "LoadHttpError"]


class LoadHttpError(RuntimeError):
    def __init__(self, method: str, url: str, status: int | None, detail: str) -> None:
        super().__init__(f"{method} {url}: {status or 'no answer'} {detail}".strip())
        self.status = status


class JsonClient:
    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(
        self, method: str, path: str, *, body: Any = None, params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        url = self.base_url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                text = answer.read()
        except urllib.error.HTTPError as exc:
            raise LoadHttpError(method, url, exc.code, exc.read()[:500].decode(errors="replace")) from None
        except (urllib.error.URLError, OSError) as exc:
            raise LoadHttpError(method, url, None, str(exc)) from None
        return json.loads(text) if text else None

    def get(self, path: str, **params: str) -> Any:
        return self.call("GET", path, params=params or None)
