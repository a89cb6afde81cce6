"""Secrets and signatures of Standard Webhooks 1.0 (chữ ký), with the ``standardwebhooks``
package: ``webhook-signature`` is ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, one per
valid secret, space-separated (both while a rotated-out secret is still valid)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """``whsec_`` and 32 random bytes in base64 (the spec asks for 24–64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def headers(
    msg_id: str, body: bytes, secrets_: Iterable[str], at: datetime | None = None
) -> dict[str, str]:
    """The three headers of one attempt: its id, this attempt's time, every signature."""
    when = (at or datetime.now(UTC)).astimezone(UTC)
    text = body.decode()
    signatures = [Webhook(s).sign(msg_id, when, text) for s in secrets_]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
