"""The report as a workbook: one sheet per table, headings in Vietnamese, codes beside them.

Sheets: ``Tổng hợp`` (summary), ``Theo xã`` (per commune), ``Danh hiệu`` (titles recognised and
the decisions), ``Khen thưởng`` (awards by form and occasion), ``Thu hồi`` (revocations and
annulments) and ``Chỉ tiêu`` (attainment) when the report carries it. A report is a few hundred
rows (one per commune), so openpyxl's ordinary workbook is enough.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kh_saas.domain.plans import DENOMINATOR_LABEL
from kh_saas.domain.vocabulary import Title
from kh_saas.reports import labels
from kh_saas.reports.model import CommuneLine, Report
from kh_saas.targets.attainment import TitleAttainment

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = ("Tổng hợp", "Theo xã", "Danh hiệu", "Khen thưởng", "Thu hồi", "Chỉ tiêu")
_BOLD = Font(bold=True)


def _cell(value: Any) -> Any:
    """XLSX cannot hold C0 control characters that the API lets into names (only NUL is
    refused at the door): shown as U+FFFD rather than failing the whole workbook."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def _table(ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    start = ws.max_row + (2 if ws.max_row > 1 else 0)
    for col, name in enumerate(header, 1):
        cell = ws.cell(start, col, name)
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start + 1):
        for col, value in enumerate(row, 1):
            ws.cell(r, col, _cell(value))
    for col, name in enumerate(header, 1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, 12,
                                                 min(len(name) + 2, 40))  # fmt: skip


def _summary(ws: Worksheet, report: Report) -> None:
    s = report.summary
    deadline = report.deadline
    rows: list[tuple[str, Any]] = [
        ("Tỉnh, thành phố", report.province_name),
        ("Kỳ báo cáo", report.period),
        ("Loại báo cáo", _kind(report)),
        ("Hạn báo cáo (trước ngày)", deadline.due_on if deadline else "chưa cấu hình"),
        ("Nơi nhận báo cáo của xã", deadline.flow.recipient if deadline else ""),
        ("Số liệu tính đến (as_of, UTC)", report.as_of.replace(tzinfo=None)),
        ("Lập lúc (UTC)", report.built_at.replace(tzinfo=None)),
        ("Vị trí sổ sự kiện", report.position),
        ("Số xã, phường, đặc khu", s.communes),
        ("Số xã có số liệu", s.communes_reporting),
        ("Số xã chưa có số liệu", s.communes_without_records),
        ("Số xã có số liệu nhập sau hạn", s.communes_with_late_entries),
    ]
    rows += [(f"Công nhận {labels.TITLES[t]}", s.province.recognised[t]) for t in Title]
    rows += [
        ("Danh hiệu bị thu hồi", s.province.revoked),
        ("Hồ sơ đề nghị", s.province.nominations),
        ("Quyết định công nhận", s.decisions),
        ("Quyết định khen thưởng", s.award_decisions),
        ("Khen thưởng", s.province.awards),
        ("Khen thưởng bị hủy bỏ", s.province.annulled_awards),
        ("Tiền thưởng (đồng)", s.bonus_vnd),
        ("Quyết định thu hồi danh hiệu", s.revocation_decisions),
        ("Nhập sau hạn: công nhận", s.recorded_after_deadline.recognitions),
        ("Nhập sau hạn: thu hồi", s.recorded_after_deadline.revocations),
        ("Nhập sau hạn: hồ sơ đề nghị", s.recorded_after_deadline.nominations),
        ("Nhập sau hạn: khen thưởng", s.recorded_after_deadline.awards),
    ]
    _table(ws, ("Chỉ tiêu báo cáo", "Giá trị"), rows)
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 30


def _kind(report: Report) -> str:
    if report.kind == "annual":
        return f"Báo cáo kết quả năm {report.period}"
    word = "Tổng kết" if report.review == "final_review" else "Sơ kết"
    return f"{word} giai đoạn {report.period}"


def commune_row(c: CommuneLine) -> list[Any]:
    late = c.recorded_after_deadline
    return [
        c.code or "",
        c.name,
        *(c.counts.recognised[t] for t in Title),
        c.counts.revoked,
        c.counts.nominations,
        c.counts.awards,
        c.counts.subjects,
        late.recognitions,
        late.revocations,
        late.nominations,
        late.awards,
        labels.STATUS[c.status],
        c.status,
    ]


COMMUNE_HEADER = (
    "Mã xã",
    "Tên xã, phường",
    *(labels.TITLES[t] for t in Title),
    "Thu hồi",
    "Hồ sơ đề nghị",
    "Khen thưởng",
    "Đối tượng đăng ký",
    "Sau hạn: công nhận",
    "Sau hạn: thu hồi",
    "Sau hạn: hồ sơ",
    "Sau hạn: khen thưởng",
    "Tình trạng",
    "status",
)


def _communes(ws: Worksheet, report: Report) -> None:
    _table(ws, COMMUNE_HEADER, (commune_row(c) for c in report.communes + report.unmapped))
    ws.column_dimensions["B"].width = 28
    ws.freeze_panes = "C2"


def _titles(ws: Worksheet, report: Report) -> None:
    _table(
        ws,
        ("Năm", "Danh hiệu", "title", "Cấp", "Mức độ", "Được công nhận", "Bị thu hồi",
         "Còn hiệu lực"),
        (
            (t.year, t.label, t.title.value, labels.label(labels.TIERS, t.tier), t.level,
             t.recognised, t.revoked, t.recognised - t.revoked)
            for t in report.titles
        ),
    )  # fmt: skip
    _table(
        ws,
        ("Số quyết định", "Ngày ký", "Cơ quan ban hành", "Danh hiệu", "Cấp", "Mức độ", "Năm",
         "Số được công nhận"),
        (
            (d.number, d.signed_on, d.issuer_name, labels.label(labels.TITLES, d.title),
             labels.label(labels.TIERS, d.tier), d.level, d.year, d.recipient_count)
            for d in report.decisions
        ),
    )  # fmt: skip
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 28


def _awards(ws: Worksheet, report: Report) -> None:
    _table(
        ws,
        ("Hình thức khen thưởng", "form", "Dịp", "occasion", "Số khen thưởng", "Bị hủy bỏ",
         "Tiền thưởng (đồng)"),
        (
            (a.form_label, a.form, a.occasion_label, a.occasion, a.awards, a.annulled,
             a.bonus_vnd)
            for a in report.awards
        ),
    )  # fmt: skip
    ws.column_dimensions["A"].width = 40


def _revocations(ws: Worksheet, report: Report) -> None:
    _table(
        ws,
        ("Loại", "kind", "Số quyết định", "Ngày ký", "Cơ quan ban hành", "Số lượng", "Lý do",
         "reason"),
        (
            (labels.REVOCATION_KINDS[r.kind], r.kind, r.number, r.signed_on, r.issuer_name,
             r.count, labels.label(labels.REASONS, r.reason), r.reason)
            for r in report.revocations
        ),
    )  # fmt: skip
    ws.column_dimensions["E"].width = 28


ATTAINMENT_HEADER = (
    "Mã xã", "Đơn vị", "Danh hiệu", "Mẫu số", "denominator", "Đạt", "Tổng số", "Tỷ lệ (%)",
    "Chỉ tiêu (%)", "Năm mốc", "Tiến độ phải đạt (%)", "Còn thiếu", "Đạt tiến độ",
)  # fmt: skip


def attainment_rows(report: Report) -> Iterable[list[Any]]:
    a = report.attainment
    if a is None:
        return
    scopes: list[tuple[str | None, str, list[TitleAttainment]]] = [
        (None, report.province_name, a.province.titles)
    ]
    scopes += [(c.commune_code, c.commune_name or c.commune_code, c.titles) for c in a.communes]
    for code, name, titles in scopes:
        for t in titles:
            yield [
                code or "", name, labels.TITLES[t.title], DENOMINATOR_LABEL[t.denominator],
                t.denominator.value, t.held, t.total, t.percent, t.target, t.milestone_year,
                t.expected, t.gap, None if t.on_track is None else ("Đạt" if t.on_track
                                                                      else "Chưa đạt"),
            ]  # fmt: skip


def _attainment(ws: Worksheet, report: Report) -> None:
    a = report.attainment
    assert a is not None
    plan = a.plan
    _table(
        ws,
        ("Kế hoạch", "Năm", "Mẫu số lấy từ", "Năm thống kê"),
        [[f"{plan.number} ({plan.name})" if plan else "chưa ban hành kế hoạch", a.year,
          "số liệu thống kê" if a.source == "statistics" else "đối tượng đã đăng ký",
          a.statistics_year]],
    )  # fmt: skip
    _table(ws, ATTAINMENT_HEADER, attainment_rows(report))
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["D"].width = 40


def workbook_bytes(report: Report) -> bytes:
    wb = Workbook()
    sheets = [wb.active] + [wb.create_sheet() for _ in SHEETS[1:5]]
    for ws, name in zip(sheets, SHEETS, strict=False):
        assert ws is not None
        ws.title = name
    _summary(sheets[0], report)
    _communes(sheets[1], report)
    _titles(sheets[2], report)
    _awards(sheets[3], report)
    _revocations(sheets[4], report)
    if report.attainment is not None:
        attainment = wb.create_sheet(SHEETS[5])
        _attainment(attainment, report)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
