"""The SSRF guard: private, loopback and link-local addresses are refused by default, when an
endpoint is made or changed (RFC 9457 naming ``url``) and again at delivery time."""

from __future__ import annotations

import httpx
import pytest

from kh_saas.integrators.webhooks.addresses import RefusedAddress, check_url
from kh_saas.integrators.webhooks.sending import send
from tests.conftest import bearer, make_key, make_tenant
from tests.webhook_receiver import Receiver


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.1/hook",
        "http://172.16.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://93.184.216.34/hook",
        "http://user:pw@93.184.216.34/hook",
    ],
)
async def test_refused(url: str) -> None:
    with pytest.raises(RefusedAddress):
        await check_url(url, allow_private=False)


async def test_public_literal_passes() -> None:
    await check_url("https://93.184.216.34/hook", allow_private=False)
    await check_url("http://127.0.0.1/hook", allow_private=True)


async def test_private_url_refused_naming_url(client: httpx.AsyncClient) -> None:
    await make_tenant(client, "quang-tri", "44")
    key = bearer(await make_key(client, "quang-tri", "integrator"))
    r = await client.post(
        "/v1/t/quang-tri/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=key
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["field"] == "url"
    assert "private" in problem["detail"]
    assert (await client.get("/v1/t/quang-tri/webhooks", headers=key)).json()["items"] == []


async def test_refused_again_at_delivery_time() -> None:
    """A name that pointed elsewhere when the endpoint was made is checked at each attempt."""
    receiver = Receiver()
    await receiver.start()
    try:
        async with httpx.AsyncClient() as http:
            answer = await send(
                http, receiver.url, "msg_1", b"{}", ["whsec_" + "A" * 44],
                timeout=2, allow_private=False,
            )  # fmt: skip
        assert answer.status is None
        assert answer.error is not None and answer.error.startswith("refused")
        assert receiver.received == []
    finally:
        await receiver.stop()
