"""RFC 6962 / 9162 hashing and proofs, and the tiled tree, against published test vectors
(the RFC 6962 test tree of transparency-dev/merkle) and against the RFC's definition."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from hashlib import sha256

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kh_saas.transparency import merkle
from kh_saas.transparency.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_proof,
    root_from_range,
    root_of,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from kh_saas.transparency.tiles import (
    TileNodes,
    TileTree,
    parse_tile_index,
    partial_tile_keys,
    tile_index_path,
    tile_path,
    tiles_for,
)

# The RFC 6962 test tree: leaf inputs and the root of every prefix (hex).
LEAF_INPUTS = [bytes.fromhex(h) for h in [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]]  # fmt: skip
ROOTS = [bytes.fromhex(h) for h in [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]]  # fmt: skip


def b(*items: str) -> list[bytes]:
    return [base64.b64decode(i) for i in items]


# Happy-path proofs of the same tree (transparency-dev/merkle testdata): (index, size, path).
INCLUSION = [
    (0, 1, []),
    (0, 8, b("lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
             "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
             "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=")),
    (5, 8, b("vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
             "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
             "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=")),
    (2, 3, b("+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=")),
    (1, 5, b("bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
             "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
             "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=")),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, b("lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
             "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
             "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=")),
    (6, 8, b("DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=",
             "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
             "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=")),
    (2, 5, b("Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
             "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=")),
    (6, 7, b("DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=",
             "sIaT7C5yFZcTBkHoIR5+7cy0wmQTlj7ubB4u0W/7Gl8=",
             "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=")),
]  # fmt: skip

LEAVES = [leaf_hash(x) for x in LEAF_INPUTS]


def reference_mth(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 §2.1 defines it."""
    if not leaves:
        return sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(reference_mth(leaves[:k]), reference_mth(leaves[k:]))


def list_source(leaves: list[bytes]) -> Callable[[int, int], bytes]:
    def node(height: int, index: int) -> bytes:
        lo = index << height
        assert lo + (1 << height) <= len(leaves), "asked for a node outside the tree"
        return reference_mth(leaves[lo : lo + (1 << height)])

    return node


def test_roots_of_the_rfc_test_tree() -> None:
    assert leaf_hash(b"") == ROOTS[1]
    for size, want in enumerate(ROOTS):
        assert root_of(LEAVES[:size]) == want
        assert tree_root(size, list_source(LEAVES)) == want
    assert ROOTS[0] == EMPTY_ROOT


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_vectors(index: int, size: int, path: list[bytes]) -> None:
    assert inclusion_proof(index, size, list_source(LEAVES)) == path
    verify_inclusion(index, size, LEAVES[index], path, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_vectors(old: int, new: int, path: list[bytes]) -> None:
    assert consistency_proof(old, new, list_source(LEAVES)) == path
    verify_consistency(old, new, path, ROOTS[old], ROOTS[new])


def flip(h: bytes, bit: int = 0) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


def inclusion_mutants(
    index: int, size: int, leaf: bytes, path: list[bytes], root: bytes
) -> list[tuple[str, int, int, bytes, list[bytes], bytes]]:
    cases = [
        ("wrong leaf", index, size, flip(leaf), path, root),
        ("wrong root", index, size, leaf, path, flip(root)),
        ("empty root", index, size, leaf, path, EMPTY_ROOT),
        ("index + 1", index + 1, size, leaf, path, root),
        ("index - 1", index - 1, size, leaf, path, root),
        ("index xor 2", index ^ 2, size, leaf, path, root),
        ("preceding root", index, size, leaf, [root, *path], root),
        ("trailing root", index, size, leaf, [*path, root], root),
        ("trailing garbage", index, size, leaf, [*path, b""], root),
        ("short hash", index, size, leaf, [p[:31] for p in path], root),
    ]
    for i in range(len(path)):
        cases.append((f"bit flipped in path[{i}]", index, size, leaf,
                      [*path[:i], flip(path[i], 3), *path[i + 1 :]], root))  # fmt: skip
        cases.append((f"path[{i}] removed", index, size, leaf, path[:i] + path[i + 1 :], root))
    if path:
        cases.append(("truncated", index, size, leaf, path[:-1], root))
    for i in range(len(path) - 1):
        if path[i] != path[i + 1]:
            swapped = [*path[:i], path[i + 1], path[i], *path[i + 2 :]]
            cases.append((f"siblings {i},{i + 1} swapped", index, size, leaf, swapped, root))
    return cases


def test_every_mutated_inclusion_proof_is_refused() -> None:
    rng = random.Random(6962)
    leaves = [leaf_hash(rng.randbytes(8)) for _ in range(70)]
    checked = 0
    for size in range(1, 70):
        root = root_of(leaves[:size])
        for index in range(size):
            path = inclusion_proof(index, size, list_source(leaves))
            verify_inclusion(index, size, leaves[index], path, root)
            mutants = inclusion_mutants(index, size, leaves[index], path, root)
            # A proof made for this size, presented with another size's signed root.
            for other in {size - 1, size + 1, size * 2, size // 2} - {size}:
                if index < other <= len(leaves):
                    mutants.append(("proof for another tree size", index, other,
                                    leaves[index], path, root_of(leaves[:other])))  # fmt: skip
            for desc, i, s, leaf, p, r in mutants:
                if (i, s) == (index, size) and p == path and leaf == leaves[index] and r == root:
                    continue  # the mutation changed nothing (e.g. size/2 of size 1 is 0)
                with pytest.raises(ProofError):
                    verify_inclusion(i, s, leaf, p, r)
                    pytest.fail(f"{desc}: accepted for index {index}, size {size}")
                checked += 1
    assert checked > 20_000


def test_every_mutated_consistency_proof_is_refused() -> None:
    rng = random.Random(9162)
    leaves = [leaf_hash(rng.randbytes(8)) for _ in range(40)]
    roots = [root_of(leaves[:n]) for n in range(41)]
    source = list_source(leaves)
    checked = 0
    for new in range(1, 41):
        for old in range(1, new + 1):
            proof = consistency_proof(old, new, list_source(leaves))
            verify_consistency(old, new, proof, roots[old], roots[new])
            mutants = [
                ("old root", old, new, proof, flip(roots[old]), roots[new]),
                ("new root", old, new, proof, roots[old], flip(roots[new])),
                ("old - 1, same root", old - 1, new, proof, roots[old], roots[new]),
                ("preceding old root", old, new, [roots[old], *proof], roots[old], roots[new]),
                ("trailing new root", old, new, [*proof, roots[new]], roots[old], roots[new]),
            ]
            for i in range(len(proof)):
                mutants.append((f"bit in {i}", old, new,
                                [*proof[:i], flip(proof[i], 5), *proof[i + 1 :]],
                                roots[old], roots[new]))  # fmt: skip
            if proof:
                mutants.append(("truncated", old, new, proof[:-1], roots[old], roots[new]))
            # This proof presented for other sizes, with those sizes' own roots.
            for m, n in {(old + 1, new), (old - 1, new), (old, new + 1), (old, new - 1)}:
                if 0 <= m <= n <= 40 and (m == 0 or proof != consistency_proof(m, n, source)):
                    mutants.append(("proof for other sizes", m, n, proof, roots[m], roots[n]))
            for desc, m, n, p, r1, r2 in mutants:
                with pytest.raises(ProofError):
                    verify_consistency(m, n, p, r1, r2)
                    pytest.fail(f"{desc}: accepted from {old} to {new}")
                checked += 1
    assert checked > 5_000


@pytest.mark.parametrize(
    ("old", "new", "proof", "root1", "root2"),
    [
        (1, 0, [], ROOTS[1], ROOTS[0]),  # old larger than new
        (2, 1, [], ROOTS[2], ROOTS[1]),
        (0, 0, [], EMPTY_ROOT, EMPTY_ROOT),  # from the empty tree: meaningless
        (0, 1, [], EMPTY_ROOT, ROOTS[1]),
        (0, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT),
        (1, 1, [ROOTS[1]], ROOTS[1], ROOTS[1]),  # equal sizes need an empty proof
        (1, 1, [], ROOTS[1], ROOTS[2]),  # equal sizes, different roots
        (1, 2, [], ROOTS[1], ROOTS[2]),  # different sizes, no proof
    ],
)
def test_consistency_edge_cases_are_refused(
    old: int, new: int, proof: list[bytes], root1: bytes, root2: bytes
) -> None:
    with pytest.raises(ProofError):
        verify_consistency(old, new, proof, root1, root2)


def test_a_tree_that_rewrote_history_has_no_consistency_proof() -> None:
    honest = LEAVES[:6]
    forked = [*LEAVES[:3], leaf_hash(b"rewritten"), *LEAVES[4:8]]
    proof = consistency_proof(6, 8, list_source(forked))
    with pytest.raises(ProofError):
        verify_consistency(6, 8, proof, root_of(honest), root_of(forked))


@given(st.integers(1, 600), st.data())
def test_range_proofs_rebuild_the_root(size: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    begin = data.draw(st.integers(0, size))
    end = data.draw(st.integers(begin, size))
    proof = range_proof(begin, end, size, list_source(leaves))
    assert root_from_range(begin, end, size, leaves[begin:end], proof) == root_of(leaves)
    if end > begin:
        bad = list(leaves[begin:end])
        bad[0] = flip(bad[0])
        assert root_from_range(begin, end, size, bad, proof) != root_of(leaves)
    with pytest.raises(ProofError):
        root_from_range(begin, end, size, leaves[begin:end], [*proof, EMPTY_ROOT])


@given(st.lists(st.integers(1, 700), min_size=1, max_size=6))
def test_compact_range_matches_the_rfc_definition(batches: list[int]) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(sum(batches))]
    tree = CompactRange()
    done = 0
    for n in batches:
        tree.extend(leaves[done : done + n])
        done += n
        assert tree.root() == reference_mth(leaves[:done])


def test_tiled_tree_grows_in_batches_and_proves_every_older_size() -> None:
    """70,000 leaves (two levels of full tiles and a third level), appended in uneven
    batches with the tiles stored as a database would: each batch's changed tiles replace
    the stored ones, and the tree is rebuilt from its stored edge before each batch."""
    rng = random.Random(11)
    leaves = [sha256(i.to_bytes(4, "big")).digest() for i in range(70_000)]
    stored: dict[tuple[int, int], bytes] = {}
    compact = CompactRange()
    sizes_seen: list[tuple[int, bytes]] = []
    done = 0
    while done < len(leaves):
        n = min(rng.choice([1, 3, 255, 256, 257, 5000, 17_000]), len(leaves) - done)
        tree = TileTree(done, {k: stored[k] for k in partial_tile_keys(done)})
        changed = tree.append(leaves[done : done + n])
        for key, tile in changed.items():
            assert tile.startswith(stored.get(key, b"")), "a tile's hashes never change"
        stored.update(changed)
        compact.extend(leaves[done : done + n])
        done += n
        assert tree.root() == compact.root()
        sizes_seen.append((done, tree.root()))

    assert partial_tile_keys(70_000) == {(0, 273): 112, (1, 1): 17, (2, 0): 1}
    assert sum(1 for (level, _), t in stored.items() if level == 0 and len(t) == 8192) == 273
    assert sum(1 for (level, _), t in stored.items() if level == 1 and len(t) == 8192) == 1
    nodes = TileNodes(stored)
    for size, root in [*sizes_seen[::7], sizes_seen[-1]]:
        assert tree_root(size, nodes) == root
        for index in {0, size // 3, size - 1}:
            path = inclusion_proof(index, size, nodes)
            verify_inclusion(index, size, leaves[index], path, root)
            wanted = tiles_for(lambda src, i=index, s=size: inclusion_proof(i, s, src))
            levels = [level for level, _ in wanted]
            assert all(levels.count(lv) <= 2 for lv in levels), "the leaf's tile and the edge's"
        for old, old_root in sizes_seen[:: max(1, len(sizes_seen) // 5)]:
            if old <= size:
                verify_consistency(old, size, consistency_proof(old, size, nodes), old_root, root)


def test_tile_paths() -> None:
    assert tile_index_path(1_234_067) == "x001/x234/067"
    assert tile_index_path(7) == "007"
    assert parse_tile_index("x001/x234/067") == 1_234_067
    assert tile_path(0, 273, 112) == "tile/0/273.p/112"
    assert tile_path(1, 1) == "tile/1/001"
    assert tile_path("entries", 1000, 256) == "tile/entries/x001/000"
    for bad in ["1/234", "x001", "x1/234", "001/x234"]:
        with pytest.raises(ValueError):
            parse_tile_index(bad)


def test_split_point() -> None:
    assert [merkle.split_point(n) for n in [2, 3, 4, 5, 8, 9]] == [1, 2, 2, 4, 4, 8]
