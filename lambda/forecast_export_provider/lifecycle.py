"""Create, Update and Delete of Forecast exports, free of CloudFormation wiring.

Each request runs as a small state machine whose state is plain JSON. An invocation advances it
until the request is settled or until ``handoff_at``; then the caller carries the state to the next
invocation, which resumes it. Every wait is bounded by the request's overall deadline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .forecast import Clock, ForecastError, ForecastExports, OutOfTime
from .kinds import KINDS_BY_KEY, ExportKind
from .naming import generated_name
from .validation import DEFAULT_FORMAT, ExportSpec, InvalidProperties, kind_for, parse

SUCCESS = "SUCCESS"
FAILED = "FAILED"
CONTINUE = "CONTINUE"

MAX_TOTAL_WAIT = 3480.0
CREATING = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})
SETTLING = frozenset({"CREATE_STOPPING", "DELETE_PENDING", "DELETE_IN_PROGRESS"})
DELETING = frozenset({"DELETE_PENDING", "DELETE_IN_PROGRESS", "DELETE_FAILED"})
CREATE_FAILURES = frozenset({"CREATE_FAILED", "CREATE_STOPPED"})


@dataclass(frozen=True)
class Request:
    """The parts of a CloudFormation custom-resource request that the lifecycle reads."""

    request_type: str
    stack_id: str
    logical_id: str
    request_id: str
    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any] = field(default_factory=dict)
    physical_id: str | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Request:
        return cls(
            request_type=event["RequestType"],
            stack_id=event["StackId"],
            logical_id=event["LogicalResourceId"],
            request_id=event["RequestId"],
            properties=event.get("ResourceProperties") or {},
            old_properties=event.get("OldResourceProperties") or {},
            physical_id=event.get("PhysicalResourceId"),
        )


@dataclass
class Outcome:
    """SUCCESS or FAILED with what to answer, or CONTINUE with the state to resume from."""

    status: str
    physical_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    state: dict[str, Any] | None = None


@dataclass(frozen=True)
class WaitSettings:
    """How long and how often to wait."""

    total_wait: float = MAX_TOTAL_WAIT
    poll_interval: float = 12.0

    @property
    def settle_interval(self) -> float:
        """Polling while stopping and deleting, which are short: report their end quickly."""
        return min(5.0, self.poll_interval)

    @property
    def cleanup_reserve(self) -> float:
        """Time kept back from a replacement's wait, to delete the new export if it fails."""
        return min(300.0, self.total_wait / 4)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> WaitSettings:
        total = float(environ.get("TOTAL_WAIT_SECONDS", MAX_TOTAL_WAIT))
        return cls(
            total_wait=min(max(total, 1.0), MAX_TOTAL_WAIT),
            poll_interval=max(float(environ.get("POLL_INTERVAL_SECONDS", 12.0)), 0.01),
        )


class _Handoff(Exception):
    """The invocation's time is up; resume in the next one."""


class _Failure(Exception):
    def __init__(self, reason: str, physical_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.physical_id = physical_id


def iso8601(value: Any) -> str:
    """A timestamp from boto3 (datetime) as ISO 8601 in UTC."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "" if value is None else str(value)


def attributes(kind: ExportKind, description: Mapping[str, Any]) -> dict[str, str]:
    """The ``Fn::GetAtt`` attributes of an export."""
    source = description.get(kind.source_property)
    return {
        "Arn": description[kind.arn_property],
        "Name": description[kind.name_property],
        "Status": description["Status"],
        "DestinationPath": description["Destination"]["S3Config"]["Path"],
        "Format": description.get("Format") or DEFAULT_FORMAT,
        "CreationTime": iso8601(description.get("CreationTime")),
        "LastModificationTime": iso8601(description.get("LastModificationTime")),
        "SourceArn": ",".join(source) if isinstance(source, list) else str(source),
    }


def export_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


class Lifecycle:
    """Drives one request's export through Forecast."""

    def __init__(self, exports: ForecastExports, clock: Clock, settings: WaitSettings) -> None:
        self.exports = exports
        self.clock = clock
        self.settings = settings

    def start(self, request: Request, handoff_at: float) -> Outcome:
        """Begin a request that has just arrived."""
        first_step = {"Create": "create", "Update": "update", "Delete": "delete"}[request.request_type]
        state = {"step": first_step, "deadline": self.clock.now() + self.settings.total_wait}
        return self.resume(request, state, handoff_at)

    def resume(self, request: Request, state: dict[str, Any], handoff_at: float) -> Outcome:
        """Advance ``state`` until the request settles or ``handoff_at`` comes."""
        state = dict(state)
        self.exports.retry_until = min(handoff_at, self._wait_limit(state))
        self._handoff_at = handoff_at
        try:
            while True:
                outcome: Outcome | None = getattr(self, "_" + state["step"])(request, state)
                if outcome is not None:
                    return outcome
        except _Handoff:
            return Outcome(CONTINUE, state=state)
        except OutOfTime as error:
            if self.clock.now() < self._wait_limit(state):
                return Outcome(CONTINUE, state=state)
            return self._timed_out(request, state, error.last_error)
        except _Failure as failure:
            return self._failed(request, state, failure.reason, failure.physical_id)
        except InvalidProperties as error:
            return self._failed(request, state, str(error))
        except ForecastError as error:
            return self._failed(request, state, f"{error.operation} failed: {error.message}")

    # Steps. Each returns an Outcome when the request is settled, or None after moving ``state``.

    def _create(self, request: Request, state: dict[str, Any]) -> Outcome | None:
        spec = parse(request.properties)
        return self._start_export(request, state, spec)

    def _update(self, request: Request, state: dict[str, Any]) -> Outcome | None:
        spec = parse(request.properties)
        current = request.physical_id
        found = None
        if current is not None and spec.kind.is_export_arn(current):
            found = self.exports.describe(spec.kind, current)
        if found is not None and found["Status"] not in DELETING:
            name = found[spec.kind.name_property]
            if self._keeps_name(spec, request, name) and not spec.differences(found):
                self._sync_tags(request, spec, str(current))
                if found["Status"] == "ACTIVE":
                    return Outcome(SUCCESS, current, attributes(spec.kind, found))
                state.update(step="await", arn=current, kind=spec.kind.key, last_status=found["Status"])
                return None
            if spec.name is not None and spec.name == name:
                changed = ", ".join(spec.differences(found)) or "the export"
                raise _Failure(
                    f"Changing {changed} replaces the export, but {spec.kind.name_property} {name} "
                    "stays the same: change the name or omit it"
                )
        state["replacing"] = True
        return self._start_export(request, state, spec)

    def _delete(self, request: Request, state: dict[str, Any]) -> Outcome | None:
        kind = kind_for(request.properties, request.physical_id)
        if kind is None or not kind.is_export_arn(request.physical_id):
            return Outcome(SUCCESS, request.physical_id)
        state.update(step="dismantle", arn=request.physical_id, kind=kind.key)
        return None

    def _await(self, request: Request, state: dict[str, Any]) -> Outcome | None:
        kind = KINDS_BY_KEY[state["kind"]]
        arn = state["arn"]
        if state.pop("fresh", False):
            self._pause(state, self.settings.poll_interval)
        found = self.exports.describe(kind, arn)
        status = found["Status"] if found else "NOT_FOUND"
        state["last_status"] = status
        if found is not None and status == "ACTIVE":
            return Outcome(SUCCESS, arn, attributes(kind, found))
        if found is None or status in CREATE_FAILURES or status in DELETING:
            message = (found or {}).get("Message") or "no message from Forecast"
            if found is None:
                message = "the export disappeared while waiting"
            raise _Failure(f"{kind.title} {export_name(arn)} {status}: {message}", arn)
        self._pause(state, self.settings.poll_interval)
        return None

    def _dismantle(self, request: Request, state: dict[str, Any]) -> Outcome | None:
        kind = KINDS_BY_KEY[state["kind"]]
        arn = state["arn"]
        found = self.exports.describe(kind, arn)
        if found is None:
            if "then_fail" in state:
                return Outcome(FAILED, request.physical_id, reason=state["then_fail"])
            return Outcome(SUCCESS, request.physical_id)
        status = state["last_status"] = found["Status"]
        if status == "DELETE_FAILED":
            message = found.get("Message") or "no message from Forecast"
            raise _Failure(f"Deleting {kind.title} {export_name(arn)} failed: {message}")
        if status in CREATING and kind.stoppable and not state.get("stop_requested"):
            self._ignore_gone_or_busy(self.exports.stop, arn)
            state["stop_requested"] = True
        elif status not in CREATING and status not in SETTLING:
            self._ignore_gone_or_busy(self.exports.delete, kind, arn)
        self._pause(state, self.settings.settle_interval)
        return None

    # Helpers.

    def _start_export(self, request: Request, state: dict[str, Any], spec: ExportSpec) -> Outcome | None:
        name = spec.name or generated_name(request.stack_id, request.logical_id, request.request_id)
        try:
            arn = self.exports.create(spec.kind, spec.create_request(name))
            state["fresh"] = True
        except ForecastError as error:
            if error.code != "ResourceAlreadyExistsException":
                raise
            arn = self._adoptable(spec, name)
        state.update(step="await", arn=arn, kind=spec.kind.key)
        return None

    def _adoptable(self, spec: ExportSpec, name: str) -> str:
        """The ARN of the existing export named ``name``, if it is the one these properties describe."""
        kind = spec.kind
        arn = self.exports.find_by_name(kind, name, spec.sources[0])
        found = self.exports.describe(kind, arn) if arn else None
        if arn is None or found is None:
            raise _Failure(f"A {kind.title} named {name} exists but could not be found to adopt; choose another name")
        differences = spec.differences(found)
        if found["Status"] in DELETING:
            differences.append("Status " + found["Status"])
        if differences:
            raise _Failure(
                f"A {kind.title} named {name} already exists with different settings "
                f"({', '.join(differences)}); choose another name or omit it"
            )
        return arn

    @staticmethod
    def _keeps_name(spec: ExportSpec, request: Request, current_name: str) -> bool:
        if spec.name is not None:
            return spec.name == current_name
        return request.old_properties.get(spec.kind.name_property) is None

    def _sync_tags(self, request: Request, spec: ExportSpec, arn: str) -> None:
        """Set new and changed tags; remove those the old properties named and the new lack."""
        desired = dict(spec.tags)
        old_keys = {tag.get("Key") for tag in request.old_properties.get("Tags", []) if isinstance(tag, dict)}
        current = self.exports.tags(arn)
        changed = {key: value for key, value in desired.items() if current.get(key) != value}
        removed = sorted(key for key in old_keys if key not in desired and key in current)
        if changed:
            self.exports.tag(arn, changed)
        if removed:
            self.exports.untag(arn, removed)

    def _ignore_gone_or_busy(self, action: Any, *args: Any) -> None:
        try:
            action(*args)
        except ForecastError as error:
            if error.code not in {"ResourceNotFoundException", "ResourceInUseException"}:
                raise

    def _wait_limit(self, state: Mapping[str, Any]) -> float:
        deadline = float(state["deadline"])
        if state.get("replacing") and state.get("step") == "await":
            return deadline - self.settings.cleanup_reserve
        return deadline

    def _pause(self, state: dict[str, Any], interval: float) -> None:
        now = self.clock.now()
        limit = self._wait_limit(state)
        if now >= limit:
            raise OutOfTime("waiting", "")
        step = min(interval, limit - now)
        if now + step >= self._handoff_at:
            raise _Handoff
        self.clock.sleep(step)

    def _timed_out(self, request: Request, state: dict[str, Any], last_error: str) -> Outcome:
        waited = int(self.settings.total_wait)
        arn = state.get("arn")
        subject = f"export {export_name(arn)}" if arn else "the export"
        reason = f"Gave up after {waited} s waiting for {subject}; last status {state.get('last_status', 'unknown')}"
        if last_error:
            reason += f"; last error {last_error}"
        if state.get("replacing") and state.get("step") == "await" and arn:
            # Keep the rest of the time to remove the replacement that did not finish.
            return self._clean_up_then_fail(request, state, reason)
        return self._failed(request, state, reason, arn if request.request_type == "Create" else None)

    def _failed(self, request: Request, state: dict[str, Any], reason: str, arn: str | None = None) -> Outcome:
        if request.request_type == "Create":
            return Outcome(FAILED, arn, reason=reason)
        if state.get("replacing") and arn and state.get("step") == "await":
            return self._clean_up_then_fail(request, state, reason)
        return Outcome(FAILED, request.physical_id, reason=reason)

    def _clean_up_then_fail(self, request: Request, state: dict[str, Any], reason: str) -> Outcome:
        """A replacement failed: delete the new export, then answer FAILED."""
        state.update(step="dismantle", then_fail=reason, stop_requested=False)
        state.pop("replacing", None)
        return self.resume(request, state, self._handoff_at)
