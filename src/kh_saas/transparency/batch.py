"""One step of a log's growth, planned without I/O: new events in, rows to store out.

Given the tree's right edge, the partial entry bundle and the last position run, a batch of
stored events (in notification order) becomes: the tiles it changed, the entry bundles it
changed, the position runs it changed, and the new size, last position and root. Leaf
indices count events (0, 1, 2, …) whatever holes the notification ids have; runs map
contiguous positions to indices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from kh_saas.transparency.leaf import entries_of, pack_bundle
from kh_saas.transparency.tiles import TILE_HEIGHT, TILE_WIDTH, TileKey, TileTree

Row = tuple[int, object, int, str | None, bytes | None]


@dataclass
class Run:
    """Positions ``first_position … first_position + count - 1`` are leaves ``first_index …``."""

    first_position: int
    first_index: int
    count: int


@dataclass
class Bundle:
    """Entries of leaves ``256·index …`` (a tlog-tiles entry bundle)."""

    index: int
    first_position: int
    last_position: int
    entries: list[bytes] = field(default_factory=list)

    @property
    def packed(self) -> bytes:
        return pack_bundle(self.entries)


@dataclass
class Growth:
    size: int
    last_position: int
    root: bytes
    tiles: dict[TileKey, bytes]
    bundles: list[Bundle]
    runs: list[Run]


def grow(
    tree: TileTree,
    partial: Bundle | None,
    last_run: Run | None,
    last_position: int,
    rows: Sequence[Row],
) -> Growth:
    """Append ``rows`` (positions above ``last_position``, ascending) to the tree."""
    start = tree.size
    if (partial is None) != (start % 256 == 0) or (
        partial is not None and (partial.index, len(partial.entries)) != divmod(start, 256)
    ):
        raise ValueError(f"the partial entry bundle does not match tree size {start}")
    if not rows:
        return Growth(start, last_position, tree.root(), {}, [], [])
    positions = [row[0] for row in rows]
    if positions[0] <= last_position or any(a >= b for a, b in pairwise(positions)):
        raise ValueError(f"positions after {last_position} are not ascending")
    entries, hashes = entries_of(rows)
    tiles = tree.append(hashes)
    return Growth(
        tree.size,
        positions[-1],
        tree.root(),
        tiles,
        _bundles(start, partial, positions, entries),
        _runs(start, last_run, positions),
    )


def _bundles(
    start: int, partial: Bundle | None, positions: list[int], entries: list[bytes]
) -> list[Bundle]:
    """The entry bundles the new entries fill: the partial one, then whole ones by slices."""
    out: list[Bundle] = []
    i = 0
    index = start
    while i < len(entries):
        n = min(TILE_WIDTH - index % TILE_WIDTH, len(entries) - i)
        if partial is not None and not out:
            bundle = Bundle(partial.index, partial.first_position, positions[i + n - 1],
                            [*partial.entries, *entries[i : i + n]])  # fmt: skip
        else:
            bundle = Bundle(index >> TILE_HEIGHT, positions[i], positions[i + n - 1],
                            entries[i : i + n])  # fmt: skip
        out.append(bundle)
        i += n
        index += n
    return out


def _runs(start: int, last_run: Run | None, positions: list[int]) -> list[Run]:
    """Runs of contiguous positions the batch changed (the last one extended, new ones)."""
    out: list[Run] = []
    run = None if last_run is None else Run(**vars(last_run))
    if run is not None and positions[0] == run.first_position + run.count:
        begin = 0
    else:
        run, begin = None, 0
    # Split the batch where a position skips (a hole); most batches have none.
    cuts = [i for i in range(1, len(positions)) if positions[i] != positions[i - 1] + 1]
    for lo, hi in zip([0, *cuts], [*cuts, len(positions)], strict=True):
        if lo == begin and run is not None:
            run.count += hi - lo
        else:
            run = Run(positions[lo], start + lo, hi - lo)
        out.append(run)
    return out
