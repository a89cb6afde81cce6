"""Bulk registration from a spreadsheet: ``POST /v1/t/{slug}/subjects/import``.

The body is the file itself (CSV or XLSX; ``Content-Type: text/csv`` or the XLSX type, or
``?filename=`` with the extension). The whole file is checked, the sheet's own problems and
the domain's together, and every bad row and column is listed (the first 1,000, saying how
many there are) with nothing stored; otherwise every row is registered in one transaction.
A file past a reading limit (rows, cells, uncompressed size…) answers 413 naming the limit.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

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
from kh_saas.imports import (
    MAX_LISTED_ERRORS,
    Records,
    RowError,
    TableTooLarge,
    TabularError,
    read_records,
)
from kh_saas.tenants.commands import BulkRejected, ItemError

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
    "phan loai": "category",
    "doi tuong lao dong": "category",
    "loai cong dong": "community_kind",
    "ma dia ban": "area_code",
    "loai don vi": "unit_kind",
    "cap quan ly": "managing_tier",
}


#: Vietnamese words officers type for coded values, matched without accents or case (the
#: codes themselves match too). From the terms in kh_saas.domain.vocabulary; "hộ" and "họ"
#: alone are left out: without accents they are the same word.
VALUE_WORDS: dict[str, dict[str, str]] = {
    "kind": {
        "hộ gia đình": "household",
        "gia đình": "household",
        "dòng họ": "clan",
        "dòng tộc": "clan",
        "cộng đồng": "community",
        "cộng đồng dân cư": "community",
        "đơn vị": "unit",
        "công dân": "citizen",
        "cá nhân": "citizen",
    },
    "community_kind": {
        "thôn": "village",
        "bản": "village",
        "tổ dân phố": "village",
        "khu phố": "village",
        "khu dân cư": "village",
        "làng": "village",
        "xóm": "village",
        "ấp": "village",
        "xã": "commune",
        "phường": "commune",
        "đặc khu": "commune",
        "cấp xã": "commune",
        "huyện": "district",
        "quận": "district",
        "thị xã": "district",
        "cấp huyện": "district",
        "tỉnh": "province",
        "thành phố trực thuộc trung ương": "province",
        "cấp tỉnh": "province",
    },
    "unit_kind": {
        "cơ quan": "agency",
        "trường học": "school",
        "trường": "school",
        "cơ sở giáo dục": "school",
        "doanh nghiệp": "enterprise",
        "công ty": "enterprise",
        "tổ chức khác": "other",
        "hợp tác xã": "other",
        "khác": "other",
    },
    "category": {
        "người lao động": "worker",
        "lao động": "worker",
        "cán bộ": "cadre",
        "công chức": "cadre",
        "viên chức": "cadre",
        "cán bộ, công chức, viên chức": "cadre",
    },
    "managing_tier": {
        "cấp xã": "commune",
        "xã": "commune",
        "phường": "commune",
        "đặc khu": "commune",
        "cấp huyện": "district",
        "huyện": "district",
        "quận": "district",
        "thị xã": "district",
        "cấp tỉnh": "province",
        "tỉnh": "province",
    },
}


class _Fault(NamedTuple):
    row: int
    column: str
    message: str
    code: str | None = None


def _where(row: int, column: str) -> str:
    if row == 0:
        return "file"
    return f"row {row}" + (f", column {column}" if column else "")


def _rejection(faults: list[_Fault], total: int) -> ProblemError:
    """422 listing the first MAX_LISTED_ERRORS faults by row (header first), counting all."""
    faults = sorted(faults, key=lambda f: f.row)[:MAX_LISTED_ERRORS]
    detail = f"{total:,} problem(s) in the upload; nothing was stored"
    if total > len(faults):
        detail += f"; the first {len(faults):,} are listed"
    errors = [FieldError(_where(f.row, f.column), f.message, f.code) for f in faults]
    return ProblemError(422, "bulk_rejected", detail, errors=errors)


def _sheet_faults(errors: list[RowError]) -> list[_Fault]:
    return [_Fault(e.row, e.column, e.message) for e in errors]


def _too_large(exc: TableTooLarge) -> ProblemError:
    message = exc.errors[0].message
    return ProblemError(
        413, "table_too_large", message, errors=[FieldError(exc.limit, message)], field=exc.limit
    )


_SAME_AS_ITEM = re.compile(r"^same subject as item (\d+)$")


def _domain_faults(read: Records[SubjectIn], errors: list[ItemError]) -> list[_Fault]:
    """The domain's item errors on the spreadsheet: its row numbers and its headers."""
    faults = []
    for e in errors:
        if e.index >= len(read.rows):
            continue  # the marker standing for the sheet's own problems
        column = read.headers.get(e.field, e.field) if e.field else ""
        message = e.message
        same = _SAME_AS_ITEM.match(message)
        if same and int(same.group(1)) < len(read.rows):  # items are rows to the officer
            message = f"same subject as row {read.rows[int(same.group(1))][0]}"
        faults.append(_Fault(read.rows[e.index][0], column, message, e.code))
    return faults


class SubjectImportController(Controller):
    path = "/v1/t/{slug:str}/subjects/import"
    tags = ["subjects"]  # noqa: RUF012

    @post(
        "/",
        opt=roles(*WRITERS),
        summary="Register up to 50,000 subjects from a CSV or XLSX file (all or nothing)",
        description="Send the file as the body. Columns are the fields of a subject "
        "(kind, name, commune_code, ref, head_name, citizen_id, …) or their Vietnamese "
        "names (Loại, Họ tên, Mã xã, Số hộ khẩu, Chủ hộ, Số CCCD, …); coded values may "
        "be written in Vietnamese, with or without accents (Hộ gia đình, Dòng họ, Công dân, "
        "Thôn, Cơ quan, Cấp xã, …). 422 lists every bad row and column (`row 7, column Mã "
        "xã`); 413 names the reading limit passed (`field`: rows, columns, cells, "
        "uncompressed_bytes, …; at most 50,000 rows under the header, blank rows included, "
        "256 columns, 1,000,000 cells).",
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
            read = await in_thread(
                lambda: read_records(
                    body,
                    SubjectIn,
                    filename=filename,
                    content_type=content_type,
                    aliases=HEADER_ALIASES,
                    values=VALUE_WORDS,
                )
            )
        except TableTooLarge as exc:
            raise _too_large(exc) from exc
        except TabularError as exc:  # not readable as a table at all
            raise _rejection(_sheet_faults(exc.errors), exc.total) from exc
        inputs = to_inputs([record for _, record in read.rows])
        if read.total:
            # An error among the items makes the command check every other item and then
            # refuse the batch without storing anything, so the domain's problems with the
            # good rows (unknown commune, duplicates…) come in the same answer.
            inputs.append(ItemError(len(inputs), "", "sheet_rejected", "see the sheet's errors"))

        def run() -> Registered:
            try:
                ids = [s.id for s in cmd.register_subjects(inputs, who)]
            except BulkRejected as exc:
                domain = _domain_faults(read, exc.errors)
                faults = _sheet_faults(read.errors) + domain
                raise _rejection(faults, read.total + len(domain)) from exc
            return Registered(count=len(ids), ids=ids)

        return await create_once(
            request, idempotency_key, Registered, run, lambda _: f"/v1/t/{slug}/subjects"
        )
