"""Bulk registration from a spreadsheet: ``POST /v1/t/{slug}/subjects/import``.

The body is the file itself (CSV or XLSX; ``Content-Type: text/csv`` or the XLSX type, or
``?filename=`` with the extension). Every bad row and column is listed and nothing is stored;
otherwise every row is registered in one transaction.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.params import FromPath, FromQuery

from kh_saas.api.auth import roles
from kh_saas.api.problems import FieldError, ProblemError, problem_responses
from kh_saas.api.subjects import WRITERS, Registered, SubjectIn, to_inputs
from kh_saas.api.tenant_common import (
    BULK_BODY_BYTES,
    IdempotencyKey,
    actor,
    commands,
    create_once,
    in_thread,
)
from kh_saas.imports import TabularError, parse_records
from kh_saas.tenants.commands import BulkRejected

#: Vietnamese headers officers actually write, matched without accents or case.
HEADER_ALIASES = {
    "loai": "kind",
    "loai doi tuong": "kind",
    "ten": "name",
    "ho ten": "name",
    "ho va ten": "name",
    "ten ho": "name",
    "ma xa": "commune_code",
    "ma thon": "village_code",
    "ma ho so": "ref",
    "so ho khau": "ref",
    "ma": "ref",
    "chu ho": "head_name",
    "dia chi": "address",
    "so thanh vien": "members",
    "so nhan khau": "members",
    "dong ho": "surname",
    "ho": "surname",
    "truong ho": "head_name",
    "so ho": "households",
    "so cccd": "citizen_id",
    "cccd": "citizen_id",
    "can cuoc": "citizen_id",
    "nam sinh": "birth_year",
    "nghe nghiep": "occupation",
    "loai cong dong": "community_kind",
    "ma dia ban": "area_code",
    "loai don vi": "unit_kind",
    "cap quan ly": "managing_tier",
}


def _row_problem(exc: TabularError) -> ProblemError:
    errors = [
        FieldError(f"row {e.row}" + (f", column {e.column}" if e.column else ""), e.message)
        for e in exc.errors
    ]
    return ProblemError(
        422,
        "bulk_rejected",
        f"{exc.total} problem(s) in the upload; nothing was stored",
        errors=errors,
    )


def _domain_problem(exc: BulkRejected) -> ProblemError:
    # Item i is spreadsheet row i + 2 (row 1 is the header).
    errors = [
        FieldError(
            f"row {e.index + 2}" + (f", column {e.field}" if e.field else ""), e.message, e.code
        )
        for e in exc.errors
    ]
    return ProblemError(422, "bulk_rejected", exc.message, errors=errors)


class SubjectImportController(Controller):
    path = "/v1/t/{slug:str}/subjects/import"
    tags = ["subjects"]  # noqa: RUF012

    @post(
        "/",
        opt=roles(*WRITERS),
        summary="Register up to 50,000 subjects from a CSV or XLSX file (all or nothing)",
        description="Send the file as the body. Columns are the fields of a subject "
        "(kind, name, commune_code, ref, head_name, citizen_id, …) or their Vietnamese "
        "names (Loại, Họ tên, Mã xã, Số hộ khẩu, Chủ hộ, Số CCCD, …).",
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
        status_code=201,
        request_max_body_size=BULK_BODY_BYTES,
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        idempotency_key: IdempotencyKey,
        filename: FromQuery[str | None] = None,
    ) -> Response[Registered]:
        body = await request.body()
        content_type = request.headers.get("content-type")
        cmd, who = commands(request), actor(request)
        try:
            rows = await in_thread(
                lambda: parse_records(
                    body,
                    SubjectIn,
                    filename=filename,
                    content_type=content_type,
                    aliases=HEADER_ALIASES,
                )
            )
        except TabularError as exc:
            raise _row_problem(exc) from exc
        inputs = to_inputs(rows)

        def run() -> Registered:
            try:
                ids = [s.id for s in cmd.register_subjects(inputs, who)]
            except BulkRejected as exc:
                raise _domain_problem(exc) from exc
            return Registered(count=len(ids), ids=ids)

        return await create_once(
            request, idempotency_key, Registered, run, lambda _: f"/v1/t/{slug}/subjects"
        )
