"""Reference data shipped with the service: Vietnam's administrative units (see its README)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class ProvinceRef:
    """A province or centrally-governed city (tỉnh / thành phố) in force since 1 July 2025."""

    code: str
    name: str
    short_name: str
    type: str
    slug: str


def read_rows(filename: str) -> list[dict[str, str]]:
    """Rows of one CSV of ``reference/admin_units`` (codes stay zero-padded strings)."""
    text = resources.files(__package__).joinpath("admin_units", filename).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def provinces() -> dict[str, ProvinceRef]:
    """The 34 current provinces by two-digit code."""
    return {r["code"]: ProvinceRef(**r) for r in read_rows("provinces.csv")}


@cache
def communes_of(province_code: str) -> frozenset[str]:
    """Codes of the communes (xã, phường, đặc khu) of a province since 1 July 2025."""
    return frozenset(
        r["code"] for r in read_rows("communes.csv") if r["province_code"] == province_code
    )


@cache
def unit_names() -> dict[str, str]:
    """Commune names by code: today's communes, and the legacy ones before 1 July 2025."""
    names = {r["code"]: r["name"] for r in read_rows("legacy_communes.csv")}
    names.update({r["code"]: r["name"] for r in read_rows("communes.csv")})
    return names
