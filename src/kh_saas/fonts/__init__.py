"""The typeface of every printed document (văn bản in): Liberation Serif 2.1.5.

SIL OFL 1.1 (``OFL.txt`` beside it), shipped unmodified in the package so nothing is fetched
at run time; it covers Vietnamese completely and has Times New Roman's metrics, the face
Decree 30/2020/NĐ-CP prescribes for administrative documents.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

#: The family name documents set text in; ``-Bold``, ``-Italic`` and ``-BoldItalic`` faces.
SERIF = "KHSerif"
_FACES = {
    SERIF: "LiberationSerif-Regular.ttf",
    f"{SERIF}-Bold": "LiberationSerif-Bold.ttf",
    f"{SERIF}-Italic": "LiberationSerif-Italic.ttf",
    f"{SERIF}-BoldItalic": "LiberationSerif-BoldItalic.ttf",
}


@cache
def register_serif() -> str:
    """Register the four faces and their family with reportlab once per process."""
    folder = resources.files(__name__)
    for name, filename in _FACES.items():
        with resources.as_file(folder.joinpath(filename)) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        SERIF,
        normal=SERIF,
        bold=f"{SERIF}-Bold",
        italic=f"{SERIF}-Italic",
        boldItalic=f"{SERIF}-BoldItalic",
    )
    return SERIF
