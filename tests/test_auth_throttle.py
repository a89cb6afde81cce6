"""Failed authentication is throttled per client address and per key prefix (429 with
``Retry-After``); keys that authenticated recently are never held back."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from kh_saas.api.app import create_app
from kh_saas.api.auth_throttle import FailedAuthThrottle
from kh_saas.service import Service
from kh_saas.settings import Settings
from tests.conftest import ADMIN_KEY, bearer, make_key, make_tenant

LIMIT = 5


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        admin_key=ADMIN_KEY,
        auth_fail_limit=LIMIT,
        auth_fail_window=600,
    )


FromAddress = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def from_address(service: Service, settings: Settings) -> FromAddress:
    """Clients of one app (one throttle), each from its own address."""
    app = create_app(settings, service=service)

    @asynccontextmanager
    async def client(address: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://kh.test") as c:
            yield c

    return client


def wrong_key() -> dict[str, str]:
    return bearer("kh_" + secrets.token_urlsafe(32))


async def test_an_address_sending_wrong_keys_gets_429_valid_keys_still_pass(
    from_address: FromAddress,
) -> None:
    async with from_address("203.0.113.7") as c:
        admin = bearer(ADMIN_KEY)
        c.headers.update(admin)
        await make_tenant(c, "quang-tri", "44")
        officer = bearer(await make_key(c, "quang-tri", "officer"))
        unused = bearer(await make_key(c, "quang-tri", "officer"))
        assert (await c.get("/v1/t/quang-tri", headers=officer)).status_code == 200
        for _ in range(LIMIT):
            assert (await c.get("/v1/t/quang-tri", headers=wrong_key())).status_code == 401
        refused = await c.get("/v1/t/quang-tri", headers=wrong_key())
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "auth_throttled"
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        # The throttle holds: a wrong key is not even looked up any more.
        assert (await c.get("/v1/t/quang-tri", headers=wrong_key())).status_code == 429
        assert (await c.post("/v1/tenants", headers=wrong_key(), json={})).status_code == 429
        # Keys that authenticated recently keep working from the throttled address...
        assert (await c.get("/v1/t/quang-tri", headers=officer)).status_code == 200
        assert (await c.get("/v1/tenants", headers=admin)).status_code == 200
        # ...a key not seen before waits for the window like a guess would (no oracle).
        assert (await c.get("/v1/t/quang-tri", headers=unused)).status_code == 429
        # No key at all is not a guess: still 401.
        assert (await c.get("/v1/t/quang-tri", headers={"Authorization": ""})).status_code == 401

    async with from_address("198.51.100.20") as other:
        # Another address is not held back, and the unused key works from there.
        assert (await other.get("/v1/t/quang-tri", headers=wrong_key())).status_code == 401
        assert (await other.get("/v1/t/quang-tri", headers=unused)).status_code == 200


async def test_wrong_keys_sharing_a_prefix_are_throttled_from_any_address(
    from_address: FromAddress,
) -> None:
    prefix = "kh_" + secrets.token_urlsafe(6)
    for i in range(LIMIT):
        async with from_address(f"192.0.2.{i + 1}") as c:
            guess = bearer(prefix + secrets.token_urlsafe(30))
            assert (await c.get("/v1/tenants", headers=guess)).status_code == 401
    async with from_address("192.0.2.200") as c:
        guess = bearer(prefix + secrets.token_urlsafe(30))
        r = await c.get("/v1/tenants", headers=guess)
        assert r.status_code == 429, r.text
        assert "Retry-After" in r.headers
        # Other prefixes from the same fresh address are fine.
        assert (await c.get("/v1/tenants", headers=wrong_key())).status_code == 401


def test_the_window_slides() -> None:
    now = [0.0]
    throttle = FailedAuthThrottle(limit=2, window=10, clock=lambda: now[0])
    assert throttle.wait("a", "kh_aaaaaaaa1", b"d1") is None
    throttle.failed("a", "kh_aaaaaaaa1")
    now[0] = 4
    throttle.failed("a", "kh_bbbbbbbb2")
    assert throttle.wait("a", "kh_cccccccc3", b"d3") == 6  # until the first failure ages out
    now[0] = 10.5
    assert throttle.wait("a", "kh_cccccccc3", b"d3") is None
    throttle.failed("a", "kh_cccccccc3")
    assert throttle.wait("a", "kh_dddddddd4", b"d4") is not None
    throttle.succeeded(b"good")
    assert throttle.wait("a", "kh_eeeeeeee5", b"good") is None
    assert FailedAuthThrottle(limit=0, window=10).wait("a", "kh_x", b"d") is None  # 0: off
