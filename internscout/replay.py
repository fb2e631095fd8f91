"""A small HTTP server on 127.0.0.1 that replays recorded payloads.

Used by `internscout demo` and by the tests: routes map a path (query string
ignored unless a route names it) to a fixed response, so real spiders can crawl
real code paths without the network.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    body: bytes
    status: int = 200
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Reply:
        return cls(json.dumps(data).encode("utf-8"), status=status)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Reply:
        return cls(text.encode("utf-8"), status=status, content_type=content_type)


# A handler receives the path and parsed query and returns a Reply (or None for 404).
# One marked with `wants_body = True` (see `with_body`) also receives the request body.
Handler = Callable[[str, dict[str, list[str]]], "Reply | None"]


def with_body(handler: Callable[[str, dict[str, list[str]], bytes], Reply | None]) -> Handler:
    """Mark a handler that needs the request body (POST APIs such as Workday's)."""
    handler.wants_body = True  # type: ignore[attr-defined]
    return handler  # type: ignore[return-value]


ALLOW_ALL_ROBOTS = Reply.text("User-agent: *\nAllow: /\n")


class ReplayServer:
    """Serve `routes` (path -> Reply or handler) until `stop()`.

    Every request is logged in `requests` (method, path with query) so tests
    can assert what a crawler did and did not fetch.
    """

    def __init__(
        self, routes: dict[str, Reply | Handler] | None = None, robots: Reply | None = None
    ):
        self.routes: dict[str, Reply | Handler] = dict(routes or {})
        if "/robots.txt" not in self.routes:
            self.routes["/robots.txt"] = robots or ALLOW_ALL_ROBOTS
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                with server._lock:
                    server.requests.append((self.command, self.path))
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                route = server.routes.get(parts.path)
                reply: Reply | None
                if route is None:
                    reply = None
                elif isinstance(route, Reply):
                    reply = route
                elif getattr(route, "wants_body", False):
                    reply = route(parts.path, parse_qs(parts.query), body)  # type: ignore[call-arg]
                else:
                    reply = route(parts.path, parse_qs(parts.query))
                if reply is None:
                    reply = Reply.text("not found", status=404)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = _serve
            do_HEAD = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test and demo output clean

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def paths_requested(self) -> list[str]:
        with self._lock:
            return [urlsplit(p).path for _, p in self.requests]


@contextmanager
def serving(
    routes: dict[str, Reply | Handler] | None = None, robots: Reply | None = None
) -> Iterator[ReplayServer]:
    server = ReplayServer(routes, robots=robots).start()
    try:
        yield server
    finally:
        server.stop()
