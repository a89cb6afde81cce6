"""Decision numbers and keys through the 2025 reform: era-aware ids for reused unit codes,
one running sequence per issuer and year (warned, not refused), the year only in
legal-normative acts."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from kh_saas.domain.authority import Office
from kh_saas.domain.document_numbers import NumberBook, check_signed_number
from kh_saas.domain.errors import RuleViolation
from kh_saas.domain.recognitions import Issuer, RecognitionDecision
from tests.province import SIGNER, Province, open_province

BAC_LY = Issuer(office=Office.COMMUNE_CHAIRMAN, name="UBND phường Bắc Lý", unit_code="18859")
DONG_THUAN = Issuer(
    office=Office.COMMUNE_CHAIRMAN, name="UBND phường Đồng Thuận", unit_code="18859"
)


def test_a_reused_unit_code_keys_two_decisions_apart() -> None:
    """18859 was Phường Bắc Lý until 30/6/2025, then Phường Đồng Thuận: the same number in
    the same year names two decisions, one of each."""
    before = RecognitionDecision.create_id(BAC_LY, "12/QĐ-UBND", date(2025, 6, 30))
    after = RecognitionDecision.create_id(DONG_THUAN, "12/QĐ-UBND", date(2025, 7, 1))
    assert before != after
    same = RecognitionDecision.create_id(DONG_THUAN, "12/QĐ-UBND", date(2025, 12, 31))
    assert same == after


def book() -> NumberBook:
    b = NumberBook(authority="commune_chairman", unit_code="18859", era="legacy", year=2024,
                   actor="t")  # fmt: skip
    b.enter(number="50/QĐ-UBND", signed_on=date(2024, 4, 1), act="x", actor="t")
    return b


def test_numbers_running_backwards_are_warned() -> None:
    b = book()
    assert b.warnings("51/QĐ-UBND", date(2024, 4, 1)) == []
    assert b.warnings("51/QĐ-UBND", date(2024, 5, 2)) == []
    (late,) = b.warnings("49/QĐ-UBND", date(2024, 4, 2))
    assert late.code == "number_backwards" and "50/QĐ-UBND" in late.message
    (early,) = b.warnings("60/QĐ-UBND", date(2024, 3, 31))
    assert early.code == "number_backwards"
    (reused,) = b.warnings("50/TTr-UBND", date(2024, 4, 1))
    assert reused.code == "number_reused"
    assert [w.code for w in b.warnings("07/2024/QĐ-UBND", date(2024, 12, 1))] == [
        "number_has_year",
        "number_backwards",
    ]


def test_a_year_in_the_number_must_be_the_signing_year() -> None:
    check_signed_number("07/2025/QĐ-UBND", date(2025, 1, 1))
    check_signed_number("123/QĐ-UBND", date(2025, 1, 1))
    with pytest.raises(RuleViolation) as err:
        check_signed_number("07/2024/QĐ-UBND", date(2025, 1, 1))
    assert err.value.rule == "decision_number" and err.value.field == "number"
    with pytest.raises(RuleViolation):
        check_signed_number("123//QĐ-UBND", date(2025, 1, 1))


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def households(qt: Province, commune: str, n: int, prefix: str) -> list[str]:
    items = [
        {"kind": "household", "name": f"Hộ {i}", "commune_code": commune, "ref": f"{prefix}-{i}"}
        for i in range(n)
    ]
    r = await qt.post("/subjects/bulk", {"items": items})
    assert r.status_code == 201, r.text
    ids: list[str] = r.json()["ids"]
    return ids


def decision(ids: list[str], issuer: Issuer, number: str, signed_on: str, year: int) -> dict:  # type: ignore[type-arg]
    return {
        "number": number,
        "signed_on": signed_on,
        "issuer": {"office": issuer.office, "name": issuer.name, "unit_code": issuer.unit_code},
        "signer": SIGNER,
        "title": "learning_household",
        "tier": "commune",
        "year": year,
        "recipients": [{"subject_id": i} for i in ids],
    }


async def test_two_eras_of_one_code_record_the_same_number(qt: Province) -> None:
    homes = await households(qt, "18859", 2, "DT")
    first = await qt.post(
        "/decisions", decision(homes[:1], BAC_LY, "12/QĐ-UBND", "2025-03-01", 2024), "signer"
    )
    assert first.status_code == 201, first.text
    second = await qt.post(
        "/decisions", decision(homes[1:], DONG_THUAN, "12/QĐ-UBND", "2025-09-01", 2025), "signer"
    )
    assert second.status_code == 201, second.text  # was 409 decision_exists before issue 8
    assert first.json()["id"] != second.json()["id"]
    again = await qt.post(
        "/decisions", decision(homes[1:], DONG_THUAN, "12/QĐ-UBND", "2025-10-01", 2024), "signer"
    )
    assert again.status_code == 409 and again.json()["code"] == "decision_exists"


async def test_decisions_warn_on_numbers_that_run_backwards(qt: Province) -> None:
    homes = await households(qt, "18859", 3, "BW")
    ok = await qt.post(
        "/decisions", decision(homes[:1], DONG_THUAN, "50/QĐ-UBND", "2025-09-01", 2025), "signer"
    )
    assert ok.status_code == 201 and ok.json()["warnings"] == []
    back = await qt.post(
        "/decisions", decision(homes[1:2], DONG_THUAN, "45/QĐ-UBND", "2025-10-01", 2025), "signer"
    )
    assert back.status_code == 201, back.text  # recorded as signed, with a warning
    (warning,) = back.json()["warnings"]
    assert (warning["code"], warning["field"]) == ("number_backwards", "number")
    read = await qt.get(f"/decisions/{back.json()['id']}", role="auditor")
    assert read.json()["warnings"] == back.json()["warnings"]
    yearly = await qt.post(
        "/decisions",
        decision(homes[2:], DONG_THUAN, "51/2025/QĐ-UBND", "2025-11-01", 2025),
        "signer",
    )
    assert yearly.status_code == 201
    assert [w["code"] for w in yearly.json()["warnings"]] == ["number_has_year"]
    wrong_year = await qt.post(
        "/decisions",
        decision(homes[2:], DONG_THUAN, "52/2024/QĐ-UBND", "2025-11-02", 2025),
        "signer",
    )
    assert wrong_year.status_code == 422 and wrong_year.json()["rule"] == "decision_number"
