"""A listing's columns as spreadsheet cells: each field's declared type picks its cell kind,
so a million rows are formatted without asking every value what it is."""

from __future__ import annotations

from functools import cache

import msgspec
from msgspec import inspect

_KINDS: tuple[tuple[tuple[type[inspect.Type], ...], str], ...] = (
    ((inspect.BoolType,), "bool"),
    ((inspect.IntType, inspect.FloatType), "number"),
    ((inspect.UUIDType,), "id"),
    ((inspect.DateTimeType,), "datetime"),
    ((inspect.DateType,), "date"),
    ((inspect.StrType, inspect.EnumType, inspect.LiteralType), "text"),
)


def _kind(t: inspect.Type) -> str:
    if isinstance(t, inspect.UnionType):
        kinds = {_kind(m) for m in t.types if not isinstance(m, inspect.NoneType)}
        return kinds.pop() if len(kinds) == 1 else "any"
    if isinstance(t, inspect.Metadata):
        return _kind(t.type)
    return next((kind for types, kind in _KINDS if isinstance(t, types)), "any")


@cache
def cell_kinds(struct: type[msgspec.Struct]) -> tuple[str, ...]:
    """The cell kind of each field of ``struct``, in field order."""
    info = inspect.type_info(struct)
    assert isinstance(info, inspect.StructType)
    return tuple(_kind(f.type) for f in info.fields)
