"""The movement's vocabulary as value types (danh hiệu, đối tượng, cấp, mức độ).

Codes are English; each carries its Vietnamese term. These values are stored in events and
published to integrators: never rename a member, add new ones instead.
"""

from __future__ import annotations

from enum import StrEnum


class SubjectKind(StrEnum):
    """Đối tượng: what a learning title is given to."""

    HOUSEHOLD = "household"  # hộ gia đình
    CLAN = "clan"  # dòng họ
    COMMUNITY = "community"  # cộng đồng (thôn/bản/tổ dân phố, xã, huyện, tỉnh)
    UNIT = "unit"  # đơn vị: cơ quan, trường học, doanh nghiệp, tổ chức khác
    CITIZEN = "citizen"  # công dân


class Title(StrEnum):
    """Danh hiệu học tập."""

    LEARNING_HOUSEHOLD = "learning_household"  # Gia đình học tập
    LEARNING_CLAN = "learning_clan"  # Dòng họ học tập
    LEARNING_COMMUNITY = "learning_community"  # Cộng đồng học tập
    LEARNING_UNIT = "learning_unit"  # Đơn vị học tập
    LEARNING_CITIZEN = "learning_citizen"  # Công dân học tập


#: Which kind of subject each title is given to.
TITLE_SUBJECT: dict[Title, SubjectKind] = {
    Title.LEARNING_HOUSEHOLD: SubjectKind.HOUSEHOLD,
    Title.LEARNING_CLAN: SubjectKind.CLAN,
    Title.LEARNING_COMMUNITY: SubjectKind.COMMUNITY,
    Title.LEARNING_UNIT: SubjectKind.UNIT,
    Title.LEARNING_CITIZEN: SubjectKind.CITIZEN,
}


class Tier(StrEnum):
    """Cấp: the administrative tier a recognition belongs to."""

    VILLAGE = "village"  # thôn, bản, tổ dân phố
    COMMUNE = "commune"  # xã, phường, đặc khu
    DISTRICT = "district"  # huyện (historical: ended 1 July 2025)
    PROVINCE = "province"  # tỉnh, thành phố trực thuộc trung ương


class CommunityKind(StrEnum):
    """What a learning community is: a village area or a whole administrative unit."""

    VILLAGE = "village"  # thôn, bản, tổ dân phố, khu phố
    COMMUNE = "commune"
    DISTRICT = "district"  # historical
    PROVINCE = "province"


class UnitKind(StrEnum):
    """Loại đơn vị for the learning-unit title."""

    AGENCY = "agency"  # cơ quan
    SCHOOL = "school"  # trường học, cơ sở giáo dục
    ENTERPRISE = "enterprise"  # doanh nghiệp
    OTHER = "other"  # tổ chức khác (hợp tác xã, đơn vị vũ trang, …)


class Scheme(StrEnum):
    """How a title is assessed."""

    #: Circulars 24/25/2023: pass/fail indicators, levels 1 and 2, 12-month upgrade gap,
    #: preserved three years after the year of recognition.
    LEVELS = "levels"
    #: Khuyến học association criteria, localised per province: a point scale with a pass mark,
    #: annual by default, validity set per tenant.
    POINTS = "points"


class RevocationReason(StrEnum):
    """Lý do hủy bỏ (Law 06/2022/QH15 Art. 93.2 a–d, applied to titles as to awards)."""

    FRAUD = "fraud"  # a) gian dối trong kê khai thành tích
    FALSE_DOCUMENTS = "false_documents"  # b) giả mạo hồ sơ, giấy tờ
    UNLAWFUL_REVIEW = "unlawful_review"  # c) thẩm định, đề nghị trái pháp luật
    STANDARD_NOT_MET = "standard_not_met"  # d) phát hiện sau là không đủ tiêu chuẩn


#: From this assessment year (recognised after 1 July 2025) units managed by a commune —
#: the former district-managed schools and agencies among them — are assessed as TT 24/2023
#: learning units at commune tier (levels), as district tier's were.
UNITS_LEVELS_AT_COMMUNE_FROM = 2025


def scheme_for(title: Title, tier: Tier, year: int | None = None) -> Scheme:
    """TT 25/2023 covers communities at commune/district/province tier, TT 24/2023 units at
    district/province tier and, for assessment years from 2025 (``year``), at commune tier;
    every other title (village communities, and commune-managed units before 2025) follows
    the association's point criteria. ``year=None``: before the reform."""
    if title is Title.LEARNING_COMMUNITY and tier in (Tier.COMMUNE, Tier.DISTRICT, Tier.PROVINCE):
        return Scheme.LEVELS
    if title is Title.LEARNING_UNIT and tier in (Tier.DISTRICT, Tier.PROVINCE):
        return Scheme.LEVELS
    if (
        title is Title.LEARNING_UNIT
        and tier is Tier.COMMUNE
        and year is not None
        and year >= UNITS_LEVELS_AT_COMMUNE_FROM
    ):
        return Scheme.LEVELS
    return Scheme.POINTS
