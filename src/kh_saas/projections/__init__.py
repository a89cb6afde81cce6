"""Read models built from each tenant's notification log (registers, awards, audit trail).

See :mod:`kh_saas.projections.model` for the vocabulary, :mod:`.runner` for how a batch is
applied exactly once, :mod:`.worker` for how they are kept up to date and :mod:`.rebuild`
for rebuilding one from zero.
"""

from __future__ import annotations

import asyncpg

from kh_saas.projections.model import Projection
from kh_saas.projections.public import PUBLIC_EVENTS
from kh_saas.projections.registers import REGISTERS
from kh_saas.projections.runner import ProjectionRunner
from kh_saas.projections.trail import TRAIL_PROJECTION

#: Every projection a tenant has, in the order they are brought up to date.
PROJECTIONS: tuple[Projection, ...] = (REGISTERS, TRAIL_PROJECTION, PUBLIC_EVENTS)


async def prepare_projections(conn: asyncpg.Connection, schema: str) -> None:
    """Make each projection's tables (empty, at position 0) where a tenant has none yet, so
    reads find them from the first moment; the projector fills them."""
    for projection in PROJECTIONS:
        await ProjectionRunner(schema, projection).prepare(conn)
