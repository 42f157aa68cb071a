"""Every use of crhelper's private members, in one place.

crhelper (pinned to 2.0.12) keeps the CloudFormation protocol: the response PUT, the timeout
guard that answers FAILED half a second before the invocation ends, and the routing of
Create/Update/Delete and their ``poll_*`` continuations. This module changes three things, each
by overriding one private method, and ``tests/unit/test_compat.py`` pins their shape:

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
    claim counts. A FAILED answer never carries the wait state in ``Data``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, cast

from crhelper import CfnResource
from crhelper.resource_helper import FAILED

logger = logging.getLogger(__name__)

HandOver = Callable[[Mapping[str, Any], Mapping[str, Any], Any], None]
"""``hand_over(event, data, context)``: continue the request in a new invocation, or raise."""


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
        super().__call__(event, context)

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
        if not self._claim("handing over"):
            return
        try:
            self._hand_over(event, self.Data, self._crhelper._context)
        except Exception as error:
            logger.error("Could not continue in a new invocation: %s", error)
            self.Status = FAILED
            self.Reason = self._hand_over_failed(error)
            self.PhysicalResourceId = self._failure_physical_id() or ""
            with self._claim_lock:
                self._claimed = False
            self._send_response = True

    def _timeout(self) -> None:
        logger.error("Execution is about to time out, sending failure message")
        self.PhysicalResourceId = self._failure_physical_id() or self._crhelper._event.get("PhysicalResourceId") or ""
        self._send(FAILED, "Execution timed out before the request settled")

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
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
