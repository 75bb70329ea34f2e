"""Progress of a long step in its log, so that a user watching the log of a 40-million-row step
knows it is alive: at most every 30 seconds, what is done, the rate, and when the total is
known the share done and the time left. A set-based statement cannot count its rows as it
goes: ``alive`` says it still runs, how long so far, and how long its part took last time."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

EVERY_SECONDS = 30.0


class Progress:
    """Count what a step has done (``add``); a line goes to the log once ``every`` seconds have
    passed since the last one, and once at the end (``finish``)."""

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        unit: str = "rows",
        total: int | None = None,
        every: float = EVERY_SECONDS,
        clock=time.monotonic,
    ):
        self.log, self.what, self.unit, self.total, self.every, self.clock = log, what, unit, total, every, clock
        self.done = 0
        self.started = self.last = clock()

    def add(self, n: int = 1) -> None:
        self.done += n
        if self.clock() - self.last >= self.every:
            self.log.info("%s", self.line())
            self.last = self.clock()

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.what}: {self.done:,} {self.unit} in {elapsed:.0f} s ({rate:,.0f} {self.unit}/s)"
        if self.total:
            left = max(self.total - self.done, 0) / rate if rate else float("inf")
            text += f", {100 * self.done / self.total:.0f}% of {self.total:,}, about {left:.0f} s left"
        return text

    def finish(self) -> None:
        self.log.info("%s, done", self.line())


@contextlib.contextmanager
def alive(log: logging.Logger, what: str, every: float = EVERY_SECONDS):
    """While the block runs (one long SQL statement), a line every ``every`` seconds: what
    runs and for how long so far; then one line when it is done."""
    started = time.monotonic()
    stop = threading.Event()

    def beat():
        while not stop.wait(every):
            log.info("%s: still running, %.0f s so far", what, time.monotonic() - started)

    beating = threading.Thread(target=beat, name=f"alive: {what}", daemon=True)
    beating.start()
    try:
        yield
    finally:
        stop.set()
        beating.join()
