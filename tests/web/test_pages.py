"""Server-rendered pages: home, modules, comune page, languages, security headers."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from prossima.web.modules import MODULES


def test_home_in_italian_by_default(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="it">' in html
    assert "Trova un comune" in html
    assert "330 comuni caricati" in html
    assert "1 comune caricato" not in html


def test_browser_language_does_not_override_italian(client: Any) -> None:
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert '<html lang="it">' in html


def test_english_after_switching_language(client: Any) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Find a comune" in html


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.slug)
def test_module_pages_say_plainly_what_is_built(client: Any, module: Any) -> None:
    response = client.get(reverse("web:module", args=[module.slug]))
    if module.built:
        assert response.status_code == 302
        assert response["Location"] == reverse(module.url_name)
    else:
        assert response.status_code == 200
        assert "Non ancora disponibile" in response.content.decode()


def test_unknown_module_is_404(client: Any) -> None:
    assert client.get("/modules/astrology/").status_code == 404


def test_comune_page(client: Any) -> None:
    response = client.get("/comuni/037006/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="comune-map"' in html
    assert "/api/comuni/037006/boundary" in html
    assert "387.971 residenti al 1° gennaio 2023" in html
    assert "<svg" in html
    assert "Piramide della popolazione" in html
    assert "Openpolis" in html
    assert client.get("/comuni/999999/").status_code == 404


def test_search_page_and_htmx_fragment(client: Any) -> None:
    full = client.get("/comuni/", {"q": "imola"})
    assert b"<html" in full.content
    assert b"Imola" in full.content
    fragment = client.get("/comuni/", {"q": "imola"}, headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content
    assert b"Imola" in fragment.content
    none = client.get("/comuni/", {"q": "zzzz"})
    assert "Nessun comune corrisponde" in none.content.decode()


def test_security_headers(client: Any) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'self'" in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts_or_cdn(client: Any) -> None:
    for url in ("/", "/comuni/037006/", "/about/", "/accounts/login/", "/accounts/register/"):
        html = client.get(url).content.decode()
        for chunk in html.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), f"inline script on {url}"
        assert "cdn." not in html, url
        assert "unpkg" not in html, url


def test_vendored_assets_are_served(client: Any) -> None:
    for path in (
        "/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css",
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/htmx/htmx.min.js",
        "/static/prossima/app.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
