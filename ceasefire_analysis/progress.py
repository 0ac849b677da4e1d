"""Progress of a run on the terminal or in a log, with an estimate of the time left."""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import threading
import time
from pathlib import Path


class Progress:
    """Progress of a run: a tqdm bar on a terminal, plain lines otherwise (logs of the scheduled job).

    :meth:`start` shows it at once, before the first notebook ends, with an estimate of the
    time left: from the past runs' notebook times in the output folder until this run has
    timings of its own, then from this run's pace.
    """

    def __init__(self, total: int, stream=None, seconds_each: float = 10.0, jobs: int = 1):
        self.total, self.done, self.stream = total, 0, stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.seconds_each, self.jobs = seconds_each, max(1, jobs)
        self.started = time.monotonic()
        self.bar = None
        self._ticker: threading.Event | None = None
        self._own_stream = None

    def seconds_left(self) -> float:
        """Estimated seconds until every notebook is done."""
        elapsed = time.monotonic() - self.started
        if self.done:
            return elapsed / self.done * (self.total - self.done)
        return max(0.0, self.seconds_each * self.total / min(self.jobs, max(self.total, 1)) - elapsed)

    def _left_text(self) -> str:
        left = self.seconds_left()
        return f"about {left / 60:.0f} min left" if left >= 90 else f"about {left:.0f} s left"

    def start(self) -> None:
        if self.tty:
            from tqdm import tqdm  # only a terminal gets a bar; logs get plain lines

            # The bar writes to its own copy of the terminal's descriptor, so that nothing that redirects
            # descriptor 2 can swallow it (kernels write their stderr to their own log: executing.py).
            with contextlib.suppress(AttributeError, OSError, io.UnsupportedOperation):
                self._given_stream = self.stream
                self.stream = self._own_stream = os.fdopen(os.dup(self.stream.fileno()), "w", buffering=1)
            self.bar = tqdm(total=self.total, file=self.stream, unit="notebook", dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]")
            self.bar.set_postfix_str(self._left_text())
            self._ticker = threading.Event()
            threading.Thread(target=self._tick, args=(self._ticker,), daemon=True).start()
        else:
            self.stream.write(f"[0/{self.total}] started: {self.total} notebook{'s' if self.total != 1 else ''}, "
                              f"{self._left_text()}\n")
            self.stream.flush()

    def _tick(self, stop: threading.Event) -> None:
        while not stop.wait(1.0):  # the clock moves while a long notebook runs
            if self.bar is not None:
                self.bar.set_postfix_str(self._left_text())

    def step(self, text: str) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_description_str(text[:50])
            self.bar.set_postfix_str(self._left_text(), refresh=False)
            self.bar.update(1)
            if self.done == self.total:
                self.close()
        elif self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {text[:60]:<60}")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.set()
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self._own_stream is not None:
            self._own_stream.close()
            self.stream, self._own_stream = self._given_stream, None


def past_notebook_seconds(out_root: Path, default: float = 10.0) -> float:
    """Mean seconds a notebook took in the runs already in ``out_root`` (``default`` when none)."""
    seconds = []
    for manifest in out_root.glob("*/manifest.json") if out_root.is_dir() else []:
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            seconds += [float(r["seconds"]) for r in json.loads(manifest.read_text()).get("reports", [])
                        if r.get("status") == "ok"]
    return sum(seconds) / len(seconds) if seconds else default
