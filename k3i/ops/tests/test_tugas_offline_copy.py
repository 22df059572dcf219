"""The officer's page without signal: the service worker that keeps its last copy is served under /tugas/ (its
scope), as code without data to anyone, never cached; the page registers it; the login page (after "Keluar")
drops the copy. What the worker does in a browser is checked by .ci/browser_tugas_offline.py."""

from __future__ import annotations

from django.urls import reverse

from k3i.dispatch.tests.helpers import sign_on_crew


def test_the_worker_is_served_under_its_scope_without_login(world, client):
    r = client.get(reverse("ops:tugas_sw"))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/javascript")
    assert r["Cache-Control"] == "no-cache"
    body = r.content.decode()
    assert 'var PAGE = "/tugas/"' in body and "caches.delete(CACHE)" in body
    assert reverse("ops:tugas_sw").startswith(reverse("ops:tugas"))  # a worker controls only pages under its path
    assert client.post(reverse("ops:tugas_sw")).status_code == 405


def test_the_page_registers_the_worker_and_the_login_page_forgets_the_copy(world, login, client):
    sign_on_crew(world, "semarang_tengah")
    html = login("anggota_semarang_tengah").get(reverse("ops:tugas")).content.decode()
    assert f'data-sw-url="{reverse("ops:tugas_sw")}"' in html and "data-rendered-at=" in html
    assert "data-t-saved=" in html and "salinan halaman tugas" in html
    assert "k3i/forget.js" in client.get(reverse("accounts:login")).content.decode()


def test_every_text_the_phone_script_shows_comes_from_the_page():
    """room.js (setupTugas) takes its Indonesian texts from tugas.html's ``data-t-*`` attributes (translated there);
    a name without its attribute would show the bare name to the officer."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    js = (root / "static/k3i/room.js").read_text(encoding="utf-8")
    start = js.index("function setupTugas(")
    used = set(re.findall(r'\bt\("([\w-]+)"\)', js[start:]))
    page = (root / "ops/templates/ops/room/tugas.html").read_text(encoding="utf-8")
    given = set(re.findall(r"data-t-([\w-]+)=", page))
    assert used and used <= given, sorted(used - given)
