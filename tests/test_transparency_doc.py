"""The worked example of docs/transparency-log.md is true: every hash, key, signature and
proof it shows is recomputed here with the service's own code (and a shell's view of it)."""

from __future__ import annotations

import base64
import shutil
import subprocess
from hashlib import sha256
from pathlib import Path
from uuid import UUID

import msgspec
import pytest

from kh_saas.transparency.checkpoint import Checkpoint
from kh_saas.transparency.leaf import leaf_entry
from kh_saas.transparency.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from kh_saas.transparency.notes import ED25519, Note, SignerKey, sign
from kh_saas.transparency.proof_format import TlogProof

DOC = (Path(__file__).parent.parent / "docs" / "transparency-log.md").read_text()
ORIGIN = "kh-saas.local/v1/t/quang-tri/audit"


def uid(label: str) -> UUID:
    return UUID(bytes=sha256(label.encode()).digest()[:16], version=5)


RECOGNITION = (
    b'{"timestamp":"2025-12-02T03:14:15.926535Z","originator_topic":"kh_saas.domain.recognitions:'
    b'Recognition","subject_id":"x","title":"learning_household","year":2025,"actor":"signer:3"}'
)
EVENTS = [
    (1, uid("province"), 1, "kh_saas.domain.province:Province.Provisioned",
     '{"timestamp":"2025-11-03T01:00:00.000001Z","originator_topic":"kh_saas.domain.province:'
     'Province","province_code":"44","name":"Quảng Trị","slug":"quang-tri",'
     '"actor":"platform_admin:1"}'.encode()),
    (2, uid("household"), 1, "kh_saas.domain.subjects:Subject.Registered",
     '{"timestamp":"2025-11-20T02:30:00.250000Z","originator_topic":"kh_saas.domain.subjects:'
     'Subject","kind":"household","name":"Hộ ông Lê Văn Tám","commune_code":"19483",'
     '"village_code":null,"ref":"HB-1","details":{},"actor":"officer:2"}'.encode()),
    (3, uid("decision"), 1, "kh_saas.domain.recognitions:RecognitionDecision.Recorded",
     '{"timestamp":"2025-12-02T03:14:15.926535Z","number":"101/QĐ-UBND",'
     '"actor":"signer:3"}'.encode()),
    (5, uid("recognition"), 1, "kh_saas.domain.recognitions:Recognition.Granted", RECOGNITION),
    (6, uid("recognition"), 2, "kh_saas.domain.recognitions:Recognition.Revoked",
     '{"timestamp":"2026-03-05T08:00:00.000000Z","number":"9/QĐ-UBND",'
     '"reason":"standard_not_met","actor":"signer:3"}'.encode()),
]  # fmt: skip
LOG = SignerKey.from_seed(ORIGIN, ED25519, sha256(b"kh-saas worked example log key").digest())
WITNESS = SignerKey.from_seed(
    "thanhtra.quangtri.gov.vn/witness", ED25519,
    sha256(b"kh-saas worked example witness key").digest(),
).as_cosigner()  # fmt: skip


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def in_doc(*values: str) -> None:
    for value in values:
        assert value in DOC, f"{value!r} is not in the document"


def test_the_worked_example_is_what_the_code_computes() -> None:
    entries = [leaf_entry(*e) for e in EVENTS]
    leaves = [leaf_hash(x) for x in entries]
    in_doc(RECOGNITION.decode(), sha256(RECOGNITION).hexdigest())
    assert entries[3].decode().encode("unicode_escape").decode() in DOC.replace("\\n'", "\\n")
    in_doc(*(h.hex() for h in leaves))
    n01, n23 = node_hash(leaves[0], leaves[1]), node_hash(leaves[2], leaves[3])
    n0123 = node_hash(n01, n23)
    root5, root3 = node_hash(n0123, leaves[4]), node_hash(n01, leaves[2])
    assert root_of(leaves) == root5 and root_of(leaves[:3]) == root3
    in_doc(n01.hex(), n23.hex(), n0123.hex(), root5.hex(), b64(root5), root3.hex(), b64(root3))

    def node(height: int, index: int) -> bytes:
        return root_of(leaves[index << height : (index + 1) << height])

    path = inclusion_proof(3, 5, node)
    assert path == [leaves[2], n01, leaves[4]]
    verify_inclusion(3, 5, leaves[3], path, root5)
    in_doc(*(b64(h) for h in path))
    assert consistency_proof(3, 5, node) == [leaves[2], leaves[3], n01, leaves[4]]
    verify_consistency(3, 5, consistency_proof(3, 5, node), root3, root5)

    body = Checkpoint(ORIGIN, 5, root5).body()
    note = Note(body, [sign(body, LOG)]).format() + sign(body, WITNESS, 1764645300).line
    in_doc(LOG.verifier.vkey, WITNESS.verifier.vkey, note)
    extra = {"position": 5, "originator_id": str(EVENTS[3][1]), "originator_version": 1,
             "topic": EVENTS[3][3], "state": b64(RECOGNITION), "entry": entries[3].decode()}
    proof = TlogProof(3, path, note, msgspec.json.encode(extra)).format()  # fmt: skip
    assert proof.startswith("c2sp.org/tlog-proof@v1\nextra ")


@pytest.mark.skipif(shutil.which("xxd") is None or shutil.which("sha256sum") is None,
                    reason="the document's recipe needs xxd and sha256sum")  # fmt: skip
def test_the_shell_commands_give_the_same_hashes(tmp_path: Path) -> None:
    """The document's `printf … | sha256sum` recipes, run by a shell."""
    entry = leaf_entry(*EVENTS[3])
    (tmp_path / "entry3").write_bytes(entry)
    leaf = subprocess.run(
        "(printf '\\000'; cat entry3) | sha256sum", shell=True, cwd=tmp_path,
        capture_output=True, text=True, check=True,
    ).stdout.split()[0]  # fmt: skip
    assert leaf == leaf_hash(entry).hex()
    left, right = leaf_hash(leaf_entry(*EVENTS[0])), leaf_hash(leaf_entry(*EVENTS[1]))
    script = (
        "node() { (printf '\\001'; printf '%s%s' \"$1\" \"$2\" | xxd -r -p) | sha256sum; }; "
        f"node {left.hex()} {right.hex()}"
    )
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == node_hash(left, right).hex()
