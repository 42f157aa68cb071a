"""Every use of crhelper's private members, in one place.

crhelper (pinned to 2.0.12) keeps the CloudFormation protocol: the response PUT, the timeout
guard that answers FAILED half a second before the invocation ends, and the routing of
Create/Update/Delete and their ``poll_*`` continuations. This module changes three things, each
by overriding one private method, and ``tests/unit/test_continuation.py`` pins their shape:

``_polling_init``
    crhelper's one EventBridge step. Here: answer when the request is settled, otherwise hand the
    request over (the caller's ``hand_over`` invokes the function again); if the hand-over fails,
    answer FAILED at once.
``_timeout``
    the guard. Here it answers FAILED with the PhysicalResourceId that the caller's
    ``failure_physical_id`` gives (the job's ARN once a Create made one), never an empty one.
``_send``
    every answer. Here exactly one answer leaves an invocation, and no hand-over follows one:
    the guard, the normal answer and the hand-over claim the request in turn, and only the first
    claim counts. A hand-over claims only once its Invoke has succeeded, so the guard can answer
    while it runs. A FAILED answer never carries the wait state in ``Data``, and nothing is sent
    without the current event's own ResponseURL.

Besides, ``__call__`` forgets the previous request's fields (crhelper keeps them between warm
invocations) and keeps events that are not CloudFormation requests away from crhelper: such an
event is answered FAILED at its own ResponseURL if it has one, and otherwise only logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, cast

from crhelper import CfnResource
from crhelper.resource_helper import FAILED

REQUEST_TYPES = ("Create", "Update", "Delete")
REQUIRED_FIELDS = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId")

logger = logging.getLogger(__name__)

HandOver = Callable[[Mapping[str, Any], Mapping[str, Any], Any], None]
"""``hand_over(event, data, context)``: continue the request in a new invocation, or raise."""


def malformed(event: Any) -> str:
    """What makes ``event`` no CloudFormation custom-resource request; empty when it is one."""
    if not isinstance(event, dict):
        return "the event is not a JSON object"
    missing = [key for key in REQUIRED_FIELDS if not isinstance(event.get(key), str) or not event[key]]
    if missing:
        return "it has no " + ", ".join(missing)
    if event["RequestType"] not in REQUEST_TYPES:
        return f"RequestType {event['RequestType'][:40]!r} is not one of {', '.join(REQUEST_TYPES)}"
    if ":stack/" not in event["StackId"]:
        return f"StackId {event['StackId'][:200]!r} is not a stack ARN"
    return ""


class ContinuingResource(CfnResource):
    """crhelper's resource with self-continuation instead of EventBridge polling, answering once."""

    def __init__(
        self,
        *,
        hand_over: HandOver,
        failure_physical_id: Callable[[], str | None],
        hand_over_failed: Callable[[Exception], str],
        **settings: Any,
    ) -> None:
        super().__init__(**settings)
        self._hand_over = hand_over
        self._failure_physical_id = failure_physical_id
        self._hand_over_failed = hand_over_failed
        self._claim_lock = threading.Lock()
        self._claimed = False

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        with self._claim_lock:
            self._claimed = False
        self._forget_the_last_request()
        problem = malformed(event)
        if problem:
            self._answer_malformed(event, problem)
            return
        super().__call__(event, context)

    def _forget_the_last_request(self) -> None:
        """crhelper sets these per request and keeps them: a failure before it sets them anew
        would otherwise answer the request that this container served last."""
        crhelper = self._crhelper
        crhelper._response_url, crhelper._event = "", {}
        self.StackId = self.RequestId = self.LogicalResourceId = ""
        self.Status, self.Reason, self.PhysicalResourceId, self.Data = "", "", "", {}

    def _answer_malformed(self, event: Any, problem: str) -> None:
        reason = f"Not a CloudFormation custom resource request: {problem}"
        url = event.get("ResponseURL") if isinstance(event, dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            logger.error("%s; it has no ResponseURL, so nothing is answered", reason)
            return
        logger.error("%s; answered FAILED at its own ResponseURL", reason)
        crhelper = self._crhelper
        crhelper._response_url, crhelper._event = url, event
        self.StackId = str(event.get("StackId") or "")
        self.RequestId = str(event.get("RequestId") or "")
        self.LogicalResourceId = str(event.get("LogicalResourceId") or "")
        self.PhysicalResourceId = str(event.get("PhysicalResourceId") or "not-a-request")
        self._send(FAILED, reason)

    @property
    def _crhelper(self) -> Any:
        """This object as crhelper's untyped self: its stubs declare no private members."""
        return cast(Any, self)

    def _claim(self, what: str) -> bool:
        """Take the request for one answer or one hand-over; False if something took it first."""
        with self._claim_lock:
            if self._claimed:
                logger.warning("Not %s: this invocation has answered or handed over already", what)
                return False
            self._claimed = True
            return True

    def _polling_init(self, event: dict[str, Any]) -> None:
        if self.Status == FAILED or self.PhysicalResourceId:
            self._send_response = True
            return
        with self._claim_lock:
            if self._claimed:
                logger.warning("Not handing over: the timeout guard has answered")
                return
        try:
            self._hand_over(event, self.Data, self._crhelper._context)
        except Exception as error:
            logger.error("Could not continue in a new invocation: %s", error)
            self._fail_hand_over(error)
            return
        # Claimed only now, so that the guard could answer had the Invoke run into it.
        if not self._claim("handing over"):
            logger.error("The continuation started after the timeout guard answered; it will answer again")

    def _fail_hand_over(self, error: Exception) -> None:
        """Answer FAILED for a hand-over that failed; nothing that goes wrong here may stop the answer."""
        try:
            reason = self._hand_over_failed(error)
        except Exception as failure:
            logger.error("Could not describe the failed hand-over: %s", failure)
            reason = f"Could not continue waiting in a new invocation: {error}"[:250]
        try:
            physical_id = self._failure_physical_id()
        except Exception as failure:  # pragma: no cover - the caller's function only reads its state
            logger.error("Could not tell the request's PhysicalResourceId: %s", failure)
            physical_id = None
        self.Status, self.Reason = FAILED, reason
        self.PhysicalResourceId = physical_id or ""
        self._send_response = True

    def _timeout(self) -> None:
        logger.error("Execution is about to time out, sending failure message")
        self.PhysicalResourceId = self._failure_physical_id() or self._crhelper._event.get("PhysicalResourceId") or ""
        self._send(FAILED, "Execution timed out before the request settled")

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        if not self._crhelper._response_url:
            logger.error("Not answering: the event has no ResponseURL of its own")
            return
        if not self._claim("answering"):
            return
        if (status or self.Status) == FAILED:
            self.Data = {}
            if not self.PhysicalResourceId or self.PhysicalResourceId in ("None", True):
                event = self._crhelper._event
                self.PhysicalResourceId = (
                    self._failure_physical_id() or event.get("PhysicalResourceId") or self.generate_physical_id(event)
                )
        send = cast(Any, super())._send
        if send_response is None:
            send(status, reason)
        else:  # pragma: no cover - crhelper passes its own sender only in its tests
            send(status, reason, send_response)
