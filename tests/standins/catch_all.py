"""An endpoint for every AWS service the handler is not expected to call.

``AWS_ENDPOINT_URL`` points here, so a call to any service without its own stand-in is recorded
(service and operation, from the SigV4 credential scope and the request) and refused with a 400,
instead of leaving the machine.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


@dataclass(frozen=True)
class UnexpectedCall:
    service: str
    operation: str
    path: str


class CatchAllEndpoint:
    """Records and refuses every request it receives."""

    def __init__(self) -> None:
        self.calls: list[UnexpectedCall] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def endpoint_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> CatchAllEndpoint:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _refuse(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                scope = _SCOPE.search(self.headers.get("Authorization", ""))
                service = scope.group(1) if scope else "unknown"
                target = self.headers.get("X-Amz-Target", "")
                operation = target.rsplit(".", 1)[-1] if target else ""
                if not operation:
                    query = parse_qs(urlsplit(self.path).query or body.decode(errors="replace"))
                    operation = (query.get("Action") or [f"{self.command} {urlsplit(self.path).path}"])[0]
                with owner._lock:
                    owner.calls.append(UnexpectedCall(service, operation, self.path))
                payload = json.dumps({"__type": "UnexpectedCall", "message": "no stand-in for this service"})
                self.send_response(400)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload.encode())

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _refuse

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> CatchAllEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
