"""Parse + validate time of a 50,000-row household upload, as CSV and as XLSX.

Generates household-like rows (Vietnamese names with diacritics, commune codes with leading
zeros, dates, phone numbers) in memory and times ``kh_saas.imports.parse_records`` on:

- CSV as Excel's "CSV UTF-8" writes it (BOM, commas);
- XLSX as Excel writes it: text in a shared-string table, a stored dimension, dates as styled
  serial numbers (written by hand here, as Excel is not available);
- XLSX as openpyxl writes it: every text cell inline, which openpyxl reads back far slower;
- the same CSV with every row bad, the worst case for the error path;
- the hostile files of ``tests/hostile_sheets.py`` (a row of three million empty cells, cells
  at column XFD, zip bombs with honest and lying headers, a million blank rows, …): time and
  peak memory until each is refused, beside targets of < 1 s and < 200 MB.

Prints each figure (best of a few runs) beside its target; each hostile file is parsed in a
process of its own, so its peak memory is its own (``--hostile-only`` runs just those).
Parsing is one step of the 5 s bulk-registration budget: CSV must take < 1 s; XLSX < 5 s.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any
from xml.sax.saxutils import escape

import msgspec
import openpyxl

from kh_saas.imports import TableTooLarge, TabularError, parse_records
from tests.hostile_sheets import HOSTILE

ROWS = 50_000
CSV_TARGET = 1.0
XLSX_TARGET = 5.0
HOSTILE_SECONDS = 1.0
HOSTILE_MB = 200

HEADERS = [
    "Mã hộ",
    "Họ tên chủ hộ",
    "Mã xã",
    "Thôn",
    "Số thành viên",
    "Ngày đăng ký",
    "Điện thoại",
    "Ghi chú",
]


class Household(msgspec.Struct, frozen=True):
    household_code: Annotated[str, msgspec.Meta(pattern=r"^H\d{6}$")]
    head_name: Annotated[str, msgspec.Meta(min_length=2, max_length=100)]
    commune_code: Annotated[str, msgspec.Meta(pattern=r"^\d{5}$")]
    village: Annotated[str, msgspec.Meta(min_length=1)]
    members: Annotated[int, msgspec.Meta(ge=1, le=50)]
    registered_on: date
    phone: Annotated[str, msgspec.Meta(pattern=r"^0\d{9}$")] | None = None
    note: str | None = None


ALIASES = {
    "mã hộ": "household_code",
    "họ tên chủ hộ": "head_name",
    "mã xã": "commune_code",
    "thôn": "village",
    "số thành viên": "members",
    "ngày đăng ký": "registered_on",
    "điện thoại": "phone",
    "ghi chú": "note",
}

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Đức", "Thành", "Ngọc", "Minh", "Hữu", "Quang", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hương", "Hà", "Lan", "Nguyệt", "Phúc", "Thảo", "Yến"]
VILLAGES = ["Thôn Đông", "Thôn Đoài", "Xóm Thượng", "Tổ dân phố 5", "Bản Phiêng Luông"]


def household_rows(rng: random.Random) -> list[list[Any]]:
    start = date(2024, 1, 1)
    return [
        [
            f"H{i:06d}",
            f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            f"{rng.randrange(1, 32_300):05d}",  # commune codes start with zeros in the north
            rng.choice(VILLAGES),
            rng.randint(1, 9),
            start + timedelta(days=rng.randrange(365)),
            f"09{rng.randrange(10**8):08d}" if rng.random() < 0.8 else None,
            "Hộ nghèo vượt khó" if rng.random() < 0.1 else None,
        ]
        for i in range(ROWS)
    ]


def as_csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def as_openpyxl_xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_EXCEL_EPOCH = date(1899, 12, 30)


def as_excel_xlsx(rows: list[list[Any]]) -> bytes:
    """The sheet as Excel stores it: shared strings, a dimension, dates as styled serials."""
    strings: dict[str, int] = {}
    xml_rows = []
    for r, row in enumerate([HEADERS, *rows], 1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(ord('A') + c)}{r}"
            if isinstance(value, str):
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
            elif isinstance(value, date):
                cells.append(f'<c r="{ref}" s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>')
            elif value is not None:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    last = f"{chr(ord('A') + len(HEADERS) - 1)}{len(rows) + 1}"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
            '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml"'
            f' ContentType="{_CT}.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml"'
            f' ContentType="{_CT}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook {_NS} xmlns:r="{_REL}"><sheets>'
            '<sheet name="Hộ gia đình" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<styleSheet {_NS}><fonts count="1"><font/></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
            '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>"
        ),
        "xl/sharedStrings.xml": (
            f'<sst {_NS} count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
            + "</sst>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet {_NS}><dimension ref="A1:{last}"/>'
            f"<sheetData>{''.join(xml_rows)}</sheetData></worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
    return out.getvalue()


def best_of(runs: int, call: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return min(timings)


def parse(data: bytes, filename: str) -> list[Household]:
    return parse_records(data, Household, filename=filename, aliases=ALIASES)


def all_rows_bad(data: bytes) -> None:
    try:
        parse(data, "ho.csv")
    except TabularError as error:
        assert error.total == ROWS, error.total
    else:
        raise AssertionError("expected every row to be rejected")


def report(label: str, seconds: float, target: float, size: int) -> None:
    verdict = "ok" if seconds < target else "OVER TARGET"
    print(
        f"{label:<40} {seconds:6.3f} s  (target < {target:.0f} s, {size / 1e6:4.1f} MB)  {verdict}"
    )


def _status(field: str) -> int:
    """VmRSS or VmHWM of this process, in bytes (Linux)."""
    with open("/proc/self/status") as status:
        found = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    assert found
    return int(found.group(1)) * 1024


def refuse(index: int, path: str) -> None:
    """In a process of its own: seconds and peak MB (above the RSS before) until the hostile
    file ``index``, read from ``path``, is refused by its limit; JSON for the parent."""
    hostile = HOSTILE[index]
    with open(path, "rb") as file:
        data = file.read()
    warm = "Họ tên,Mã xã\nAn,00004\n".encode()
    for sample in (warm, openpyxl_sample()):
        with contextlib.suppress(TabularError):
            parse_records(sample, Household, aliases=ALIASES)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak resident size counts from here
    before = _status("VmRSS")
    started = time.perf_counter()
    try:
        parse_records(data, Household, content_type=hostile.content_type, aliases=ALIASES)
    except TableTooLarge as error:
        limit = error.limit
    else:
        limit = "(accepted)"
    seconds = time.perf_counter() - started
    peak = (_status("VmHWM") - before) / 1e6
    print(json.dumps({"seconds": seconds, "peak": peak, "limit": limit, "size": len(data)}))


def openpyxl_sample() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Họ tên", "Mã xã"])
    sheet.append(["An", "00004"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def hostile_report() -> None:
    print(f"hostile files, until refused (targets < {HOSTILE_SECONDS:.0f} s, < {HOSTILE_MB} MB)")
    for index, hostile in enumerate(HOSTILE):
        with tempfile.NamedTemporaryFile(suffix=".upload") as file:
            file.write(hostile.build())
            file.flush()
            command = [sys.executable, "-m", "bench.tabular_parse", "--hostile", str(index)]
            runs = [
                json.loads(
                    subprocess.run(
                        [*command, file.name], capture_output=True, text=True, check=True
                    ).stdout
                )
                for _ in range(2)
            ]
        best = min(runs, key=lambda run: run["seconds"])
        seconds, peak = best["seconds"], max(run["peak"] for run in runs)
        ok = seconds < HOSTILE_SECONDS and peak < HOSTILE_MB and best["limit"] == hostile.limit
        print(
            f"  {hostile.name:<34} {best['size'] / 1e3:8.1f} KB  {seconds:6.3f} s"
            f"  {peak:6.1f} MB  refused by {best['limit']}  {'ok' if ok else 'OVER TARGET'}"
        )
    print(
        "  (a file that reaches the cells limit is read up to it: it costs what the largest"
        " honest upload does)"
    )


def main() -> None:
    if sys.argv[1:2] == ["--hostile"]:
        refuse(int(sys.argv[2]), sys.argv[3])
        return
    if sys.argv[1:2] == ["--hostile-only"]:
        hostile_report()
        return
    rows = household_rows(random.Random(2025))
    csv_data = as_csv(rows)
    excel_data = as_excel_xlsx(rows)
    openpyxl_data = as_openpyxl_xlsx(rows)
    bad_csv = as_csv([[code, name, "1234", *rest] for code, name, _, *rest in rows])

    expected = parse(csv_data, "ho.csv")
    assert len(expected) == ROWS
    assert expected[0].commune_code == rows[0][2]
    assert parse(excel_data, "ho.xlsx") == expected
    assert parse(openpyxl_data, "ho.xlsx") == expected

    print(f"{ROWS:,} household rows x {len(HEADERS)} columns, parse + validate")
    report("CSV UTF-8", best_of(5, lambda: parse(csv_data, "ho.csv")), CSV_TARGET, len(csv_data))
    report(
        "CSV UTF-8, every row bad (error path)",
        best_of(3, lambda: all_rows_bad(bad_csv)),
        CSV_TARGET,
        len(bad_csv),
    )
    report(
        "XLSX as Excel writes it (shared strings)",
        best_of(2, lambda: parse(excel_data, "ho.xlsx")),
        XLSX_TARGET,
        len(excel_data),
    )
    report(
        "XLSX as openpyxl writes it (inline)",
        best_of(2, lambda: parse(openpyxl_data, "ho.xlsx")),
        XLSX_TARGET,
        len(openpyxl_data),
    )
    hostile_report()


if __name__ == "__main__":
    main()
