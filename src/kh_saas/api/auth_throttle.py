"""Throttling of failed authentication: per client address and per key prefix, per process.

A sliding window: more than ``limit`` invalid keys from one address (or presented with one
key prefix, the first 11 characters, from any address) within ``window`` seconds and further
attempts answer 429 with ``Retry-After`` until the oldest failure ages out, without the key
being looked up, so the throttle limits guessing instead of just renaming its answer.

Keys that authenticated in this process within the last hour are still looked up and let
through from a throttled address: an office behind one NAT keeps working while a machine
there sprays guesses. A valid key this process has not seen recently waits like any guess
(otherwise a throttled address would still learn which guesses are valid). Revocation is not
affected: a known key is still verified against the catalog on every request.

Only invalid keys count; a request without any key is not a guess (401, no lookup). The
counts live in this process's memory (bounded): with N processes behind a load balancer an
address gets up to N × ``limit`` attempts per window; a shared store (PostgreSQL or Redis)
is the step beyond. The address is the one the ASGI server reports (uvicorn takes
``X-Forwarded-For`` only from ``--forwarded-allow-ips``).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

#: Characters of a presented key that name its prefix bucket ("kh_" and 8 more).
PREFIX_LENGTH = 11
#: How long a key that authenticated stays exempt from an address's throttle, in seconds.
KNOWN_FOR = 3600.0
#: Most buckets (addresses, prefixes) and known keys kept; the oldest are forgotten first.
MAX_TRACKED = 100_000


class FailedAuthThrottle:
    """Counts failed authentications; says how long a client must wait before trying again."""

    def __init__(
        self, *, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._known: OrderedDict[bytes, float] = OrderedDict()

    def wait(self, address: str, secret: str, digest: bytes) -> int | None:
        """Seconds to wait before this key may be tried from this address, or ``None``."""
        if self.limit <= 0:
            return None
        now = self._clock()
        seen = self._known.get(digest)
        if seen is not None and now - seen < KNOWN_FOR:
            return None
        waits = [
            self._wait_of(bucket, now) for bucket in (f"a:{address}", f"p:{secret[:PREFIX_LENGTH]}")
        ]
        longest = max((w for w in waits if w is not None), default=None)
        return None if longest is None else max(1, math.ceil(longest))

    def failed(self, address: str, secret: str) -> None:
        if self.limit <= 0:
            return
        now = self._clock()
        for bucket in (f"a:{address}", f"p:{secret[:PREFIX_LENGTH]}"):
            times = self._failures.pop(bucket, None) or deque(maxlen=self.limit)
            times.append(now)
            self._failures[bucket] = times  # most recent last
        while len(self._failures) > MAX_TRACKED:
            self._failures.popitem(last=False)

    def succeeded(self, digest: bytes) -> None:
        if self.limit <= 0:
            return
        self._known.pop(digest, None)
        self._known[digest] = self._clock()
        while len(self._known) > MAX_TRACKED:
            self._known.popitem(last=False)

    def _wait_of(self, bucket: str, now: float) -> float | None:
        times = self._failures.get(bucket)
        if times is None:
            return None
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[bucket]
            return None
        if len(times) < self.limit:
            return None
        return times[0] + self.window - now
