"""Each province's log signing keys: Ed25519, made at provisioning, sealed at rest, rotatable.

One key is active at a time; rotation retires it (it stays listed, so checkpoints it signed
still verify) and the next checkpoints are signed by the new one. Every key signs under the
log's origin as its name, so its verifier key reads ``<origin>+<key id>+<public key>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from kh_saas.storage.migrations import quote_ident
from kh_saas.transparency.notes import ED25519, SignerKey, VerifierKey
from kh_saas.transparency.sealing import Sealer


@dataclass(frozen=True)
class PublicKey:
    verifier: VerifierKey
    created_at: datetime
    retired_at: datetime | None


def _bound_to(schema: str, key_id: int) -> str:
    return f"kh-saas log key {schema} {key_id:08x}"


class LogKeys:
    """Signing keys in a tenant schema's ``log_keys``; opened keys are cached by id."""

    def __init__(self, sealer: Sealer) -> None:
        self._sealer = sealer
        self._open: dict[tuple[str, int], SignerKey] = {}

    async def create(self, conn: asyncpg.Connection, schema: str, origin: str) -> VerifierKey:
        """A new active key (the caller retires the old one in the same transaction)."""
        signer = SignerKey.generate(origin, ED25519)
        verifier = signer.verifier
        await conn.execute(
            f"INSERT INTO {quote_ident(schema)}.log_keys"
            " (key_id, name, public_key, sealed_private_key) VALUES ($1, $2, $3, $4)",
            verifier.key_id,
            origin,
            verifier.public_key,
            self._sealer.seal(signer.seed, _bound_to(schema, verifier.key_id)),
        )
        self._open[(schema, verifier.key_id)] = signer
        return verifier

    async def ensure(self, conn: asyncpg.Connection, schema: str, origin: str) -> None:
        """Make the first key unless the log has one (idempotent, safe with two processes)."""
        q = quote_ident(schema)
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"kh-log-key:{schema}")
            if not await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {q}.log_keys)"):
                await self.create(conn, schema, origin)

    async def active(self, conn: asyncpg.Connection, schema: str) -> SignerKey | None:
        row = await conn.fetchrow(
            f"SELECT key_id, name, sealed_private_key FROM {quote_ident(schema)}.log_keys"
            " WHERE retired_at IS NULL"
        )
        if row is None:
            return None
        cached = self._open.get((schema, row["key_id"]))
        if cached is None:
            seed = self._sealer.open(
                bytes(row["sealed_private_key"]), _bound_to(schema, row["key_id"])
            )
            cached = SignerKey.from_seed(row["name"], ED25519, seed)
            if cached.verifier.key_id != row["key_id"]:
                raise ValueError(f"log key {row['key_id']:08x} of {schema} does not match")
            self._open[(schema, row["key_id"])] = cached
        return cached

    async def rotate(self, conn: asyncpg.Connection, schema: str, origin: str) -> VerifierKey:
        """Retire the active key and make a new one (in the caller's transaction)."""
        await conn.execute(
            f"UPDATE {quote_ident(schema)}.log_keys SET retired_at = now()"
            " WHERE retired_at IS NULL"
        )
        return await self.create(conn, schema, origin)

    async def public(self, conn: asyncpg.Connection | asyncpg.Pool, schema: str) -> list[PublicKey]:
        rows = await conn.fetch(
            f"SELECT key_id, name, public_key, created_at, retired_at"
            f" FROM {quote_ident(schema)}.log_keys ORDER BY created_at, key_id"
        )
        return [
            PublicKey(
                VerifierKey(r["name"], r["key_id"], ED25519, bytes(r["public_key"])),
                r["created_at"],
                r["retired_at"],
            )
            for r in rows
        ]
