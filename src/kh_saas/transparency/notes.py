"""C2SP ``signed-note`` and ``tlog-cosignature`` v1 (Ed25519), pure.

Formats as golang.org/x/mod/sumdb/note reads them:

* verifier key (vkey): ``<name>+<hex key id>+<base64(type || public key)>``;
* signer key: ``PRIVATE+KEY+<name>+<hex key id>+<base64(type || Ed25519 seed)>``;
* signature line: ``— <name> <base64(key id || signature)>`` after the note's blank line.

Key ids are ``SHA-256(name || 0x0A || type || public key)[:4]``; type ``0x01`` signs the note
text (the log's checkpoints), type ``0x04`` is a timestamped cosignature over
``cosignature/v1\\ntime <t>\\n`` and the text (witnesses). Verification follows the spec:
signatures of unknown keys are ignored, one known key failing rejects the note, and a note
needs at least one good signature from a known key.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass, field
from hashlib import sha256
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
SIGNATURE_DASH = "\u2014"
MAX_SIGNATURES = 100
_TYPES = {ED25519, COSIGNATURE_V1}
_NAME = re.compile(r"^[^\s+]+$")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class NoteError(ValueError):
    """Malformed note or key, or a note that does not verify."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str, what: str = "value") -> bytes:
    try:
        return base64.b64decode(text.encode(), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise NoteError(f"{what} is not base64") from exc


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise NoteError(f"key name {name!r} is empty or has a space or '+'")
    return name


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    digest = sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


class VerifierKey(NamedTuple):
    name: str
    key_id: int
    sig_type: int
    public_key: bytes

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{b64(bytes([self.sig_type]) + self.public_key)}"

    @classmethod
    def of(cls, name: str, sig_type: int, public_key: bytes) -> VerifierKey:
        check_name(name)
        return cls(name, key_id(name, sig_type, public_key), sig_type, public_key)


def parse_vkey(text: str) -> VerifierKey:
    parts = text.strip().split("+", 2)  # base64 may hold '+'; names and ids cannot
    if len(parts) != 3:
        raise NoteError("a verifier key is name+keyid+base64")
    name, hex_id, encoded = parts
    check_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise NoteError("the key id of a verifier key is 8 lowercase hex digits")
    raw = unb64(encoded, "verifier key")
    if len(raw) != 33 or raw[0] not in _TYPES:
        raise NoteError("only Ed25519 (0x01) and cosignature/v1 (0x04) keys are supported")
    key = VerifierKey.of(name, raw[0], raw[1:])
    if key.key_id != int(hex_id, 16):
        raise NoteError("the verifier key's id does not match its name and key")
    return key


@dataclass(frozen=True)
class SignerKey:
    """A private Ed25519 key with the name and type it signs under."""

    name: str
    sig_type: int
    private: Ed25519PrivateKey = field(repr=False)

    @classmethod
    def generate(cls, name: str, sig_type: int = ED25519) -> SignerKey:
        return cls(check_name(name), sig_type, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, sig_type: int, seed: bytes) -> SignerKey:
        return cls(check_name(name), sig_type, Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def seed(self) -> bytes:
        return self.private.private_bytes_raw()

    @property
    def verifier(self) -> VerifierKey:
        public = self.private.public_key().public_bytes_raw()
        return VerifierKey.of(self.name, self.sig_type, public)

    def as_cosigner(self) -> SignerKey:
        """The same key signing timestamped cosignatures (its vkey has type 0x04)."""
        return SignerKey(self.name, COSIGNATURE_V1, self.private)

    def format(self) -> str:
        raw = bytes([self.sig_type]) + self.seed
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id:08x}+{b64(raw)}"


def parse_signer_key(text: str) -> SignerKey:
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("a signer key is PRIVATE+KEY+name+keyid+base64")
    raw = unb64(parts[4], "signer key")
    if len(raw) != 33 or raw[0] not in _TYPES:
        raise NoteError("only Ed25519 signer keys are supported")
    key = SignerKey.from_seed(parts[2], raw[0], raw[1:])
    if f"{key.verifier.key_id:08x}" != parts[3]:
        raise NoteError("the signer key's id does not match its name and key")
    return key


class Signature(NamedTuple):
    name: str
    key_id: int
    signature: bytes  # after the key id

    @property
    def line(self) -> str:
        raw = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_DASH} {self.name} {b64(raw)}\n"


class Note(NamedTuple):
    text: str
    signatures: list[Signature]

    def format(self) -> str:
        return self.text + "\n" + "".join(s.line for s in self.signatures)


def check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if _CONTROL.search(text):
        raise NoteError("note text has a control character other than newline")


def parse_signature_line(line: str) -> Signature:
    if not line.startswith(SIGNATURE_DASH + " "):
        raise NoteError("a signature line starts with an em dash and a space")
    name, sep, encoded = line[2:].partition(" ")
    if not sep or " " in encoded:
        raise NoteError("a signature line is '— name base64'")
    check_name(name)
    raw = unb64(encoded, "signature")
    if len(raw) < 5:
        raise NoteError("a signature is a key id and at least one byte")
    return Signature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def parse_note(data: str | bytes) -> Note:
    """Split a signed note into its text (with its final newline) and signatures."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("a note must be UTF-8") from exc
    if _CONTROL.search(data):
        raise NoteError("a note has a control character other than newline")
    split = data.rfind("\n\n")
    if split < 0:
        raise NoteError("a note needs a blank line before its signatures")
    text, block = data[: split + 1], data[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("a note's signature block ends with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"more than {MAX_SIGNATURES} signatures")
    return Note(text, [parse_signature_line(line) for line in lines])


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def sign(text: str, signer: SignerKey, timestamp: int | None = None) -> Signature:
    """The signer's signature line for a note text; cosigners need the time (POSIX s)."""
    check_text(text)
    kid = signer.verifier.key_id
    if signer.sig_type == COSIGNATURE_V1:
        if timestamp is None or not 0 < timestamp < 2**63:
            raise ValueError("a cosignature needs a timestamp")
        sig = signer.private.sign(cosigned_message(text, timestamp))
        return Signature(signer.name, kid, struct.pack(">Q", timestamp) + sig)
    return Signature(signer.name, kid, signer.private.sign(text.encode()))


class Verified(NamedTuple):
    key: VerifierKey
    timestamp: int | None  # cosignatures only


def check_signature(text: str, signature: Signature, key: VerifierKey) -> Verified:
    """Verify one signature by a known key; :class:`NoteError` if it fails."""
    public = Ed25519PublicKey.from_public_bytes(key.public_key)
    try:
        if key.sig_type == COSIGNATURE_V1:
            if len(signature.signature) != 72:
                raise NoteError(f"cosignature of {key.name} has the wrong length")
            (timestamp,) = struct.unpack(">Q", signature.signature[:8])
            if timestamp >= 2**63:
                raise NoteError(f"cosignature of {key.name} has an impossible timestamp")
            public.verify(signature.signature[8:], cosigned_message(text, timestamp))
            return Verified(key, timestamp)
        public.verify(signature.signature, text.encode())
        return Verified(key, None)
    except InvalidSignature as exc:
        raise NoteError(f"the signature of {key.name} ({key.key_id:08x}) does not verify") from exc


def verify_note(note: Note, keys: list[VerifierKey]) -> list[Verified]:
    """Every known key's verified signature; :class:`NoteError` if a known key's signature
    fails or none of them signed."""
    by_id = {(k.name, k.key_id): k for k in keys}
    verified = [
        check_signature(note.text, s, by_id[(s.name, s.key_id)])
        for s in note.signatures
        if (s.name, s.key_id) in by_id
    ]
    if not verified:
        raise NoteError("no signature from a known key")
    return verified
