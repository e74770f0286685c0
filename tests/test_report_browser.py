"""The tour report and a rendered notebook in a real headless browser: no network request, every figure shown.

Chromium is driven over the DevTools protocol (`--remote-debugging-pipe`, standard library only):
every request the page itself makes is reported by `Network.requestWillBeSent` for the page's
session, apart from the browser's own background traffic, and after the load event the page
says whether each image decoded and takes up space, and whether each formula (MathML) was laid
out with a size and no LaTeX source shows as text. Skips where no Chromium is installed
(Debian: apt-get install -y chromium). With KERASMODELS_SCREENSHOTS=folder the pages' screenshots
are saved there, to look at.
"""

import base64
import fcntl
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kerasmodels.course import runner

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BROWSER is None, reason="no Chromium installed (Debian: apt-get install -y chromium)"),
]

IMAGES = """JSON.stringify([...document.images].map((img) => ({
  alt: img.alt, loaded: img.complete && img.naturalWidth > 0,
  width: img.getBoundingClientRect().width, height: img.getBoundingClientRect().height})))"""
# Every <math> element's laid-out size, and the page's visible text (where unrendered LaTeX would show).
MATHS = """JSON.stringify({
  maths: [...document.querySelectorAll('math')].map((m) => {
    const box = m.getBoundingClientRect();
    return {display: m.getAttribute('display'), width: box.width, height: box.height};
  }),
  unconverted: document.querySelectorAll('code.tex').length,
  text: document.body.innerText})"""


class Chromium:
    """Headless Chromium and a minimal DevTools-protocol client over its pipe (fds 3 and 4)."""

    def __init__(self, profile):
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def wire_pipes():
            # Through fds >= 10 first: the pipe's own numbers may be 3 or 4 already.
            high_read, high_write = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_read, from_browser_write))
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)

        self.process = subprocess.Popen(
            [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}",
             # Whatever slips through goes to a closed port on loopback, never out of the machine.
             "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=wire_pipes, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._next_id = 0
        self._replies, self.events = {}, queue.Queue()
        self._lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buffer = b""
        while chunk := os.read(self._from_browser, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        self._replies[message["id"]] = message
                        self._lock.notify_all()
                else:
                    self.events.put(message)

    def send(self, method, session=None, **params):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        with self._lock:
            assert self._lock.wait_for(lambda: self._next_id in self._replies, timeout=60), f"{method}: no reply"
            reply = self._replies.pop(self._next_id)
        assert "error" not in reply, reply
        return reply["result"]

    def visit(self, path, settle_s=1.0, timeout_s=60, screenshot=None):
        """Load a file; return (URLs the page requested, what it says about its images).

        `self.maths` is then what the page says about its formulas; `screenshot`: a PNG path to save the page to.
        """
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Network", "Page", "Runtime"):
            self.send(f"{domain}.enable", session)
        self.send("Page.navigate", session, url=path.as_uri())
        requested, loaded_at, deadline = [], None, time.monotonic() + timeout_s
        while time.monotonic() < deadline and (loaded_at is None or time.monotonic() < loaded_at + settle_s):
            try:
                event = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if event.get("sessionId") != session:
                continue
            if event["method"] == "Network.requestWillBeSent":
                requested.append(event["params"]["request"]["url"])
            elif event["method"] == "Page.loadEventFired":
                loaded_at = time.monotonic()
        assert loaded_at is not None, f"{path.name} did not finish loading in {timeout_s} s"
        images = self.send("Runtime.evaluate", session, expression=IMAGES, returnByValue=True)["result"]["value"]
        self.maths = json.loads(
            self.send("Runtime.evaluate", session, expression=MATHS, returnByValue=True)["result"]["value"])
        if screenshot:
            self.send("Emulation.setDeviceMetricsOverride", session, width=1100, height=1400, deviceScaleFactor=1,
                      mobile=False)
            shot = self.send("Page.captureScreenshot", session, format="png")["data"]
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot))
        self.send("Target.closeTarget", targetId=target)
        return [url for url in requested if not url.startswith(("file:", "data:"))], json.loads(images)

    def close(self):
        self.process.kill()
        self.process.wait(timeout=30)
        os.close(self._to_browser)


@pytest.fixture
def browser(tmp_path):
    chromium = Chromium(tmp_path / "chromium-profile")
    yield chromium
    chromium.close()


def test_the_check_itself_sees_a_remote_image(browser, tmp_path):
    page = tmp_path / "remote.html"
    dot = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"  # 1x1 GIF
    page.write_text("<html><body><img alt='badge' src='https://example.com/badge.svg'>"
                    f"<img alt='dot' src='{dot}' width=5 height=5></body></html>")
    requested, images = browser.visit(page)
    assert requested == ["https://example.com/badge.svg"]
    assert [(i["alt"], i["loaded"]) for i in images] == [("badge", False), ("dot", True)]


def test_report_and_rendered_notebooks_load_offline_with_every_figure_shown(browser, tmp_path, executed_lessons):
    result = executed_lessons(0)
    report = runner.write_report([result], tmp_path / "report.html")
    requested, figures = browser.visit(report)
    assert requested == []
    assert len(figures) == len(result.figures) >= 1
    assert all(f["loaded"] and f["width"] > 50 and f["height"] > 50 for f in figures), figures

    requested, images = browser.visit(result.html_path)
    assert requested == []
    assert images and all(i["loaded"] and i["width"] > 50 for i in images), images

    # A lesson full of maths, rendered without executing it: no MathJax fetched, every formula laid out.
    maths = runner.render_html(runner.notebook_from_source(runner.find(4), hosted=False), tmp_path / "04.html")
    requested, _ = browser.visit(maths)
    assert requested == []
    assert_maths_rendered(browser.maths, at_least=50)


def assert_maths_rendered(page, at_least):
    """Every formula is MathML with a size (none left as LaTeX source), and no $$ shows as text."""
    assert len(page["maths"]) >= at_least, len(page["maths"])
    assert all(m["width"] > 0 and m["height"] > 0 for m in page["maths"]), page["maths"]
    assert page["unconverted"] == 0
    assert "$$" not in page["text"]
    assert not re.search(r"\$\\(?:frac|sigma|sum|mathbf|partial|delta)", page["text"])


def test_lesson_03_and_the_report_show_their_maths_offline(browser, tmp_path, executed_lessons):
    result = executed_lessons(3)
    shots = os.environ.get("KERASMODELS_SCREENSHOTS")
    requested, _ = browser.visit(result.html_path, screenshot=Path(shots) / "03.png" if shots else None)
    assert requested == []
    assert_maths_rendered(browser.maths, at_least=40)
    assert any(m["display"] == "block" for m in browser.maths["maths"])  # its display formula too
    # The header's link to the source articles leads to a page beside it, which loads offline too.
    assert (result.html_path.parent / runner.SOURCES_PAGE).exists()
    requested, _ = browser.visit(result.html_path.parent / runner.SOURCES_PAGE)
    assert requested == [] and "Article 004" in browser.maths["text"]

    report = runner.write_report([executed_lessons(1), result], tmp_path / "report.html")
    requested, figures = browser.visit(report, screenshot=Path(shots) / "report.png" if shots else None)
    assert requested == []
    assert all(f["loaded"] for f in figures)
    assert_maths_rendered(browser.maths, at_least=2)  # lesson 01's figure captions carry maths
    assert "Source articles" in browser.maths["text"]
