"""The export constructs and the provider: properties, permissions, dependencies, the singleton."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import aws_cdk as cdk
import pytest
import typing_extensions
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from forecast_export_cdk import (
    ExplainabilityExport,
    ExportDatabase,
    ExportDestination,
    ExportProps,
    ForecastExport,
    ForecastExportJob,
    ForecastExportProvider,
    IForecastExport,
    ImportedForecastExport,
    PredictorBacktestExportJob,
    WhatIfForecastExport,
)
from forecast_export_cdk import exports as exports_module
from forecast_export_provider import kinds
from forecast_export_provider.naming import generated_name_head, legacy_name_head
from tests.unit.constructs.cdk_test_support import (
    ACCOUNT,
    ENV,
    FORECAST_ARN,
    REGION,
    Synthesized,
    logical_id,
    new_app,
    statements_of,
)

ARN = f"arn:aws:forecast:{REGION}:{ACCOUNT}"


def _provider_statements(synthesized: Synthesized) -> list[dict[str, Any]]:
    return statements_of(synthesized.raw, "ForecastExportProviderRoleDefaultPolicyC72C7345")


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


@pytest.mark.xdist_group("custom")
def test_custom_resource_properties_follow_the_contract(custom: Synthesized) -> None:
    forecast = custom.raw["Resources"][logical_id(custom, custom.handles["forecast"].resource)]
    assert forecast["Type"] == "Custom::ForecastExportJob"
    assert forecast["DeletionPolicy"] == "Retain"
    new = custom.handles["new"]
    assert forecast["Properties"] == {
        "ServiceToken": {"Fn::GetAtt": ["ForecastExportProviderFunctionFCF3F09A", "Arn"]},
        "ServiceTimeout": "3600",
        "ForecastExportJobName": "demand_export",
        "ForecastArn": FORECAST_ARN,
        "Destination": {
            "S3Config": {
                "Path": {"Fn::Join": ["", ["s3://", {"Ref": logical_id(custom, new.bucket)}, "/exports/daily/"]]},
                "RoleArn": {"Fn::GetAtt": [logical_id(custom, new.role), "Arn"]},
                "KMSKeyArn": {"Fn::GetAtt": [logical_id(custom, new.encryption_key), "Arn"]},
            }
        },
        "Format": "PARQUET",
        "Tags": [{"Key": "team", "Value": "planning"}, {"Key": "cost-center", "Value": "42"}],
    }
    what_if = custom.raw["Resources"][logical_id(custom, custom.handles["what_if"].resource)]
    assert what_if["Type"] == "Custom::WhatIfForecastExport"
    assert what_if["DeletionPolicy"] == "Delete"
    assert what_if["Properties"]["WhatIfForecastArns"] == [
        f"{ARN}:what-if-forecast/promo1",
        f"{ARN}:what-if-forecast/promo2",
    ]
    assert "WhatIfForecastExportName" not in what_if["Properties"] and "Tags" not in what_if["Properties"]
    backtest = custom.raw["Resources"][logical_id(custom, custom.handles["backtest"].resource)]
    assert backtest["Properties"]["Destination"]["S3Config"]["Path"].startswith(
        "s3://existing-exports/predictor-backtest-export-job/Backtest-"
    )


@pytest.mark.xdist_group("custom")
def test_attributes_are_the_contract_return_values(custom: Synthesized) -> None:
    export = custom.handles["forecast"]
    resource_id = logical_id(custom, export.resource)
    resolve = custom.stack.resolve
    assert resolve(export.export_arn) == {"Ref": resource_id}
    assert resolve(export.export_name) == {"Fn::GetAtt": [resource_id, "Name"]}
    assert resolve(export.status) == {"Fn::GetAtt": [resource_id, "Status"]}
    assert resolve(export.destination_path) == {"Fn::GetAtt": [resource_id, "DestinationPath"]}
    assert resolve(export.source_arn) == {"Fn::GetAtt": [resource_id, "SourceArn"]}
    assert export.node.default_child is export.resource
    assert export.resource.node.id == "Resource"


@pytest.mark.xdist_group("custom")
def test_each_export_waits_for_the_policies_its_first_request_needs(custom: Synthesized) -> None:
    for name in ("forecast", "backtest", "explainability", "what_if"):
        export = custom.handles[name]
        depends_on = set(custom.raw["Resources"][logical_id(custom, export.resource)]["DependsOn"])
        assert "ForecastExportProviderSelfInvokePolicyA0178647" in depends_on
        role_policies = [logical_id(custom, p) for p in export.destination.policies() if isinstance(p, iam.Policy)]
        assert role_policies and set(role_policies) <= depends_on
    bucket_policy = logical_id(custom, custom.handles["new"].bucket.policy)
    assert (
        bucket_policy in custom.raw["Resources"][logical_id(custom, custom.handles["forecast"].resource)]["DependsOn"]
    )


@pytest.mark.xdist_group("custom")
def test_provider_role_statements_are_least_privilege(custom: Synthesized) -> None:
    statements = _provider_statements(custom)
    by_resource: dict[str, list[str]] = {}
    for statement in statements:
        for resource in statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]:
            if isinstance(resource, str):
                by_resource.setdefault(resource, []).extend(_actions(statement))
    tags = ["forecast:ListTagsForResource", "forecast:TagResource", "forecast:UntagResource"]

    def own_names(name: str, folder: str) -> list[str]:
        """The ARNs of the names generated for the export ``name`` (this stack's head, earlier releases')."""
        export_id = logical_id(custom, custom.handles[name].resource)
        head, legacy = generated_name_head("Custom", export_id), legacy_name_head(export_id)
        return [f"{ARN}:{folder}{head}*", f"{ARN}:{folder}{legacy}{'?' * 16}"]

    # Each export's own ARNs only: the explicit name exactly, generated names by their head.
    assert sorted(by_resource[f"{ARN}:forecast-export-job/demand/demand_export"]) == sorted(
        ["forecast:DeleteForecastExportJob", "forecast:DescribeForecastExportJob", "forecast:StopResource", *tags]
    )
    for arn in own_names("backtest", "predictor-backtest-export-job/demand/"):
        assert sorted(by_resource[arn]) == sorted(
            [
                "forecast:DeletePredictorBacktestExportJob",
                "forecast:DescribePredictorBacktestExportJob",
                "forecast:StopResource",
                *tags,
            ]
        )
    for arn in own_names("explainability", "explainability-export/demand/"):
        assert sorted(by_resource[arn]) == sorted(
            [
                "forecast:DeleteExplainabilityExport",
                "forecast:DescribeExplainabilityExport",
                "forecast:StopResource",
                *tags,
            ]
        )
    # StopResource does not accept what-if forecast exports, so it is not granted for them.
    for arn in own_names("what_if", "what-if-forecast-export/"):
        assert sorted(by_resource[arn]) == sorted(
            ["forecast:DeleteWhatIfForecastExport", "forecast:DescribeWhatIfForecastExport", *tags]
        )
    assert not any(resource.endswith("-export-job/*") or resource.endswith("-export/*") for resource in by_resource)
    # List actions have no resource type: the only "*".
    assert sorted(by_resource["*"]) == [
        "forecast:ListExplainabilityExports",
        "forecast:ListForecastExportJobs",
        "forecast:ListPredictorBacktestExportJobs",
        "forecast:ListWhatIfForecastExports",
    ]
    # Create is authorized on the source resource: exactly the given ARNs.
    assert by_resource[FORECAST_ARN] == ["forecast:CreateForecastExportJob"]
    assert by_resource[f"{ARN}:predictor/demand"] == ["forecast:CreatePredictorBacktestExportJob"]
    assert by_resource[f"{ARN}:explainability/demand"] == ["forecast:CreateExplainabilityExport"]
    assert by_resource[f"{ARN}:what-if-forecast/promo1"] == ["forecast:CreateWhatIfForecastExport"]
    assert by_resource[f"{ARN}:what-if-forecast/promo2"] == ["forecast:CreateWhatIfForecastExport"]
    # The log group's streams; nothing else of CloudWatch Logs.
    (logs,) = [s for s in statements if any(a.startswith("logs:") for a in _actions(s))]
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == {"Fn::GetAtt": ["ForecastExportProviderLogGroup34634427", "Arn"]}
    all_actions = {a for s in statements for a in _actions(s)}
    # sqs: Lambda sends a lost asynchronous invocation to the dead-letter queue with this role.
    assert {a.split(":")[0] for a in all_actions} == {"forecast", "iam", "kms", "logs", "sqs"}
    (send,) = [s for s in statements if any(a.startswith("sqs:") for a in _actions(s))]
    assert send["Action"] == "sqs:SendMessage"
    assert send["Resource"]["Fn::GetAtt"][0].startswith("ForecastExportProviderDeadLetterQueue")
    assert all(s["Effect"] == "Allow" for s in statements)


@pytest.mark.xdist_group("custom")
def test_pass_role_is_limited_to_destination_roles_and_to_forecast(custom: Synthesized) -> None:
    (pass_role,) = [s for s in _provider_statements(custom) if "iam:PassRole" in _actions(s)]
    assert _actions(pass_role) == ["iam:PassRole"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "forecast.amazonaws.com"}}
    assert sorted(map(str, pass_role["Resource"])) == sorted(
        map(
            str,
            [
                f"arn:aws:iam::{ACCOUNT}:role/existing-forecast-writer",
                {"Fn::GetAtt": [logical_id(custom, custom.handles["key_only"].role), "Arn"]},
                {"Fn::GetAtt": [logical_id(custom, custom.handles["new"].role), "Arn"]},
            ],
        )
    )


@pytest.mark.xdist_group("custom")
def test_caller_may_use_the_destination_keys(custom: Synthesized) -> None:
    # Forecast checks kms:Decrypt and kms:GenerateDataKey against the caller when a request names a key.
    (kms,) = [s for s in _provider_statements(custom) if any(a.startswith("kms:") for a in _actions(s))]
    assert kms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert sorted(map(str, kms["Resource"])) == sorted(
        map(
            str,
            [
                f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                {"Fn::GetAtt": [logical_id(custom, custom.handles["new"].encryption_key), "Arn"]},
            ],
        )
    )


@pytest.mark.xdist_group("custom")
def test_self_invoke_is_a_separate_policy_on_the_function_only(custom: Synthesized) -> None:
    policy = custom.raw["Resources"]["ForecastExportProviderSelfInvokePolicyA0178647"]["Properties"]
    assert policy["Roles"] == [{"Ref": "ForecastExportProviderRole0B236DA8"}]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "ContinueWaitByInvokingSelf",
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": {"Fn::GetAtt": ["ForecastExportProviderFunctionFCF3F09A", "Arn"]},
        }
    ]
    function = custom.raw["Resources"]["ForecastExportProviderFunctionFCF3F09A"]
    # The function waits for its role's policy (the CDK's own dependency, not an override).
    assert "ForecastExportProviderRoleDefaultPolicyC72C7345" in function["DependsOn"]
    (trust,) = statements_of(custom.raw, "ForecastExportProviderRole0B236DA8")
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert "ManagedPolicyArns" not in custom.raw["Resources"]["ForecastExportProviderRole0B236DA8"]["Properties"]
    custom.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig", {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}
    )


@pytest.mark.xdist_group("many")
def test_one_provider_function_for_ten_exports(many: Synthesized) -> None:
    many.template.resource_count_is("AWS::Lambda::Function", 1)
    many.template.resource_count_is("AWS::Lambda::EventInvokeConfig", 1)
    custom_resources = [r for r in many.raw["Resources"].values() if r["Type"].startswith("Custom::")]
    assert len(custom_resources) == 10
    assert {str(r["Properties"]["ServiceToken"]) for r in custom_resources} == {
        str({"Fn::GetAtt": ["ForecastExportProviderFunctionFCF3F09A", "Arn"]})
    }
    assert all(r["Properties"]["ServiceTimeout"] == "3600" for r in custom_resources)
    # Duplicate grants merge: one PassRole statement naming both destination roles.
    statements = _provider_statements(many)
    (pass_role,) = [s for s in statements if "iam:PassRole" in _actions(s)]
    assert len(pass_role["Resource"]) == 2
    # Default prefixes keep the exports apart.
    paths = [str(r["Properties"]["Destination"]["S3Config"]["Path"]) for r in custom_resources]
    assert len(set(paths)) == 10


def test_provider_is_a_singleton_per_stack() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Stack", env=ENV)
    other = cdk.Stack(app, "Other", env=ENV)
    scope = cdk.Stack(app, "Nested", env=ENV)
    inner = ExportDestination(scope, "Destination")
    assert ForecastExportProvider.of(stack) is ForecastExportProvider.of(stack)
    assert ForecastExportProvider.of(stack) is not ForecastExportProvider.of(other)
    assert ForecastExportProvider.of(inner).node.scope is scope
    assert ForecastExportProvider.of(inner).node.id == ForecastExportProvider.ID


def test_from_export_arn() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Stack", env=ENV)
    literal = ForecastExportJob.from_export_arn(stack, "Literal", f"{ARN}:forecast-export-job/demand/demand_export")
    assert literal.export_arn.endswith("/demand_export") and literal.export_name == "demand_export"
    what_if = WhatIfForecastExport.from_export_arn(stack, "WhatIf", f"{ARN}:what-if-forecast-export/scenario_export")
    assert what_if.export_name == "scenario_export"
    parameter = cdk.CfnParameter(stack, "ExportArn")
    token = ExplainabilityExport.from_export_arn(stack, "Token", parameter.value_as_string)
    assert stack.resolve(token.export_name) == {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "ExportArn"}]}]}
    named = PredictorBacktestExportJob.from_export_arn(stack, "Named", parameter.value_as_string, export_name="x")
    assert named.export_name == "x"
    with pytest.raises(ValueError, match="is not the ARN of a forecast export job"):
        ForecastExportJob.from_export_arn(stack, "Wrong", f"{ARN}:explainability-export/a/b")
    with pytest.raises(ValueError, match="pass export_name"):
        WhatIfForecastExport.from_export_arn(stack, "WhatIfToken", parameter.value_as_string)


def test_owned_and_imported_exports_share_the_interface() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Stack", env=ENV)
    destination = ExportDestination(stack, "Destination")
    owned = ForecastExportJob(stack, "Owned", forecast_arn=FORECAST_ARN, destination=destination)
    imported = ForecastExportJob.from_export_arn(stack, "Imported", f"{ARN}:forecast-export-job/demand/old_export")
    assert isinstance(owned, IForecastExport) and isinstance(imported, IForecastExport)
    assert isinstance(imported, ImportedForecastExport)
    assert owned.kind is imported.kind is kinds.FORECAST_EXPORT
    assert imported.destination is None and imported.export_prefix is None
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    with pytest.raises(ValueError, match="location is unknown; pass destination="):
        imported.grant_read(reader)


def test_an_imported_export_with_its_destination_grants_what_an_owned_one_does() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Stack", env=ENV)
    destination = ExportDestination(stack, "Destination")
    owned = ForecastExportJob(stack, "Owned", forecast_arn=FORECAST_ARN, destination=destination, prefix="daily/")
    imported = ExplainabilityExport.from_export_arn(
        stack,
        "Imported",
        f"{ARN}:explainability-export/demand/drivers",
        destination=destination,
        export_prefix="daily/",
    )
    assert imported.destination is destination and imported.export_prefix == "daily/"
    owned_reader = iam.Role(stack, "OwnedReader", assumed_by=iam.AccountRootPrincipal())
    imported_reader = iam.Role(stack, "ImportedReader", assumed_by=iam.AccountRootPrincipal())
    owned.grant_read(owned_reader)
    imported.grant_read(imported_reader)
    template = app.synth().get_stack_by_name("Stack").template
    owned_policy = logical_id_of(stack, owned_reader.node.find_child("DefaultPolicy"))
    imported_policy = logical_id_of(stack, imported_reader.node.find_child("DefaultPolicy"))
    assert statements_of(template, owned_policy) == statements_of(template, imported_policy)
    with pytest.raises(ValueError, match="export_prefix needs destination"):
        ForecastExportJob.from_export_arn(stack, "NoDestination", f"{ARN}:forecast-export-job/a/b", export_prefix="x/")
    with pytest.raises(ValueError, match="export_prefix must be empty or end with '/'"):
        ForecastExportJob.from_export_arn(
            stack, "BadPrefix", f"{ARN}:forecast-export-job/a/b", destination=destination, export_prefix="x"
        )


def logical_id_of(stack: cdk.Stack, construct: Any) -> str:
    return stack.resolve(construct.node.default_child.logical_id)  # type: ignore[no-any-return]


def test_export_docstrings_are_written_out_in_the_source() -> None:
    # Editors and doc tools read the source, not a __doc__ assembled at import time.
    source = inspect.getsource(exports_module)
    assert "__doc__" not in source
    for export_class in (ForecastExportJob, PredictorBacktestExportJob, ExplainabilityExport, WhatIfForecastExport):
        assert inspect.getdoc(export_class) == inspect.cleandoc(ast.get_docstring(_class_node(export_class)) or "")
        assert f":param {export_class.SOURCE_PROP}:" in (export_class.__doc__ or "")
        assert ":class:`ExportProps`" in (export_class.__doc__ or "")
    for param in ("destination", "export_name", "prefix", "format", "tags", "removal_policy"):
        assert f":param {param}:" in (ExportProps.__doc__ or "")


def test_every_export_class_shows_the_shared_props_with_their_types() -> None:
    # What an IDE shows: each class's keyword props are its source ARN(s) plus ExportProps, typed.
    shared = typing_extensions.get_type_hints(ExportProps)
    assert set(shared) == {"destination", "export_name", "prefix", "format", "tags", "removal_policy"}
    assert ExportProps.__required_keys__ == frozenset({"destination"})
    for export_class in (ForecastExportJob, PredictorBacktestExportJob, ExplainabilityExport, WhatIfForecastExport):
        parameters = inspect.signature(export_class.__init__).parameters
        assert parameters[export_class.SOURCE_PROP].kind is inspect.Parameter.KEYWORD_ONLY
        assert "Unpack[ExportProps]" in str(parameters["props"].annotation)


def _class_node(export_class: type) -> ast.ClassDef:
    tree = ast.parse(inspect.getsource(exports_module))
    (node,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == export_class.__name__]
    return node


def test_an_imported_export_offers_state_change_rules_and_tables_as_an_owned_one_does() -> None:
    """Fault table: "an export imported by ARN offers less than an owned one"."""
    app = new_app()
    stack = cdk.Stack(app, "Stack", env=ENV)
    destination = ExportDestination(stack, "Destination")
    arn = f"{ARN}:forecast-export-job/demand/last_year"
    imported = ForecastExportJob.from_export_arn(stack, "Imported", arn, destination=destination, format="CSV")
    owned = ForecastExportJob(stack, "Owned", forecast_arn=FORECAST_ARN, destination=destination)
    assert isinstance(imported, ForecastExport) and isinstance(owned, ForecastExport)
    assert (imported.imported, owned.imported) == (True, False)
    rule = imported.on_state_change("Rule")
    [table] = imported.add_tables("Tables", database=ExportDatabase(stack, "Database"))
    template = Template.from_stack(stack)
    pattern = template.to_json()["Resources"][logical_id_of(stack, rule)]["Properties"]["EventPattern"]
    assert pattern["$or"] == [{"resources": [arn]}, {"detail": {"Arn": [arn]}}]
    assert stack.resolve(table.resource.node.default_child._cfn_properties["ExportArn"]) == arn  # type: ignore[union-attr]
