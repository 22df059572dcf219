"""The pin map of /lapor/: what lapor.js needs to name places (kecamatan outlines with names, the words it
puts before a name, map.js for placing labels where they fit) — the drawing itself is checked in a browser."""

from __future__ import annotations

import json
import re

from django.test import Client


def map_page(c: Client) -> tuple[str, dict]:
    r = c.get("/lapor/")
    assert r.status_code == 200
    html = r.content.decode()
    data = re.search(r'<script id="lapor-map-data" type="application/json">(.*?)</script>', html, re.S)
    assert data, html
    return html, json.loads(data.group(1))


def test_lapor_map_has_named_areas_for_labels_and_the_pin_line(world, client):
    html, data = map_page(client)
    features = data["areas"]["features"]
    assert features and all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    names = {f["properties"]["kecamatan"] for f in features}
    assert "Semarang Tengah" in names  # the label on the map and the name after the pin
    assert data["labels"]["here"] == "Lokasi kejadian"
    assert 'data-label-kelurahan="kelurahan"' in html and 'data-label-kecamatan="Kec."' in html
    # map.js (K3iLabels: labels only where they fit) is loaded before lapor.js, both from this server
    assert html.index("k3i/map.js") < html.index("k3i/lapor.js")


def test_lapor_map_words_follow_the_language(world):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.cookies["django_language"] = "en"
    html, _ = map_page(c)
    assert 'data-label-kecamatan="Kecamatan"' in html


def test_lapor_map_has_kelurahan_outlines_with_names(world, client):
    _, data = map_page(client)
    kel = data["kelurahan"]["features"]
    assert kel and {"nama", "kecamatan"} <= set(kel[0]["properties"])
    assert any(f["properties"]["nama"] == "Miroto" and f["properties"]["kecamatan"] == "Semarang Tengah" for f in kel)
    # a changed boundary shows at the next page (the per-process copy follows the regions)
    from django.utils import timezone

    from k3i.organization.models import Region

    # test data, not a user write (an import through the action sets updated_at the same way)
    Region.objects.filter(nama="Miroto").update(nama="Miroto Baru", updated_at=timezone.now())
    _, data = map_page(client)
    assert any(f["properties"]["nama"] == "Miroto Baru" for f in data["kelurahan"]["features"])
