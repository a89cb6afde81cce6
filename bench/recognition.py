"""Issue-3 targets, measured over real HTTP against a real server process.

* bulk registration of 50,000 households from a CSV upload, request to commit: < 5 s
* a recognition decision with 10,000 recipients, request to commit: < 1 s
(and, for information, a decision with 50,000 recipients)
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx

from bench.server import running_server

COMMUNE = "19483"
ISSUER = {"office": "commune_chairman", "name": "UBND xã Gio Linh", "unit_code": COMMUNE}
SIGNER = {"name": "Nguyễn Văn Bình", "position": "Chủ tịch"}


def csv_households(n: int, prefix: str) -> bytes:
    lines = ["Loại,Họ tên,Mã xã,Số hộ khẩu,Chủ hộ"]
    lines += [
        f"household,Hộ ông Nguyễn Văn Thành {i},{COMMUNE},{prefix}-{i},Nguyễn Văn Thành {i}"
        for i in range(n)
    ]
    return "\n".join(lines).encode()


def decision(ids: list[str], number: str, year: int) -> dict[str, Any]:
    return {
        "number": number,
        "signed_on": f"{year + 1}-01-15",
        "issuer": ISSUER,
        "signer": SIGNER,
        "title": "learning_household",
        "tier": "commune",
        "year": year,
        "recipients": [{"subject_id": i} for i in ids],
    }


def timed(client: httpx.Client, method: str, path: str, **kw: Any) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    r = client.request(method, path, **kw)
    elapsed = time.perf_counter() - started
    assert r.status_code == 201, r.text[:500]
    return elapsed, r


def main() -> None:
    with running_server() as server, httpx.Client(base_url=server.url, timeout=300) as client:
        admin = {"Authorization": f"Bearer {server.admin_key}"}
        client.post(
            "/v1/tenants",
            json={"slug": "quang-tri", "name": "Quảng Trị", "province_code": "44"},
            headers=admin,
        )
        keys = {}
        for role in ("officer", "signer"):
            r = client.post(
                "/v1/tenants/quang-tri/api-keys", json={"name": role, "role": role}, headers=admin
            )
            keys[role] = {"Authorization": f"Bearer {r.json()['secret']}"}
        base = "/v1/t/quang-tri"

        uploads = []
        ids: list[str] = []
        for run in range(3):
            seconds, r = timed(
                client,
                "POST",
                f"{base}/subjects/import",
                content=csv_households(50_000, f"R{run}"),
                headers={**keys["officer"], "Content-Type": "text/csv"},
            )
            uploads.append(seconds)
            ids += r.json()["ids"]
        decisions = []
        for run in range(3):
            batch = ids[run * 10_000 : (run + 1) * 10_000]
            seconds, _ = timed(
                client,
                "POST",
                f"{base}/decisions",
                json=decision(batch, f"{100 + run}/QĐ-UBND", 2024),
                headers=keys["signer"],
            )
            decisions.append(seconds)
        big, _ = timed(
            client,
            "POST",
            f"{base}/decisions",
            json=decision(ids[50_000:100_000], "200/QĐ-UBND", 2023),
            headers=keys["signer"],
        )

    def line(label: str, runs: list[float], target: float) -> str:
        median = statistics.median(runs)
        verdict = "OK" if median < target else "MISSED"
        runs_text = ", ".join(f"{r:.2f}" for r in runs)
        return (
            f"{label:<52} median {median:6.2f} s  (runs {runs_text})"
            f"  target < {target} s  {verdict}"
        )

    print(line("bulk registration, 50,000 households from CSV", uploads, 5.0))
    print(line("recognition decision, 10,000 recipients", decisions, 1.0))
    print(f"{'recognition decision, 50,000 recipients (info)':<52} {big:6.2f} s")


if __name__ == "__main__":
    main()
