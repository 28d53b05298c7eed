"""Progress reporting for long loops: log lines always, a tqdm bar only on a terminal."""

import logging
import sys

from tqdm.auto import tqdm


class Progress:
    """Report progress of ``total`` units of work.

    Logs one line at every ``log_fraction`` of the work (so log files show progress) and drives a
    tqdm bar when stderr is a terminal.

    Parameters
    ----------
    total : int, units of work. desc : str, what is being done.
    logger : logging.Logger. log_fraction : float in (0, 1].
    """

    def __init__(self, total: int, desc: str, logger: logging.Logger, log_fraction: float = 0.1):
        self.total, self.desc, self.logger = max(1, int(total)), desc, logger
        self.every = max(1, int(self.total * log_fraction))
        self.done = 0
        self.bar = tqdm(total=self.total, desc=desc, disable=not sys.stderr.isatty(), leave=False)

    def update(self, n: int = 1, **info) -> None:
        """Advance by ``n`` units; ``info`` (e.g. loss=0.1) is appended to the log line."""
        before = self.done // self.every
        self.done += n
        self.bar.update(n)
        if info:
            self.bar.set_postfix(info, refresh=False)
        if self.done // self.every > before or self.done >= self.total:
            extra = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in info.items())
            self.logger.info("%s: %d/%d (%.0f%%) %s", self.desc, self.done, self.total,
                             100.0 * self.done / self.total, extra)

    def item_done(self, k: int, times=None) -> None:
        """Callback for :func:`ridgeline.parallel.map_items`: item ``k`` is done (at ``times[k]``)."""
        if times is None:
            self.update(1)
        else:
            self.update(1, t=float(times[k]))

    def close(self) -> None:
        self.bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
