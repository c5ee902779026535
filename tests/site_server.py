"""Serve the built site on loopback the way GitHub Pages does: under the site_url's path,
gzip for text, a real 404 page. Browser, accessibility and Lighthouse tests share it."""

from __future__ import annotations

import gzip
import http.server
import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

COMPRESSED = {
    "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
    "image/svg+xml", "application/xml", "text/xml", "text/plain",
}  # fmt: skip


def _handler(site_dir: Path, base_path: str):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self._serve(send_body=True)

        def do_HEAD(self):
            self._serve(send_body=False)

        def _serve(self, send_body: bool):
            path = unquote(urlsplit(self.path).path)
            if not path.startswith(base_path):
                return self._send(404, site_dir / "404.html", send_body)
            target = (site_dir / path[len(base_path) :]).resolve()
            if site_dir.resolve() not in (target, *target.parents):
                return self._send(404, site_dir / "404.html", send_body)
            if target.is_dir():
                if not path.endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", path + "/")
                    self.end_headers()
                    return None
                target = target / "index.html"
            if not target.is_file():
                return self._send(404, site_dir / "404.html", send_body)
            return self._send(200, target, send_body)

        def _send(self, status: int, file: Path, send_body: bool):
            body = file.read_bytes()
            ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            headers = {"Content-Type": ctype + ("; charset=utf-8" if ctype.startswith("text/") else "")}
            if ctype in COMPRESSED and "gzip" in self.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body, 6)
                headers["Content-Encoding"] = "gzip"
            headers["Content-Length"] = str(len(body))
            headers["Cache-Control"] = "max-age=600"  # what GitHub Pages sends
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(body)

    return Handler


class SiteServer:
    """``with SiteServer(site_dir, "/framework-facts/") as url:`` serves until the block ends."""

    def __init__(self, site_dir: Path, base_path: str = "/"):
        self.site_dir = Path(site_dir)
        self.base_path = base_path if base_path.endswith("/") else base_path + "/"
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.site_dir, self.base_path))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.base_path}"

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.url

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
