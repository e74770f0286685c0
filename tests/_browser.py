"""Headless Chromium driven over the DevTools protocol (`--remote-debugging-pipe`, standard library only).

Shared by the browser tests of the tour report (test_report_browser.py) and of the course website
(test_docs_site.py). Every request a page itself makes is reported by `Network.requestWillBeSent`
for the page's session, apart from the browser's own background traffic, and after the load event
the page says whether each image decoded and takes up space, and whether each formula (MathML) was
laid out with a size and no LaTeX source shows as text. `BROWSER` is None where no Chromium is
installed (Debian: apt-get install -y chromium); the tests skip then.
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

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)
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

    def visit(self, path, settle_s=1.0, timeout_s=60, screenshot=None, query="", wait_for=None):
        """Load a file; return (URLs the page requested, what it says about its images).

        `self.maths` is then what the page says about its formulas; `screenshot`: a PNG path to save the page to;
        `query`: appended to the file's URL (`?q=word`); `wait_for`: a JavaScript expression evaluated until
        it is truthy (within `timeout_s`), its value then in `self.waited`.
        """
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Network", "Page", "Runtime"):
            self.send(f"{domain}.enable", session)
        self.send("Page.navigate", session, url=path.as_uri() + query)
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
        self.waited = None
        while wait_for and not self.waited and time.monotonic() < deadline:
            self.waited = self.send("Runtime.evaluate", session, expression=wait_for, returnByValue=True)["result"].get("value")
            time.sleep(0.2)
        while True:  # what the page requested while it was waited for
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            if event.get("sessionId") == session and event["method"] == "Network.requestWillBeSent":
                requested.append(event["params"]["request"]["url"])
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


def assert_maths_rendered(page, at_least):
    """Every formula is MathML with a size (none left as LaTeX source), and no $$ shows as text."""
    assert len(page["maths"]) >= at_least, len(page["maths"])
    assert all(m["width"] > 0 and m["height"] > 0 for m in page["maths"]), page["maths"]
    assert page["unconverted"] == 0
    assert "$$" not in page["text"]
    assert not re.search(r"\$\\(?:frac|sigma|sum|mathbf|partial|delta)", page["text"])
