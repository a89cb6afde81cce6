"""Sample a process's resident memory while something runs (Linux ``/proc``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Samples:
    before: float
    values: list[float] = field(default_factory=list)

    @property
    def peak(self) -> float:
        return max(self.values, default=self.before)

    @property
    def growth(self) -> float:
        return self.peak - self.before


@contextmanager
def sampled(pid: int, every: float = 0.05) -> Iterator[Samples]:
    """The process's RSS before, and every ``every`` seconds while the block runs."""
    samples = Samples(rss_mb(pid))
    done = threading.Event()

    def run() -> None:
        while not done.wait(every):
            samples.values.append(rss_mb(pid))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        done.set()
        thread.join()
        samples.values.append(rss_mb(pid))
        time.sleep(0)
