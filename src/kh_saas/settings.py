"""Service settings, parsed once from ``KH_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec

LogFormat = Literal["auto", "json", "console"]


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Typed configuration of one kh-saas process.

    Every field maps to ``KH_<FIELD NAME IN UPPER CASE>``; the CLI may override a few.
    """

    #: PostgreSQL URL of the default cluster; unset means "start the embedded server".
    database_url: str | None = None
    #: Where the embedded PostgreSQL, the admin key and the key pepper live.
    data_dir: Path = Path(".kh-data")
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8000
    #: Platform-admin key to register at start (instead of generating one).
    admin_key: str | None = None
    #: Server secret for HMAC-hashing API keys; generated once into the catalog when unset.
    key_pepper: str | None = None
    #: Write side: one psycopg pool per cluster, shared by every tenant on it.
    write_pool_max: Annotated[int, msgspec.Meta(ge=1, le=64)] = 8
    #: Read side: one asyncpg pool per cluster, shared by every tenant on it.
    read_pool_max: Annotated[int, msgspec.Meta(ge=1, le=64)] = 8
    #: More clusters, ``name=postgresql://…`` separated by ``;`` (the default one is above).
    clusters: str | None = None
    #: Cluster on which new tenants are placed.
    placement: str = "default"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: LogFormat = "auto"
    #: Largest accepted request body, in bytes (uploads may set their own).
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 2 * 1024 * 1024
    #: Longest wait to reach the database, in seconds: connecting, checking a connection out
    #: of a pool, and retrying a failed one all fit in it; past it a request answers 503.
    db_timeout: Annotated[float, msgspec.Meta(gt=0, le=300)] = 5.0
    #: Longest any one SQL statement may run, in seconds (server-side ``statement_timeout``;
    #: migrations lift it). Generous: a 50,000-recipient save is one statement.
    db_statement_timeout: Annotated[float, msgspec.Meta(gt=0)] = 120.0
    #: How long an ``Idempotency-Key`` claim lasts without renewal, in seconds. A running
    #: request renews it; a request cut by a crash is run again by a retry after it lapses.
    idempotency_lease: Annotated[float, msgspec.Meta(ge=1, le=3600)] = 10.0
    #: Failed authentications allowed per client address, and per key prefix, within
    #: ``auth_fail_window`` seconds; more answer 429. Counted per process; 0 turns it off.
    auth_fail_limit: Annotated[int, msgspec.Meta(ge=0)] = 20
    auth_fail_window: Annotated[float, msgspec.Meta(gt=0, le=86400)] = 60.0
    #: Where projections run: ``internal`` (inside ``serve``) or ``external`` (only in
    #: ``kh-saas worker`` processes).
    workers: Literal["internal", "external"] = "internal"
    #: Encrypts the transparency logs' signing keys at rest; unset, a random secret is kept
    #: in ``<data_dir>/secret.key`` (mode 0600). Every process of a deployment needs the same.
    secret_key: str | None = None
    #: Where the service is reached, without scheme: names each province's log (its origin
    #: ``<public_host>/v1/t/<slug>/audit``, fixed when the log's first key is made).
    public_host: Annotated[str, msgspec.Meta(pattern=r"^[^\s+/][^\s+]*$")] = "kh-saas.local"
    #: Base of the public links printed on certificates (QR codes of ``/verify/…``), with
    #: scheme and no trailing slash; unset, ``https://<public_host>``.
    public_url: (
        Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s/]+(/[^\s]*[^\s/])?$")] | None
    ) = None
    #: Public verification pages answered per client address within
    #: ``verify_rate_window`` seconds; more answer 429 with ``Retry-After``. 0 turns it off.
    verify_rate_limit: Annotated[int, msgspec.Meta(ge=0)] = 30
    verify_rate_window: Annotated[float, msgspec.Meta(gt=0, le=86400)] = 60.0
    #: Grow the transparency logs in this process (turn off in API-only processes once a
    #: worker does it); they also wake on each write, this is the polling backstop (s).
    audit_log: bool = True
    audit_log_poll: Annotated[float, msgspec.Meta(gt=0, le=60)] = 0.5
    #: Seconds between keep-alive comments on an idle event stream (SSE), so proxies and
    #: clients see the connection is alive.
    stream_keepalive: Annotated[float, msgspec.Meta(gt=0, le=300)] = 15.0
    #: A webhook delivery succeeds on a 2xx within this many seconds.
    webhook_timeout: Annotated[float, msgspec.Meta(gt=0, le=300)] = 15.0
    #: Delays before each retry of a failed delivery (``5s,5m,2h``: s, m, h, d or ms), each
    #: spread by ±20 % jitter; after the last one fails the endpoint is disabled.
    webhook_retry_schedule: str = "5s,5m,30m,2h,5h,10h,10h"
    #: Let webhooks reach loopback, link-local and private addresses (tests, on-premise).
    webhooks_allow_private: bool = False

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def public_base(self) -> str:
        """Where people reach the service: ``public_url``, or https on ``public_host``."""
        return self.public_url or f"https://{self.public_host}"

    def cluster_urls(self, default_url: str) -> dict[str, str]:
        """Every cluster by name; ``default`` holds the platform catalog."""
        urls = {"default": default_url}
        for item in filter(None, (part.strip() for part in (self.clusters or "").split(";"))):
            name, sep, url = item.partition("=")
            if not sep or not name.strip() or not url.strip():
                raise SettingsError(f"KH_CLUSTERS: expected name=url, got {item!r}")
            urls[name.strip()] = url.strip()
        if self.placement not in urls:
            raise SettingsError(f"KH_PLACEMENT: unknown cluster {self.placement!r}")
        return urls

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``KH_*`` variables; ``overrides`` (from CLI flags) win when not ``None``."""
        env = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for field in msgspec.structs.fields(cls):
            value = env.get(f"KH_{field.name.upper()}")
            if value is not None and value != "":
                raw[field.name] = value
        raw.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return msgspec.convert(raw, cls, strict=False, dec_hook=_decode_path)
        except msgspec.ValidationError as exc:
            raise SettingsError(_env_name(str(exc))) from exc


class SettingsError(ValueError):
    """A ``KH_*`` variable holds a value the service cannot use."""


def _decode_path(type_: type, obj: object) -> object:
    if type_ is Path and isinstance(obj, str | Path):
        return Path(obj)
    raise NotImplementedError


def _env_name(message: str) -> str:
    # "Expected `int` - at `$.port`" -> name the variable a person would set.
    if "at `$." in message:
        field = message.rsplit("at `$.", 1)[1].rstrip("`")
        return f"KH_{field.upper()}: {message.split(' - at ', maxsplit=1)[0]}"
    return message
