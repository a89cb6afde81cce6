"""The verification page as HTML (trang xác minh): self-contained, no script, no CDN.

Readable on a phone that scanned the QR code and in a headless browser; every value is
escaped. The proof sits in a collapsed section with what a verifier needs to check it.
"""

from __future__ import annotations

from html import escape

from kh_saas.certificates.verification import Proof, Verdict

_STYLE = """
body{font-family:"Times New Roman","Liberation Serif",serif;margin:0;background:#f6f1e4;
color:#1a1a1a}
main{max-width:42rem;margin:1.5rem auto;background:#fff;border:3px double #a07a2c;padding:1.5rem}
h1{font-size:1.35rem;margin:0 0 .25rem;text-align:center}
p.sub{text-align:center;margin:0 0 1rem;color:#555}
.badge{display:block;text-align:center;font-size:1.3rem;font-weight:bold;padding:.6rem;
border-radius:.3rem;margin:1rem 0}
.in_force{background:#e3f4e6;color:#14632a;border:2px solid #14632a}
.lapsed{background:#fff4d6;color:#7a5200;border:2px solid #7a5200}
.revoked,.annulled,.unknown{background:#fde4e4;color:#9b1111;border:2px solid #9b1111}
table{width:100%;border-collapse:collapse;margin:.5rem 0}
th{text-align:left;width:38%;color:#555;font-weight:normal;vertical-align:top;padding:.3rem}
td{padding:.3rem;font-weight:bold}
details{margin-top:1rem}
pre{white-space:pre-wrap;word-break:break-all;background:#f4f4f4;padding:.5rem;font-size:.8rem}
footer{margin-top:1rem;font-size:.8rem;color:#666;text-align:center}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _row(label: str, value: str | None) -> str:
    return "" if not value else f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"


def verdict_page(v: Verdict, json_url: str) -> str:
    what = "Danh hiệu" if v.kind == "recognition" else "Hình thức khen thưởng"
    d = v.decision
    rows = "".join(
        [
            _row("Tên", v.name),
            _row(what, v.heading),
            _row("Năm", str(v.year)),
            _row("Quyết định", f"Số {d.number} ngày {d.signed_on:%d/%m/%Y}"),
            _row("Cơ quan ban hành", d.issuer),
            _row("Thời hạn", f"đến hết ngày {v.valid_until:%d/%m/%Y}" if v.valid_until else None),
            _row(
                "Thu hồi / hủy bỏ",
                f"Quyết định số {v.ended_by.number} ngày {v.ended_by.signed_on:%d/%m/%Y}"
                + (f" của {v.ended_by.issuer}" if v.ended_by.issuer else "")
                if v.ended_by
                else None,
            ),
        ]
    )
    body = (
        "<h1>Xác minh giấy chứng nhận</h1>"
        f'<p class="sub">{escape(v.province)}</p>'
        f'<span class="badge {escape(v.status)}" id="status" data-status="{escape(v.status)}">'
        f"Có trong sổ của tỉnh — {escape(v.status_text)}</span>"
        f"<table>{rows}</table>"
        f"{_proof(v.proof)}"
        f'<footer>Dữ liệu dạng JSON: <a href="{escape(json_url)}">{escape(json_url)}</a></footer>'
    )
    return _page(f"Xác minh: {v.name} — {v.status_text}", body)


def _proof(p: Proof | None) -> str:
    if p is None:
        return (
            "<details><summary>Bằng chứng trong nhật ký minh bạch</summary>"
            "<p>Sự kiện chưa có trong checkpoint đã ký mới nhất; thử lại sau ít giây.</p>"
            "</details>"
        )
    check = (
        "Đường dẫn dẫn tới gốc của checkpoint và chữ ký hợp lệ."
        if p.root_matches
        else "Không kiểm được bằng chứng với checkpoint."
    )
    path = "\n".join(p.inclusion_path) or "(rỗng: cây một lá)"
    return (
        "<details><summary>Bằng chứng trong nhật ký minh bạch (RFC 9162)</summary>"
        f"<p>{escape(check)}</p>"
        "<table>"
        + _row("Vị trí sự kiện", str(p.position))
        + _row("Chỉ số lá", str(p.leaf_index))
        + _row("Kích thước cây", str(p.tree_size))
        + _row("Băm lá", p.leaf_hash)
        + "</table>"
        f"<p>Mục của lá:</p><pre>{escape(p.entry)}</pre>"
        f"<p>Đường dẫn bao hàm:</p><pre>{escape(path)}</pre>"
        f"<p>Checkpoint đã ký và đồng ký:</p><pre>{escape(p.checkpoint)}</pre>"
        f"<p>Khóa công khai của nhật ký:</p><pre>{escape(chr(10).join(p.log_keys))}</pre>"
        "</details>"
    )


def not_found_page() -> str:
    body = (
        "<h1>Xác minh giấy chứng nhận</h1>"
        '<span class="badge unknown" id="status" data-status="unknown">'
        "Không tìm thấy trong sổ của tỉnh</span>"
        "<p>Mã trên giấy không khớp với danh hiệu hay khen thưởng nào đã ghi nhận. "
        "Hãy kiểm tra lại đường dẫn hoặc liên hệ cơ quan đã ban hành quyết định.</p>"
    )
    return _page("Không tìm thấy", body)


def throttled_page(wait: int) -> str:
    body = (
        "<h1>Xác minh giấy chứng nhận</h1>"
        '<span class="badge unknown" id="status" data-status="throttled">Quá nhiều yêu cầu</span>'
        f"<p>Vui lòng thử lại sau {wait} giây.</p>"
    )
    return _page("Quá nhiều yêu cầu", body)
