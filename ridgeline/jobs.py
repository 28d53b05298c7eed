"""Job set-up shared by the workflow scripts: logging to the job's log file, torch threads, the
allocator (:mod:`ridgeline.allocator`), and a watchdog that stops a job whose Snakemake process
was killed. Nothing here changes a result, so its code is not part of the rules' fingerprints
(:data:`ridgeline.provenance.NOT_NUMERICAL`)."""

import logging
import os
import sys
import threading
import time
from pathlib import Path

from .allocator import retain_freed_memory


def configure_job(log_path=None, threads: int = 1, name: str = "ridgeline") -> logging.Logger:
    """Send log records to ``log_path`` (and to stderr when no path is given); set torch threads."""
    handler = logging.FileHandler(log_path, mode="w") if log_path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    if "torch" in sys.modules:  # jobs that never import torch (aggregates, reports) do not pay for it
        sys.modules["torch"].set_num_threads(max(1, int(threads)))
    retain_freed_memory()
    logger = logging.getLogger(name)

    def log_uncaught(kind, value, tb):
        logger.critical("job failed: %s", value, exc_info=(kind, value, tb))
        sys.__excepthook__(kind, value, tb)

    sys.excepthook = log_uncaught
    if _is_snakemake(os.getppid()):
        stop_when_orphaned(logger=logger)
    return logger


def stop_when_orphaned(interval: float = 1.0, logger=None) -> threading.Thread:
    """Exit this process (status 1) within ``interval`` seconds of its parent's death.

    Snakemake starts each job as its child. When Snakemake is killed outright (SIGKILL, an
    out-of-memory kill), the job would run on unseen, and ``snakemake --unlock`` plus a rerun would
    start a second copy writing the same outputs. The job's unfinished store is a temporary
    sibling, removed by the next write (:mod:`ridgeline.io`).
    """
    parent = os.getppid()
    logger = logger or logging.getLogger("ridgeline")

    def watch():
        while os.getppid() == parent:
            time.sleep(interval)
        logger.error("the Snakemake process (pid %d) that started this job is gone; stopping the job "
                     "so that a rerun does not find a second copy writing its outputs", parent)
        logging.shutdown()
        os._exit(1)

    thread = threading.Thread(target=watch, name="orphan-watchdog", daemon=True)
    thread.start()
    return thread


def _is_snakemake(pid: int) -> bool:
    """Whether process ``pid`` runs Snakemake (its command line names it)."""
    try:
        return b"snakemake" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class OnceFilter(logging.Filter):
    """Let through only the first log record whose message contains ``text`` (Snakemake repeats
    "Will exit after finishing currently running jobs" at every finished job after a SIGTERM)."""

    def __init__(self, text: str):
        super().__init__()
        self.text, self.seen = text, False

    def filter(self, record: logging.LogRecord) -> bool:
        if self.text not in record.getMessage():
            return True
        first, self.seen = not self.seen, True
        return first
