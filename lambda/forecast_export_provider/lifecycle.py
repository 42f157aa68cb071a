"""Create, Update and Delete of Forecast exports, free of CloudFormation wiring.

Each request runs as a small state machine. Its state (:class:`WaitState`) is plain data that
serializes to JSON. One invocation advances it until the request settles or until the
invocation's hand-off time; the caller then carries the state to the next invocation, which
resumes it. Every wait is bounded by the request's deadline, which counts from its first arrival.

:class:`Lifecycle` is built once per container and holds no per-request state: the request, its
state and the invocation's hand-off time travel through :class:`_Run`, made anew for each call.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from . import queueing
from .constants import SERVICE_TIMEOUT_MARGIN_SECONDS
from .forecast import Clock, ForecastError, ForecastExports, OutOfTime
from .kinds import KINDS_BY_KEY, ExportKind, kind_of_arn
from .naming import generated_name
from .resource import Failure, Outcome, Request, Status
from .validation import DEFAULT_FORMAT, ExportSpec, InvalidProperties, parse, service_timeout
from .wait_state import FIRST_STEPS, Step, WaitSettings, WaitState

CREATING = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})
SETTLING = frozenset({"CREATE_STOPPING", "DELETE_PENDING", "DELETE_IN_PROGRESS"})
DELETING = frozenset({"DELETE_PENDING", "DELETE_IN_PROGRESS", "DELETE_FAILED"})
CREATE_FAILURES = frozenset({"CREATE_FAILED", "CREATE_STOPPED"})
STOP_REFUSALS_TOLERATED = 3
ADOPTION_LOOKS = (1.0, 2.0, 4.0, 8.0)
"""Pauses between the looks for an export whose name is taken but that List does not show yet,
in units of :attr:`WaitSettings.look_again`."""


class _Handoff(Exception):
    """The invocation's time is up; resume in the next one."""


def iso8601(value: Any) -> str:
    """A timestamp from boto3 (datetime) as ISO 8601 in UTC."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "" if value is None else str(value)


def epoch(value: Any) -> float | None:
    """A timestamp from boto3 as seconds since the epoch."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


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


def failure_physical_id(request: Request, state: WaitState | None) -> str | None:
    """The PhysicalResourceId of a FAILED answer given at any point of a request.

    A Create answers with its job's ARN once the job exists, so that the rollback Delete removes
    it; an Update and a Delete keep the id they were sent, so that the rollback goes to the export
    CloudFormation knows.
    """
    if request.request_type == "Create":
        return state.arn if state is not None else None
    return request.physical_id


class Lifecycle:
    """Drives requests' exports through Forecast. Holds no per-request state."""

    def __init__(
        self,
        exports: ForecastExports,
        clock: Clock,
        settings: WaitSettings,
        rng: random.Random | None = None,
    ) -> None:
        self.exports = exports
        self.clock = clock
        self.settings = settings
        self.rng = rng or random.Random()

    def begin(self, request: Request) -> WaitState:
        """The state of a request that has just arrived."""
        now = self.clock.now()
        budget = self.settings.total_wait
        timeout = service_timeout(request.properties)
        if timeout is not None:
            budget = min(budget, timeout - SERVICE_TIMEOUT_MARGIN_SECONDS)
        return WaitState(step=FIRST_STEPS[request.request_type], started_at=now, deadline=now + budget)

    def run(self, request: Request, state: WaitState, handoff_at: float) -> Outcome:
        """Advance ``state`` (in place) until the request settles or ``handoff_at`` comes."""
        return _Run(self, request, state, handoff_at).run()

    def abandon(self, request: Request, state: WaitState) -> str:
        """A request that cannot be continued; returns what its FAILED answer's Reason should add.

        An Update's replacement, unfinished or failed and being deleted, is deleted after that
        answer, which keeps the old id (so CloudFormation never deletes the new export): ``state``
        turns into that clean-up. No call is made here, so that nothing delays the answer.
        """
        failed_replacement = state.then_fail is not None and not state.answered
        if request.request_type != "Update" or state.arn is None or state.kind is None:
            return ""
        if not (state.replacing or failed_replacement):
            return ""
        name = export_name(state.arn)
        state.clean_up_after_answer(self.clock.now() + self.settings.total_wait)
        if failed_replacement:
            return f" ({state.then_fail}; the failed replacement {name} is deleted after this answer)"
        return f" (the unfinished replacement {name} is stopped and deleted after this answer)"


class _Run:
    """One invocation's work on one request."""

    def __init__(self, lifecycle: Lifecycle, request: Request, state: WaitState, handoff_at: float) -> None:
        self.clock = lifecycle.clock
        self.settings = lifecycle.settings
        self.rng = lifecycle.rng
        self.request = request
        self.state = state
        self.handoff_at = handoff_at
        self.exports = lifecycle.exports.until(min(handoff_at, state.deadline))
        self.steps: dict[Step, Callable[[], Outcome | None]] = {
            Step.CREATE: self.create,
            Step.UPDATE: self.update,
            Step.DELETE: self.delete,
            Step.QUEUE: self.retry_create,
            Step.AWAIT: self.await_active,
            Step.DISMANTLE: self.dismantle,
        }

    def run(self) -> Outcome:
        state = self.state
        try:
            while True:
                outcome = self.steps[state.step]()
                if outcome is not None:
                    return outcome
        except _Handoff:
            return Outcome(Status.CONTINUE)
        except OutOfTime as error:
            if self.clock.now() < state.deadline:
                return Outcome(Status.CONTINUE)
            return self.timed_out(error.last_error)
        except Failure as failure:
            return self.failed(failure.reason, failure.physical_id)
        except InvalidProperties as error:
            return self.failed(str(error))
        except ForecastError as error:
            return self.failed(f"{error.operation} failed: {error.message}")

    # Steps: each returns an Outcome when the request is settled, or None after moving the state.

    def create(self) -> Outcome | None:
        return self.start_export(parse(self.request.properties))

    def retry_create(self) -> Outcome | None:
        return self.start_export(parse(self.request.properties))

    def update(self) -> Outcome | None:
        request, state = self.request, self.state
        spec = parse(request.properties)
        current = request.physical_id
        found = None
        if current is not None and spec.kind.is_export_arn(current):
            found = self.exports.describe(spec.kind, current)
        if current is not None and found is not None and found["Status"] not in DELETING:
            name = found[spec.kind.name_property]
            if self.keeps_name(spec, name) and not spec.differences(found):
                self.sync_tags(spec, current)
                if found["Status"] == "ACTIVE":
                    return Outcome(Status.SUCCESS, current, attributes(spec.kind, found))
                state.step, state.arn, state.kind = Step.AWAIT, current, spec.kind.key
                state.last_status = found["Status"]
                return None
            if spec.name is not None and spec.name == name:
                changed = ", ".join(spec.differences(found)) or "the export"
                raise Failure(
                    f"Changing {changed} replaces the export, but {spec.kind.name_property} {name} "
                    "stays the same: change the name or omit it"
                )
        state.replacing = True
        return self.start_export(spec)

    def delete(self) -> Outcome | None:
        request, state = self.request, self.state
        kind = kind_of_arn(request.physical_id)
        if kind is None or request.physical_id is None:
            return Outcome(Status.SUCCESS, request.physical_id)
        state.step, state.arn, state.kind = Step.DISMANTLE, request.physical_id, kind.key
        return None

    def await_active(self) -> Outcome | None:
        state = self.state
        kind, arn = self.current_export()
        if state.describe_after_pause:
            # Cleared first: should the pause reach the hand-over, the next invocation describes at once.
            state.describe_after_pause = False
            self.pause(self.settings.poll_interval)
        found = self.exports.describe(kind, arn)
        status = found["Status"] if found else "NOT_FOUND"
        state.last_status = status
        if found is not None and status == "ACTIVE":
            return Outcome(Status.SUCCESS, arn, attributes(kind, found))
        if found is None or status in CREATE_FAILURES or status in DELETING:
            message = (found or {}).get("Message") or "no message from Forecast"
            if found is None:
                message = "the export disappeared while waiting"
            raise Failure(f"{kind.title} {export_name(arn)} {status}: {message}", arn)
        self.pause(self.settings.poll_interval)
        return None

    def dismantle(self) -> Outcome | None:
        state = self.state
        kind, arn = self.current_export()
        found = self.exports.describe(kind, arn)
        if found is None:
            if state.answered:
                return Outcome(Status.SUCCESS, self.request.physical_id, reason=f"deleted {export_name(arn)}")
            if state.then_fail is not None:
                return Outcome(Status.FAILED, self.request.physical_id, reason=state.then_fail)
            return Outcome(Status.SUCCESS, self.request.physical_id)
        status = state.last_status = found["Status"]
        if status == "DELETE_FAILED":
            message = found.get("Message") or "no message from Forecast"
            raise Failure(f"Deleting {kind.title} {export_name(arn)} failed: {message}")
        if status in CREATING and kind.stoppable and not state.stop_requested:
            try:
                self.exports.stop(arn)
                state.stop_requested = True
            except ForecastError as error:
                # The job may have finished between the Describe and the stop: look again.
                state.stop_refusals += 1
                if error.code != "ResourceNotFoundException" and state.stop_refusals > STOP_REFUSALS_TOLERATED:
                    raise
        elif status not in CREATING and status not in SETTLING:
            self.ignore_gone_or_busy(self.exports.delete, kind, arn)
        self.pause(self.settings.settle_interval)
        return None

    # Creating and adopting.

    def start_export(self, spec: ExportSpec) -> Outcome | None:
        request, state = self.request, self.state
        if state.deadline <= state.started_at:
            # The time limits bound waiting only: what needs no wait has been answered already.
            raise Failure(self.no_time_reason())
        name = spec.name or generated_name(request.stack_id, request.logical_id, request.request_id)
        state.kind = spec.kind.key
        try:
            arn = self.exports.create(spec.kind, spec.create_request(name))
            state.describe_after_pause = True
        except ForecastError as error:
            if error.code == "LimitExceededException":
                return self.queue_for_a_slot(spec.kind, error)
            if error.code != "ResourceAlreadyExistsException":
                raise
            arn = self.adoptable(spec, name)
        state.step, state.arn = Step.AWAIT, arn
        state.queued_since = None
        return None

    def queue_for_a_slot(self, kind: ExportKind, error: ForecastError) -> Outcome | None:
        """A Create refused for a limit: queue while jobs of the kind are in progress, else fail."""
        state = self.state
        state.step = Step.QUEUE
        if state.queued_since is None:
            state.queued_since = self.clock.now()
        listed = self.exports.jobs_for_queueing(kind)
        jobs = [seen for seen in map(queueing.JobSeen.from_summary, listed) if seen is not None]
        if not any(job.finished is None for job in jobs):
            state.idle_refusals += 1
            if state.idle_refusals > 1:
                raise Failure(
                    f"{error.operation} failed: {error.message} (no {kind.title} is in progress, "
                    "so waiting will not lift this limit)"
                )
            # List can lag Create: a slot taken a moment ago may not show yet. Look once more.
            self.pause(self.settings.limit_recheck)
            return None
        state.idle_refusals = 0
        now = self.clock.now()
        self.pause(queueing.next_attempt_delay(self.settings.queue, jobs, now, self.rng, state.queued_since))
        return None

    def adoptable(self, spec: ExportSpec, name: str) -> str:
        """The ARN of the existing export named ``name``, if it is the one these properties describe."""
        kind = spec.kind
        arn = self.exports.find_by_name(kind, name, spec.sources[0])
        looks = iter(ADOPTION_LOOKS)
        while arn is None:
            # List lags Create, and a List filter may not mean what it seems: look again, unfiltered.
            look = next(looks, None)
            pause = look * self.settings.look_again if look is not None else None
            if pause is None or self.clock.now() + pause >= self.state.deadline:
                raise Failure(
                    f"A {kind.title} named {name} exists but List does not show it; choose another name or omit it"
                )
            if self.clock.now() + pause >= self.handoff_at:
                raise _Handoff
            self.clock.sleep(pause)
            arn = self.exports.find_by_name(kind, name, None)
        found = self.exports.describe(kind, arn)
        if found is None:
            raise Failure(f"A {kind.title} named {name} exists but could not be described; choose another name")
        differences = spec.differences(found)
        if found["Status"] in DELETING:
            differences.append("Status " + found["Status"])
        if differences:
            raise Failure(
                f"A {kind.title} named {name} already exists with different settings "
                f"({', '.join(differences)}); choose another name or omit it"
            )
        self.count_from(found)
        return arn

    def count_from(self, found: Mapping[str, Any]) -> None:
        """An adopted job in progress was created by an earlier delivery: its clock started then."""
        created = epoch(found.get("CreationTime"))
        state = self.state
        if created is None or created >= state.started_at or found.get("Status") not in CREATING:
            return
        state.deadline -= state.started_at - created
        state.started_at = created

    # Helpers.

    def current_export(self) -> tuple[ExportKind, str]:
        state = self.state
        if state.kind is None or state.arn is None:  # pragma: no cover - the steps set both first
            raise Failure("internal error: no export to wait for")
        return KINDS_BY_KEY[state.kind], state.arn

    def keeps_name(self, spec: ExportSpec, current_name: str) -> bool:
        if spec.name is not None:
            return spec.name == current_name
        return self.request.old_properties.get(spec.kind.name_property) is None

    def sync_tags(self, spec: ExportSpec, arn: str) -> None:
        """Remove the tags the old properties named and the new lack, then set new and changed ones.

        Removing first keeps a valid change under Forecast's 50-tag limit on the way.
        """
        desired = dict(spec.tags)
        old_keys = {tag.get("Key") for tag in self.request.old_properties.get("Tags", []) if isinstance(tag, dict)}
        current = self.exports.tags(arn)
        removed = sorted(key for key in old_keys if isinstance(key, str) and key not in desired and key in current)
        changed = {key: value for key, value in desired.items() if current.get(key) != value}
        if removed:
            self.exports.untag(arn, removed)
        if changed:
            self.exports.tag(arn, changed)

    @staticmethod
    def ignore_gone_or_busy(action: Callable[..., None], *args: Any) -> None:
        try:
            action(*args)
        except ForecastError as error:
            if error.code not in {"ResourceNotFoundException", "ResourceInUseException"}:
                raise

    def pause(self, interval: float) -> None:
        """Sleep ``interval``, or until the wait limit if sooner.

        When the hand-off time comes first, sleep until it and hand over: the invocation uses all
        of its time, and the next one starts by describing the job.
        """
        now = self.clock.now()
        limit = self.state.deadline
        if now >= limit:
            raise OutOfTime("waiting", "")
        step = min(interval, limit - now)
        if now + step > self.handoff_at:
            self.clock.sleep(self.handoff_at - now)
            raise _Handoff
        self.clock.sleep(step)

    def no_time_reason(self) -> str:
        timeout = service_timeout(self.request.properties)
        return (
            f"ServiceTimeout {timeout} leaves no time to wait: the provider answers "
            f"{SERVICE_TIMEOUT_MARGIN_SECONDS} s before it runs out; use a larger ServiceTimeout"
        )

    def timed_out(self, last_error: str) -> Outcome:
        state = self.state
        if state.then_fail is not None and not state.answered:
            # The answer is due while a failed replacement is still being deleted.
            return self.answer_then_clean_up()
        waited = int(self.clock.now() - state.started_at)
        subject = f"export {export_name(state.arn)}" if state.arn else "the export"
        if state.step == Step.QUEUE:
            subject += " (queued for a free slot in Forecast's concurrent-jobs quota)"
        reason = f"Gave up after {waited} s waiting for {subject}; last status {state.last_status or 'unknown'}"
        if last_error:
            reason += f"; last error {last_error}"
        return self.failed(reason, state.arn)

    def failed(self, reason: str, arn: str | None = None) -> Outcome:
        request, state = self.request, self.state
        if request.request_type == "Create":
            return Outcome(Status.FAILED, arn or state.arn, reason=reason)
        if state.replacing and state.arn and state.step == Step.AWAIT:
            return self.clean_up_then_fail(reason)
        if state.then_fail is not None and not state.answered:
            reason = f"{state.then_fail}; then {reason}"
        return Outcome(Status.FAILED, request.physical_id, reason=reason)

    def clean_up_then_fail(self, reason: str) -> Outcome:
        """A replacement failed: delete the new export, then answer FAILED.

        Deleting it waits until the deadline at most; the answer is never late for it.
        """
        state = self.state
        state.step, state.then_fail, state.stop_requested = Step.DISMANTLE, reason, False
        state.replacing = False
        if self.clock.now() >= state.deadline:
            return self.answer_then_clean_up()
        self.exports = self.exports.until(min(self.handoff_at, state.deadline))
        return self.run()

    def answer_then_clean_up(self) -> Outcome:
        """Answer FAILED now (old id) and go on deleting the failed replacement after the answer."""
        state = self.state
        reason = f"{state.then_fail}; {export_name(state.arn or '')} is deleted after this answer"
        state.clean_up_after_answer(self.clock.now() + self.settings.total_wait)
        return Outcome(Status.FAILED, self.request.physical_id, reason=reason, clean_up_after=True)
