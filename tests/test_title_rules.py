"""Title rules of issue 8: a criteria set per title, commune-tier learning units after the
reform, dossier deadlines on nominations, and the level-2 request 12 months after level 1."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from kh_saas.domain.authority import REFORM_DATE, Office, default_matrix, row_for
from kh_saas.domain.criteria_defaults import default_sets
from kh_saas.domain.vocabulary import Scheme, Tier, Title, scheme_for
from tests.province import COMMUNE, Province, open_province


def test_every_title_and_tier_has_its_own_criteria() -> None:
    sets = default_sets()
    assert len({(s.title, s.tier, s.edition) for s in sets}) == len(sets)
    by_key = {(s.title, s.tier): s for s in sets if s.effective_from < REFORM_DATE}
    household = by_key[Title.LEARNING_HOUSEHOLD, Tier.COMMUNE].criteria
    for key in [
        (Title.LEARNING_CLAN, Tier.COMMUNE),
        (Title.LEARNING_COMMUNITY, Tier.VILLAGE),
        (Title.LEARNING_UNIT, Tier.COMMUNE),
        (Title.LEARNING_CITIZEN, Tier.COMMUNE),
    ]:
        assert by_key[key].criteria != household, key
    commune = by_key[Title.LEARNING_COMMUNITY, Tier.COMMUNE].criteria
    assert by_key[Title.LEARNING_COMMUNITY, Tier.DISTRICT].criteria != commune
    assert by_key[Title.LEARNING_COMMUNITY, Tier.PROVINCE].criteria != commune
    assert len(by_key[Title.LEARNING_COMMUNITY, Tier.PROVINCE].criteria) == 4
    citizen = by_key[Title.LEARNING_CITIZEN, Tier.COMMUNE]
    assert [len(c.indicators) for c in citizen.criteria] == [4, 4, 2]  # 3 competencies, 10
    unit_2025 = next(s for s in sets if s.edition == "tt24-2023-xa")
    assert unit_2025.scheme is Scheme.LEVELS and unit_2025.tier is Tier.COMMUNE
    for s in sets:
        assert s.scheme is scheme_for(s.title, s.tier, s.effective_from.year), s.name
        assert s.legal_basis


def test_commune_managed_units_take_levels_from_assessment_year_2025() -> None:
    assert scheme_for(Title.LEARNING_UNIT, Tier.COMMUNE, 2024) is Scheme.POINTS
    assert scheme_for(Title.LEARNING_UNIT, Tier.COMMUNE, 2025) is Scheme.LEVELS
    rows = default_matrix()
    after = row_for(rows, Title.LEARNING_UNIT, Tier.COMMUNE, 1, REFORM_DATE)
    assert after is not None and after.deciding_office is Office.COMMUNE_CHAIRMAN
    assert row_for(rows, Title.LEARNING_UNIT, Tier.COMMUNE, 1, date(2025, 6, 30)) is None
    community = row_for(rows, Title.LEARNING_COMMUNITY, Tier.COMMUNE, 1, REFORM_DATE)
    assert community is not None
    assert community.deciding_office is Office.PROVINCE_EDUCATION_DIRECTOR


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def commune_community(qt: Province) -> str:
    r = await qt.post(
        "/subjects",
        {
            "kind": "community",
            "name": "Xã A Dơi",
            "community_kind": "commune",
            "area_code": COMMUNE,
            "commune_code": COMMUNE,
        },
    )
    assert r.status_code == 201, r.text
    sid: str = r.json()["id"]
    return sid


async def nominate(qt: Province, subject: str, year: int, level: int) -> httpx.Response:
    cs = await qt.criteria_set_id("learning_community", "commune")
    body = {
        "subject_id": subject,
        "title": "learning_community",
        "tier": "commune",
        "level": level,
        "year": year,
        "criteria_set_id": cs,
    }
    return await qt.post("/nominations", body)


async def test_nominations_show_the_dossier_deadline_and_a_late_flag(qt: Province) -> None:
    subject = await commune_community(qt)
    r = await nominate(qt, subject, 2024, 1)
    assert r.status_code == 201, r.text
    n: dict[str, Any] = r.json()
    assert (n["dossier_due_on"], n["decision_due_on"]) == ("2025-02-28", "2025-03-31")
    assert n["late"] is True and n["filed_on"] is None  # a 2024 dossier not filed by today
    on_time = await qt.post(f"/nominations/{n['id']}/submit", {"filed_on": "2025-02-28"})
    assert on_time.status_code == 200, on_time.text
    assert on_time.json()["late"] is False and on_time.json()["filed_on"] == "2025-02-28"
    second = (await nominate(qt, await household_free_community(qt), 2024, 1)).json()
    late = await qt.post(f"/nominations/{second['id']}/submit", {"filed_on": "2025-03-01"})
    assert late.status_code == 200  # a late dossier is shown as late, not refused
    assert late.json()["late"] is True and late.json()["status"] == "submitted"
    again = (await qt.get(f"/nominations/{second['id']}", role="auditor")).json()
    assert again["late"] is True
    (household,) = await qt.households(1)
    hh_cs = await qt.criteria_set_id("learning_household", "commune")
    plain = await qt.post(
        "/nominations",
        {
            "subject_id": household,
            "title": "learning_household",
            "tier": "commune",
            "year": 2024,
            "criteria_set_id": hh_cs,
        },
    )
    assert plain.json()["dossier_due_on"] is None and plain.json()["late"] is None


async def household_free_community(qt: Province) -> str:
    r = await qt.post(
        "/subjects",
        {
            "kind": "community",
            "name": "Phường Đông Hà",
            "community_kind": "commune",
            "area_code": "19333",
            "commune_code": "19333",
        },
    )
    assert r.status_code == 201, r.text
    sid: str = r.json()["id"]
    return sid


async def level_one(qt: Province, subject: str, year: int, signed_on: str) -> None:
    """A level-1 recognition, decided before the reform by the district education head."""
    rows = (await qt.get("/authority-matrix")).json()["rows"]
    for row in rows:
        if row["title"] == "learning_community" and row["tier"] == "commune":
            row["direct_allowed"] = True
    r = await qt.client.put(
        qt.url("/authority-matrix"), json={"rows": rows}, headers=qt.keys["tenant_admin"]
    )
    assert r.status_code == 200, r.text
    decision = {
        "number": "45/QĐ-PGDĐT",
        "signed_on": signed_on,
        "issuer": {
            "office": "district_education_head",
            "name": "Phòng GD&ĐT huyện Gio Linh",
            "unit_code": "466",
        },
        "signer": {"name": "Trần Thị Lan", "position": "Trưởng phòng"},
        "title": "learning_community",
        "tier": "commune",
        "level": 1,
        "year": year,
        "recipients": [{"subject_id": subject}],
    }
    r = await qt.post("/decisions", decision, role="signer")
    assert r.status_code == 201, r.text


async def test_level_two_is_requested_12_months_after_level_one(qt: Province) -> None:
    """Level 1 decided on 20/3/2024: no level-2 request for 2024 (due 28/02/2025); one for
    2025 (due 28/02/2026) is fine."""
    subject = await commune_community(qt)
    await level_one(qt, subject, 2023, "2024-03-20")
    early = await nominate(qt, subject, 2024, 2)
    assert early.status_code == 422, early.text
    assert early.json()["rule"] == "level2_after_12_months"
    assert early.json()["field"] == "level"
    assert "2025-03-20" in early.json()["detail"]
    assert (await nominate(qt, subject, 2025, 2)).status_code == 201
    none = await nominate(qt, await household_free_community(qt), 2025, 2)
    assert none.status_code == 422 and none.json()["rule"] == "level2_after_12_months"
