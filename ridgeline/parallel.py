"""Independent CPU work items in parallel threads, one torch thread each.

torch's batched ``eigh`` (LAPACK ``syevd`` per matrix) and the many small operations of an SCMS
iteration use a second core poorly, while independent items (the snapshots of a trajectory) run
side by side without sharing anything: each thread runs whole items with single-threaded kernels,
and torch releases the GIL inside its kernels. Results are returned in item order.
"""

import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

import torch

Item = TypeVar("Item")
Result = TypeVar("Result")


def default_workers(device) -> int:
    """Threads to spread items over: torch's intra-op thread count on the CPU, 1 on a GPU."""
    return 1 if torch.device(device).type != "cpu" else max(1, torch.get_num_threads())


@contextlib.contextmanager
def single_threaded_kernels():
    """Run torch kernels on one thread inside the block; restore the thread count after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def map_items(func: Callable[[Item], Result], items: Iterable[Item], workers: int,
              on_done: Callable[[int], None] | None = None) -> list[Result]:
    """``[func(item) for item in items]``, over ``workers`` threads when workers > 1.

    With several workers each thread runs single-threaded torch kernels, so that ``workers``
    threads use ``workers`` cores (never more threads than the job was given). ``on_done(k)`` is
    called in the calling thread, in item order, once result ``k`` is in (progress reporting).
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return _collect(map(func, items), on_done)
    with single_threaded_kernels(), ThreadPoolExecutor(max_workers=workers) as pool:
        return _collect(pool.map(func, items), on_done)


def _collect(results: Iterable[Result], on_done) -> list[Result]:
    out = []
    for k, result in enumerate(results):
        out.append(result)
        if on_done is not None:
            on_done(k)
    return out
