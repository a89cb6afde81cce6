"""The audit trail over HTTP: the whole log of acts, a subject's history, and the chain of one
recognition or award (nomination or proposal → review → decision → revocation or annulment →
recovery), read from the ``trail`` projection."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.problems import ProblemError, problem_responses
from kh_saas.api.reading import (
    AsOf,
    Cursor,
    Format,
    Limit,
    Listing,
    MinPosition,
    ReadOptions,
    Where,
    answer,
    pool_of,
    table,
)
from kh_saas.tenants.roles import Role

READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)
RESPONSES = problem_responses(401, 403, 404, 422, 503)


class TrailRow(msgspec.Struct, kw_only=True):
    position: int
    recorded_at: datetime
    effective_on: date | None
    event: Annotated[str, msgspec.Meta(examples=["recognition.revoked"])]
    actor: str | None
    role: str | None
    subject_id: UUID | None
    subject_ids: list[UUID] | None
    nomination_id: UUID | None
    recognition_id: UUID | None
    proposal_id: UUID | None
    award_id: UUID | None
    decision_id: UUID | None
    decision_number: str | None
    reason: str | None


class TrailPage(msgspec.Struct, kw_only=True):
    items: list[TrailRow]
    next_cursor: str | None
    total: int
    total_exact: bool = True


_FIELDS = TrailRow.__struct_fields__

TRAIL = Listing(
    "trail",
    "trail",
    tuple(f"r.{f}" for f in _FIELDS),
    lambda r: TrailRow(**{f: r[f] for f in _FIELDS}),
    TrailRow,
    order="position",
)


def _as_of(where: Where, as_of: datetime | None) -> Where:
    return where.maybe("r.recorded_at <= {}", as_of)


async def _trail(
    request: Request[Any, Any, Any],
    where: Where,
    options: ReadOptions,
    name: str,
) -> Response[Any]:
    _as_of(where, options.as_of)
    return await answer(request, TRAIL, where, options, csv_name=name)


class TrailController(Controller):
    path = "/v1/t/{slug:str}/audit/trail"
    tags = ["audit"]  # noqa: RUF012

    @get(
        "/",
        opt=roles(*READERS),
        summary="The audit trail: every act about subjects, nominations, recognitions, award "
        "proposals and awards, in log order, with who did it in which role",
        responses=RESPONSES,
    )
    async def trail(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        *,
        subject_id: Annotated[UUID | None, QueryParameter(required=False)] = None,
        decision_id: Annotated[UUID | None, QueryParameter(required=False)] = None,
        actor: Annotated[str | None, QueryParameter(max_length=200, required=False)] = None,
        from_: Annotated[
            datetime | None,
            QueryParameter(name="from", required=False, description="Recorded at or after"),
        ] = None,
        to: Annotated[
            datetime | None, QueryParameter(required=False, description="Recorded before")
        ] = None,
        as_of: AsOf = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        format: Format = "json",
        min_position: MinPosition = None,
    ) -> Response[TrailPage]:
        options = ReadOptions(limit, cursor, format, as_of, min_position)
        where = Where()
        if subject_id is not None:
            where.add(
                "(r.subject_id = {} OR r.subject_ids @> ARRAY[{}]::uuid[])", subject_id, subject_id
            )
        where.maybe("r.decision_id = {}", decision_id)
        where.maybe("r.actor = {}", actor)
        where.maybe("r.recorded_at >= {}", from_)
        where.maybe("r.recorded_at < {}", to)
        return await _trail(request, where, options, "audit-trail")


class SubjectHistory:
    """``GET /subjects/{id}/history`` (mixed into the subjects controller)."""

    @get(
        "/{subject_id:uuid}/history",
        opt=roles(*READERS),
        summary="A subject's history: registration and corrections, nominations, titles, "
        "proposals, awards, revocations and annulments, in order",
        responses=RESPONSES,
    )
    async def history(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        subject_id: FromPath[UUID],
        *,
        as_of: AsOf = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        format: Format = "json",
        min_position: MinPosition = None,
    ) -> Response[TrailPage]:
        options = ReadOptions(limit, cursor, format, as_of, min_position)
        pool = pool_of(request)
        known = await pool.fetchval(
            f"SELECT 1 FROM {table(current_tenant(request), 'subjects')} WHERE id = $1 LIMIT 1",
            subject_id,
        )
        if not known and min_position is None:
            raise ProblemError(404, "not_found", f"No subject {subject_id}.", field="subject_id")
        where = Where().add(
            "(r.subject_id = {} OR r.subject_ids @> ARRAY[{}]::uuid[])", subject_id, subject_id
        )
        return await _trail(request, where, options, "history")


async def _chain(
    request: Request[Any, Any, Any], ids: set[UUID], options: ReadOptions
) -> Response[Any]:
    where = Where().add("r.entity_id = ANY({}::uuid[])", sorted(ids))
    return await _trail(request, where, options, "chain")


class RecognitionTrail:
    """``GET /recognitions/{id}/trail`` (mixed into the recognitions controller)."""

    @get(
        "/{recognition_id:uuid}/trail",
        opt=roles(*READERS),
        summary="The chain of one recognition: nomination → review → decision → revocation",
        responses=RESPONSES,
    )
    async def recognition_trail(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        recognition_id: FromPath[UUID],
        *,
        as_of: AsOf = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        format: Format = "json",
        min_position: MinPosition = None,
    ) -> Response[TrailPage]:
        options = ReadOptions(limit, cursor, format, as_of, min_position)
        tenant = current_tenant(request)
        pool = pool_of(request)
        link = await pool.fetchrow(
            f"SELECT nomination_id, decision_id FROM {table(tenant, 'trail_links')}"
            " WHERE id = $1 AND pos_to IS NULL",
            recognition_id,
        )
        if link is None:
            raise ProblemError(404, "not_found", f"No recognition {recognition_id}.")
        revocations = await pool.fetch(
            f"SELECT decision_id FROM {table(tenant, 'trail')} WHERE entity_id = $1"
            " AND decision_id IS NOT NULL",
            recognition_id,
        )
        ids = {recognition_id, link["decision_id"], *(r["decision_id"] for r in revocations)}
        if link["nomination_id"] is not None:
            ids.add(link["nomination_id"])
        return await _chain(request, ids, options)


class AwardTrail:
    """``GET /awards/{id}/trail`` (mixed into the awards controller)."""

    @get(
        "/awards/{award_id:uuid}/trail",
        opt=roles(*READERS),
        summary="The chain of one award: proposals (each level) → council review → decision "
        "→ annulment → recovery",
        responses=RESPONSES,
    )
    async def award_trail(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        award_id: FromPath[UUID],
        *,
        as_of: AsOf = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        format: Format = "json",
        min_position: MinPosition = None,
    ) -> Response[TrailPage]:
        options = ReadOptions(limit, cursor, format, as_of, min_position)
        tenant = current_tenant(request)
        pool = pool_of(request)
        award = await pool.fetchrow(
            f"SELECT a.decision_id, d.proposal_id FROM {table(tenant, 'awards')} a"
            f" LEFT JOIN {table(tenant, 'award_decisions')} d"
            "   ON d.id = a.decision_id AND d.pos_to IS NULL"
            " WHERE a.id = $1 AND a.pos_to IS NULL",
            award_id,
        )
        if award is None:
            raise ProblemError(404, "not_found", f"No award {award_id}.")
        ids: set[UUID] = {award_id, award["decision_id"]}
        ids |= await _proposal_chain(
            pool, tenant_table=table(tenant, "award_proposals"), start=award["proposal_id"]
        )
        annulments = await pool.fetch(
            f"SELECT decision_id FROM {table(tenant, 'trail')} WHERE entity_id = $1"
            " AND decision_id IS NOT NULL",
            award_id,
        )
        ids |= {r["decision_id"] for r in annulments}
        return await _chain(request, ids, options)


async def _proposal_chain(
    pool: asyncpg.Pool, *, tenant_table: str, start: UUID | None
) -> set[UUID]:
    """A proposal and every lower-level one it was forwarded from."""
    if start is None:
        return set()
    rows = await pool.fetch(
        f"""WITH RECURSIVE chain(id) AS (
                SELECT $1::uuid
                UNION SELECT p.parent_id FROM {tenant_table} p JOIN chain c ON p.id = c.id
                WHERE p.pos_to IS NULL AND p.parent_id IS NOT NULL
            ) SELECT id FROM chain""",
        start,
    )
    return {r["id"] for r in rows}
