"""What a request may touch, and how far a continuation's wait state is believed (contract section 4).

The function can be invoked by anything allowed to, and used as a ServiceToken by any stack, so
a request proves nothing by arriving. The provider acts only on exports this stack's requests for
this logical resource could have created: the name in the export's ARN is the proof (an explicit
name from the properties, or one generated for this stack and logical id; see docs/design.md,
"Ownership"). A continuation carries its wait state in its own payload; the state is held to the
request it continues and to the contract's time limits, so a forged one cannot outlast them.
"""

from __future__ import annotations

from collections.abc import Iterable

from .constants import SERVICE_TIMEOUT_MARGIN_SECONDS, TOTAL_WAIT_SECONDS
from .kinds import KINDS_BY_KEY, kind_of_arn
from .naming import is_generated_for, stack_name_of
from .resource import Outcome, Request, Status
from .validation import service_timeout
from .wait_state import WaitState

FIRST_ARRIVAL_SLACK_SECONDS = 3600.0
"""How long before now a continuation's request may have first arrived: Lambda discards an
asynchronous invocation older than an hour (the function's maximum event age)."""


def _arn_parts(arn: str) -> list[str]:
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else []


def origin_problem(request: Request, function_arn: str) -> str | None:
    """Why ``request`` may not be served by the function ``function_arn``, or None.

    A request's ``StackId`` must name the function's own partition, region and account.
    """
    stack, function = _arn_parts(request.stack_id), _arn_parts(function_arn)
    if not stack or stack[2] != "cloudformation" or not function:
        return f"StackId {request.stack_id[:120]!r} is not a CloudFormation stack ARN"
    if (stack[1], stack[3], stack[4]) != (function[1], function[3], function[4]):
        return (
            f"StackId names account {stack[4]} in {stack[3]}, but this provider serves account "
            f"{function[4]} in {function[3]} only: use a provider of that account and region"
        )
    return None


def owned_names(request: Request, name_property: str) -> set[str]:
    """The explicit names this request's new or old properties give the export."""
    names = (request.properties.get(name_property), request.old_properties.get(name_property))
    return {name for name in names if isinstance(name, str)}


def owns(request: Request, arn: str, function_arn: str) -> bool:
    """True when ``arn`` is an export this stack's requests for this logical resource could have created."""
    kind = kind_of_arn(arn)
    parts, function = _arn_parts(arn), _arn_parts(function_arn)
    if (
        kind is None
        or not parts
        or not function
        or (parts[1], parts[3], parts[4])
        != (
            function[1],
            function[3],
            function[4],
        )
    ):
        return False
    name = arn.rsplit("/", 1)[-1]
    if name in owned_names(request, kind.name_property):
        return True
    return is_generated_for(name, stack_name_of(request.stack_id), request.logical_id)


def refusal(request: Request, function_arn: str, arns: Iterable[str | None] = ()) -> Outcome | None:
    """The answer to a request that must touch nothing, or None when it may go ahead.

    ``arns`` are further exports the request would act on (a continuation's current export).
    Another account or region: FAILED. An export not this resource's: a Delete answers SUCCESS
    (there is nothing of its own to delete), anything else FAILED; both leave the export alone.
    """
    problem = origin_problem(request, function_arn)
    if problem is not None:
        return Outcome(Status.FAILED, request.physical_id, reason=problem)
    candidates = dict.fromkeys(arn for arn in (request.physical_id, *arns) if arn and kind_of_arn(arn) is not None)
    foreign = [arn for arn in candidates if not owns(request, arn, function_arn)]
    if not foreign:
        return None
    name = foreign[0].rsplit("/", 1)[-1]
    if request.request_type == "Delete" and foreign == [request.physical_id]:
        return Outcome(Status.SUCCESS, request.physical_id)
    return Outcome(
        Status.FAILED,
        request.physical_id,
        reason=(
            f"Export {name} is not {request.logical_id}'s: its name is neither the name property nor one "
            "generated for this stack and logical id, so the provider leaves it alone"
        ),
    )


def bounded(request: Request, state: WaitState, now: float, total_wait: float = TOTAL_WAIT_SECONDS) -> WaitState:
    """``state`` held to ``request`` and to the contract's limits (in place; returned for convenience).

    The first arrival is no later than now and no earlier than Lambda keeps a continuation; the
    deadline no later than the total wait (and the ServiceTimeout's margin) from it; the kind is the
    one the export's ARN names.
    """
    state.started_at = min(max(float(state.started_at), now - FIRST_ARRIVAL_SLACK_SECONDS), now)
    budget = min(total_wait, TOTAL_WAIT_SECONDS)
    timeout = service_timeout(request.properties)
    if timeout is not None:
        budget = min(budget, timeout - SERVICE_TIMEOUT_MARGIN_SECONDS)
    state.deadline = min(float(state.deadline), state.started_at + budget)
    if state.queued_since is not None:
        state.queued_since = min(max(float(state.queued_since), state.started_at), now)
    kind = kind_of_arn(state.arn) if state.arn else None
    if kind is not None:
        state.kind = kind.key
    elif state.kind not in KINDS_BY_KEY:
        state.kind = None
    return state
