"""Report schedule and reports (issue 12, báo cáo kết quả): flows re-routed at the reform,
the annual and phase reports in JSON, XLSX and PDF as of the deadline, each commune's
completeness, roles, other tenants' 404 and problems naming the field."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import openpyxl
import pytest
from pypdf import PdfReader

from kh_saas.service import Service
from tests.province import COMMUNE, Province, open_province
from tests.test_plans_targets import adopt_body

OLD_COMMUNE = "19477"  # merged into 19483 (COMMUNE) on 1 July 2025
OTHER_COMMUNE = "19489"

#: Seed 003 (Tủa Chùa): communes → district before 10/11, district → province before 5/12.
SEED_003 = {
    "flows": [
        {
            "reporter": "commune",
            "recipient_tier": "district",
            "recipient": "Hội Khuyến học huyện",
            "due": "11-10",
            "source": "Kế hoạch UBND huyện Tủa Chùa, 6/2022",
        },
        {
            "reporter": "district",
            "recipient_tier": "province",
            "recipient": "UBND tỉnh, Hội Khuyến học tỉnh",
            "due": "12-05",
        },
    ],
    "letterhead": {
        "issuer": "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG TRỊ",
        "authority": ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
        "signer_name": "Hoàng Nam",
        "recipients": ["Bộ Giáo dục và Đào tạo", "Hội Khuyến học Việt Nam"],
    },
}


def direct(due: str) -> dict[str, Any]:
    """Communes report to the province directly (after the reform)."""
    return {
        "flows": [
            {
                "reporter": "commune",
                "recipient_tier": "province",
                "recipient": "Sở Giáo dục và Đào tạo",
                "due": due,
            }
        ]
    }


@pytest.fixture
async def qt(client: httpx.AsyncClient) -> Province:
    return await open_province(client)


async def put_schedule(qt: Province, body: Any, role: str = "tenant_admin") -> httpx.Response:
    return await qt.client.put(qt.url("/report-schedule"), json=body, headers=qt.keys[role])


async def get(qt: Province, path: str, role: str = "auditor", **params: Any) -> httpx.Response:
    return await qt.client.get(qt.url(path), params=params, headers=qt.keys[role])


async def recognise(qt: Province, commune: str, n: int, ref: str, number: str) -> str:
    items = [
        {"kind": "household", "name": f"Hộ {ref} {i}", "commune_code": commune, "ref": f"{ref}{i}"}
        for i in range(n)
    ]
    r = await qt.post("/subjects/bulk", {"items": items})
    assert r.status_code == 201, r.text
    decision = qt.household_decision(r.json()["ids"], number=number, year=2025,
                                     signed_on="2025-10-20")  # fmt: skip
    if commune != COMMUNE:
        decision["issuer"] = {**decision["issuer"], "unit_code": commune, "name": "UBND xã"}
    r = await qt.post("/decisions", decision, role="signer")
    assert r.status_code == 201, r.text
    return r.headers["KH-Position"]


async def test_the_schedule_is_rerouted_at_the_reform_and_recorded(
    qt: Province, service: Service
) -> None:
    r = await put_schedule(qt, SEED_003)
    assert r.status_code == 200, r.text
    flows = r.json()["flows"]
    assert [(f["reporter"], f["recipient_tier"], f["valid_to"], f["rerouted"]) for f in flows] == [
        ("commune", "district", "2025-06-30", False),
        ("district", "province", "2025-06-30", False),
        ("commune", "province", None, True),
    ]
    assert flows[2]["valid_from"] == "2025-07-01"
    assert flows[2]["due"] == "11-10"  # the communes keep their own date
    assert flows[2]["recipient"] == "UBND tỉnh, Hội Khuyến học tỉnh"

    before = (await get(qt, "/report-schedule", year=2024)).json()["due"]
    assert [(d["reporter"], d["recipient_tier"], d["due_on"]) for d in before] == [
        ("commune", "district", "2024-11-10"),
        ("district", "province", "2024-12-05"),
    ]
    after = (await get(qt, "/report-schedule", role="reviewer", year=2025)).json()
    assert [(d["reporter"], d["recipient_tier"], d["due_on"]) for d in after["due"]] == [
        ("commune", "province", "2025-11-10")
    ]
    assert after["due"][0]["cutoff"] == "2025-11-09T17:00:00Z"  # 00:00 on 10/11 in Vietnam
    assert after["letterhead"]["signer_name"] == "Hoàng Nam"

    # What was read back can be sent back unchanged: the re-routed flow is kept, not doubled.
    again = await put_schedule(qt, {"flows": flows, "letterhead": after["letterhead"]})
    assert again.status_code == 200, again.text
    assert len(again.json()["flows"]) == 3

    tenant = await service.catalog.get(qt.slug)
    assert tenant is not None
    conn = await asyncpg.connect(service.settings.database_url)
    try:
        topics = await conn.fetch(
            f'SELECT topic FROM "{tenant.schema_name}".khuyenhoc_events'
            " WHERE topic LIKE 'kh_saas.domain.report_schedule:%' ORDER BY notification_id"
        )
    finally:
        await conn.close()
    assert [t["topic"].rpartition(".")[2] for t in topics] == ["Configured", "Replaced"]


async def test_only_the_tenant_admin_writes_the_schedule(qt: Province) -> None:
    for role in ("officer", "reviewer", "signer", "auditor", "integrator"):
        assert (await put_schedule(qt, direct("12-01"), role)).status_code == 403, role
    for role in ("tenant_admin", "officer", "reviewer", "signer", "auditor"):
        assert (await get(qt, "/report-schedule", role)).status_code == 200, role
        assert (await get(qt, "/reports/annual", role, year=2025)).status_code == 200, role
    assert (await get(qt, "/report-schedule", "integrator")).status_code == 403
    assert (await get(qt, "/reports/annual", "integrator", year=2025)).status_code == 403
    unset = (await get(qt, "/report-schedule")).json()
    assert unset["configured"] is False and unset["flows"] == []


@pytest.mark.parametrize(
    ("flow", "field"),
    [
        ({"due": "13-01"}, "flows[0].due"),
        ({"due": "02-30"}, "flows[0].due"),
        ({"recipient_tier": "commune"}, "flows[0].recipient_tier"),
        ({"reporter": "district", "valid_from": "2025-08-01"}, "flows[0].valid_from"),
        ({"valid_from": "2025-01-01", "valid_to": "2024-01-01"}, "flows[0].valid_to"),
        ({"deadline": "12-01"}, "flows[0].deadline"),
        ({"recipient": ""}, "flows[0].recipient"),
    ],
)
async def test_a_bad_flow_is_a_problem_naming_its_field(
    qt: Province, flow: dict[str, Any], field: str
) -> None:
    body = direct("12-01")
    body["flows"][0].update(flow)
    r = await put_schedule(qt, body)
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert field in [problem.get("field"), *(e["field"] for e in problem.get("errors") or [])]
    assert (await get(qt, "/report-schedule")).json()["configured"] is False


async def test_overlapping_flows_are_refused(qt: Province) -> None:
    body = direct("12-01")
    body["flows"].append({**body["flows"][0], "due": "11-30"})
    r = await put_schedule(qt, body)
    assert r.status_code == 422
    assert r.json()["field"] == "flows[1]"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/reports/annual", {"year": "1990"}, "year"),
        ("/reports/annual", {}, "year"),
        ("/reports/annual", {"year": "2025", "format": "docx"}, "format"),
        ("/reports/annual", {"year": "2025", "as_of": "2025-12-01T00:00:00"}, "as_of"),
        ("/reports/annual", {"year": "2025", "number": "12/BC"}, "number"),
        ("/reports/phase", {"phase": "2025-2021"}, "phase"),
        ("/reports/phase", {"phase": "2021"}, "phase"),
        ("/reports/phase", {"phase": "2000-2030"}, "phase"),
        ("/report-schedule", {"year": "x"}, "year"),
    ],
)
async def test_bad_report_queries_name_the_parameter(
    qt: Province, path: str, params: dict[str, str], field: str
) -> None:
    r = await get(qt, path, **params)
    assert r.status_code in (400, 422), r.text
    problem = r.json()
    assert field in [problem.get("field"), *(e["field"] for e in problem.get("errors") or [])]


async def test_the_annual_report_stands_at_its_deadline_and_shows_late_entries(
    qt: Province,
) -> None:
    assert (await put_schedule(qt, SEED_003)).status_code == 200
    await recognise(qt, COMMUNE, 3, "A", "1/QĐ-UBND")
    await recognise(qt, OLD_COMMUNE, 2, "B", "2/QĐ-UBND")
    cut = datetime.now(UTC)
    seen = await recognise(qt, OTHER_COMMUNE, 4, "C", "3/QĐ-UBND")

    # The deadline (before 10/11/2025) passed before anything was recorded: all of it is late.
    report = (await get(qt, "/reports/annual", year=2025, min_position=seen)).json()
    assert report["deadline"]["due_on"] == "2025-11-10"
    assert report["as_of"] == "2025-11-09T17:00:00Z"
    assert report["summary"]["province"]["recognised"]["learning_household"] == 0
    assert report["summary"]["recorded_after_deadline"]["recognitions"] == 9
    assert report["summary"]["communes_reporting"] == 0
    assert len(report["communes_without_records"]) == report["summary"]["communes"] > 0

    # As of a moment between the writes: the third commune's decision came after it.
    report = (await get(qt, "/reports/annual", year=2025, as_of=cut.isoformat())).json()
    summary = report["summary"]
    assert summary["province"]["recognised"]["learning_household"] == 5
    assert summary["recorded_after_deadline"]["recognitions"] == 4
    by_code = {c["code"]: c for c in report["communes"]}
    mine = by_code[COMMUNE]
    assert mine["counts"]["recognised"]["learning_household"] == 5  # the legacy commune's 2
    assert mine["status"] == "on_time"
    other = by_code[OTHER_COMMUNE]
    assert other["status"] == "nothing_recorded"
    assert other["recorded_after_deadline"]["recognitions"] == 4
    silent = {c["code"] for c in report["communes_without_records"]}
    assert OTHER_COMMUNE in silent and COMMUNE not in silent
    assert summary["communes_reporting"] == 1
    assert summary["communes_without_records"] == summary["communes"] - 1
    assert [(t["title"], t["tier"], t["recognised"]) for t in report["titles"]] == [
        ("learning_household", "commune", 5)
    ]
    assert {d["number"] for d in report["decisions"]} == {"1/QĐ-UBND", "2/QĐ-UBND"}

    now = (await get(qt, "/reports/annual", year=2025, as_of="2100-01-01T00:00:00Z")).json()
    assert now["summary"]["province"]["recognised"]["learning_household"] == 9
    assert now["summary"]["recorded_after_deadline"]["recognitions"] == 0


async def test_a_deadline_still_ahead_counts_everything(qt: Province) -> None:
    assert (await put_schedule(qt, direct("12-05"))).status_code == 200
    seen = await recognise(qt, COMMUNE, 2, "D", "4/QĐ-UBND")
    r = await get(qt, "/reports/annual", year=2025, min_position=seen)
    assert r.json()["summary"]["province"]["recognised"]["learning_household"] == 0  # 5/12/2025
    # No schedule for a year means no deadline: the report is as of now.
    ended = {"flows": [{**direct("12-05")["flows"][0], "valid_to": "2024-12-31"}]}
    assert (await put_schedule(qt, ended)).status_code == 200
    report = (await get(qt, "/reports/annual", year=2025)).json()
    assert report["deadline"] is None
    assert report["summary"]["province"]["recognised"]["learning_household"] == 2


async def test_the_workbook_has_every_sheet(qt: Province) -> None:
    assert (await put_schedule(qt, SEED_003)).status_code == 200
    seen = await recognise(qt, COMMUNE, 2, "E", "5/QĐ-UBND")
    r = await get(qt, "/reports/annual", year=2025, format="xlsx", min_position=seen,
                  as_of="2100-01-01T00:00:00Z")  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert wb.sheetnames[:5] == ["Tổng hợp", "Theo xã", "Danh hiệu", "Khen thưởng", "Thu hồi"]
    summary = {row[0]: row[1] for row in wb["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Công nhận Gia đình học tập"] == 2
    communes = list(wb["Theo xã"].iter_rows(values_only=True))
    assert communes[0][:3] == ("Mã xã", "Tên xã, phường", "Gia đình học tập")
    row = next(r for r in communes if r[0] == COMMUNE)
    assert row[2] == 2 and row[-1] == "on_time"
    titles = list(wb["Danh hiệu"].iter_rows(values_only=True))
    assert any(t[1] == "Gia đình học tập" and t[5] == 2 for t in titles)


async def test_the_pdf_is_an_administrative_document(qt: Province) -> None:
    assert (await put_schedule(qt, SEED_003)).status_code == 200
    seen = await recognise(qt, COMMUNE, 2, "F", "6/QĐ-UBND")
    r = await get(qt, "/reports/annual", year=2025, format="pdf", number="15",
                  dated="2025-11-12", min_position=seen)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(r.content))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN",
        "TỈNH QUẢNG TRỊ",
        "Số: 15/BC-UBND",
        "Quảng Trị, ngày 12 tháng 11 năm 2025",
        "BÁO CÁO",
        "Kết quả thực hiện Phong trào thi đua xây dựng xã hội học tập năm 2025",
        "Nơi nhận:",
        "- Bộ Giáo dục và Đào tạo;",
        "- Lưu: VT.",
        "KT. CHỦ TỊCH",
        "Hoàng Nam",
        "Gio Linh",
        "trước ngày 10/11/2025",
        "chưa có số liệu",
    ):
        assert expected in text, expected
    fonts = {
        str(f["/BaseFont"])
        for page in pdf.pages
        for f in page["/Resources"]["/Font"].values()  # type: ignore[index, union-attr]
    }
    assert all("LiberationSerif" in f for f in fonts), fonts  # the bundled font, embedded


async def test_phase_reports_are_interim_in_2025_and_final_in_2030(qt: Province) -> None:
    assert (await put_schedule(qt, SEED_003)).status_code == 200
    seen = await recognise(qt, COMMUNE, 2, "G", "7/QĐ-UBND")
    interim = (await get(qt, "/reports/phase", phase="2021-2025", min_position=seen,
                         as_of="2100-01-01T00:00:00Z")).json()  # fmt: skip
    assert (interim["kind"], interim["review"], interim["period"]) == (
        "phase", "interim_review", "2021-2025"
    )  # fmt: skip
    assert interim["deadline"]["due_on"] == "2025-11-10"
    assert interim["summary"]["province"]["recognised"]["learning_household"] == 2
    final = (await get(qt, "/reports/phase", phase="2026-2030")).json()
    assert final["review"] == "final_review"
    assert final["deadline"]["due_on"] == "2030-11-10"
    assert final["summary"]["province"]["recognised"]["learning_household"] == 0
    pdf = await get(qt, "/reports/phase", phase="2021-2025", format="pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Sơ kết Phong trào thi đua xây dựng xã hội học tập giai đoạn 2021-2025" in text
    xlsx = await get(qt, "/reports/phase", phase="2021-2025", format="xlsx")
    assert "Tổng hợp" in openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames


async def test_every_report_route_hides_other_tenants(client: httpx.AsyncClient) -> None:
    qt = await open_province(client, "quang-tri", "44")
    hue = await open_province(client, "hue", "46")
    assert (await put_schedule(qt, SEED_003)).status_code == 200
    for path, params in (
        ("/report-schedule", {}),
        ("/reports/annual", {"year": "2025"}),
        ("/reports/annual", {"year": "2025", "format": "pdf"}),
        ("/reports/phase", {"phase": "2021-2025", "format": "xlsx"}),
    ):
        theirs = await client.get(qt.url(path), params=params, headers=hue.keys["tenant_admin"])
        assert theirs.status_code == 404, (path, theirs.text)
        assert "Hoàng Nam" not in theirs.text
    put = await client.put(qt.url("/report-schedule"), json=direct("12-01"),
                           headers=hue.keys["tenant_admin"])  # fmt: skip
    assert put.status_code == 404
    assert (await get(qt, "/report-schedule")).json()["flows"][0]["due"] == "11-10"


async def test_the_report_carries_the_attainment_of_the_adopted_plan(qt: Province) -> None:
    assert (await put_schedule(qt, SEED_003)).status_code == 200
    plan = await qt.post("/plans", adopt_body(), role="tenant_admin")
    assert plan.status_code == 201, plan.text
    stats = {"communes": [{"commune_code": COMMUNE, "households": 10}]}
    r = await qt.client.put(qt.url("/statistics/2025"), json=stats, headers=qt.keys["tenant_admin"])
    assert r.status_code == 200, r.text
    await recognise(qt, COMMUNE, 3, "H", "8/QĐ-UBND")
    seen = await recognise(qt, OLD_COMMUNE, 2, "I", "9/QĐ-UBND")
    late = {"year": 2025, "min_position": seen, "as_of": "2100-01-01T00:00:00Z"}

    report = (await get(qt, "/reports/annual", **late)).json()
    a = report["attainment"]
    assert a["plan"]["number"] == "125/KH-UBND"
    province = {t["denominator"]: t for t in a["province"]["titles"]}
    assert (province["households"]["held"], province["households"]["total"]) == (5, 10)
    assert province["households"]["percent"] == 50.0
    assert province["households"]["target"] == 60.0  # seed 003: 60% of households by 2025
    # At the deadline (before 10/11/2025) neither the plan's adoption nor anything else was
    # recorded yet: the same report as of then has no plan and nothing held.
    at_deadline = (await get(qt, "/reports/annual", year=2025)).json()["attainment"]
    assert at_deadline["plan"] is None
    assert all(t["held"] == 0 for t in at_deadline["province"]["titles"])

    xlsx = await get(qt, "/reports/annual", format="xlsx", **late)
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert wb.sheetnames == ["Tổng hợp", "Theo xã", "Danh hiệu", "Khen thưởng", "Thu hồi",
                             "Chỉ tiêu"]  # fmt: skip
    rows = list(wb["Chỉ tiêu"].iter_rows(values_only=True))
    households = next(r for r in rows if r[0] == COMMUNE and r[4] == "households")
    assert households[5:9] == (5, 10, 50.0, 60.0)

    pdf = await get(qt, "/reports/annual", format="pdf", **late)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "VII. KẾT QUẢ THỰC HIỆN CHỈ TIÊU" in text
    assert "Kế hoạch số 125/KH-UBND" in text
    assert "50,0" in text and "60,0 (2025)" in text


async def test_before_29_february_is_before_1_march_in_a_common_year(qt: Province) -> None:
    assert (await put_schedule(qt, direct("02-29"))).status_code == 200
    leap = (await get(qt, "/report-schedule", year=2028)).json()["due"][0]["due_on"]
    common = (await get(qt, "/report-schedule", year=2025)).json()["due"][0]["due_on"]
    assert (leap, common) == ("2028-02-29", "2025-03-01")
    assert (await get(qt, "/reports/annual", year=2025)).json()["deadline"]["due_on"] == (
        "2025-03-01"
    )


async def test_a_control_character_in_a_name_does_not_break_the_workbook(qt: Province) -> None:
    r = await qt.post("/subjects/bulk", {"items": [
        {"kind": "household", "name": "Hộ\x07 Bell", "commune_code": COMMUNE, "ref": "BEL"}
    ]})  # fmt: skip
    assert r.status_code == 201, r.text
    decision = qt.household_decision(r.json()["ids"], number="10/QĐ-UBND", year=2025,
                                     signed_on="2025-10-20")  # fmt: skip
    decision["issuer"] = {**decision["issuer"], "name": "UBND xã\x07 Gio Linh"}
    r = await qt.post("/decisions", decision, role="signer")
    assert r.status_code == 201, r.text
    seen = r.headers["KH-Position"]
    for fmt in ("xlsx", "pdf"):
        got = await get(qt, "/reports/annual", year=2025, format=fmt, min_position=seen)
        assert got.status_code == 200, got.text
    wb = openpyxl.load_workbook(io.BytesIO((await get(
        qt, "/reports/annual", year=2025, format="xlsx")).content))  # fmt: skip
    issuers = [row[2] for row in wb["Danh hiệu"].iter_rows(values_only=True)]
    assert "UBND xã\ufffd Gio Linh" in issuers
