"""The 110 call-taker screen (``/ops/terima``) finding the kelurahan from a street or place of the street table."""

from __future__ import annotations

import pytest
from django.urls import reverse

from k3i.core.audit import Channel
from k3i.incidents.models import Incident
from k3i.organization.streets import import_streets

MIROTO, BRUMBUNGAN, BULU_LOR = "33.74.01.1001", "33.74.01.1002", "33.74.02.1002"


@pytest.fixture
def streets(world):  # type: ignore[no-untyped-def]
    import_streets(
        f"Jl. Pemuda,{MIROTO}\nJl. Pandanaran,{MIROTO}\nJl. Pandanaran,{BRUMBUNGAN}\nJl. Pandanaran,{BULU_LOR}\n"
        f"Simpang Lima,{BRUMBUNGAN},,tempat\n",
        actor=None, channel=Channel.SYSTEM,
    )
    return world


def test_a_street_in_one_kelurahan_resolves(streets, login):
    c = login("operator")
    before = c.post(reverse("ops:terima"), {"lokasi": "Jl. Sriwijaya 5", "text": "ada maling masuk rumah"})
    assert before.status_code == 422 and "Kelurahan tidak dikenali" in before.content.decode()  # not in the table
    r = c.post(reverse("ops:terima"), {"lokasi": "Jl. Pemuda 12", "text": "ada maling masuk rumah"})
    assert r.status_code == 302, r.content.decode()[:2000]
    incident = Incident.objects.get()
    assert (incident.kelurahan, incident.polsek, incident.alamat) == (
        streets.kelurahan["Miroto"], streets.polsek["semarang_tengah"], "Jl. Pemuda 12")
    assert incident.location_confirmed


def test_a_street_through_several_kelurahan_offers_them_as_choices(streets, login):
    c = login("operator")
    r = c.post(reverse("ops:terima"), {"lokasi": "Jl. Pandanaran 12", "text": "kebakaran rumah"})
    html = r.content.decode()
    assert r.status_code == 422 and not Incident.objects.exists()
    assert "Brumbungan — Semarang Tengah, Bulu Lor — Semarang Utara, Miroto — Semarang Tengah" in html
    # the call-taker adds the kelurahan from the list (or a place on the street): now it resolves
    r = c.post(reverse("ops:terima"), {"lokasi": "Jl. Pandanaran 12, Bulu Lor — Semarang Utara",
                                       "text": "kebakaran rumah"})
    assert r.status_code == 302
    assert Incident.objects.get().kelurahan == streets.kelurahan["Bulu Lor"]
    r = c.post(reverse("ops:terima"), {"lokasi": "Jl. Pandanaran dekat Simpang Lima", "text": "kebakaran toko"})
    assert r.status_code == 302
    incident = Incident.objects.order_by("-pk").first()
    assert incident is not None and incident.kelurahan == streets.kelurahan["Brumbungan"]
    assert incident.alamat == "Jl. Pandanaran dekat Simpang Lima"
