"""The JSON Schemas of the public contract, kept in the repo beside this module.

``schemas/cloudevent.json`` is the envelope every event has; ``schemas/<type>.json`` the
schema of each type's ``data`` (its ``$id`` is the events' ``dataschema``). A change that
breaks one is a new type ``.vN`` with a schema of its own, never an edit of a published one.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from kh_saas.integrators.contract import TYPES

ENVELOPE = "cloudevent"


@cache
def load(name: str) -> dict[str, Any]:
    """One schema by type (or :data:`ENVELOPE`), as shipped in the package."""
    if name != ENVELOPE and name not in TYPES:
        raise KeyError(name)
    text = files("kh_saas.integrators").joinpath("schemas", f"{name}.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def catalogue() -> dict[str, Any]:
    """What ``GET /v1/t/{slug}/events/schemas`` answers: the envelope and every type's data."""
    return {
        "envelope": load(ENVELOPE),
        "types": {t: {"description": TYPES[t], "data": load(t)} for t in sorted(TYPES)},
    }
