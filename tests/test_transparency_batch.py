"""Planning a log's growth (pure): batches of events with holes in their positions become
tiles, 256-entry bundles and position runs that agree with the definition."""

from __future__ import annotations

import random
from uuid import UUID

import pytest

from kh_saas.transparency.batch import Bundle, Run, grow
from kh_saas.transparency.leaf import leaf_entry
from kh_saas.transparency.merkle import leaf_hash, root_of
from kh_saas.transparency.tiles import TileTree, partial_tile_keys


def test_batches_with_holes_match_the_definition() -> None:
    rng = random.Random(5)
    positions, p = [], 0
    for _ in range(3000):
        p += 1 if rng.random() > 0.02 else rng.randint(2, 9)  # a hole now and then
        positions.append(p)
    rows = [(q, UUID(int=q), 1, "t:E", b'{"timestamp":"2025-01-01T00:00:00.000000Z"}')
            for q in positions]  # fmt: skip
    tiles: dict[tuple[int, int], bytes] = {}
    bundles: dict[int, Bundle] = {}
    runs: dict[int, Run] = {}
    size, last = 0, 0
    done = 0
    while done < len(rows):
        n = rng.choice([1, 7, 255, 256, 300, 900])
        tree = TileTree(size, {k: tiles[k] for k in partial_tile_keys(size)})
        partial = bundles.get(size >> 8) if size % 256 else None
        last_run = runs[max(runs)] if runs else None
        growth = grow(tree, partial, last_run, last, rows[done : done + n])
        tiles.update(growth.tiles)
        bundles.update({b.index: b for b in growth.bundles})
        runs.update({r.first_position: r for r in growth.runs})
        size, last = growth.size, growth.last_position
        done += len(rows[done : done + n])
        entries = [e for i in sorted(bundles) for e in bundles[i].entries]
        assert entries == [leaf_entry(*r) for r in rows[:done]]
        assert growth.root == root_of([leaf_hash(e) for e in entries])
        assert all(len(b.entries) <= 256 for b in bundles.values())
    index_of = {
        r.first_position + k: r.first_index + k for r in runs.values() for k in range(r.count)
    }
    assert index_of == {q: i for i, q in enumerate(positions)}
    for b in bundles.values():
        assert (b.first_position, b.last_position) == (
            positions[b.index * 256], positions[b.index * 256 + len(b.entries) - 1],
        )  # fmt: skip


def test_a_batch_must_follow_the_last_position() -> None:
    rows = [(5, UUID(int=5), 1, "t:E", b"{}"), (4, UUID(int=4), 1, "t:E", b"{}")]
    with pytest.raises(ValueError, match="ascending"):
        grow(TileTree(0, {}), None, None, 0, rows)
    with pytest.raises(ValueError, match="ascending"):
        grow(TileTree(0, {}), None, None, 5, rows[:1])
    with pytest.raises(ValueError, match="partial entry bundle"):
        grow(TileTree(0, {}), Bundle(0, 1, 1, [b"x"]), None, 0, rows[:1])
