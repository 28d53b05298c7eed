"""Job runtime: a job stops when the Snakemake process that started it is killed, and Snakemake's
repeated shutdown line is logged once."""

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ridgeline.jobs import OnceFilter

JOB = """
import sys, time
sys.path.insert(0, {root!r})
from ridgeline.jobs import configure_job
configure_job({log!r})
open({started!r}, "w").close()
time.sleep(60)
"""

PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, {job!r}])
print(child.pid, flush=True)
time.sleep(60)
"""


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie is not alive
        return handle.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize("parent_name, stops", [("fake_snakemake.py", True), ("other_parent.py", False)])
def test_a_job_stops_when_its_snakemake_process_is_killed(tmp_path, parent_name, stops):
    """SIGKILL the parent: a job started by Snakemake exits within seconds and says why in its log;
    a process started by anything else is left alone (the control)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    job, parent = tmp_path / "job.py", tmp_path / parent_name
    log, started = tmp_path / "job.log", tmp_path / "started"
    job.write_text(JOB.format(root=root, log=str(log), started=str(started)))
    parent.write_text(textwrap.dedent(PARENT.format(job=str(job))))
    proc = subprocess.Popen([sys.executable, str(parent)], stdout=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline())
    try:
        deadline = time.time() + 30
        while not started.exists() and time.time() < deadline:
            time.sleep(0.1)
        assert started.exists()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(3.0)
        assert _alive(child) is not stops
        if stops:
            assert "that started this job is gone" in log.read_text()
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def test_the_once_filter_passes_the_first_matching_record_and_every_other():
    handler_records = []
    logger = logging.getLogger("test-once")
    logger.propagate = False
    handler = logging.Handler()
    handler.emit = handler_records.append
    logger.addHandler(handler)
    logger.addFilter(OnceFilter("Will exit after finishing"))
    for _ in range(3):
        logger.warning("Will exit after finishing currently running jobs (scheduler).")
        logger.warning("job done")
    assert [r.getMessage() for r in handler_records] == [
        "Will exit after finishing currently running jobs (scheduler).", "job done", "job done", "job done"]
