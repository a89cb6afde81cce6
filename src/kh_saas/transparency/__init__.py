"""The verifiable history of each province: a transparency log over its event store.

Every stored event becomes a leaf of an RFC 6962 / RFC 9162 Merkle tree (one tree per tenant,
in notification order). The tree is kept as C2SP ``tlog-tiles`` tiles, signed as C2SP
``tlog-checkpoint`` notes with the tenant's Ed25519 key, cosigned by witnesses speaking C2SP
``tlog-witness``, and proven to auditors with inclusion and consistency proofs, ``tlog-proof``
files and verifiable exports. ``docs/transparency-log.md`` is the auditor's guide.

Pure modules (no I/O): ``merkle`` (hashing and proofs), ``tiles`` (the tiled tree),
``leaf`` (what a leaf commits to), ``notes`` (signed notes, keys, cosignatures),
``checkpoint``, ``proof_format`` (tlog-proof), ``witness_protocol`` (add-checkpoint bodies),
``export_format`` and ``verifier`` (offline verification), ``replay`` (registers from raw
events). With I/O: ``sealing`` and ``keystore`` (signing keys at rest), ``store`` (the log's
tables), ``updater`` (the background task that grows the tree), ``witness_client``,
``witness_server``, ``live`` (reading a tenant's log for exports and live verification).
"""
