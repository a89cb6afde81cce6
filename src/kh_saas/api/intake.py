"""The door every JSON body passes before a route sees it (tiếp nhận dữ liệu).

One pass over the decoded body, before Litestar converts it to the route's types:

* nesting deeper than :data:`MAX_DEPTH` is refused (400): msgspec's decoder recurses and
  fails with ``RecursionError`` near 1,000 levels, and nothing we accept is deeper than 6;
* U+0000 is refused (422, naming the field): PostgreSQL cannot store it in text or jsonb;
* every string is NFC-normalised and trimmed of white space and zero-width characters, so a
  macOS client (NFD) or a padded cell cannot register the same household twice, a name of
  only zero-width characters is empty (and refused by the field's ``min_length``), and every
  text is stored NFC.

The normalised value replaces the request's cached body and JSON, so the route, the
idempotency hash and the stored events all see the same text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import msgspec
from litestar import Request

from kh_saas.api.problems import FieldError, ProblemError

MAX_DEPTH = 32

_EDGES = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff]+|[\s\u200b\u200c\u200d\u2060\ufeff]+$")


_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def _at_edge(ch: str) -> bool:
    return ch.isspace() or ch in _ZERO_WIDTH


def clean_text(text: str) -> str:
    """NFC, without leading or trailing white space or zero-width characters.

    Returns ``text`` itself when nothing changes (the common case, checked cheaply).
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if text and (_at_edge(text[0]) or _at_edge(text[-1])):
            return _EDGES.sub("", text)
        return text
    if text and (text[0] <= " " or text[-1] <= " "):
        return text.strip()
    return text


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _too_deep(path: str) -> ProblemError:
    return ProblemError(
        400,
        "nesting_too_deep",
        f"The body nests objects and arrays deeper than {MAX_DEPTH} levels.",
        field=path or "body",
    )


def normalise(value: Any) -> tuple[Any, bool]:
    """The body with every string cleaned in place, and whether any changed.

    Raises :class:`ProblemError` on too deep a nesting. Iterative (an explicit stack), so a
    hostile depth cannot exhaust Python's stack; paths are not built (see :func:`nul_faults`).
    """
    if isinstance(value, str):
        cleaned = clean_text(value)
        return cleaned, cleaned is not value
    if not isinstance(value, (dict, list)):
        return value, False  # null, a number, true: the route's validation answers
    changed = False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep("")
        pairs = container.items() if type(container) is dict else enumerate(container)
        for key, item in pairs:
            kind = type(item)
            if kind is str:
                cleaned = clean_text(item)
                if cleaned is not item:
                    container[key] = cleaned
                    changed = True
            elif kind is dict or kind is list:
                stack.append((item, depth + 1))
    return value, changed


def nul_faults(value: Any) -> list[FieldError]:
    """Where U+0000 occurs, by field path (only walked when the body holds one)."""
    faults: list[FieldError] = []
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                faults.append(FieldError(path or "body", "text may not contain NUL (U+0000)"))
        elif isinstance(item, dict):
            for k, v in item.items():
                if "\x00" in k:
                    faults.append(FieldError(_path(path, k), "a name may not contain NUL"))
                stack.append((v, _path(path, k)))
        elif isinstance(item, list):
            stack.extend((v, _path(path, i)) for i, v in enumerate(item))
    return sorted(faults, key=lambda f: f.field)


async def admit_json_body(request: Request[Any, Any, Any]) -> None:
    """``before_request``: decode, check and normalise a JSON body once (see module doc)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if "json" not in (request.headers.get("content-type") or ""):
        return
    body = await request.body()
    if not body:
        return
    try:
        value = msgspec.json.decode(body)
    except RecursionError:
        raise _too_deep("body") from None
    except msgspec.DecodeError as exc:
        detail = f"The request body is not valid JSON: {exc}."
        raise ProblemError(400, "malformed_json", detail, field="body") from None
    cleaned, changed = normalise(value)
    if b"\\u0000" in body or b"\x00" in body:  # escaped or raw; JSON forbids raw, but check
        faults = nul_faults(cleaned)
        if faults:
            raise ProblemError(
                422,
                "validation_failed",
                "text may not contain NUL (U+0000) characters",
                errors=faults,
            )
    # Litestar caches the body and its JSON on the connection: replace both, so the route's
    # decoding, the Idempotency-Key's request hash and the stored events see the clean text.
    state = request._connection_state
    if changed:
        request._body = state.body = msgspec.json.encode(cleaned)
    request._json = state.json = cleaned


def admitted_json(request: Request[Any, Any, Any]) -> Any:
    """The body as the door decoded and cleaned it (``Empty`` when there was none)."""
    return request._connection_state.json
