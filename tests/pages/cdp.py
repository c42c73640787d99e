"""Driving headless Chromium over the Chrome DevTools Protocol (a websocket), for page tests
that type, click and read what the page's scripts built.

``Browser(chromium).page(width, height)`` starts Chromium with its own profile, opens a tab
and records every request the tab makes (``page.requests``), console errors and uncaught
exceptions (``page.errors``) and Content-Security-Policy violations. Only the standard
library and ``websockets`` (a dependency of ``uvicorn[standard]``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from shezhire.http.testing import CHROMIUM_FLAGS

START_TIMEOUT_S = 30.0
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  {directive: e.violatedDirective, sample: e.sample, source: e.sourceFile, blocked: e.blockedURI}));
"""


class CdpError(RuntimeError):
    pass


class Page:
    """One tab: send CDP commands, read events, and the helpers the tests use."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._next_id = 0
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.failures: list[str] = []
        self._events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable")
        # Content-Security-Policy violations, with a sample of what was blocked, per document.
        self.send("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_RECORDER})

    # -- protocol ---------------------------------------------------------------------------

    def _record(self, message: dict[str, Any]) -> None:
        method = message.get("method", "")
        params = message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            self.failures.append(f"{params['response']['status']} {params['response']['url']}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.errors.append(f"exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            args = params.get("args", [])
            self.errors.append(
                "console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            )
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                self.errors.append(f"log ({entry.get('source')}): {entry.get('text')}")
        self._events.append(message)

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        self._next_id += 1
        mine = self._next_id
        self._socket.send(json.dumps({"id": mine, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError(f"{method}: no answer in {timeout} s")
            message = json.loads(self._socket.recv(timeout=left))
            if message.get("id") == mine:
                if "error" in message:
                    raise CdpError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._record(message)

    def pump(self, seconds: float) -> None:
        """Read events for a while (requests and errors keep being recorded)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._record(json.loads(self._socket.recv(timeout=left)))
            except TimeoutError:
                return

    # -- helpers ----------------------------------------------------------------------------

    def goto(self, url: str, timeout: float = 30) -> None:
        self._events.clear()
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e.get("method") == "Page.loadEventFired" for e in self._events):
                return
            self.pump(0.1)
        raise CdpError(f"{url} did not load in {timeout} s")

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CdpError(details.get("exception", {}).get("description") or details["text"])
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 20, what: str = "") -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CdpError(f"timed out waiting for {what or expression}; errors: {self.errors}")
            self.pump(0.15)

    def csp_violations(self) -> list[dict[str, str]]:
        """This document's CSP violations so far: directive, sample, source, blocked."""
        found = self.evaluate("window.__cspViolations || []")
        return list(found or [])

    def url(self) -> str:
        return str(self.evaluate("location.href"))

    def center_of(self, selector: str) -> tuple[float, float]:
        box = self.evaluate(
            "(() => { const e = document.querySelector(" + json.dumps(selector) + ");"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        if not box:
            raise CdpError(f"no element {selector}")
        return float(box[0]), float(box[1])

    def click_at(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def click(self, selector: str) -> None:
        self.click_at(*self.center_of(selector))

    def type_text(self, text: str) -> None:
        for char in text:  # one input event per character, as a person types
            self.send("Input.insertText", {"text": char})
            self.pump(0.03)

    def press(self, key: str) -> None:
        codes = {"Enter": 13, "ArrowDown": 40, "ArrowUp": 38, "Escape": 27, "Tab": 9}
        common = {"key": key, "code": key, "windowsVirtualKeyCode": codes[key]}
        if key == "Enter":
            common["text"] = "\r"
        self.send("Input.dispatchKeyEvent", {"type": "keyDown", **common})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", **common})

    def screenshot(self, path: Path, selector: str | None = None) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if selector is not None:
            self.evaluate(
                f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'start'}})"
            )
            self.pump(0.3)
            box = self.evaluate(
                f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                ".getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY,"
                " r.width, r.height]; })()"
            )
            params["clip"] = {"x": box[0], "y": box[1], "width": box[2], "height": box[3]}
            params["clip"]["scale"] = 1
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def foreign_requests(self) -> list[str]:
        """Requests to anything but this machine (data: and blob: URLs are local)."""
        local = ("http://127.0.0.1:", "http://localhost:", "data:", "blob:", "about:")
        return [url for url in self.requests if not url.startswith(local)]


class Browser:
    """A headless Chromium with a DevTools port; ``with Browser(path) as b: b.page()``."""

    def __init__(self, chromium: str) -> None:
        self._chromium = chromium
        self._profile = tempfile.mkdtemp(prefix="shezhire-cdp-")
        self._process: subprocess.Popen[bytes] | None = None
        self._sockets = contextlib.ExitStack()
        self.port = 0

    def __enter__(self) -> Browser:
        self._process = subprocess.Popen(
            [
                self._chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self._profile}",
                "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        active = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (active.is_file() and active.read_text().strip()):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise CdpError("chromium did not open its DevTools port")
            time.sleep(0.05)
        self.port = int(active.read_text().splitlines()[0])
        return self

    def page(self, width: int = 1280, height: int = 1000) -> Page:
        browser = self._sockets.enter_context(
            connect(self._browser_url(), max_size=None, open_timeout=30)
        )
        create = {"id": 1, "method": "Target.createTarget", "params": {"url": "about:blank"}}
        browser.send(json.dumps(create))
        target = ""
        while not target:
            message = json.loads(browser.recv(timeout=30))
            if message.get("id") == 1:
                target = message["result"]["targetId"]
        socket = self._sockets.enter_context(
            connect(
                f"ws://127.0.0.1:{self.port}/devtools/page/{target}",
                max_size=None,
                open_timeout=30,
            )
        )
        page = Page(socket)
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    def _browser_url(self) -> str:
        active = Path(self._profile) / "DevToolsActivePort"
        path = active.read_text().splitlines()[1]
        return f"ws://127.0.0.1:{self.port}{path}"

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self._sockets.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        shutil.rmtree(self._profile, ignore_errors=True)
