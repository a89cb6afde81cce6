"""The parts of an XLSX upload, inflated and parsed under budgets that hold whatever the zip
and its XML claim.

Python's zipfile and expat do the work; this module bounds it:

- before opening the zip: the size of its central directory (how many entries it lists),
  which zipfile would read into objects whole;
- before inflating a part: its declared size against the budget of uncompressed bytes, and
  whether its compressed data is larger than that size allows (a header that lies); while
  inflating: the bytes actually produced, against the same budget;
- while parsing: tags (counted by their ``<``, in C), the longest tag or text run expat must
  hold in one piece, and no DTD, so no entity can expand.
"""

from __future__ import annotations

import lzma
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from xml.parsers import expat

from kh_saas.imports.errors import TableTooLarge, TabularError, file_error
from kh_saas.imports.limits import Limits

#: Bytes of the zip's central directory: at ~50 bytes an entry, some 20,000 entries, where a
#: workbook has a few dozen. Python's zipfile reads the whole directory into objects at once.
MAX_DIRECTORY_BYTES = 1024 * 1024
#: Bytes between two ``<`` in any part. Expat holds a whole tag, comment or attribute value
#: in memory before it reports it; a legitimate cell (32,767 characters) is far below this.
MAX_TOKEN_BYTES = 1024 * 1024
#: Tags (counted by their ``<``) per cell allowed on average, workbook-wide: a cell takes 4
#: (``<c><v></v></c>``), 6 as an inline string, and its shared string 4 more.
TAGS_PER_CELL = 8

_CHUNK = 64 * 1024

# --- the zip --------------------------------------------------------------------------------

ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,  # a compression method zipfile does not know
    RuntimeError,  # an encrypted entry
    ValueError,
    struct.error,
)


def check_directory(data: bytes) -> None:
    """Refuse a central directory too large to read, from the end record zipfile reads."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65_535))
    if end < 0 or len(data) < end + 22:
        return  # not a zip: zipfile says so
    size: int = struct.unpack_from("<I", data, end + 12)[0]
    record = end - 20 - 56  # a ZIP64 end record sits just before its locator
    if (
        record >= 0
        and data[end - 20 : end - 16] == b"PK\x06\x07"
        and data[record : record + 4] == b"PK\x06\x06"
    ):
        size = struct.unpack_from("<Q", data, record + 40)[0]
    if size > MAX_DIRECTORY_BYTES:
        raise TableTooLarge(
            "zip_directory_bytes",
            MAX_DIRECTORY_BYTES,
            f"the workbook's zip directory has {size:,} bytes (tens of thousands of entries):"
            f" at most {MAX_DIRECTORY_BYTES:,} are read; a workbook needs a few dozen entries",
        )


def unreadable(why: str) -> TabularError:
    return file_error(f"not a readable .xlsx workbook ({why}); open and save it again in Excel")


def damaged(path: str, why: str) -> TabularError:
    return file_error(f"the workbook is damaged ({path}: {why}); open and save it again in Excel")


class Parts:
    """The zip's parts, inflated under one byte budget and parsed under one tag budget."""

    def __init__(self, archive: zipfile.ZipFile, limits: Limits) -> None:
        self.archive = archive
        self.bytes_left = limits.uncompressed_bytes
        self.budget = limits.uncompressed_bytes
        self.tags = limits.cells * TAGS_PER_CELL + 4 * limits.rows + 100_000
        self.tags_left = self.tags

    def exists(self, path: str) -> bool:
        return path in self.archive.NameToInfo

    def chunks(self, path: str) -> Iterator[bytes]:
        try:
            info = self.archive.getinfo(path)
        except KeyError:
            raise unreadable(f"no {path}") from None
        declared = info.file_size
        if declared > self.bytes_left:
            raise TableTooLarge(
                "uncompressed_bytes",
                self.budget,
                f"{path} inflates to {declared:,} bytes: at most {self.budget:,} bytes of"
                " the workbook are read uncompressed; split the file",
            )
        # Deflate never grows data by more than a few bytes per 64 KiB block, so compressed
        # data larger than this is a header that lies about what it inflates to.
        if info.compress_size > declared + declared // 32 + 4096:
            raise TableTooLarge(
                "uncompressed_bytes",
                self.budget,
                f"{path} declares {declared:,} bytes uncompressed but holds"
                f" {info.compress_size:,} compressed bytes, so its size is a lie (a zip bomb?):"
                f" at most {self.budget:,} bytes of the workbook are read uncompressed",
            )
        self.bytes_left -= declared
        produced = 0
        try:
            stream = self.archive.open(info)
        except ZIP_ERRORS as exc:
            raise damaged(path, "cannot be opened") from exc
        with stream:
            while True:
                try:
                    chunk = stream.read(_CHUNK)
                except ZIP_ERRORS as exc:
                    raise damaged(path, "cannot be inflated") from exc
                if not chunk:
                    return
                produced += len(chunk)
                if produced > declared:  # zipfile stops at the declared size; be sure
                    raise TableTooLarge(
                        "uncompressed_bytes",
                        self.budget,
                        f"{path} inflates past its declared {declared:,} bytes: at most"
                        f" {self.budget:,} bytes of the workbook are read uncompressed",
                    )
                yield chunk

    def parse(self, path: str, target: Target) -> Iterator[None]:
        """Feed a part to ``target``'s handlers, yielding after each chunk."""
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.buffer_size = _CHUNK
        parser.StartElementHandler = target.start
        parser.EndElementHandler = target.end
        parser.CharacterDataHandler = target.text
        parser.StartDoctypeDeclHandler = _no_doctype
        gap = 0  # bytes since the last "<"
        try:
            for chunk in self.chunks(path):
                first = chunk.find(b"<")
                if (gap + len(chunk) if first < 0 else gap + first) > MAX_TOKEN_BYTES:
                    raise TableTooLarge(
                        "xml_token_bytes",
                        MAX_TOKEN_BYTES,
                        f"{path} holds a tag or text of more than {MAX_TOKEN_BYTES:,} bytes"
                        " in one piece; no cell of a workbook needs that many",
                    )
                gap = gap + len(chunk) if first < 0 else len(chunk) - chunk.rfind(b"<") - 1
                # Tags counted by their "<" in C, not per element in Python: the budget
                # bounds the handlers' work without costing any of it.
                self.tags_left -= chunk.count(b"<")
                if self.tags_left < 0:
                    raise TableTooLarge(
                        "xml_tags",
                        self.tags,
                        f"the workbook has more than {self.tags:,} XML tags in the parts read"
                        " (its cells need far fewer); save it again in Excel",
                    )
                parser.Parse(chunk, False)
                yield
            parser.Parse(b"", True)
        except Done:
            return
        except expat.ExpatError as exc:
            raise damaged(path, f"not well-formed XML: {exc}") from exc
        except Damaged as exc:
            raise damaged(path, str(exc)) from exc


def _no_doctype(*_: object) -> None:
    # OOXML parts have no DTD; one could only be there to expand entities.
    raise Damaged("a DTD is not allowed")


class Done(Exception):  # control flow: the handler has read what it needs
    pass


class Damaged(Exception):  # raised in handlers, turned into a TabularError
    pass


class Target:
    """Expat handlers for one part."""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def parse_all(parts: Parts, path: str, target: Target) -> None:
    for _ in parts.parse(path, target):
        pass


# --- names ----------------------------------------------------------------------------------


class Tags(dict[str, str]):
    """Element names as written ("c", "x:c") → their local name if it is one asked for, else "".

    Names are matched without namespace processing, which makes expat markedly faster; a
    prefix ("x:") is what some writers use, and Strict OOXML differs only in the namespace.
    Filled as names are met, up to a bound (a hostile file may invent any number of names).
    """

    def __init__(self, *local: str) -> None:
        super().__init__({name: name for name in local})
        self.local = frozenset(local)

    def __missing__(self, name: str) -> str:
        local = name.rpartition(":")[2]
        found = local if local in self.local else ""
        if len(self) < 1_000:
            self[name] = found
        return found


def relative(source: str, target: str) -> str:
    """A relationship target as a zip path: absolute ("/xl/…") or relative to its source."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
