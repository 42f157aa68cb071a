"""The four export kinds as one resource: the :class:`.lifecycle.Lifecycle` behind the protocol.

Any ``ResourceType`` other than the table's is an export (hand-written templates may use
``AWS::CloudFormation::CustomResource`` or a ``Custom::`` name of their own); its kind comes from
its properties (contract section 1).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .handoff import handoff_time
from .lifecycle import Lifecycle, export_name, failure_physical_id
from .ownership import bounded, refusal
from .resource import Invocation, Outcome, Request, Status
from .validation import shorten
from .wait_state import WaitState

logger = logging.getLogger(__name__)


class ExportResource:
    """Create, Update and Delete of an export, continued across invocations; holds no per-request state."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle

    def run(self, request: Request, state: Mapping[str, Any] | None, invocation: Invocation) -> Outcome:
        lifecycle = self.lifecycle
        if state is None:
            return self._settle(request, lifecycle.begin(request), invocation)
        wait = WaitState.from_json(state)
        if wait.answered:
            # A clean-up answers nothing, but passes the same checks as any continuation.
            if (refused := refusal(request, invocation.function_arn, [wait.arn])) is not None:
                logger.error("Not cleaning up for %s: %s", request.logical_id, refused.reason or "not its export")
                return refused
            wait.deadline = min(wait.deadline, lifecycle.clock.now() + lifecycle.settings.total_wait)
            return self._clean_up(request, wait, invocation)
        wait = bounded(request, wait, lifecycle.clock.now(), lifecycle.settings.total_wait)
        logger.info("Resuming %s %s at step %s", request.request_type, request.logical_id, wait.step)
        if (refused := refusal(request, invocation.function_arn, [wait.arn])) is not None:
            return refused
        return self._settle(request, wait, invocation)

    def _settle(self, request: Request, state: WaitState, invocation: Invocation) -> Outcome:
        invocation.continuation = _ExportContinuation(self.lifecycle, request, state)
        outcome = self._advance(request, state, invocation)
        if outcome.status is Status.CONTINUE:
            outcome.state = state.to_json()
        return outcome

    def _advance(self, request: Request, state: WaitState, invocation: Invocation) -> Outcome:
        lifecycle = self.lifecycle
        return lifecycle.run(request, state, handoff_time(lifecycle.clock.now(), invocation.remaining()))

    def _clean_up(self, request: Request, state: WaitState, invocation: Invocation) -> Outcome:
        """Delete a failed replacement after its request's answer; CONTINUE carries the rest of it."""
        name = export_name(state.arn or "")
        outcome = self._advance(request, state, invocation)
        if outcome.status is Status.SUCCESS:
            logger.info("Deleted the failed replacement %s", name)
        elif outcome.status is Status.FAILED:
            logger.error("Could not delete the failed replacement %s (delete it): %s", name, outcome.reason)
        else:
            outcome.state = state.to_json()
        return outcome


@dataclass
class _ExportContinuation:
    """One request's live wait state, for the answers the entry point gives outside :meth:`ExportResource.run`."""

    lifecycle: Lifecycle
    request: Request
    state: WaitState

    def failure_physical_id(self) -> str | None:
        return failure_physical_id(self.request, self.state)

    def hand_over_failed(self, error: Exception) -> str:
        state = self.state
        subject = f"export {export_name(state.arn)}" if state.arn else "the export"
        left_behind = self.lifecycle.abandon(self.request, state)
        return shorten(f"Could not continue waiting for {subject} in a new invocation{left_behind}: {error}")

    def clean_up_state(self) -> Mapping[str, Any] | None:
        return self.state.to_json() if self.state.answered else None
