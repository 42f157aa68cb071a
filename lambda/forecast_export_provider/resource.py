"""What every resource the provider serves speaks: one request, one outcome, one failure, one protocol.

The entry point turns a CloudFormation event into a :class:`Request`, chooses the :class:`Resource`
from the request's ``ResourceType`` and maps the :class:`Outcome` to crhelper's terms. A resource
knows nothing of crhelper; one whose requests outlast an invocation returns ``CONTINUE`` with the
state to resume from, and leaves a :class:`Continuation` on the :class:`Invocation` for the
answers that the entry point gives outside the call (see docs/design.md).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class Status(enum.StrEnum):
    """How a call to a resource ended."""

    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CONTINUE = "CONTINUE"
    """Not settled yet: carry the state to the next invocation."""


@dataclass(frozen=True)
class Request:
    """The parts of a CloudFormation custom-resource request that a resource reads."""

    request_type: str
    stack_id: str
    logical_id: str
    request_id: str
    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any] = field(default_factory=dict)
    physical_id: str | None = None
    resource_type: str = ""

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
            resource_type=str(event.get("ResourceType") or ""),
        )


@dataclass
class Outcome:
    """SUCCESS or FAILED with what to answer, or CONTINUE with the state to resume from."""

    status: Status
    physical_id: str | None = None
    data: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    clean_up_after: bool = False
    """A FAILED answer that is due now, while the state goes on deleting a failed replacement:
    answer, then run the state (now ``answered``) again until the export is gone."""
    state: Mapping[str, Any] | None = None
    """CONTINUE: the state (JSON) that the next invocation resumes from."""


class Failure(Exception):
    """A request fails with ``reason``, answered with ``physical_id`` when one is given.

    ``touched`` says whether anything may have been written before the failure.
    """

    def __init__(self, reason: str, physical_id: str | None = None, *, touched: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.physical_id = physical_id
        self.touched = touched


class Continuation(Protocol):
    """A request that may continue in a new invocation, as the answers given outside its resource need it."""

    def failure_physical_id(self) -> str | None:
        """The PhysicalResourceId of a FAILED answer given now (the timeout guard's, a failed hand-over's)."""

    def hand_over_failed(self, error: Exception) -> str:
        """The Reason of the FAILED answer to a request whose hand-over failed with ``error``.

        The request's state may turn into a clean-up that runs after that answer (:meth:`clean_up_state`).
        """

    def clean_up_state(self) -> Mapping[str, Any] | None:
        """The state (JSON) to run after a FAILED answer, or None when nothing is left to do."""


@dataclass
class Invocation:
    """One invocation's call on a resource: the function that serves it and the time it has."""

    function_arn: str
    remaining: Callable[[], float]
    """Seconds left in the invocation."""
    continuation: Continuation | None = None
    """Left here by a resource whose request may continue, for the answers given outside its call."""

    @property
    def partition(self) -> str:
        return self.function_arn.split(":")[1]

    @property
    def region(self) -> str:
        return self.function_arn.split(":")[3]

    @property
    def account_id(self) -> str:
        return self.function_arn.split(":")[4]


class Resource(Protocol):
    """A resource type the provider serves."""

    def run(self, request: Request, state: Mapping[str, Any] | None, invocation: Invocation) -> Outcome:
        """Advance ``request``: from its start when ``state`` is None, else from what a CONTINUE carried.

        A state whose ``answered`` is true is a clean-up after a FAILED answer: nothing more is
        sent to CloudFormation for it.
        """
