"""Issue-12 certificate targets, measured over real HTTP against a real server process.

    python -m bench.certificates [--sizes 1000,10000]

A recognition decision of N households (spread over 5 villages) is recorded, then its
certificates are downloaded (``GET /decisions/{id}/certificates.pdf``, one page each):

* 1,000 recipients: PDF < 20 s (the issue's target)
* 10,000 recipients: < 200 s, i.e. the same pace (a target of ours: "finishes reasonably"),
  with the server's RSS growth printed (the PDF is drawn into a temporary file, not memory)
"""

from __future__ import annotations

import argparse
import time

import httpx

from bench.memory import sampled
from bench.read_side import line
from bench.server import running_server

COMMUNE = "19483"
ISSUER = {"office": "commune_chairman", "name": "UBND xã Gio Linh", "unit_code": COMMUNE}
SIGNER = {"name": "Lê Thị Hồng Nhung", "position": "KT. Chủ tịch, Phó Chủ tịch"}
VILLAGES = ["Thôn Đông Hà", "Thôn An Xuân", "Thôn Hà Thượng", "Thôn Gia Môn", "Thôn Nhĩ Hạ"]
TARGETS = {1_000: 20.0, 10_000: 200.0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    with running_server() as server, httpx.Client(base_url=server.url, timeout=600) as client:
        admin = {"Authorization": f"Bearer {server.admin_key}"}
        client.post(
            "/v1/tenants",
            json={"slug": "quang-tri", "name": "Quảng Trị", "province_code": "44"},
            headers=admin,
        ).raise_for_status()
        keys = {}
        for role in ("tenant_admin", "officer", "signer", "auditor"):
            r = client.post(
                "/v1/tenants/quang-tri/api-keys", json={"name": role, "role": role}, headers=admin
            )
            keys[role] = {"Authorization": f"Bearer {r.json()['secret']}"}
        base = "/v1/t/quang-tri"
        client.post(
            f"{base}/units/villages/bulk",
            json={
                "items": [
                    {"commune_code": COMMUNE, "code": f"THON-{i}", "name": n}
                    for i, n in enumerate(VILLAGES)
                ]
            },
            headers=keys["tenant_admin"],
        ).raise_for_status()
        for run, n in enumerate(sizes):
            items = [
                {
                    "kind": "household",
                    "name": f"Hộ ông Nguyễn Văn Thành {i}",
                    "commune_code": COMMUNE,
                    "village_code": f"THON-{i % len(VILLAGES)}",
                    "ref": f"C{run}-{i}",
                }
                for i in range(n)
            ]
            r = client.post(f"{base}/subjects/bulk", json={"items": items}, headers=keys["officer"])
            r.raise_for_status()
            ids = r.json()["ids"]
            decision = {
                "number": f"{120 + run}/QĐ-UBND",
                "signed_on": "2026-01-15",
                "issuer": ISSUER,
                "signer": SIGNER,
                "title": "learning_household",
                "tier": "commune",
                "year": 2025,
                "recipients": [{"subject_id": i} for i in ids],
            }
            d = client.post(f"{base}/decisions", json=decision, headers=keys["signer"])
            d.raise_for_status()
            url = f"{base}/decisions/{d.json()['id']}/certificates.pdf"
            params = {"min_position": d.headers["KH-Position"]}
            with sampled(server.pid) as memory:
                started = time.perf_counter()
                pdf = client.get(url, params=params, headers=keys["auditor"])
                seconds = time.perf_counter() - started
            pdf.raise_for_status()
            pages = int(pdf.headers["KH-Certificates"])
            assert pages == n, pages
            target = TARGETS.get(n, n / 50)
            print(f"certificates of a {n:,}-recipient decision: {len(pdf.content) / 1e6:.1f} MB, "
                  f"{seconds / n * 1000:.1f} ms a page")  # fmt: skip
            line(f"  PDF of {n:,} pages", seconds, f"< {target:.0f} s", seconds < target, " s")
            line("  server RSS growth while drawing", memory.growth, "(info)", True, " MB")


if __name__ == "__main__":
    main()
