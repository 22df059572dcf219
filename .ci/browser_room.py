#!/usr/bin/env python3
"""Browser check of the operations room: a 110 call entered with the keyboard shows up on the live map.

Debian's Chromium driven by Playwright against a running demo (``k3i demo``):

1. log in as the operator; open the live map (``/ops/peta``) in one tab and wait for its live feed;
2. in a second tab open the call-taker screen (``/ops/terima``) and enter a call with the keyboard only:
   phone number, Tab, kelurahan, Tab, text (triage fills category and priority), Ctrl+Enter;
3. check the report number and tracking code appear at once;
4. check the new incident's marker appears on the live map in the first tab — without reloading it
   (server-sent events) — within a few seconds;
   and in the queue page open in a third tab;
5. the patrol officer of the kelurahan's Polsek, on a phone, finds the unit they are signed on to (the demo
   signs them on; if not, one tap on "Pilih unit Anda untuk dinas ini"), and — while the unit is free — ends
   the shift and signs on again with one tap;
6. open the incident page (recommendations, reporter identity), dispatch the officer's unit (its
   recommendation, or "Pilih unit lain" with a reason), the queues and, on a phone, the live map, the
   call-taker screen and the patrol officer's view (the officer sees only their unit's task and accepts it).

Screenshots go to --out. Exits non-zero on any failure.

    .venv/bin/python .ci/browser_room.py --base-url http://127.0.0.1:8765 --out ci-artifacts
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_check import CHROMIUM, CHROMIUM_ARGS, DESK, PHONE, CheckFailed, default_password, login, run  # noqa: E402

CALL_TEXT = "tolong pak ada begal di jalan dekat pasar, pelakunya bawa celurit, korban luka"
PHONE_NUMBER = "081234567890"


def log(msg: str) -> None:
    print(f"[browser-room] {msg}", flush=True)


def watch(page: Page, base: str, errors: list[str], name: str) -> None:
    page.on("pageerror", lambda e: errors.append(f"{name}: page error: {e}"))
    page.on("console", lambda m: errors.append(f"{name}: console {m.type}: {m.text}") if m.type == "error" else None)
    page.on(
        "request",
        lambda r: errors.append(f"{name}: external request: {r.url}")
        if not (r.url.startswith(base) or r.url.startswith("data:")) else None,
    )


def active_name(page: Page) -> str:
    return str(page.evaluate("() => (document.activeElement && document.activeElement.name) || ''"))


def open_live_map(page: Page, base: str, timeout_ms: int) -> None:
    page.goto(base + "/ops/peta", wait_until="domcontentloaded")
    try:
        page.wait_for_selector("[data-k3i-map][data-live-ready='1']", state="attached", timeout=timeout_ms)
        page.wait_for_selector("[data-live-status].is-on", timeout=timeout_ms)
    except PlaywrightError as exc:
        raise CheckFailed(f"the live map or its live feed did not start within {timeout_ms} ms") from exc


def enter_call(page: Page, base: str, kelurahan: str, timeout_ms: int) -> tuple[int, str, float]:
    """Enter one call with the keyboard; returns (incident id, report number, time of Ctrl+Enter)."""
    page.goto(base + "/ops/terima", wait_until="domcontentloaded")
    page.wait_for_selector("[data-intake-map] .leaflet-pane", state="attached", timeout=timeout_ms)
    if active_name(page) != "reporter_phone":
        raise CheckFailed(f"the call-taker screen does not start in the phone field (focus: {active_name(page)!r})")
    page.keyboard.type(PHONE_NUMBER)
    page.keyboard.press("Tab")
    if active_name(page) != "lokasi":
        raise CheckFailed(f"Tab after the phone number should reach the location search, not {active_name(page)!r}")
    page.keyboard.type(kelurahan)
    page.keyboard.press("Tab")
    if active_name(page) != "text":
        raise CheckFailed(f"Tab after the location should reach the report text, not {active_name(page)!r}")
    page.keyboard.type(CALL_TEXT, delay=5)
    try:  # triage fills category and priority while typing
        page.wait_for_function(
            "() => document.querySelector('[data-field=category]').value !== '' && "
            "document.querySelector('[data-triage-hint]').textContent.trim() !== ''",
            timeout=timeout_ms,
        )
    except PlaywrightError as exc:
        raise CheckFailed("triage did not fill in the category while the text was typed") from exc
    category = page.eval_on_selector("[data-field=category]", "e => e.value")
    priority = page.eval_on_selector("[data-field=priority]", "e => e.value")
    log(f"triage suggested {category} P{priority}: {page.inner_text('[data-triage-hint]')!r}")
    page.keyboard.press("Tab")
    if active_name(page) != "category":
        raise CheckFailed(f"Tab after the text should reach the category, not {active_name(page)!r}")
    page.screenshot(path=str(OUT / "room-terima-filled.png"), full_page=True)
    started = time.monotonic()
    with page.expect_navigation(wait_until="domcontentloaded", timeout=timeout_ms):
        page.keyboard.press("Control+Enter")
    if "baru=" not in page.url:
        errors = page.locator(".errorlist, .alert-error").all_inner_texts()
        raise CheckFailed(f"saving the call failed ({page.url}): {errors}")
    number = page.inner_text("#saved-number").strip()
    code = page.inner_text("#saved-code").strip()
    if not re.match(r"^\S+-\d{8}-\d+$", number) or not re.match(r"^[A-Z0-9]{10}$", code):
        raise CheckFailed(f"no report number / tracking code shown after saving: {number!r} {code!r}")
    incident_id = int(page.get_attribute("[data-saved-incident]", "data-saved-incident") or 0)
    if active_name(page) != "reporter_phone":
        raise CheckFailed("after saving, the form should be ready for the next call (focus in the phone field)")
    log(f"call saved: {number} (tracking code {code}), incident #{incident_id}")
    page.screenshot(path=str(OUT / "room-terima-saved.png"), full_page=True)
    return incident_id, number, started


def fits_phone(page: Page, what: str) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > PHONE["width"] + 1:
        raise CheckFailed(f"phone: {what} scrolls sideways ({width}px wide at {PHONE['width']}px)")


def officer_unit(opage: Page, base: str, timeout_ms: int) -> str:
    """The callsign of the unit the officer is signed on to (one tap on the first unit offered if none);
    while that unit has no task, "Selesai dinas" and one tap back on the same unit."""
    opage.goto(base + "/tugas/", wait_until="domcontentloaded")
    if opage.locator("[data-crew-unit]").count() == 0:
        choice = opage.locator("[data-crew-choice]").first
        if choice.count() == 0:
            raise CheckFailed("the officer is not signed on and /tugas/ offers no unit to sign on to")
        opage.screenshot(path=str(OUT / "room-tugas-phone-pilih-unit.png"), full_page=True)
        with opage.expect_navigation(wait_until="domcontentloaded", timeout=timeout_ms):
            choice.click()
        if opage.locator("[data-crew-unit]").count() == 0:
            raise CheckFailed("one tap on a unit in /tugas/ did not sign the officer on")
    callsign = opage.get_attribute("[data-crew-unit]", "data-crew-unit") or ""
    log(f"officer signed on to {callsign}")
    if opage.locator(".task").count() == 0:  # the unit is free: end the shift, and sign on again
        signoff = opage.locator("[data-crew-signoff]")
        signoff.click()  # the first tap only asks "Yakin selesai dinas? Ketuk lagi" (room.js)
        opage.wait_for_selector("[data-crew-signoff][data-confirming='ready']", timeout=timeout_ms)
        with opage.expect_navigation(wait_until="domcontentloaded", timeout=timeout_ms):
            signoff.click()
        button = opage.locator(f"[data-crew-choice='{callsign}']")
        if button.count() != 1 or "Pilih unit Anda untuk dinas ini" not in opage.content():
            raise CheckFailed(f"after 'Selesai dinas' /tugas/ does not offer {callsign} under 'Pilih unit Anda'")
        fits_phone(opage, "/tugas/ (choosing a unit)")
        opage.screenshot(path=str(OUT / "room-tugas-phone-pilih-unit.png"), full_page=True)
        with opage.expect_navigation(wait_until="domcontentloaded", timeout=timeout_ms):
            button.click()
        if opage.get_attribute("[data-crew-unit]", "data-crew-unit") != callsign:
            raise CheckFailed(f"one tap on {callsign} did not sign the officer on again")
        log(f"'Selesai dinas' and one tap back on {callsign} work")
    fits_phone(opage, "/tugas/")
    return callsign


def dispatch_to(page: Page, callsign: str, timeout_ms: int) -> None:
    """On the incident page: dispatch ``callsign`` — its recommendation, else "Pilih unit lain" with a reason."""
    rec = page.locator(".rec").filter(has=page.locator("strong.mono", has_text=callsign))
    if rec.count():
        reason = rec.first.locator("input[name=override_reason]")
        if reason.count():
            reason.fill("unit awak petugas yang diuji (uji CI)")
        rec.first.locator("button[type=submit]").click()
    else:
        form = page.locator("details.other-unit")
        if form.count() == 0:
            raise CheckFailed(f"the incident page offers no way to dispatch {callsign}")
        if form.get_attribute("open") is None:
            form.locator("summary").click()
        value = form.locator("option", has_text=callsign).first.get_attribute("value")
        if not value:
            raise CheckFailed(f"{callsign} is not among the units the operator may send")
        form.locator("select[name=unit]").select_option(value)
        form.locator("input[name=override_reason]").fill("unit awak petugas yang diuji (uji CI)")
        form.locator("input[name=pull]").check()
        form.locator("button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")
    try:
        page.wait_for_selector(f".assignment:has-text('{callsign}')", timeout=timeout_ms)
    except PlaywrightError as exc:
        errors = page.locator(".alert-error, .messages .error").all_inner_texts()
        raise CheckFailed(f"dispatching {callsign} failed: {errors}") from exc


def check(args: argparse.Namespace) -> None:
    base = args.base_url.rstrip("/")
    timeout_ms = args.timeout * 1000
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx = browser.new_context(viewport=DESK, locale="id-ID")
            live = ctx.new_page()
            watch(live, base, errors, "map")
            login(live, base, args.username, args.password)
            open_live_map(live, base, timeout_ms)
            before = live.locator(".inc-marker").count()
            units = live.locator(".unit-live").count()
            log(f"live map ready: {before} incident markers, {units} units, feed connected")
            live.screenshot(path=str(OUT / "room-peta-before.png"))

            queues = ctx.new_page()
            watch(queues, base, errors, "antrian")
            queues.goto(base + "/ops/antrian", wait_until="domcontentloaded")
            queues.wait_for_selector("[data-live-status].is-on", timeout=timeout_ms)

            intake = ctx.new_page()
            watch(intake, base, errors, "terima")
            incident_id, number, started = enter_call(intake, base, args.kelurahan, timeout_ms)

            # The first tab was not reloaded: the marker must arrive through the live feed.
            selector = f".inc-marker [data-incident-id='{incident_id}']"
            try:
                live.wait_for_selector(selector, state="attached", timeout=args.live_timeout * 1000)
            except PlaywrightError as exc:
                raise CheckFailed(
                    f"the new incident {number} did not appear on the open live map within {args.live_timeout} s"
                ) from exc
            log(f"marker of {number} on the live map {time.monotonic() - started:.2f} s after Ctrl+Enter (no reload)")
            # The list beside the map is re-rendered shortly after the marker (debounced): wait for it.
            try:
                live.wait_for_selector(f"[data-incident-list] [data-incident-id='{incident_id}']", state="attached",
                                       timeout=2000)
            except PlaywrightError as exc:
                raise CheckFailed("the new incident is on the map but not in the list beside it") from exc
            # The queues tab (not reloaded either) re-reads its queues when the event arrives (HTMX).
            try:
                queues.wait_for_selector(f".queue-item[data-incident-id='{incident_id}'] .countdown",
                                         timeout=args.live_timeout * 1000)
            except PlaywrightError as exc:
                raise CheckFailed(f"the new incident {number} did not reach the open queue page") from exc
            log(f"{number} in the open queue page {time.monotonic() - started:.2f} s after Ctrl+Enter (no reload)")
            live.bring_to_front()
            live.locator(selector).click()
            live.wait_for_selector(".leaflet-popup-content", timeout=timeout_ms)
            live.wait_for_timeout(400)  # the popup fades in
            live.screenshot(path=str(OUT / "room-peta-after.png"))

            # The patrol officer of the incident's Polsek, on their own phone: the unit they are signed on to.
            officer = browser.new_context(
                viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="id-ID"
            )
            opage = officer.new_page()
            watch(opage, base, errors, "officer")
            login(opage, base, args.officer, args.password)
            officer_callsign = officer_unit(opage, base, timeout_ms)

            # The incident page: recommendations with reasons, reporter identity on request.
            page = intake
            page.goto(f"{base}/ops/kejadian/{incident_id}/", wait_until="domcontentloaded")
            if number not in page.content():
                raise CheckFailed("the incident page does not show the report number")
            recs = page.locator(".rec").count()
            log(f"incident page: {recs} recommended units")
            if recs == 0:
                raise CheckFailed("the incident page recommends no unit for a new priority-1 incident in the demo")
            reveal = page.locator("#pelapor button")
            if reveal.count():
                reveal.click()
                page.wait_for_selector(".reporter-identity", timeout=timeout_ms)
                if PHONE_NUMBER not in page.inner_text("#pelapor"):
                    raise CheckFailed("the reporter's phone number was not revealed by 'Tampilkan identitas pelapor'")
            page.screenshot(path=str(OUT / "room-kejadian.png"), full_page=True)
            # Dispatch the officer's unit (its recommendation, or another unit with a reason).
            dispatch_to(page, officer_callsign, timeout_ms)
            callsign = officer_callsign
            log(f"dispatched {callsign}, the officer's unit")
            page.screenshot(path=str(OUT / "room-kejadian-dispatched.png"), full_page=True)

            page.goto(base + "/ops/antrian", wait_until="domcontentloaded")
            page.wait_for_selector(f".queue-item[data-incident-id='{incident_id}'] .countdown", timeout=timeout_ms)
            page.screenshot(path=str(OUT / "room-antrian.png"), full_page=True)

            # Phone: the live map, the call-taker screen and the officer's view must fit 375 px.
            phone = browser.new_context(
                viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="id-ID",
                storage_state=ctx.storage_state(),
            )
            ppage = phone.new_page()
            watch(ppage, base, errors, "phone")
            for path, shot in (("/ops/peta", "room-peta-phone.png"), ("/ops/terima", "room-terima-phone.png"),
                               ("/ops/antrian", "room-antrian-phone.png"), (f"/ops/kejadian/{incident_id}/",
                                                                           "room-kejadian-phone.png")):
                ppage.goto(base + path, wait_until="domcontentloaded")
                if path == "/ops/peta":
                    ppage.wait_for_selector("[data-live-ready='1']", state="attached", timeout=timeout_ms)
                ppage.wait_for_timeout(300)
                ppage.screenshot(path=str(OUT / shot), full_page=True)
                width = ppage.evaluate("() => document.documentElement.scrollWidth")
                if width > PHONE["width"] + 1:
                    raise CheckFailed(f"phone: {path} scrolls sideways ({width}px wide at {PHONE['width']}px)")
            # The officer's phone: their unit's task (and only that), accepted with one tap.
            opage.goto(base + "/tugas/", wait_until="domcontentloaded")
            opage.screenshot(path=str(OUT / "room-tugas-phone.png"), full_page=True)
            task = opage.locator(f".task:has-text('{number}')")
            if task.count() != 1:
                raise CheckFailed(f"the officer's view (/tugas/) of {args.officer} does not list {callsign}'s task "
                                  f"for {number}")
            others = opage.locator(".task").count() - 1
            if others:
                raise CheckFailed(f"the officer's view lists {others} task(s) besides their unit's ({callsign})")
            fits_phone(opage, "/tugas/ (task)")
            # room.js sends the press to the status API (kept on the phone without signal) and re-reads the list
            accept = task.locator("form[data-step-form][data-step='diterima']")
            accept.locator("button").click()
            opage.wait_for_selector("[data-notice-sent]", timeout=timeout_ms)
            try:
                accept.wait_for(state="detached", timeout=timeout_ms)
            except PlaywrightError as exc:
                raise CheckFailed("the officer's view still offers 'Terima tugas' after accepting") from exc
            opage.wait_for_selector(".task .btn-huge", timeout=timeout_ms)
            opage.screenshot(path=str(OUT / "room-tugas-phone-accepted.png"), full_page=True)
            log("phone pages fit 375 px; officer's view lists the task and takes a step")
        except CheckFailed as exc:
            if errors:
                raise CheckFailed(f"{exc}\n  errors in the browser:\n  " + "\n  ".join(errors)) from exc
            raise
        finally:
            browser.close()
    if errors:
        raise CheckFailed("errors in the browser:\n  " + "\n  ".join(errors))


OUT = Path("ci-artifacts")


def main(argv: list[str] | None = None) -> int:
    global OUT
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-url", default="http://127.0.0.1:8000")
    p.add_argument("--username", default="operator")
    p.add_argument("--password", default=None, help="default: $K3I_CHECK_PASSWORD or the demo password")
    p.add_argument("--officer", default="anggota_semarang_tengah", help="patrol officer of the kelurahan's Polsek")
    p.add_argument("--kelurahan", default="Miroto", help="kelurahan typed into the location search")
    p.add_argument("--out", default="ci-artifacts", help="folder for the screenshots")
    p.add_argument("--timeout", type=int, default=30, help="seconds to wait for a page")
    p.add_argument("--live-timeout", type=int, default=5, help="seconds for the new incident to reach the live map")
    p.add_argument("--chromium", default=CHROMIUM)
    args = p.parse_args(argv)
    if args.password is None:
        args.password = default_password()
    OUT = Path(args.out)
    OUT.mkdir(parents=True, exist_ok=True)
    return run(check, args, log, f"call entered by keyboard, on the live map through the live feed; screenshots in {OUT}/")


if __name__ == "__main__":
    sys.exit(main())
