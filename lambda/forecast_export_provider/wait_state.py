"""A request's progress through the export lifecycle, and how long and how often it waits.

:class:`WaitState` is plain data that serializes to JSON: one invocation advances it and the next
resumes it (see :mod:`.lifecycle`).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from . import queueing
from .constants import POLL_INTERVAL_SECONDS, TOTAL_WAIT_SECONDS


class Step(enum.StrEnum):
    """Where a request stands."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    QUEUE = "queue"
    """Forecast's concurrent-jobs quota refused the Create: try again when a slot frees."""
    AWAIT = "await"
    """Waiting for the job to turn ACTIVE."""
    DISMANTLE = "dismantle"
    """Stopping and deleting the export, waiting until it is gone."""


FIRST_STEPS = {"Create": Step.CREATE, "Update": Step.UPDATE, "Delete": Step.DELETE}


@dataclass
class WaitState:
    """A request's progress; :meth:`to_json` and :meth:`from_json` carry it between invocations."""

    step: Step
    started_at: float
    """The request's first arrival (or the export's creation, if earlier): the origin of its clock."""
    deadline: float
    """When the provider stops waiting and answers FAILED."""
    kind: str | None = None
    arn: str | None = None
    """The export this request created, adopted or is deleting, once known."""
    last_status: str | None = None
    replacing: bool = False
    """An Update is creating a replacement: a failure deletes the new export before answering."""
    describe_after_pause: bool = False
    """A job was just created: describe it after one poll interval, not at once."""
    stop_requested: bool = False
    stop_refusals: int = 0
    then_fail: str | None = None
    """The reason to answer once a failed replacement has been deleted."""
    queued_since: float | None = None
    idle_refusals: int = 0
    """Creates refused for the quota while no job of the kind was in progress."""
    answered: bool = False
    """The FAILED answer has gone out: only a failed replacement's export is still being deleted,
    and nothing more is sent to CloudFormation."""

    def clean_up_after_answer(self, until: float) -> None:
        """From now on, delete the export (a failed replacement) until it is gone, answering nothing."""
        self.step, self.answered, self.deadline = Step.DISMANTLE, True, until
        self.replacing = self.stop_requested = False
        self.stop_refusals = 0

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in (None, False, 0, {})}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WaitState:
        known = {item.name for item in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["step"] = Step(values["step"])
        return cls(**values)


@dataclass(frozen=True)
class WaitSettings:
    """How long and how often to wait."""

    total_wait: float = TOTAL_WAIT_SECONDS
    poll_interval: float = POLL_INTERVAL_SECONDS
    queue: queueing.QueueSettings = field(default_factory=queueing.QueueSettings)
    look_again: float = 1.0
    """The first pause before looking again for what List does not show yet (List lags Create)."""
    limit_recheck: float = 10.0
    """After a Create is refused with no job in progress, look once more after this long."""

    @property
    def settle_interval(self) -> float:
        """Polling while stopping and deleting, which are short: report their end quickly."""
        return min(5.0, self.poll_interval)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> WaitSettings:
        total = float(environ.get("TOTAL_WAIT_SECONDS", TOTAL_WAIT_SECONDS))
        return cls(
            total_wait=min(max(total, 1.0), TOTAL_WAIT_SECONDS),
            poll_interval=max(float(environ.get("POLL_INTERVAL_SECONDS", POLL_INTERVAL_SECONDS)), 0.01),
            queue=queueing.QueueSettings.from_env(environ),
            look_again=max(float(environ.get("LOOK_AGAIN_SECONDS", 1.0)), 0.01),
            limit_recheck=max(float(environ.get("LIMIT_RECHECK_SECONDS", 10.0)), 0.01),
        )
