"""Issue-7 target, measured over real HTTP against a real server process.

* an award decision (Giấy khen xã) with 10,000 recipients, request to commit: < 2 s
(and, for information, the curve at 500 / 1,000 / 2,000 / 4,000 / 10,000 recipients: it
should grow linearly).

Every recipient is a household holding "Gia đình học tập" 2023–2025, so the rules read a
real history (three recognitions each, a 3-year streak) and every line passes.

    python -m bench.awards [--runs 3] [--sizes 500,1000,2000,4000,10000]
"""

from __future__ import annotations

import argparse
import statistics

import httpx

from bench.recognition import COMMUNE, SIGNER, csv_households, decision, timed
from bench.server import running_server

TARGET_SIZE, TARGET_SECONDS = 10_000, 2.0
ISSUER = {"signer": "commune_chairman", "name": "UBND xã Gio Linh", "unit_code": COMMUNE}
CITATION = "Đã có thành tích xuất sắc trong phong trào xây dựng xã hội học tập 2025"


def award_decision(ids: list[str], number: str) -> dict[str, object]:
    return {
        "number": number,
        "signed_on": "2026-02-01",
        "issuer": ISSUER,
        "signer": SIGNER,
        "form": "commune_certificate",
        "achievement": {"period": "2025", "occasion": "annual"},
        "recipients": [
            {"subject_id": i, "recipient_kind": "household", "citation": CITATION} for i in ids
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each size (median shown)")
    parser.add_argument("--sizes", default="500,1000,2000,4000,10000")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",")} | {TARGET_SIZE})
    needed = sum(sizes) * args.runs

    with running_server() as server, httpx.Client(base_url=server.url, timeout=600) as client:
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

        ids: list[str] = []
        for batch in range(0, needed, 50_000):
            _, r = timed(
                client,
                "POST",
                f"{base}/subjects/import",
                content=csv_households(min(50_000, needed - batch), f"A{batch}"),
                headers={**keys["officer"], "Content-Type": "text/csv"},
            )
            ids += r.json()["ids"]
        for year in (2023, 2024, 2025):  # the 3-year streak the default Giấy khen criterion needs
            for part, start in enumerate(range(0, needed, 50_000)):
                timed(
                    client,
                    "POST",
                    f"{base}/decisions",
                    json=decision(ids[start : start + 50_000], f"{year}{part}/QĐ-UBND", year),
                    headers=keys["signer"],
                )

        seconds: dict[int, list[float]] = {n: [] for n in sizes}
        taken = 0
        for run in range(args.runs):
            for n in sizes:
                batch = ids[taken : taken + n]
                taken += n
                elapsed, r = timed(
                    client,
                    "POST",
                    f"{base}/award-decisions",
                    json=award_decision(batch, f"{n}{run}/QĐ-UBND"),
                    headers=keys["signer"],
                )
                assert r.json()["recipient_count"] == n
                seconds[n].append(elapsed)

    for n in sizes:
        runs = seconds[n]
        median = statistics.median(runs)
        runs_text = ", ".join(f"{r:.2f}" for r in runs)
        label = f"award decision, {n:,} recipients"
        per = f"{median / n * 1e6:6.0f} µs/recipient"
        if n == TARGET_SIZE:
            verdict = "OK" if median < TARGET_SECONDS else "MISSED"
            tail = f"target < {TARGET_SECONDS} s  {verdict}"
        else:
            tail = "(curve)"
        print(f"{label:<40} median {median:6.2f} s  {per}  (runs {runs_text})  {tail}")


if __name__ == "__main__":
    main()
