"""Server connections held while one kh-saas process serves all 34 provinces.

Starts ``kh-saas serve`` on a fresh embedded PostgreSQL (or ``KH_DATABASE_URL``), creates the
34 provinces, then sends a burst of concurrent requests to every tenant (profile reads and
API-key writes) while sampling ``pg_stat_activity``. Prints the peak beside the target.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx

from bench.server import running_server
from kh_saas.reference import provinces

TARGET = 20


async def count_connections(db_url: str) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        n: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return n
    finally:
        await conn.close()


async def main() -> None:
    with running_server() as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            client.headers["Authorization"] = f"Bearer {server.admin_key}"
            refs = sorted(provinces().values(), key=lambda p: p.code)
            started = time.perf_counter()
            created = await asyncio.gather(
                *(
                    client.post(
                        "/v1/tenants",
                        json={"slug": p.slug, "name": p.name, "province_code": p.code},
                    )
                    for p in refs
                )
            )
            assert all(r.status_code == 201 for r in created), [r.text for r in created][:3]
            peak = 0
            stop = asyncio.Event()

            async def sample() -> None:
                nonlocal peak
                while not stop.is_set():
                    peak = max(peak, await count_connections(server.db_url))
                    await asyncio.sleep(0.05)

            sampler = asyncio.create_task(sample())
            for _round in range(5):
                await asyncio.gather(
                    *(client.get(f"/v1/t/{p.slug}") for p in refs),
                    *(
                        client.post(
                            f"/v1/tenants/{p.slug}/api-keys",
                            json={"name": "bench", "role": "auditor"},
                        )
                        for p in refs
                    ),
                )
            stop.set()
            await sampler
            elapsed = time.perf_counter() - started
            after = await count_connections(server.db_url)
    print(f"tenants served:                 {len(refs)} (34 provinces, {elapsed:.1f} s)")
    verdict = "OK" if peak <= TARGET else "MISSED"
    print(f"peak server connections (load): {peak}   target <= {TARGET}   {verdict}")
    print(f"server connections after load:  {after}   target <= {TARGET}")


if __name__ == "__main__":
    asyncio.run(main())
