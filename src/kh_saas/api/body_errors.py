"""Every fault of a request body, not just the first.

msgspec stops at the first invalid field. When a body fails, this walks it against the
route's declared type and lists each missing, unknown or malformed field with its own path
(``items[3].commune_code``), so a clerk fixes a form or a spreadsheet in one round trip.
It runs only on the failure path; valid bodies never pay for it.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import msgspec

from kh_saas.domain.document_numbers import DOCUMENT_NUMBER_PATTERN

#: A body with more faults than this lists the first ones and says how many were left out.
MAX_ERRORS = 1000

Fault = tuple[str, str]  # (field path, message)

_AT = re.compile(r" - at `\$(.*)`$")
_REGEX = re.compile(r"^Expected `str` matching regex '(.*)'$")

#: What a clerk reads instead of a regular expression.
PATTERN_MESSAGES = {
    DOCUMENT_NUMBER_PATTERN: "not a document number (số/ký hiệu) like 123/QĐ-UBND or 12/TTr-UBND",
    r"^[0-9]{12}$": "a citizen id (CCCD) has exactly 12 digits",
    r"^[0-9]{5}$": "a commune code has 5 digits, e.g. 19483",
}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _leaf(value: Any, annotation: Any, path: str, out: list[Fault]) -> None:
    try:
        msgspec.convert(value, annotation, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        where = _AT.search(message)
        if where:
            message = message[: where.start()]
            inner = where.group(1)
            path = path + inner if inner.startswith("[") else _join(path, inner.lstrip("."))
        regex = _REGEX.match(message)
        if regex:
            message = PATTERN_MESSAGES.get(regex.group(1), message)
        out.append((path or "body", message))


def _split(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """``Annotated[T, Meta(...)]`` → (T, metadata)."""
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        return base, tuple(meta)
    return annotation, ()


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _struct(value: Any, tp: type[msgspec.Struct], path: str, out: list[Fault]) -> None:
    if not isinstance(value, dict):
        _leaf(value, tp, path, out)
        return
    config = tp.__struct_config__
    hints = get_type_hints(tp, include_extras=True)
    known = {config.tag_field} if config.tag_field else set()
    for field in msgspec.structs.fields(tp):
        known.add(field.encode_name)
        if field.encode_name in value:
            walk(value[field.encode_name], hints[field.name], _join(path, field.encode_name), out)
        elif field.required:
            out.append((_join(path, field.encode_name), "required field missing"))
    if config.forbid_unknown_fields:
        out.extend(
            (_join(path, str(k)), "unknown field") for k in value if k not in known
        )


def _union(
    value: Any, annotation: Any, args: tuple[Any, ...], path: str, out: list[Fault]
) -> None:
    if value is None and type(None) in args:
        return
    options = [a for a in args if a is not type(None)]
    structs = [a for a in options if _is_struct(_split(a)[0])]
    if len(options) == 1:
        walk(value, options[0], path, out)
        return
    if structs and isinstance(value, dict):
        for option in structs:
            cls = _split(option)[0]
            config = cls.__struct_config__
            if config.tag_field and value.get(config.tag_field) == config.tag:
                walk(value, option, path, out)
                return
    _leaf(value, annotation, path, out)


def walk(value: Any, annotation: Any, path: str, out: list[Fault]) -> None:
    """Append to ``out`` every fault of ``value`` against ``annotation``."""
    if len(out) > MAX_ERRORS:
        return
    base, meta = _split(annotation)
    origin = get_origin(base)
    if _is_struct(base):
        _struct(value, base, path, out)
    elif origin in (Union, types.UnionType):
        _union(value, annotation, get_args(base), path, out)
    elif origin is list and isinstance(value, list):
        for m in meta:
            if isinstance(m, msgspec.Meta):
                if m.min_length is not None and len(value) < m.min_length:
                    out.append((path or "body", f"needs at least {m.min_length} items"))
                if m.max_length is not None and len(value) > m.max_length:
                    out.append((path or "body", f"at most {m.max_length} items"))
        (item_type,) = get_args(base) or (Any,)
        for i, item in enumerate(value):
            walk(item, item_type, f"{path}[{i}]", out)
    else:
        _leaf(value, annotation, path, out)


def body_errors(value: Any, annotation: Any) -> list[Fault]:
    """Every fault of a decoded JSON body against the route's ``data`` annotation."""
    out: list[Fault] = []
    walk(value, annotation, "", out)
    if len(out) > MAX_ERRORS:
        out = [*out[:MAX_ERRORS], ("body", f"more faults left out after {MAX_ERRORS}")]
    return out
