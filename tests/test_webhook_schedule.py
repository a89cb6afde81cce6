"""The retry schedule (with jitter and Retry-After) and the signing helper, as units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks.webhooks import Webhook

from kh_saas.integrators.webhooks import signing
from kh_saas.integrators.webhooks.schedule import (
    DEFAULT_SCHEDULE,
    delay_after,
    parse_retry_after,
    parse_schedule,
)
from kh_saas.service import Service
from kh_saas.settings import Settings, SettingsError
from tests.webhook_receiver import verify


def test_default_schedule_is_svix_s() -> None:
    assert parse_schedule(DEFAULT_SCHEDULE) == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert Settings().webhook_retry_schedule == DEFAULT_SCHEDULE
    assert parse_schedule("250ms, 2, 1.5m, 1d") == (0.25, 2, 90, 86400)


@pytest.mark.parametrize("bad", ["", "5x", "5s,,5m", "-1s", "soon"])
def test_bad_schedule_is_refused_at_start(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(bad)
    with pytest.raises(SettingsError, match="KH_WEBHOOK_RETRY_SCHEDULE"):
        Service(Settings(webhook_retry_schedule=bad))


def test_delays_jitter_and_end() -> None:
    schedule = (10.0, 100.0)
    first = {delay_after(schedule, 1, None) for _ in range(50)}
    assert all(d is not None and 8 <= d <= 12 for d in first) and len(first) > 1
    assert delay_after(schedule, 3, None) is None  # spent: the endpoint is disabled
    assert delay_after(schedule, 1, 60.0) == 60.0  # Retry-After asks for longer
    later = delay_after(schedule, 2, 1.0)
    assert later is not None and later >= 80  # a shorter Retry-After does not hurry us


def test_retry_after_forms() -> None:
    now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after("tomorrow") is None and parse_retry_after(None) is None


def test_signatures_verify_both_ways() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    body = b'{"id":"e1","data":{"name":"Nguy\xe1\xbb\x85n V\xc4\x83n An"}}'
    headers = signing.headers("e1", body, [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify(new, headers, body) and verify(old, headers, body)
    Webhook(old).verify(body, headers)  # and the reference library agrees
    assert not verify(signing.new_secret(), headers, body)
