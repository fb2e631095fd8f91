"""Run crawls from another process: the subprocess client of `crawlers.run`.

Twisted's reactor cannot be restarted, so the CLI and the scheduler start every
crawl as `python -m crawlers.run` in a fresh process: `run_crawl_subprocess`
does that and returns the per-source report (see `crawlers.run` for the report
and progress-line formats); `crawl_command` builds the command line. Importing
this module does not import Scrapy.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

EXIT_OK = 0
EXIT_ALL_FAILED = 1
EXIT_USAGE = 2
# After a timeout, how long the crawl gets to shut down gracefully.
SHUTDOWN_GRACE_SECONDS = 60.0

# Prefix of the progress lines on stderr (see the module docstring).
PROGRESS_PREFIX = "@@progress "

# The directory holding the `crawlers` package, so a subprocess finds it even
# when the project is used from a source checkout rather than installed.
_PROJECT_ROOT = Path(__file__).resolve().parents[1]


class CrawlSubprocessError(RuntimeError):
    """The crawl subprocess did not produce a report (crash, timeout, bad output)."""

    def __init__(self, message: str, returncode: int | None = None, stderr: str | None = None):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


# ------------------------------------------------------------------ callers' API


def crawl_command(
    db_url: str,
    sources_file: str | os.PathLike[str],
    *,
    log_level: str = "INFO",
    settings: Mapping[str, Any] | None = None,
    python: str | None = None,
    progress: bool = False,
) -> list[str]:
    """The argv that crawls the sources in `sources_file` into `db_url`."""
    cmd = [
        python or sys.executable,
        "-m",
        "crawlers.run",
        "--db",
        db_url,
        "--sources",
        os.fspath(sources_file),
        "--log-level",
        log_level,
    ]
    if progress:
        cmd.append("--progress")
    for key, value in (settings or {}).items():
        text = value if isinstance(value, str) else json.dumps(value)
        cmd += ["--set", f"{key}={text}"]
    return cmd


def run_crawl_subprocess(
    db_url: str,
    sources: Sequence[Mapping[str, Any]],
    *,
    timeout: float | None = 3600.0,
    settings: Mapping[str, Any] | None = None,
    log_level: str = "INFO",
    stderr: int | IO[Any] | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Crawl `sources` in a fresh Python process and return its per-source report.

    `stderr` is passed to `subprocess.Popen` (None: the logs go to our stderr;
    `subprocess.PIPE`: captured and quoted in errors). On timeout the crawl is
    interrupted gracefully: sources still running are reported failed ("timed
    out ...") and close nothing. Raises `CrawlSubprocessError` when the process
    crashes, won't stop, or prints no valid report; a report where every source
    failed is returned normally.

    With `on_progress`, the crawl emits progress lines (see the module
    docstring); they are parsed out of its stderr and passed to `on_progress`
    in this thread, while every other stderr line goes where `stderr` says, as
    without it.
    """
    with tempfile.TemporaryDirectory(prefix="internscout-crawl-") as tmp:
        sources_file = Path(tmp) / "sources.json"
        sources_file.write_text(json.dumps(list(sources), default=str), encoding="utf-8")
        cmd = crawl_command(
            db_url,
            sources_file,
            log_level=log_level,
            settings=settings,
            progress=on_progress is not None,
        )
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        if on_progress is None:
            returncode, out, err, timed_out = _run_plain(cmd, env, timeout, stderr)
        else:
            returncode, out, err, timed_out = _run_with_progress(
                cmd, env, timeout, stderr, on_progress
            )
    err_text = _tail(err)
    if returncode not in (EXIT_OK, EXIT_ALL_FAILED):
        what = f"timed out after {timeout} s" if timed_out else "exited"
        raise CrawlSubprocessError(f"crawl {what} with code {returncode}", returncode, err_text)
    try:
        report = json.loads(out.decode("utf-8"))
        entries = report["sources"]
        if not isinstance(entries, list):
            raise TypeError("'sources' is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise CrawlSubprocessError(
            f"crawl printed no valid report: {exc}", returncode, err_text
        ) from exc
    if timed_out:
        for entry in entries:
            if entry.get("status") != "ok":
                entry["error"] = f"timed out after {timeout} s: {entry.get('error')}"
    return entries


def _run_plain(
    cmd: list[str], env: dict[str, str], timeout: float | None, stderr: int | IO[Any] | None
) -> tuple[int, bytes, bytes | None, bool]:
    """Run the crawl with stderr passed straight to Popen: (returncode, out, err, timed out)."""
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, env=env
    )
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # Ask for Scrapy's graceful shutdown first: running crawls stop
        # without closing anything and every source is still reported.
        timed_out = True
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=SHUTDOWN_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            raise CrawlSubprocessError(
                f"crawl timed out after {timeout} s and did not stop", stderr=_tail(err)
            ) from None
    except BaseException:
        # e.g. Ctrl-C here: the terminal sent SIGINT to the crawl too; give
        # it time to stop cleanly, but never leave it running behind us.
        _reap(proc, interrupt=False)
        raise
    return proc.returncode, out, err, timed_out


def _reap(proc: subprocess.Popen[bytes], *, interrupt: bool) -> None:
    """Let the crawl stop gracefully (after a SIGINT if `interrupt`), else kill it."""
    if interrupt and proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.send_signal(signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=SHUTDOWN_GRACE_SECONDS)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


_EOF = object()


class _StderrPump:
    """Read the crawl's stderr line by line in a thread: progress lines go to a
    queue, everything else where the caller's `stderr` argument says."""

    def __init__(self, stream: IO[bytes], target: int | IO[Any] | None):
        self.stream = stream
        self.target = target
        self.events: queue.Queue[Any] = queue.Queue()
        self.tail: collections.deque[bytes] = collections.deque(maxlen=200)
        self.thread = threading.Thread(target=self._run, name="crawl-stderr", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        prefix = PROGRESS_PREFIX.encode()
        try:
            for raw in iter(self.stream.readline, b""):
                if raw.startswith(prefix):
                    try:
                        event = json.loads(raw[len(prefix) :])
                    except ValueError:
                        event = None
                    if isinstance(event, dict):
                        self.events.put(event)
                        continue
                self.tail.append(raw)
                self._forward(raw)
        finally:
            self.events.put(_EOF)

    def _forward(self, raw: bytes) -> None:
        target = self.target
        try:
            if target in (subprocess.PIPE, subprocess.STDOUT, subprocess.DEVNULL):
                return  # captured (kept in `tail`) or discarded
            if target is None:
                sys.stderr.write(raw.decode("utf-8", "replace"))
                sys.stderr.flush()
            elif isinstance(target, int):
                os.write(target, raw)
            elif isinstance(target, io.TextIOBase):
                target.write(raw.decode("utf-8", "replace"))
                target.flush()
            else:
                target.write(raw)
                target.flush()
        except (OSError, ValueError):
            pass  # the caller's stream went away; keep draining the pipe

    def captured(self) -> bytes:
        return b"".join(self.tail)


def _run_with_progress(
    cmd: list[str],
    env: dict[str, str],
    timeout: float | None,
    stderr: int | IO[Any] | None,
    on_progress: Callable[[dict[str, Any]], None],
) -> tuple[int, bytes, bytes | None, bool]:
    """`_run_plain`, but stderr is read here so progress lines can be taken out."""
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert proc.stdout is not None and proc.stderr is not None
    chunks: list[bytes] = []
    stdout = proc.stdout
    reader = threading.Thread(
        target=lambda: chunks.append(stdout.read()), name="crawl-stdout", daemon=True
    )
    reader.start()
    pump = _StderrPump(proc.stderr, stderr)
    timed_out = False
    deadline = None if timeout is None else time.monotonic() + timeout
    stderr_done = False
    try:
        while not (stderr_done and proc.poll() is not None):
            wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))
            try:
                event = pump.events.get(timeout=wait)
            except queue.Empty:
                event = None
            if event is _EOF:
                stderr_done = True
                if proc.poll() is None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=wait or 0.1)
            elif event is not None:
                on_progress(event)
            if deadline is not None and time.monotonic() >= deadline and proc.poll() is None:
                if timed_out:
                    proc.kill()
                    proc.wait()
                    pump.thread.join(5)
                    raise CrawlSubprocessError(
                        f"crawl timed out after {timeout} s and did not stop",
                        stderr=_tail(pump.captured()),
                    )
                # Ask for Scrapy's graceful shutdown first (as without progress).
                timed_out = True
                proc.send_signal(signal.SIGINT)
                deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
    except CrawlSubprocessError:
        raise
    except KeyboardInterrupt:
        _reap(proc, interrupt=False)  # the terminal sent SIGINT to the crawl too
        raise
    except BaseException:
        _reap(proc, interrupt=True)  # e.g. the callback raised: stop the crawl cleanly
        raise
    reader.join()
    pump.thread.join()
    while True:  # progress lines read after the last loop turn
        try:
            event = pump.events.get_nowait()
        except queue.Empty:
            break
        if event is not _EOF:
            on_progress(event)
    return proc.returncode, b"".join(chunks), pump.captured(), timed_out


def _tail(data: bytes | str | None, limit: int = 4000) -> str | None:
    if data is None:
        return None
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text[-limit:]
