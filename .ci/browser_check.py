#!/usr/bin/env python3
"""Browser check: log in with a real browser, open the jurisdiction map, count the drawn Polsek areas.

Debian's Chromium driven by Playwright (``playwright install`` cannot download browsers here).
Screenshots go to ci-artifacts/ (desk monitor and phone). Exits non-zero on any failure.

    .venv/bin/python .ci/browser_check.py --base-url http://127.0.0.1:8000 --expect-polsek 16

Credentials: --username (default ``operator``) and the password from K3I_CHECK_PASSWORD (default: the
demo password that ``k3i demo`` prints).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
LOGIN_PATH = "/akun/masuk/"
DESK = {"width": 1440, "height": 1000}
PHONE = {"width": 375, "height": 812}


DEMO_PASSWORD = "demo-k3i-2026"  # k3i/demo/plan.py (read from there when present)


def default_password() -> str:
    """K3I_CHECK_PASSWORD, else the demo password that ``k3i demo`` prints (k3i/demo/plan.py)."""
    env = os.environ.get("K3I_CHECK_PASSWORD")
    if env:
        return env
    plan = Path(__file__).resolve().parent.parent / "k3i" / "demo" / "plan.py"
    if plan.exists():
        m = re.search(r'^DEMO_PASSWORD\s*=\s*"([^"]+)"', plan.read_text(encoding="utf-8"), re.M)
        if m:
            return m.group(1)
    return DEMO_PASSWORD


class CheckFailed(Exception):
    pass


def log(msg: str) -> None:
    print(f"[browser-check] {msg}", flush=True)


def run(check: Callable[[argparse.Namespace], None], args: argparse.Namespace, say: Callable[[str], None],
        ok: str) -> int:
    """Run one browser check: 0 and ``ok`` when it passes, 1 with the reason when it fails."""
    try:
        check(args)
    except CheckFailed as exc:
        say(f"FAILED: {exc}")
        return 1
    except PlaywrightError as exc:
        say(f"FAILED (browser): {exc}")
        return 1
    say(f"OK: {ok}")
    return 0


def login(page: Page, base: str, username: str, password: str) -> None:
    page.goto(base + LOGIN_PATH, wait_until="domcontentloaded")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.click("form[action$='/masuk/'] button[type=submit]")
    if "/masuk/kode/" in page.url or "/masuk/daftar-2fa/" in page.url:
        raise CheckFailed(f"login as {username!r} asks for a second factor (demo mode should not): {page.url}")
    if LOGIN_PATH in page.url:
        raise CheckFailed(f"login as {username!r} failed (still on the login page; wrong password?)")
    log(f"logged in as {username} → {page.url}")


def open_map(page: Page, base: str, timeout_ms: int) -> dict[str, Any]:
    page.goto(base + "/", wait_until="domcontentloaded")
    try:
        page.wait_for_selector("[data-k3i-map][data-ready='1']", state="attached", timeout=timeout_ms)
    except PlaywrightError as exc:
        raise CheckFailed(f"the map did not finish drawing within {timeout_ms} ms ({page.url})") from exc
    return page.evaluate(
        """() => {
            const el = document.querySelector('[data-k3i-map]');
            const areas = el.querySelectorAll('path.polsek-area');
            const visible = Array.from(areas).filter(p => {
                const b = p.getBoundingClientRect(); return b.width > 2 && b.height > 2;
            });
            const r = el.getBoundingClientRect();
            return {
                areas: areas.length, visible: visible.length,
                reported: Number(el.dataset.polsekCount),
                kelurahan: el.querySelectorAll('path.kelurahan-area').length,
                gaps: el.querySelectorAll('path.gap-area').length,
                pospol: el.querySelectorAll('.pospol-marker').length,
                units: el.querySelectorAll('.unit-marker').length,
                labels: el.querySelectorAll('.polsek-label').length,
                schematicNote: !!document.querySelector('.map-note'),
                mapWidth: Math.round(r.width), mapHeight: Math.round(r.height),
                pageWidth: document.documentElement.scrollWidth,
            };
        }"""
    )


def check(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = args.base_url.rstrip("/")
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx = browser.new_context(viewport=DESK, locale="id-ID")
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            # Everything must be served locally: any request to another origin is a failure.
            page.on(
                "request",
                lambda r: errors.append(f"external request: {r.url}")
                if not (r.url.startswith(base) or r.url.startswith("data:")) else None,
            )
            login(page, base, args.username, args.password)

            stats = open_map(page, base, args.timeout * 1000)
            log(f"desk {DESK['width']}px: {stats}")
            page.screenshot(path=str(out / "overview.png"), full_page=False)
            page.screenshot(path=str(out / "overview-full.png"), full_page=True)
            if stats["areas"] != args.expect_polsek:
                raise CheckFailed(f"expected {args.expect_polsek} Polsek areas on the map, found {stats['areas']}")
            if stats["reported"] != stats["areas"] or stats["visible"] != stats["areas"]:
                raise CheckFailed(f"some Polsek areas are not visible: {stats}")
            if stats["mapHeight"] < 250:
                raise CheckFailed(f"the map is too small to use: {stats['mapWidth']}×{stats['mapHeight']}")

            # A Polsek page (first one in the list) with its own small map.
            page.goto(base + "/polsek/", wait_until="domcontentloaded")
            link = page.locator(".polsek-card h2 a").first
            if link.count():
                link.click()
                page.wait_for_selector("[data-k3i-map][data-ready='1']", state="attached", timeout=args.timeout * 1000)
                n = page.locator("path.polsek-area").count()
                if n != 1:
                    raise CheckFailed(f"a Polsek page should draw exactly its own area, found {n}")
                page.screenshot(path=str(out / "polsek.png"), full_page=True)
                log(f"Polsek page {page.url}: 1 area drawn")

            # The same map on a phone.
            phone = browser.new_context(
                viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="id-ID",
                storage_state=ctx.storage_state(),
            )
            ppage = phone.new_page()
            ppage.on("pageerror", lambda e: errors.append(f"phone page error: {e}"))
            pstats = open_map(ppage, base, args.timeout * 1000)
            log(f"phone {PHONE['width']}px: {pstats}")
            ppage.screenshot(path=str(out / "overview-phone.png"), full_page=False)
            ppage.screenshot(path=str(out / "overview-phone-full.png"), full_page=True)
            ppage.locator(".map-card").first.screenshot(path=str(out / "overview-phone-map.png"))
            if pstats["areas"] != args.expect_polsek:
                raise CheckFailed(f"phone: expected {args.expect_polsek} Polsek areas, found {pstats['areas']}")
            if pstats["pageWidth"] > PHONE["width"] + 1:
                raise CheckFailed(f"phone: the page scrolls sideways ({pstats['pageWidth']}px wide at 375px)")
        except CheckFailed as exc:
            if errors:
                raise CheckFailed(f"{exc}\n  errors in the browser:\n  " + "\n  ".join(errors)) from exc
            raise
        finally:
            browser.close()
    if errors:
        raise CheckFailed("errors in the browser:\n  " + "\n  ".join(errors))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("base_url_pos", nargs="?", metavar="BASE_URL", help="same as --base-url")
    p.add_argument("--base-url", default="http://127.0.0.1:8000")
    p.add_argument("--username", default=os.environ.get("K3I_CHECK_USERNAME", "operator"))
    p.add_argument("--password", default=None, help="default: $K3I_CHECK_PASSWORD or the demo password")
    p.add_argument("--expect-polsek", type=int, default=16, help="Polsek areas the map must draw (Semarang: 16)")
    p.add_argument("--out", default="ci-artifacts", help="folder for the screenshots")
    p.add_argument("--timeout", type=int, default=30, help="seconds to wait for the map")
    p.add_argument("--chromium", default=CHROMIUM)
    args = p.parse_args(argv)
    if args.base_url_pos:
        args.base_url = args.base_url_pos
    if args.password is None:
        args.password = default_password()
    return run(check, args, log, f"{args.expect_polsek} Polsek areas drawn; screenshots in {args.out}/")


if __name__ == "__main__":
    sys.exit(main())
