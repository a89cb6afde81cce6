"""The API reference pages work without internet: every script, stylesheet and icon they
load is served by the service itself, from pinned copies."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

PAGES = {
    "/schema": "Scalar",
    "/schema/scalar": "Scalar",
    "/schema/swagger": "Swagger UI",
}


class _Resources(HTMLParser):
    """Collects what a browser would fetch: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []  # (tag, rel, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("src"):
            self.found.append((tag, "", a["src"]))
        elif tag == "link" and a.get("href"):
            self.found.append((tag, a.get("rel", ""), a["href"]))
        elif tag == "img" and a.get("src"):
            self.found.append((tag, "", a["src"]))


def _expected_type(tag: str, rel: str) -> str:
    if tag == "script":
        return "text/javascript"
    if "stylesheet" in rel:
        return "text/css"
    return "image/"


@pytest.mark.parametrize("page", PAGES)
async def test_reference_page_loads_only_what_the_service_serves(
    client: httpx.AsyncClient, page: str
) -> None:
    r = await client.get(page, headers={"Authorization": ""})  # no key needed to read docs
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    parser = _Resources()
    parser.feed(r.text)
    tags = {tag for tag, _, _ in parser.found}
    assert "script" in tags, parser.found
    assert any("stylesheet" in rel for _, rel, _ in parser.found), parser.found
    for tag, rel, url in parser.found:
        absolute = urlsplit(urljoin(str(r.url), url))
        assert (absolute.scheme, absolute.netloc) == ("http", "kh.test"), f"{url} is off-host"
        asset = await client.get(absolute.path, headers={"Authorization": ""})
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(_expected_type(tag, rel)), (
            url,
            asset.headers["content-type"],
        )
        assert len(asset.content) > 100, url
    scripts = [(await client.get(url)).text for tag, _, url in parser.found if tag == "script"]
    if PAGES[page] == "Swagger UI":
        assert any("SwaggerUIBundle" in s for s in scripts)
    else:
        assert any("createApiReference" in s for s in scripts)
        # Scalar loads its fonts from its own CDN unless told not to.
        assert '"withDefaultFonts":false' in r.text


async def test_unknown_asset_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/assets/..%2F..%2Fpyproject.toml")
    assert r.status_code == 404
    assert (await client.get("/schema/assets/nothing.js")).status_code == 404
