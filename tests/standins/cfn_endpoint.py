"""The HTTPS endpoint that receives custom-resource responses, standing in for CloudFormation's
pre-signed S3 URL.

It serves TLS on 127.0.0.1 with a certificate from a throw-away trustme CA; give the handler
``ca_bundle_path`` through ``SSL_CERT_FILE`` so that crhelper's default SSL context trusts it. Each
URL from :meth:`ResponseEndpoint.new_response_url` carries its own random signature, so a test can
search logs for it; a PUT to any other URL is refused as S3 would refuse it.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import trustme

from ._http import LocalServer, RequestHandler

BUCKET = "cloudformation-custom-resource-response-useast1"
MAX_BODY = 4096
REQUIRED = ("Status", "PhysicalResourceId", "StackId", "RequestId", "LogicalResourceId")


@dataclass(frozen=True)
class _Expected:
    stack_id: str
    logical_id: str
    request_id: str


class ResponseEndpoint:
    """HTTPS receiver of CloudFormation custom-resource responses.

    Keyword arguments:
        host: the host name used in issued URLs (``127.0.0.1`` or ``localhost``; the certificate
            covers both).
    """

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost")
        self._dir = Path(tempfile.mkdtemp(prefix="cfn-endpoint-"))
        self.ca_bundle_path = str(self._dir / "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_bundle_path)
        self._lock = threading.Condition()
        self._expected: dict[str, _Expected] = {}  # by path?query
        self._responses: dict[str, list[dict[str, Any]]] = {}
        self._raw: dict[str, list[bytes]] = {}
        self._arrivals: dict[str, list[float]] = {}
        self.violations: list[str] = []
        self.rejected: list[str] = []
        self._server: LocalServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> ResponseEndpoint:
        """Start serving HTTPS on 127.0.0.1 (ephemeral port)."""
        if self._server is None:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._cert.configure_cert(context)
            self._server = LocalServer(self._handle, ssl_context=context)
            self._server.start("cfn-response-endpoint")
        return self

    def stop(self) -> None:
        """Stop serving and remove the CA file."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> ResponseEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port."""
        if self._server is None:
            raise RuntimeError("the response endpoint is not started")
        return self._server.port

    # ------------------------------------------------------------------ URLs

    def new_response_url(self, stack_id: str, logical_id: str, request_id: str) -> str:
        """A unique pre-signed-looking URL for one request's response (its own random signature)."""
        now = dt.datetime.now(dt.UTC)
        key = f"{quote(stack_id, safe='')}%7C{quote(logical_id, safe='')}%7C{quote(request_id, safe='')}"
        query = urlencode(
            {
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ"),
                "X-Amz-SignedHeaders": "host",
                "X-Amz-Expires": "7200",
                "X-Amz-Credential": f"AKIA{secrets.token_hex(8).upper()}/{now:%Y%m%d}/us-east-1/s3/aws4_request",
                "X-Amz-Signature": secrets.token_hex(32),
            }
        )
        target = f"/{BUCKET}/{key}?{query}"
        with self._lock:
            self._expected[target] = _Expected(stack_id, logical_id, request_id)
            self._responses[target] = []
            self._raw[target] = []
            self._arrivals[target] = []
        return f"https://{self.host}:{self.port}{target}"

    @staticmethod
    def secret_of(url: str) -> str:
        """The URL's X-Amz-Signature (what must never appear in logs)."""
        for part in urlsplit(url).query.split("&"):
            if part.startswith("X-Amz-Signature="):
                return part.split("=", 1)[1]
        raise ValueError("not a pre-signed URL")

    def _key(self, url: str) -> str:
        split = urlsplit(url)
        key = f"{split.path}?{split.query}"
        if key not in self._expected:
            raise KeyError(f"not a URL issued by this endpoint: {split.path}")
        return key

    # ------------------------------------------------------------------ responses

    def wait_for_response(self, url: str, timeout: float) -> dict[str, Any]:
        """The first response PUT to ``url``; TimeoutError if none arrives within ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._lock:
            key = self._key(url)
            while not self._responses[key]:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    expected = self._expected[key]
                    raise TimeoutError(
                        f"no CloudFormation response for {expected.logical_id} (request {expected.request_id}) "
                        f"within {timeout:.1f} s"
                    )
                self._lock.wait(remaining)
            return dict(self._responses[key][0])

    def responses(self, url: str) -> list[dict[str, Any]]:
        """Every response PUT to ``url``, in arrival order (more than one means duplicates)."""
        with self._lock:
            return [dict(r) for r in self._responses[self._key(url)]]

    def raw_bodies(self, url: str) -> list[bytes]:
        """The raw bodies PUT to ``url``."""
        with self._lock:
            return list(self._raw[self._key(url)])

    def arrival_times(self, url: str) -> list[float]:
        """When each response PUT to ``url`` arrived (``time.monotonic()``), in arrival order."""
        with self._lock:
            return list(self._arrivals[self._key(url)])

    def all_responses(self) -> dict[str, list[dict[str, Any]]]:
        """Responses by URL path (without the query), for every issued URL."""
        with self._lock:
            return {k.split("?")[0]: [dict(r) for r in v] for k, v in self._responses.items()}

    # ------------------------------------------------------------------ HTTP

    def _handle(self, request: RequestHandler) -> None:
        body = request.read_body()
        target = request.path
        with self._lock:
            expected = self._expected.get(target)
        if request.command != "PUT" or expected is None:
            with self._lock:
                self.rejected.append(f"{request.command} {target.split('?')[0]}")
            code = "MethodNotAllowed" if expected is not None else "SignatureDoesNotMatch"
            status = 405 if expected is not None else 403
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>The request signature we calculated does not match "
                "the signature you provided.</Message></Error>"
            ).encode()
            request.send(status, xml, {"Content-Type": "application/xml"})
            return
        problems = self._check(body, expected)
        try:
            parsed = json.loads(body)
            document = parsed if isinstance(parsed, dict) else {"_body": parsed}
        except ValueError:
            document = {"_unparsed": body.decode("utf-8", "replace")}
        with self._lock:
            self.violations.extend(f"{expected.logical_id}/{expected.request_id}: {p}" for p in problems)
            self._responses[target].append(document)
            self._raw[target].append(body)
            self._arrivals[target].append(time.monotonic())
            self._lock.notify_all()
        etag = '"' + secrets.token_hex(16) + '"'
        request.send(200, b"", {"ETag": etag, "x-amz-request-id": secrets.token_hex(8).upper()})

    @staticmethod
    def _check(body: bytes, expected: _Expected) -> list[str]:
        """CloudFormation's rules for a custom-resource response body."""
        problems: list[str] = []
        if len(body) > MAX_BODY:
            problems.append(f"response body is {len(body)} bytes, over CloudFormation's limit of {MAX_BODY}")
        try:
            document = json.loads(body)
        except ValueError as exc:
            return [*problems, f"response body is not JSON: {exc}"]
        if not isinstance(document, dict):
            return [*problems, "response body is not a JSON object"]
        for name in REQUIRED:
            if not isinstance(document.get(name), str) or not document[name]:
                problems.append(f"{name} is missing or empty")
        if document.get("Status") not in (None, "SUCCESS", "FAILED"):
            problems.append(f"Status must be SUCCESS or FAILED, not {document['Status']!r}")
        for name, want in (
            ("StackId", expected.stack_id),
            ("LogicalResourceId", expected.logical_id),
            ("RequestId", expected.request_id),
        ):
            if name in document and document[name] != want:
                problems.append(f"{name} is {document[name]!r}, but the request's is {want!r}")
        physical = document.get("PhysicalResourceId")
        if isinstance(physical, str) and len(physical) > 1024:
            problems.append(f"PhysicalResourceId is {len(physical)} characters, over 1 KB")
        data = document.get("Data")
        if data is not None and not isinstance(data, dict):
            problems.append("Data must be a JSON object")
        if "NoEcho" in document and not isinstance(document["NoEcho"], bool):
            problems.append("NoEcho must be a boolean")
        return problems
