"""The demo province's report schedule (lịch báo cáo), so its 2025 report prints at once.

Seed 003's flows: communes report to the district before 10 November, districts to the
province before 5 December; the service re-routes communes to the province from 1 July 2025.
The printed report is signed by the same deputy chairman who signed the plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kh_saas.demo import Demo


def report_schedule(demo: Demo) -> None:
    deputy = demo.offices.signer(demo.province_issuer("province_chairman"), "Phó Chủ tịch")
    body = {
        "flows": [
            {
                "reporter": "commune",
                "recipient_tier": "district",
                "recipient": "Hội Khuyến học huyện, Phòng Giáo dục và Đào tạo",
                "due": "11-10",
                "source": "Kế hoạch thực hiện chương trình học tập suốt đời 2021-2030 (seed 003)",
            },
            {
                "reporter": "district",
                "recipient_tier": "province",
                "recipient": f"UBND {demo.province_name}, Hội Khuyến học tỉnh",
                "due": "12-05",
            },
        ],
        "letterhead": {
            "authority": ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
            "signer_name": deputy["name"],
            "recipients": [
                "Bộ Giáo dục và Đào tạo",
                "Hội Khuyến học Việt Nam",
                "TT Tỉnh ủy, TT HĐND tỉnh (để b/c)",
                "Sở Giáo dục và Đào tạo",
                "UBND các xã, phường, đặc khu",
            ],
        },
    }
    saved = demo.call("PUT", "/report-schedule", "tenant_admin", body)
    rerouted = sum(1 for f in saved["flows"] if f["rerouted"])
    demo.stage(
        f"report schedule: communes before 10/11, districts before 5/12 (seed 003); "
        f"{rerouted} flow re-routed to the province from 1/7/2025"
    )
