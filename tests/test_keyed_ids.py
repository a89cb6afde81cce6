"""Natural-key ids reveal nothing: a citizen id (CCCD) cannot be recovered from a subject id.

Before ids were keyed, a subject id was uuid5 over a public namespace and ``citizen/<CCCD>``:
an auditor who saw ``********0778`` tried the 10^5 numbers that fit and found the CCCD.
"""

from __future__ import annotations

import itertools
from uuid import UUID, uuid5

import httpx

from kh_saas.domain.ids import KH_NAMESPACE, IdKey, keyed_id, stable_id
from tests.province import open_province

CCCD = "045190120778"  # old Quảng Trị (045), born 1990; the auditor sees ********0778


def candidates() -> list[str]:
    """Every CCCD an attacker who knows the birth province and the mask must try (10^5)."""
    return ["045" + "".join(d) + "0778" for d in itertools.product("0123456789", repeat=5)]


def guesses(cccd: str) -> list[UUID]:
    """Ids an attacker can compute without the province's key."""
    return [
        stable_id("citizen", cccd),  # the old scheme
        uuid5(KH_NAMESPACE, f"citizen/{cccd}"),
        keyed_id(IdKey(b"\0" * 32), "citizen", cccd),  # a guessed key
    ]


def test_keyed_ids_are_version_8_and_depend_on_the_key() -> None:
    a, b = IdKey(b"a" * 32), IdKey(b"b" * 32)
    assert keyed_id(a, "citizen", CCCD) == keyed_id(a, "citizen", CCCD)
    assert keyed_id(a, "citizen", CCCD) != keyed_id(b, "citizen", CCCD)
    assert keyed_id(a, "citizen", CCCD).version == 8
    # Parts are length-prefixed: moving a separator changes the id.
    assert keyed_id(a, "a/b", "c") != keyed_id(a, "a", "b/c")
    assert "secret" not in repr(a) and "aaaa" not in repr(a)


async def test_the_mask_and_the_format_do_not_give_the_id(client: httpx.AsyncClient) -> None:
    qt = await open_province(client)
    r = await qt.post("/subjects", {"kind": "citizen", "name": "Lê Thị Hoa", "citizen_id": CCCD})
    assert r.status_code == 201, r.text
    sid = UUID(r.json()["id"])
    seen = (await qt.get(f"/subjects/{sid}", role="auditor")).json()
    assert seen["citizen_id"] == "********0778"

    pool = [c for c in candidates() if c.endswith(seen["citizen_id"][-4:])]
    assert CCCD in pool and len(pool) == 100_000
    found = [c for c in pool if sid in guesses(c)]
    assert found == []

    # Still deterministic inside the province: the same person cannot register twice.
    again = await qt.post(
        "/subjects", {"kind": "citizen", "name": "Lê Thị Hoa", "citizen_id": CCCD}
    )
    assert again.status_code in (409, 422), again.text
    assert again.json()["code"] == "bulk_rejected"
    assert again.json()["errors"][0]["code"] == "duplicate_subject"


async def test_the_same_person_has_different_ids_in_two_provinces(
    client: httpx.AsyncClient, service: object
) -> None:
    qt = await open_province(client, "quang-tri", "44")
    hue = await open_province(client, "hue", "46")
    body = {"kind": "citizen", "name": "Lê Thị Hoa", "citizen_id": CCCD}
    a = (await qt.post("/subjects", body)).json()["id"]
    b = (await hue.post("/subjects", body)).json()["id"]
    assert a != b
    household = {"kind": "household", "name": "Hộ ông An", "ref": "HB-0001"}
    assert (await qt.post("/subjects", household)).json()["id"] != (
        await hue.post("/subjects", household)
    ).json()["id"]


async def test_the_key_is_never_served(client: httpx.AsyncClient) -> None:
    qt = await open_province(client)
    await qt.post("/subjects", {"kind": "citizen", "name": "Lê Thị Hoa", "citizen_id": CCCD})
    tenants = (await client.get("/v1/tenants")).json()
    assert "id_key" not in str(tenants) and "key" not in tenants["items"][0]
