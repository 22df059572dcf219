"""The incident page's timeline names who acted by rank and name (the personel record), not by username."""

from __future__ import annotations

from django.urls import reverse

from k3i.core.audit import Channel
from k3i.dispatch.actions import advance_assignment, dispatch_unit, sign_on
from k3i.dispatch.tests.helpers import make_incident


def test_timeline_lines_name_the_officer_by_rank_and_name(world, login):
    incident = make_incident(world)
    unit, officer = world.units["semarang_tengah"], world.user("anggota_semarang_tengah")
    sign_on(officer, unit, channel=Channel.WEB)
    a = dispatch_unit(world.user("operator"), incident, unit, channel=Channel.WEB)
    advance_assignment(officer, a, "menuju", channel=Channel.WEB)

    html = login("kapolsek_semarang_tengah").get(reverse("ops:kejadian", args=[incident.pk])).content.decode()
    assert '<span class="muted small" title="anggota_semarang_tengah">· Bripka Anggota Semarang Tengah</span>' in html
    assert '<span class="muted small" title="operator">· operator</span>' in html  # no personel: the username
