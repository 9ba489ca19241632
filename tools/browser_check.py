"""Loads every page of the docs site in headless Chromium and checks what a reader sees.

    python tools/browser_check.py [--site SITE_DIR] [--screenshots DIR] [--width 1280]

Builds the site (`mkdocs build --strict`, unless `--site` names a built one), serves it on
127.0.0.1, opens every page in headless Chromium (Debian's `chromium`; installed with
apt-get when it is missing) at a desktop width and fails when a page has

- an image that does not load, or a link to a page or anchor of the site that does not exist;
- a JavaScript error (an uncaught exception, a console error, a failed request);
- a code block, table, image or diagram wider than the content column. Code blocks may
  scroll horizontally inside the column (a long command line stays one line that can be
  copied); tables may not: a table that needs a scroll bar hides columns, so it fails;
- a `>>>` example rendered as (nested) blockquotes instead of code.

It saves a full-page screenshot of every page in a folder it prints. Chromium is driven over
the DevTools protocol on a pipe (`--remote-debugging-pipe`), so nothing but the standard
library and the `chromium` binary is needed.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Measured in the page: what the checks need, as one JSON object.
PAGE_PROBE = r"""
(() => {
  // The content column: Material's .md-content (tables' scroll wrappers bleed into the
  // margin of the article inside it by design).
  const column = document.querySelector(".md-content") || document.body;
  const box = column.getBoundingClientRect();
  const describe = (el) => {
    const text = (el.innerText || el.getAttribute("alt") || el.getAttribute("src") || "")
      .trim().split("\n")[0].slice(0, 80);
    return `${el.tagName.toLowerCase()} "${text}"`;
  };
  const wide = [];
  const scrolling = [];
  const selectors = "pre, table, img, svg, .md-typeset__scrollwrap, .doc-signature, .mermaid";
  for (const el of column.querySelectorAll(selectors)) {
    if (el.closest(".md-sidebar, .md-header, .md-footer")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.right > box.right + 1 || r.left < box.left - 1) {
      const size = `${Math.round(r.width)} px wide, column ${Math.round(box.width)} px`;
      wide.push(`${describe(el)}: ${size}`);
    }
    if (el.tagName === "TABLE") {
      const scroller = el.closest(".md-typeset__scrollwrap") || el;
      if (scroller.scrollWidth > scroller.clientWidth + 1) {
        const size = `${scroller.scrollWidth} px in ${scroller.clientWidth} px`;
        wide.push(`${describe(el)}: needs horizontal scrolling (${size})`);
      }
    }
    if (el.tagName === "PRE") {
      const code = el.querySelector("code") || el;
      if (code.scrollWidth > code.clientWidth + 1) {
        scrolling.push(`${describe(el)}: ${code.scrollWidth} px in ${code.clientWidth} px`);
      }
    }
  }
  const brokenImages = [...document.images]
    .filter((img) => !img.complete || img.naturalWidth === 0)
    .map((img) => img.getAttribute("src"));
  const links = [...document.querySelectorAll("a[href]")].map((a) => a.href);
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  // A `>>>` line outside a code block is Markdown for three nested blockquotes.
  const quotedExamples = document.querySelectorAll("blockquote blockquote").length
    + [...document.querySelectorAll("blockquote")]
      .filter((q) => (q.textContent || "").includes(">>>")).length;
  return JSON.stringify({
    wide, scrolling, brokenImages, links, ids, quotedExamples,
    height: Math.ceil(document.documentElement.scrollHeight),
  });
})()
"""


# ---------------------------------------------------------------------------- chromium
def find_chromium(install: bool = True) -> str:
    """The path of a Chromium binary; installs Debian's `chromium` when there is none."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    if not install:
        raise SystemExit("no chromium found (apt-get install chromium)")
    print("chromium not found: installing Debian's chromium package with apt-get", flush=True)
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "update", "-q"], check=True, env=env)
    subprocess.run([*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends",
                    "chromium", "fonts-dejavu-core"], check=True, env=env)
    return find_chromium(install=False)


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4)."""

    def __init__(self, binary: str, width: int, height: int = 900) -> None:
        self.profile = tempfile.mkdtemp(prefix="browser-check-profile-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # the child reads commands on fd 3, writes replies to fd 4
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        args = [
            binary, "--headless=new", "--remote-debugging-pipe", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
            "--disable-extensions", "--mute-audio", f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}", "--force-device-scale-factor=1",
        ]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.process = subprocess.Popen(
            # close_fds=False: the fds made by dup2 survive the exec (the pipes' own fds are
            # not inheritable and close).
            args, close_fds=False, preexec_fn=wire_fds,  # noqa: PLW1509
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.width, self.height = width, height
        self.set_size(width, height)

    def _read_message(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: bool = False,
             timeout: float = 60.0) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message(timeout)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for_event(self, method: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read_message(max(0.1, deadline - time.monotonic())))

    def set_size(self, width: int, height: int) -> None:
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=True)

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for_event("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")
        time.sleep(0.3)  # Material's scripts lay out tables and code after the load event

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, height: int) -> None:
        self.set_size(self.width, max(self.height, min(height, 16000)))
        time.sleep(0.2)
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        path.write_bytes(base64.b64decode(data))
        self.set_size(self.width, self.height)

    def errors(self) -> list[str]:
        """JavaScript errors and failed requests since the page was opened."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                text = details.get("exception", {}).get("description") or details.get("text")
                found.append(f"JavaScript error: {text}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                found.append(f"console error: {entry.get('text')} {entry.get('url', '')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                args = " ".join(str(a.get("value", a.get("description", "")))
                                for a in params.get("args", []))
                found.append(f"console.error: {args}")
            elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
                found.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                found.append(f"request failed: {params.get('errorText')}")
        return found

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


# ---------------------------------------------------------------------------- the check
def build_site(site: Path) -> None:
    mkdocs = Path(sys.executable).with_name("mkdocs")
    command = [str(mkdocs) if mkdocs.exists() else "mkdocs", "build", "--strict",
               "--site-dir", str(site)]
    subprocess.run(command, check=True, cwd=ROOT)


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def site_pages(site: Path) -> list[str]:
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("index.html"))
    return [p[: -len("index.html")] for p in pages]


def check(site: Path, screenshots: Path, width: int) -> list[str]:
    problems: list[str] = []
    server, base = serve(site)
    browser = Chromium(find_chromium(), width)
    ids: dict[str, set[str]] = {}
    links: dict[str, list[str]] = {}
    try:
        for page in site_pages(site):
            browser.open(base + page)
            probe = json.loads(browser.evaluate(PAGE_PROBE))
            name = page.strip("/").replace("/", "_") or "index"
            browser.screenshot(screenshots / f"{name}.png", probe["height"])
            where = f"/{page}"
            problems += [f"{where}: {e}" for e in browser.errors()]
            problems += [f"{where}: broken image {src}" for src in probe["brokenImages"]]
            problems += [f"{where}: wider than the content column: {w}" for w in probe["wide"]]
            if probe["quotedExamples"]:
                problems.append(f"{where}: {probe['quotedExamples']} nested blockquote(s): `>>>` "
                                "examples not rendered as code")
            for item in probe["scrolling"]:
                print(f"  note {where}: code block scrolls horizontally: {item}")
            ids[page] = set(probe["ids"])
            links[page] = probe["links"]
            print(f"checked {where} ({probe['height']} px)", flush=True)
    finally:
        browser.close()
        server.shutdown()
    problems += check_links(base, links, ids, site)
    return problems


def check_links(base: str, links: dict[str, list[str]], ids: dict[str, set[str]],
                site: Path) -> list[str]:
    problems = []
    for page, hrefs in links.items():
        for href in sorted(set(hrefs)):
            if not href.startswith(base):
                continue  # links off the site are not followed (CI has no network)
            parsed = urllib.parse.urlparse(href)
            path = urllib.parse.unquote(parsed.path)[1:]
            target = site / path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"/{page}: broken link {href[len(base) - 1:]}")
                continue
            if parsed.fragment and (path.endswith("/") or path == ""):
                anchors = ids.get(path)
                if anchors is not None and parsed.fragment not in anchors:
                    problems.append(f"/{page}: link to a missing anchor {href[len(base) - 1:]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one)")
    parser.add_argument("--screenshots", type=Path,
                        help="folder for the screenshots (default: a new temporary folder)")
    parser.add_argument("--width", type=int, default=1280, help="window width in CSS pixels")
    args = parser.parse_args(argv)
    site = args.site
    if site is None:
        site = Path(tempfile.mkdtemp(prefix="rotkeras-site-")) / "site"
        build_site(site)
    screenshots = args.screenshots or Path(tempfile.mkdtemp(prefix="rotkeras-screenshots-"))
    screenshots.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {screenshots}", flush=True)
    problems = check(site, screenshots, args.width)
    print(f"screenshots: {screenshots}")
    if problems:
        print(f"{len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print("browser check passed: every page, image and link loads; nothing is wider than "
          "the content column")
    return 0


if __name__ == "__main__":
    sys.exit(main())
