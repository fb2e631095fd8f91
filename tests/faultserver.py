"""A fault-injecting HTTP server on 127.0.0.1 for crawler tests (like Scrapy's mock server).

Routes map a path (query string ignored) to a behaviour, or to a function of
the request returning one:

* `Reply` (from `internscout.replay`): a normal response;
* `Status(code, retry_after=...)`: an error status, optionally with Retry-After;
* `Sleep(seconds, then)`: answer late (past the crawler's DOWNLOAD_TIMEOUT);
* `Drop()`: close the connection without sending a byte;
* `Truncate(body)`: announce a Content-Length, send less, close;
* `NoLength(body)`: send a body without Content-Length (ended by closing);
* `Redirect(location)`: a 302 (two routes redirecting to each other loop);
* `Script([...], then)`: the n-th request to the path gets the n-th behaviour.

`RandomFaults(rate, seed)` makes a share of all requests fail with a random
kind (5xx, dropped connection, truncated body, timeout). The draw is a hash of
(seed, path with query, attempt number at that path), so the same seed gives
the same failures whatever order concurrent requests arrive in.

Every request is logged in `hits` (arrival time, method, path with query,
attempt, what it got). The server is bounded in time: it stops by itself after
`lifetime` seconds, and sleeping handlers wake up when it stops.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from internscout.replay import ALLOW_ALL_ROBOTS, Reply

# ---------------------------------------------------------------- behaviours


@dataclass
class Status:
    code: int
    retry_after: str | None = None
    body: bytes = b"upstream trouble"
    content_type: str = "text/plain"


@dataclass
class Sleep:
    seconds: float
    then: Any = None  # a behaviour, sent if the client is still there


@dataclass
class Drop:
    pass


@dataclass
class Truncate:
    body: bytes
    announced: int | None = None  # default: twice the body
    content_type: str = "application/json; charset=utf-8"


@dataclass
class NoLength:
    body: bytes
    content_type: str = "application/json; charset=utf-8"


@dataclass
class Redirect:
    location: str
    status: int = 302


@dataclass
class Script:
    """The n-th request to the path (1-based) gets steps[n-1]; later ones `then`."""

    steps: Sequence[Any]
    then: Any = None

    def pick(self, attempt: int) -> Any:
        return self.steps[attempt - 1] if attempt <= len(self.steps) else self.then


@dataclass(frozen=True)
class FaultRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    attempt: int  # how many times this path with this query has been asked for, this one included


Handler = Callable[[FaultRequest], Any]


@dataclass
class RandomFaults:
    """Fail `rate` of the requests (except `exempt` paths) with a random kind."""

    rate: float
    seed: int
    kinds: dict[str, float] = field(
        default_factory=lambda: {
            "500": 3,
            "502": 1,
            "503": 2,
            "504": 1,
            "drop": 2,
            "truncate": 1,
            "timeout": 0.5,
        }
    )
    exempt: tuple[str, ...] = ("/robots.txt",)
    timeout_seconds: float = 2.0

    def _uniform(self, *parts: object) -> float:
        digest = hashlib.sha256(":".join(map(str, (self.seed, *parts))).encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def draw(self, target: str, attempt: int) -> str | None:
        """The fault kind for this request, or None for a normal answer."""
        if urlsplit(target).path in self.exempt:
            return None
        if self._uniform(target, attempt, "fail") >= self.rate:
            return None
        point = self._uniform(target, attempt, "kind") * sum(self.kinds.values())
        for kind, weight in self.kinds.items():
            point -= weight
            if point < 0:
                return kind
        return next(iter(self.kinds))

    def behaviour(self, kind: str) -> Any:
        if kind == "drop":
            return Drop()
        if kind == "truncate":
            return Truncate(b'{"jobs": [{"id": 1, "title": "cut sh')
        if kind == "timeout":
            return Sleep(self.timeout_seconds, Status(504))
        return Status(int(kind))


@dataclass
class Hit:
    at: float  # time.monotonic() on arrival
    wall: float  # time.time() on arrival
    method: str
    target: str  # path with query
    attempt: int
    outcome: str  # "200", "503", "drop", "timeout", ...

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


# ---------------------------------------------------------------- the server


class FaultServer:
    def __init__(
        self,
        routes: dict[str, Any] | None = None,
        *,
        robots: Any = None,
        random_faults: RandomFaults | None = None,
        lifetime: float = 120.0,
    ):
        self.routes: dict[str, Any] = dict(routes or {})
        self.routes.setdefault("/robots.txt", ALLOW_ALL_ROBOTS if robots is None else robots)
        self.random_faults = random_faults
        self.lifetime = lifetime
        self.hits: list[Hit] = []
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._timer: threading.Timer | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (still known after the server stopped)."""
        if self._base_url is None:
            raise RuntimeError("server not started")
        return self._base_url

    @property
    def host(self) -> str:
        return self.base_url.removeprefix("http://")

    # -- lifecycle

    def start(self) -> FaultServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                server._handle(self)

            do_GET = _serve
            do_HEAD = _serve
            do_POST = _serve

            def handle(self) -> None:
                # The client may go away (it timed out, or we dropped it).
                with suppress(OSError):
                    super().handle()

            def finish(self) -> None:
                with suppress(OSError):
                    super().finish()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        class _Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a dropped or timed-out connection is the point, not an error

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        host, port = self._httpd.server_address[:2]
        self._base_url = f"http://{host}:{port}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._timer is not None:
            self._timer.cancel()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()

    # -- introspection

    def paths(self) -> list[str]:
        with self._lock:
            return [h.path for h in self.hits]

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def clear(self) -> None:
        with self._lock:
            self.hits.clear()

    # -- serving

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        arrived, wall = time.monotonic(), time.time()
        parts = urlsplit(handler.path)
        with self._lock:
            attempt = self._attempts.get(handler.path, 0) + 1
            self._attempts[handler.path] = attempt
        request = FaultRequest(handler.command, parts.path, parse_qs(parts.query), attempt)
        behaviour: Any = None
        kind = self.random_faults.draw(handler.path, attempt) if self.random_faults else None
        if kind is not None:
            assert self.random_faults is not None
            behaviour = self.random_faults.behaviour(kind)
        else:
            route = self.routes.get(parts.path)
            behaviour = route(request) if callable(route) else route
            if isinstance(behaviour, Script):
                behaviour = behaviour.pick(attempt)
        if behaviour is None:
            behaviour = Reply.text("not found", status=404)
        hit = Hit(
            arrived, wall, handler.command, handler.path, attempt, kind or _outcome(behaviour)
        )
        with self._lock:
            self.hits.append(hit)
        self._perform(handler, behaviour)

    def _perform(self, handler: BaseHTTPRequestHandler, behaviour: Any) -> None:
        if isinstance(behaviour, Sleep):
            if self._stopped.wait(behaviour.seconds):
                return
            if behaviour.then is not None:
                self._perform(handler, behaviour.then)
            return
        if isinstance(behaviour, Drop):
            _close(handler)
            return
        if isinstance(behaviour, Reply):
            _send(
                handler, behaviour.status, behaviour.content_type, behaviour.body, behaviour.headers
            )
        elif isinstance(behaviour, Status):
            headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else {}
            _send(handler, behaviour.code, behaviour.content_type, behaviour.body, headers)
        elif isinstance(behaviour, Redirect):
            _send(handler, behaviour.status, "text/plain", b"", {"Location": behaviour.location})
        elif isinstance(behaviour, Truncate):
            announced = behaviour.announced or 2 * len(behaviour.body) + 1
            handler.send_response(200)
            handler.send_header("Content-Type", behaviour.content_type)
            handler.send_header("Content-Length", str(announced))
            handler.end_headers()
            handler.wfile.write(behaviour.body)
            handler.wfile.flush()
            _close(handler)
        elif isinstance(behaviour, NoLength):
            handler.send_response(200)
            handler.send_header("Content-Type", behaviour.content_type)
            handler.end_headers()
            handler.wfile.write(behaviour.body)
            handler.wfile.flush()
            _close(handler)
        else:
            raise TypeError(f"unknown behaviour {behaviour!r}")


def _outcome(behaviour: Any) -> str:
    if isinstance(behaviour, Reply | Status):
        return str(behaviour.status if isinstance(behaviour, Reply) else behaviour.code)
    if isinstance(behaviour, Sleep):
        return "timeout"
    return type(behaviour).__name__.lower()


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    content_type: str,
    body: bytes,
    headers: dict[str, str],
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def _close(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    with suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


@contextmanager
def fault_server(
    routes: dict[str, Any] | None = None,
    *,
    robots: Any = None,
    random_faults: RandomFaults | None = None,
    lifetime: float = 120.0,
) -> Iterator[FaultServer]:
    server = FaultServer(
        routes, robots=robots, random_faults=random_faults, lifetime=lifetime
    ).start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- boards and crawls for the tests


def greenhouse_jobs(board: str, count: int) -> dict[str, Any]:
    """A Greenhouse listing payload with `count` postings."""
    return {
        "jobs": [
            {
                "id": f"{board}-{n:04d}",
                "title": f"Research Intern {n}",
                "absolute_url": f"https://boards.example.com/{board}/jobs/{n}",
                "location": {"name": "Austin, TX"},
            }
            for n in range(count)
        ]
    }


def lever_postings(board: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{board}-{n:04d}",
            "text": f"Data Intern {n}",
            "hostedUrl": f"https://jobs.example.com/{board}/{n}",
            "categories": {"commitment": "Intern", "location": "Remote"},
            "descriptionPlain": "Help us study things.",
        }
        for n in range(count)
    ]


def lever_pages(postings: list[dict[str, Any]]) -> Handler:
    """A Lever route answering ?skip=&limit= from `postings`."""

    def handler(request: FaultRequest) -> Reply:
        skip = int(request.query.get("skip", ["0"])[0])
        limit = int(request.query.get("limit", ["100"])[0])
        return Reply.json(postings[skip : skip + limit])

    return handler


def greenhouse_source(server: FaultServer, board: str, name: str | None = None) -> dict[str, Any]:
    return {
        "name": name or board,
        "kind": "greenhouse",
        "board": board,
        "base_url": server.base_url,
    }


def lever_source(
    server: FaultServer, board: str, page_size: int, name: str | None = None
) -> dict[str, Any]:
    return {
        "name": name or board,
        "kind": "lever",
        "board": board,
        "base_url": server.base_url,
        "page_size": page_size,
    }
