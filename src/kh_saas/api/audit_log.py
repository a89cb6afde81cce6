"""The auditors' API over each province's transparency log (``/v1/t/{slug}/audit``).

Checkpoints are C2SP signed notes (``text/plain``); proofs follow RFC 9162; one event's proof
is a C2SP ``tlog-proof`` file; the export is NDJSON (``kh_saas.transparency.export_format``).
Every call is recorded in the tenant's ``audit_access`` table (``api.audit_access``). The
audit *trail* (nomination → decision → revocation) is another route: ``/audit/trail``.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import asyncpg
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from kh_saas.api.audit_access import AuditAccessMiddleware
from kh_saas.api.auth import current_principal, current_tenant, roles
from kh_saas.api.idempotency import KeyTable, once, superseded
from kh_saas.api.problems import PROBLEM_TYPES, ProblemError, problem_responses
from kh_saas.api.tenant_common import IdempotencyKey, service_of
from kh_saas.service import Service
from kh_saas.storage.clusters import Cluster
from kh_saas.storage.migrations import quote_ident
from kh_saas.tenants.catalog import Tenant
from kh_saas.tenants.roles import Role
from kh_saas.transparency.live import (
    NotInLog,
    Witnessed,
    event_proof,
    export_lines,
    witnessed_checkpoint,
)
from kh_saas.transparency.merkle import consistency_proof
from kh_saas.transparency.notes import (
    COSIGNATURE_V1,
    Note,
    NoteError,
    VerifierKey,
    check_name,
    parse_note,
    parse_vkey,
    sign,
)
from kh_saas.transparency.store import LogStore, prove

# Problem types of this API (registered beside the others, served at /problems/{code}).
PROBLEM_TYPES.update(
    {
        "not_in_log": (
            "Not in the log",
            "The position is not a leaf of the province's log: a hole in the notification ids "
            "(a failed save), or an event not logged yet (retry in a second).",
        ),
        "no_checkpoint": (
            "No checkpoint yet",
            "The province's log has no signed checkpoint yet; one follows its first event "
            "within a second.",
        ),
        "witness_exists": (
            "Witness already registered",
            "A witness with this name and key is registered for the province.",
        ),
    }
)

READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)
#: Checkpoints and keys carry no event content; integrators join once the public event
#: contract lands (until then their one route is the tenant profile: tests/test_auth.py).
PUBLIC_READERS = READERS
TEXT = "text/plain; charset=utf-8"
NDJSON = "application/x-ndjson"
_MAX = 2**62  # query values are bounded here: Litestar does not apply msgspec constraints


class LogKey(msgspec.Struct, kw_only=True):
    vkey: Annotated[
        str,
        msgspec.Meta(
            description="C2SP signed-note verifier key: <origin>+<key id>+<base64(0x01 || key)>"
        ),
    ]
    key_id: Annotated[str, msgspec.Meta(examples=["530d903a"])]
    active: bool
    created_at: datetime
    retired_at: datetime | None


class LogKeyList(msgspec.Struct, kw_only=True):
    origin: Annotated[str, msgspec.Meta(description="The checkpoints' origin line")]
    keys: list[LogKey]


class WitnessIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=200,
            pattern=r"^[^\s+]+$",
            description="The witness's key name, e.g. thanhtra.quangtri.gov.vn/witness",
        ),
    ]
    url: Annotated[
        str,
        msgspec.Meta(
            min_length=8,
            max_length=2000,
            pattern=r"^https?://[^\s]+$",
            description="Submission prefix: the service POSTs <url>/add-checkpoint",
        ),
    ]
    public_key: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=500,
            description="A cosignature/v1 verifier key (<name>+<id>+<base64(0x04 || key)>), "
            "or the base64 Ed25519 public key",
        ),
    ]


class WitnessOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    url: str
    vkey: str
    created_at: datetime
    cosigned_size: Annotated[int | None, msgspec.Meta(description="Largest size it cosigned")]
    cosigned_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


class WitnessList(msgspec.Struct, kw_only=True):
    items: list[WitnessOut]


class InclusionProof(msgspec.Struct, kw_only=True):
    position: int
    leaf_index: int
    tree_size: int
    leaf_hash: Annotated[str, msgspec.Meta(description="Base64 SHA-256(0x00 || entry)")]
    entry: Annotated[str, msgspec.Meta(description="The leaf entry as logged")]
    inclusion_path: Annotated[list[str], msgspec.Meta(description="RFC 9162 path, base64")]
    checkpoint: Annotated[
        str | None, msgspec.Meta(description="The signed checkpoint of tree_size, if any")
    ]


class ConsistencyProof(msgspec.Struct, kw_only=True):
    tree_size_1: int
    tree_size_2: int
    consistency_path: Annotated[list[str], msgspec.Meta(description="RFC 9162 path, base64")]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _log(request: Request[Any, Any, Any]) -> tuple[Tenant, Cluster, LogStore]:
    tenant = current_tenant(request)
    return tenant, service_of(request).clusters[tenant.cluster], LogStore(tenant.schema_name)


async def _witnessed(conn: asyncpg.Connection, store: LogStore) -> Witnessed:
    witnessed = await witnessed_checkpoint(conn, store)
    if witnessed is None:
        raise ProblemError(404, "no_checkpoint", "The log has no checkpoint yet.")
    return witnessed


async def _log_size(conn: asyncpg.Connection, store: LogStore) -> int:
    latest = await store.checkpoint(conn)
    if latest is None:
        raise ProblemError(404, "no_checkpoint", "The log has no checkpoint yet.")
    return latest.size


def _size_at_most(size: int, limit: int, field: str) -> None:
    if size > limit:
        raise ProblemError(
            422,
            "validation_failed",
            f"{field} {size} is larger than the log's {limit} leaves",
            field=field,
        )


class AuditLogController(Controller):
    path = "/v1/t/{slug:str}/audit"
    tags = ["audit log"]  # noqa: RUF012
    middleware = [AuditAccessMiddleware]  # noqa: RUF012

    @get(
        "/checkpoint",
        opt=roles(*PUBLIC_READERS),
        media_type=TEXT,
        summary="The latest checkpoint every witness cosigned (C2SP signed note)",
        description=(
            "A C2SP tlog-checkpoint (origin, tree size, base64 root hash) signed by the "
            "province's log key, followed by the cosignature of every registered witness "
            "(C2SP tlog-cosignature). It is the newest checkpoint all active witnesses "
            "cosigned; with no witnesses, or before they all cosigned one, the newest."
        ),
        responses=problem_responses(401, 403, 404),
    )
    async def checkpoint(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Response[str]:
        _, cluster, store = _log(request)
        async with cluster.read.acquire() as conn:
            witnessed = await _witnessed(conn, store)
        return Response(witnessed.note, media_type=TEXT, headers={"Cache-Control": "max-age=1"})

    @get(
        "/keys",
        opt=roles(*PUBLIC_READERS),
        summary="The log's public keys (note verifier keys), retired ones included",
        responses=problem_responses(401, 403, 404),
    )
    async def keys(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> LogKeyList:
        tenant, cluster, store = _log(request)
        return await _key_list(service_of(request), tenant, cluster, store)

    @post(
        "/keys",
        opt=roles(Role.TENANT_ADMIN),
        summary="Rotate the log's signing key",
        description=(
            "Retires the active key (it stays listed: checkpoints it signed still verify) and "
            "makes a new one, which also signs the latest checkpoint and every later one."
        ),
        responses=problem_responses(401, 403, 404, 409),
        status_code=201,
    )
    async def rotate_key(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[LogKeyList]:
        tenant, cluster, store = _log(request)
        service = service_of(request)

        async def run(claim: Any) -> tuple[int, LogKeyList]:
            async with cluster.read.acquire() as conn, conn.transaction():
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtext($1))", f"kh-log:{tenant.schema_name}"
                )
                state = await store.state(conn) or await store.init(
                    conn, service.transparency.origin_of(tenant)
                )
                keys = service.transparency.keys
                await keys.rotate(conn, tenant.schema_name, state.origin)
                signer = await keys.active(conn, tenant.schema_name)
                latest = await store.checkpoint(conn)
                if latest is not None and signer is not None:
                    note = parse_note(latest.note)
                    resigned = Note(note.text, [*note.signatures, sign(note.text, signer)])
                    await store.add_checkpoint(conn, latest.size, latest.root, resigned.format())
                listed = await _key_list(service, tenant, cluster, store, conn)
                if claim is not None and not await claim.record_on(conn, 201, listed):
                    raise superseded()
            return 201, listed

        status, body, replayed = await once(
            _key_table(service, tenant, cluster),
            scope=f"{current_principal(request).id}:POST {request.url.path}",
            key=idempotency_key,
            request_body=await request.body(),
            result_type=LogKeyList,
            run=run,
        )
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return Response(body, status_code=status, headers=headers)

    @get(
        "/witnesses",
        opt=roles(*READERS),
        summary="Witnesses that cosign the log's checkpoints",
        responses=problem_responses(401, 403, 404),
    )
    async def witnesses(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> WitnessList:
        _, cluster, store = _log(request)
        rows = await cluster.read.fetch(
            f"SELECT * FROM {store.q}.log_witnesses WHERE removed_at IS NULL ORDER BY created_at"
        )
        return WitnessList(items=[_witness(r) for r in rows])

    @post(
        "/witnesses",
        opt=roles(Role.TENANT_ADMIN),
        summary="Register a witness (C2SP tlog-witness): it will cosign every new checkpoint",
        responses=problem_responses(401, 403, 404, 409),
    )
    async def register_witness(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[WitnessIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[WitnessOut]:
        tenant, cluster, store = _log(request)
        service = service_of(request)
        key = _witness_key(data)
        _check_url(data.url)

        async def run(claim: Any) -> tuple[int, WitnessOut]:
            async with cluster.read.acquire() as conn, conn.transaction():
                try:
                    row = await conn.fetchrow(
                        f"INSERT INTO {store.q}.log_witnesses (id, name, url, key_id, public_key)"
                        " VALUES ($1, $2, $3, $4, $5) RETURNING *",
                        uuid4(),
                        data.name,
                        data.url.rstrip("/"),
                        key.key_id,
                        key.public_key,
                    )
                except asyncpg.UniqueViolationError:
                    raise ProblemError(
                        409,
                        "witness_exists",
                        "A witness with this name and key is already registered.",
                        field="public_key",
                    ) from None
                created = _witness(row)
                if claim is not None and not await claim.record_on(conn, 201, created):
                    raise superseded()
            service.transparency.witnesses.notify(tenant)  # cosigned within a second
            return 201, created

        status, body, replayed = await once(
            _key_table(service, tenant, cluster),
            scope=f"{current_principal(request).id}:POST {request.url.path}",
            key=idempotency_key,
            request_body=await request.body(),
            result_type=WitnessOut,
            run=run,
        )
        headers = {"Location": f"{request.url.path}/{body.id}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status_code=status, headers=headers)

    @delete(
        "/witnesses/{witness_id:uuid}",
        opt=roles(Role.TENANT_ADMIN),
        summary="Stop asking a witness for cosignatures (its past cosignatures are kept)",
        responses=problem_responses(401, 403, 404),
        status_code=204,
    )
    async def remove_witness(
        self, request: Request[Any, Any, Any], slug: FromPath[str], witness_id: FromPath[UUID]
    ) -> None:
        _, cluster, store = _log(request)
        done = await cluster.read.execute(
            f"UPDATE {store.q}.log_witnesses SET removed_at = now()"
            " WHERE id = $1 AND removed_at IS NULL",
            witness_id,
        )
        if done != "UPDATE 1":
            raise ProblemError(404, "not_found", f"No witness {witness_id}.")

    @get(
        "/proof/inclusion",
        opt=roles(*READERS),
        summary="RFC 9162 inclusion proof of the event at a position",
        responses=problem_responses(401, 403, 404),
    )
    async def inclusion(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        position: Annotated[
            int, QueryParameter(ge=1, le=_MAX, description="The event's position")
        ],
        tree_size: Annotated[
            int | None,
            QueryParameter(
                ge=1, le=_MAX, description="Tree size to prove against (default: the latest)"
            ),
        ] = None,
    ) -> InclusionProof:
        _, cluster, store = _log(request)
        async with cluster.read.acquire() as conn:
            head = await store.head(conn, position)
            if head is None:
                raise ProblemError(404, "no_checkpoint", "The log has no checkpoint yet.")
            size, latest_note, index = head
            note: str | None = latest_note
            if index is None:
                raise ProblemError(
                    404, "not_in_log", f"Position {position} is not in the log.", field="position"
                )
            tree = size if tree_size is None else tree_size
            _size_at_most(tree, size, "tree_size")
            if index >= tree:
                raise ProblemError(
                    422,
                    "validation_failed",
                    f"The event is leaf {index}: not in a tree of {tree} leaves.",
                    field="tree_size",
                )
            path, leaf, entry = await store.prove_leaf(conn, index, tree)
            if tree != size:
                stored = await store.checkpoint(conn, tree)
                note = stored.note if stored is not None and stored.size == tree else None
        return InclusionProof(
            position=position,
            leaf_index=index,
            tree_size=tree,
            leaf_hash=_b64(leaf),
            entry=entry.decode(),
            inclusion_path=[_b64(h) for h in path],
            checkpoint=note,
        )

    @get(
        "/proof/consistency",
        opt=roles(*READERS),
        summary="RFC 9162 consistency proof between two tree sizes",
        responses=problem_responses(401, 403, 404),
    )
    async def consistency(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        first: Annotated[
            int, QueryParameter(name="from", ge=1, le=_MAX, description="Older tree size")
        ],
        second: Annotated[
            int | None,
            QueryParameter(
                name="to", ge=1, le=_MAX, description="Newer tree size (default: the latest)"
            ),
        ] = None,
    ) -> ConsistencyProof:
        _, cluster, store = _log(request)
        async with cluster.read.acquire() as conn:
            size = await _log_size(conn, store)
            to = size if second is None else second
            _size_at_most(to, size, "to")
            if first > to:
                raise ProblemError(
                    422, "validation_failed", "from must not exceed to", field="from"
                )
            path = await prove(conn, store, lambda n: consistency_proof(first, to, n))
        return ConsistencyProof(
            tree_size_1=first, tree_size_2=to, consistency_path=[_b64(h) for h in path]
        )

    @get(
        "/proof/{position:int}",
        opt=roles(*READERS),
        media_type=TEXT,
        summary="A self-contained offline proof of one event (C2SP tlog-proof)",
        description=(
            "The witnessed checkpoint (with cosignatures), the event's leaf index and "
            "inclusion path; the `extra` line holds the event as stored (base64 JSON: "
            "position, originator_id, originator_version, topic, state as base64) and its "
            "entry as logged. `kh-saas audit verify-proof FILE --key VKEY` checks it offline."
        ),
        responses=problem_responses(401, 403, 404),
    )
    async def event(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        position: FromPath[int],
    ) -> Response[str]:
        tenant, cluster, store = _log(request)
        if not 1 <= position <= 2**62:
            raise ProblemError(422, "validation_failed", "position is 1 or more", field="position")
        async with cluster.read.acquire() as conn:
            try:
                text = await event_proof(conn, store, position)
            except NotInLog:
                raise ProblemError(
                    404, "not_in_log", f"Position {position} is not in the log.", field="position"
                ) from None
        return Response(
            text,
            media_type=TEXT,
            headers={
                "Content-Disposition": f'inline; filename="{tenant.slug}-{position}.tlog-proof"'
            },
        )

    @get(
        "/export",
        opt=roles(*READERS),
        summary="Raw events with their leaves and the cosigned checkpoint, as NDJSON",
        description=(
            "Enough to verify offline (`kh-saas audit verify --export FILE --key VKEY`): line "
            "1 is the header (witnessed checkpoint, leaf range, range proof), then one line "
            "per position: the leaf as logged and the event as stored now. `from`/`to` bound "
            "the positions (default: the whole witnessed tree)."
        ),
        responses=problem_responses(401, 403, 404),
        media_type=NDJSON,
    )
    async def export(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        first: Annotated[
            int | None, QueryParameter(name="from", ge=1, le=_MAX, description="First position")
        ] = None,
        last: Annotated[
            int | None, QueryParameter(name="to", ge=1, le=_MAX, description="Last position")
        ] = None,
    ) -> Stream:
        tenant, cluster, store = _log(request)
        if first is not None and last is not None and first > last:
            raise ProblemError(422, "validation_failed", "from must not exceed to", field="from")
        async with cluster.read.acquire() as conn:
            witnessed = await _witnessed(conn, store)

        async def lines() -> Any:
            async with cluster.read.acquire() as conn:
                async for item in export_lines(
                    conn, store, witnessed, first_position=first, last_position=last
                ):
                    yield item

        return Stream(
            lines(),
            media_type=NDJSON,
            headers={"Content-Disposition": f'attachment; filename="{tenant.slug}-audit.ndjson"'},
        )


def _key_table(service: Service, tenant: Tenant, cluster: Cluster) -> KeyTable:
    return KeyTable(
        cluster.read,
        f"{quote_ident(tenant.schema_name)}.idempotency_keys",
        service.settings.idempotency_lease,
    )


async def _key_list(
    service: Service,
    tenant: Tenant,
    cluster: Cluster,
    store: LogStore,
    conn: asyncpg.Connection | None = None,
) -> LogKeyList:
    db = conn if conn is not None else cluster.read
    state = await store.state(db)
    origin = state.origin if state is not None else service.transparency.origin_of(tenant)
    keys = await service.transparency.keys.public(db, tenant.schema_name)
    return LogKeyList(
        origin=origin,
        keys=[
            LogKey(
                vkey=k.verifier.vkey,
                key_id=f"{k.verifier.key_id:08x}",
                active=k.retired_at is None,
                created_at=k.created_at,
                retired_at=k.retired_at,
            )
            for k in keys
        ],
    )


def _witness(row: asyncpg.Record) -> WitnessOut:
    key = VerifierKey(row["name"], row["key_id"], COSIGNATURE_V1, bytes(row["public_key"]))
    return WitnessOut(
        id=row["id"],
        name=row["name"],
        url=row["url"],
        vkey=key.vkey,
        created_at=row["created_at"],
        cosigned_size=row["cosigned_size"],
        cosigned_at=row["cosigned_at"],
        last_error=row["last_error"],
        last_error_at=row["last_error_at"],
    )


_RAW_KEY = re.compile(r"^[A-Za-z0-9+/]{43}=$")


def _witness_key(data: WitnessIn) -> VerifierKey:
    try:
        check_name(data.name)
        if _RAW_KEY.match(data.public_key):
            return VerifierKey.of(data.name, COSIGNATURE_V1, base64.b64decode(data.public_key))
        key = parse_vkey(data.public_key)
    except NoteError as exc:
        raise ProblemError(422, "validation_failed", str(exc), field="public_key") from None
    if key.sig_type != COSIGNATURE_V1:
        raise ProblemError(
            422,
            "validation_failed",
            "a witness key is a cosignature/v1 key (type 0x04)",
            field="public_key",
        )
    if key.name != data.name:
        raise ProblemError(
            422, "validation_failed", "the key's name is not the witness's name", field="name"
        )
    return key


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise ProblemError(
            422, "validation_failed", "url is http(s)://host[:port][/path]", field="url"
        )
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ProblemError(
            422, "validation_failed", "url has an invalid port", field="url"
        ) from None
