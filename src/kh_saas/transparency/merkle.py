"""RFC 6962 / RFC 9162 Merkle tree hashing and proofs over SHA-256 (pure functions).

Leaf hash ``SHA-256(0x00 || entry)``, node hash ``SHA-256(0x01 || left || right)``; the empty
tree's root is ``SHA-256("")``. Proofs are built from a *node source*: a function answering
the hash of the perfect subtree of height ``h`` over leaves ``[k·2^h, (k+1)·2^h)``. Stored tiles
answer it in the service (:mod:`kh_saas.transparency.tiles`), a list of leaf hashes in tests.

Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) and rejects
every malformed proof (wrong length, wrong sizes, bad hashes) with :class:`ProofError`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Sequence
from hashlib import sha256

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()

#: (height, index) → hash of the perfect subtree over leaves [index·2^height, (index+1)·2^height).
NodeSource = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof does not verify, or is malformed."""


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (n ≥ 2): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """Root over a power-of-two number of hashes."""
    level = list(hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def subtree_root(lo: int, hi: int, node: NodeSource) -> bytes:
    """MTH(D[lo:hi]) for a range the RFC recursion visits (``lo`` aligned to the range's size
    rounded up to a power of two): perfect pieces come from ``node``."""
    n = hi - lo
    if n <= 0:
        raise ValueError(f"empty range [{lo}, {hi})")
    if n & (n - 1) == 0:
        height = n.bit_length() - 1
        return node(height, lo >> height)
    k = split_point(n)
    return node_hash(subtree_root(lo, lo + k, node), subtree_root(lo + k, hi, node))


def tree_root(size: int, node: NodeSource) -> bytes:
    return EMPTY_ROOT if size == 0 else subtree_root(0, size, node)


def inclusion_proof(index: int, size: int, node: NodeSource) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, from the leaf's sibling up."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is not in a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            path.append(subtree_root(lo + k, hi, node))
            hi = lo + k
        else:
            path.append(subtree_root(lo, lo + k, node))
            lo += k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, node: NodeSource) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1 (empty when the sizes are equal)."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    proof: list[bytes] = []
    m, lo, hi, complete = old_size, 0, new_size, True
    while m != hi - lo:
        k = split_point(hi - lo)
        if m <= k:
            proof.append(subtree_root(lo + k, hi, node))
            hi = lo + k
        else:
            proof.append(subtree_root(lo, lo + k, node))
            m, lo, complete = m - k, lo + k, False
    if not complete:
        proof.append(subtree_root(lo, hi, node))
    proof.reverse()
    return proof


def range_proof(begin: int, end: int, size: int, node: NodeSource) -> list[bytes]:
    """Hashes of the largest subtrees outside leaves [begin, end), in the order
    :func:`root_from_range` consumes them: with the leaves they give the root of ``size``."""
    if not 0 <= begin <= end <= size:
        raise ValueError(f"range [{begin}, {end}) is not in a tree of size {size}")
    out: list[bytes] = []

    def visit(lo: int, hi: int) -> None:
        if hi <= begin or lo >= end:
            out.append(subtree_root(lo, hi, node))
        elif not (begin <= lo and hi <= end):
            k = split_point(hi - lo)
            visit(lo, lo + k)
            visit(lo + k, hi)

    if size:
        visit(0, size)
    return out


def root_from_range(
    begin: int, end: int, size: int, leaves: Sequence[bytes], proof: Sequence[bytes]
) -> bytes:
    """The root of ``size`` from the leaf hashes of [begin, end) and their range proof."""
    if not 0 <= begin <= end <= size or len(leaves) != end - begin:
        raise ProofError(f"{len(leaves)} leaves do not fill [{begin}, {end}) of size {size}")
    if size == 0:
        if proof:
            raise ProofError("a proof for the empty tree must be empty")
        return EMPTY_ROOT
    items = iter(proof)

    def visit(lo: int, hi: int) -> bytes:
        if hi <= begin or lo >= end:
            item = next(items, None)
            if item is None or len(item) != HASH_SIZE:
                raise ProofError("range proof too short or malformed")
            return item
        if begin <= lo and hi <= end:
            return root_of(leaves[lo - begin : hi - begin])
        k = split_point(hi - lo)
        return node_hash(visit(lo, lo + k), visit(lo + k, hi))

    root = visit(0, size)
    if next(items, None) is not None:
        raise ProofError("range proof too long")
    return root


class CompactRange:
    """Leaf hashes appended one by one; the root of what was appended at any time (the
    frontier of perfect subtrees, O(log n) memory)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []

    def append(self, leaf: bytes) -> None:
        stack = self._stack
        stack.append(leaf)
        self.size += 1
        n = self.size
        while n & 1 == 0:  # merge equal-sized subtrees
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
            n >>= 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root


def root_of(leaves: Iterable[bytes]) -> bytes:
    """MTH over leaf hashes, level by level: pair neighbours, carry an odd last one up
    (the same tree as RFC 6962's split at the largest power of two)."""
    level = list(leaves)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        pairs = zip(level[::2], level[1::2], strict=False)  # an odd last one is carried
        paired = [sha256(b"\x01" + a + b).digest() for a, b in pairs]
        if len(level) & 1:
            paired.append(level[-1])
        level = paired
    return level[0]


def _hash_ok(value: bytes) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root an inclusion proof leads to."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is beyond tree size {size}")
    if not _hash_ok(leaf):
        raise ProofError("the leaf hash is not 32 bytes")
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if not _hash_ok(p):
            raise ProofError("a proof hash is not 32 bytes")
        if sn == 0:
            raise ProofError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    if not hmac.compare_digest(root_from_inclusion(index, size, leaf, proof), root):
        raise ProofError(f"inclusion proof of index {index} does not lead to the root")


def root_from_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes
) -> bytes:
    """RFC 9162 §2.1.4.2: check the proof against the old root, return the new root it
    implies. A proof from the empty tree is meaningless (every tree extends it)."""
    _check_consistency_shape(old_size, new_size, proof, old_root)
    if old_size == new_size:
        return bytes(old_root)
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof too short")
    if not hmac.compare_digest(fr, old_root):
        raise ProofError("consistency proof does not lead to the old root")
    return sr


def _check_consistency_shape(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes
) -> None:
    if old_size > new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    if old_size <= 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if not _hash_ok(old_root) or not all(_hash_ok(p) for p in proof):
        raise ProofError("a hash is not 32 bytes")
    if old_size == new_size and proof:
        raise ProofError("sizes are equal but the proof is not empty")
    if old_size < new_size and not proof:
        raise ProofError("empty consistency proof")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    implied = root_from_consistency(old_size, new_size, proof, old_root)
    if not hmac.compare_digest(implied, new_root):
        raise ProofError(f"tree of size {new_size} does not extend the tree of size {old_size}")
