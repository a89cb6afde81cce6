"""What the award rules need to know of many subjects, read in a few batched queries.

Linear in the number of subjects: every aggregate id is derived per subject and every loaded
aggregate is grouped by its owner once. (Scanning every id of every subject for each subject
made a 10,000-recipient decision take minutes.) Recognitions are read as their event topics
only — held, or held and revoked — since rebuilding tens of thousands of them was most of a
large decision's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from uuid import UUID

from eventsourcing.utils import resolve_topic

from kh_saas.domain.award_rules import HeldTitle, HistoryNeeds, PastAward, SubjectHistory
from kh_saas.domain.awards import Achievement, Award, MeritYear, Suspension, award_id
from kh_saas.domain.recognitions import recognition_id
from kh_saas.domain.vocabulary import TITLE_SUBJECT, SubjectKind, Title
from kh_saas.tenants.application import SUBJECT_TOPICS, TenantApplication

#: Stored topics resolve to classes, so a topic kept across a rename still counts.
_REVOKED = resolve_topic("kh_saas.domain.recognitions:Recognition.Revoked")
#: The topic a subject's first event is stored under (a test keeps it the class's topic).
SUBJECT_REGISTERED = "kh_saas.domain.subjects:Subject.Registered"
TITLES_OF: dict[SubjectKind, tuple[Title, ...]] = {
    kind: tuple(t for t, k in TITLE_SUBJECT.items() if k is kind) for kind in SubjectKind
}


def read_histories(
    app: TenantApplication,
    subject_ids: Sequence[UUID],
    achievement: Achievement,
    needs: HistoryNeeds,
) -> list[SubjectHistory]:
    """One history per entry of ``subject_ids`` (repeats included), in that order; an unknown
    subject has ``kind=None``. Titles and merit records are read only for the years and
    recipient kinds in ``needs``."""
    ids = list(dict.fromkeys(subject_ids))
    # a subject's kind never changes after registration: read it, don't rebuild 10,000 subjects
    kinds = {
        sid: SubjectKind(kind)
        for sid, kind in app.store.first_event_field(ids, SUBJECT_REGISTERED, "kind").items()
    }
    rec_ids = {
        sid: [(recognition_id(sid, t, y), t, y) for t in TITLES_OF[kind] for y in needs.title_years]
        for sid, kind in kinds.items()
        if needs.reads_titles(kind)
    }
    merit_ids = {
        sid: [MeritYear.create_id(sid, y) for y in needs.merit_years]
        for sid, kind in kinds.items()
        if needs.reads_merits(kind)
    }
    suspension_ids = {sid: Suspension.create_id(sid) for sid in ids}
    award_ids = app.store.aggregates_about(ids, sorted(SUBJECT_TOPICS))
    loaded = app.get_many(
        [
            *(mid for owned in merit_ids.values() for mid in owned),
            *suspension_ids.values(),
            *sorted(award_ids),
        ]
    )
    topics = app.store.topics_of([rid for owned in rec_ids.values() for rid, _, _ in owned])
    revocations = {t for held in topics.values() for t in held if is_revocation(t)}
    awards_of: dict[UUID, list[Award]] = {}
    for aid in award_ids:
        if isinstance(a := loaded.get(aid), Award):
            awards_of.setdefault(a.subject_id, []).append(a)

    by_id: dict[UUID, SubjectHistory] = {}
    for sid in ids:
        merits = [
            m for mid in merit_ids.get(sid, ()) if isinstance(m := loaded.get(mid), MeritYear)
        ]
        suspension = loaded.get(suspension_ids[sid])
        by_id[sid] = SubjectHistory(
            subject_id=sid,
            kind=kinds.get(sid),
            titles=tuple(
                HeldTitle(title, year, not topics[rid].isdisjoint(revocations))
                for rid, title, year in rec_ids.get(sid, ())
                if rid in topics
            ),
            awards=tuple(
                PastAward(a.form, a.achievement, a.signed_on, a.annulled_by is not None)
                for a in sorted(awards_of.get(sid, ()), key=lambda a: (a.signed_on, str(a.id)))
            ),
            ratings={m.year: m.rating for m in merits if m.rating is not None},
            emulation_titles={m.year: m.emulation_titles for m in merits},
            suspended=suspension.active if isinstance(suspension, Suspension) else None,
            # awards are indexed by subject, so this one exists iff it is among them
            award_exists=award_id(sid, achievement) in award_ids,
        )
    return [by_id[sid] for sid in subject_ids]


@cache
def is_revocation(topic: str) -> bool:
    """Whether a stored topic is a recognition's revocation (also under an old topic)."""
    return resolve_topic(topic) is _REVOKED
