"""Draws certificates as PDF pages (in ấn): one A4 landscape page per recipient.

Text is set in Liberation Serif, shipped in ``kh_saas/fonts`` (SIL OFL 1.1, full Vietnamese
coverage, the metrics of Times New Roman that Decree 30/2020 prescribes), embedded as a subset.
The QR code of the verification URL is drawn as vector rectangles (one per run of dark
modules), so it prints sharp at any resolution and costs a few hundred bytes per page.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import BinaryIO

import segno
from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from kh_saas.certificates.wording import MOTTO, NATION, Certificate
from kh_saas.fonts import SERIF, register_serif

REGULAR, BOLD, ITALIC = SERIF, f"{SERIF}-Bold", f"{SERIF}-Italic"

PAGE = landscape(A4)
RED = HexColor("#B0171F")
INK = HexColor("#1A1A1A")
FRAME = HexColor("#A07A2C")  # the gold of a printed certificate's border
QR_SIZE = 30 * mm
MARGIN = 14 * mm


@cache
def register_fonts() -> None:
    """Register the bundled faces with reportlab once per process (nothing is downloaded)."""
    # Binary page streams: ASCII85 would grow them by a quarter and cost a third of the time.
    rl_config.useA85 = 0
    register_serif()


def render(certificates: Iterable[Certificate], out: BinaryIO, *, title: str, author: str) -> int:
    """Write every certificate as one page to ``out``; the number of pages written."""
    register_fonts()
    canvas = Canvas(out, pagesize=PAGE, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator("kh-saas")
    pages = 0
    mask: int | None = None
    for certificate in certificates:
        mask = _page(canvas, certificate, mask)
        canvas.showPage()
        pages += 1
    canvas.save()
    return pages


def _page(c: Canvas, cert: Certificate, mask: int | None) -> int | None:
    width, height = PAGE
    _frame(c, width, height)
    centre = width / 2
    inner = width - 2 * MARGIN - 24 * mm  # text column inside the frame

    c.setFillColor(INK)
    top = _centred(c, NATION, BOLD, 13, centre, height - MARGIN - 10 * mm, inner)
    top = _centred(c, MOTTO, BOLD, 14, centre, top, inner)
    motto_width = pdfmetrics.stringWidth(MOTTO, BOLD, 14)
    c.setStrokeColor(INK)
    c.setLineWidth(0.6)
    c.line(centre - motto_width / 2, top + 0.5 * mm, centre + motto_width / 2, top + 0.5 * mm)

    top = _centred(c, cert.authority, BOLD, 15, centre, top - 6 * mm, inner)
    c.setFillColor(RED)
    top = _centred(c, cert.heading, BOLD, 34, centre, top - 1 * mm, inner)
    c.setFillColor(INK)
    top = _centred(c, f"{cert.verb}:", ITALIC, 14, centre, top - 3 * mm, inner)
    label = f"{cert.recipient_label}: {cert.recipient_name}"
    top = _centred(c, label, BOLD, 20 if len(label) <= 60 else 16, centre, top, inner)
    if cert.place:
        top = _centred(c, cert.place, ITALIC, 14, centre, top, inner)
    if cert.lead:
        top = _centred(c, cert.lead, REGULAR, 14, centre, top - 3 * mm, inner)
    c.setFillColor(RED)
    size = 24 if len(cert.achievement) <= 40 else 15
    top -= 0 if cert.lead else 3 * mm
    top = _centred(c, cert.achievement, BOLD, size, centre, top, inner * 0.85, max_lines=4)
    c.setFillColor(INK)
    if cert.detail:
        top = _centred(c, cert.detail, BOLD, 15, centre, top, inner)
    _centred(c, f"({cert.decision})", ITALIC, 12, centre, top - 3 * mm, inner, max_lines=2)

    # Date line and signature block on the right; the QR code on the left (bottom).
    right = width - MARGIN - 62 * mm
    top = _centred(c, cert.dated, ITALIC, 13, right, MARGIN + 62 * mm, 100 * mm)
    for line in cert.signer_position:
        top = _centred(c, line, BOLD, 13, right, top, 100 * mm)
    _centred(c, cert.signer_name, BOLD, 14, right, MARGIN + 22 * mm, 100 * mm)

    left = MARGIN + 14 * mm
    bottom = MARGIN + 18 * mm
    mask = _qr(c, cert.verify_url, left, bottom, size=QR_SIZE, mask=mask)
    c.setFillColor(INK)
    c.setFont(REGULAR, 7.5)
    c.drawString(left, bottom - 4 * mm, "Quét mã để xác minh tại:")
    c.setFont(REGULAR, 7)
    for i, line in enumerate(simpleSplit(cert.verify_url, REGULAR, 7, 70 * mm)[:3]):
        c.drawString(left, bottom - 7.5 * mm - i * 3 * mm, line)
    return mask


def _frame(c: Canvas, width: float, height: float) -> None:
    c.setStrokeColor(FRAME)
    c.setLineWidth(3)
    c.rect(MARGIN, MARGIN, width - 2 * MARGIN, height - 2 * MARGIN)
    c.setLineWidth(0.8)
    gap = 3 * mm
    c.rect(MARGIN + gap, MARGIN + gap, width - 2 * (MARGIN + gap), height - 2 * (MARGIN + gap))


def _centred(  # noqa: PLR0917 - reads like the line it draws: text, face, size, where
    c: Canvas,
    text: str,
    font: str,
    size: float,
    x: float,
    top: float,
    width: float,
    *,
    max_lines: int = 2,
) -> float:
    """Draw ``text`` centred on ``x`` in lines hanging from ``top``, wrapped to ``width``; the
    top of what follows."""
    leading = size * 1.3
    lines = simpleSplit(text, font, size, width) or [""]
    if len(lines) > max_lines:  # never overflow the page: the last line ends in an ellipsis
        lines = [
            *lines[: max_lines - 1],
            _clip(" ".join(lines[max_lines - 1 :]), font, size, width),
        ]
    c.setFont(font, size)
    for line in lines:
        c.drawCentredString(x, top - size, line)
        top -= leading
    return top


def _clip(text: str, font: str, size: float, width: float) -> str:
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _qr(c: Canvas, url: str, x: float, y: float, *, size: float, mask: int | None) -> int:
    """The QR code (error correction M) of ``url`` as filled rectangles, quiet zone left white.

    Choosing a mask scores all eight (90% of the encoder's time); the URLs of one document
    differ only in their ids, so the mask chosen for the first page serves every page."""
    code = segno.make(url, error="m", micro=False, mask=mask)
    rows = code.matrix  # without the quiet zone; 0x1 is a dark module
    n = len(rows)
    # In module units (one module = 1 × 1): "3 5 2 1 re" instead of four long decimals,
    # a quarter of the page's bytes, which reportlab holds until the document is saved.
    c.saveState()
    c.translate(x, y)
    c.scale(size / n, size / n)
    path = c.beginPath()
    for r, row in enumerate(rows):
        bottom = n - r - 1
        start = -1
        for col, value in enumerate(row):
            dark = value & 1
            if dark and start < 0:
                start = col
            elif not dark and start >= 0:
                path.rect(start, bottom, col - start, 1)
                start = -1
        if start >= 0:
            path.rect(start, bottom, n - start, 1)
    c.setFillColor(INK)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()
    return int(code.mask)
