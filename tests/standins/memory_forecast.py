"""An in-memory Forecast for fast, in-process tests of the lifecycle.

It answers the boto3 client methods the lifecycle calls, for the four export kinds, on a manual
clock: a job is CREATE_PENDING, then CREATE_IN_PROGRESS, then ACTIVE (or CREATE_FAILED) after its
duration. Errors are botocore ``ClientError``s with Forecast's codes, as boto3 raises them. The
HTTP stand-in (:mod:`tests.standins.forecast`) proves the wire protocol; this one is for speed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from forecast_export_provider.forecast import Backoff, ForecastExports
from forecast_export_provider.kinds import KINDS, ExportKind
from forecast_export_provider.lifecycle import Lifecycle
from forecast_export_provider.wait_state import WaitSettings

if TYPE_CHECKING:
    from types_boto3_forecast import ForecastServiceClient

ACCOUNT = "123456789012"
REGION = "us-east-1"


class ManualClock:
    """Time that moves only when slept through."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self.start = start
        self.moment = start

    def now(self) -> float:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.moment += max(0.0, seconds)

    @property
    def elapsed(self) -> float:
        return self.moment - self.start


@dataclass
class MemoryJob:
    kind: ExportKind
    arn: str
    name: str
    request: dict[str, Any]
    created: float
    duration: float
    failure: str | None = None
    stopped_at: float | None = None
    deleted_at: float | None = None
    delete_failed: bool = False
    tags: dict[str, str] = field(default_factory=dict)

    def status(self, now: float, settle: float) -> str | None:
        """The job's status at ``now``, or None once it is gone."""
        if self.delete_failed:
            return "DELETE_FAILED"
        if self.deleted_at is not None:
            return None if now >= self.deleted_at + settle else "DELETE_IN_PROGRESS"
        if self.stopped_at is not None:
            return "CREATE_STOPPED" if now >= self.stopped_at + settle else "CREATE_STOPPING"
        if now < self.created + self.duration:
            return "CREATE_PENDING" if now < self.created + min(1.0, self.duration / 10) else "CREATE_IN_PROGRESS"
        return "CREATE_FAILED" if self.failure else "ACTIVE"

    def changed_at(self, now: float, settle: float) -> float:
        """When the job entered its status at ``now`` (its LastModificationTime)."""
        if self.deleted_at is not None:
            return self.deleted_at
        if self.stopped_at is not None:
            return self.stopped_at + settle if now >= self.stopped_at + settle else self.stopped_at
        if now < self.created + self.duration:
            pending = self.created + min(1.0, self.duration / 10)
            return self.created if now < pending else pending
        return self.created + self.duration


def _error(operation: str, code: str, message: str, status: int = 400) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


class MemoryForecast:
    """Forecast's export APIs in memory. Settings are attributes that tests change freely."""

    def client(self) -> ForecastServiceClient:
        """This stand-in, typed as the boto3 client it stands in for (it has the export operations only)."""
        return cast("ForecastServiceClient", self)

    def __init__(self, clock: ManualClock, *, duration: float = 60.0, settle: float = 5.0) -> None:
        self.clock = clock
        self.duration = duration
        self.settle = settle
        self.jobs: dict[str, MemoryJob] = {}
        self.calls: list[str] = []
        self.quota_per_kind: int | None = None
        """Forecast's concurrent-jobs quota: Creates beyond it are refused while jobs are in progress."""
        self.resource_limit_reached = False
        """Every Create is refused with LimitExceededException, whatever is in progress."""
        self.list_lag = 0.0
        """Seconds after its creation before a job shows in List results."""
        self.fail_with: str | None = None
        """New jobs end in CREATE_FAILED with this message."""
        self.stop_loses_race = False
        """StopResource finds the job just finished, and is refused."""
        self.delete_fails_with: str | None = None
        """Deletes leave the job DELETE_FAILED with this message."""
        self.faults: dict[str, Callable[[], None]] = {}
        """Per operation, a hook that may raise before the call is answered."""

    # The client's surface: botocore's snake_case method names.

    def __getattr__(self, method: str) -> Callable[..., dict[str, Any]]:
        for kind in KINDS:
            for verb in ("create", "describe", "delete"):
                if method == f"{verb}_{_snake(kind.noun)}":
                    return self._wrap(f"{verb.title()}{kind.noun}", getattr(self, f"_{verb}"), kind)
            if method == f"list_{_snake(kind.list_noun)}":
                return self._wrap(kind.list_operation, self._list, kind)
        raise AttributeError(method)

    def stop_resource(self, ResourceArn: str) -> dict[str, Any]:
        self._record("StopResource")
        job = self._job(ResourceArn, "StopResource")
        status = job.status(self.clock.now(), self.settle)
        if self.stop_loses_race:
            job.duration = self.clock.now() - job.created
            status = "ACTIVE"
        if status not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
            raise _error("StopResource", "ResourceInUseException", f"{ResourceArn} is {status}; it cannot be stopped")
        job.stopped_at = self.clock.now()
        return {}

    def list_tags_for_resource(self, ResourceArn: str) -> dict[str, Any]:
        self._record("ListTagsForResource")
        job = self._job(ResourceArn, "ListTagsForResource")
        return {"Tags": [{"Key": key, "Value": value} for key, value in job.tags.items()]}

    def tag_resource(self, ResourceArn: str, Tags: list[dict[str, str]]) -> dict[str, Any]:
        self._record("TagResource")
        job = self._job(ResourceArn, "TagResource")
        merged = {**job.tags, **{tag["Key"]: tag["Value"] for tag in Tags}}
        if len(merged) > 50:
            raise _error("TagResource", "LimitExceededException", "A resource can have at most 50 tags")
        job.tags = merged
        return {}

    def untag_resource(self, ResourceArn: str, TagKeys: list[str]) -> dict[str, Any]:
        self._record("UntagResource")
        job = self._job(ResourceArn, "UntagResource")
        job.tags = {key: value for key, value in job.tags.items() if key not in TagKeys}
        return {}

    # Helpers for tests.

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    def live(self) -> list[MemoryJob]:
        now = self.clock.now()
        return [job for job in self.jobs.values() if job.status(now, self.settle) is not None]

    def status_of(self, arn: str) -> str | None:
        return self.jobs[arn].status(self.clock.now(), self.settle) if arn in self.jobs else None

    # Operations.

    def _wrap(
        self, operation: str, action: Callable[..., dict[str, Any]], kind: ExportKind
    ) -> Callable[..., dict[str, Any]]:
        def call(**params: Any) -> dict[str, Any]:
            self._record(operation)
            return action(kind, operation, **params)

        return call

    def _record(self, operation: str) -> None:
        self.calls.append(operation)
        hook = self.faults.get(operation)
        if hook is not None:
            hook()

    def _create(self, kind: ExportKind, operation: str, **params: Any) -> dict[str, Any]:
        name = params[kind.name_property]
        source = params[kind.source_property]
        parent = (source[0] if isinstance(source, list) else source).rsplit("/", 1)[-1]
        arn = f"arn:aws:forecast:{REGION}:{ACCOUNT}:{kind.arn_resource_type}/{parent}/{name}"
        now = self.clock.now()
        if any(job.name == name and job.kind == kind and job.status(now, self.settle) for job in self.jobs.values()):
            raise _error(operation, "ResourceAlreadyExistsException", f"{name} already exists")
        in_progress = [job for job in self.jobs.values() if job.kind == kind and _creating(job, now, self.settle)]
        if self.resource_limit_reached or (self.quota_per_kind is not None and len(in_progress) >= self.quota_per_kind):
            raise _error(operation, "LimitExceededException", "You have exceeded the limit of resources")
        job = MemoryJob(kind, arn, name, dict(params), now, self.duration, failure=self.fail_with)
        job.tags = {tag["Key"]: tag["Value"] for tag in params.get("Tags", [])}
        self.jobs[arn] = job
        return {kind.arn_property: arn}

    def _describe(self, kind: ExportKind, operation: str, **params: Any) -> dict[str, Any]:
        job = self._job(params[kind.arn_property], operation)
        status = job.status(self.clock.now(), self.settle)
        description = self._summary(job, status or "")
        description[kind.source_property] = job.request[kind.source_property]
        if "Format" in job.request:
            description["Format"] = job.request["Format"]
        if status == "CREATE_FAILED":
            description["Message"] = job.failure
        if status == "DELETE_FAILED":
            description["Message"] = self.delete_fails_with
        return description

    def _delete(self, kind: ExportKind, operation: str, **params: Any) -> dict[str, Any]:
        job = self._job(params[kind.arn_property], operation)
        status = job.status(self.clock.now(), self.settle)
        if status in ("CREATE_PENDING", "CREATE_IN_PROGRESS", "CREATE_STOPPING"):
            raise _error(operation, "ResourceInUseException", f"{job.arn} is {status}")
        if self.delete_fails_with is not None:
            job.delete_failed = True
            return {}
        if job.deleted_at is None:
            job.deleted_at = self.clock.now()
        return {}

    def _list(self, kind: ExportKind, operation: str, **params: Any) -> dict[str, Any]:
        """Pages of at most ``MaxResults`` (default and most 100), oldest job first (Forecast
        documents no order), continued by ``NextToken``."""
        now = self.clock.now()
        summaries = []
        for job in self.jobs.values():
            status = job.status(now, self.settle)
            if job.kind != kind or status is None or now < job.created + self.list_lag:
                continue
            if all(_matches(job, status, item) for item in params.get("Filters", [])):
                summaries.append(self._summary(job, status))
        size = min(int(params.get("MaxResults", 100)), 100)
        start = _page_start(operation, params.get("NextToken"))
        page: dict[str, Any] = {kind.list_key: summaries[start : start + size]}
        if start + size < len(summaries):
            page["NextToken"] = f"page-after-{start + size}"
        return page

    def _summary(self, job: MemoryJob, status: str) -> dict[str, Any]:
        kind = job.kind
        summary: dict[str, Any] = {
            kind.arn_property: job.arn,
            kind.name_property: job.name,
            "Destination": job.request["Destination"],
            "Status": status,
            "CreationTime": datetime.fromtimestamp(job.created, UTC),
            "LastModificationTime": datetime.fromtimestamp(job.changed_at(self.clock.now(), self.settle), UTC),
        }
        if kind.source_is_list:
            summary[kind.source_property] = job.request[kind.source_property]
        return summary

    def _job(self, arn: str, operation: str) -> MemoryJob:
        job = self.jobs.get(arn)
        if job is None or job.status(self.clock.now(), self.settle) is None:
            raise _error(operation, "ResourceNotFoundException", f"No export with ARN {arn}")
        return job


def _creating(job: MemoryJob, now: float, settle: float) -> bool:
    """Whether the job holds a slot of the concurrent-jobs quota: a job being stopped still does."""
    return job.status(now, settle) in ("CREATE_PENDING", "CREATE_IN_PROGRESS", "CREATE_STOPPING")


def _page_start(operation: str, token: str | None) -> int:
    if token is None:
        return 0
    if not token.startswith("page-after-") or not token.removeprefix("page-after-").isdigit():
        raise _error(operation, "InvalidNextTokenException", "The token is not valid.")
    return int(token.removeprefix("page-after-"))


def _matches(job: MemoryJob, status: str, item: dict[str, str]) -> bool:
    if item["Key"] == "Status":
        found = status
    else:
        source = job.request[job.kind.source_property]
        found = source[0] if isinstance(source, list) else source
    return (found == item["Value"]) == (item["Condition"] == "IS")


def _snake(noun: str) -> str:
    return "".join("_" + char.lower() if char.isupper() else char for char in noun).lstrip("_")


def lifecycle_on(forecast: MemoryForecast, clock: ManualClock, **settings: Any) -> Lifecycle:
    """An in-process Lifecycle on this stand-in, with seeded randomness and the constructs' wait;
    ``settings`` override :class:`WaitSettings` fields."""
    exports = ForecastExports(forecast.client(), clock, Backoff(base=0.5, cap=2.0, rng=random.Random(1)))
    wait = WaitSettings(**{"total_wait": 3480.0, "poll_interval": 4.5, **settings})
    return Lifecycle(exports, clock, wait, random.Random(2))
