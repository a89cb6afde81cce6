"""Errors as RFC 9457 problem details (``application/problem+json``).

Every problem carries a stable ``code`` (also the last segment of ``type``), the ``field``
at fault when there is one, and ``errors`` listing every faulty field.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    SerializationException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from kh_saas.domain.errors import DomainError, IllegalTransition, RuleViolation
from kh_saas.domain.rules import RULES
from kh_saas.logs import get_logger
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
    "body_too_large": ("Request body too large", "The request body exceeds the size limit."),
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
            FieldError(
                f"{exc.items}[{e.index}]" + (f".{e.field}" if e.field else ""), e.message, e.code
            )
            for e in exc.errors
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


def _on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    items = exc.extra if isinstance(exc.extra, list) else []
    errors = [
        FieldError(_field_of(i), str(i.get("message", ""))) for i in items if isinstance(i, dict)
    ] or [FieldError("body", str(exc.detail))]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return problem_response(request, 422, "validation_failed", detail, errors=errors)


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


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("unhandled_error", error=type(exc).__name__)
    return problem_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "The server failed to handle the request; quote the request id when reporting it.",
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ProblemError: _on_problem,
    DomainError: _on_domain,
    ValidationException: _on_validation,
    HTTPException: _on_http,
    Exception: _on_unexpected,
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI declarations of the problem documents a route can answer with (any request can
    also be malformed, 400/422, or meet a server failure, 500)."""
    statuses = tuple(sorted({*statuses, 400, 422, 500}))
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
}

__all__ = ["PROBLEM_MEDIA_TYPE", "FieldError", "MediaType", "Problem", "ProblemError"]


async def refuse_nul_characters(request: Request[Any, Any, Any]) -> None:
    """``before_request``: no text may carry U+0000 (PostgreSQL's jsonb, which reads the stored
    events, cannot hold it), so refuse it at the door instead of storing an unreadable event."""
    if request.method in ("POST", "PUT", "PATCH") and "json" in (
        request.headers.get("content-type") or ""
    ):
        body = await request.body()
        if b"\\u0000" in body or b"\x00" in body:
            raise ProblemError(
                422,
                "validation_failed",
                "text may not contain NUL (U+0000) characters",
                field="body",
            )
