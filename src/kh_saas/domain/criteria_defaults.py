"""National default criteria sets, preloaded in every tenant.

Indicator wording is a faithful summary, not the legal text; where the notes mark details as
unverified (full TT 24/25 indicator lists, the association's pass marks), the set says so in
``legal_basis`` and a province publishes its own edition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kh_saas.domain.criteria import CriteriaSet, Criterion, Indicator
from kh_saas.domain.vocabulary import Scheme, Tier, Title


@dataclass(frozen=True)
class DefaultSet:
    title: Title
    tier: Tier
    edition: str
    scheme: Scheme
    name: str
    legal_basis: str
    effective_from: date
    criteria: tuple[Criterion, ...]
    pass_mark: Decimal | None


def _pf(code: str, text: str, levels: tuple[int, ...] = (1, 2)) -> Indicator:
    return Indicator(code=code, text=text, levels=levels)


def _pt(code: str, text: str, points: int) -> Indicator:
    return Indicator(code=code, text=text, max_points=Decimal(points))


_TT25_COMMUNE = (
    Criterion(code="1", name="Lãnh đạo, chỉ đạo của cấp ủy, chính quyền", indicators=(
        _pf("1.1", "Tuyên truyền về xây dựng xã hội học tập"),
        _pf("1.2", "Kế hoạch xây dựng xã hội học tập hằng năm"),
        _pf("1.3", "Tổ chức Tuần lễ hưởng ứng học tập suốt đời"),
    )),
    Criterion(code="2", name="Nguồn lực và môi trường học tập", indicators=(
        _pf("2.1", "Ngân sách nhà nước và xã hội hóa cho học tập"),
        _pf("2.2", "Phối hợp giữa Hội Khuyến học, đoàn thể, nhà trường, thiết chế văn hóa"),
    )),
    Criterion(code="3", name="Hiệu quả của TTHTCĐ, thư viện, trung tâm VH-TT", indicators=(
        _pf("3.1", "Trung tâm học tập cộng đồng hoạt động hiệu quả"),
        _pf("3.2", "Thư viện và trung tâm văn hóa - thể thao phục vụ học tập"),
    )),
    Criterion(code="4", name="Kết quả phổ cập giáo dục, xóa mù chữ", indicators=(
        _pf("4.1", "Đạt chuẩn phổ cập giáo dục, xóa mù chữ mức độ 1"),
        _pf("4.2", "Đạt chuẩn phổ cập giáo dục, xóa mù chữ mức cao hơn", levels=(2,)),
    )),
    Criterion(code="5", name="Tác dụng của xây dựng cộng đồng học tập", indicators=(
        _pf("5.1", "Tỷ lệ Gia đình, Dòng họ, Cộng đồng, Đơn vị học tập đạt mức 1"),
        _pf("5.2", "Tỷ lệ Gia đình, Dòng họ, Cộng đồng, Đơn vị học tập đạt mức 2", levels=(2,)),
    )),
)  # fmt: skip

_TT24_UNIT = (
    Criterion(code="1", name="Điều kiện xây dựng đơn vị học tập", indicators=(
        _pf("1.1", "Kế hoạch học tập hằng năm cho thành viên"),
        _pf("1.2", "Chế độ đào tạo, bồi dưỡng và quy chế khuyến khích học tập"),
        _pf("1.3", "Trang thiết bị chuyển đổi số phục vụ học tập"),
    )),
    Criterion(code="2", name="Kết quả học tập của thành viên", indicators=(
        _pf("2.1", "Thành viên hoàn thành chương trình bồi dưỡng theo kế hoạch"),
    )),
    Criterion(code="3", name="Tác dụng", indicators=(
        _pf("3.1", "≥ 90% thành viên đạt Công dân học tập (≥ 95% người học ở cơ sở giáo dục)",
            levels=(1,)),
        _pf("3.2", "≥ 95% thành viên đạt Công dân học tập (≥ 97% người học)", levels=(2,)),
        _pf("3.3", "Danh hiệu Tập thể lao động tiên tiến trở lên", levels=(1,)),
        _pf("3.4", "Danh hiệu Tập thể lao động xuất sắc", levels=(2,)),
    )),
)  # fmt: skip

_HOUSEHOLD = (
    Criterion(code="1", name="Học tập của trẻ em", indicators=(
        _pt("1.1", "Trẻ trong độ tuổi đi học đầy đủ, đạt phổ cập", 15),
        _pt("1.2", "Kết quả học tập và rèn luyện", 15),
    )),
    Criterion(code="2", name="Học tập của người lớn", indicators=(
        _pt("2.1", "Người 19–60 tuổi biết chữ", 15),
        _pt("2.2", "Tham gia ít nhất một hoạt động học tập mỗi năm", 15),
    )),
    Criterion(code="3", name="Điều kiện học tập", indicators=(
        _pt("3.1", "Quỹ khuyến học gia đình, góc học tập, tủ sách", 20),
    )),
    Criterion(code="4", name="Tác dụng", indicators=(
        _pt("4.1", "Đạt Gia đình văn hóa; kinh tế, đời sống được cải thiện nhờ học tập", 20),
    )),
)  # fmt: skip


def _points_set(title: Title, tier: Tier, name: str) -> DefaultSet:
    return DefaultSet(
        title=title,
        tier=tier,
        edition="khvn-448-2015",
        scheme=Scheme.POINTS,
        name=name,
        legal_basis="QĐ 448/QĐ-KHVN (2015) — structure; pass mark 80/100 is a default "
        "(unverified nationally): provinces publish their own edition",
        effective_from=date(2016, 1, 1),
        criteria=_HOUSEHOLD,
        pass_mark=Decimal(80),
    )


def default_sets() -> tuple[DefaultSet, ...]:
    tt25 = "TT 25/2023/TT-BGDĐT (indicator wording summarised; full list unverified)"
    tt24 = "TT 24/2023/TT-BGDĐT (indicator wording summarised; full list unverified)"
    sets = [
        DefaultSet(Title.LEARNING_COMMUNITY, tier, "tt25-2023", Scheme.LEVELS,
                   f"Cộng đồng học tập cấp {label}", tt25, date(2023, 12, 25), _TT25_COMMUNE, None)
        for tier, label in [(Tier.COMMUNE, "xã"), (Tier.DISTRICT, "huyện"), (Tier.PROVINCE, "tỉnh")]
    ] + [
        DefaultSet(Title.LEARNING_UNIT, tier, "tt24-2023", Scheme.LEVELS,
                   f"Đơn vị học tập cấp {label}", tt24, date(2023, 12, 25), _TT24_UNIT, None)
        for tier, label in [(Tier.DISTRICT, "huyện"), (Tier.PROVINCE, "tỉnh")]
    ] + [
        _points_set(Title.LEARNING_HOUSEHOLD, Tier.COMMUNE, "Gia đình học tập"),
        _points_set(Title.LEARNING_CLAN, Tier.COMMUNE, "Dòng họ học tập"),
        _points_set(Title.LEARNING_COMMUNITY, Tier.VILLAGE, "Cộng đồng học tập cấp thôn"),
        _points_set(Title.LEARNING_UNIT, Tier.COMMUNE, "Đơn vị học tập ở cơ sở"),
        _points_set(Title.LEARNING_CITIZEN, Tier.COMMUNE, "Công dân học tập"),
    ]  # fmt: skip
    return tuple(sets)


def published(d: DefaultSet, actor: str) -> CriteriaSet:
    """The default set as a new ``CriteriaSet`` aggregate (not saved)."""
    return CriteriaSet(
        title=d.title,
        tier=d.tier,
        edition=d.edition,
        scheme=d.scheme,
        name=d.name,
        legal_basis=d.legal_basis,
        effective_from=d.effective_from,
        criteria=d.criteria,
        pass_mark=d.pass_mark,
        actor=actor,
    )
