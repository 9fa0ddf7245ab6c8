"""Helpers for the translation tests: a local model server and fake caches (not a test module)."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class ModelServer:
    """Serves ``files[<id>/<name>] = bytes`` on 127.0.0.1 with HTTP Range support.

    ``drop_once`` names paths whose first response stops half-way (the connection closes), the way
    a flaky network does; ``no_range`` makes the server ignore Range headers. ``requests`` logs
    ``(path, range header)`` of every request.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.drop_once: set[str] = set()
        self.drop_always: set[str] = set()
        self.no_range = False
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                path = self.path.lstrip("/")
                rng = self.headers.get("Range")
                server.requests.append((path, rng))
                body = server.files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                if rng and not server.no_range:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                payload = body[start:]
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if path in server.drop_once or path in server.drop_always:
                    server.drop_once.discard(path)
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    return  # HTTP/1.0: the connection closes here, short of Content-Length
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def add_dir(self, model_id: str, folder: Path) -> None:
        for p in sorted(folder.iterdir()):
            if p.is_file():
                self.files[f"{model_id}/{p.name}"] = p.read_bytes()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class DictCache:
    """The vault's translation-cache interface, backed by a dict; counts lookups and stores."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.gets = 0
        self.puts = 0

    def translations_get_many(self, keys: list[str]) -> dict[str, str]:
        self.gets += 1
        return {k: self.data[k] for k in keys if k in self.data}

    def translations_put_many(self, items: dict[str, str]) -> None:
        self.puts += 1
        self.data.update(items)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def marian_entry(model_id: str, src: str, dst: str, folder: Path, *, with_sha: bool = True) -> dict[str, Any]:
    """A catalog entry for the test checkpoint in ``folder`` (served by a ModelServer mirror)."""
    files = [
        {"name": p.name, "sha256": sha256(p.read_bytes()) if with_sha else None, "optional": False}
        for p in sorted(folder.iterdir())
        if p.is_file()
    ]
    return {"id": model_id, "task": "translation", "engine": "ctranslate2", "format": "hf-marian",
            "src": src, "dst": dst, "base_url": "http://unused.invalid", "files": files,
            "licence": "test model (random weights)"}
