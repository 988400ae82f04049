"""Drives the BookServer page in headless Chromium as a person would, over the DevTools
protocol (standard library only: a minimal WebSocket client).

    python3 browser_check.py http://127.0.0.1:18081/ READER K screenshot.png

Picks READER in the reader picker (its change event fetches /recommend), waits for K cover
cards with titles, clicks the first card (which fetches /similar), waits for similar books,
then saves a screenshot of the recommendations. Exits 1, saying why, when any step fails.
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request


class DevTools:
    """One WebSocket connection to a page target; call(method, **params) → result."""

    def __init__(self, ws_url):
        host_port, path = ws_url[len("ws://"):].split("/", 1)
        host, port = host_port.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(4096)
        if b" 101 " not in response.split(b"\r\n")[0]:
            raise RuntimeError(f"WebSocket upgrade refused: {response[:200]!r}")
        self.buffer = response.split(b"\r\n\r\n", 1)[1]
        self.next_id = 0

    def _send(self, text):
        payload = text.encode()
        header = bytes([0x81])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise RuntimeError("DevTools connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _receive(self):
        message = b""
        while True:
            first, second = self._read(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            message += self._read(n)
            if first & 0x80:
                return json.loads(message)

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = self._receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what}")


def main():
    url, reader, k, screenshot = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    profile = tempfile.mkdtemp(prefix="bookserver-chromium-")
    port = 9333
    chrome = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={profile}",
         f"--remote-debugging-port={port}", "--window-size=1280,1000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=1))
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("Chromium's DevTools endpoint did not come up")
        page = DevTools(pages[0]["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=1280, height=1000, deviceScaleFactor=1, mobile=False)
        page.call("Page.navigate", url=url)
        page.wait_for("document.readyState === 'complete' && document.querySelectorAll('#reader option').length > 0", "the page")

        # Pick the reader and K as a person would: set the fields, fire the picker's change.
        page.evaluate(f"""(() => {{
            const k = document.getElementById('k'); k.value = '{k}'; k.dispatchEvent(new Event('input'));
            const picker = document.getElementById('reader');
            if (![...picker.options].some(o => o.value === '{reader}')) throw new Error('reader {reader} is not offered');
            picker.value = '{reader}'; picker.dispatchEvent(new Event('change'));
        }})()""")
        page.wait_for(f"document.querySelectorAll('#results .card').length === {k}", f"{k} recommendation cards")
        titles = page.evaluate("[...document.querySelectorAll('#results .card .title')].map(t => t.textContent.trim())")
        heading = page.evaluate("document.getElementById('results-title').textContent")
        if len(titles) != k or not all(titles):
            raise RuntimeError(f"expected {k} cards with titles, got {titles}")
        if reader not in heading:
            raise RuntimeError(f"heading does not name the reader: {heading!r}")
        print(f"reader {reader}: {k} cards: {titles[:3]}…")

        # Every card shows a cover: the image, or (offline, no URL) the placeholder.
        covers = page.evaluate("""[...document.querySelectorAll('#results .card .cover')].map(c =>
            c.querySelector('img') ? 'image' : (c.querySelector('.placeholder .ptitle').textContent ? 'placeholder' : 'blank'))""")
        if "blank" in covers:
            raise RuntimeError(f"a card has neither cover nor placeholder: {covers}")
        print(f"covers: {covers.count('image')} images, {covers.count('placeholder')} placeholders")

        shot = page.call("Page.captureScreenshot", format="png")
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

        # Click the first book: similar books appear.
        page.evaluate("document.querySelector('#results .card').click()")
        page.wait_for("!document.getElementById('similar-section').hidden && document.querySelectorAll('#similar .card').length > 0", "similar books")
        similar = page.evaluate("document.getElementById('similar-title').textContent")
        count = page.evaluate("document.querySelectorAll('#similar .card').length")
        print(f"clicked {titles[0]!r}: {similar}, {count} cards")
        print("browser check passed")
    except Exception as error:  # the reason, not a traceback
        print(f"browser check FAILED: {error}", file=sys.stderr)
        sys.exit(1)
    finally:
        chrome.terminate()
        chrome.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
