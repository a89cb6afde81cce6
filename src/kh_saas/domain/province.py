"""The province itself (tỉnh / thành phố trực thuộc trung ương) as the first stream of a tenant."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kh_saas.domain.ids import stable_id


class Province(Aggregate):
    """Tỉnh — a tenant's own record: when and by whom it was provisioned."""

    @event("Provisioned")
    def __init__(self, *, province_code: str, name: str, slug: str, actor: str) -> None:
        self.province_code = province_code
        self.name = name
        self.slug = slug
        self.provisioned_by = actor

    @staticmethod
    def create_id(province_code: str) -> UUID:
        return stable_id("province", province_code)
