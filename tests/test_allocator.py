"""ridgeline.allocator: with glibc, freed blocks of tens of MB are reused instead of page-faulted in
afresh on every allocation; a control process without it pays the page faults."""

import subprocess
import sys

import pytest

from ridgeline.allocator import _glibc

PROGRAM = """
import resource, sys
import numpy as np
if sys.argv[1] == "retain":
    from ridgeline.allocator import retain_freed_memory
    assert retain_freed_memory()

def work():  # three 23 MiB temporaries, as a batched step makes them
    a = np.ones(3_000_000)
    return (a * 2 + a).sum()

work()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    work()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(_glibc() is None, reason="the allocator settings exist only with glibc")
def test_freed_memory_is_reused_instead_of_faulted_in_again():
    # ten rounds of three 23 MiB arrays: 5,860 pages each when an allocation maps fresh memory
    assert _page_faults("retain") < 500
    assert _page_faults("default") > 5_000  # control: glibc's defaults fault them in again
