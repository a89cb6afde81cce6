"""The registers projection: subjects, titles, nominations and awards, in one set of tables.

One projection rather than several because its rows copy one another's columns (a
recognition carries its subject's name and commune, so the registry filters and searches a
single table): copies must come from tables kept at the same position. Each module maps its
own events.
"""

from __future__ import annotations

from functools import partial

from kh_saas.projections.model import Projection
from kh_saas.projections.registers import awards, nominations, subjects, titles

#: Tables whose rows copy a subject's name: a correction (đính chính) reaches them all.
COPIES_SUBJECT = ("recognitions", "nominations", "awards")

REGISTERS = Projection(
    name="registers",
    # 2: extended statistics on the registry's (title, year).
    version=2,
    tables=(
        subjects.SUBJECTS,
        titles.RECOGNITIONS,
        titles.DECISIONS,
        nominations.NOMINATIONS,
        awards.AWARDS,
        awards.AWARD_DECISIONS,
        awards.PROPOSALS,
    ),
    handlers={
        subjects.REGISTERED: subjects.registered,
        subjects.CORRECTED: partial(subjects.corrected, copied_by=COPIES_SUBJECT),
        titles.GRANTED: titles.granted,
        titles.REVOKED: titles.revoked,
        titles.DECISION_RECORDED: titles.decision_recorded,
        titles.DECISION_CORRECTED: titles.decision_corrected,
        titles.REVOCATION_RECORDED: titles.revocation_recorded,
        **nominations.HANDLERS,
        **awards.HANDLERS,
    },
)
