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

_TT25_DISTRICT = (
    Criterion(code="1", name="Lãnh đạo, chỉ đạo của cấp ủy, chính quyền cấp huyện", indicators=(
        _pf("1.1", "Nghị quyết, kế hoạch xây dựng xã hội học tập của huyện"),
        _pf("1.2", "Chỉ đạo các xã xây dựng cộng đồng học tập; tổ chức Tuần lễ học tập suốt đời"),
    )),
    Criterion(code="2", name="Nguồn lực và điều kiện", indicators=(
        _pf("2.1", "Ngân sách, xã hội hóa và cơ chế hỗ trợ người học"),
        _pf("2.2", "Hạ tầng và chỉ số chuyển đổi số phục vụ học tập suốt đời"),
    )),
    Criterion(code="3", name="Hiệu quả các cơ sở giáo dục, thư viện, trung tâm văn hóa huyện",
              indicators=(
        _pf("3.1", "Trung tâm GDNN-GDTX, thư viện, trung tâm VH-TT hoạt động hiệu quả"),
    )),
    Criterion(code="4", name="Tác dụng", indicators=(
        _pf("4.1", "Tỷ lệ xã đạt cộng đồng học tập cấp xã mức 1"),
        _pf("4.2", "Tỷ lệ xã đạt cộng đồng học tập cấp xã mức 2", levels=(2,)),
    )),
)  # fmt: skip

_TT25_PROVINCE = (
    Criterion(code="1", name="Lãnh đạo, chỉ đạo; tổ chức phong trào thi đua xây dựng XHHT",
              indicators=(
        _pf("1.1", "Nghị quyết, chương trình, kế hoạch xây dựng xã hội học tập của tỉnh"),
        _pf("1.2", "Phát động, sơ kết, tổng kết phong trào thi đua xây dựng xã hội học tập"),
    )),
    Criterion(code="2", name="Nguồn lực", indicators=(
        _pf("2.1", "Ngân sách nhà nước cho xây dựng xã hội học tập"),
        _pf("2.2", "Thực hiện chính sách của trung ương; ban hành chính sách của địa phương"),
        _pf("2.3", "Hợp tác quốc tế về học tập suốt đời"),
    )),
    Criterion(code="3", name="Kết quả xây dựng xã hội học tập", indicators=(
        _pf("3.1", "Cơ sở giáo dục, thư viện, bảo tàng, thiết chế văn hóa tỉnh phục vụ học tập"),
    )),
    Criterion(code="4", name="Tác dụng", indicators=(
        _pf("4.1", "Tỷ lệ xã (huyện) đạt cộng đồng học tập mức 1"),
        _pf("4.2", "Tỷ lệ xã (huyện) đạt cộng đồng học tập mức 2", levels=(2,)),
    )),
)  # fmt: skip


def _tt24(share_l1: str, share_l2: str) -> tuple[Criterion, ...]:
    return (
        Criterion(code="1", name="Điều kiện xây dựng đơn vị học tập", indicators=(
            _pf("1.1", "Kế hoạch học tập hằng năm cho thành viên"),
            _pf("1.2", "Chế độ đào tạo, bồi dưỡng và quy chế khuyến khích học tập"),
            _pf("1.3", "Trang thiết bị chuyển đổi số phục vụ học tập"),
        )),
        Criterion(code="2", name="Kết quả học tập của thành viên", indicators=(
            _pf("2.1", "Thành viên hoàn thành chương trình bồi dưỡng theo kế hoạch"),
        )),
        Criterion(code="3", name="Tác dụng", indicators=(
            _pf("3.1", f"{share_l1} thành viên đạt Công dân học tập", levels=(1,)),
            _pf("3.2", f"{share_l2} thành viên đạt Công dân học tập", levels=(2,)),
            _pf("3.3", "Danh hiệu Tập thể lao động tiên tiến trở lên", levels=(1,)),
            _pf("3.4", "Danh hiệu Tập thể lao động xuất sắc", levels=(2,)),
        )),
    )  # fmt: skip


_TT24_PROVINCE = _tt24("≥ 90% (≥ 95% người học ở cơ sở giáo dục)", "≥ 95% (≥ 97% người học)")
#: District tier (and the commune tier that took it over): its own thresholds are unverified.
_TT24_LOCAL = _tt24("Tỷ lệ theo quy định (mức 1)", "Tỷ lệ theo quy định (mức 2)")

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

_CLAN = (
    Criterion(code="1", name="Học tập của các gia đình trong dòng họ", indicators=(
        _pt("1.1", "Tỷ lệ gia đình trong dòng họ đạt Gia đình học tập", 20),
        _pt("1.2", "Con cháu trong độ tuổi đi học đầy đủ; người lớn tham gia học tập", 20),
    )),
    Criterion(code="2", name="Tổ chức khuyến học của dòng họ", indicators=(
        _pt("2.1", "Ban khuyến học dòng họ, quy ước khuyến học, khuyến tài", 15),
        _pt("2.2", "Quỹ khuyến học dòng họ; khen thưởng con cháu học giỏi", 15),
    )),
    Criterion(code="3", name="Tác dụng", indicators=(
        _pt("3.1", "Không có con cháu bỏ học; gia đình văn hóa, đoàn kết", 15),
        _pt("3.2", "Đóng góp cho phong trào khuyến học của thôn, xã", 15),
    )),
)  # fmt: skip

_VILLAGE = (
    Criterion(code="1", name="Học tập của người dân trong thôn, tổ dân phố", indicators=(
        _pt("1.1", "Tỷ lệ gia đình đạt Gia đình học tập, dòng họ đạt Dòng họ học tập", 20),
        _pt("1.2", "Người dân tham gia học tập tại TTHTCĐ, nhà văn hóa", 15),
        _pt("1.3", "Trẻ em đến trường đúng độ tuổi; không có người tái mù chữ", 15),
    )),
    Criterion(code="2", name="Điều kiện học tập", indicators=(
        _pt("2.1", "Chi hội khuyến học; tủ sách, điểm đọc tại nhà văn hóa", 15),
        _pt("2.2", "Quỹ khuyến học của thôn", 10),
    )),
    Criterion(code="3", name="Tác dụng", indicators=(
        _pt("3.1", "Thôn, tổ dân phố văn hóa; đời sống được cải thiện nhờ học tập", 25),
    )),
)  # fmt: skip

_COMMUNE_UNIT = (  # the association's "ĐVHT ở cơ sở" on TT 22/2020's 30 + 30 + 40 scale
    Criterion(code="1", name="Điều kiện xây dựng đơn vị học tập", indicators=(
        _pt("1.1", "Kế hoạch học tập của đơn vị; quy chế khuyến khích học tập", 15),
        _pt("1.2", "Điều kiện, thời gian cho thành viên học tập", 15),
    )),
    Criterion(code="2", name="Kết quả học tập của thành viên", indicators=(
        _pt("2.1", "Thành viên tham gia học tập, bồi dưỡng đạt yêu cầu", 30),
    )),
    Criterion(code="3", name="Tác dụng", indicators=(
        _pt("3.1", "Tỷ lệ thành viên đạt Công dân học tập", 20),
        _pt("3.2", "Đơn vị hoàn thành tốt nhiệm vụ; danh hiệu thi đua", 20),
    )),
)  # fmt: skip

_CITIZEN = (  # 3 competencies, 10 indicators (HKHVN, 2020 draft adopted for 2021–2030)
    Criterion(code="1", name="Năng lực tự học, học tập suốt đời", indicators=(
        _pt("1.1", "Đọc, cập nhật thông tin và tri thức trên sách báo, truyền hình, mạng", 10),
        _pt("1.2", "Xây dựng kế hoạch học tập phục vụ yêu cầu công việc", 10),
        _pt("1.3", "Sắp xếp thời gian tham gia hoạt động học tập tại nhà văn hóa, thư viện", 10),
        _pt("1.4", "Động viên, tạo điều kiện cho người thân và đồng nghiệp học tập", 10),
    )),
    Criterion(code="2", name="Năng lực sử dụng công cụ tương tác", indicators=(
        _pt("2.1", "Sử dụng công nghệ thông tin đáp ứng yêu cầu công việc", 10),
        _pt("2.2", "Sử dụng ngoại ngữ theo yêu cầu công việc, vị trí", 10),
        _pt("2.3", "Kỹ năng tính toán để cải tiến công việc, nâng năng suất", 10),
        _pt("2.4", "Tư duy biện chứng, phản biện trong công việc và hoạt động xã hội", 10),
    )),
    Criterion(code="3", name="Năng lực xây dựng và thực hiện các mối quan hệ xã hội", indicators=(
        _pt("3.1", "Quan hệ thân thiện, điều hòa quan hệ để tránh xung đột", 10),
        _pt("3.2", "Hợp tác, chia sẻ trong lao động và hoạt động xã hội", 10),
    )),
)  # fmt: skip

_ASSOCIATION = "QĐ 448/QĐ-KHVN (2015)"
_MARK = "pass mark {mark}/100 is a default (unverified nationally): provinces publish their own"


def _points_set(
    title: Title,
    tier: Tier,
    name: str,
    criteria: tuple[Criterion, ...],
    basis: str,
    *,
    edition: str = "khvn-448-2015",
    mark: int = 80,
    since: date = date(2016, 1, 1),
) -> DefaultSet:
    return DefaultSet(
        title=title,
        tier=tier,
        edition=edition,
        scheme=Scheme.POINTS,
        name=name,
        legal_basis=f"{basis}; {_MARK.format(mark=mark)}",
        effective_from=since,
        criteria=criteria,
        pass_mark=Decimal(mark),
    )


def default_sets() -> tuple[DefaultSet, ...]:
    """One set per title and tier, each with its own criteria and source."""
    tt25 = "TT 25/2023/TT-BGDĐT (indicator wording summarised; full list unverified)"
    tt24 = "TT 24/2023/TT-BGDĐT (indicator wording summarised; full list unverified)"
    local = "; thresholds of the district tier unverified"
    reform = (
        "; at commune tier from assessment year 2025 (units formerly district-managed; MOET's "
        "2025 amendment not found: probable)"
    )
    c, u = Title.LEARNING_COMMUNITY, Title.LEARNING_UNIT
    levels = Scheme.LEVELS
    return (
        DefaultSet(c, Tier.COMMUNE, "tt25-2023", levels, "Cộng đồng học tập cấp xã", tt25,
                   date(2023, 12, 25), _TT25_COMMUNE, None),
        DefaultSet(c, Tier.DISTRICT, "tt25-2023", levels, "Cộng đồng học tập cấp huyện",
                   tt25, date(2023, 12, 25), _TT25_DISTRICT, None),
        DefaultSet(c, Tier.PROVINCE, "tt25-2023", levels, "Cộng đồng học tập cấp tỉnh",
                   tt25, date(2023, 12, 25), _TT25_PROVINCE, None),
        DefaultSet(u, Tier.DISTRICT, "tt24-2023", levels, "Đơn vị học tập cấp huyện",
                   tt24 + local, date(2023, 12, 25), _TT24_LOCAL, None),
        DefaultSet(u, Tier.PROVINCE, "tt24-2023", levels, "Đơn vị học tập cấp tỉnh", tt24,
                   date(2023, 12, 25), _TT24_PROVINCE, None),
        DefaultSet(u, Tier.COMMUNE, "tt24-2023-xa", levels, "Đơn vị học tập cấp xã",
                   tt24 + local + reform, date(2025, 7, 1), _TT24_LOCAL, None),
        _points_set(Title.LEARNING_HOUSEHOLD, Tier.COMMUNE, "Gia đình học tập", _HOUSEHOLD,
                    _ASSOCIATION + " — children 30, adults 30, conditions 20, effects 20"),
        _points_set(Title.LEARNING_CLAN, Tier.COMMUNE, "Dòng họ học tập", _CLAN,
                    _ASSOCIATION + " — structure; indicator wording ours"),
        _points_set(c, Tier.VILLAGE, "Cộng đồng học tập cấp thôn, tổ dân phố", _VILLAGE,
                    _ASSOCIATION + " — structure; indicator wording ours"),
        _points_set(u, Tier.COMMUNE, "Đơn vị học tập ở cơ sở (xã quản lý)", _COMMUNE_UNIT,
                    _ASSOCIATION + " (ĐVHT ở cơ sở) on TT 22/2020's 30 + 30 + 40 scale; for "
                    "assessment years before 2025"),
        _points_set(Title.LEARNING_CITIZEN, Tier.COMMUNE, "Công dân học tập", _CITIZEN,
                    "QĐ 677/QĐ-TTg (2022); HKHVN criteria (QĐ 244 or 324/QĐ-KHVN: which is in "
                    "force is unverified) — 3 competencies, 10 indicators; 10 points each is ours",
                    edition="khvn-cdht-2021", mark=70, since=date(2021, 1, 1)),
    )  # fmt: skip


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
