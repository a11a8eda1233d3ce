#!/usr/bin/env python3
"""Opens a claimgraph report in headless Chromium and says what a reader would see.

Drives the browser through the DevTools protocol over a pipe (--remote-debugging-pipe: no
port, no websocket, Python's standard library only). For each view (a URL fragment such as
`#entity/E123`) it waits for the page's self-check (`window.__report`), evaluates an optional
probe expression, and saves a screenshot. Prints one JSON object:

  {"chromium": version, "console_errors": [...], "exceptions": [...], "requests": [urls other
   than the report itself], "views": {name: {"check": self-check, "probe": value, "screenshot":
   path}}, "load_ms": ms from navigation to the first self-check}

Usage: report_browser.py REPORT.html --out DIR --views '[["NAME", "FRAGMENT", "PROBE_JS or null"], ...]'
(fragments without the #, ids percent-encoded as the page writes them).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import base64
from pathlib import Path


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


class Browser:
    def __init__(self, exe, width=1280, height=900):
        self.profile = tempfile.mkdtemp(prefix="claimgraph-chromium-")
        r_child, self.w = os.pipe()  # we write commands, Chromium reads fd 3
        self.r, w_child = os.pipe()  # Chromium writes fd 4, we read
        args = [
            exe, "--headless", "--disable-gpu", "--no-sandbox", "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--metrics-recording-only", "--disable-default-apps", "--mute-audio",
            # Belt and braces: a request that got past the page's policy would go nowhere.
            "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            "about:blank",
        ]

        def child_fds():
            os.dup2(r_child, 3)
            os.dup2(w_child, 4)

        self.proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=child_fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # pass_fds keeps 3 and 4 open in the child; dup2 in preexec sets them.
        os.close(r_child)
        os.close(w_child)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self.read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def read(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def evaluate(b, sid, expr):
    r = b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True}, sid)
    if "exceptionDetails" in r:
        raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
    return r["result"].get("value")


def wait_for(b, sid, expr, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = evaluate(b, sid, expr)
        if v:
            return v
        time.sleep(0.05)
    raise TimeoutError(f"page never satisfied {expr}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--out", required=True)
    ap.add_argument("--views", default="[]", help='JSON list of [name, fragment, probe expression or null]')
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=900)
    a = ap.parse_args()
    exe = find_chromium()
    if not exe:
        print(json.dumps({"error": "chromium not found"}))
        return 3
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    url = Path(a.report).resolve().as_uri()
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    b = Browser(exe, width=a.width, height=a.height)
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            b.send(f"{domain}.enable", {}, sid)
        t0 = time.time()
        b.send("Page.navigate", {"url": url}, sid)
        first = wait_for(b, sid, "window.__report && window.__report.ready && window.__report")
        load_ms = round((time.time() - t0) * 1000)
        views = {}
        for name, frag, probe in json.loads(a.views):
            t1 = time.time()
            evaluate(b, sid, "window.__report = null; location.hash = %s; true" % json.dumps(frag))
            check = wait_for(b, sid, "window.__report && window.__report.ready && window.__report")
            ms = round((time.time() - t1) * 1000)
            value = evaluate(b, sid, probe) if probe else None
            shot = b.send("Page.captureScreenshot", {"format": "png"}, sid)
            path = out / f"{name}.png"
            path.write_bytes(base64.b64decode(shot["data"]))
            views[name] = {"check": check, "probe": value, "screenshot": str(path), "ms": ms}
        time.sleep(0.2)
        # Drain what arrived while we were not asking.
        try:
            b.send("Runtime.evaluate", {"expression": "1"}, sid)
        except Exception:
            pass
    finally:
        b.close()
    console, exceptions, requests = [], [], []
    for e in b.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            console.append(" ".join(str(x.get("value", x.get("description", ""))) for x in p.get("args", [])))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            console.append(p["entry"].get("text", ""))
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            exceptions.append(d.get("exception", {}).get("description") or d.get("text"))
        elif m == "Network.requestWillBeSent":
            u = p.get("request", {}).get("url", "")
            if u.split("#")[0] != url:
                requests.append(u)
    print(json.dumps({"chromium": version, "url": url, "load_ms": load_ms, "first_timing": first.get("timing"), "console_errors": console,
                      "exceptions": exceptions, "requests": requests, "views": views}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
