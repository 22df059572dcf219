"""The incident page warns when the written address names another kelurahan than the one the incident is
located in (a pin dropped far from the street typed), so the desk checks with the reporter."""

from __future__ import annotations

from django.urls import reverse

from k3i.core.audit import Channel
from k3i.incidents.actions import create_incident
from k3i.organization.streets import import_streets

STREETS = """nama_jalan,kode_kelurahan,catatan,jenis
Jl. Raya Kaligawe,33.74.02.1002,,
Jl. Pemuda,33.74.01.1001,,
"""


def report(world, alamat: str):
    incident, _ = create_incident(None, polres=world.polres, channel="web", text="motor saya dicuri",
                                  lat=-6.98, lon=110.41, alamat=alamat, audit_channel=Channel.WEB)  # pin in Miroto
    return incident


def page(login, incident) -> str:
    return login("operator").get(reverse("ops:kejadian", args=[incident.pk])).content.decode()


def test_an_address_naming_another_kelurahan_is_flagged(world, login):
    import_streets(STREETS, actor=None, channel=Channel.SYSTEM)
    incident = report(world, "Jl. Raya Kaligawe 5")
    assert incident.kelurahan == world.kelurahan["Miroto"]
    html = page(login, incident)
    assert "data-address-elsewhere" in html
    assert "menunjuk kelurahan <strong>Bulu Lor</strong>" in html and "tercatat di <strong>Miroto</strong>" in html


def test_an_address_in_the_same_kelurahan_or_naming_none_is_quiet(world, login):
    import_streets(STREETS, actor=None, channel=Channel.SYSTEM)
    assert "data-address-elsewhere" not in page(login, report(world, "Jl. Pemuda 12"))
    assert "data-address-elsewhere" not in page(login, report(world, "depan warung bu sri"))
