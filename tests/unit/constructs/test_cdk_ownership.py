"""Only its own exports, and data access held to S3: the synthesized IAM, bucket and rule scopes.

Each test cites its row of the fault table in docs/design.md or the item of docs/constructs.md
("IAM permissions") that it shows.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from forecast_export_cdk import ExportDatabase, ExportDestination, ExportWorkGroup, ForecastExportJob
from forecast_export_provider.kinds import KINDS
from forecast_export_provider.naming import generated_name, generated_name_head, legacy_name_head
from tests.unit.constructs.cdk_test_support import (
    ACCOUNT,
    ENV,
    FORECAST_ARN,
    REGION,
    Synthesized,
    as_list,
    logical_id,
    new_app,
    statements_of,
)

ARN = f"arn:aws:forecast:{REGION}:{ACCOUNT}"
MUTATING = ("Delete", "Describe", "StopResource", "TagResource", "UntagResource", "ListTagsForResource")


def _policies(
    raw: dict[str, Any], types: tuple[str, ...] = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
) -> dict[str, list[dict[str, Any]]]:
    return {name: statements_of(raw, name) for name, resource in raw["Resources"].items() if resource["Type"] in types}


def _text(value: Any) -> str:
    """A resource as text: a Fn::Join's literal parts with references as ``<...>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_text(part) for part in value["Fn::Join"][1])
    return f"<{value}>"


def _forecast_mutations(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """(action, resource) of every Forecast action on exports in the template's IAM policies."""
    found = []
    for statements in _policies(raw).values():
        for statement in statements:
            for action in as_list(statement["Action"]):
                if action.startswith("forecast:") and action.split(":")[1].startswith(MUTATING):
                    found += [(action, _text(resource)) for resource in as_list(statement["Resource"])]
    return found


@pytest.mark.xdist_group("custom")
def test_the_provider_may_mutate_only_this_stacks_exports(custom: Synthesized) -> None:
    """Fault table: "a forged Delete with another stack's id and another team's export ARN" (IAM)."""
    found = _forecast_mutations(custom.raw)
    assert found
    for action, resource in found:
        assert resource != "*" and not any(resource.endswith(f":{kind.arn_resource_type}/*") for kind in KINDS), (
            action,
            resource,
        )
    resources = {resource for _, resource in found}
    assert f"{ARN}:forecast-export-job/demand/demand_export" in resources
    backtest_id = logical_id(custom, custom.handles["backtest"].resource)
    head = generated_name_head("Custom", backtest_id)
    assert f"{ARN}:predictor-backtest-export-job/demand/{head}*" in resources
    assert f"{ARN}:predictor-backtest-export-job/demand/{legacy_name_head(backtest_id)}{'?' * 16}" in resources
    what_if_id = logical_id(custom, custom.handles["what_if"].resource)
    assert f"{ARN}:what-if-forecast-export/{generated_name_head('Custom', what_if_id)}*" in resources
    stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/Custom/0a1b2c3d"
    assert generated_name(stack_id, backtest_id, "any request").startswith(head)


@pytest.mark.xdist_group("example")
def test_the_example_stack_names_no_kind_wide_export_resource(example: Synthesized) -> None:
    """Fault table: "a forged Delete with another stack's id and another team's export ARN" (IAM).

    The example's sources are parameters (tokens): the exports' folders are then ``*``, their
    names still this stack's heads.
    """
    found = _forecast_mutations(example.raw)
    assert found
    for action, resource in found:
        assert not any(resource.endswith(f":{kind.arn_resource_type}/*") for kind in KINDS), (action, resource)
        assert resource.endswith("*") is False or "_" in resource.rsplit("/", 1)[-1], (action, resource)


@pytest.mark.xdist_group("example")
def test_a_what_if_create_with_a_list_token_names_the_token_in_a_policy_of_its_own(example: Synthesized) -> None:
    """docs/constructs.md, IAM permissions: Create on the what-if forecasts, never on all of them."""
    creates = [
        statement
        for statements in _policies(example.raw).values()
        for statement in statements
        if "forecast:CreateWhatIfForecastExport" in as_list(statement["Action"])
    ]
    assert creates
    for statement in creates:
        assert statement["Resource"] == {"Ref": "WhatIfForecastArns"}


def test_rules_of_two_stacks_with_the_same_logical_id_do_not_match_each_other() -> None:
    """Fault table: "two stacks of one app (dev and prod) in one account"."""
    app = new_app()
    for name in ("Dev", "Prod"):
        stack = cdk.Stack(app, name, env=ENV)
        export = ForecastExportJob(
            stack, "Export", forecast_arn=FORECAST_ARN, destination=ExportDestination(stack, "Destination")
        )
        export.on_state_change("Rule")
    assembly = app.synth()
    prefixes = {}
    for name in ("Dev", "Prod"):
        raw = assembly.get_stack_by_name(name).template
        [rule] = [r for r in raw["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
        prefixes[name] = _text(rule["Properties"]["EventPattern"]["$or"][0]["resources"][0]["prefix"])
        export_id = next(k for k, r in raw["Resources"].items() if r["Type"] == "Custom::ForecastExportJob")
        stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/0a1b2c3d"
        assert (f"{ARN}:forecast-export-job/demand/" + generated_name(stack_id, export_id, "r")).startswith(
            prefixes[name]
        )
    assert not prefixes["Dev"].startswith(prefixes["Prod"]) and not prefixes["Prod"].startswith(prefixes["Dev"])


def _grant_statements(build: Any) -> list[dict[str, Any]]:
    app = new_app()
    stack = cdk.Stack(app, "Grants", env=ENV)
    destination = ExportDestination(stack, "Destination")
    export = ForecastExportJob(stack, "Export", forecast_arn=FORECAST_ARN, destination=destination)
    grantee = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    build(stack, destination, export, grantee)
    raw = app.synth().get_stack_by_name("Grants").template
    return [s for name, statements in _policies(raw).items() if name.startswith("Reader") for s in statements]


def _grant_read(
    _stack: cdk.Stack, _destination: ExportDestination, export: ForecastExportJob, grantee: iam.Role
) -> None:
    export.grant_read(grantee)


def _grant_query(
    stack: cdk.Stack, destination: ExportDestination, export: ForecastExportJob, grantee: iam.Role
) -> None:
    database = ExportDatabase(stack, "Database", database_name="exports")
    workgroup = ExportWorkGroup(stack, "WorkGroup", destination=destination)
    export.add_table("Table", database=database, workgroup=workgroup).grant_query(grantee)


@pytest.mark.parametrize("build", [_grant_read, _grant_query], ids=["grant_read", "grant_query"])
def test_decrypt_grants_hold_to_s3_and_the_destination_bucket(build: Any) -> None:
    """docs/constructs.md, IAM permissions: a reader's key use goes through S3, for this bucket only."""
    statements = _grant_statements(build)
    kms_statements = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert kms_statements
    for statement in kms_statements:
        assert "kms:Encrypt" not in as_list(statement["Action"]) or build is _grant_query
        conditions = statement["Condition"]
        assert _text(conditions["StringEquals"]["kms:ViaService"]).startswith("s3.")
        context = conditions["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
        assert len(context) == 2


@pytest.mark.xdist_group("example")
def test_the_providers_table_policy_has_no_kms_encrypt_and_holds_to_s3(example: Synthesized) -> None:
    """docs/constructs.md, IAM permissions: the provider never encrypts with the key itself."""
    tables = [s for name, statements in _policies(example.raw).items() if "TablesPolicy" in name for s in statements]
    keyed = [s for s in tables if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert keyed
    for statement in keyed:
        assert sorted(as_list(statement["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert "kms:ViaService" in statement["Condition"]["StringEquals"]


@pytest.mark.xdist_group("example")
def test_the_bucket_refuses_writes_that_name_another_encryption(example: Synthesized) -> None:
    """docs/constructs.md, Secure defaults: an upload with SSE-S3 or a foreign key is refused."""
    bucket_policies = _policies(example.raw, ("AWS::S3::BucketPolicy",))
    denials = [
        s["Condition"]["StringNotEqualsIfExists"]
        for statements in bucket_policies.values()
        for s in statements
        if s["Effect"] == "Deny" and s["Action"] == "s3:PutObject"
    ]
    keys = {key for condition in denials for key in condition}
    assert keys == {"s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"}
    assert {"s3:x-amz-server-side-encryption": "aws:kms"} in denials


def test_the_access_log_bucket_has_no_acls_whatever_the_feature_flags() -> None:
    """docs/constructs.md, Secure defaults: ACLs disabled on both buckets, also without cdk.json's flags."""
    app = cdk.App()
    stack = cdk.Stack(app, "NoFlags", env=ENV)
    ExportDestination(stack, "Destination")
    raw = app.synth().get_stack_by_name("NoFlags").template
    buckets = [r for r in raw["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    assert len(buckets) == 2
    for bucket in buckets:
        assert "AccessControl" not in bucket["Properties"]
        assert bucket["Properties"]["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


@pytest.mark.xdist_group("custom")
def test_the_forecast_role_reads_and_lists_only_under_the_prefix(custom: Synthesized) -> None:
    """docs/constructs.md, IAM permissions: the destination role."""
    new = custom.handles["new"]
    policy = next(p for p in new.policies() if isinstance(p, iam.Policy))
    statements = statements_of(custom.raw, logical_id(custom, policy))
    bucket_arn = {"Fn::GetAtt": [logical_id(custom, new.bucket), "Arn"]}
    for statement in statements:
        actions = as_list(statement["Action"])
        if statement["Resource"] == bucket_arn:
            assert actions in (["s3:ListBucket"], ["s3:GetBucketLocation"]), actions
            if actions == ["s3:ListBucket"]:
                assert statement["Condition"] == {"StringLike": {"s3:prefix": ["exports/*"]}}
        assert "s3:List*" not in actions


@pytest.mark.xdist_group("example")
def test_only_the_example_rules_may_publish_to_the_topic(example: Synthesized) -> None:
    """docs/constructs.md, The example app: the topic policy names the rules (``aws:SourceArn``)."""
    topic_policies = _policies(example.raw, ("AWS::SNS::TopicPolicy",))
    publishes = [
        s
        for statements in topic_policies.values()
        for s in statements
        if s["Action"] == "sns:Publish" and s.get("Principal") == {"Service": "events.amazonaws.com"}
    ]
    assert len(publishes) == 1
    rules = [name for name, r in example.raw["Resources"].items() if r["Type"] == "AWS::Events::Rule"]
    source_arns = publishes[0]["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(arn["Fn::GetAtt"][0] for arn in source_arns) == sorted(rules)


@pytest.mark.xdist_group("example")
def test_athena_results_expire(example: Synthesized) -> None:
    """docs/constructs.md, ExportWorkGroup: query results do not stay for ever."""
    buckets = [r for r in example.raw["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    rules = [
        rule
        for bucket in buckets
        for rule in bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
        if rule.get("Prefix") == "athena-results/"
    ]
    assert len(rules) == 1 and rules[0]["ExpirationInDays"] == 30
