"""The report as an administrative document (văn bản hành chính), Decree 30/2020/NĐ-CP.

Laid out as its Appendix I prescribes for a document with a type name (Báo cáo): A4 portrait,
margins 20 mm top and bottom, 30 mm left, 15 mm right; the issuer (tên cơ quan ban hành, bold
capitals under its superior) and số/ký hiệu on the left; quốc hiệu and tiêu ngữ (bold, the
tiêu ngữ underlined by a rule as long as itself) and the place and date (italic) on the right;
the type name and trích yếu centred in bold; the body at 13 pt with first-line indents; the
signing authority and the signer at the bottom right and nơi nhận at the bottom left; page
numbers centred in the top margin from page 2.

The font is Liberation Serif (SIL OFL 1.1, metric-compatible with the Times New Roman the
decree names), shipped in ``kh_saas/fonts`` so nothing is fetched at run time.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kh_saas.domain.plans import DENOMINATOR_LABEL, Denominator
from kh_saas.domain.report_schedule import VIETNAM, Letterhead
from kh_saas.domain.vocabulary import Title
from kh_saas.fonts import SERIF, register_serif
from kh_saas.reference import provinces
from kh_saas.reports import labels
from kh_saas.reports.model import CommuneLine, Report
from kh_saas.targets.attainment import Attainment, TitleAttainment

PDF_MEDIA_TYPE = "application/pdf"
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
FONT = SERIF
PAGE_W, PAGE_H = A4
LEFT, RIGHT, TOP, BOTTOM = 30 * mm, 15 * mm, 20 * mm, 20 * mm
WIDTH = PAGE_W - LEFT - RIGHT
MOVEMENT = (
    "Phong trào thi đua “Cả nước thi đua xây dựng xã hội học tập, đẩy mạnh học tập suốt đời” "
    "giai đoạn 2023 - 2030"
)


def register_fonts() -> str:
    """The bundled Liberation Serif family, registered once per process."""
    return register_serif()


def _style(name: str, size: float = 13, **kw: Any) -> ParagraphStyle:
    kw.setdefault("leading", size * 1.25)
    kw.setdefault("fontName", FONT)
    return ParagraphStyle(name, fontSize=size, **kw)


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "body": _style("body", alignment=TA_JUSTIFY, firstLineIndent=12.7 * mm, spaceAfter=6),
        "heading": _style(
            "heading",
            fontName=f"{FONT}-Bold",
            spaceBefore=6,
            spaceAfter=4,
            firstLineIndent=12.7 * mm,
        ),
        "type": _style("type", 14, fontName=f"{FONT}-Bold", alignment=TA_CENTER),
        "abstract": _style("abstract", 14, fontName=f"{FONT}-Bold", alignment=TA_CENTER),
        "cell": _style("cell", 10, leading=12),
        "cellc": _style("cellc", 10, leading=12, alignment=TA_CENTER),
        "head": _style("head", 10, leading=12, fontName=f"{FONT}-Bold", alignment=TA_CENTER),
        "sign": _style("sign", 13, fontName=f"{FONT}-Bold", alignment=TA_CENTER, leading=16),
        "recipients_head": _style("rh", 12, fontName=f"{FONT}-BoldItalic", alignment=TA_LEFT),
        "recipient": _style("rc", 11, leading=13),
    }


def vietnamese_date(place: str, day: date) -> str:
    """The place and date line, "Quảng Trị, ngày 05 tháng 01 năm 2026": a zero before a day under 10
    and before months 1 and 2 (Decree 30/2020, Appendix I)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def default_issuer(province_code: str) -> str:
    province = provinces().get(province_code)
    name = province.name.upper() if province else province_code
    return f"ỦY BAN NHÂN DÂN\n{name}"


def issuer_in_text(letterhead: Letterhead, province_code: str) -> str:
    """How the body names the issuer: "Ủy ban nhân dân tỉnh Quảng Trị"."""
    if letterhead.issuer_name:
        return letterhead.issuer_name
    if letterhead.issuer:
        return " ".join(letterhead.issuer.split())
    province = provinces().get(province_code)
    name = province.name if province else province_code
    return f"Ủy ban nhân dân {name[0].lower()}{name[1:]}"


def place_of(province_code: str) -> str:
    province = provinces().get(province_code)
    return province.short_name if province else ""


def _lines(text: str, font: str, size: float, width: float) -> list[str]:
    """Capitalised lines of ``text`` (one per ``\n``), each wrapped to ``width``."""
    out: list[str] = []
    for line in text.splitlines():
        if line.strip():
            out += simpleSplit(line.strip().upper(), font, size, width - 4)
    return out


class _Header(Flowable):
    """The two header columns with their rules, drawn as Appendix I places them."""

    def __init__(self, superior: str | None, issuer: str, number: str, dated: str) -> None:
        super().__init__()
        self.left_w = WIDTH * 0.40
        self.right_w = WIDTH - self.left_w
        self.size = 13
        self.lead = 15.5
        self.superior = _lines(superior or "", FONT, self.size, self.left_w)
        self.issuer = _lines(issuer, f"{FONT}-Bold", self.size, self.left_w)
        self.number = number
        self.dated = dated
        lines = len(self.superior) + len(self.issuer)
        self.height_ = max(lines, 2) * self.lead + 2 * self.lead + 10

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return WIDTH, self.height_

    def draw(self) -> None:
        c: Canvas = self.canv
        top = self.height_ - self.size
        cx = self.left_w / 2
        y = top
        c.setFont(FONT, self.size)
        for line in self.superior:
            c.drawCentredString(cx, y, line)
            y -= self.lead
        c.setFont(f"{FONT}-Bold", self.size)
        widest = 0.0
        for line in self.issuer:
            c.drawCentredString(cx, y, line)
            widest = max(widest, c.stringWidth(line, f"{FONT}-Bold", self.size))
            y -= self.lead
        rule = widest / 3  # "từ 1/3 đến 1/2 độ dài của dòng chữ", centred under it
        c.setLineWidth(0.6)
        c.line(cx - rule / 2, y + self.lead - 7, cx + rule / 2, y + self.lead - 7)
        c.setFont(FONT, self.size)
        c.drawCentredString(cx, y - 6, self.number)

        rx = self.left_w + self.right_w / 2
        y = top
        c.setFont(f"{FONT}-Bold", 12)
        c.drawCentredString(rx, y, QUOC_HIEU)
        y -= self.lead
        c.setFont(f"{FONT}-Bold", 13)
        c.drawCentredString(rx, y, TIEU_NGU)
        half = c.stringWidth(TIEU_NGU, f"{FONT}-Bold", 13) / 2
        c.line(rx - half, y - 4, rx + half, y - 4)
        y -= self.lead + 8
        c.setFont(f"{FONT}-Italic", 13)
        c.drawCentredString(rx, y, self.dated)


class _Rule(Flowable):
    """A short centred rule under the trích yếu."""

    def __init__(self, length: float) -> None:
        super().__init__()
        self.length = length

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return WIDTH, 8

    def draw(self) -> None:
        self.canv.setLineWidth(0.6)
        self.canv.line((WIDTH - self.length) / 2, 2, (WIDTH + self.length) / 2, 2)


def _grid(
    header: list[str], rows: list[list[Any]], widths: list[float], st: dict[str, ParagraphStyle]
) -> Table:
    def cell(value: Any, i: int) -> Paragraph:
        text = "" if value is None else f"{value:,}".replace(",", ".") if isinstance(
            value, int) else str(value)  # fmt: skip
        centred = isinstance(value, int) or i == 0 or _FIGURE.fullmatch(text) is not None
        return Paragraph(_escape(text), st["cellc"] if centred else st["cell"])

    data = [[Paragraph(_escape(h), st["head"]) for h in header]]
    data += [[cell(v, i) for i, v in enumerate(row)] for row in rows]
    scale = WIDTH / sum(widths)
    table = Table(data, colWidths=[w * scale for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),  # the cells' default, else Helvetica
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


#: A figure printed as text (a share, a target with its year): centred like the numbers.
_FIGURE = re.compile(r"[0-9][0-9.,]*( \([0-9]{4}\))?")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _abstract(report: Report) -> str:
    if report.kind == "annual":
        return f"Kết quả thực hiện Phong trào thi đua xây dựng xã hội học tập năm {report.period}"
    word = "Tổng kết" if report.review == "final_review" else "Sơ kết"
    return f"{word} Phong trào thi đua xây dựng xã hội học tập giai đoạn {report.period}"


def _status(c: CommuneLine) -> str:
    return {"on_time": "Đúng hạn", "late_entries": "Nhập sau hạn"}.get(c.status, "Chưa có số liệu")


def _body(report: Report, issuer_text: str, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    s = report.summary
    p = s.province
    out: list[Flowable] = []
    when = report.as_of.astimezone(VIETNAM)
    cut = f"{when:%H} giờ {when:%M} ngày {when:%d/%m/%Y}"
    due = (
        f" (hạn báo cáo của cấp xã: trước ngày {report.deadline.due_on:%d/%m/%Y}, gửi "
        f"{_escape(report.deadline.flow.recipient)})"
        if report.deadline
        else ""
    )
    period = f"năm {report.period}" if report.kind == "annual" else f"giai đoạn {report.period}"
    out.append(
        Paragraph(
            f"Thực hiện {MOVEMENT}, {_escape(issuer_text)} báo cáo kết quả {period} như sau. "
            f"Số liệu được tổng hợp từ sổ công nhận danh hiệu và sổ khen thưởng tính đến {cut}"
            f"{due}.",
            st["body"],
        )
    )
    moment = (
        "hạn báo cáo"
        if report.deadline and report.as_of == report.deadline.cutoff
        else "thời điểm tổng hợp"
    )
    out.append(Paragraph("I. KẾT QUẢ CHUNG", st["heading"]))
    out.append(
        Paragraph(
            f"Toàn tỉnh có {_n(s.communes_reporting)}/{_n(s.communes)} xã, phường, đặc khu có "
            f"số liệu đến {moment}; {_n(s.communes_without_records)} đơn vị chưa có số "
            f"liệu; {_n(s.communes_with_late_entries)} đơn vị có số liệu nhập sau đó. Đã ban "
            f"hành {_n(s.decisions)} quyết định công nhận danh hiệu, {_n(s.award_decisions)} "
            f"quyết định khen thưởng ({_n(p.awards)} tập thể, hộ gia đình, cá nhân; tiền "
            f"thưởng {_n(s.bonus_vnd)} đồng) và {_n(s.revocation_decisions)} quyết định thu "
            "hồi danh hiệu.",
            st["body"],
        )
    )
    revoked = _revoked_by_title(report)
    out.append(
        _grid(
            ["TT", "Danh hiệu", "Được công nhận", "Bị thu hồi", "Còn hiệu lực"],
            [
                [i, labels.TITLES[t], p.recognised[t], revoked.get(t, 0),
                 p.recognised[t] - revoked.get(t, 0)]
                for i, t in enumerate(Title, 1)
            ],
            [10, 70, 30, 25, 30],
            st,
        )
    )  # fmt: skip
    out.append(Paragraph("II. CÔNG NHẬN DANH HIỆU THEO CẤP, MỨC ĐỘ", st["heading"]))
    if report.titles:
        out.append(
            _grid(
                ["TT", "Năm", "Danh hiệu", "Cấp", "Mức độ", "Được công nhận", "Bị thu hồi"],
                [
                    [i, str(t.year), t.label, labels.label(labels.TIERS, t.tier),
                     f"Mức độ {t.level}" if t.level else "", t.recognised, t.revoked]
                    for i, t in enumerate(report.titles, 1)
                ],
                [9, 13, 45, 30, 20, 25, 22],
                st,
            )
        )  # fmt: skip
    else:
        out.append(Paragraph("Chưa có danh hiệu được công nhận trong kỳ.", st["body"]))
    out.append(Paragraph("III. KHEN THƯỞNG", st["heading"]))
    if report.awards:
        out.append(
            _grid(
                ["TT", "Hình thức khen thưởng", "Dịp", "Số lượng", "Bị hủy bỏ",
                 "Tiền thưởng (đồng)"],
                [
                    [i, a.form_label, a.occasion_label, a.awards, a.annulled, a.bonus_vnd]
                    for i, a in enumerate(report.awards, 1)
                ],
                [9, 62, 22, 20, 20, 32],
                st,
            )
        )  # fmt: skip
    else:
        out.append(Paragraph("Chưa có khen thưởng trong kỳ.", st["body"]))
    out.append(Paragraph("IV. THU HỒI DANH HIỆU, HỦY BỎ KHEN THƯỞNG", st["heading"]))
    if report.revocations:
        out.append(
            _grid(
                ["TT", "Loại", "Số quyết định", "Ngày ký", "Cơ quan ban hành", "Số lượng"],
                [
                    [i, labels.REVOCATION_KINDS[r.kind], r.number, f"{r.signed_on:%d/%m/%Y}",
                     r.issuer_name, r.count]
                    for i, r in enumerate(report.revocations, 1)
                ],
                [9, 33, 28, 22, 50, 18],
                st,
            )
        )  # fmt: skip
    else:
        out.append(Paragraph("Không có.", st["body"]))
    out.append(Paragraph("V. KẾT QUẢ THEO XÃ, PHƯỜNG, ĐẶC KHU", st["heading"]))
    shorts = [labels.TITLES_SHORT[t] for t in Title]
    out.append(
        _grid(
            ["TT", "Đơn vị", *shorts, "Thu hồi", "Khen thưởng", "Sau hạn", "Tình trạng"],
            [
                [i, c.name, *(c.counts.recognised[t] for t in Title), c.counts.revoked,
                 c.counts.awards, c.recorded_after_deadline.recognitions
                 + c.recorded_after_deadline.awards + c.recorded_after_deadline.nominations,
                 _status(c)]
                for i, c in enumerate(report.communes + report.unmapped, 1)
            ],
            [11, 34, 13, 13, 13, 13, 13, 13, 19, 14, 25],
            st,
        )
    )  # fmt: skip
    out.append(
        Paragraph(
            "Ghi chú: GĐHT - Gia đình học tập; DHHT - Dòng họ học tập; CĐHT - Cộng đồng học "
            "tập; ĐVHT - Đơn vị học tập; CDHT - Công dân học tập. Số liệu của xã cũ (trước "
            "ngày 01/7/2025) được tính cho xã, phường hiện nay đã tiếp nhận địa bàn.",
            _style("note", 11, fontName=f"{FONT}-Italic", spaceBefore=3),
        )
    )
    out.append(Paragraph("VI. TÌNH HÌNH BÁO CÁO CỦA CẤP XÃ", st["heading"]))
    silent = report.communes_without_records
    out.append(
        Paragraph(
            (
                f"Đến {moment}, {_n(len(silent))} đơn vị chưa có số liệu: "
                + _escape(", ".join(c.name for c in silent))
                + "."
            )
            if silent
            else f"Đến {moment}, tất cả các xã, phường, đặc khu đều đã có số liệu.",
            st["body"],
        )
    )
    late = [c for c in report.communes + report.unmapped if c.recorded_after_deadline.any]
    if late:
        out.append(
            Paragraph(
                f"Các đơn vị có số liệu nhập sau {moment} (không tính vào số liệu trên):",
                st["body"],
            )
        )
        out.append(
            _grid(
                ["TT", "Đơn vị", "Công nhận", "Thu hồi", "Hồ sơ đề nghị", "Khen thưởng"],
                [
                    [i, c.name, c.recorded_after_deadline.recognitions,
                     c.recorded_after_deadline.revocations,
                     c.recorded_after_deadline.nominations, c.recorded_after_deadline.awards]
                    for i, c in enumerate(late, 1)
                ],
                [9, 60, 24, 22, 26, 24],
                st,
            )
        )  # fmt: skip
    else:
        out.append(Paragraph(f"Không có số liệu nhập sau {moment}.", st["body"]))
    if report.attainment is not None:
        out += _attainment(report.attainment, st)
    return out


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")


def _attainment(a: Attainment, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """VII: the province against its plan's targets, and each commune's shares."""
    out: list[Flowable] = [Paragraph("VII. KẾT QUẢ THỰC HIỆN CHỈ TIÊU", st["heading"])]
    plan = (
        f"Kế hoạch số {_escape(a.plan.number)} ({_escape(a.plan.name)})"
        if a.plan
        else "Tỉnh chưa ban hành kế hoạch có chỉ tiêu"
    )
    source = (
        f"số liệu thống kê năm {a.statistics_year}"
        if a.source == "statistics" and a.statistics_year
        else "số đối tượng đã đăng ký"
        if a.source == "registered"
        else "chưa có số liệu thống kê"
    )
    out.append(
        Paragraph(
            f"Căn cứ {plan}; số đạt danh hiệu còn hiệu lực đến ngày 31/12/{a.year}, mẫu số "
            f"theo {source}:",
            st["body"],
        )
    )
    out.append(
        _grid(
            ["TT", "Chỉ tiêu", "Đạt", "Tổng số", "Tỷ lệ %", "Chỉ tiêu %", "Còn thiếu",
             "Tiến độ"],
            [
                [i, DENOMINATOR_LABEL[t.denominator], t.held,
                 "" if t.total is None else t.total, _pct(t.percent),
                 "" if t.target is None else f"{_pct(t.target)} ({t.milestone_year})",
                 "" if t.gap is None else t.gap,
                 "" if t.on_track is None else "Đạt" if t.on_track else "Chưa đạt"]
                for i, t in enumerate(a.province.titles, 1)
            ],
            [11, 58, 18, 20, 16, 24, 18, 21],
            st,
        )
    )  # fmt: skip
    if any(t.total for c in a.communes for t in c.titles):
        order = [t.denominator for t in a.province.titles]
        out.append(Paragraph("Tỷ lệ đạt (%) theo xã, phường, đặc khu:", st["body"]))
        out.append(
            _grid(
                ["TT", "Đơn vị", *(DENOMINATOR_SHORT[d] for d in order)],
                [
                    [i, c.commune_name or c.commune_code,
                     *(_pct(by.percent) if (by := _by(c.titles).get(d)) else "" for d in order)]
                    for i, c in enumerate(a.communes, 1)
                ],
                [11, 50, *(18 for _ in order)],
                st,
            )
        )  # fmt: skip
    return out


def _by(titles: list[TitleAttainment]) -> dict[Denominator, TitleAttainment]:
    return {t.denominator: t for t in titles}


DENOMINATOR_SHORT = {
    Denominator.HOUSEHOLDS: "GĐHT (hộ)",
    Denominator.CLANS: "DHHT (dòng họ)",
    Denominator.VILLAGES: "CĐHT (thôn, tổ)",
    Denominator.ORGANISATIONS: "ĐVHT (đơn vị)",
    Denominator.WORKERS: "CDHT (lao động)",
    Denominator.CADRES: "CDHT (CB, CC, VC)",
}


def _revoked_by_title(report: Report) -> dict[Title, int]:
    out: dict[Title, int] = {}
    for t in report.titles:
        out[t.title] = out.get(t.title, 0) + t.revoked
    return out


def _closing(
    letterhead: Letterhead, recipients: list[str], st: dict[str, ParagraphStyle]
) -> Flowable:
    left: list[Flowable] = [Paragraph("Nơi nhận:", st["recipients_head"])]
    items = list(recipients)
    if not any(r.lower().startswith("lưu") for r in items):
        items.append("Lưu: VT.")
    for i, r in enumerate(items):
        end = "" if r.endswith((".", ";")) else ("." if i == len(items) - 1 else ";")
        left.append(Paragraph(_escape(f"- {r}{end}"), st["recipient"]))
    right: list[Flowable] = [Paragraph(_escape(line.upper()), st["sign"])
                             for line in letterhead.authority]  # fmt: skip
    right.append(Spacer(1, 22 * mm))
    if letterhead.signer_name:
        right.append(Paragraph(_escape(letterhead.signer_name), st["sign"]))
    table = Table([[left, right]], colWidths=[WIDTH * 0.45, WIDTH * 0.55])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("FONTNAME", (0, 0), (-1, -1), FONT),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
    return KeepTogether([Spacer(1, 4 * mm), table])


def _page_number(canvas: Canvas, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 13)
    canvas.drawCentredString(LEFT + WIDTH / 2, PAGE_H - 12 * mm, str(doc.page))
    canvas.restoreState()


def document_bytes(
    report: Report, letterhead: Letterhead, *, number: str | None, dated: date
) -> bytes:
    """The PDF of ``report``; ``number`` is the số (blank in a draft), ``dated`` its date."""
    register_fonts()
    st = _styles()
    issuer = letterhead.issuer or default_issuer(report.province_code)
    place = letterhead.place or place_of(report.province_code)
    numbered = f"Số: {number or '      '}/{letterhead.code}"
    abstract = _abstract(report)
    abstract_w = pdfmetrics.stringWidth(abstract, f"{FONT}-Bold", 14)
    story: list[Flowable] = [
        _Header(letterhead.superior, issuer, numbered, vietnamese_date(place, dated)),
        Spacer(1, 8 * mm),
        Paragraph("BÁO CÁO", st["type"]),
        Paragraph(_escape(abstract), st["abstract"]),
        _Rule(min(abstract_w, WIDTH) / 3),
        Spacer(1, 5 * mm),
        *_body(report, issuer_in_text(letterhead, report.province_code), st),
    ]
    story.append(_closing(letterhead, _recipients(report, letterhead), st))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=f"Báo cáo - {abstract}",
        author=" ".join(issuer.split()),
        subject=abstract,
        lang="vi",
        initialFontName=FONT,  # else every page names Helvetica, which is not embedded
        initialFontSize=13,
    )
    doc.build(story, onLaterPages=_page_number)
    return out.getvalue()


def _recipients(report: Report, letterhead: Letterhead) -> list[str]:
    if letterhead.recipients:
        return list(letterhead.recipients)
    return [report.deadline.flow.recipient] if report.deadline else []
