"""Cell text as stored, and the folded form in which headers and coded values are compared."""

from __future__ import annotations

import re
import unicodedata

#: Characters nobody sees or types on purpose: zero-width space, (non-)joiners, word joiner,
#: invisible operators, byte-order marks pasted mid-text, soft hyphens, the Mongolian vowel
#: separator. Left in, "Nguyễn Văn An" and "Nguyễn Văn An\u200b" would be two households.
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff]")


def clean_text(text: str) -> str | None:
    """A cell's text as stored: NFC, without invisible characters, trimmed; None if empty.

    A Mac sends decomposed text (NFD) and Excel users pad with (no-break) spaces: without
    this, the same household would register twice under two spellings.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if INVISIBLE.search(text):
            text = INVISIBLE.sub("", text)
    return text.strip() or None


def header_key(text: str) -> str:
    """The form in which headers, aliases, field names and coded values are compared.

    Case-folded, without accents and with runs of spaces, ``_`` and ``-`` made one space, so
    "Mã xã", "MA_XA" and "ma xa" all match. ``đ`` is mapped by hand: it is a letter of its
    own, not ``d`` plus a combining mark, so stripping marks after NFD leaves it alone.
    """
    folded = unicodedata.normalize("NFD", text.casefold().translate(_LETTERS_WITH_STROKE))
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", INVISIBLE.sub("", bare)).strip()


# ``ð`` (U+00F0, Icelandic eth) stands in for ``đ`` in text typed with the wrong keyboard.
_LETTERS_WITH_STROKE = str.maketrans({"đ": "d", "ð": "d"})
_SEPARATORS = re.compile(r"[\s_\-]+")

_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape_ooxml(text: str) -> str:
    """Undo the ``_xHHHH_`` escapes OOXML uses for characters XML cannot hold (ST_Xstring).

    Excel writes a carriage return in a cell as ``_x000D_`` and a literal ``_x`` as
    ``_x005F_x``; read back without this, the escape would end up in a name.
    """
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(_unescaped, text)


def _unescaped(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)  # a lone surrogate
