"""A thin Forecast client layer for the four export kinds.

It takes its boto3 client from outside, speaks in terms of :class:`ExportKind`, and retries
throttling, 5xx answers and connection errors with capped exponential backoff and full jitter,
until a time limit that the caller sets per request. Nothing else is retried here: the lifecycle
decides what a ``LimitExceededException`` means.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from botocore import xform_name
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from .kinds import ExportKind

if TYPE_CHECKING:
    from types_boto3_forecast import ForecastServiceClient
    from types_boto3_forecast.type_defs import TagTypeDef

Response = TypeVar("Response")

TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServerError",
        "InternalFailure",
    }
)
IN_PROGRESS = ("CREATE_PENDING", "CREATE_IN_PROGRESS", "CREATE_STOPPING")
"""The states of a job that holds a slot of Forecast's concurrent-jobs quota."""
PAGE_SIZE = 100
STATUS_PAGES = 2
"""Pages read per status when looking for the jobs in progress: they are few (the quota)."""


class Clock(Protocol):
    """Time as the waiting code sees it; injectable so that tests and benchmarks can run hours fast."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ForecastError(Exception):
    """A Forecast error that retrying will not cure."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        self.operation = operation
        self.code = code
        self.message = message
        super().__init__(f"{operation}: {code}: {message}")


class OutOfTime(Exception):
    """A transient error persisted until the time limit; carries the last error seen."""

    def __init__(self, operation: str, last_error: str) -> None:
        self.operation = operation
        self.last_error = last_error
        super().__init__(f"{operation} still failing at the time limit: {last_error}")


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter."""

    base: float = 1.0
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0, min(self.cap, self.base * 2**attempt))


@dataclass(frozen=True)
class ForecastExports:
    """Create, describe, delete, stop, find and tag exports of any kind, for one request.

    ``retry_until`` is the request's own limit on ``clock``: transient errors are retried until
    then, after which :class:`OutOfTime` is raised. Build one per request with :meth:`until`.
    """

    client: ForecastServiceClient
    clock: Clock
    backoff: Backoff
    retry_until: float = float("inf")

    def until(self, retry_until: float) -> ForecastExports:
        """The same client, with transient errors retried until ``retry_until``."""
        return ForecastExports(self.client, self.clock, self.backoff, retry_until)

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call the Forecast operation named ``operation`` (as the kinds table names them), retrying
        transient failures until ``retry_until``."""
        method = getattr(self.client, xform_name(operation))
        response: dict[str, Any] = self.retrying(operation, lambda: method(**params))
        return response

    def retrying(self, operation: str, send: Callable[[], Response]) -> Response:
        """``send()``, one call of ``operation``, retried on transient failures until ``retry_until``."""
        attempt = 0
        while True:
            try:
                return send()
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "Unknown")
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                message = error.response.get("Error", {}).get("Message", str(error))
                if code not in TRANSIENT_CODES and status < 500:
                    raise ForecastError(operation, code, message) from None
                last = f"{code}: {message}"
            except (ConnectionError, HTTPClientError) as error:
                last = f"{type(error).__name__}: {error}"
            delay = self.backoff.delay(attempt)
            attempt += 1
            if self.clock.now() + delay >= self.retry_until:
                raise OutOfTime(operation, last)
            self.clock.sleep(delay)

    def create(self, kind: ExportKind, request: Mapping[str, Any]) -> str:
        return str(self.call(kind.create_operation, **request)[kind.arn_property])

    def describe(self, kind: ExportKind, arn: str) -> dict[str, Any] | None:
        """The export's description, or None when it does not exist."""
        try:
            return self.call(kind.describe_operation, **{kind.arn_property: arn})
        except ForecastError as error:
            if error.code == "ResourceNotFoundException":
                return None
            raise

    def delete(self, kind: ExportKind, arn: str) -> None:
        self.call(kind.delete_operation, **{kind.arn_property: arn})

    def stop(self, arn: str) -> None:
        self.retrying("StopResource", lambda: self.client.stop_resource(ResourceArn=arn))

    def summaries(
        self, kind: ExportKind, filters: list[dict[str, str]] | None = None, max_pages: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every export of ``kind`` that matches ``filters`` (from the first ``max_pages`` pages, if given)."""
        params: dict[str, Any] = {"Filters": filters} if filters else {}
        pages = 0
        while True:
            page = self.call(kind.list_operation, **params)
            pages += 1
            yield from page.get(kind.list_key, [])
            token = page.get("NextToken")
            if not token or (max_pages is not None and pages >= max_pages):
                return
            params["NextToken"] = token

    def find_by_name(self, kind: ExportKind, name: str, source: str | None) -> str | None:
        """The ARN of the export of ``kind`` named ``name``, if List shows it.

        With ``source``, the List is filtered by source where the kind's List API can filter.
        """
        filters = None
        if source is not None and kind.source_filter_key is not None:
            filters = [{"Key": kind.source_filter_key, "Value": source, "Condition": "IS"}]
        for summary in self.summaries(kind, filters):
            if summary.get(kind.name_property) == name:
                return str(summary[kind.arn_property])
        return None

    def jobs_for_queueing(self, kind: ExportKind) -> list[dict[str, Any]]:
        """The kind's exports as a queued Create reads them: one List page (up to 100, whatever
        their state: the recent durations) and, when the List goes on past that page, the jobs in
        progress wherever they are listed. At most 1 + 3 x :data:`STATUS_PAGES` List calls."""
        first = self.call(kind.list_operation, MaxResults=PAGE_SIZE)
        summaries: list[dict[str, Any]] = list(first.get(kind.list_key, []))
        if first.get("NextToken"):
            seen = {summary.get(kind.arn_property) for summary in summaries}
            for summary in self.in_progress(kind):
                if summary.get(kind.arn_property) not in seen:
                    seen.add(summary.get(kind.arn_property))
                    summaries.append(summary)
        return summaries

    def in_progress(self, kind: ExportKind) -> list[dict[str, Any]]:
        """The summaries of the exports of ``kind`` whose jobs hold a slot of the quota, by status."""
        return [
            summary
            for status in IN_PROGRESS
            for summary in self.summaries(
                kind, [{"Key": "Status", "Value": status, "Condition": "IS"}], max_pages=STATUS_PAGES
            )
        ]

    def tags(self, arn: str) -> dict[str, str]:
        listed = self.retrying("ListTagsForResource", lambda: self.client.list_tags_for_resource(ResourceArn=arn))
        return {tag["Key"]: tag["Value"] for tag in listed.get("Tags", [])}

    def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        pairs: list[TagTypeDef] = [{"Key": key, "Value": value} for key, value in tags.items()]
        self.retrying("TagResource", lambda: self.client.tag_resource(ResourceArn=arn, Tags=pairs))

    def untag(self, arn: str, keys: list[str]) -> None:
        self.retrying("UntagResource", lambda: self.client.untag_resource(ResourceArn=arn, TagKeys=keys))
