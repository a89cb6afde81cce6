"""The access-log filter behind `kh-saas serve --demo`: what it hides and what it never hides."""

from __future__ import annotations

import logging

import pytest

from kh_saas.demo_output import DemoRequests


def record(logger: str, **line: object) -> logging.LogRecord:
    return logging.LogRecord(logger, logging.INFO, __file__, 1, dict(line), None, None)


@pytest.fixture
def demo_requests() -> DemoRequests:
    f = DemoRequests()
    f.actors.add("demo-key")
    return f


def test_only_the_demos_successful_requests_leave_the_info_log(
    demo_requests: DemoRequests,
) -> None:
    name = "kh_saas.test_access"
    logging.getLogger(name).setLevel(logging.INFO)
    assert not demo_requests.filter(record(name, event="request", actor="demo-key", status=201))
    # A failing demo request, and anyone else's request, are logged as before.
    assert demo_requests.filter(record(name, event="request", actor="demo-key", status=422))
    assert demo_requests.filter(record(name, event="request", actor="operator", status=200))
    assert demo_requests.filter(record(name, event="request", status=200))


def test_at_debug_the_demos_requests_are_debug_lines(demo_requests: DemoRequests) -> None:
    name = "kh_saas.test_access_debug"
    logging.getLogger(name).setLevel(logging.DEBUG)
    r = record(name, event="request", actor="demo-key", status=200)
    assert demo_requests.filter(r)
    assert r.levelno == logging.DEBUG
    assert r.msg["level"] == "debug"  # type: ignore[index]
