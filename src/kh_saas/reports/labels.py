"""Vietnamese names of the codes a report prints (danh hiệu, hình thức, dịp, cấp)."""

from __future__ import annotations

from kh_saas.domain.award_vocabulary import AwardForm, Occasion
from kh_saas.domain.vocabulary import Tier, Title

TITLES: dict[str, str] = {
    Title.LEARNING_HOUSEHOLD: "Gia đình học tập",
    Title.LEARNING_CLAN: "Dòng họ học tập",
    Title.LEARNING_COMMUNITY: "Cộng đồng học tập",
    Title.LEARNING_UNIT: "Đơn vị học tập",
    Title.LEARNING_CITIZEN: "Công dân học tập",
}

#: Column headings short enough for a table of communes.
TITLES_SHORT: dict[str, str] = {
    Title.LEARNING_HOUSEHOLD: "GĐHT",
    Title.LEARNING_CLAN: "DHHT",
    Title.LEARNING_COMMUNITY: "CĐHT",
    Title.LEARNING_UNIT: "ĐVHT",
    Title.LEARNING_CITIZEN: "CDHT",
}

FORMS: dict[str, str] = {
    AwardForm.PM_CERTIFICATE: "Bằng khen của Thủ tướng Chính phủ",
    AwardForm.PROVINCE_CERTIFICATE: "Bằng khen của Chủ tịch UBND tỉnh",
    AwardForm.MINISTRY_CERTIFICATE: "Bằng khen của Bộ trưởng",
    AwardForm.COMMUNE_CERTIFICATE: "Giấy khen của Chủ tịch UBND xã",
    AwardForm.AGENCY_CERTIFICATE: "Giấy khen của Thủ trưởng cơ quan, đơn vị",
    AwardForm.DISTRICT_CERTIFICATE: "Giấy khen của Chủ tịch UBND huyện",
    AwardForm.ASSOCIATION_CERTIFICATE: "Giấy khen của Hội Khuyến học",
}

OCCASIONS: dict[str, str] = {
    Occasion.ANNUAL: "Hằng năm",
    Occasion.INTERIM_REVIEW: "Sơ kết",
    Occasion.FINAL_REVIEW: "Tổng kết",
    Occasion.THEMATIC: "Chuyên đề",
    Occasion.SUDDEN: "Đột xuất",
}

TIERS: dict[str, str] = {
    Tier.VILLAGE: "Thôn, tổ dân phố",
    Tier.COMMUNE: "Cấp xã",
    Tier.DISTRICT: "Cấp huyện",
    Tier.PROVINCE: "Cấp tỉnh",
}

STATUS: dict[str, str] = {
    "on_time": "Đủ, đúng hạn",
    "late_entries": "Có số liệu nhập sau hạn",
    "nothing_recorded": "Chưa có số liệu",
}

#: Law 06/2022/QH15 Art. 93.2 a–d.
REASONS: dict[str, str] = {
    "fraud": "Gian dối trong kê khai thành tích",
    "false_documents": "Giả mạo hồ sơ, giấy tờ",
    "unlawful_review": "Thẩm định, đề nghị trái pháp luật",
    "standard_not_met": "Không đủ tiêu chuẩn",
}

REVOCATION_KINDS: dict[str, str] = {
    "revocation": "Thu hồi danh hiệu",
    "annulment": "Hủy bỏ khen thưởng",
}


def label(table: dict[str, str], code: str | None) -> str:
    return "" if code is None else table.get(code, code)
