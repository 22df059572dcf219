"""Every error under /api/v1/ has one shape, in Indonesian: ``{"detail": …, "errors": [{"field", "message"}]}``.

Covers the answers routes give (401, 403, 404, 422, 400) and those Django or django-ninja give before a
route runs (unknown path, wrong method, a crash), plus the OpenAPI document and the local Swagger UI.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseServerError
from django.test import RequestFactory

from k3i.api import api
from k3i.core.api_errors import ApiErrorMiddleware

ENGLISH = re.compile(r"\b(Not Found|Unauthorized|Method not allowed|Input should|Field required|Cannot parse)\b", re.I)


def structured(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"detail", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert not ENGLISH.search(body["detail"]), body["detail"]
    for e in body["errors"]:
        assert set(e) == {"field", "message"} and e["message"] and not ENGLISH.search(e["message"]), e
    return body


def operations(public: bool | None = None) -> list[tuple[str, str]]:
    """(method, concrete URL) for every operation the OpenAPI document lists, path parameters filled in.

    ``public``: only operations open to anonymous callers (no security requirement, or an empty one —
    OpenAPI's way of saying "authentication optional"), or only those that need it.
    """
    schema = api.get_openapi_schema()
    ops = []
    for path, methods in schema["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for m, op in methods.items():
            is_public = not op.get("security") or {} in op["security"]
            if public is None or public == is_public:
                ops.append((m.upper(), url))
    return sorted(ops)


def test_openapi_lists_the_organisation_routes():
    urls = {(m, u) for m, u in operations()}
    for expected in [
        ("GET", "/api/v1/polres"), ("GET", "/api/v1/polsek"), ("GET", "/api/v1/polsek/1"), ("GET", "/api/v1/pospol"),
        ("GET", "/api/v1/fungsi"), ("GET", "/api/v1/personel"), ("GET", "/api/v1/personel/1"),
        ("GET", "/api/v1/bhabinkamtibmas"), ("GET", "/api/v1/bhabinkamtibmas/gaps"), ("GET", "/api/v1/units"),
        ("GET", "/api/v1/units/1"), ("PATCH", "/api/v1/units/1"),
    ]:
        assert expected in urls


def test_every_operation_refuses_anonymous_with_401(db, client):
    assert operations(public=False)
    for method, url in operations(public=False):
        r = client.generic(method, url, data="{}", content_type="application/json")
        structured(r, 401)
    for method, url in operations(public=True):  # open by design (e.g. locate): never a 401 or a crash
        r = client.generic(method, url)
        assert r.status_code != 401 and r.status_code < 500, (method, url, r.status_code)


def test_unknown_routes_are_structured_404(world, login):
    c = login("operator")
    for method, url in [("GET", "/api/v1/tidak-ada"), ("POST", "/api/v1/tidak/ada"), ("GET", "/api/v1/polsek/1/x"),
                        ("GET", "/api/v1/polsek/"), ("GET", "/api/v1/")]:
        body = structured(c.generic(method, url), 404)
        assert body["detail"] == "Alamat API tidak dikenal."
    # outside the API, pages keep Django's own 404 page
    r = c.get("/tidak-ada-halaman")
    assert r.status_code == 404 and not r["Content-Type"].startswith("application/json")


def test_wrong_method_is_structured_405(world, login):
    c = login("admin")
    body = structured(c.delete("/api/v1/polsek"), 405)
    assert body["detail"] == "Metode HTTP ini tidak didukung untuk alamat ini."
    r = c.put(f"/api/v1/units/{world.units['reskrim'].pk}", data="{}", content_type="application/json")
    structured(r, 405)
    assert set(r["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}


def test_out_of_scope_and_missing_are_the_same_404(world, login):
    c = login("kapolsek_semarang_utara")
    other = structured(c.get(f"/api/v1/polsek/{world.polsek['semarang_tengah'].pk}"), 404)
    missing = structured(c.get("/api/v1/polsek/999999"), 404)
    assert other == missing == {"detail": "Polsek tidak ditemukan.", "errors": []}


def test_validation_errors_name_the_field(world, login):
    c = login("operator")
    body = structured(c.get("/api/v1/polsek/bukan-angka"), 422)
    assert body["errors"] == [{"field": "id", "message": "harus berupa bilangan bulat"}]
    body = structured(c.get("/api/v1/units/0"), 422)
    assert [e["field"] for e in body["errors"]] == ["id"]
    body = structured(c.get("/api/v1/personel?limit=x&pangkat=jenderal"), 422)
    assert {e["field"] for e in body["errors"]} == {"limit", "pangkat"}
    huge = "9" * 30  # larger than any database integer: refused before it reaches the database
    structured(c.get(f"/api/v1/units/{huge}"), 422)
    structured(c.get(f"/api/v1/personel?offset={huge}"), 422)


def test_bad_bodies(world, login):
    c = login("operator")
    url = f"/api/v1/units/{world.units['reskrim'].pk}"
    body = structured(c.patch(url, data="{bukan json", content_type="application/json"), 400)
    assert body["errors"] == [{"field": "body", "message": "Isi permintaan bukan JSON yang sah."}]
    structured(c.patch(url, data="[1, 2]", content_type="application/json"), 422)
    structured(c.patch(url, data='"teks"', content_type="application/json"), 422)


def test_forbidden_and_bad_token(world, login, client):
    structured(login("analis").get("/api/v1/personel"), 403)
    body = structured(client.get("/api/v1/polsek", HTTP_AUTHORIZATION="Bearer k3i_tidak_dikenal"), 401)
    assert "token" in body["detail"].lower()


@pytest.mark.parametrize("response, status", [
    (HttpResponseServerError("<h1>Server Error (500)</h1>"), 500),
    (HttpResponseNotAllowed(["GET"]), 405),
    (HttpResponse("<h1>Bad Request (400)</h1>", status=400), 400),
    (HttpResponse("Request Entity Too Large", status=413), 413),
])
def test_middleware_turns_any_non_json_error_into_the_shape(response, status):
    response["Content-Length"] = str(len(response.content))
    mw = ApiErrorMiddleware(lambda request: response)
    out = mw(RequestFactory().get("/api/v1/units"))
    body = structured(out, status)
    assert int(out["Content-Length"]) == len(out.content)
    assert body["errors"] == []


def test_middleware_leaves_pages_and_successes_alone():
    page = HttpResponseServerError("<h1>Server Error (500)</h1>")
    assert ApiErrorMiddleware(lambda r: page)(RequestFactory().get("/ops/")).content == b"<h1>Server Error (500)</h1>"
    ok = HttpResponse("<html>docs</html>")
    assert ApiErrorMiddleware(lambda r: ok)(RequestFactory().get("/api/v1/docs")).content == b"<html>docs</html>"


def test_a_crash_in_a_route_answers_json_500(world, login, monkeypatch):
    from k3i.organization import api as org_api

    def boom(*a: Any, **kw: Any) -> None:
        raise RuntimeError("uji: galat tak terduga")

    monkeypatch.setattr(org_api.selectors, "visible_polsek", boom)
    c = login("operator")
    c.raise_request_exception = False
    body = structured(c.get("/api/v1/polsek"), 500)
    assert "uji" not in body["detail"]  # no internals leak to the client


def test_the_openapi_document_has_no_duplicate_keys(db, client):
    """Swagger UI refuses a document with a repeated key ("duplicated mapping key"): e.g. a response code given
    once as an int and once as a string would both become "200" in JSON."""
    import json

    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    json.loads(r.content, object_pairs_hook=no_duplicates)


def test_openapi_and_docs_are_local_and_indonesian(db, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert "ErrorOut" in schema["components"]["schemas"]
    mine = {"organisasi", "personel", "bhabinkamtibmas", "unit patroli"}
    documented = 0
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            if not mine & set(op.get("tags", [])):
                continue
            documented += 1
            assert op.get("summary") and op.get("description"), (method, path)
            assert "401" in op["responses"], (method, path)
    assert documented >= 12
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "Swagger UI must not load from a CDN"
