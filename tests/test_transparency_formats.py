"""C2SP formats: signed notes and keys (against the spec's and Go sumdb/note's examples),
cosignatures, checkpoints, tlog-proof files, add-checkpoint bodies and leaf entries."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from hashlib import sha256
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from kh_saas.transparency.checkpoint import Checkpoint, parse_checkpoint
from kh_saas.transparency.leaf import (
    entries_of,
    leaf_entry,
    pack_bundle,
    parse_leaf_entry,
    recorded_of,
    unpack_bundle,
)
from kh_saas.transparency.merkle import EMPTY_ROOT, leaf_hash
from kh_saas.transparency.notes import (
    COSIGNATURE_V1,
    ED25519,
    Note,
    NoteError,
    SignerKey,
    VerifierKey,
    parse_note,
    parse_signer_key,
    parse_vkey,
    sign,
    verify_note,
)
from kh_saas.transparency.proof_format import TlogProof, parse_tlog_proof
from kh_saas.transparency.witness_protocol import AddCheckpoint, parse_add_checkpoint

# C2SP signed-note, "Verifier keys" example.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXm"
    "RKuwHjG1Yu72IneyaQM=\n"
)
# golang.org/x/mod/sumdb/note's documented example key and signed note.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngot"
    "pRZb6KE6RyyBwJnAM=\n"
)


def test_the_spec_example_note_verifies() -> None:
    key = parse_vkey(SPEC_VKEY)
    assert (key.name, f"{key.key_id:08x}", key.sig_type) == ("example.com/foo", "530d903a", 1)
    note = parse_note(SPEC_NOTE)
    assert note.text == "This is an example message.\n"
    assert [v.key for v in verify_note(note, [key])] == [key]
    assert note.format() == SPEC_NOTE


def test_go_sumdb_note_keys_and_signature_byte_for_byte() -> None:
    signer = parse_signer_key(GO_SKEY)
    assert signer.format() == GO_SKEY
    assert signer.verifier.vkey == GO_VKEY
    assert sign(GO_TEXT, signer).line == GO_SIG  # Ed25519 is deterministic
    verify_note(parse_note(GO_TEXT + "\n" + GO_SIG), [parse_vkey(GO_VKEY)])


def test_verification_semantics() -> None:
    go, spec = parse_vkey(GO_VKEY), parse_vkey(SPEC_VKEY)
    note = parse_note(GO_TEXT + "\n" + GO_SIG)
    with pytest.raises(NoteError, match="no signature from a known key"):
        verify_note(note, [spec])  # unknown keys are ignored; none known is a failure
    tampered = parse_note(GO_TEXT.replace("problem,", "problem!") + "\n" + GO_SIG)
    with pytest.raises(NoteError, match="does not verify"):
        verify_note(tampered, [go])
    # Same name, another key id: ignored (not a failure), the good signature still counts.
    other = SignerKey.generate("PeterNeumann")
    both = Note(GO_TEXT, [*note.signatures, sign(GO_TEXT, other)])
    assert [v.key for v in verify_note(both, [go])] == [go]
    # A known key whose signature fails rejects the note, even beside a good one.
    forged = note.signatures[0]._replace(signature=bytes(64))
    with pytest.raises(NoteError):
        verify_note(Note(GO_TEXT, [note.signatures[0], forged]), [go])


@pytest.mark.parametrize(
    "bad",
    [
        "no blank line\n— PeterNeumann AAAA\n",
        GO_TEXT + "\n" + GO_SIG.replace("— ", "- "),
        GO_TEXT + "\n" + GO_SIG.rstrip("\n"),
        GO_TEXT.replace("\n", "\r\n") + "\n" + GO_SIG,
        GO_TEXT + "\n" + "— Peter Neumann x08go/ZJkuBS9UG\n",
        GO_TEXT + "\n" + "— PeterNeumann !!!\n",
        GO_TEXT + "\n" + "— PeterNeumann AAAA\n",  # shorter than a key id and a byte
    ],
)
def test_malformed_notes_are_refused(bad: str) -> None:
    with pytest.raises(NoteError):
        parse_note(bad)


@pytest.mark.parametrize(
    "bad",
    [
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong id
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",  # bad base64
        "example.com/foo+530d903a",
        "exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    ],
)
def test_malformed_vkeys_are_refused(bad: str) -> None:
    with pytest.raises(NoteError):
        parse_vkey(bad)


def test_cosignature_v1_signs_the_documented_message() -> None:
    witness = SignerKey.generate("witness.example/w1").as_cosigner()
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    line = sign(body, witness, timestamp=1679315147)
    raw = base64.b64decode(line.line.split(" ")[2])
    public = witness.private.public_key().public_bytes_raw()
    # Key id with type 0x04, then the big-endian timestamp, then the signature over the
    # spec's message: header line, time line, the checkpoint body.
    assert raw[:4] == sha256(b"witness.example/w1\n\x04" + public).digest()[:4]
    assert int.from_bytes(raw[4:12], "big") == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + body.encode()
    Ed25519PublicKey.from_public_bytes(public).verify(raw[12:], message)
    vkey = witness.verifier
    assert vkey.sig_type == COSIGNATURE_V1 and parse_vkey(vkey.vkey) == vkey
    [verified] = verify_note(Note(body, [line]), [vkey])
    assert verified.timestamp == 1679315147
    other_body = body.replace("20852163", "20852164")
    with pytest.raises(NoteError):  # a cosignature over a different checkpoint
        verify_note(Note(other_body, [line]), [vkey])
    # The same key as a plain Ed25519 note key has another key id: it does not match.
    plain = VerifierKey.of("witness.example/w1", ED25519, public)
    with pytest.raises(NoteError, match="no signature from a known key"):
        verify_note(Note(body, [line]), [plain])


def test_checkpoints() -> None:
    cp = Checkpoint("kh-saas.local/v1/t/quang-tri/audit", 20852163, EMPTY_ROOT)
    text = cp.body()
    assert text == (
        "kh-saas.local/v1/t/quang-tri/audit\n20852163\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    )
    assert parse_checkpoint(text) == cp
    for bad in [
        "origin\n012\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSu==\n",
        "origin\n12\n",
        "\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
    ]:
        with pytest.raises(NoteError):
            parse_checkpoint(bad)


def test_tlog_proof_files_round_trip() -> None:
    note = "origin\n3\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— origin AAAAAAAA\n"
    proof = TlogProof(2, [EMPTY_ROOT, leaf_hash(b"")], note, extra=b'{"a":1}')
    text = proof.format()
    assert text.startswith("c2sp.org/tlog-proof@v1\nextra eyJhIjoxfQ==\nindex 2\n47DEQ")
    assert parse_tlog_proof(text) == proof
    assert parse_tlog_proof(proof._replace(extra=None).format()).extra is None
    for bad in [text.replace("index 2", "index 02"), text.replace("@v1", "@v2"), "x"]:
        with pytest.raises(NoteError):
            parse_tlog_proof(bad)


def test_add_checkpoint_bodies() -> None:
    note = "origin\n3\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— origin AAAAAAAA\n"
    body = AddCheckpoint(2, [EMPTY_ROOT], note).format()
    assert body == "old 2\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n" + note
    assert parse_add_checkpoint(body) == AddCheckpoint(2, [EMPTY_ROOT], note)
    assert parse_add_checkpoint("old 0\n\n" + note).proof == []
    too_long = "old 2\n" + "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n" * 64 + "\n" + note
    for bad in ["old 02\n\n" + note, "new 2\n\n" + note, "old 2\n" + note, too_long]:
        with pytest.raises(NoteError):
            parse_add_checkpoint(bad)


STATE = b'{"timestamp":"2025-12-02T03:14:15.926535Z","originator_topic":"x","year":2025}'
ORIGINATOR = UUID("5b1f0c3e-8a4d-5e2b-9f6a-1c2d3e4f5a6b")


def test_leaf_entry_commits_to_the_event_and_a_digest_of_its_state() -> None:
    entry = leaf_entry(4217, ORIGINATOR, 1, "kh_saas.domain.recognitions:Recognition.Granted",
                       STATE)  # fmt: skip
    assert entry == (
        b"kh-saas/event/v1\n"
        b"position 4217\n"
        b"originator 5b1f0c3e-8a4d-5e2b-9f6a-1c2d3e4f5a6b\n"
        b"version 1\n"
        b"recorded 2025-12-02T03:14:15.926535Z\n"
        b"state sha256:" + sha256(STATE).hexdigest().encode() + b"\n"
        b"topic kh_saas.domain.recognitions:Recognition.Granted\n"
    )
    parsed = parse_leaf_entry(entry)
    assert parsed.position == 4217 and parsed.state_sha256 == sha256(STATE).digest()
    assert leaf_hash(entry) == sha256(b"\x00" + entry).digest()


@pytest.mark.parametrize(
    ("state", "recorded"),
    [
        (STATE, "2025-12-02T03:14:15.926535Z"),
        (b'{"timestamp":"2025-12-02T03:14:15Z","a":1}', "2025-12-02T03:14:15.000000Z"),
        (b'{"a":1,"timestamp":"2025-12-02T10:14:15.5+07:00"}', "2025-12-02T03:14:15.500000Z"),
        (b'{ "timestamp" : "2025-12-02T03:14:15.926535Z" }', "2025-12-02T03:14:15.926535Z"),
        (b'{"timestamp":"2025-12-02T03:14:15"}', "unknown"),  # no offset: not a recorded time
        (b'{"timestamp":17}', "unknown"),
        (b"[1,2]", "unknown"),
        (b"\xff\xfe", "unknown"),
        (b"", "unknown"),
        (None, "unknown"),
    ],
)
def test_recorded_time_of_a_state(state: bytes | None, recorded: str) -> None:
    assert recorded_of(state) == recorded


@given(
    st.integers(0, 2**62),
    st.uuids(),
    st.integers(1, 10**6),
    st.one_of(st.none(), st.text(max_size=60)),
    st.one_of(
        st.none(),
        st.binary(max_size=80),
        st.datetimes(timezones=st.just(UTC)).map(
            lambda d: b'{"timestamp":"%s","x":1}' % d.isoformat().replace("+00:00", "Z").encode()
        ),
        st.datetimes(timezones=st.just(timezone(timedelta(hours=7)))).map(
            lambda d: b'{"timestamp":"%s"}' % d.isoformat().encode()
        ),
    ),
)
def test_the_fast_path_agrees_with_the_definition(
    position: int, originator: UUID, version: int, topic: str | None, state: bytes | None
) -> None:
    entries, hashes = entries_of([(position, originator, version, topic, state)])
    by_definition = (
        f"kh-saas/event/v1\nposition {position}\noriginator {originator}\nversion {version}\n"
        f"recorded {recorded_of(state)}\nstate sha256:{sha256(state or b'').hexdigest()}\n"
        f"topic {topic or ''}\n"
    ).encode()
    assert entries == [by_definition]
    assert leaf_entry(position, originator, version, topic, state) == by_definition
    assert hashes == [leaf_hash(entries[0])]
    parsed = parse_leaf_entry(entries[0])
    assert (parsed.position, parsed.originator_id, parsed.topic) == (
        position, str(originator), topic or "",
    )  # fmt: skip
    if parsed.recorded != "unknown":
        assert datetime.fromisoformat(parsed.recorded).tzinfo is not None


def test_entry_bundles() -> None:
    entries = [b"a", b"", b"x" * 300]
    bundle = pack_bundle(entries)
    assert bundle[:3] == b"\x00\x01a" and bundle[3:5] == b"\x00\x00"
    assert unpack_bundle(bundle) == entries
    with pytest.raises(ValueError):
        unpack_bundle(bundle[:-1])
