#!/usr/bin/env python3
"""Browser check of the shared live feed: one ``/ops/stream`` connection per browser, however many tabs.

The ops pages of one browser share one EventSource (k3i/static/k3i/room.js): a SharedWorker holds it, or,
without SharedWorker, a leader tab elected with a Web Lock holds it and relays over a BroadcastChannel.
Debian's Chromium driven by Playwright against a running demo (``k3i demo``):

a. SharedWorker mode: two ops tabs of one logged-in browser; exactly one stream connection is open, and an
   incident created meanwhile (API, write token) reaches both tabs' live views without reload;
b. leader-tab mode (``window.SharedWorker`` deleted before any page script runs), the tabs of one window
   (the newest in front, the others background tabs): two tabs, exactly one holds the EventSource, an
   incident reaches both; then
   (i) the leader tab is closed: the other takes over within seconds and receives the next incident;
   (ii) the leader, a background tab, is frozen (CDP ``Page.setWebLifecycleState``, as Chrome freezes
        background tabs): the tab in front takes over within seconds, the frozen tab's connection is
        closed, the next incident arrives; once the frozen tab is resumed there is still exactly one
        stream, and every tab receives the next incident;
   (iii) the leader hangs without notice (its script paused in the debugger): the tab in front takes over
        after the leader's silence (room.js: 20 s); when it runs again it steps down — one stream, every tab
        receives the next incident;
   (iv) a frozen background tab waiting for the lock is passed over when the leader closes.

How connections are counted: the browser reaches the server through a small HTTP proxy started by this
check (``--proxy-server``, loopback not bypassed; one request per connection). The proxy sees every request
the server would see — from pages, the shared worker and frozen pages alike — so "open streams" is the
number of ``/ops/stream`` responses in progress, as the server counts them. (Playwright's request events
do not cover SharedWorkers.) Which tab holds the EventSource is read in each page from a counting wrapper
around ``window.EventSource`` (an init script).

Needs a write token of the operator: ``--token``, else one is made with ``k3i token create`` — run with the
demo server's K3I_VAR_DIR (or K3I_DATABASE_URL). Screenshots go to --out. Exits non-zero on any failure.

    K3I_VAR_DIR=... .venv/bin/python .ci/browser_live_tabs.py --base-url http://127.0.0.1:8765 --out ci-artifacts
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_check import CHROMIUM, CHROMIUM_ARGS, DESK, CheckFailed, default_password, login, run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
K3I = str(ROOT / ".venv" / "bin" / "k3i")
STREAM_PATH = "/ops/stream"

# Before any page script: count the EventSources this page holds open (the leader's, or a tab's own).
COUNT_SOURCES = """
(() => {
  const Native = window.EventSource;
  if (!Native || window.__k3iSources) { return; }
  const live = new Set();
  window.__k3iSources = () => Array.from(live).filter((s) => s.readyState !== 2).length;
  window.EventSource = class extends Native {
    constructor(url, init) { super(url, init); live.add(this); }
    close() { live.delete(this); super.close(); }
  };
})();
"""
NO_SHARED_WORKER = "delete window.SharedWorker;"


def log(msg: str) -> None:
    print(f"[browser-live-tabs] {msg}", flush=True)


# --- the counting proxy ----------------------------------------------------------------------------------


class CountingProxy:
    """A forward HTTP proxy for the browser, to one upstream server, one request per connection
    (``Connection: close`` both ways). Keeps the ``/ops/stream`` responses in progress."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.lock = threading.Lock()
        self.streams: dict[int, float] = {}  # connection number → when it was opened
        self.stream_total = 0
        self.ids = itertools.count(1)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = int(self.sock.getsockname()[1])
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def open_streams(self) -> int:
        with self.lock:
            return len(self.streams)

    def close(self) -> None:
        self.closed = True
        self.sock.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _head(sock: socket.socket) -> tuple[bytes, bytes]:
        """Read up to the end of an HTTP head: (head without the blank line, bytes already read after it)."""
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before the end of the head")
            buf += chunk
            if len(buf) > 256 * 1024:
                raise ConnectionError("head too long")
        head, _, rest = buf.partition(b"\r\n\r\n")
        return head, rest

    @staticmethod
    def _closing(lines: list[bytes]) -> bytes:
        keep = [h for h in lines if h.split(b":", 1)[0].strip().lower()
                not in (b"connection", b"proxy-connection", b"keep-alive")]
        return b"\r\n".join([*keep, b"Connection: close"]) + b"\r\n\r\n"

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        number = next(self.ids)
        is_stream = False
        done = threading.Event()

        def finish() -> None:
            if done.is_set():
                return
            done.set()
            with self.lock:
                self.streams.pop(number, None)
            for s in (client, upstream):
                if s is not None:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    s.close()

        try:
            head, rest = self._head(client)
            lines = head.split(b"\r\n")
            method, target, version = lines[0].split(b" ", 2)
            if method == b"CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                return
            url = urlsplit(target.decode("latin-1"))
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            is_stream = url.path == STREAM_PATH
            upstream = socket.create_connection(self.upstream, timeout=30)
            upstream.settimeout(None)
            upstream.sendall(self._closing([b" ".join([method, path.encode("latin-1"), version]), *lines[1:]]) + rest)
            if is_stream:
                with self.lock:
                    self.streams[number] = time.monotonic()
                    self.stream_total += 1

            def to_upstream() -> None:  # the request body; then the client's close ends the exchange
                try:
                    while True:
                        data = client.recv(65536)
                        if not data:
                            break
                        assert upstream is not None
                        upstream.sendall(data)
                except (OSError, AssertionError):
                    pass
                finish()

            threading.Thread(target=to_upstream, daemon=True).start()
            rhead, rrest = self._head(upstream)
            client.sendall(self._closing(rhead.split(b"\r\n")) + rrest)
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                client.sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            finish()


# --- helpers ------------------------------------------------------------------------------------------------


class Incidents:
    """Creates incidents through the API (``POST /api/v1/incidents``) with an operator's write token."""

    def __init__(self, base: str, token: str) -> None:
        u = urlsplit(base)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.token = token
        self.n = 0
        self.tag = f"live-tabs-{os.getpid()}-{int(time.time())}"

    def create(self) -> tuple[int, str]:
        self.n += 1
        body = {"text": "tolong ada kecelakaan motor di depan pasar, korban luka", "lat": -6.98371, "lon": 110.41869,
                "channel": "110", "reporter_name": "Uji Tab", "reporter_phone": "081200000000",
                "idempotency_key": f"{self.tag}-{self.n}"}
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request("POST", "/api/v1/incidents", json.dumps(body),
                     {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        if resp.status != 201:
            raise CheckFailed(f"POST /api/v1/incidents answered {resp.status}: {raw[:300]!r}")
        answer = json.loads(raw)
        return int(answer["id"]), str(answer["number"])


def make_token(username: str) -> str:
    env = {**os.environ, "K3I_DEMO": "1"}  # demo accounts work only in demo mode
    if not env.get("K3I_VAR_DIR") and not env.get("K3I_DATABASE_URL"):
        raise CheckFailed("no --token and neither K3I_VAR_DIR nor K3I_DATABASE_URL: cannot make a token for the demo")
    out = subprocess.run([K3I, "token", "create", username, "--write", "--days", "1", "--name", "browser_live_tabs"],
                         env=env, capture_output=True, text=True, check=False)
    token = out.stdout.strip()
    if out.returncode != 0 or not token or "\n" in token:
        raise CheckFailed(f"k3i token create {username} failed: {out.stdout!r} {out.stderr!r}")
    return token


def wait_until(what: str, cond: Callable[[], Any], timeout: float, step: float = 0.1) -> float:
    """Poll ``cond`` until true; returns the seconds it took, or fails naming ``what``."""
    t0 = time.monotonic()
    while True:
        if cond():
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise CheckFailed(f"{what}: not within {timeout:.0f} s")
        time.sleep(step)


def sources(page: Page) -> int:
    return int(page.evaluate("() => window.__k3iSources ? window.__k3iSources() : -1"))


def open_room(ctx: BrowserContext, base: str, path: str, timeout_ms: int, errors: list[str], name: str) -> Page:
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(f"{name}: page error: {e}"))
    page.on("console", lambda m: errors.append(f"{name}: console {m.type}: {m.text}") if m.type == "error" else None)
    page.goto(base + path, wait_until="domcontentloaded")
    try:
        if path.startswith("/ops/peta"):
            page.wait_for_selector("[data-k3i-map][data-live-ready='1']", state="attached", timeout=timeout_ms)
        page.wait_for_selector("[data-live-status].is-on", timeout=timeout_ms)
    except PlaywrightError as exc:
        raise CheckFailed(f"{name} ({path}): the live feed did not connect within {timeout_ms} ms") from exc
    return page


def mode(page: Page) -> str:
    return page.get_attribute("[data-live-status]", "data-live-mode") or ""


def arrives(pages: dict[str, Page], incident: tuple[int, str], timeout: float, t0: float) -> None:
    """The incident appears (marker, list or queue row) in every page, none of them reloaded. Polled with
    ``evaluate`` (Playwright's own waiting relies on animation frames, which a background tab does not get)."""
    iid, number = incident
    missing = dict(pages)
    while missing:
        for name, page in list(missing.items()):
            if page.evaluate("(id) => !!document.querySelector(`[data-incident-id='${id}']`)", iid):
                log(f"  {number} in {name} {time.monotonic() - t0:.2f} s after it was created")
                del missing[name]
        if missing and time.monotonic() - t0 > timeout:
            raise CheckFailed(f"{number} did not reach {', '.join(missing)} within {timeout:.0f} s (no reload)")
        time.sleep(0.05)


class Room:
    """A check's state: the proxy, the pages, the incident maker."""

    def __init__(self, args: argparse.Namespace, proxy: CountingProxy, incidents: Incidents) -> None:
        self.args = args
        self.base = args.base_url.rstrip("/")
        self.timeout_ms = args.timeout * 1000
        self.proxy = proxy
        self.incidents = incidents
        self.errors: list[str] = []

    def login(self, ctx: BrowserContext) -> None:
        page = ctx.new_page()
        login(page, self.base, self.args.username, self.args.password)
        page.close()  # only the tabs of the check stay open

    def settle(self, pages: dict[str, Page], want_holder: str | None = None) -> str:
        """Wait until exactly one stream is open and exactly one of ``pages`` holds an EventSource (held
        for a second: a joining tab makes the holder reopen its connection); returns the holder's name."""
        seen: dict[str, Any] = {}

        def one() -> bool:
            counts = {n: sources(p) for n, p in pages.items()}
            holders = [n for n, c in counts.items() if c >= 1]
            seen.update(counts=counts, streams=self.proxy.open_streams())
            ok = seen["streams"] == 1 and len(holders) == 1 and counts[holders[0]] == 1
            if want_holder is not None:
                ok = ok and holders == [want_holder]
            seen["holder"] = holders[0] if ok else None
            return ok

        def stable() -> bool:
            if not one():
                return False
            time.sleep(1.0)
            return one()

        try:
            wait_until("one stream, held by one tab", stable, self.args.settle)
        except CheckFailed as exc:
            raise CheckFailed(f"{exc}: streams open {seen.get('streams')}, EventSources per tab {seen.get('counts')}"
                              ) from exc
        return str(seen["holder"])

    def steady_streams(self) -> int:
        """The number of open streams once it has not changed for a second (a new EventSource exists in
        the page a moment before its request reaches the proxy)."""
        last = [-1, time.monotonic()]

        def steady() -> bool:
            n = self.proxy.open_streams()
            if n != last[0]:
                last[:] = [n, time.monotonic()]
            return time.monotonic() - last[1] >= 1.0

        wait_until("the number of open streams settles", steady, self.args.settle)
        return int(last[0])

    def one_stream_after_resume(self, pages: dict[str, Page], resumed: str) -> None:
        """After ``resumed`` runs again: one stream, held by one tab, for ``--watch`` seconds (a rejoining
        tab makes the holder reopen its connection: a short overlap is looked at twice); then the next
        incident reaches every tab."""
        t0 = time.monotonic()
        holder = self.settle(pages)
        log(f"  {resumed} runs again: one stream, held by {holder}, {time.monotonic() - t0:.2f} s later")
        end = time.monotonic() + self.args.watch
        while time.monotonic() < end:
            for look in (1, 2):
                counts = {k: sources(v) for k, v in pages.items()}
                streams = self.proxy.open_streams()
                if streams == 1 and sorted(counts.values()) == [0] * (len(pages) - 1) + [1]:
                    break
                if look == 2:
                    raise CheckFailed(f"after {resumed} ran again: {streams} streams open, EventSources per tab "
                                      f"{counts}")
                time.sleep(0.5)
            time.sleep(0.25)
        self.incident_reaches(pages)

    def incident_reaches(self, pages: dict[str, Page]) -> None:
        t0 = time.monotonic()
        incident = self.incidents.create()
        log(f"incident {incident[1]} (#{incident[0]}) created through the API")
        arrives(pages, incident, self.args.live_timeout, t0)

    def shot(self, page: Page, name: str) -> None:
        page.screenshot(path=str(Path(self.args.out) / name))


# --- the checks ---------------------------------------------------------------------------------------------


def worker_mode(room: Room, ctx: BrowserContext, browser_cdp: Any) -> None:
    log("a. SharedWorker mode")
    room.login(ctx)
    pages = {"peta": open_room(ctx, room.base, "/ops/peta", room.timeout_ms, room.errors, "peta"),
             "antrian": open_room(ctx, room.base, "/ops/antrian", room.timeout_ms, room.errors, "antrian")}
    modes = {n: mode(p) for n, p in pages.items()}
    if set(modes.values()) != {"worker"}:
        raise CheckFailed(f"the tabs should share a SharedWorker (data-live-mode): {modes}")
    streams = room.steady_streams()
    counts = {n: sources(p) for n, p in pages.items()}
    if streams != 1 or any(counts.values()):
        raise CheckFailed(f"expected one stream, held by the shared worker: {streams} streams open, "
                          f"EventSources in the tabs {counts}")
    workers = [t for t in browser_cdp.send("Target.getTargets")["targetInfos"] if t["type"] == "shared_worker"]
    log(f"2 tabs, {len(workers)} shared worker ({', '.join(t['url'] for t in workers)}), "
        f"{room.proxy.open_streams()} stream open, none in the tabs")
    if len(workers) != 1:
        raise CheckFailed(f"expected one shared worker, found {len(workers)}")
    room.incident_reaches(pages)
    if room.proxy.open_streams() != 1:
        raise CheckFailed(f"{room.proxy.open_streams()} streams open after the incident, expected 1")
    room.shot(pages["peta"], "live-tabs-worker-peta.png")
    room.shot(pages["antrian"], "live-tabs-worker-antrian.png")


def leader_mode(room: Room, ctx: BrowserContext) -> None:
    log("b. leader-tab mode (no SharedWorker)")
    room.login(ctx)
    n = itertools.count(1)

    def tab() -> tuple[str, Page]:
        name = f"tab{next(n)}"
        page = open_room(ctx, room.base, "/ops/peta", room.timeout_ms, room.errors, name)
        if mode(page) != "leader":
            raise CheckFailed(f"{name}: expected data-live-mode 'leader' without SharedWorker, got {mode(page)!r}")
        return name, page

    pages = dict([tab(), tab()])
    leader = room.settle(pages)
    log(f"2 tabs, 1 stream open, held by {leader}")
    room.incident_reaches(pages)

    # (i) the leader tab is closed
    pages.pop(leader).close()
    (other, page), = pages.items()
    took = wait_until("the other tab takes over the stream", lambda: sources(page) == 1, room.args.takeover)
    room.settle(pages, want_holder=other)
    log(f"(i) {leader} closed: {other} holds the stream {took:.2f} s later")
    room.incident_reaches(pages)

    # (ii) the leader, now a background tab, is frozen (as Chrome freezes background tabs), then resumed
    name, front = tab()
    pages[name] = front
    leader = room.settle(pages, want_holder=other)
    shown = {k: v.evaluate("document.visibilityState") for k, v in pages.items()}
    log(f"{name} opened in front: {leader} (in the background) still holds the stream; visibility {shown}")
    cdp = ctx.new_cdp_session(pages[leader])
    cdp.send("Page.setWebLifecycleState", {"state": "frozen"})
    took = wait_until("the tab in front takes over from the frozen leader", lambda: sources(front) == 1,
                      room.args.takeover)
    streams = room.steady_streams()
    log(f"(ii) {leader} frozen: {name} holds the stream {took:.2f} s later; streams open: {streams}")
    if streams != 1:
        raise CheckFailed(f"{streams} streams open while {leader} is frozen: it should have closed its own")
    room.incident_reaches({name: front})
    room.shot(front, "live-tabs-leader-after-freeze.png")
    cdp.send("Page.setWebLifecycleState", {"state": "active"})
    room.one_stream_after_resume(pages, leader)
    cdp.detach()

    # (iii) the leader hangs without notice (its script paused in the debugger: no freeze event, no
    # heartbeat): the tab in front takes over after the leader's silence; the leader steps down when it runs
    name, front = tab()
    pages[name] = front
    leader = room.settle(pages)
    if leader == name:
        raise CheckFailed(f"the tab just opened ({name}) took the stream from {leader}")
    cdp = ctx.new_cdp_session(pages[leader])
    cdp.send("Debugger.enable")
    cdp.send("Debugger.pause")  # takes effect at the leader's next script task (an event, its heartbeat)
    took = wait_until("the tab in front takes over from the silent leader", lambda: sources(front) == 1,
                      room.args.silence_takeover)
    log(f"(iii) {leader} paused: {name} holds the stream {took:.2f} s later; "
        f"streams open: {room.steady_streams()} (the paused leader's own as well)")
    room.incident_reaches({name: front})
    cdp.send("Debugger.resume")
    cdp.send("Debugger.disable")
    room.one_stream_after_resume(pages, leader)
    cdp.detach()

    # (iv) a frozen background tab waiting for the lock is passed over: freeze the tab that has waited
    # longest, close the leader: another tab takes over at once (a frozen tab granted the lock could not
    # open the stream, and the others would wait for its silence)
    holder = room.settle(pages, want_holder=name)
    waiting = min((k for k in pages if k != holder), key=lambda k: int(k[3:]))
    cdp = ctx.new_cdp_session(pages[waiting])
    cdp.send("Page.setWebLifecycleState", {"state": "frozen"})
    # Let the freeze reach the tab first: a lock granted in the few milliseconds before its freeze handler
    # runs stays with the frozen tab, and the others take over only after its silence (as in iii).
    time.sleep(1.0)
    pages.pop(holder).close()
    (other, page), = ((k, v) for k, v in pages.items() if k != waiting)
    took = wait_until(f"{other} takes over while {waiting} is frozen", lambda: sources(page) == 1,
                      room.args.takeover)
    log(f"(iv) {waiting} frozen, leader {holder} closed: {other} holds the stream {took:.2f} s later")
    room.incident_reaches({other: page})
    cdp.send("Page.setWebLifecycleState", {"state": "active"})
    room.one_stream_after_resume(pages, waiting)
    cdp.detach()
    for k, v in pages.items():
        v.bring_to_front()  # a background tab paints nothing to take a picture of
        room.shot(v, f"live-tabs-leader-{k}.png")


@contextlib.contextmanager
def chromium(pw: Playwright, args: argparse.Namespace, extra: list[str]) -> Iterator[Browser]:
    """Chromium started here and driven over CDP with ``no_defaults``: in its default context Playwright
    does not emulate focus, which would keep every tab "visible" and make ``Page.setWebLifecycleState``
    unable to freeze one (Chromium freezes hidden pages only). Its tabs share one window, like a user's:
    the newest is in front, the others are background tabs."""
    profile = tempfile.TemporaryDirectory(prefix="k3i-live-tabs-")
    cmd = [args.chromium, *CHROMIUM_ARGS, *extra, f"--user-data-dir={profile.name}", "--remote-debugging-port=0",
           f"--window-size={DESK['width']},{DESK['height']}", "--lang=id-ID", "--no-default-browser-check",
           "--password-store=basic", "about:blank"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        port_file = Path(profile.name) / "DevToolsActivePort"
        wait_until("Chromium opens its DevTools port", lambda: port_file.exists() and port_file.read_text().strip(),
                   30)
        port = port_file.read_text().split()[0]
        browser = pw.chromium.connect_over_cdp(f"http://127.0.0.1:{port}", no_defaults=True)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass
        profile.cleanup()


def check(args: argparse.Namespace) -> None:
    base = args.base_url.rstrip("/")
    u = urlsplit(base)
    token = args.token or os.environ.get("K3I_CHECK_TOKEN") or make_token(args.username)
    room = Room(args, CountingProxy(u.hostname or "127.0.0.1", u.port or 80), Incidents(base, token))
    # every request through the counting proxy, the server's own address included
    proxy_args = [f"--proxy-server=http://127.0.0.1:{room.proxy.port}", "--proxy-bypass-list=<-loopback>"]
    t0 = time.monotonic()
    try:
        with sync_playwright() as pw, chromium(pw, args, proxy_args) as browser:
            ctx = browser.new_context(viewport=DESK, locale="id-ID")
            ctx.add_init_script(COUNT_SOURCES)
            worker_mode(room, ctx, browser.new_browser_cdp_session())
            ctx.close()
            wait_until("the worker's stream ends when its tabs are gone", lambda: room.proxy.open_streams() == 0, 15)

            ctx = browser.contexts[0]  # the default context: real background tabs, which can be frozen
            ctx.add_init_script(NO_SHARED_WORKER)
            ctx.add_init_script(COUNT_SOURCES)
            leader_mode(room, ctx)
    except CheckFailed as exc:
        if room.errors:
            raise CheckFailed(f"{exc}\n  errors in the browser:\n  " + "\n  ".join(room.errors)) from exc
        raise
    finally:
        room.proxy.close()
    if room.errors:
        raise CheckFailed("errors in the browser:\n  " + "\n  ".join(room.errors))
    log(f"{room.proxy.stream_total} stream connections opened in all; {time.monotonic() - t0:.1f} s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-url", default="http://127.0.0.1:8000")
    p.add_argument("--username", default="operator")
    p.add_argument("--password", default=None, help="default: $K3I_CHECK_PASSWORD or the demo password")
    p.add_argument("--token", default=None, help="write token of --username (default: $K3I_CHECK_TOKEN, else made)")
    p.add_argument("--out", default="ci-artifacts", help="folder for the screenshots")
    p.add_argument("--timeout", type=int, default=30, help="seconds to wait for a page")
    p.add_argument("--live-timeout", type=float, default=5, help="seconds for an incident to reach the tabs")
    p.add_argument("--takeover", type=float, default=5,
                   help="seconds for a tab to take over from a leader tab closed or frozen")
    p.add_argument("--silence-takeover", type=float, default=35,
                   help="seconds to take over from a leader that hangs without notice (room.js: 20 s of silence)")
    p.add_argument("--settle", type=float, default=10, help="seconds for the tabs to settle on one stream")
    p.add_argument("--watch", type=float, default=3, help="seconds to watch for a second stream after a resume")
    p.add_argument("--chromium", default=CHROMIUM)
    args = p.parse_args(argv)
    if args.password is None:
        args.password = default_password()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    return run(check, args, log, "one stream per browser (SharedWorker and leader tab), takeover after close and "
               f"freeze; screenshots in {args.out}/")


if __name__ == "__main__":
    sys.exit(main())
