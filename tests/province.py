"""A province ready for domain API tests: tenant, keys by role, helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import bearer, make_key, make_tenant

COMMUNE = "19483"  # a commune of Quảng Trị (44) since 1 July 2025
COMMUNE_ISSUER = {"office": "commune_chairman", "name": "UBND xã Gio Linh", "unit_code": COMMUNE}
SIGNER = {"name": "Nguyễn Văn Bình", "position": "Chủ tịch"}
ROLES = ["tenant_admin", "officer", "reviewer", "signer", "auditor", "integrator"]


@dataclass
class Province:
    client: httpx.AsyncClient
    slug: str
    keys: dict[str, dict[str, str]]

    def url(self, path: str) -> str:
        return f"/v1/t/{self.slug}{path}"

    async def post(self, path: str, body: Any, role: str = "officer", **kw: Any) -> httpx.Response:
        headers = {**self.keys[role], **kw.pop("headers", {})}
        return await self.client.post(self.url(path), json=body, headers=headers, **kw)

    async def get(self, path: str, role: str = "officer") -> httpx.Response:
        return await self.client.get(self.url(path), headers=self.keys[role])

    async def households(self, n: int, prefix: str = "HB") -> list[str]:
        items = [
            {
                "kind": "household",
                "name": f"Hộ gia đình {i}",
                "commune_code": COMMUNE,
                "ref": f"{prefix}-{i}",
            }
            for i in range(n)
        ]
        r = await self.post("/subjects/bulk", {"items": items})
        assert r.status_code == 201, r.text
        ids: list[str] = r.json()["ids"]
        return ids

    async def criteria_set_id(self, title: str, tier: str) -> str:
        items = (await self.get("/criteria-sets")).json()["items"]
        return next(c["id"] for c in items if c["title"] == title and c["tier"] == tier)

    def household_decision(
        self,
        ids: list[str],
        number: str = "101/QĐ-UBND",
        year: int = 2024,
        signed_on: str = "2025-01-15",
    ) -> dict[str, Any]:
        return {
            "number": number,
            "signed_on": signed_on,
            "issuer": COMMUNE_ISSUER,
            "signer": SIGNER,
            "title": "learning_household",
            "tier": "commune",
            "year": year,
            "recipients": [{"subject_id": i} for i in ids],
        }


async def open_province(
    client: httpx.AsyncClient, slug: str = "quang-tri", code: str = "44"
) -> Province:
    await make_tenant(client, slug, code)
    keys = {role: bearer(await make_key(client, slug, role)) for role in ROLES}
    return Province(client, slug, keys)
