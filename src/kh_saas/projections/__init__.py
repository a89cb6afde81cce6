"""Read models built from each tenant's notification log (registers, awards, audit trail).

See :mod:`kh_saas.projections.model` for the vocabulary, :mod:`.runner` for how a batch is
applied exactly once, :mod:`.worker` for how they are kept up to date and :mod:`.rebuild`
for rebuilding one from zero.
"""

from __future__ import annotations

from kh_saas.projections.model import Projection
from kh_saas.projections.registers import REGISTERS

#: Every projection a tenant has, in the order they are brought up to date.
PROJECTIONS: tuple[Projection, ...] = (REGISTERS,)
