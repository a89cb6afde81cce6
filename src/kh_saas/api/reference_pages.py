"""The API reference pages, Scalar at ``/schema`` and Swagger UI at ``/schema/swagger``,
working without internet.

Litestar's render plugins load their scripts from CDNs (Scalar even at ``@latest``), so an
offline officer saw a blank page. Every script, stylesheet and icon here is a pinned copy
served by the app under ``/schema/assets/``: Swagger UI from the ``swagger-ui-bundle-v2``
package, Scalar from package data (``reference_assets/README.md`` says where from and how
to move to a newer release).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Router, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import (
    OpenAPIRenderPlugin,
    ScalarRenderPlugin,
    SwaggerRenderPlugin,
)
from litestar.params import FromPath
from litestar.response import File
from swagger_ui_bundle import swagger_ui_path

from kh_saas.api.auth import public

SCALAR_VERSION = "1.76.0"
SWAGGER_UI_VERSION = Path(swagger_ui_path).name.removeprefix("swagger-ui-")
ASSETS = "/schema/assets"
_OURS = Path(__file__).parent / "reference_assets"
_SWAGGER = Path(swagger_ui_path)
_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"


@dataclass(frozen=True)
class _Asset:
    file: Path
    media_type: str


# An allow-list, not a directory: nothing else of either folder is reachable. Names carry
# the version, so a browser never keeps an old copy after an upgrade.
_ASSETS = {
    f"scalar-{SCALAR_VERSION}.js": _Asset(_OURS / f"scalar-api-reference-{SCALAR_VERSION}.js", _JS),
    "scalar-theme.css": _Asset(_OURS / "scalar-theme.css", _CSS),
    f"swagger-ui-{SWAGGER_UI_VERSION}.js": _Asset(_SWAGGER / "swagger-ui-bundle.js", _JS),
    f"swagger-ui-preset-{SWAGGER_UI_VERSION}.js": _Asset(
        _SWAGGER / "swagger-ui-standalone-preset.js", _JS
    ),
    f"swagger-ui-{SWAGGER_UI_VERSION}.css": _Asset(_SWAGGER / "swagger-ui.css", _CSS),
    "favicon.svg": _Asset(_OURS / "favicon.svg", "image/svg+xml"),
}


@get(
    "/assets/{name:str}",
    opt=public(),
    include_in_schema=False,
    cache_control=CacheControlHeader(max_age=86_400, public=True),
    sync_to_thread=False,
)
def reference_asset(name: FromPath[str]) -> File:
    asset = _ASSETS.get(name)
    if asset is None:
        raise NotFoundException(f"No asset {name!r}.")
    return File(asset.file, media_type=asset.media_type, content_disposition_type="inline")


class _OfflineScalar(ScalarRenderPlugin):
    """Scalar, the default page; it also brings the route that serves every page's assets."""

    def receive_router(self, router: Router) -> None:
        router.register(reference_asset)


def render_plugins() -> list[OpenAPIRenderPlugin]:
    favicon = f"<link rel='icon' type='image/svg+xml' href='{ASSETS}/favicon.svg'>"
    scalar_options: dict[str, Any] = {
        "withDefaultFonts": False,  # else it fetches its fonts from its own CDN
        "telemetry": False,
        "showDeveloperTools": "never",
        "agent": {"disabled": True},  # "Ask AI" talks to Scalar's servers
    }
    return [
        _OfflineScalar(
            js_url=f"{ASSETS}/scalar-{SCALAR_VERSION}.js",
            css_url=f"{ASSETS}/scalar-theme.css",
            favicon=favicon,
            options=scalar_options,
        ),
        SwaggerRenderPlugin(
            path="/swagger",
            js_url=f"{ASSETS}/swagger-ui-{SWAGGER_UI_VERSION}.js",
            standalone_preset_js_url=f"{ASSETS}/swagger-ui-preset-{SWAGGER_UI_VERSION}.js",
            css_url=f"{ASSETS}/swagger-ui-{SWAGGER_UI_VERSION}.css",
            favicon=favicon,
        ),
    ]


__all__ = ["ASSETS", "SCALAR_VERSION", "SWAGGER_UI_VERSION", "render_plugins"]
