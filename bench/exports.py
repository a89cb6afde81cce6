"""Issue-12 export target, measured over real HTTP against a real server process.

    python -m bench.exports [--rows 1000000] [--check]

1,000,000 registry rows (100,000 households × 10 years of titles, COPYed into the event log
and projected by a rebuild, as ``bench.read_side`` does) exported with ``format=xlsx``: the
whole download < 60 s, the server's memory flat (its RSS growth during the export beside a
100 MB target, whatever the row count). CSV of the same rows is printed for comparison.
``--check`` reopens the workbook (openpyxl, read-only) and counts its rows.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from bench.memory import sampled
from bench.read_side import SCHEMA, copy_events, line, tenant
from bench.server import Server, running_server
from kh_saas.projections.rebuild import rebuild
from kh_saas.projections.registers import REGISTERS


async def load(server: Server, rows: int) -> None:
    copied = await copy_events(server.db_url, rows)
    pool = await asyncpg.create_pool(server.db_url, min_size=1, max_size=2)
    try:
        started = time.perf_counter()
        await rebuild(pool, SCHEMA, REGISTERS)
        print(f"{copied:,} events COPYed and projected in {time.perf_counter() - started:.1f} s")
    finally:
        await pool.close()


def download(server: Server, key: str, fmt: str, out: Path) -> tuple[float, float, int, float]:
    """(seconds to the first byte, seconds in all, bytes, server RSS growth in MB)."""
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{server.url}/v1/t/bench/registry"
    size = 0
    first = 0.0
    with sampled(server.pid) as memory, out.open("wb") as f:
        started = time.perf_counter()
        with httpx.stream("GET", url, params={"format": fmt}, headers=headers, timeout=600) as r:
            r.raise_for_status()
            for chunk in r.iter_bytes(1 << 20):
                if not first:
                    first = time.perf_counter() - started
                size += len(chunk)
                f.write(chunk)
        seconds = time.perf_counter() - started
    print(
        f"  {fmt}: {size / 1e6:,.1f} MB; server RSS {memory.before:,.0f} MB before, "
        f"peak {memory.peak:,.0f} MB"
    )
    return first, seconds, size, memory.growth


def count_rows(path: Path) -> int:
    import openpyxl  # noqa: PLC0415 - only for --check

    book = openpyxl.load_workbook(path, read_only=True)  # no <dimension>: count the rows
    return sum(sum(1 for _ in s.iter_rows(min_row=2, values_only=True)) for s in book.worksheets)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    with running_server(env={"KH_WORKERS": "external"}) as server:
        keys = tenant(server)
        asyncio.run(load(server, args.rows))
        folder = Path(tempfile.mkdtemp(prefix="kh-bench-export-"))
        print(f"registry export of {args.rows:,} rows")
        first, seconds, _, growth = download(server, keys["auditor"], "xlsx", folder / "r.xlsx")
        line("XLSX: first byte", first, "(info)", True, " s")
        line("XLSX: whole download", seconds, "< 60 s", seconds < 60, " s")
        line("XLSX: server RSS growth during the export", growth, "< 100 MB", growth < 100, " MB")
        _, csv_seconds, _, csv_growth = download(server, keys["auditor"], "csv", folder / "r.csv")
        line("CSV: whole download (info)", csv_seconds, "(info)", True, " s")
        line("CSV: server RSS growth (info)", csv_growth, "(info)", True, " MB")
        if args.check:
            n = count_rows(folder / "r.xlsx")
            line("XLSX rows read back with openpyxl", n, f"= {args.rows:,}", n == args.rows)


if __name__ == "__main__":
    main()
