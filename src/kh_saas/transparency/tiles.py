"""The tree as C2SP ``tlog-tiles`` tiles (pure): 256 hashes per tile, 8 tree levels each.

Level 0 tiles hold leaf hashes; each hash in a level ``l`` tile is the root of a full tile at
level ``l - 1``. The rightmost tile of each level is *partial* (1–255 hashes) and grows in
place: a tile's first ``w`` hashes never change, so one stored row per tile serves every
tree size (a partial tile of width ``w`` is the row's first ``w`` hashes).

Any perfect subtree of height ``h`` is ``2^(h mod 8)`` consecutive hashes of one tile at
level ``h // 8``, so a proof for any tree size needs at most two tiles per level (the one on
the leaf's path and the tree's right edge; at most six at 10 million leaves): :func:`tiles_for`
says which, :class:`TileNodes` answers the node source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from hashlib import sha256

from kh_saas.transparency.merkle import HASH_SIZE, NodeSource, tree_root

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE

#: (level, index of the tile within its level)
TileKey = tuple[int, int]


class MissingTile(LookupError):
    """A node was asked of a tile that is absent or too narrow (the tree is smaller)."""


def tile_of_node(height: int, index: int) -> tuple[TileKey, int, int]:
    """Where the perfect subtree (height, index) lives: its tile, first hash and hash count."""
    level, rest = divmod(height, TILE_HEIGHT)
    first = index << rest
    return (level, first >> TILE_HEIGHT), first & (TILE_WIDTH - 1), 1 << rest


def _root_of_run(tile: bytes, offset: int, count: int) -> bytes:
    level = [tile[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(offset, offset + count)]
    while len(level) > 1:
        level = [sha256(b"\x01" + a + b).digest() for a, b in zip(level[::2], level[1::2],
                                                                  strict=True)]  # fmt: skip
    return level[0]


class TileNodes:
    """A node source over a set of tiles (key → concatenated hashes)."""

    def __init__(self, tiles: Mapping[TileKey, bytes]) -> None:
        self._tiles = tiles

    def __call__(self, height: int, index: int) -> bytes:
        key, offset, count = tile_of_node(height, index)
        tile = self._tiles.get(key)
        if tile is None or len(tile) < (offset + count) * HASH_SIZE:
            raise MissingTile(f"tile {key} lacks hashes {offset}..{offset + count - 1}")
        return _root_of_run(tile, offset, count)


def tiles_for(build: Callable[[NodeSource], object]) -> set[TileKey]:
    """The tiles ``build`` reads: proofs' shapes do not depend on hash values, so a dry run
    with a recording source tells which tiles to fetch before the real run."""
    wanted: set[TileKey] = set()

    def record(height: int, index: int) -> bytes:
        wanted.add(tile_of_node(height, index)[0])
        return bytes(HASH_SIZE)

    build(record)
    return wanted


def partial_tile_keys(size: int) -> dict[TileKey, int]:
    """The right edge of a tree of ``size`` leaves: each level's partial tile and its width."""
    out: dict[TileKey, int] = {}
    level, count = 0, size
    while count:
        width = count & (TILE_WIDTH - 1)
        if width:
            out[(level, count >> TILE_HEIGHT)] = width
        count >>= TILE_HEIGHT
        level += 1
    return out


class TileTree:
    """The right edge of a tiled tree, enough to append leaves and give the root.

    ``partials`` holds each level's partial tile as stored (``partial_tile_keys(size)``);
    :meth:`append` returns every tile it changed — tiles it filled and the new partial ones —
    for the caller to store.
    """

    def __init__(self, size: int, partials: Mapping[TileKey, bytes]) -> None:
        self.size = size
        self._edge: dict[int, bytearray] = {}
        for (level, n), width in partial_tile_keys(size).items():
            tile = partials.get((level, n))
            if tile is None or len(tile) < width * HASH_SIZE:
                raise MissingTile(f"partial tile {(level, n)} of width {width} is missing")
            self._edge[level] = bytearray(tile[: width * HASH_SIZE])

    def append(self, leaf_hashes: Iterable[bytes]) -> dict[TileKey, bytes]:
        changed: dict[TileKey, bytes] = {}
        grown: set[int] = set()
        data = b"".join(leaf_hashes)
        if len(data) % HASH_SIZE:
            raise ValueError("leaf hashes are 32 bytes each")
        edge = self._edge
        offset = 0
        while offset < len(data):  # fill the partial level-0 tile, then whole tiles
            level0 = edge.setdefault(0, bytearray())
            take = min(FULL_TILE_BYTES - len(level0), len(data) - offset)
            level0 += data[offset : offset + take]
            offset += take
            self.size += take // HASH_SIZE
            grown.add(0)
            if len(level0) == FULL_TILE_BYTES:
                self._complete(0, self.size, changed, grown)
        for (level, n), width in partial_tile_keys(self.size).items():
            if level in grown:
                changed[(level, n)] = bytes(edge[level][: width * HASH_SIZE])
        return changed

    def _complete(
        self, level: int, size: int, changed: dict[TileKey, bytes], grown: set[int]
    ) -> None:
        """Level ``level``'s tile just filled (the tree now has ``size`` leaves): store it
        and carry its root into the level above, which may fill in turn."""
        tile = bytes(self._edge[level])
        index = (size - 1) >> (TILE_HEIGHT * (level + 1))
        changed[(level, index)] = tile
        self._edge[level] = bytearray()
        above = self._edge.setdefault(level + 1, bytearray())
        above += _root_of_run(tile, 0, TILE_WIDTH)
        grown.add(level + 1)
        if len(above) == FULL_TILE_BYTES:
            self._complete(level + 1, size, changed, grown)

    def edge_tiles(self) -> dict[TileKey, bytes]:
        return {
            key: bytes(self._edge[key[0]][: width * HASH_SIZE])
            for key, width in partial_tile_keys(self.size).items()
        }

    def root(self) -> bytes:
        return tree_root(self.size, TileNodes(self.edge_tiles()))


_INDEX_PART = re.compile(r"^x[0-9]{3}$")


def tile_index_path(index: int) -> str:
    """tlog-tiles index encoding: 1234067 → ``x001/x234/067``."""
    parts = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        parts.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(parts))


def parse_tile_index(path: str) -> int:
    parts = path.split("/")
    if not re.fullmatch(r"[0-9]{3}", parts[-1]) or not all(
        _INDEX_PART.match(p) for p in parts[:-1]
    ):
        raise ValueError(f"not a tile index: {path!r}")
    index = 0
    for part in parts:
        index = index * 1000 + int(part.lstrip("x"))
    return index


def tile_path(level: int | str, index: int, width: int | None = None) -> str:
    """``tile/<L>/<N>[.p/<W>]`` (``level`` ``"entries"`` for entry bundles)."""
    suffix = f".p/{width}" if width is not None and width < TILE_WIDTH else ""
    return f"tile/{level}/{tile_index_path(index)}{suffix}"
