"""When to try a failed delivery again (lịch gửi lại): the schedule, its jitter, Retry-After."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: Svix's schedule, which Standard Webhooks recommends: ~5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DEFAULT_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h"
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "": 1.0}
_ITEM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|)\s*$")
#: A delay is spread over ±JITTER of itself, so endpoints that failed together do not retry
#: together.
JITTER = 0.2
#: The longest Retry-After honoured (a day): a receiver may not park an endpoint for ever.
MAX_RETRY_AFTER = 86400.0


def parse_schedule(text: str) -> tuple[float, ...]:
    """``"5s,5m,30m"`` → delays in seconds; a bare number is seconds."""
    delays = []
    for item in text.split(","):
        found = _ITEM.match(item)
        if found is None:
            raise ValueError(f"not a delay: {item!r} (use e.g. 5s, 5m, 2h)")
        delays.append(float(found[1]) * _UNITS[found[2]])
    return tuple(delays)


def delay_after(schedule: tuple[float, ...], step: int, retry_after: float | None) -> float | None:
    """Seconds to wait before the try after ``step`` failed ones (1-based), or ``None`` when
    the schedule is spent. A receiver's ``Retry-After`` wins when it asks for longer."""
    if step > len(schedule):
        return None
    base = schedule[step - 1]
    delay = base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - not a secret
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """RFC 9110 ``Retry-After``: delta-seconds or an HTTP date; ``None`` when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
