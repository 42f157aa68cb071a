"""Small HTTP server plumbing shared by the stand-ins (127.0.0.1 only, ephemeral ports)."""

from __future__ import annotations

import re
import ssl
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[["RequestHandler"], None]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")


class RequestHandler(BaseHTTPRequestHandler):
    """Routes every request to the owning stand-in's ``handle(request)``."""

    protocol_version = "HTTP/1.1"
    timeout = 120
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: LocalServer

    def _dispatch(self) -> None:
        try:
            self.server.app(self)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch

    def read_body(self) -> bytes:
        """The request body (by Content-Length; chunked bodies are not supported)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """Write a complete response; a client that went away is not an error."""
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""


class LocalServer(ThreadingHTTPServer):
    """A threading HTTP(S) server bound to 127.0.0.1 on an ephemeral port."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: Handler, ssl_context: ssl.SSLContext | None = None) -> None:
        self.app = app
        self.ssl_context = ssl_context
        super().__init__(("127.0.0.1", 0), RequestHandler)
        self._thread: threading.Thread | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Do the TLS handshake in the connection's own thread, not in the accept loop."""
        if self.ssl_context is not None:
            try:
                request.settimeout(30)
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.server_address[1])

    def start(self, name: str) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection-level errors (clients killed mid-request) are expected; report the rest."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | ssl.SSLError | TimeoutError):
            return
        super().handle_error(request, client_address)


def credential_scope(authorization: str | None) -> tuple[str, str, str] | None:
    """(access key, region, service) from a SigV4 Authorization header, or None."""
    if not authorization or not authorization.startswith("AWS4-HMAC-SHA256 "):
        return None
    found = _CREDENTIAL.search(authorization)
    if not found:
        return None
    return found.group(1), found.group(3), found.group(4)
