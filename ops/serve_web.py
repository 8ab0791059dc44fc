#!/usr/bin/env python3
"""Serves the practice's demo page and the chat widget (web/) on :8080; standard library only.

    python ops/serve_web.py --port 8080 --assistant-url http://127.0.0.1:5005

- Only GET/HEAD, only files under web/, no directory listings; `/` redirects to the demo page.
- HTML pages get `{{ASSISTANT_URL}}` replaced by the assistant's URL (the widget's config).
- Every response carries a Content-Security-Policy that allows scripts, styles and images
  from this origin only and network connections (socket.io, feedback) only to this origin and
  the assistant's origin; plus X-Content-Type-Options: nosniff, Referrer-Policy and no framing.
"""

from __future__ import annotations

import argparse
import html
import http.server
import os
import posixpath
import sys
import urllib.parse
from functools import partial
from pathlib import Path

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".md": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
SERVED = set(TYPES) - {".md", ".txt"}  # READMEs and licences stay in the repo, not on the site


def assistant_origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--assistant-url must be an http(s) URL, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(origin: str) -> dict:
    ws = origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    csp = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src 'self' {origin} {ws}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "web"
    sys_version = ""

    def __init__(self, *args, assistant_url: str, headers: dict, **kwargs):
        self.assistant_url = assistant_url
        self.extra_headers = headers
        super().__init__(*args, **kwargs)

    def log_message(self, fmt: str, *args) -> None:  # quieter than the default, no query strings
        sys.stderr.write(f"web: {self.command} {urllib.parse.urlsplit(self.path).path}\n")

    def _send(
        self, status: int, body: bytes, content_type: str, head_only: bool = False, extra: dict | None = None
    ) -> None:
        self.send_response(status)
        for name, value in {**self.extra_headers, **(extra or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _resolve(self, url_path: str) -> Path | None:
        path = posixpath.normpath(urllib.parse.unquote(url_path))
        if url_path.endswith("/") and not path.endswith("/"):
            path += "/index.html"
        parts = [p for p in path.split("/") if p and p not in (".", "..")]
        candidate = WEB_ROOT.joinpath(*parts) if parts else WEB_ROOT
        try:
            candidate = candidate.resolve()
            candidate.relative_to(WEB_ROOT)
        except (ValueError, OSError):
            return None
        if candidate.is_file() and candidate.suffix in SERVED and not any(p.startswith(".") for p in parts):
            return candidate
        return None

    def _handle(self, head_only: bool) -> None:
        url_path = urllib.parse.urlsplit(self.path).path
        if url_path in ("/", "/demo"):
            self._send(302, b"", "text/plain", head_only, {"Location": "/demo/"})
            return
        target = self._resolve(url_path)
        if target is None:
            self._send(404, b"Not found\n", "text/plain; charset=utf-8", head_only)
            return
        body = target.read_bytes()
        if target.suffix == ".html":
            body = body.replace(b"{{ASSISTANT_URL}}", html.escape(self.assistant_url, quote=True).encode())
        self._send(200, body, TYPES[target.suffix], head_only)

    def do_GET(self) -> None:
        self._handle(head_only=False)

    def do_HEAD(self) -> None:
        self._handle(head_only=True)

    def _not_allowed(self) -> None:
        self._send(405, b"Method not allowed\n", "text/plain; charset=utf-8", extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    parser.add_argument("--bind", default=os.environ.get("WEB_INTERFACE", "127.0.0.1"))
    parser.add_argument(
        "--assistant-url",
        default=os.environ.get(
            "WIDGET_ASSISTANT_URL", f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
        ),
    )
    args = parser.parse_args()
    url = args.assistant_url.rstrip("/")
    handler = partial(Handler, assistant_url=url, headers=security_headers(assistant_origin(url)))
    server = http.server.ThreadingHTTPServer((args.bind, args.port), handler)
    server.daemon_threads = True
    print(f"Widget demo page on http://{args.bind}:{args.port}/ (assistant: {url})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
