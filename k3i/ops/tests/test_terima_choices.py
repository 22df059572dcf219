"""The call-taker screen when a typed street runs through several kelurahan: the choices come back as a list to
pick with the keyboard (the cursor on it), the typed address is kept, and the pick saves the report there."""

from __future__ import annotations

import re

from django.urls import reverse

from k3i.core.audit import Channel
from k3i.incidents.models import Incident
from k3i.organization.streets import import_streets

MIROTO, BRUMBUNGAN, BULU_LOR = "33.74.01.1001", "33.74.01.1002", "33.74.02.1002"
STREETS = f"""nama_jalan,kode_kelurahan,catatan,jenis
Jl. Pandanaran,{MIROTO},,
Jl. Pandanaran,{BRUMBUNGAN},,
Jl. Pandanaran,{BULU_LOR},,
"""


def test_an_ambiguous_street_offers_its_kelurahan_to_pick(world, login):
    import_streets(STREETS, actor=None, channel=Channel.SYSTEM)
    c = login("operator")
    call = {"reporter_phone": "081234567890", "lokasi": "Jl. Pandanaran 12", "text": "ada tawuran pelajar",
            "idempotency_key": "k-amb"}
    r = c.post(reverse("ops:terima"), call)
    html = r.content.decode()
    assert r.status_code == 422 and not Incident.objects.exists()
    picks = re.findall(r'name="lokasi_pilih" value="([^"]+)"', html)
    assert picks == ["Brumbungan — Semarang Tengah", "Bulu Lor — Semarang Utara", "Miroto — Semarang Tengah"]
    assert re.search(r'value="Brumbungan — Semarang Tengah" checked autofocus', html)  # the cursor is on the list
    assert 'inputmode="tel" autofocus' not in html
    assert 'name="lokasi_untuk" value="Jl. Pandanaran 12"' in html

    r = c.post(reverse("ops:terima"), {**call, "lokasi_untuk": "Jl. Pandanaran 12",
                                       "lokasi_pilih": "Bulu Lor — Semarang Utara"})
    assert r.status_code == 302, r.content.decode()[:500]
    incident = Incident.objects.get()
    assert incident.kelurahan == world.kelurahan["Bulu Lor"] and incident.polsek == world.polsek["semarang_utara"]
    assert incident.alamat == "Jl. Pandanaran 12"


def test_a_pick_made_for_another_text_is_not_used(world, login):
    import_streets(STREETS, actor=None, channel=Channel.SYSTEM)
    c = login("operator")
    # the call-taker picked for "Jl. Pandanaran 12", then typed another place: the old pick does not apply
    r = c.post(reverse("ops:terima"), {"lokasi": "Brumbungan", "text": "ada tawuran pelajar", "idempotency_key": "k-2",
                                       "lokasi_untuk": "Jl. Pandanaran 12", "lokasi_pilih": "Bulu Lor — Semarang Utara"})
    assert r.status_code == 302
    assert Incident.objects.get().kelurahan == world.kelurahan["Brumbungan"]


def test_the_cursor_goes_to_the_first_field_in_error(world, login):
    r = login("operator").post(reverse("ops:terima"), {"lokasi": "Miroto", "text": "", "idempotency_key": "k-3"})
    html = r.content.decode()
    assert r.status_code == 422 and re.search(r'<textarea id="f-text"[^>]* autofocus', html)
    assert 'inputmode="tel" autofocus' not in html
