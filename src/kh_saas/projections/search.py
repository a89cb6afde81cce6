"""Vietnamese-aware search words: "nguyen van" finds "Nguyễn Văn An", "dong ho le" finds
"Dòng họ Lê", with or without diacritics, by word prefix.

Names are folded in Python (case, diacritics, ``đ`` → ``d``) and indexed as a ``simple``
tsvector; queries become prefix tsqueries (``nguyen:* & van:*``). This needs nothing beyond
core PostgreSQL: the embedded server (pgserver) ships neither ``unaccent`` nor ``pg_trgm``,
and ``unaccent`` leaves ``Đ`` alone anyway.
"""

from __future__ import annotations

import re

from kh_saas.imports.text import header_key

_WORD = re.compile(r"[a-z0-9]+")
#: More words than this in a query add nothing but cost.
MAX_QUERY_WORDS = 8


def search_words(text: str | None) -> str:
    """The folded words of a name, space-separated (what the tsvector is built from)."""
    return " ".join(_WORD.findall(header_key(text or "")))


def prefix_query(q: str) -> str | None:
    """A tsquery matching every word of ``q`` as a word prefix; None when ``q`` has none."""
    words = _WORD.findall(header_key(q))[:MAX_QUERY_WORDS]
    return " & ".join(f"{w}:*" for w in words) or None
