"""Worker processes for the matcher's batch work (classification, text vectors, scoring).

Results never depend on the number of workers: work is split into contiguous chunks and the
chunks' results are put back in input order.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def mp_context() -> multiprocessing.context.BaseContext:
    # fork shares fitted models with the workers without pickling them; elsewhere (no fork)
    # they are pickled once per worker.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def worker_count(n_jobs: int | None, n_items: int, min_items: int, per_worker: int = 500) -> int:
    """Workers to use: 1 for None/1 or batches under ``min_items``; -1 means every CPU; never
    more than one per ``per_worker`` items (a process costs more than small chunks save)."""
    if n_jobs is None or n_jobs == 1 or n_items < min_items:
        return 1
    cpus = os.cpu_count() or 1
    return max(1, min(cpus if n_jobs < 0 else n_jobs, -(-n_items // per_worker)))


_SHARED: dict[str, Any] = {}


def _init_shared(
    items: Sequence[Any], initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    # A forked worker's collector would otherwise walk every object inherited from the
    # parent (and write to their pages, copying them); they are none of its garbage.
    gc.freeze()
    # One BLAS thread per worker: the workers already use every CPU between them.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    _SHARED["items"] = items
    if initializer is not None:
        initializer(*initargs)


def _run_on(fn: Callable[[list[Any]], R], indices: list[int]) -> R:
    items = _SHARED["items"]
    return fn([items[i] for i in indices])


def map_index_chunks(
    fn: Callable[[list[T]], R],
    items: Sequence[T],
    chunks: Sequence[list[int]],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> list[R]:
    """``fn`` over the items at each chunk's indices, in ``workers`` processes, in order.

    The items reach the workers once, when they start (with fork, not even copied), and
    each task sends only its indices: sending every item with its task would cost the
    parent about as much as the work it hands out.
    """
    if workers <= 1:
        return [fn([items[i] for i in idx]) for idx in chunks]
    with (
        ProcessPoolExecutor(
            workers, mp_context(), _init_shared, (items, initializer, initargs)
        ) as pool,
        paused_gc(),  # unpickling the results makes many objects and frees none
    ):
        return list(pool.map(partial(_run_on, fn), chunks))


def map_chunks(
    fn: Callable[[list[T]], R],
    items: Sequence[T],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    chunks_per_worker: int = 4,
) -> list[R]:
    """``fn`` over contiguous chunks of ``items`` in ``workers`` processes, in input order.

    ``fn`` (and ``initializer``) must be module-level functions. A few chunks per worker
    even out uneven chunks without paying per-item inter-process costs.
    """
    if workers <= 1:
        return [fn(list(items))]
    size = max(1, -(-len(items) // (workers * chunks_per_worker)))
    chunks = [list(range(i, min(i + size, len(items)))) for i in range(0, len(items), size)]
    return map_index_chunks(fn, items, chunks, workers, initializer, initargs)


def _run_task(fn: Callable[[Any, int], R], i: int) -> R:
    return fn(_SHARED["items"], i)


def imap_tasks(fn: Callable[[Any, int], R], shared: Any, n_tasks: int, workers: int) -> Iterator[R]:
    """``fn(shared, i)`` for i in 0..n_tasks-1 in ``workers`` processes, yielded in order: the
    caller handles one result (stores it, say) while the workers compute the next ones.

    ``shared`` reaches each worker once, when it starts (with fork, without a copy). At most
    ``workers + 1`` tasks are pending at a time (one queued for the first worker to be free),
    so memory stays bounded.
    """
    if workers <= 1 or n_tasks <= 1:
        for i in range(n_tasks):
            yield fn(shared, i)
        return
    with (
        ProcessPoolExecutor(workers, mp_context(), _init_shared, (shared, None, ())) as pool,
        paused_gc(),  # results are unpickled in a thread of this process, at any time
    ):
        running: deque[Future[R]] = deque(
            pool.submit(_run_task, fn, i) for i in range(min(workers + 1, n_tasks))
        )
        submitted = len(running)
        while running:
            result = running.popleft().result()
            if submitted < n_tasks:
                running.append(pool.submit(_run_task, fn, submitted))
                submitted += 1
            yield result


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector around building many small acyclic objects.

    Each full collection walks every live object; a batch of 100,000 postings triggers many
    of them while it allocates and none frees anything. Reference counting still frees
    memory as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
