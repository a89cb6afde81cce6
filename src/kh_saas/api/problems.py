"""Errors as RFC 9457 problem details (``application/problem+json``).

Every problem carries a stable ``code`` (also the last segment of ``type``), the ``field``
at fault when there is one, and ``errors`` listing every faulty field.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.constants import RESERVED_KWARGS
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    SerializationException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import ParameterKwarg
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Empty, ExceptionHandlersMap

from kh_saas.api.body_errors import body_errors
from kh_saas.domain.errors import DomainError, IllegalTransition, RuleViolation
from kh_saas.domain.rules import RULES
from kh_saas.logs import get_logger
from kh_saas.storage.unavailable import UNAVAILABLE_ERRORS
from kh_saas.tenants.award_commands import AwardDecisionRejected
from kh_saas.tenants.commands import BulkRejected, DecisionRejected

log = get_logger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

#: code -> (title, description); also served at ``/problems/{code}``.
PROBLEM_TYPES: dict[str, tuple[str, str]] = {
    "validation_failed": (
        "Invalid request",
        "One or more fields are missing, unknown or malformed; see `errors`.",
    ),
    "malformed_json": ("Malformed JSON", "The request body is not valid JSON."),
    "nesting_too_deep": (
        "Body nested too deeply",
        "Objects and arrays in the body nest deeper than the service accepts (32 levels).",
    ),
    "body_too_large": ("Request body too large", "The request body exceeds the size limit."),
    "table_too_large": (
        "Spreadsheet too large",
        "The uploaded table goes past a reading limit (rows, cells, columns, uncompressed"
        " size…); `field` names the limit and `detail` its value. Nothing was stored.",
    ),
    "unauthenticated": (
        "Authentication required",
        "Send a valid API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.",
    ),
    "forbidden": ("Not allowed for this role", "The API key's role may not use this route."),
    "not_found": ("Not found", "No such resource, or not visible to this API key."),
    "method_not_allowed": ("Method not allowed", "The route does not accept this method."),
    "conflict": ("Conflict", "The request conflicts with the current state."),
    "tenant_exists": (
        "Tenant already exists",
        "Another tenant already has this slug or province code.",
    ),
    "unknown_province": (
        "Unknown province code",
        "The code is not one of the 34 provinces in force since 1 July 2025.",
    ),
    "idempotency_key_reused": (
        "Idempotency key reused",
        "The Idempotency-Key was already used with a different request body.",
    ),
    "idempotency_in_progress": (
        "Request in progress",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    ),
    "internal_error": ("Internal error", "The server failed; the request id identifies it."),
    "illegal_transition": (
        "Action not allowed now",
        "The resource's state does not allow this action; `allowed` lists what does.",
    ),
    "bulk_rejected": (
        "Some items are invalid",
        "Nothing was stored; `errors` lists every bad item and field.",
    ),
    "decision_rejected": (
        "Decision refused",
        "At least one recipient fails a rule; `errors` names every failing recipient and rule.",
    ),
    "duplicate_subject": ("Subject already registered", "The subject exists in this province."),
    "decision_exists": ("Decision already recorded", "This office already recorded the number."),
    "award_decision_rejected": (
        "Award decision refused",
        "At least one recipient fails a rule; `errors` names every failing recipient and rule.",
    ),
    "unknown_commune": ("Unknown commune", "The commune code is not in this province."),
    "http_error": ("HTTP error", "The request could not be served."),
    "projection_behind": (
        "Read model not yet up to date",
        "The register has not yet applied the log up to `min_position`; retry after "
        "`Retry-After` seconds. `KH-Position` says how far it is.",
    ),
    "database_unavailable": (
        "Database unavailable",
        "The service cannot reach its database now; nothing was changed unless a retry with "
        "the same Idempotency-Key says so. Retry after `Retry-After` seconds.",
    ),
    "auth_throttled": (
        "Too many failed authentications",
        "Too many invalid API keys came from this client address, or with this key's prefix; "
        "wait `Retry-After` seconds. Keys that authenticated recently are not held back.",
    ),
}


class FieldError(msgspec.Struct, frozen=True, omit_defaults=True):
    """One faulty field: where it is, what is wrong and, for a broken rule, its code."""

    field: str
    message: str
    code: str | None = None


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details, with kh-saas extension members."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    field: str | None = None
    errors: list[FieldError] | None = None
    #: For ``illegal_transition``: the actions allowed in the current state.
    allowed: list[str] | None = None
    #: For a broken rule: the rule's code in the rules table (``/v1/rules``).
    rule: str | None = None
    request_id: str | None = None


class ProblemError(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        field: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.errors = (
            errors if errors is not None else ([FieldError(field, detail)] if field else None)
        )
        self.headers = headers or {}


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str | None,
    *,
    field: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    allowed: list[str] | None = None,
    rule: str | None = None,
) -> Response[Problem]:
    title = problem_title(code)
    problem = Problem(
        type=f"/problems/{code}",
        title=title,
        status=status,
        code=code,
        detail=detail,
        instance=request.url.path,
        field=field if field is not None else (errors[0].field if errors else None),
        errors=errors,
        allowed=allowed,
        rule=rule,
        request_id=request.scope.get("state", {}).get("request_id"),
    )
    return Response(problem, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def problem_title(code: str) -> str:
    if code in PROBLEM_TYPES:
        return PROBLEM_TYPES[code][0]
    if code in RULES:
        return f"Rule not met: {code}"
    return PROBLEM_TYPES["http_error"][0]


def describe_problem(code: str) -> tuple[str, str] | None:
    """Title and description of a problem type (rules come from the rules table)."""
    if code in PROBLEM_TYPES:
        return PROBLEM_TYPES[code]
    rule = RULES.get(code)
    return None if rule is None else (problem_title(code), f"{rule.statement} ({rule.source})")


def _on_domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    errors: list[FieldError] | None = None
    if isinstance(exc, BulkRejected):
        errors = [
            FieldError(path, e.message, e.code)
            for path, e in zip(exc.paths(), exc.errors, strict=True)
        ]
    elif isinstance(exc, AwardDecisionRejected):
        errors = [
            FieldError(f"recipients[{f.index}].{f.field}", f"{f.subject_id}: {f.message}", f.rule)
            for f in exc.failures
        ]
    elif isinstance(exc, DecisionRejected):
        errors = [
            FieldError(f"recipients[{f.index}]", f"{f.subject_id}: {f.message}", f.rule)
            for f in exc.failures
        ]
    elif exc.field:
        errors = [FieldError(exc.field, exc.message, exc.code)]
    return problem_response(
        request,
        exc.status_hint,
        exc.code,
        exc.message,
        field=exc.field,
        errors=errors,
        allowed=exc.allowed if isinstance(exc, IllegalTransition) else None,
        rule=exc.rule if isinstance(exc, RuleViolation) else None,
    )


_BACKTICK = re.compile(r"`([^`]+)`")


def _field_of(item: dict[str, Any]) -> str:
    key = str(item.get("key") or "")
    message = str(item.get("message") or "")
    if key in ("", "data"):
        # "Object contains unknown field `zz`" / "Object missing required field `name`"
        found = _BACKTICK.findall(message)
        if "field" in message and found:
            return found[-1] if "at `$" not in message else _join(found)
        return "body"
    return key


def _join(found: list[str]) -> str:
    # "Object missing required field `x` - at `$.items[0]`" -> "items[0].x"
    name, where = found[0], found[-1].removeprefix("$").lstrip(".")
    return f"{where}.{name}" if where else name


_MISSING_PARAMETER = re.compile(
    r"Missing required (?:query|header|path|cookie) parameter '([^']+)'"
)


def _on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    items = [i for i in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(i, dict)]
    aliases = _query_aliases(request)  # a fault names the parameter as the request spells it
    errors = [
        FieldError(aliases.get(_field_of(i), _field_of(i)), str(i.get("message", "")))
        for i in items
    ]
    if _MISSING_PARAMETER.search(str(exc.detail)):  # Litestar names the first one only
        errors += _missing_query_parameters(request)
    errors = _with_every_body_fault(request, errors) or [FieldError("body", str(exc.detail))]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    if len(errors) > 5:
        detail += f"; and {len(errors) - 5} more (see errors)"
    return problem_response(request, 422, "validation_failed", detail, errors=errors)


def _query_aliases(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Python parameter name → query name, for parameters renamed (``from`` is a keyword)."""
    out: dict[str, str] = {}
    for name, fd in request.route_handler.parsed_fn_signature.parameters.items():
        kd = fd.kwarg_definition
        alias = getattr(kd, "query", None) or getattr(kd, "name", None)
        if isinstance(kd, ParameterKwarg) and alias and alias != name:
            out[name] = alias
    return out


def _missing_query_parameters(request: Request[Any, Any, Any]) -> list[FieldError]:
    """Every required query parameter the request left out, by the name it goes by."""
    missing: list[FieldError] = []
    for name, fd in request.route_handler.parsed_fn_signature.parameters.items():
        kd = fd.kwarg_definition
        if name in RESERVED_KWARGS or name in request.path_params or fd.is_optional:
            continue
        if fd.has_default or not isinstance(kd, ParameterKwarg | None):
            continue
        if kd is not None and (kd.header or kd.cookie or kd.required is False):
            continue
        alias = (kd.query or getattr(kd, "name", None) if kd is not None else None) or name
        if alias not in request.query_params:
            missing.append(FieldError(alias, f"required query parameter {alias!r} is missing"))
    return missing


def _with_every_body_fault(
    request: Request[Any, Any, Any], errors: list[FieldError]
) -> list[FieldError]:
    """Replace msgspec's first body fault by all of them (query and header faults stay)."""
    data = request.route_handler.parsed_data_field
    body = request._connection_state.json  # decoded and cleaned at the door (api/intake.py)
    if data is None or body is Empty:
        return errors
    faults = body_errors(body, data.raw)
    if not faults:
        return errors
    others = set(request.route_handler.parsed_fn_signature.parameters) - {"data"}
    kept = [e for e in errors if e.field.split(".")[0].split("[")[0] in others]
    return kept + [FieldError(field, message) for field, message in faults]


def _on_problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[Problem]:
    return problem_response(
        request,
        exc.status,
        exc.code,
        exc.detail,
        field=exc.field,
        errors=exc.errors,
        headers=exc.headers,
    )


_CODES = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
}


def _on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    detail = str(exc.detail)
    if status == 400 and isinstance(exc.__cause__, SerializationException):
        detail = f"The request body is not valid JSON: {detail}."
        return problem_response(
            request, 400, "malformed_json", detail, errors=[FieldError("body", detail)]
        )
    if status == 413:
        msg = "the request body is larger than the service accepts"
        handler = request.scope.get("route_handler")
        limit = getattr(handler, "resolve_request_max_body_size", lambda: None)()
        if limit:
            msg = f"the request body is larger than this route accepts ({_size(limit)})"
        return problem_response(
            request, 413, "body_too_large", msg, errors=[FieldError("body", msg)]
        )
    headers = dict(exc.headers or {})  # e.g. Allow on 405
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="kh-saas"'
    if isinstance(exc, NotAuthorizedException) and detail == "Unauthorized":
        detail = PROBLEM_TYPES["unauthenticated"][1]
    return problem_response(
        request, status, _CODES.get(status, "http_error"), detail, headers=headers
    )


def _size(limit: int) -> str:
    """``2097152`` → ``2 MiB (2,097,152 bytes)``."""
    mib = limit / (1024 * 1024)
    return f"{mib:g} MiB ({limit:,} bytes)" if mib >= 1 else f"{limit:,} bytes"


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("unhandled_error", error=type(exc).__name__)
    return problem_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "The server failed to handle the request; quote the request id when reporting it.",
    )


#: Seconds a client is told to wait when the database is unavailable.
DATABASE_RETRY_AFTER = 5


def _on_database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.warning("database_unavailable", error=type(exc).__name__, reason=str(exc)[:200])
    return problem_response(
        request,
        503,
        "database_unavailable",
        "The database is unavailable; retry shortly (with the same Idempotency-Key, if any).",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ProblemError: _on_problem,
    DomainError: _on_domain,
    ValidationException: _on_validation,
    HTTPException: _on_http,
    Exception: _on_unexpected,
    **dict.fromkeys(UNAVAILABLE_ERRORS, _on_database_unavailable),
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI declarations of the problem documents a route can answer with (any request can
    also be malformed, 400/422, meet a server failure, 500, find the database unavailable,
    503, or come from an address throttled for failed authentications, 429)."""
    statuses = tuple(sorted({*statuses, 400, 422, 429, 500, 503}))
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=_STATUS_TEXT.get(status, "Problem"),
        )
        for status in statuses
    }


_STATUS_TEXT = {
    400: "Malformed request body",
    401: "Missing or invalid API key",
    403: "The key's role may not use this route",
    404: "Not found (also: the key belongs to another tenant)",
    409: "Conflict with existing state",
    413: "Request body too large",
    422: "Invalid fields, or a rule of the rules table not met",
    500: "Internal error (quote the request id)",
    429: "Too many failed authentications from this address or key prefix (see Retry-After)",
    503: "Database unavailable: retry after Retry-After seconds",
}

__all__ = ["PROBLEM_MEDIA_TYPE", "FieldError", "MediaType", "Problem", "ProblemError"]

