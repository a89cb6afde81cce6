"""Award proposals, decisions, annulments and the eligibility explanation over HTTP."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from tests.province import COMMUNE, SIGNER, Province, open_province

EVIDENCE = {
    "file_name": "bao-cao-thanh-tich.pdf",
    "sha256": "d" * 64,
    "url": "https://files.example/bc.pdf",
}
COMMUNE_SIGNER = {"signer": "commune_chairman", "name": "UBND xã Gio Linh", "unit_code": COMMUNE}
PROVINCE = {"signer": "province_chairman", "name": "UBND tỉnh Quảng Trị", "unit_code": "44"}
INTERIM = {"period": "2023-2025", "occasion": "interim_review"}


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def citizen(qt: Province, name: str = "Lê Văn Tám") -> str:
    r = await qt.post("/subjects", {"kind": "citizen", "name": name, "commune_code": COMMUNE})
    assert r.status_code == 201
    sid: str = r.json()["id"]
    return sid


def award_decision(
    lines: list[dict[str, Any]],
    form: str = "province_certificate",
    number: str = "15/QĐ-UBND",
    signed_on: str = "2026-02-01",
    issuer: dict[str, Any] | None = None,
    achievement: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "number": number,
        "signed_on": signed_on,
        "issuer": issuer or PROVINCE,
        "signer": SIGNER,
        "form": form,
        "achievement": achievement or INTERIM,
        "recipients": lines,
    }


def line(subject: str, kind: str = "individual") -> dict[str, Any]:
    return {
        "subject_id": subject,
        "recipient_kind": kind,
        "citation": "Đã có thành tích xuất sắc trong phong trào xây dựng xã hội học tập",
    }


async def test_proposal_chain_from_commune_to_province(qt: Province) -> None:
    (household,) = await qt.households(1)
    body = {
        "number": "12/TTr-UBND",
        "proposer": COMMUNE_SIGNER,
        "form": "province_certificate",
        "achievement": INTERIM,
        "lines": [line(household, "household")],
        "report": EVIDENCE,
    }
    r = await qt.post("/award-proposals", body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["allowed_actions"] == ["submit"]
    early = await qt.post(f"/award-proposals/{pid}/approve", {}, role="reviewer")
    assert early.status_code == 409 and early.json()["allowed"] == ["submit"]
    await qt.post(f"/award-proposals/{pid}/submit", {})
    split = {"met_on": "2026-01-10", "votes_for": 3, "votes_total": 6, "minutes": EVIDENCE}
    await qt.post(f"/award-proposals/{pid}/review", split, role="reviewer")
    no_majority = await qt.post(f"/award-proposals/{pid}/approve", {}, role="reviewer")
    assert no_majority.status_code == 422 and no_majority.json()["rule"] == "council_review"
    vote = {**split, "votes_for": 5}
    await qt.post(f"/award-proposals/{pid}/review", vote, role="reviewer")
    approved = await qt.post(f"/award-proposals/{pid}/approve", {}, role="reviewer")
    assert approved.json()["status"] == "approved"
    fwd = await qt.post(
        f"/award-proposals/{pid}/forward",
        {"number": "30/TTr-UBND", "proposer": PROVINCE, "form": "pm_certificate"},
    )
    assert fwd.status_code == 200 and fwd.json()["status"] == "forwarded"
    upper = (await qt.get(f"/award-proposals/{fwd.json()['forwarded_to']}")).json()
    assert upper["parent_id"] == pid and upper["form"] == "pm_certificate"
    assert upper["status"] == "draft"


async def test_decision_computes_bonuses_and_refuses_a_second_award(qt: Province) -> None:
    (household,) = await qt.households(1)
    person = await citizen(qt)
    r = await qt.post(
        "/award-decisions",
        award_decision([line(household, "household"), line(person)]),
        role="signer",
    )
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["base_salary_vnd"] == 2_340_000
    # 1.5 × 1.5 × 2,340,000 = 5,265,000 → 5,270,000 (nearest ten thousand, NĐ 98/152)
    assert [x["bonus_vnd"] for x in d["recipients"]] == [5_270_000, 3_510_000]
    assert d["total_bonus_vnd"] == 8_780_000
    again = await qt.post(
        "/award-decisions",
        award_decision(
            [line(person)], form="commune_certificate", number="3/QĐ-UBND", issuer=COMMUNE_SIGNER
        ),
        role="signer",
    )
    assert again.status_code == 422
    assert again.json()["errors"][0]["code"] == "one_award_per_achievement"
    seen = r.headers["KH-Position"]  # read-your-writes: the register waits for the decision
    register = (
        await qt.get(f"/registers/awards?period=2023-2025&min_position={seen}", role="auditor")
    ).json()
    assert register["state_awards"] == 2 and register["total_bonus_vnd"] == 8_780_000
    assert {(i["form"], i["recipient_kind"]) for i in register["items"]} == {
        ("province_certificate", "household"),
        ("province_certificate", "individual"),
    }
    award = await qt.get(f"/awards/{d['recipients'][1]['award_id']}", role="auditor")
    assert award.json()["form"] == "province_certificate"


async def test_signer_and_district_form(qt: Province) -> None:
    person = await citizen(qt)
    wrong = award_decision([line(person)], issuer=COMMUNE_SIGNER)
    r = await qt.post("/award-decisions", wrong, role="signer")
    assert r.status_code == 422 and r.json()["field"] == "issuer.signer"
    district = {"signer": "district_chairman", "name": "UBND huyện Vĩnh Linh"}
    annual_2024 = {"period": "2024", "occasion": "annual"}
    late = award_decision(
        [line(person)],
        form="district_certificate",
        signed_on="2025-07-01",
        issuer=district,
        achievement=annual_2024,
    )
    r = await qt.post("/award-decisions", late, role="signer")
    assert r.status_code == 422 and r.json()["code"] == "district_form_ended"
    await qt.client.put(
        qt.url(f"/subjects/{person}/merits/2024"),
        json={"rating": "good"},
        headers=qt.keys["officer"],
    )
    in_time = {**late, "signed_on": "2025-06-30"}
    r = await qt.post("/award-decisions", in_time, role="signer")
    assert r.status_code == 201, r.text
    assert r.json()["recipients"][0]["bonus_vnd"] == 700_000  # 0.3 × 2,340,000, rounded


async def test_eligibility_explains_the_pm_certificate(qt: Province) -> None:
    person = await citizen(qt)
    url = f"/subjects/{person}/eligibility?form=pm_certificate&period=2025"
    first = (await qt.get(url, role="auditor")).json()
    rules = {r["rule"]: r["passed"] for r in first["rules"]}
    assert first["eligible"] is False
    assert rules["pm_prior_certificate"] is False and rules["pm_five_good_years"] is False
    assert all(r["source"] for r in first["rules"])
    for year in range(2018, 2026):
        titles = ["chien_si_thi_dua_co_so"] if year % 2 or year < 2020 else []
        r = await qt.client.put(
            qt.url(f"/subjects/{person}/merits/{year}"),
            json={"rating": "excellent", "emulation_titles": titles},
            headers=qt.keys["officer"],
        )
        assert r.status_code == 200, r.text
    # the earlier certificate must come before the five years (2021–2025): one for 2022
    # does not count ("sau đó"), one for 2019 does
    late = award_decision(
        [line(person)], achievement={"period": "2022", "occasion": "annual"}, signed_on="2023-03-01"
    )
    late["proposal_id"] = None
    r = await qt.post("/award-decisions", late, role="signer")
    assert r.status_code == 422  # 74.1: no route (annual, no council proposal, not 2 × CSTĐCS)
    assert {e["code"] for e in r.json()["errors"]} >= {"award_route", "province_excellent_years"}
    prior = award_decision(
        [line(person)], achievement={"period": "2019", "occasion": "annual"}, signed_on="2020-03-01"
    )
    assert (await qt.post("/award-decisions", prior, role="signer")).status_code == 201  # 74.1.d
    now = (await qt.get(url, role="auditor")).json()
    assert now["eligible"] is True, now["rules"]
    assert [a["form"] for a in now["awards"]] == ["province_certificate"]
    four = (
        await qt.get(
            f"/subjects/{person}/eligibility?form=pm_certificate&period=2026", role="auditor"
        )
    ).json()
    assert {r["rule"]: r["passed"] for r in four["rules"]}["pm_five_good_years"] is False


async def test_eligibility_rejects_bad_query_values(qt: Province) -> None:
    person = await citizen(qt)
    for query, field in [
        ("form=pm_certificate&period=null", "period"),
        ("form=pm_certificate&movement=BAD MOVEMENT", "movement"),
        ("form=nobel_prize", "form"),
    ]:
        r = await qt.get(f"/subjects/{person}/eligibility?{query}")
        assert r.status_code == 422, (query, r.text)
        assert r.json()["field"] == field
    r = await qt.client.put(
        qt.url(f"/subjects/{person}/merits/99999"), json={}, headers=qt.keys["officer"]
    )
    assert r.status_code in (400, 404, 422) and r.status_code != 500


async def test_household_streak_for_giay_khen(qt: Province) -> None:
    (household,) = await qt.households(1)
    for year in (2023, 2024, 2025):
        r = await qt.post(
            "/decisions",
            qt.household_decision(
                [household], f"{year}/QĐ-UBND", year=year, signed_on=f"{year + 1}-01-15"
            ),
            role="signer",
        )
        assert r.status_code == 201, r.text
    e = await qt.get(f"/subjects/{household}/eligibility?form=commune_certificate&period=2025")
    body = e.json()
    assert body["eligible"] is True
    assert body["titles"] == [
        {"title": "learning_household", "years": [2023, 2024, 2025], "streak_to_period_end": 3}
    ]
    short = await qt.get(f"/subjects/{household}/eligibility?form=commune_certificate&period=2026")
    assert short.json()["eligible"] is False


async def test_suspension_blocks_proposals_and_decisions(qt: Province) -> None:
    person = await citizen(qt)
    r = await qt.post(
        f"/subjects/{person}/suspensions", {"reason": "inspection", "since": "2026-01-01"}
    )
    assert r.status_code == 200 and r.json()["active"] == "inspection"
    body = {
        "number": "12/TTr-UBND",
        "proposer": COMMUNE_SIGNER,
        "form": "province_certificate",
        "achievement": INTERIM,
        "lines": [line(person)],
        "report": EVIDENCE,
    }
    backwards = await qt.post(
        "/award-proposals",
        {**body, "achievement": {"period": "2025-2020", "occasion": "interim_review"}},
    )
    assert backwards.status_code == 422
    assert backwards.json()["field"] == "achievement.period"
    refused = await qt.post("/award-proposals", body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "suspended_subject"
    d = await qt.post("/award-decisions", award_decision([line(person)]), role="signer")
    assert d.json()["errors"][0]["code"] == "suspended_subject"
    lifted = await qt.post(f"/subjects/{person}/suspensions/lift", {"on": "2026-03-01"})
    assert lifted.json()["active"] is None and len(lifted.json()["periods"]) == 1
    assert (await qt.post("/award-proposals", body)).status_code == 201


async def test_annulment_and_recovery(qt: Province) -> None:
    person = await citizen(qt)
    d = (await qt.post("/award-decisions", award_decision([line(person)]), role="signer")).json()
    aid = d["recipients"][0]["award_id"]
    body = {
        "number": "40/QĐ-UBND",
        "signed_on": "2026-05-01",
        "issuer": PROVINCE,
        "signer": SIGNER,
        "reason": "false_documents",
        "explanation": "Hồ sơ giả mạo",
        "award_ids": [aid],
    }
    r = await qt.post("/award-annulments", body, role="signer")
    assert r.status_code == 201, r.text
    award = (await qt.get(f"/awards/{aid}")).json()
    assert award["annulled_by"] == r.json()["id"] and award["annul_reason"] == "false_documents"
    rec = await qt.post(
        f"/awards/{aid}/recoveries",
        {"on": "2026-06-01", "certificate": True, "bonus_vnd": 3_510_000},
    )
    assert rec.status_code == 200
    assert rec.json()["certificate_recovered"] and rec.json()["bonus_recovered_vnd"] == 3_510_000
    too_much = await qt.post(f"/awards/{aid}/recoveries", {"on": "2026-06-02", "bonus_vnd": 1})
    assert too_much.status_code == 422
    seen = rec.headers["KH-Position"]
    register = (
        await qt.get(f"/registers/awards?period=2023-2025&min_position={seen}", role="auditor")
    ).json()
    assert register["state_awards"] == 0 and register["total_bonus_vnd"] == 0  # annulled
    bad = await qt.client.get(
        qt.url("/registers/awards"), params={"period": "2024\x00"}, headers=qt.keys["auditor"]
    )
    assert bad.status_code == 422 and bad.json()["field"] == "period"
    twice = await qt.post("/award-annulments", {**body, "number": "41/QĐ-UBND"}, role="signer")
    assert twice.json()["errors"][0]["code"] == "already_annulled"
    assert (await qt.get(f"/award-annulments/{r.json()['id']}")).json()[
        "reason"
    ] == "false_documents"


AWARD_ROUTES = [
    ("POST", "/award-proposals", {}),
    ("GET", "/award-proposals/{id}", None),
    ("POST", "/award-proposals/{id}/submit", {}),
    ("POST", "/award-decisions", {}),
    ("GET", "/award-decisions/{id}", None),
    ("GET", "/awards/{id}", None),
    ("POST", "/awards/{id}/recoveries", {}),
    ("POST", "/award-annulments", {}),
    ("POST", "/subjects/{id}/suspensions", {}),
    ("PUT", "/subjects/{id}/merits/2025", {}),
    ("GET", "/subjects/{id}/eligibility?form=pm_certificate", None),
    ("GET", "/award-criteria", None),
    ("PUT", "/award-criteria", {"criteria": []}),
    ("GET", "/registers/awards", None),
]


@pytest.mark.parametrize(("method", "path", "body"), AWARD_ROUTES)
async def test_award_routes_hide_other_tenants(
    client: httpx.AsyncClient, qt: Province, method: str, path: str, body: Any
) -> None:
    other = await open_province(client, "ha-noi", "01")
    person = await citizen(qt)
    for role, key in other.keys.items():
        r = await client.request(method, qt.url(path.format(id=person)), json=body, headers=key)
        assert r.status_code == 404, (role, r.text)


async def approved_proposal(qt: Province, proposer: dict[str, Any], form: str) -> str:
    (household,) = await qt.households(1, prefix="FW")
    body = {
        "number": "12/TTr-UBND",
        "proposer": proposer,
        "form": form,
        "achievement": INTERIM,
        "lines": [line(household, "household")],
        "report": EVIDENCE,
    }
    r = await qt.post("/award-proposals", body)
    assert r.status_code == 201, r.text
    pid: str = r.json()["id"]
    await qt.post(f"/award-proposals/{pid}/submit", {})
    vote = {"met_on": "2026-01-10", "votes_for": 5, "votes_total": 6, "minutes": EVIDENCE}
    await qt.post(f"/award-proposals/{pid}/review", vote, role="reviewer")
    approved = await qt.post(f"/award-proposals/{pid}/approve", {}, role="reviewer")
    assert approved.json()["status"] == "approved", approved.text
    return pid


async def test_forwarding_goes_upward_only(qt: Province) -> None:
    pid = await approved_proposal(qt, PROVINCE, "pm_certificate")
    for target, form, field in [
        (COMMUNE_SIGNER, "commune_certificate", "proposer.signer"),  # province → commune
        (PROVINCE, "pm_certificate", "proposer.signer"),  # province → province
        ({**PROVINCE, "signer": "prime_minister"}, "province_certificate", "form"),
    ]:
        r = await qt.post(
            f"/award-proposals/{pid}/forward",
            {"number": "31/TTr-UBND", "proposer": target, "form": form},
        )
        assert r.status_code == 422, (target, r.text)
        body = r.json()
        assert body["code"] == "forward_upward" and body["rule"] == "forward_upward"
        assert body["field"] == field, body
    still = (await qt.get(f"/award-proposals/{pid}")).json()
    assert still["status"] == "approved" and still["forwarded_to"] is None
    assert still["allowed_actions"] == ["forward"]
    # what a rejection names is a rule of the published table, with its source
    described = await qt.client.get("/problems/forward_upward")
    assert described.status_code == 200 and "83" in described.text


async def test_proposal_errors_name_the_lines(qt: Province) -> None:
    (household,) = await qt.households(1)
    person = await citizen(qt)
    await qt.post(
        f"/subjects/{person}/suspensions", {"reason": "discipline", "since": "2026-01-01"}
    )
    body = {
        "number": "12/TTr-UBND",
        "proposer": COMMUNE_SIGNER,
        "form": "province_certificate",
        "achievement": INTERIM,
        "lines": [
            line(household, "household"),
            line("00000000-0000-0000-0000-00000000dead"),
            line(person),
        ],
        "report": EVIDENCE,
    }
    r = await qt.post("/award-proposals", body)
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("lines[1].subject_id", "not_found"),
        ("lines[2].subject_id", "suspended_subject"),
    ]
    assert r.json()["field"] == "lines[1].subject_id"


async def test_decision_errors_name_the_recipients_field_at_fault(qt: Province) -> None:
    (household,) = await qt.households(1)
    person = await citizen(qt)
    r = await qt.post(
        "/award-decisions",
        award_decision(
            [
                line(household, "individual"),  # a household is awarded as a household
                line("00000000-0000-0000-0000-00000000dead"),
                line(person),
                line(person),  # listed twice
            ]
        ),
        role="signer",
    )
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("recipients[0].recipient_kind", "award_recipient_kind"),
        ("recipients[1].subject_id", "award_recipient_kind"),
        ("recipients[3].subject_id", "one_award_per_achievement"),
    ]


async def test_annulment_errors_name_the_award_ids(qt: Province) -> None:
    person = await citizen(qt)
    d = (await qt.post("/award-decisions", award_decision([line(person)]), role="signer")).json()
    aid = d["recipients"][0]["award_id"]
    body = {
        "number": "40/QĐ-UBND",
        "signed_on": "2026-05-01",
        "issuer": PROVINCE,
        "signer": SIGNER,
        "reason": "false_documents",
        "explanation": "Hồ sơ giả mạo",
        "award_ids": [aid, "00000000-0000-0000-0000-00000000dead"],
    }
    r = await qt.post("/award-annulments", body, role="signer")
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("award_ids[1]", "not_found")]
    done = await qt.post("/award-annulments", {**body, "award_ids": [aid]}, role="signer")
    assert done.status_code == 201, done.text
    twice = await qt.post(
        "/award-annulments", {**body, "number": "41/QĐ-UBND", "award_ids": [aid]}, role="signer"
    )
    assert [(e["field"], e["code"]) for e in twice.json()["errors"]] == [
        ("award_ids[0]", "already_annulled")
    ]


LARGE = 3_000


async def test_large_decision_fails_exactly_the_lines_the_rules_fail_one_by_one(
    qt: Province,
) -> None:
    """3,000 recipients of every kind of history: the decision names exactly the failing
    lines, each with the rules the one-subject explanation fails (and passes the rest)."""
    criteria = [
        {  # longer than any fixed look-back: the decision must read all 8 years
            "form": "commune_certificate",
            "recipient_kind": "household",
            "title": "learning_household",
            "consecutive_years": 8,
        },
        {"form": "commune_certificate", "recipient_kind": "individual", "min_rating": "good"},
    ]
    r = await qt.client.put(
        qt.url("/award-criteria"), json={"criteria": criteria}, headers=qt.keys["tenant_admin"]
    )
    assert r.status_code == 200, r.text
    homes = await qt.households(LARGE - 122, prefix="BIG")
    people = [await citizen(qt, f"Nguyễn Thị Hoa {i}") for i in range(120)]

    def category(h: int) -> str:
        return {1: "seven_years", 4: "awarded", 5: "wrong_kind"}.get(h % 10) or (
            "revoked" if h % 10 == 2 and h < 600 else "suspended" if h % 10 == 3 and h < 300 else ""
        )

    for year in range(2018, 2026):
        held = [s for h, s in enumerate(homes) if year > 2018 or category(h) != "seven_years"]
        r = await qt.post(
            "/decisions",
            qt.household_decision(
                held, f"{year}/QĐ-UBND", year=year, signed_on=f"{year + 1}-01-15"
            ),
            role="signer",
        )
        assert r.status_code == 201, r.text[:300]
    revoked = [s for h, s in enumerate(homes) if category(h) == "revoked"]
    rids = []
    for s in revoked:
        found = await qt.client.get(
            qt.url("/recognitions"),
            params={"subject_id": s, "title": "learning_household", "year": 2022},
            headers=qt.keys["officer"],
        )
        rids.append(found.json()["id"])
    revocation = {
        "number": "5/QĐ-UBND",
        "signed_on": "2025-06-01",
        "issuer": qt.household_decision([])["issuer"],
        "signer": SIGNER,
        "reason": "fraud",
        "explanation": "Kê khai không trung thực",
        "recognition_ids": rids,
    }
    assert (await qt.post("/revocations", revocation, role="signer")).status_code == 201
    for h, s in enumerate(homes):
        if category(h) == "suspended":
            r = await qt.post(
                f"/subjects/{s}/suspensions", {"reason": "complaint", "since": "2026-01-05"}
            )
            assert r.status_code == 200, r.text
    annual_2025 = {"period": "2025", "occasion": "annual"}
    awarded = [line(s, "household") for h, s in enumerate(homes) if category(h) == "awarded"]
    earlier = award_decision(
        awarded,
        form="commune_certificate",
        number="2/QĐ-UBND",
        issuer=COMMUNE_SIGNER,
        achievement=annual_2025,
    )
    assert (await qt.post("/award-decisions", earlier, role="signer")).status_code == 201
    for i, person in enumerate(people):
        if i % 3 != 2:  # i % 3 == 2: no rating recorded at all
            r = await qt.client.put(
                qt.url(f"/subjects/{person}/merits/2025"),
                json={"rating": "good" if i % 3 == 0 else "completed"},
                headers=qt.keys["officer"],
            )
            assert r.status_code == 200, r.text

    # every line with what must fail on it, in a shuffled order
    expected_codes = {
        "seven_years": {"giay_khen_criteria"},
        "revoked": {"giay_khen_criteria"},
        "suspended": {"suspended_subject"},
        "awarded": {"one_award_per_achievement"},
        "wrong_kind": {"award_recipient_kind"},
        "": set(),
    }
    cases: list[tuple[dict[str, Any], str, set[str]]] = []
    for h, s in enumerate(homes):
        kind = "collective" if category(h) == "wrong_kind" else "household"
        cases.append((line(s, kind), category(h), expected_codes[category(h)]))
    for i, person in enumerate(people):
        cases.append(
            (line(person), f"rating_{i % 3}", set() if i % 3 == 0 else {"giay_khen_criteria"})
        )
    cases.append(
        (line("00000000-0000-0000-0000-00000000dead"), "unknown", {"award_recipient_kind"})
    )
    random.Random(7).shuffle(cases)
    cases.append((line(homes[0], "household"), "listed_twice", {"one_award_per_achievement"}))
    assert len(cases) == LARGE
    giay_khen = award_decision(
        [c[0] for c in cases],
        form="commune_certificate",
        number="9/QĐ-UBND",
        issuer=COMMUNE_SIGNER,
        achievement=annual_2025,
    )
    r = await qt.post("/award-decisions", giay_khen, role="signer")
    assert r.status_code == 422, r.text[:300]
    failed: dict[int, set[str]] = {}
    for e in r.json()["errors"]:
        index = int(e["field"].split("[")[1].split("]")[0])
        failed.setdefault(index, set()).add(e["code"])
    assert failed == {i: codes for i, (_, _, codes) in enumerate(cases) if codes}

    # the same rules applied one subject at a time, for a sample of every kind of history
    sampled: dict[str, int] = {}
    for i, (ln, what, _) in enumerate(cases):
        if what in ("unknown", "wrong_kind", "listed_twice") or sampled.get(what, 0) >= 4:
            continue
        sampled[what] = sampled.get(what, 0) + 1
        one = await qt.get(
            f"/subjects/{ln['subject_id']}/eligibility?form=commune_certificate"
            "&period=2025&occasion=annual&on=2026-02-01"
        )
        alone = {x["rule"] for x in one.json()["rules"] if not x["passed"]}
        assert alone == failed.get(i, set()), (what, one.json()["rules"])
    assert len(sampled) == 8 and all(n == 4 for n in sampled.values())

    passing = [c[0] for i, c in enumerate(cases) if i not in failed]
    ok = await qt.post("/award-decisions", {**giay_khen, "recipients": passing}, role="signer")
    assert ok.status_code == 201, ok.text[:300]
    assert ok.json()["recipient_count"] == len(passing) == LARGE - len(failed)


async def test_bonus_tables_are_dated_data_every_reader_sees(
    qt: Province, client: httpx.AsyncClient
) -> None:
    for role in ("tenant_admin", "officer", "reviewer", "signer", "auditor"):
        r = await qt.get("/bonus-tables", role=role)
        assert r.status_code == 200, (role, r.text)
    body = r.json()
    assert body["round_to_vnd"] == 10_000
    assert [(b["since"], b["vnd"]) for b in body["base_salary"]][-2:] == [
        ("2024-07-01", 2_340_000),
        ("2026-07-01", 2_530_000),
    ]
    latest = body["tables"][-1]
    assert latest["since"] == "2025-07-01" and latest["until"] is None
    pm = next(m for m in latest["multipliers"] if m["form"] == "pm_certificate")
    assert float(pm["individual"]) == 3.5 and float(pm["household"]) == 5.25
    assert body["tables"][-2]["until"] == "2025-06-30"
    assert (await qt.get("/bonus-tables", role="integrator")).status_code == 403
    other = await open_province(client, slug="hue", code="46")
    foreign = await client.get(qt.url("/bonus-tables"), headers=other.keys["auditor"])
    assert foreign.status_code == 404


async def test_a_decision_after_1_july_2026_pays_on_the_new_base_salary(qt: Province) -> None:
    person = await citizen(qt)
    r = await qt.post(
        "/award-decisions",
        award_decision([line(person)], signed_on="2026-07-01", number="40/QĐ-UBND"),
        role="signer",
    )
    assert r.status_code == 201, r.text
    assert r.json()["base_salary_vnd"] == 2_530_000
    assert r.json()["recipients"][0]["bonus_vnd"] == 3_800_000  # 1.5 × 2,530,000 = 3,795,000


async def test_interim_review_certificates_do_not_count_toward_the_pm_certificate(
    qt: Province,
) -> None:
    """QĐ 1315's 2025 interim review gives thematic (movement) awards: a province certificate
    from it is no earlier certificate for route 73.1.b, whatever the five years show."""
    person = await citizen(qt)
    for year in range(2021, 2026):
        r = await qt.client.put(
            qt.url(f"/subjects/{person}/merits/{year}"),
            json={"rating": "good", "emulation_titles": ["chien_si_thi_dua_co_so"]},
            headers=qt.keys["officer"],
        )
        assert r.status_code == 200, r.text
    interim = award_decision([line(person)], signed_on="2020-06-01", achievement=INTERIM)
    interim["achievement"] = {"period": "2019-2020", "occasion": "interim_review"}
    assert (await qt.post("/award-decisions", interim, role="signer")).status_code == 201
    url = f"/subjects/{person}/eligibility?form=pm_certificate&period=2025&occasion=annual"
    body = (await qt.get(url, role="auditor")).json()
    rules = {(r["rule"], r["route"]): r["passed"] for r in body["rules"]}
    assert body["eligible"] is False
    assert rules[("thematic_not_merit", "73.1.b")] is False
    assert rules[("award_route_movement", "73.1.a")] is False  # annual: not a movement review
    assert rules[("pm_five_good_years", "73.1.b")] is True
    review = (
        f"/subjects/{person}/eligibility?form=pm_certificate&period=2023-2025&occasion=final_review"
    )
    assert (await qt.get(review, role="auditor")).json()["eligible"] is True  # route 73.1.a
