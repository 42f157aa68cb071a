"""One AWS call of the table resource: errors become a :class:`Failure` carrying AWS's message."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..resource import Failure

CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=15, retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=16
)
"""The configuration the entrypoint should give the glue, s3 and forecast clients it passes in."""


def call(
    client: Any, operation: str, ignore: frozenset[str] | set[str], params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """One AWS call; an error code in ``ignore`` answers None, any other error is a failure with AWS's message."""
    try:
        response: dict[str, Any] = getattr(client, xform_name(operation))(**params)
        return response
    except ClientError as error:
        code, message = error_of(error)
        if code in ignore:
            return None
        bucket = params.get("Bucket")
        if code in ("AccessDenied", "403") and "ExpectedBucketOwner" in params:
            raise Failure(
                f"{operation} on bucket {bucket} failed: {code}: {message} (the bucket must belong to account "
                f"{params['ExpectedBucketOwner']}, the provider's)"
            ) from None
        raise Failure(f"{operation} failed: {code}: {message}") from None
    except BotoCoreError as error:
        raise Failure(f"{operation} failed: {error}") from None


def error_of(error: ClientError) -> tuple[str, str]:
    """The error code and message of a botocore ClientError."""
    details = error.response.get("Error", {})
    return str(details.get("Code", "Unknown")), str(details.get("Message", ""))


class OwnedBuckets:
    """S3 calls on buckets of one account: every call carries ``ExpectedBucketOwner``, so S3 refuses any
    call on a bucket that another account owns (a bucket deleted and its name taken elsewhere)."""

    def __init__(self, client: Any, account_id: str) -> None:
        self.client = client
        self.account_id = account_id

    def call(
        self, operation: str, *, ignore: frozenset[str] | set[str] = frozenset(), **params: Any
    ) -> dict[str, Any] | None:
        return call(self.client, operation, ignore, {**params, "ExpectedBucketOwner": self.account_id})

    def list(
        self, bucket: str, prefix: str, *, delimiter: str | None, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """ListObjectsV2 ``Contents`` under ``prefix``, every page (or one page of at most ``limit``)."""
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            params["Delimiter"] = delimiter
        if limit:
            params["MaxKeys"] = limit
        while True:
            page = self.call("ListObjectsV2", **params)
            assert page is not None
            yield from page.get("Contents", [])
            if limit or not page.get("IsTruncated"):
                return
            params["ContinuationToken"] = page["NextContinuationToken"]

    def get_range(self, bucket: str, key: str, byte_range: str) -> bytes:
        response = self.call("GetObject", Bucket=bucket, Key=key, Range=byte_range)
        assert response is not None
        body: bytes = response["Body"].read()
        return body
