"""Pushing each province's newest checkpoint to its witnesses (C2SP ``tlog-witness``).

For each active witness behind the newest checkpoint, ``POST <url>/add-checkpoint`` with the
consistency proof from the size it cosigned last (a 409 names that size: the push is sent
again from it). A 200's cosignatures are verified with the witness's key before they are
kept; any other answer is kept as the witness's ``last_error`` (a 422 means the witness
judged the log not append-only). Pushes follow each new checkpoint and, as a backstop,
every ``RESCAN`` seconds for witnesses still behind.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

import asyncpg
import httpx

from kh_saas.logs import get_logger
from kh_saas.tenants.catalog import Tenant
from kh_saas.transparency.merkle import consistency_proof
from kh_saas.transparency.notes import (
    COSIGNATURE_V1,
    NoteError,
    VerifierKey,
    check_signature,
    parse_note,
    parse_signature_line,
)
from kh_saas.transparency.store import LogStore, StoredCheckpoint, prove
from kh_saas.transparency.tasks import finish
from kh_saas.transparency.witness_protocol import SIZE_MEDIA_TYPE, AddCheckpoint

if TYPE_CHECKING:
    from kh_saas.service import Service

log = get_logger(__name__)

RESCAN = 10.0
TIMEOUT = 10.0


class WitnessPusher:
    def __init__(self, service: Service) -> None:
        self._service = service
        self._pending: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._http: httpx.AsyncClient | None = None

    def notify(self, tenant: Tenant) -> None:
        self._pending.add(tenant.slug)
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._http = httpx.AsyncClient(timeout=TIMEOUT)
            self._task = asyncio.create_task(self._run(), name="kh-witness-push")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            await finish(task)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _run(self) -> None:
        self._stopping = False
        while not self._stopping:
            rescan = False
            try:
                await asyncio.wait_for(self._wake.wait(), RESCAN)
            except TimeoutError:
                rescan = True
            self._wake.clear()
            slugs, self._pending = self._pending, set()
            try:
                for tenant in await self._service.catalog.all("active"):
                    if rescan or tenant.slug in slugs:
                        await self.push(tenant)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("witness_push_failed", error=f"{type(exc).__name__}: {exc}")

    async def push(self, tenant: Tenant) -> None:
        """Ask every active witness behind the newest checkpoint to cosign it."""
        pool = self._service.clusters[tenant.cluster].read
        store = LogStore(tenant.schema_name)
        latest = await store.checkpoint(pool)
        if latest is None:
            return
        witnesses = await pool.fetch(
            f"SELECT id, name, url, key_id, public_key, cosigned_size FROM {store.q}.log_witnesses"
            " WHERE removed_at IS NULL AND cosigned_size IS DISTINCT FROM $1",
            latest.size,
        )
        for w in witnesses:
            try:
                await self._push_one(pool, store, latest, w)
            except (httpx.HTTPError, OSError) as exc:
                await _failed(pool, store, w["id"], f"unreachable: {exc!r}"[:500])

    async def _push_one(
        self,
        pool: asyncpg.Pool,
        store: LogStore,
        latest: StoredCheckpoint,
        witness: asyncpg.Record,
    ) -> None:
        assert self._http is not None
        key = VerifierKey(witness["name"], witness["key_id"], COSIGNATURE_V1,
                          bytes(witness["public_key"]))  # fmt: skip
        old = witness["cosigned_size"] or 0
        for _ in range(2):  # once more from the size a 409 names
            if old > latest.size:
                await _failed(
                    pool,
                    store,
                    witness["id"],
                    f"the witness cosigned size {old}, above the log's {latest.size}",
                )
                return
            proof: list[bytes] = []
            if 0 < old < latest.size:
                async with pool.acquire() as conn:
                    proof = await prove(conn, store, partial(consistency_proof, old, latest.size))
            body = AddCheckpoint(old, proof, latest.note).format()
            response = await self._http.post(
                witness["url"] + "/add-checkpoint",
                content=body.encode(),
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
            if response.status_code == 409 and response.headers.get("content-type", "").startswith(
                SIZE_MEDIA_TYPE
            ):
                old = int(response.text.strip() or 0)
                continue
            break
        if response.status_code != 200:
            await _failed(pool, store, witness["id"],
                          f"{response.status_code}: {response.text.strip()[:300]}")  # fmt: skip
            return
        await _cosigned(
            pool, store, latest=latest, witness_id=witness["id"], key=key, body=response.text
        )


async def _failed(pool: asyncpg.Pool, store: LogStore, witness_id: object, error: str) -> None:
    log.warning("witness_refused_or_unreachable", witness=str(witness_id), error=error)
    await pool.execute(
        f"UPDATE {store.q}.log_witnesses SET last_error = $2, last_error_at = now() WHERE id = $1",
        witness_id,
        error,
    )


async def _cosigned(
    pool: asyncpg.Pool,
    store: LogStore,
    *,
    latest: StoredCheckpoint,
    witness_id: object,
    key: VerifierKey,
    body: str,
) -> None:
    text = parse_note(latest.note).text
    good: list[tuple[str, int]] = []
    for line in body.splitlines():
        try:
            signature = parse_signature_line(line)
            if (signature.name, signature.key_id) != (key.name, key.key_id):
                continue  # another key of the witness: not the one registered
            verified = check_signature(text, signature, key)
        except NoteError as exc:
            await _failed(pool, store, witness_id, f"bad cosignature: {exc}")
            return
        good.append((line + "\n", verified.timestamp or 0))
    if not good:
        await _failed(pool, store, witness_id, "no cosignature by the registered key")
        return
    line, timestamp = good[0]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            f"INSERT INTO {store.q}.log_cosignatures (size, witness_id, signature, cosigned_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (size, witness_id) DO UPDATE"
            " SET signature = EXCLUDED.signature, cosigned_at = EXCLUDED.cosigned_at",
            latest.size,
            witness_id,
            line,
            datetime.fromtimestamp(timestamp, UTC),
        )
        await conn.execute(
            f"UPDATE {store.q}.log_witnesses SET cosigned_size = $2, cosigned_at = now(),"
            " last_error = NULL, last_error_at = NULL WHERE id = $1",
            witness_id,
            latest.size,
        )
