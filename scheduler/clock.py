"""Clock injection for APScheduler 3 and the scheduled jobs, for deterministic tests.

APScheduler 3 reads the time with ``datetime.now(...)`` in exactly two modules,
``apscheduler.schedulers.base`` (due jobs, next run times) and ``apscheduler.executors.base``
(misfire checks). ``use_clock(clock)`` swaps those modules' ``datetime`` name for a subclass
whose ``now(tz)`` returns ``clock()`` converted to ``tz``, and makes ``now()`` here (the clock
the job functions in ``scheduler.jobs`` read) return ``clock()`` too; everything is restored
when the block ends. Nothing else in APScheduler asks for the time once triggers are built
with explicit start dates (``scheduler.triggers`` always passes one).

``ManualScheduler`` is a ``BaseScheduler`` without a thread: ``wakeup()`` does nothing and
``tick()`` processes due jobs once, in the caller's thread (``DebugExecutor`` by default), so
a test moves the clock, ticks, and asserts. The production daemon uses ``BlockingScheduler``
with a thread pool and the real clock (``utc_now``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo

from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock (timezone-aware UTC)."""
    return datetime.now(UTC)


_lock = threading.Lock()
_current: Clock = utc_now


def now() -> datetime:
    """The time the scheduled jobs use: the real clock unless `use_clock` is active."""
    value = _current()
    if value.tzinfo is None:
        raise ValueError(f"clock returned a naive datetime {value!r}: return an aware one")
    return value


def current_clock() -> Clock:
    return _current


def _clock_datetime(clock: Clock) -> type[datetime]:
    class ClockDatetime(datetime):
        """`datetime` whose `now()` is the injected clock's time (other methods unchanged)."""

        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            value = clock()
            if value.tzinfo is None:
                raise ValueError(f"clock returned a naive datetime {value!r}")
            if tz is None:
                return value.astimezone().replace(tzinfo=None)  # naive local, as datetime.now()
            return value.astimezone(tz)

    return ClockDatetime


_PATCHED_MODULES = ("apscheduler.schedulers.base", "apscheduler.executors.base")


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Make APScheduler and the job functions read `clock()` (aware datetimes) in this block."""
    import importlib

    global _current
    modules = [importlib.import_module(name) for name in _PATCHED_MODULES]
    fake = _clock_datetime(clock)
    with _lock:
        saved = [m.datetime for m in modules]  # type: ignore[attr-defined]
        saved_current = _current
        for m in modules:
            m.datetime = fake  # type: ignore[attr-defined]
        _current = clock
    try:
        yield clock
    finally:
        with _lock:
            for m, original in zip(modules, saved, strict=True):
                m.datetime = original  # type: ignore[attr-defined]
            _current = saved_current


class ManualScheduler(BaseScheduler):
    """A scheduler that runs due jobs only when `tick()` is called (no thread, no waiting)."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:
        pass  # nothing to wake: the caller decides when to tick

    def tick(self) -> float | None:
        """Run every due job once (catch-up runs coalesced as configured); the seconds until
        the next one is due, or None when no job is scheduled."""
        return self._process_jobs()

    def _create_default_executor(self) -> DebugExecutor:
        return DebugExecutor()


__all__ = ["Clock", "ManualScheduler", "current_clock", "now", "use_clock", "utc_now"]
