"""``kh-saas``: run the service and administer it.

``serve`` runs the HTTP service. The administrative commands talk to a running service over
HTTP with the platform-admin key (``--key``, ``KH_ADMIN_KEY`` or ``<data-dir>/admin.key``),
so they work the same against a local or a remote deployment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from kh_saas.audit_cli import AuditFailed, add_audit
from kh_saas.settings import Settings, SettingsError
from kh_saas.witness_cli import WitnessFailed, add_witness


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args)
    except SettingsError as exc:
        print(f"kh-saas: invalid configuration: {exc}", file=sys.stderr)
        return 2
    except (CommandFailed, AuditFailed, WitnessFailed) as exc:
        print(f"kh-saas: {exc}", file=sys.stderr)
        return 1
    return result


class CommandFailed(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kh-saas", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command")

    _add_serve(sub)
    _add_worker(sub)
    _add_projections(sub)
    _add_tenants(sub)
    _add_keys(sub)
    _add_records(sub)
    _add_demo(sub)
    add_audit(sub, _client_args, _call)
    add_witness(sub)
    return p


def _add_serve(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="interface to bind (KH_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (KH_PORT, default 8000)")
    serve.add_argument("--data-dir", type=Path, help="data directory (KH_DATA_DIR, ./.kh-data)")
    serve.add_argument(
        "--demo",
        nargs="?",
        const="quang-tri",
        metavar="SLUG",
        help="once the service is up, load a demo province (default quang-tri) if missing",
    )
    serve.add_argument(
        "--demo-households", type=int, default=20_000, help="households in the demo province"
    )
    serve.set_defaults(run=_serve)


def _add_worker(sub: Any) -> None:
    worker = sub.add_parser(
        "worker",
        help="keep every tenant's projections up to date and send its webhooks, without "
        "serving HTTP (run beside `serve` with KH_WORKERS=external, or as a spare)",
    )
    worker.add_argument("--data-dir", type=Path, help="data directory (KH_DATA_DIR)")
    worker.set_defaults(run=_worker)


def _worker(args: argparse.Namespace) -> int:
    from kh_saas.logs import configure_logging  # noqa: PLC0415
    from kh_saas.service import Service  # noqa: PLC0415

    # A worker always runs the projections, whatever KH_WORKERS says for `serve`.
    settings = Settings.from_env(data_dir=args.data_dir, workers="internal")
    configure_logging(settings.log_level, settings.log_format)

    async def run() -> None:
        service = Service(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await service.start()
        print("kh-saas worker: projections and webhooks running", file=sys.stderr, flush=True)
        try:
            await stop.wait()
        finally:
            await service.stop()

    asyncio.run(run())
    return 0


def _add_projections(sub: Any) -> None:
    projections = sub.add_parser("projections", help="read models: status and rebuild")
    psub = projections.add_subparsers(dest="projections_command", required=True)
    st = psub.add_parser("status", help="position, lag and checksum of every projection")
    st.add_argument("--tenant", help="one tenant (default: all)")
    _client_args(st)
    st.set_defaults(run=_projection_status)
    rb = psub.add_parser(
        "rebuild", help="rebuild from zero into fresh tables and swap them in (reads go on)"
    )
    rb.add_argument("--tenant", required=True)
    rb.add_argument("--projection", help="one projection (default: all)")
    _client_args(rb)
    rb.set_defaults(
        run=lambda a: _call(
            a,
            "POST",
            f"/v1/tenants/{a.tenant}/projections/rebuild",
            {"projection": a.projection} if a.projection else {},
        )
    )


def _projection_status(args: argparse.Namespace) -> int:
    if args.tenant:
        return _call(args, "GET", f"/v1/tenants/{args.tenant}/projections")
    settings = Settings.from_env(data_dir=args.data_dir)
    url = (args.url or f"http://{settings.host}:{settings.port}").rstrip("/")
    headers = {"Authorization": f"Bearer {_admin_key(args, settings)}"}
    try:
        tenants = httpx.get(url + "/v1/tenants", headers=headers, timeout=60).json()["items"]
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise CommandFailed(f"cannot list tenants at {url}: {exc}") from exc
    failed = 0
    for tenant in tenants:
        failed |= _call(args, "GET", f"/v1/tenants/{tenant['slug']}/projections")
    return failed


def _add_tenants(sub: Any) -> None:
    tenants = sub.add_parser("tenants", help="create and list province tenants")
    tsub = tenants.add_subparsers(dest="action", required=True)
    create = tsub.add_parser("create", help="provision a province")
    create.add_argument("--slug", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--province-code", required=True)
    _client_args(create)
    create.set_defaults(
        run=lambda a: _call(
            a,
            "POST",
            "/v1/tenants",
            {"slug": a.slug, "name": a.name, "province_code": a.province_code},
        )
    )
    lst = tsub.add_parser("list", help="list tenants")
    _client_args(lst)
    lst.set_defaults(run=lambda a: _call(a, "GET", "/v1/tenants"))


def _add_keys(sub: Any) -> None:
    keys = sub.add_parser("keys", help="issue, list and revoke tenant API keys")
    ksub = keys.add_subparsers(dest="action", required=True)
    kcreate = ksub.add_parser("create", help="issue a key (the secret is printed once)")
    kcreate.add_argument("--tenant", required=True)
    kcreate.add_argument("--name", required=True)
    kcreate.add_argument(
        "--role",
        required=True,
        choices=["tenant_admin", "officer", "reviewer", "signer", "auditor", "integrator"],
    )
    _client_args(kcreate)
    kcreate.set_defaults(
        run=lambda a: _call(
            a, "POST", f"/v1/tenants/{a.tenant}/api-keys", {"name": a.name, "role": a.role}
        )
    )
    klist = ksub.add_parser("list", help="list a tenant's keys")
    klist.add_argument("--tenant", required=True)
    _client_args(klist)
    klist.set_defaults(run=lambda a: _call(a, "GET", f"/v1/tenants/{a.tenant}/api-keys"))
    krevoke = ksub.add_parser("revoke", help="revoke a key")
    krevoke.add_argument("--tenant", required=True)
    krevoke.add_argument("--id", required=True)
    _client_args(krevoke)
    krevoke.set_defaults(
        run=lambda a: _call(a, "DELETE", f"/v1/tenants/{a.tenant}/api-keys/{a.id}")
    )


def _add_records(sub: Any) -> None:
    subjects = sub.add_parser("subjects", help="register subjects from a spreadsheet")
    ssub = subjects.add_subparsers(dest="action", required=True)
    imp = ssub.add_parser("import", help="register every row of a CSV/XLSX file (all or nothing)")
    imp.add_argument("--tenant", required=True)
    imp.add_argument("file", type=Path)
    _client_args(imp)
    imp.set_defaults(run=_import_subjects)

    decisions = sub.add_parser("decisions", help="record signed decisions")
    dsub = decisions.add_subparsers(dest="action", required=True)
    rec = dsub.add_parser("record", help="record a recognition decision from a JSON file")
    rec.add_argument("--tenant", required=True)
    rec.add_argument("file", type=Path)
    _client_args(rec)
    rec.set_defaults(
        run=lambda a: _call(
            a, "POST", f"/v1/t/{a.tenant}/decisions", json.loads(a.file.read_text())
        )
    )
    revoke = dsub.add_parser("revoke", help="record a revocation decision from a JSON file")
    revoke.add_argument("--tenant", required=True)
    revoke.add_argument("file", type=Path)
    _client_args(revoke)
    revoke.set_defaults(
        run=lambda a: _call(
            a, "POST", f"/v1/t/{a.tenant}/revocations", json.loads(a.file.read_text())
        )
    )


def _add_demo(sub: Any) -> None:
    demo = sub.add_parser("demo", help="load a realistic demo province into a running service")
    demo.add_argument("--tenant", default="quang-tri", help="province slug (default quang-tri)")
    demo.add_argument("--households", type=int, default=20_000)
    _client_args(demo)
    demo.set_defaults(run=_demo)


def _client_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--url",
        default=os.environ.get("KH_URL"),
        help="service URL (KH_URL, default http://KH_HOST:KH_PORT)",
    )
    p.add_argument("--key", default=None, help="API key (default: KH_ADMIN_KEY or admin.key)")
    p.add_argument("--data-dir", type=Path, help="where admin.key lives (KH_DATA_DIR)")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - only the server needs it

    from kh_saas.api.app import create_app  # noqa: PLC0415
    from kh_saas.logs import configure_logging  # noqa: PLC0415

    settings = Settings.from_env(host=args.host, port=args.port, data_dir=args.data_dir)
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    if args.demo:
        threading.Thread(
            target=_demo_when_ready,
            args=(settings, args.demo, args.demo_households),
            daemon=True,
            name="demo",
        ).start()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return 0


def _demo_when_ready(settings: Settings, slug: str, households: int) -> None:
    """The demo beside the server: its stages are log lines like the server's own, and its
    thousands of requests stay out of the INFO access log (``kh_saas.demo_output``)."""
    from kh_saas.demo import DemoError, load_demo  # noqa: PLC0415
    from kh_saas.demo_output import quiet_demo_requests, quiet_http_client  # noqa: PLC0415
    from kh_saas.logs import get_logger  # noqa: PLC0415

    log = get_logger("kh_saas.demo")
    quiet_http_client()
    demo_requests = quiet_demo_requests()

    wildcard = settings.host in ("0.0.0.0", "::")  # noqa: S104 - comparing, not binding
    url = f"http://{'127.0.0.1' if wildcard else settings.host}:{settings.port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    key = settings.admin_key or (settings.data_dir / "admin.key").read_text().strip()
    try:
        load_demo(
            url,
            key,
            slug,
            households=households,
            log=lambda line: log.info(f"demo: {line}"),
            on_key=demo_requests.actors.add,
        )
    except (DemoError, httpx.HTTPError) as exc:
        log.error(f"demo: failed: {exc}")


def _demo(args: argparse.Namespace) -> int:
    from kh_saas.demo import DemoError, load_demo  # noqa: PLC0415
    from kh_saas.demo_output import quiet_http_client  # noqa: PLC0415

    quiet_http_client()
    settings = Settings.from_env(data_dir=args.data_dir)
    url = (args.url or f"http://{settings.host}:{settings.port}").rstrip("/")
    try:
        load_demo(
            url,
            _admin_key(args, settings),
            args.tenant,
            households=args.households,
            log=lambda line: print(f"demo: {line}", flush=True),
        )
    except (DemoError, httpx.HTTPError) as exc:
        raise CommandFailed(str(exc)) from exc
    return 0


def _admin_key(args: argparse.Namespace, settings: Settings) -> str:
    if args.key:
        return str(args.key)
    if settings.admin_key:
        return settings.admin_key
    path = settings.data_dir / "admin.key"
    if path.exists():
        return path.read_text().strip()
    raise CommandFailed(
        f"no API key: pass --key, set KH_ADMIN_KEY, or start the service once to create {path}"
    )


def _import_subjects(args: argparse.Namespace) -> int:
    data = args.file.read_bytes()
    kind = "text/csv" if args.file.suffix.lower() != ".xlsx" else XLSX
    return _call(
        args, "POST", f"/v1/t/{args.tenant}/subjects/import", content=data, content_type=kind
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _call(
    args: argparse.Namespace,
    method: str,
    path: str,
    body: Any = None,
    *,
    content: bytes | None = None,
    content_type: str | None = None,
    output: Path | None = None,
) -> int:
    settings = Settings.from_env(data_dir=args.data_dir)
    url = (args.url or f"http://{settings.host}:{settings.port}").rstrip("/")
    headers = {"Authorization": f"Bearer {_admin_key(args, settings)}"}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        if output is not None and method == "GET":
            return _download(url + path, headers, output)
        response = httpx.request(
            method, url + path, json=body, content=content, headers=headers, timeout=600
        )
    except httpx.HTTPError as exc:
        raise CommandFailed(f"cannot reach {url}: {exc} (is `kh-saas serve` running?)") from exc
    if response.headers.get("content-type", "").startswith("text/plain"):
        sys.stdout.write(response.text)  # a signed note, byte for byte (keep it as is)
    elif response.content:
        try:
            print(json.dumps(response.json(), ensure_ascii=False, indent=2))
        except ValueError:
            print(response.text)
    if response.is_error:
        print(f"kh-saas: {method} {path} → {response.status_code}", file=sys.stderr)
        return 1
    return 0


def _download(url: str, headers: dict[str, str], output: Path) -> int:
    """Stream a GET into a file (exports can be large)."""
    with httpx.stream("GET", url, headers=headers, timeout=600) as response:
        if response.is_error:
            response.read()
            print(response.text, file=sys.stderr)
            return 1
        with output.open("wb") as f:
            for chunk in response.iter_bytes():
                f.write(chunk)
    print(f"kh-saas: wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
