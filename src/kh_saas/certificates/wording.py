"""What a certificate reads (lời văn): Giấy công nhận of a learning title, Bằng khen, Giấy khen.

Pure: builds the printed lines from a recognition or an award as the registers hold them.
The authority line names who decides ("Chủ tịch Ủy ban nhân dân xã Gio Linh"), from the
office recorded on the decision and the issuer's name as it was on the signing date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kh_saas.domain.authority import Office
from kh_saas.domain.award_vocabulary import AwardForm, AwardSigner, RecipientKind
from kh_saas.domain.vocabulary import SubjectKind, Tier, Title

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"

TITLE_NAMES: dict[str, str] = {
    Title.LEARNING_HOUSEHOLD: "Gia đình học tập",
    Title.LEARNING_CLAN: "Dòng họ học tập",
    Title.LEARNING_COMMUNITY: "Cộng đồng học tập",
    Title.LEARNING_UNIT: "Đơn vị học tập",
    Title.LEARNING_CITIZEN: "Công dân học tập",
}

#: Cộng đồng học tập of a whole unit is named by its tier (TT 25/2023: cấp xã, huyện, tỉnh).
TIER_NAMES: dict[str, str] = {
    Tier.COMMUNE: "cấp xã",
    Tier.DISTRICT: "cấp huyện",
    Tier.PROVINCE: "cấp tỉnh",
}

FORM_NAMES: dict[str, str] = {
    AwardForm.PM_CERTIFICATE: "Bằng khen của Thủ tướng Chính phủ",
    AwardForm.PROVINCE_CERTIFICATE: "Bằng khen của Chủ tịch UBND tỉnh",
    AwardForm.MINISTRY_CERTIFICATE: "Bằng khen của Bộ trưởng",
    AwardForm.COMMUNE_CERTIFICATE: "Giấy khen của Chủ tịch UBND xã",
    AwardForm.AGENCY_CERTIFICATE: "Giấy khen của thủ trưởng cơ quan, đơn vị",
    AwardForm.DISTRICT_CERTIFICATE: "Giấy khen của Chủ tịch UBND huyện",
    AwardForm.ASSOCIATION_CERTIFICATE: "Giấy khen của Hội Khuyến học",
}

_BANG_KHEN = {
    AwardForm.PM_CERTIFICATE,
    AwardForm.PROVINCE_CERTIFICATE,
    AwardForm.MINISTRY_CERTIFICATE,
}

SUBJECT_LABELS: dict[str, str] = {
    SubjectKind.HOUSEHOLD: "Hộ gia đình",
    SubjectKind.CLAN: "Dòng họ",
    SubjectKind.COMMUNITY: "Cộng đồng",
    SubjectKind.UNIT: "Đơn vị",
    SubjectKind.CITIZEN: "Ông (Bà)",
}

RECIPIENT_LABELS: dict[str, str] = {
    RecipientKind.INDIVIDUAL: "Ông (Bà)",
    RecipientKind.HOUSEHOLD: "Hộ gia đình",
    RecipientKind.COLLECTIVE: "Tập thể",
}

#: The deciding person's title per office (người có thẩm quyền).
OFFICE_ROLES: dict[str, str] = {
    Office.COMMUNE_CHAIRMAN: "Chủ tịch",
    Office.DISTRICT_CHAIRMAN: "Chủ tịch",
    Office.DISTRICT_EDUCATION_HEAD: "Trưởng phòng",
    Office.PROVINCE_EDUCATION_DIRECTOR: "Giám đốc",
    Office.PROVINCE_CHAIRMAN: "Chủ tịch",
    Office.EDUCATION_MINISTER: "Bộ trưởng",
    Office.COMMUNE_ASSOCIATION: "",  # the association itself issues its giấy công nhận
}

SIGNER_ROLES: dict[str, str] = {
    AwardSigner.PRIME_MINISTER: "Thủ tướng",
    AwardSigner.PROVINCE_CHAIRMAN: "Chủ tịch",
    AwardSigner.MINISTER: "Bộ trưởng",
    AwardSigner.COMMUNE_CHAIRMAN: "Chủ tịch",
    AwardSigner.DISTRICT_CHAIRMAN: "Chủ tịch",
    AwardSigner.ASSOCIATION: "",
    # AGENCY_HEAD: the head's own title, from the signer's position (Giám đốc, Hiệu trưởng…)
}

_ABBREVIATIONS = (("UBND", "Ủy ban nhân dân"), ("GD&ĐT", "Giáo dục và Đào tạo"))
_PLACE = re.compile(
    r"\b(?:xã|phường|thị trấn|đặc khu|huyện|quận|thị xã|thành phố|tỉnh)\s+(.+)$", re.IGNORECASE
)
#: Signing on behalf (Decree 30/2020 Art. 13): KT. (ký thay), TM. (thay mặt), Q., TL., TUQ.
_ON_BEHALF = re.compile(r"^(?:KT|TM|Q|TL|TUQ)\.\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Certificate:
    """The text of one printed page."""

    heading: str  # GIẤY CÔNG NHẬN / BẰNG KHEN / GIẤY KHEN
    authority: str  # CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ GIO LINH
    verb: str  # Công nhận / Tặng
    recipient_label: str  # Hộ gia đình
    recipient_name: str
    place: str | None  # Thôn Đông, Xã Gio Linh
    lead: str  # Đạt danh hiệu / Đã có thành tích
    achievement: str  # GIA ĐÌNH HỌC TẬP / the citation
    detail: str | None  # Năm 2025 · Mức độ 1
    decision: str  # Quyết định số 12/QĐ-UBND ngày 20/11/2025 của UBND xã Gio Linh
    dated: str  # Gio Linh, ngày 20 tháng 11 năm 2025
    signer_position: tuple[str, ...]  # KT. CHỦ TỊCH / PHÓ CHỦ TỊCH
    signer_name: str
    verify_url: str
    reference: str  # the record's id, printed under the QR code


def expand(name: str) -> str:
    """ "UBND xã Gio Linh" → "Ủy ban nhân dân xã Gio Linh" (what the certificate prints)."""
    for short, full in _ABBREVIATIONS:
        name = re.sub(rf"(?<!\w){re.escape(short)}(?!\w)", full, name)
    return name


def authority(role: str, issuer_name: str) -> str:
    """The deciding person's title joined to the office: "Trưởng phòng" + "Phòng GD&ĐT
    huyện X" reads "Trưởng phòng Giáo dục và Đào tạo huyện X" (no doubled word)."""
    office = expand(issuer_name)
    if not role:
        return office
    last = role.rsplit(maxsplit=1)[-1].casefold()
    first, _, rest = office.partition(" ")
    if first.casefold() == last and rest:
        office = rest
    return f"{role} {office}"


def place_of(issuer_name: str) -> str | None:
    """The locality in the issuer's name ("UBND xã Gio Linh" → "Gio Linh"), for the date line."""
    match = _PLACE.search(issuer_name)
    return match.group(1).strip() if match else None


def dated(issuer_name: str, day: date) -> str:
    where = place_of(issuer_name)
    when = f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    return f"{where}, {when}" if where else when.capitalize()


def signer_lines(position: str) -> tuple[str, ...]:
    """ "KT. Chủ tịch, Phó Chủ tịch" → ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")."""
    return tuple(part.strip().upper() for part in position.split(",") if part.strip())


def head_of(position: str) -> str:
    """The office holder's title in a signer's position: "KT. Giám đốc, Phó Giám đốc" →
    "Giám đốc" (for a Giấy khen of an agency head)."""
    first = position.split(",", maxsplit=1)[0].strip()
    return _ON_BEHALF.sub("", first)


def title_name(title: str, tier: str) -> str:
    name = TITLE_NAMES.get(title, title)
    if title == Title.LEARNING_COMMUNITY and tier in TIER_NAMES:
        name = f"{name} {TIER_NAMES[tier]}"
    return name


def place_line(village: str | None, commune: str | None) -> str | None:
    parts = [p for p in (village, commune) if p]
    return ", ".join(parts) or None


def decision_line(number: str, signed_on: date, issuer_name: str) -> str:
    return f"Quyết định số {number} ngày {signed_on:%d/%m/%Y} của {issuer_name}"


def recognition_certificate(
    *,
    title: str,
    tier: str,
    level: int | None,
    year: int,
    subject_kind: str | None,
    subject_name: str,
    place: str | None,
    number: str,
    signed_on: date,
    office: str,
    issuer_name: str,
    signer_name: str,
    signer_position: str,
    verify_url: str,
    reference: str,
) -> Certificate:
    """Giấy công nhận danh hiệu: who is recognised, for which title and year, by whom."""
    detail = f"Năm {year}" + (f" · Mức độ {level}" if level else "")
    return Certificate(
        heading="GIẤY CÔNG NHẬN",
        authority=authority(OFFICE_ROLES.get(office, ""), issuer_name).upper(),
        verb="Công nhận",
        recipient_label=SUBJECT_LABELS.get(subject_kind or "", "Đối tượng"),
        recipient_name=subject_name,
        place=place,
        lead="Đạt danh hiệu",
        achievement=title_name(title, tier).upper(),
        detail=detail,
        decision=decision_line(number, signed_on, issuer_name),
        dated=dated(issuer_name, signed_on),
        signer_position=signer_lines(signer_position),
        signer_name=signer_name,
        verify_url=verify_url,
        reference=reference,
    )


def award_certificate(
    *,
    form: str,
    recipient_kind: str,
    subject_name: str,
    place: str | None,
    citation: str,
    period: str,
    number: str,
    signed_on: date,
    issuer_signer: str,
    issuer_name: str,
    signer_name: str,
    signer_position: str,
    verify_url: str,
    reference: str,
) -> Certificate:
    """Bằng khen / Giấy khen: who is awarded, for what achievement, by whose decision."""
    role = SIGNER_ROLES.get(issuer_signer)
    if role is None:  # an agency head: Giám đốc, Hiệu trưởng … of the issuing agency
        role = head_of(signer_position)
    lead, achievement = "Đã có thành tích", citation
    if citation.casefold().startswith(lead.casefold()):  # the citation says it already
        lead = ""
    elif citation.casefold().startswith("thành tích"):
        lead = "Đã có"
    return Certificate(
        heading="BẰNG KHEN" if form in _BANG_KHEN else "GIẤY KHEN",
        authority=authority(role, issuer_name).upper(),
        verb="Tặng",
        recipient_label=RECIPIENT_LABELS.get(recipient_kind, "Tập thể"),
        recipient_name=subject_name,
        place=place,
        lead=lead,
        achievement=achievement,
        detail=f"Giai đoạn {period}" if "-" in period else f"Năm {period}",
        decision=decision_line(number, signed_on, issuer_name),
        dated=dated(issuer_name, signed_on),
        signer_position=signer_lines(signer_position),
        signer_name=signer_name,
        verify_url=verify_url,
        reference=reference,
    )
