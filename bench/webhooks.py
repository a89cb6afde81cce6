"""Append → webhook receipt on loopback (target p99 < 500 ms).

A real ``kh-saas serve`` (its dispatcher inside, KH_WORKERS=internal) sends to a receiver in
this process. Each write is a recognition decision of one household, made at a steady rate;
the latency of a write is from the moment its request was acknowledged (committed) to the
moment its ``decision.recorded`` webhook arrived, and also from the moment it was sent.

    python -m bench.webhooks [--rate 10] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from bench.server import running_server
from tests.webhook_receiver import Received, Receiver

TARGET_P99_MS = 500.0
DECISION = "vn.khuyenhoc.decision.recorded.v1"
COMMUNE = "19483"
ISSUER = {"office": "commune_chairman", "name": "UBND xã Gio Linh", "unit_code": COMMUNE}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(rate: float, seconds: float) -> None:
    receiver = Receiver()
    await receiver.start()
    count = int(rate * seconds)
    env = {"KH_WEBHOOKS_ALLOW_PRIVATE": "1"}
    with running_server(env) as server:
        admin = {"Authorization": f"Bearer {server.admin_key}"}
        async with httpx.AsyncClient(base_url=server.url, headers=admin, timeout=60) as http:
            r = await http.post(
                "/v1/tenants", json={"slug": "quang-tri", "name": "QT", "province_code": "44"}
            )
            r.raise_for_status()
            keys = {}
            for role in ("officer", "signer", "integrator"):
                made = await http.post(
                    "/v1/tenants/quang-tri/api-keys", json={"name": role, "role": role}
                )
                keys[role] = {"Authorization": f"Bearer {made.json()['secret']}"}
            items = [
                {"kind": "household", "name": f"Hộ {i}", "commune_code": COMMUNE, "ref": f"W{i}"}
                for i in range(count)
            ]
            r = await http.post(
                "/v1/t/quang-tri/subjects/bulk", json={"items": items}, headers=keys["officer"]
            )
            r.raise_for_status()
            ids = r.json()["ids"]
            r = await http.post(
                "/v1/t/quang-tri/webhooks", json={"url": receiver.url}, headers=keys["integrator"]
            )
            r.raise_for_status()
            await asyncio.sleep(1.5)  # the dispatcher notices the new endpoint

            sent: dict[str, float] = {}
            acked: dict[str, float] = {}

            async def write(i: int) -> None:
                number = f"{i + 1}/QĐ-UBND"
                body = {
                    "number": number,
                    "signed_on": "2025-01-15",
                    "issuer": ISSUER,
                    "signer": {"name": "Nguyễn Văn Bình", "position": "Chủ tịch"},
                    "title": "learning_household",
                    "tier": "commune",
                    "year": 2024,
                    "recipients": [{"subject_id": ids[i]}],
                }
                sent[number] = time.time()
                r = await http.post("/v1/t/quang-tri/decisions", json=body, headers=keys["signer"])
                acked[number] = time.time()
                r.raise_for_status()

            start = time.monotonic()
            tasks = []
            for i in range(count):
                await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
                tasks.append(asyncio.create_task(write(i)))
            await asyncio.gather(*tasks)

            def decisions(got: list[Received]) -> list[Received]:
                return [g for g in got if g.event["type"] == DECISION]

            await receiver.wait_for(lambda got: len(decisions(got)) >= count, 120)
    arrived = {g.event["data"]["number"]: g.at for g in decisions(receiver.received)}
    await receiver.stop()
    from_ack = [(arrived[n] - acked[n]) * 1000 for n in acked]
    from_send = [(arrived[n] - sent[n]) * 1000 for n in sent]
    print(f"webhooks: {count} decisions at {rate:g}/s, {len(receiver.received)} deliveries")
    for label, values in (("after the write was acknowledged", from_ack),
                          ("after the write was sent", from_send)):  # fmt: skip
        print(
            f"  append → webhook receipt ({label}): p50 {statistics.median(values):.0f} ms,"
            f" p99 {pct(values, 99):.0f} ms, max {max(values):.0f} ms"
            f"  (target p99 < {TARGET_P99_MS:.0f} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="writes per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    asyncio.run(run(args.rate, args.seconds))


if __name__ == "__main__":
    main()
