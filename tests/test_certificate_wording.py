"""What certificates read (pure): the authority line, the place of the date line, the signer."""

from __future__ import annotations

from datetime import date

from kh_saas.certificates.wording import (
    authority,
    award_certificate,
    dated,
    head_of,
    place_of,
    signer_lines,
    title_name,
)


def test_the_authority_line_names_who_decides() -> None:
    assert authority("Chủ tịch", "UBND xã Gio Linh") == "Chủ tịch Ủy ban nhân dân xã Gio Linh"
    assert (
        authority("Trưởng phòng", "Phòng GD&ĐT huyện Gio Linh")
        == "Trưởng phòng Giáo dục và Đào tạo huyện Gio Linh"
    )
    assert authority("Giám đốc", "Sở GD&ĐT tỉnh Quảng Trị") == (
        "Giám đốc Sở Giáo dục và Đào tạo tỉnh Quảng Trị"
    )
    assert authority("", "Hội Khuyến học xã Gio Linh") == "Hội Khuyến học xã Gio Linh"


def test_place_and_date_lines() -> None:
    assert place_of("UBND thị xã Quảng Trị") == "Quảng Trị"
    assert place_of("UBND thành phố Đông Hà") == "Đông Hà"
    assert place_of("Bộ Giáo dục và Đào tạo") is None
    assert dated("UBND xã Gio Linh", date(2025, 3, 5)) == "Gio Linh, ngày 05 tháng 03 năm 2025"
    assert dated("Bộ Giáo dục và Đào tạo", date(2025, 3, 5)) == "Ngày 05 tháng 03 năm 2025"


def test_signers_and_titles() -> None:
    assert signer_lines("KT. Chủ tịch, Phó Chủ tịch") == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    assert head_of("KT. Giám đốc, Phó Giám đốc") == "Giám đốc"
    assert title_name("learning_community", "commune") == "Cộng đồng học tập cấp xã"
    assert title_name("learning_community", "village") == "Cộng đồng học tập"
    giay_khen = award_certificate(
        form="agency_certificate",
        recipient_kind="collective",
        subject_name="Trường THCS Gio Linh",
        place=None,
        citation="Thành tích xuất sắc trong phong trào khuyến học",
        period="2025",
        number="7/QĐ-SGDĐT",
        signed_on=date(2026, 1, 10),
        issuer_signer="agency_head",
        issuer_name="Sở GD&ĐT tỉnh Quảng Trị",
        signer_name="Trần Văn Hải",
        signer_position="KT. Giám đốc, Phó Giám đốc",
        verify_url="https://kh.example/verify/quang-tri/x",
        reference="x",
    )
    assert giay_khen.heading == "GIẤY KHEN" and giay_khen.recipient_label == "Tập thể"
    assert giay_khen.authority == "GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH QUẢNG TRỊ"
    assert giay_khen.lead == "Đã có" and giay_khen.detail == "Năm 2025"
