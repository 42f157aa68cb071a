"""One AWS call of the table resource: errors become a :class:`Failure` carrying AWS's message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..resource import Failure

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import ObjectTypeDef

Response = TypeVar("Response")

CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=15, retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=16
)
"""The configuration the entrypoint should give the glue, s3 and forecast clients it passes in."""


def call(
    operation: str,
    send: Callable[[], Response],
    *,
    ignore: frozenset[str] = frozenset(),
    expected_owner: tuple[str, str] | None = None,
) -> Response | None:
    """``send()``, one call of ``operation``: an error code in ``ignore`` answers None, any other error is a
    failure with AWS's message. ``expected_owner`` (bucket, account) names the bucket an S3 call sent
    ``ExpectedBucketOwner`` for, so that a refusal says whose bucket it must be."""
    try:
        return send()
    except ClientError as error:
        code, message = error_of(error)
        if code in ignore:
            return None
        if code in ("AccessDenied", "403") and expected_owner is not None:
            bucket, account = expected_owner
            raise Failure(
                f"{operation} on bucket {bucket} failed: {code}: {message} (the bucket must belong to account "
                f"{account}, the provider's)"
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

    def __init__(self, client: S3Client, account_id: str) -> None:
        self.client = client
        self.account_id = account_id

    def list(
        self, bucket: str, prefix: str, *, delimiter: str | None, limit: int | None = None
    ) -> Iterator[ObjectTypeDef]:
        """ListObjectsV2 ``Contents`` under ``prefix``, every page (or one page of at most ``limit``)."""
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "ExpectedBucketOwner": self.account_id}
        if delimiter:
            params["Delimiter"] = delimiter
        if limit:
            params["MaxKeys"] = limit
        while True:
            page = self._call("ListObjectsV2", bucket, lambda: self.client.list_objects_v2(**params))
            assert page is not None
            yield from page.get("Contents", [])
            if limit or not page.get("IsTruncated"):
                return
            params["ContinuationToken"] = page["NextContinuationToken"]

    def get_range(self, bucket: str, key: str, byte_range: str) -> bytes:
        response = self._call(
            "GetObject",
            bucket,
            lambda: self.client.get_object(
                Bucket=bucket, Key=key, Range=byte_range, ExpectedBucketOwner=self.account_id
            ),
        )
        assert response is not None
        return response["Body"].read()

    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self._call(
            "PutObject",
            bucket,
            lambda: self.client.put_object(
                Bucket=bucket, Key=key, Body=body, ContentType=content_type, ExpectedBucketOwner=self.account_id
            ),
        )

    def delete(self, bucket: str, key: str) -> None:
        """DeleteObject; a bucket that is gone has nothing left to delete."""
        self._call(
            "DeleteObject",
            bucket,
            lambda: self.client.delete_object(Bucket=bucket, Key=key, ExpectedBucketOwner=self.account_id),
            ignore=frozenset({"NoSuchBucket"}),
        )

    def _call(
        self, operation: str, bucket: str, send: Callable[[], Response], *, ignore: frozenset[str] = frozenset()
    ) -> Response | None:
        return call(operation, send, ignore=ignore, expected_owner=(bucket, self.account_id))
