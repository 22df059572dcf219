#!/usr/bin/env python3
"""Browser check of the officer's phone (/tugas/) without signal: presses kept on the phone and sent later
with the moment of the press; the unit's position shared while on duty.

Debian's Chromium driven by Playwright against a running demo (``k3i demo``):

1. the operator (a desk browser, logged in; its session calls the API) and the demo patrol officer on a
   phone (390×844, geolocation allowed and set), signed on to a unit (the demo signs them on; if not, one
   tap on the first unit offered);
2. the officer's unit gets a fresh task: any task it has is cancelled, an incident is created in its Polsek
   and the unit dispatched to it (API, as the operator);
3. the officer turns "Bagikan lokasi unit" on: the position reaches the server (the unit's last position);
4. the phone loses its signal (``context.set_offline``) and moves 300 m; the officer presses "Terima tugas"
   and, a few seconds later, "Menuju TKP": the weak-signal notice names both presses and the server (asked
   by the operator, not through the offline phone) has neither;
5. after a few seconds the signal returns: both steps reach the server with ``accepted_at`` / ``enroute_at``
   at the moments of the presses (±2 s), not at the moment the signal returned, the notice goes, the list
   shows the next step, and the unit's last position is the one set while offline.

The task is cancelled at the end. Screenshots go to --out. Exits non-zero on any failure.

    .venv/bin/python .ci/browser_tugas_offline.py --base-url http://127.0.0.1:8765 --out ci-artifacts
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Geolocation, Page, ViewportSize, sync_playwright
from playwright.sync_api import Error as PlaywrightError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_check import CHROMIUM, CHROMIUM_ARGS, DESK, CheckFailed, default_password, login, run  # noqa: E402

PHONE_390: ViewportSize = {"width": 390, "height": 844}
DESK_VIEW: ViewportSize = {"width": DESK["width"], "height": DESK["height"]}
HOME: Geolocation = {"latitude": -6.98371, "longitude": 110.41869, "accuracy": 12}  # Miroto, Semarang Tengah
MOVED: Geolocation = {"latitude": -6.98100, "longitude": 110.41869, "accuracy": 15}  # ≈ 300 m north
STEP_QUEUE = "k3i.tugas.antrian"
POS_QUEUE = "k3i.tugas.posisi"
TOLERANCE_S = 2.0
COORD_EPS = 1e-6


def log(msg: str) -> None:
    print(f"[browser-tugas] {msg}", flush=True)


def parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) and value else None


class Desk:
    """The operator's API calls through a logged-in browser session (CSRF token from its cookie)."""

    def __init__(self, ctx: BrowserContext, base: str) -> None:
        self.ctx, self.base = ctx, base

    def _csrf(self) -> str:
        return next((c["value"] for c in self.ctx.cookies(self.base) if c["name"] == "csrftoken"), "")

    def call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201)) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        if method != "GET":
            headers.update({"Content-Type": "application/json", "X-CSRFToken": self._csrf(), "Referer": self.base + "/"})
        resp = self.ctx.request.fetch(self.base + path, method=method, headers=headers,
                                      data=json.dumps(body) if body is not None else None, timeout=30000)
        try:
            data = resp.json()
        except (PlaywrightError, ValueError):
            data = resp.text()[:300]
        if ok and resp.status not in ok:
            raise CheckFailed(f"{method} {path} answered {resp.status}: {data}")
        return resp.status, data

    def assignment(self, incident_id: int, assignment_id: int) -> dict[str, Any]:
        _, rows = self.call("GET", f"/api/v1/incidents/{incident_id}/dispatches")
        row = next((r for r in rows if r["id"] == assignment_id), None)
        if row is None:
            raise CheckFailed(f"assignment #{assignment_id} not listed for incident #{incident_id}")
        return dict(row)

    def unit(self, unit_id: int) -> dict[str, Any]:
        return dict(self.call("GET", f"/api/v1/units/{unit_id}")[1])


def wait_for(what: str, cond: Any, timeout: float, step: float = 0.25) -> Any:
    end = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > end:
            raise CheckFailed(f"{what} (waited {timeout:.0f} s)")
        time.sleep(step)


def fits(page: Page, what: str) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > PHONE_390["width"] + 1:
        raise CheckFailed(f"phone: {what} scrolls sideways ({width}px wide at {PHONE_390['width']}px)")


def stored(page: Page, key: str) -> list[dict[str, Any]]:
    return list(page.evaluate("(k) => JSON.parse(localStorage.getItem(k) || '[]')", key))


def signed_on_unit(page: Page, base: str, timeout_ms: int) -> tuple[int, str]:
    page.goto(base + "/tugas/", wait_until="domcontentloaded")
    if page.locator("[data-crew-unit-id]").count() == 0:
        choice = page.locator("[data-crew-choice]").first
        if choice.count() == 0:
            raise CheckFailed("the officer is not signed on and /tugas/ offers no unit to sign on to")
        with page.expect_navigation(wait_until="domcontentloaded", timeout=timeout_ms):
            choice.click()
        if page.locator("[data-crew-unit-id]").count() == 0:
            raise CheckFailed("one tap on a unit in /tugas/ did not sign the officer on")
    return int(page.get_attribute("[data-crew-unit-id]", "data-crew-unit-id") or 0), \
        page.get_attribute("[data-crew-unit]", "data-crew-unit") or ""


def fresh_task(desk: Desk, page: Page, base: str, unit_id: int, callsign: str) -> tuple[int, int]:
    """Cancel whatever task the unit has, create an incident and dispatch the unit: (incident, assignment)."""
    tag = f"tugas-offline-{os.getpid()}-{int(time.time())}"
    incident_id = 0
    for attempt in range(3):
        page.goto(base + "/tugas/", wait_until="domcontentloaded")
        for aid in page.eval_on_selector_all(".task[data-assignment]", "els => els.map(e => e.dataset.assignment)"):
            desk.call("POST", f"/api/v1/dispatches/{aid}/status", {"status": "dibatalkan"})
            log(f"cancelled the unit's earlier task #{aid}")
        if not incident_id:
            _, inc = desk.call("POST", "/api/v1/incidents", {
                "text": "tolong pak ada kecelakaan motor di depan pasar, korban luka di kaki",
                "lat": HOME["latitude"], "lon": HOME["longitude"], "channel": "110",
                "reporter_name": "Uji Ponsel", "reporter_phone": "081200000001", "idempotency_key": tag,
            })
            incident_id = int(inc["id"])
            log(f"incident {inc['number']} (#{incident_id}) created")
        status, a = desk.call("POST", f"/api/v1/incidents/{incident_id}/dispatches", {
            "unit_id": unit_id, "override_reason": "unit petugas yang diuji (uji CI tanpa sinyal)", "pull": True,
        }, ok=())
        if status == 201:
            log(f"{callsign} dispatched: assignment #{a['id']}")
            return incident_id, int(a["id"])
        log(f"dispatch attempt {attempt + 1} answered {status}: {a}")
        time.sleep(1)
    raise CheckFailed(f"could not dispatch {callsign} to incident #{incident_id}")


def check_map_links(page: Page, assignment_id: int) -> None:
    """The task links to its place twice: ``geo:`` (Android's maps apps) and the web map (any phone)."""
    task = page.locator(f".task[data-assignment='{assignment_id}']")
    lat, lon = f"{HOME['latitude']:.6f}", f"{HOME['longitude']:.6f}"
    app = task.locator("a[data-map-app]").get_attribute("href") or ""
    web = task.locator("a[data-map-web]").get_attribute("href") or ""
    if not app.startswith(f"geo:{lat},{lon}"):
        raise CheckFailed(f"'Buka lokasi di aplikasi peta' links to {app!r}, not geo:{lat},{lon}")
    if web != f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}":
        raise CheckFailed(f"'Buka di peta web' links to {web!r}")
    log(f"map links: {app} and {web}")


def check_signoff(page: Page, timeout_ms: int, out: Path) -> None:
    """"Selesai dinas" sits below the task, smaller than its buttons, and asks for a second tap: the first turns it
    into "Yakin selesai dinas? Ketuk lagi" and posts nothing; the second posts — refused here in plain words (the
    officer is the last crew of a unit with a task), and the officer stays on duty."""
    button = page.locator("[data-crew-signoff]")
    if button.count() != 1:
        raise CheckFailed("no 'Selesai dinas' button for the signed-on officer")
    sizes = page.evaluate("""() => {
        const h = (el) => el ? el.getBoundingClientRect().height : 0;
        const last = [...document.querySelectorAll('form[data-step-form] button')].pop();
        const off = document.querySelector('[data-crew-signoff]');
        return {step: h(last), signoff: h(off),
                below: !!last && (last.compareDocumentPosition(off) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0};
    }""")
    if not sizes["below"] or sizes["signoff"] >= sizes["step"]:
        raise CheckFailed(f"'Selesai dinas' is not below and smaller than the task's buttons: {sizes}")
    url = page.url
    button.click()
    page.wait_for_selector("[data-crew-signoff][data-confirming]", timeout=timeout_ms)
    label = button.inner_text().strip()
    if label != "Yakin selesai dinas? Ketuk lagi" or page.url != url:
        raise CheckFailed(f"the first tap on 'Selesai dinas' did not ask again (button {label!r}, page {page.url})")
    page.wait_for_selector("[data-crew-signoff]:not([data-confirming])", timeout=8000)
    if button.inner_text().strip() != "Selesai dinas" or page.locator("[data-crew-unit-id]").count() != 1:
        raise CheckFailed("'Selesai dinas' did not return to itself after 5 s, or the officer was signed off")
    log("'Selesai dinas': the first tap asks 'Yakin selesai dinas? Ketuk lagi', untouched it returns after 5 s")
    button.click()
    page.wait_for_selector("[data-crew-signoff][data-confirming='ready']", timeout=timeout_ms)
    page.screenshot(path=str(out / "tugas-selesai-dinas-yakin.png"), full_page=True)
    with page.expect_navigation(wait_until="domcontentloaded", timeout=timeout_ms):
        button.click()
    refusal = " ".join(page.locator(".messages .error").all_inner_texts())
    if "masih bertugas pada" not in refusal or "(" in refusal or page.locator("[data-crew-unit-id]").count() != 1:
        raise CheckFailed(f"the second tap on 'Selesai dinas' with a task: {refusal!r}")
    log(f"second tap with a task still open: {refusal!r}")


def check(args: argparse.Namespace) -> None:
    base = args.base_url.rstrip("/")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    timeout_ms = args.timeout * 1000
    errors: list[str] = []
    quiet_until = [0.0]  # console errors of failed requests are expected while offline (and just after)

    def watch(page: Page, name: str) -> None:
        page.on("pageerror", lambda e: errors.append(f"{name}: page error: {e}"))
        page.on("console", lambda m: errors.append(f"{name}: console {m.type}: {m.text}")
                if m.type == "error" and time.monotonic() > quiet_until[0] else None)
        page.on("request", lambda r: errors.append(f"{name}: external request: {r.url}")
                if not (r.url.startswith(base) or r.url.startswith("data:")) else None)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True)
        incident_id = assignment_id = 0
        desk: Desk | None = None
        try:
            dctx = browser.new_context(viewport=DESK_VIEW, locale="id-ID")
            dpage = dctx.new_page()
            watch(dpage, "desk")
            login(dpage, base, args.username, args.password)
            desk = Desk(dctx, base)

            phone = browser.new_context(viewport=PHONE_390, device_scale_factor=2, is_mobile=True, has_touch=True,
                                        locale="id-ID", timezone_id="Asia/Jakarta", geolocation=HOME)
            phone.grant_permissions(["geolocation"], origin=base)
            page = phone.new_page()
            watch(page, "officer")
            login(page, base, args.officer, args.password)
            unit_id, callsign = signed_on_unit(page, base, timeout_ms)
            log(f"{args.officer} signed on to {callsign} (unit #{unit_id})")
            incident_id, assignment_id = fresh_task(desk, page, base, unit_id, callsign)

            page.goto(base + "/tugas/", wait_until="domcontentloaded")
            page.wait_for_selector(f"form[data-step-form][data-assignment='{assignment_id}'][data-step='diterima']",
                                   timeout=timeout_ms)
            page.wait_for_selector("[data-live-status].is-on", timeout=timeout_ms)
            page.evaluate("() => { window.__online = 0; addEventListener('online', () => { window.__online += 1; }); }")
            fits(page, "/tugas/")

            # Location sharing on: the first fix is sent at once.
            toggle = page.locator("[data-geo-toggle]")
            if toggle.count() != 1 or not toggle.is_visible():
                raise CheckFailed("no 'Bagikan lokasi unit' toggle on /tugas/ for a signed-on officer")
            if toggle.get_attribute("aria-pressed") != "false":
                raise CheckFailed("location sharing is on before the officer turned it on")
            toggle.click()
            page.wait_for_selector("[data-geo-toggle][aria-pressed='true']", timeout=timeout_ms)
            page.wait_for_function("() => /Lokasi terkirim/.test(document.querySelector('[data-geo-status]').textContent)",
                                   timeout=timeout_ms)
            u = desk.unit(unit_id)
            if abs(u["last_lat"] - HOME["latitude"]) > COORD_EPS or abs(u["last_lon"] - HOME["longitude"]) > COORD_EPS:
                raise CheckFailed(f"the shared position did not reach the server: unit at {u['last_lat']}, {u['last_lon']}")
            log(f"location sharing on: {page.inner_text('[data-geo-status]')!r}; unit at {u['last_lat']}, "
                f"{u['last_lon']} ({u['last_position_at']})")
            page.screenshot(path=str(out / "tugas-lokasi-aktif.png"), full_page=True)

            # The service worker keeps a copy of the page for a tab opened again without signal.
            page.wait_for_function("async () => !!(window.caches && await caches.match('/tugas/'))", timeout=timeout_ms,
                                   polling=250)
            log("the page's copy for use without signal is kept (service worker, Cache API)")

            # No signal: move, press two steps.
            quiet_until[0] = float("inf")
            phone.set_offline(True)
            offline_at = time.time()
            phone.set_geolocation(MOVED)
            moved_at = time.time()
            wait_for("the position after moving 300 m is not kept on the phone while offline",
                     lambda: any(abs(p["lat"] - MOVED["latitude"]) < COORD_EPS for p in stored(page, POS_QUEUE)), 15)
            pressed: dict[str, float] = {}
            for step, label in (("diterima", "Terima tugas"), ("menuju", "Menuju TKP")):
                button = page.locator(f"form[data-step-form][data-assignment='{assignment_id}'][data-step='{step}'] button")
                if button.count() != 1:
                    raise CheckFailed(f"no '{label}' button for assignment #{assignment_id}")
                pressed[step] = time.time()
                button.click()
                page.wait_for_function(
                    "(l) => { const n = document.querySelector('[data-notice-weak]'); return n && n.textContent.includes(l); }",
                    arg=f"'{label}'", timeout=timeout_ms)
                log(f"offline press '{label}' at {datetime.fromtimestamp(pressed[step]).astimezone().isoformat()}")
                if step == "diterima":
                    time.sleep(args.gap)
            notice = page.inner_text("[data-notice-weak]")
            if "Sinyal lemah" not in notice or "dikirim otomatis saat sinyal kembali" not in notice:
                raise CheckFailed(f"the weak-signal notice reads {notice!r}")
            states = page.eval_on_selector_all("form[data-step-form] button", "bs => bs.map(b => b.dataset.stepState)")
            queued = stored(page, STEP_QUEUE)
            geo_line = page.inner_text("[data-geo-status]")
            log(f"notice: {notice!r}; buttons {states}; queued {[(e['status'], e['device_time']) for e in queued]}; "
                f"location line {geo_line!r}")
            if "1 menunggu sinyal" not in geo_line:
                raise CheckFailed(f"the location line does not say a position waits for the signal: {geo_line!r}")
            if [e["status"] for e in queued if e.get("assignment") == assignment_id] != ["diterima", "menuju"]:
                raise CheckFailed(f"the phone's queue holds {queued}, not the two presses in order")
            if states[:2] != ["waiting", "waiting"]:
                raise CheckFailed(f"the pressed buttons are not marked as waiting for a signal: {states}")
            fits(page, "/tugas/ (weak-signal notice)")
            page.screenshot(path=str(out / "tugas-tanpa-sinyal.png"), full_page=True)
            a = desk.assignment(incident_id, assignment_id)
            if a["status"] != "ditugaskan" or a["accepted_at"] or a["enroute_at"]:
                raise CheckFailed(f"a press reached the server while the phone was offline: {a}")
            log(f"server while offline: status {a['status']}, accepted_at {a['accepted_at']}, "
                f"enroute_at {a['enroute_at']}")
            u = desk.unit(unit_id)
            if abs(u["last_lat"] - MOVED["latitude"]) < COORD_EPS:
                raise CheckFailed("a position reached the server while the phone was offline")

            # The browser throws the tab away and the officer opens /tugas/ again, still without signal: the
            # kept copy shows the task, says it is a copy, and the presses still wait to be sent.
            page.reload(wait_until="domcontentloaded")
            page.wait_for_selector(f"form[data-step-form][data-assignment='{assignment_id}']", timeout=timeout_ms)
            page.wait_for_selector("[data-notice-saved]", timeout=timeout_ms)
            rendered = parse_time(page.get_attribute("#tugas", "data-rendered-at"))
            if rendered is None or rendered.timestamp() > offline_at:
                raise CheckFailed(f"the page opened without signal was rendered at {rendered}, after the signal was "
                                  "lost: it is not the kept copy")
            states = page.eval_on_selector_all("form[data-step-form] button", "bs => bs.map(b => b.dataset.stepState)")
            if states[:2] != ["waiting", "waiting"]:
                raise CheckFailed(f"after reopening without signal the presses are not shown as waiting: {states}")
            log(f"reopened without signal: {page.inner_text('[data-notice-saved]')!r}; buttons {states}")
            page.screenshot(path=str(out / "tugas-salinan-tanpa-sinyal.png"), full_page=True)
            page.evaluate("() => { window.__online = 0; addEventListener('online', () => { window.__online += 1; }); }")

            time.sleep(args.offline)
            phone.set_offline(False)
            online_at = time.time()
            quiet_until[0] = time.monotonic() + 5
            time.sleep(1)
            fired = page.evaluate("() => window.__online")
            if not fired:
                page.evaluate("() => window.dispatchEvent(new Event('online'))")
            log(f"signal back after {online_at - offline_at:.1f} s offline; 'online' event "
                f"{'fired by the browser' if fired else 'not fired by Playwright: dispatched by the check'}")

            def both() -> dict[str, Any] | None:
                row = desk.assignment(incident_id, assignment_id)
                return row if row["accepted_at"] and row["enroute_at"] else None
            a = wait_for("the two presses did not reach the server after the signal returned", both, args.timeout)
            arrived = time.time() - online_at
            log(f"server after the signal returned (+{arrived:.1f} s): status {a['status']}, accepted_at "
                f"{a['accepted_at']}, enroute_at {a['enroute_at']}")
            if a["status"] != "menuju":
                raise CheckFailed(f"the assignment is {a['status']!r} after 'Menuju TKP', not 'menuju'")
            by_device = {e["status"]: parse_time(e["device_time"]) for e in queued}
            for step, field in (("diterima", "accepted_at"), ("menuju", "enroute_at")):
                at = parse_time(a[field])
                assert at is not None
                off = at.timestamp() - pressed[step]
                dev = by_device[step]
                dev_off = at.timestamp() - dev.timestamp() if dev else float("nan")
                log(f"{field} = press time {off:+.2f} s (phone's device_time {dev_off:+.3f} s); the signal "
                    f"returned {online_at - at.timestamp():.1f} s later")
                if abs(off) > TOLERANCE_S:
                    raise CheckFailed(f"{field} {a[field]} is {off:+.1f} s from the press (allowed ±{TOLERANCE_S} s)")
                if online_at - at.timestamp() < args.offline:
                    raise CheckFailed(f"{field} {a[field]} is the time the press arrived, not the press")

            def at_moved() -> dict[str, Any] | None:
                unit = desk.unit(unit_id)
                ok = (abs(unit["last_lat"] - MOVED["latitude"]) < COORD_EPS
                      and abs(unit["last_lon"] - MOVED["longitude"]) < COORD_EPS)
                return unit if ok else None
            u = wait_for("the position kept while offline did not reach the server", at_moved, args.timeout)
            pos_at = parse_time(u["last_position_at"])
            assert pos_at is not None
            log(f"unit's last position {u['last_lat']}, {u['last_lon']} at {u['last_position_at']} "
                f"({pos_at.timestamp() - moved_at:+.1f} s from the move; set {MOVED['latitude']}, {MOVED['longitude']})")
            if abs(pos_at.timestamp() - moved_at) > TOLERANCE_S:
                raise CheckFailed(f"the unit's last position time {u['last_position_at']} is not the fix's time")

            # The phone: notice gone, confirmation shown, the list shows the next step.
            page.wait_for_function("() => !document.querySelector('[data-notice-weak]')", timeout=timeout_ms)
            page.wait_for_selector(f"form[data-step-form][data-assignment='{assignment_id}'][data-step='tiba']",
                                   timeout=timeout_ms)
            if page.locator(f"form[data-step-form][data-assignment='{assignment_id}'][data-step='diterima']").count():
                raise CheckFailed("the list still offers 'Terima tugas' after the presses were recorded")
            if stored(page, STEP_QUEUE) or [p for p in stored(page, POS_QUEUE) if p.get("unit") == str(unit_id)]:
                raise CheckFailed(f"the phone still keeps {stored(page, STEP_QUEUE)} / {stored(page, POS_QUEUE)}")
            sent = page.locator("[data-notice-sent]")
            log(f"phone after: {sent.inner_text() if sent.count() else '(confirmation already gone)'!r}; "
                f"location line {page.inner_text('[data-geo-status]')!r}")
            fits(page, "/tugas/ (after sending)")
            page.screenshot(path=str(out / "tugas-sinyal-kembali.png"), full_page=True)
            check_map_links(page, assignment_id)
            check_signoff(page, timeout_ms, out)
            fits(page, "/tugas/ (sign-off refused)")

            page.locator("[data-geo-toggle]").click()
            page.wait_for_selector("[data-geo-toggle][aria-pressed='false']", timeout=timeout_ms)
        except CheckFailed as exc:
            if errors:
                raise CheckFailed(f"{exc}\n  errors in the browser:\n  " + "\n  ".join(errors)) from exc
            raise
        finally:
            if desk is not None and assignment_id:
                try:
                    desk.call("POST", f"/api/v1/dispatches/{assignment_id}/status", {"status": "dibatalkan"}, ok=())
                except (CheckFailed, PlaywrightError):
                    pass
            browser.close()
    if errors:
        raise CheckFailed("errors in the browser:\n  " + "\n  ".join(errors))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-url", default="http://127.0.0.1:8000")
    p.add_argument("--username", default="operator", help="the desk account that creates and dispatches")
    p.add_argument("--officer", default="anggota_semarang_tengah", help="demo patrol officer (signed on to a unit)")
    p.add_argument("--password", default=None, help="default: $K3I_CHECK_PASSWORD or the demo password")
    p.add_argument("--offline", type=float, default=5, help="seconds the phone stays offline after the presses")
    p.add_argument("--gap", type=float, default=2, help="seconds between the two presses")
    p.add_argument("--out", default="ci-artifacts", help="folder for the screenshots")
    p.add_argument("--timeout", type=int, default=30, help="seconds to wait for a page or the server")
    p.add_argument("--chromium", default=CHROMIUM)
    args = p.parse_args(argv)
    if args.password is None:
        args.password = default_password()
    return run(check, args, log, "presses without signal sent later with their own time; the unit's position "
               f"shared; screenshots in {args.out}/")


if __name__ == "__main__":
    sys.exit(main())
