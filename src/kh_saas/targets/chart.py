"""The attainment chart (biểu đồ): each commune's share against the plan's target line.

Matplotlib's object API on the Agg/SVG canvases (no pyplot: no global state, safe in worker
threads), with the DejaVu Sans font matplotlib ships in its own package (full Vietnamese
coverage), named by file so no system font is ever looked up and nothing is downloaded. SVG
text is drawn as paths, so a viewer without the font shows the same diacritics.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Literal

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch

from kh_saas.domain.plans import DENOMINATOR_LABEL, Denominator
from kh_saas.targets.attainment import Attainment, TitleAttainment

ON_TRACK = "#2e7d32"
BEHIND = "#ef6c00"
PROVINCE = "#1565c0"
TARGET = "#c62828"


@cache
def font(bold: bool = False) -> FontProperties:
    """DejaVu Sans from matplotlib's own data directory."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    return FontProperties(fname=str(path))


def _pct(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",") + "%"


def _bars(
    attainment: Attainment, denominator: Denominator, province: str
) -> tuple[list[str], list[float], list[str], int, TitleAttainment]:
    """Labels, shares and colours of the communes with a figure (lowest first), then the
    province; how many communes have none; the province's row."""
    rows: list[tuple[str, TitleAttainment]] = []
    missing = 0
    for c in attainment.communes:
        row = next(t for t in c.titles if t.denominator is denominator)
        if row.percent is None:
            missing += 1
            continue
        rows.append((c.commune_name or c.commune_code, row))
    rows.sort(key=lambda r: (r[1].percent or 0.0, r[0]))
    whole = next(t for t in attainment.province.titles if t.denominator is denominator)
    labels = [name for name, _ in rows]
    values = [r.percent or 0.0 for _, r in rows]
    colours = [ON_TRACK if r.on_track else BEHIND for _, r in rows]
    if whole.percent is not None:
        labels.append(f"Toàn tỉnh{f' ({province})' if province else ''}")
        values.append(whole.percent)
        colours.append(PROVINCE)
    return labels, values, colours, missing, whole


def _target_lines(ax: Axes, whole: TitleAttainment, year: int, count: int) -> None:
    target, expected = whole.target, whole.expected
    if target is None:
        return
    ax.axvline(target, color=TARGET, linestyle="--", linewidth=1.6)
    ax.text(
        target, 1.0, f"Chỉ tiêu {_pct(target)} ({whole.milestone_year})",
        transform=ax.get_xaxis_transform(), ha="center", va="bottom",
        color=TARGET, fontproperties=font(bold=True), fontsize=9,
    )  # fmt: skip
    if expected is not None and abs(expected - target) > 0.01:
        ax.axvline(expected, color=TARGET, linestyle=":", linewidth=1.2)
        ax.text(
            expected, -0.75, f" Cần đạt năm {year}: {_pct(expected)}",
            color=TARGET, fontproperties=font(), fontsize=8, va="bottom",
        )  # fmt: skip


def _heading(attainment: Attainment, denominator: Denominator, missing: int) -> tuple[str, str]:
    plan = attainment.plan
    title = f"{DENOMINATOR_LABEL[denominator]} — năm {attainment.year}"
    subtitle = (
        f"Kế hoạch số {plan.number} của {plan.issuer}, ngày {plan.signed_on:%d/%m/%Y}"
        if plan
        else "Chưa có kế hoạch (chỉ tiêu)"
    )
    subtitle += f"\nDanh hiệu còn hiệu lực ngày 31/12/{attainment.year}"
    if missing:
        subtitle += f"; {missing} xã, phường chưa có số liệu thống kê"
    return title, subtitle


def render(
    attainment: Attainment,
    denominator: Denominator,
    kind: Literal["svg", "png"],
    *,
    province: str = "",
) -> bytes:
    """The chart of one target (``denominator``) for every commune with a figure."""
    labels, values, colours, missing, whole = _bars(attainment, denominator, province)
    height = 2.6 + 0.26 * max(len(labels), 4)
    fig = Figure(figsize=(10, height), dpi=100)
    # Margins set by hand: constrained layout measures every label once more (a third of
    # the drawing time with a hundred communes). DejaVu Sans at 8 pt is ~0.062 in a letter.
    left = 0.3 + 0.062 * max((len(label) for label in labels), default=10)
    fig.subplots_adjust(
        left=min(left, 4.0) / 10, right=0.97, top=1 - 1.05 / height, bottom=0.6 / height
    )
    ax = fig.add_subplot()
    positions = list(range(len(labels)))
    ax.barh(positions, values, color=colours, height=0.7)
    ax.set_yticks(positions, labels)
    for tick in ax.get_yticklabels():
        tick.set_fontproperties(font())
        tick.set_fontsize(8)
    for tick in ax.get_xticklabels():
        tick.set_fontproperties(font())
    for y, v in zip(positions, values, strict=True):
        ax.text(v + 0.8, y, _pct(v), va="center", fontsize=7, fontproperties=font())
    ax.set_xlim(0, max([100.0, *values]) * 1.08)
    ax.set_ylim(-0.8, max(len(labels), 1) - 0.2)
    ax.set_xlabel("Tỷ lệ đạt danh hiệu (%)", fontproperties=font())
    ax.grid(axis="x", alpha=0.3)
    _target_lines(ax, whole, attainment.year, len(labels))
    title, subtitle = _heading(attainment, denominator, missing)
    fig.suptitle(title, fontproperties=font(bold=True), fontsize=12, y=1 - 0.15 / height)
    ax.set_title(subtitle, fontproperties=font(), fontsize=9, pad=16)
    legend = [("Đạt tiến độ", ON_TRACK), ("Chưa đạt tiến độ", BEHIND), ("Toàn tỉnh", PROVINCE)]
    handles = [Patch(color=colour, label=label) for label, colour in legend]
    small = font().copy()
    small.set_size(8)
    ax.legend(handles=handles, prop=small, loc="lower right")

    out = io.BytesIO()
    if kind == "svg":
        FigureCanvasSVG(fig)
        fig.savefig(out, format="svg", metadata={"Date": None})
    else:
        FigureCanvasAgg(fig)
        fig.savefig(out, format="png")
    return out.getvalue()
