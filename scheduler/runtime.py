"""What a job runs on: the configuration as the file is now, and the process's shared
engines and per-thread services.

Each job run rebuilds an `AppState` from the configuration (the file is parsed again only
when it has changed; the process keeps one engine per database and one `Service` per worker
thread). A scheduler process runs every job on its own config (`set_process_config`), not
on the path stored with the job, which is that of whichever scheduler last reconciled a
shared job store.
"""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler import clock as _clock
from scheduler.schedule import ScheduleSettings, key_text, schedule_settings_from_dict

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from internscout.app import AppState
    from internscout.config import AppConfig


# -- loading the configuration in a job -------------------------------------------------------


# Jobs rebuild their state from the config file on every run; a file that has not changed
# since the last run in this process is not parsed again (keyed by its stat).
_CACHE_SIZE = 8
_cache: dict[tuple[Any, ...], Any] = {}


def _file_key(path: Path | None) -> tuple[Any, ...] | None:
    if path is None:
        return None
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


_cache_lock = threading.RLock()


def _cached(key: tuple[Any, ...] | None, build: Callable[[], Any]) -> Any:
    if key is None:
        return build()
    with _cache_lock:  # jobs run in a thread pool
        if key not in _cache:
            if len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = build()
        return _cache[key]


def _raw_config(config: AppConfig) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        if config.path is None or not Path(config.path).exists():
            return {}
        with open(config.path, "rb") as fh:
            return tomllib.load(fh)

    key = _file_key(config.path)
    return _cached(("raw", *key) if key else None, read)  # type: ignore[no-any-return]


def schedule_from_config(config: AppConfig) -> ScheduleSettings | None:
    """The config's [schedule] (None: the file has none). Uses `config.schedule` once the
    config loader provides it, else reads the table from the file."""
    if hasattr(config, "schedule"):
        return config.schedule  # type: ignore[no-any-return]

    def parse() -> ScheduleSettings | None:
        data = _raw_config(config)
        if "schedule" not in data:
            return None
        return schedule_settings_from_dict(
            data["schedule"], config.profiles, f"{config.path}: schedule", sources=config.sources
        )

    key = _file_key(config.path)
    return _cached(("schedule", *key) if key else None, parse)  # type: ignore[no-any-return]


def delivery_from_config(config: AppConfig) -> Any:
    """The config's [delivery] settings (`config.delivery` once the loader provides it)."""
    if hasattr(config, "delivery"):
        return config.delivery
    from scheduler.delivery_settings import DeliverySettings, delivery_settings_from_dict

    def parse() -> Any:
        data = _raw_config(config)
        if "delivery" not in data:
            return DeliverySettings()
        base = Path(config.path).parent if config.path else None
        return delivery_settings_from_dict(
            data["delivery"], f"{config.path}: delivery", os.environ, base=base
        )

    key = _file_key(config.path)
    # The SMTP password comes from the environment: part of the key.
    env = tuple(sorted(os.environ.items()))
    return _cached(("delivery", *key, env) if key else None, parse)


def check_digest_delivery(config: AppConfig, settings: ScheduleSettings) -> None:
    """Raise ValueError when a scheduled digest asks for a channel [delivery] does not set up
    (checked when the scheduler starts, not at 8 a.m.)."""
    if not settings.digests:
        return
    delivery = delivery_from_config(config)
    configured = set(delivery.configured_channels)
    for digest in settings.digests:
        where = f"{config.path}: schedule.digests.{key_text(digest.profile)}"
        chosen = set(digest.channels) if digest.channels is not None else configured
        if not chosen:
            raise ValueError(
                f"{where}: no delivery channel: set [delivery] out_dir, feed_dir or [delivery.smtp]"
            )
        missing = sorted(chosen - configured)
        if missing:
            need = {"email": "[delivery.smtp]", "files": "out_dir", "feed": "feed_dir"}
            raise ValueError(
                f"{where}.channels: {', '.join(missing)} asked for but [delivery] has no "
                + ", ".join(need[m] for m in missing)
            )
        if "email" in chosen and not config.profile(digest.profile).email:
            raise ValueError(
                f'{where}: profile {digest.profile!r} has no email: add email = "..." to its '
                '[[profiles]] table, or set channels without "email"'
            )


# -- the job's state ---------------------------------------------------------------------------


_process_config: tuple[str, str] | None = None


def set_process_config(config_path: str | None, db_url: str = "") -> None:
    """Run every job in this process on this config and database override, not on the ones
    stored with the job (those of whichever scheduler last reconciled a shared job store,
    perhaps on another host). None: use the stored ones again."""
    global _process_config
    _process_config = None if config_path is None else (config_path, db_url)


def job_state(config_path: str, db_url: str, clock: Callable[[], datetime] | None) -> AppState:
    """A fresh AppState on the config as the file is now (parsed again only if it changed)."""
    from internscout.app import AppState
    from internscout.config import load_config

    if _process_config is not None:
        config_path, db_url = _process_config
    path = Path(config_path) if config_path else None
    # parallel=False: jobs run in threads, and forking a threaded process is unsafe.
    state = AppState(
        config_path=path, db_url=db_url or None, clock=clock or _clock.now, parallel=False
    )
    key = _file_key(path)
    if key is not None:
        env_db = os.environ.get("INTERNSCOUT_DATABASE_URL")
        state._config = _cached(
            ("config", *key, db_url, env_db), lambda: load_config(path, db_url or None)
        )
    # One engine per database per process, shared by the jobs (thread-safe, pooled): a job
    # neither pays for opening it nor recompiles its statements.
    state._engine = _engine_for(state.config().database_url)
    state._service = _service_for(state)
    return state


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
_generation = 0  # bumped by dispose_engines: services built on closed engines are dropped
_local = threading.local()  # per worker thread: its Service (not shared between threads)


def _service_for(state: AppState) -> Any:
    """This thread's Service for the state's engine, clock and weights: the fitted analyser
    and matcher are loaded once per thread, not once per job (it checks the stored fit's
    id on every use, so a refit by another process is still picked up)."""
    from internscout.service import Service

    weights = state.config().weights
    taxonomy = state.taxonomy()
    key = (_generation, state.engine(), state.clock, tuple(sorted(weights.items())),
           taxonomy.version)  # fmt: skip
    services = getattr(_local, "services", None)
    if services is None or services[0] != _generation:
        services = _local.services = (_generation, {})
    service = services[1].get(key)
    if service is None:
        service = services[1][key] = Service(
            state.engine(), state.clock, weights=weights, taxonomy=taxonomy
        )
    return service


def _engine_for(url: str) -> Engine:
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            import store

            engine = _engines[url] = store.make_engine(url)
        return engine


def dispose_engines() -> None:
    """Close the jobs' shared engines (at shutdown, or between tests)."""
    global _generation
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _generation += 1


def close_state(state: AppState | None) -> None:
    """End of a job: the shared engine and this thread's service stay for the next one."""
    if state is not None:
        state._service = None
        state._engine = None


__all__ = [
    "check_digest_delivery",
    "close_state",
    "delivery_from_config",
    "dispose_engines",
    "job_state",
    "schedule_from_config",
    "set_process_config",
]
