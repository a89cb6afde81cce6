"""Stable ids are uuid5 of the kh-saas namespace: stored aggregate ids depend on it."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from hypothesis import given
from hypothesis import strategies as st

from kh_saas.domain.ids import KH_NAMESPACE, stable_id


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_stable_id_is_uuid5_of_the_joined_parts(parts: list[str]) -> None:
    assert stable_id(*parts) == uuid5(KH_NAMESPACE, "/".join(parts))


def test_stable_ids_never_change() -> None:
    assert uuid5(NAMESPACE_URL, "urn:kh-saas") == KH_NAMESPACE
    # the id earlier releases stored for a province's Giấy khen criteria
    assert stable_id("award-criteria") == UUID("be667b3a-8ce7-5784-9b2b-74f66c04ec7a")
    assert stable_id("award-criteria").version == 5
