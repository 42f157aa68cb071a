"""EventBridge rules on Amazon Forecast's own state-change events for one export.

Forecast sends its events to the default event bus with source ``aws.forecast`` and
``detail.Status`` (Forecast developer guide, "Receiving Job Status Notifications"). The guide's only
example event, a dataset import job's, carries the dataset's ARN in ``resources`` and the job's
ARN in ``detail.Arn``; whether export events carry the export's ARN in ``resources`` is not
documented. A rule made here matches one export's ARN in either place (``$or``): an event of
another export never matches, whichever shape it has. The export waits for the rule, and for the
resource policy its target needs (a topic's, a queue's, a function's permission), so the rule sees
the export's first events. The pattern cannot name the export's ``Ref``: that would make the rule
wait for the export instead. It is built at synth time:

* a named export: its exact ARN,
  ``arn:<partition>:forecast:<region>:<account>:<export type>/<source name>/<export name>``
  (what-if forecast exports: ``what-if-forecast-export/<export name>``);
* an export with a generated name: a prefix match on the ARN up to the generated name's stable
  part. The provider generates ``<logical id, letters and digits only>_<16 hex digits>``, so the
  prefix ``.../<source name>/<logical id>_`` matches every export this resource creates, including
  replacements, and no export of another resource of the stack.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import CfnElement, CustomResource, Fn, IStableStringProducer, Lazy, Stack, Token
from aws_cdk import aws_events as events
from aws_cdk.interfaces import aws_events as events_refs
from constructs import Construct

from forecast_export_provider import kinds
from forecast_export_provider.kinds import ExportKind
from forecast_export_provider.naming import generated_name_head

EVENT_SOURCE = "aws.forecast"

STATE_CHANGE_DETAIL_TYPES: dict[str, tuple[str, ...]] = {
    # Both AWS pages list this one.
    # The EventBridge reference also lists a plain "Forecast Export Job State Change".
    kinds.FORECAST_EXPORT.key: ("Forecast Forecast Export Job State Change", "Forecast Export Job State Change"),
    kinds.PREDICTOR_BACKTEST_EXPORT.key: ("Forecast Predictor Backtest Export Job State Change",),
    # The Forecast developer guide's table names "Forecast Explainability Export Creation State
    # Change"; the EventBridge event reference lists "Forecast Explainability Export Job State
    # Change". Which one Forecast sends could not be confirmed, so the rule matches both.
    kinds.EXPLAINABILITY_EXPORT.key: (
        "Forecast Explainability Export Creation State Change",
        "Forecast Explainability Export Job State Change",
    ),
    # Detail-types match case-sensitively, and the two pages spell "What-if" and "What-If".
    kinds.WHAT_IF_FORECAST_EXPORT.key: (
        "Forecast What-if Forecast Export Creation State Change",
        "Forecast What-If Forecast Export Creation State Change",
    ),
}
"""The ``detail-type`` values of each kind's creation state-change events (CREATE_IN_PROGRESS,
ACTIVE, CREATE_FAILED, CREATE_STOPPED), as AWS documents them."""


@jsii.implements(IStableStringProducer)
class _GeneratedNamePrefix:
    """The stable head of the name the provider generates for ``resource``, resolved at synth time
    (so that a later ``override_logical_id`` is honoured)."""

    def __init__(self, resource: CfnElement) -> None:
        self._resource = resource

    def produce(self) -> str:
        stack = Stack.of(self._resource)
        return generated_name_head(stack.stack_name, str(stack.resolve(self._resource.logical_id)))


def _source_name(source: str) -> str:
    """The resource name of a source ARN (``.../forecast/<name>`` gives ``<name>``)."""
    if Token.is_unresolved(source):
        selected: str = Fn.select(1, Fn.split("/", source))
        return selected
    return source.split("/", 1)[1] if "/" in source else source


def export_arn_pattern(
    resource: CustomResource, kind: ExportKind, source: str | list[str], export_name: str | None
) -> list[Any]:
    """The pattern that matches the ARN of the export ``resource`` creates, without referring to it.

    :param source: the source ARN (what-if forecast exports: the list) as passed to the resource.
    :param export_name: the export's given name, or None when the provider generates it.
    """
    stack = Stack.of(resource)
    head = f"arn:{stack.partition}:forecast:{stack.region}:{stack.account}:{kind.arn_resource_type}/"
    if not kind.source_is_list:
        assert isinstance(source, str)
        head += _source_name(source) + "/"
    if export_name is not None:
        return [head + export_name]
    cfn_resource = resource.node.default_child
    assert isinstance(cfn_resource, CfnElement)
    return [{"prefix": head + Lazy.string(_GeneratedNamePrefix(cfn_resource))}]


@jsii.implements(events.IRuleTarget)
class _TargetWithItsResource:
    """A rule target that remembers the resource it binds to (whose policy the binding adds to)."""

    def __init__(self, target: events.IRuleTarget) -> None:
        self._target = target
        self.resource: Construct | None = None

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        config = self._target.bind(rule, id)
        if isinstance(config.target_resource, Construct):
            self.resource = config.target_resource
        return config


def state_change_rule(
    scope: Construct,
    id: str,
    *,
    kind: ExportKind,
    arn_pattern: list[Any],
    waiter: CustomResource | None,
    target: events.IRuleTarget | None = None,
    description: str | None = None,
    rule_name: str | None = None,
) -> events.Rule:
    """An EventBridge rule in ``scope`` on the state-change events of the export whose ARN
    ``arn_pattern`` matches; ``waiter``, the export's resource if this app creates it, waits for it."""
    recorded = _TargetWithItsResource(target) if target is not None else None
    rule = events.Rule(
        scope,
        id,
        description=description or f"State changes of the {kind.title} {scope.node.path}",
        rule_name=rule_name,
        event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=list(STATE_CHANGE_DETAIL_TYPES[kind.key])),
        targets=[recorded] if recorded is not None else None,
    )
    cfn_rule = rule.node.default_child
    assert isinstance(cfn_rule, events.CfnRule)
    # The export's ARN in resources, or (as in Forecast's one documented event) in the detail.
    cfn_rule.add_property_override("EventPattern.$or", [{"resources": arn_pattern}, {"detail": {"Arn": arn_pattern}}])
    if waiter is not None:
        waiter.node.add_dependency(rule)
        if recorded is not None and recorded.resource is not None:
            # The target's resource policy (a topic policy, a Lambda permission) is a child of its resource.
            waiter.node.add_dependency(recorded.resource)
    return rule
