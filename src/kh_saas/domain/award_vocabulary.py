"""Award vocabulary (khen thưởng): forms, occasions, recipients, signers, merit records."""

from __future__ import annotations

from enum import StrEnum


class AwardForm(StrEnum):
    """Hình thức khen thưởng."""

    PM_CERTIFICATE = "pm_certificate"  # Bằng khen của Thủ tướng Chính phủ
    PROVINCE_CERTIFICATE = "province_certificate"  # Bằng khen của Chủ tịch UBND tỉnh
    MINISTRY_CERTIFICATE = "ministry_certificate"  # Bằng khen của Bộ trưởng
    COMMUNE_CERTIFICATE = "commune_certificate"  # Giấy khen của Chủ tịch UBND xã
    AGENCY_CERTIFICATE = "agency_certificate"  # Giấy khen của thủ trưởng cơ quan, đơn vị
    DISTRICT_CERTIFICATE = "district_certificate"  # Giấy khen của Chủ tịch UBND huyện (historical)
    ASSOCIATION_CERTIFICATE = "association_certificate"  # của Hội Khuyến học (not a state form)


#: Giấy khen: criteria set by each province (Law 06/2022/QH15 Art. 75.2).
GIAY_KHEN = frozenset(
    {AwardForm.COMMUNE_CERTIFICATE, AwardForm.AGENCY_CERTIFICATE, AwardForm.DISTRICT_CERTIFICATE}
)
STATE_FORMS = frozenset(AwardForm) - {AwardForm.ASSOCIATION_CERTIFICATE}


class Occasion(StrEnum):
    """Dịp khen thưởng."""

    ANNUAL = "annual"  # hằng năm
    INTERIM_REVIEW = "interim_review"  # sơ kết (2025)
    FINAL_REVIEW = "final_review"  # tổng kết (2030)
    THEMATIC = "thematic"  # chuyên đề
    SUDDEN = "sudden"  # đột xuất


#: Awards for these occasions never count toward merit-based (công trạng) ones: sudden and
#: thematic awards (NĐ 98/2023 Art. 4.3; NĐ 152/2025 Art. 4), and the reviews of an emulation
#: movement (sơ kết, tổng kết), which are movement awards "theo đợt, chuyên đề" (Law 06/2022
#: Art. 8): e.g. QĐ 1315/QĐ-TTg's 2025 interim and 2030 final reviews.
NOT_MERIT = frozenset(
    {Occasion.THEMATIC, Occasion.SUDDEN, Occasion.INTERIM_REVIEW, Occasion.FINAL_REVIEW}
)
#: Movement reviews: the occasions at which achievements in a movement are "bình xét".
MOVEMENT_REVIEWS = frozenset({Occasion.INTERIM_REVIEW, Occasion.FINAL_REVIEW, Occasion.THEMATIC})


class RecipientKind(StrEnum):
    INDIVIDUAL = "individual"  # cá nhân
    HOUSEHOLD = "household"  # hộ gia đình
    COLLECTIVE = "collective"  # tập thể (đơn vị, cộng đồng)


class AwardSigner(StrEnum):
    """Người có thẩm quyền quyết định khen thưởng."""

    PRIME_MINISTER = "prime_minister"
    PROVINCE_CHAIRMAN = "province_chairman"
    MINISTER = "minister"
    COMMUNE_CHAIRMAN = "commune_chairman"
    AGENCY_HEAD = "agency_head"  # e.g. Giám đốc Sở GD&ĐT
    DISTRICT_CHAIRMAN = "district_chairman"  # historical
    ASSOCIATION = "association"  # Hội Khuyến học


SIGNER_OF: dict[AwardForm, AwardSigner] = {
    AwardForm.PM_CERTIFICATE: AwardSigner.PRIME_MINISTER,
    AwardForm.PROVINCE_CERTIFICATE: AwardSigner.PROVINCE_CHAIRMAN,
    AwardForm.MINISTRY_CERTIFICATE: AwardSigner.MINISTER,
    AwardForm.COMMUNE_CERTIFICATE: AwardSigner.COMMUNE_CHAIRMAN,
    AwardForm.AGENCY_CERTIFICATE: AwardSigner.AGENCY_HEAD,
    AwardForm.DISTRICT_CERTIFICATE: AwardSigner.DISTRICT_CHAIRMAN,
    AwardForm.ASSOCIATION_CERTIFICATE: AwardSigner.ASSOCIATION,
}


class Rating(StrEnum):
    """Xếp loại hằng năm of an individual (đánh giá, xếp loại chất lượng)."""

    EXCELLENT = "excellent"  # hoàn thành xuất sắc nhiệm vụ
    GOOD = "good"  # hoàn thành tốt nhiệm vụ
    COMPLETED = "completed"  # hoàn thành nhiệm vụ
    NOT_COMPLETED = "not_completed"  # không hoàn thành nhiệm vụ


GOOD_OR_BETTER = frozenset({Rating.EXCELLENT, Rating.GOOD})


class SuspensionReason(StrEnum):
    """Why proposals for a subject are on hold (NĐ 152/2025 Art. 4)."""

    DISCIPLINE = "discipline"  # đang bị xem xét kỷ luật
    INVESTIGATION = "investigation"  # điều tra
    INSPECTION = "inspection"  # thanh tra, kiểm tra
    COMPLAINT = "complaint"  # khiếu nại, tố cáo
