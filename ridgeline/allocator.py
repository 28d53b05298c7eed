"""Keep freed memory for reuse instead of handing it back to the system (glibc only).

The batched geometry allocates and frees arrays of 1-30 MB many times per second. glibc serves
such blocks with fresh ``mmap`` pages or trims them off the heap when they are freed, so every
allocation page-faults its memory in again: the dense moments of 600 queries in D = 32 took 4x
longer than with the memory kept (docs/benchmarks.md). :func:`retain_freed_memory` raises glibc's
mmap and trim thresholds so that freed blocks stay in the heap and are reused. It changes no
result, only where memory comes from; a process keeps at most ``trim_bytes`` of free heap.
Pipeline jobs call it (:func:`ridgeline.jobs.configure_job`); library users may call it once.
"""

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

#: glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3

#: Blocks below this size come from the heap (glibc's default rises only to 32 MiB).
DEFAULT_MMAP_BYTES = 256 * 1024 * 1024

#: Free heap kept before glibc returns memory to the system.
DEFAULT_TRIM_BYTES = 1024 * 1024 * 1024


def _glibc():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def retain_freed_memory(mmap_bytes: int = DEFAULT_MMAP_BYTES, trim_bytes: int = DEFAULT_TRIM_BYTES) -> bool:
    """Set glibc's mmap threshold to ``mmap_bytes`` and its trim threshold to ``trim_bytes``.

    Returns True when both were set, False where the C library is not glibc (nothing changes).
    """
    libc = _glibc()
    if libc is None:
        log.debug("not glibc: the allocator keeps its defaults")
        return False
    ok = libc.mallopt(M_MMAP_THRESHOLD, int(mmap_bytes)) == 1 and libc.mallopt(M_TRIM_THRESHOLD, int(trim_bytes)) == 1
    if not ok:
        log.warning("glibc refused mallopt(%d, %d): the allocator keeps its defaults", M_MMAP_THRESHOLD, mmap_bytes)
    return ok
