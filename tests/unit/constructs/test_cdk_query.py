"""ExportDatabase, ExportTable, ExportWorkGroup and on_state_change: properties, IAM, dependencies,
patterns, synth-time validation, cdk-nag and cfn-lint."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint_file
from moto.events.models import EventPattern

from forecast_export_cdk import (
    STATE_CHANGE_DETAIL_TYPES,
    BacktestDataset,
    ExplainabilityExport,
    ExportDatabase,
    ExportDestination,
    ExportFormat,
    ExportTable,
    ExportWorkGroup,
    ForecastExportJob,
    ForecastExportProvider,
    PredictorBacktestExportJob,
    WhatIfForecastExport,
)
from forecast_export_cdk.table import TABLES_PER_POLICY, nag_text
from forecast_export_provider.naming import generated_name, generated_name_head
from tests.unit.constructs.cdk_test_support import (
    EXPLAINABILITY_ARN,
    FORECAST_ARN,
    PREDICTOR_ARN,
    WHAT_IF_ARNS,
    Synthesized,
    as_list,
    logical_id,
    new_app,
    statements_of,
    synthesize,
)

IMPORTED_EXPORT_ARN = "arn:aws:forecast:eu-west-1:111122223333:forecast-export-job/demand/last_year"
PARTITION = {"Ref": "AWS::Partition"}
REGION = {"Ref": "AWS::Region"}
ACCOUNT = {"Ref": "AWS::AccountId"}


def _build(outdir: Path) -> Synthesized:
    """Everything of the query API in one environment-agnostic stack, checked by cdk-nag."""
    app = new_app(outdir)
    stack = cdk.Stack(app, "Query")
    explainability_arn = cdk.CfnParameter(stack, "ExplainabilityArn", default=EXPLAINABILITY_ARN).value_as_string
    destination = ExportDestination(stack, "Destination")
    database = ExportDatabase(stack, "Database", database_name="forecasts")
    imported_database = ExportDatabase.from_database_name(stack, "Shared", "shared_catalog")
    workgroup = ExportWorkGroup(
        stack,
        "WorkGroup",
        destination=destination,
        work_group_name="forecast-queries",
        bytes_scanned_cutoff_per_query=cdk.Size.gibibytes(1),
    )
    forecast = ForecastExportJob(
        stack, "Forecast", forecast_arn=FORECAST_ARN, destination=destination, export_name="demand_export"
    )
    backtest = PredictorBacktestExportJob(
        stack, "Backtest", predictor_arn=PREDICTOR_ARN, destination=destination, format=ExportFormat.PARQUET
    )
    explainability = ExplainabilityExport(
        stack, "Explainability", explainability_arn=explainability_arn, destination=destination
    )
    what_if = WhatIfForecastExport(stack, "WhatIf", what_if_forecast_arns=WHAT_IF_ARNS, destination=destination)
    imported = ForecastExportJob.from_export_arn(stack, "Imported", IMPORTED_EXPORT_ARN)

    forecast_table = forecast.add_table("Table", database=database, table_name="forecast", workgroup=workgroup)
    backtest_tables = backtest.add_tables("Tables", database=database, table_name="backtest")
    (explainability_table,) = explainability.add_tables("Tables", database=database)
    what_if_table = what_if.add_table("Table", database=imported_database, table_name="what_if")
    imported_table = ExportTable(
        stack,
        "ImportedTable",
        export=imported,
        database=database,
        table_name="last_year",
        destination=destination,
        export_prefix="archive/",
    )

    topic_key = kms.Key(stack, "TopicKey", enable_key_rotation=True)
    topic_key.grant(iam.ServicePrincipal("events.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey")
    topic = sns.Topic(stack, "Topic", master_key=topic_key, enforce_ssl=True)
    rules = {
        "forecast": forecast.on_state_change("StateChange", target=events_targets.SnsTopic(topic)),
        "backtest": backtest.on_state_change("StateChange"),
        "explainability": explainability.on_state_change("StateChange"),
        "what_if": what_if.on_state_change("StateChange", rule_name="what-if-export-states"),
    }

    analyst = iam.Role(stack, "Analyst", assumed_by=iam.AccountRootPrincipal())
    grant = forecast_table.grant_query(analyst)
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    backtest_tables[1].grant_query(reader)
    # What grant_query grants under prefixes (the export's files, the table's manifest, the
    # results), acknowledged finding by finding on the grantees' own policies.
    reason = "Objects under the export's, the table's manifest's and the workgroup's results' own prefixes."
    for role, table in ((analyst, forecast_table), (reader, backtest_tables[1])):
        prefixes = [table.data_prefix, table.manifest_prefix] + ([workgroup.results_prefix] if role is analyst else [])
        for prefix in prefixes:
            finding = nag_text(role, destination.bucket.arn_for_objects(f"{prefix}*"))
            cdk.Validations.of(role.node.find_child("DefaultPolicy")).acknowledge(
                cdk.Acknowledgment(id=f"AwsSolutions-IAM5[Resource::{finding}]", reason=reason)
            )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    handles = {
        "destination": destination,
        "database": database,
        "workgroup": workgroup,
        "forecast": forecast,
        "backtest": backtest,
        "explainability": explainability,
        "what_if": what_if,
        "forecast_table": forecast_table,
        "backtest_tables": backtest_tables,
        "explainability_table": explainability_table,
        "what_if_table": what_if_table,
        "imported_table": imported_table,
        "rules": rules,
        "analyst": analyst,
        "reader": reader,
        "grant": grant,
    }
    return synthesize(app, stack, outdir, handles)


@pytest.fixture(scope="module")
def query(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return _build(tmp_path_factory.mktemp("query"))


pytestmark = pytest.mark.xdist_group("query")


def _resource(synthesized: Synthesized, construct: Any) -> dict[str, Any]:
    resource: dict[str, Any] = synthesized.raw["Resources"][logical_id(synthesized, construct.resource)]
    return resource


def _ref(synthesized: Synthesized, construct: Any) -> dict[str, str]:
    return {"Ref": logical_id(synthesized, construct.resource)}


def _bucket_arn(synthesized: Synthesized) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id(synthesized, synthesized.handles["destination"].bucket), "Arn"]}


def _key_arn(synthesized: Synthesized) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id(synthesized, synthesized.handles["destination"].encryption_key), "Arn"]}


def _objects(synthesized: Synthesized, *parts: Any) -> dict[str, Any]:
    return {"Fn::Join": ["", [_bucket_arn(synthesized), *parts]]}


def _glue(kind: str, *parts: Any) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", PARTITION, ":glue:", REGION, ":", ACCOUNT, f":{kind}", *parts]]}


def _statements_by_action(statements: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for statement in statements:
        for action in as_list(statement["Action"]):
            found.setdefault(action, []).append(statement)
    return found


def _resources_of(statements: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for s in statements for r in as_list(s["Resource"]))


def _has(statements: list[dict[str, Any]], action: str, resource: Any) -> bool:
    wanted = json.dumps(resource, sort_keys=True)
    return any(wanted in _resources_of([s]) for s in statements if action in as_list(s["Action"]))


def _tables_policy_statements(synthesized: Synthesized) -> list[dict[str, Any]]:
    policies = [
        lid
        for lid, r in synthesized.raw["Resources"].items()
        if r["Type"] == "AWS::IAM::ManagedPolicy" and lid.startswith("ForecastExportProviderTablesPolicy")
    ]
    assert len(policies) == 1
    return statements_of(synthesized.raw, policies[0])


# ------------------------------------------------------------------------------ the table resource


def test_table_resource_carries_the_interface_properties(query: Synthesized) -> None:
    table = _resource(query, query.handles["forecast_table"])
    database = _ref(query, query.handles["database"])
    assert table["Type"] == "Custom::ForecastExportTable"
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"] == {
        "ServiceToken": {"Fn::GetAtt": ["ForecastExportProviderFunctionFCF3F09A", "Arn"]},
        "ServiceTimeout": _resource(query, query.handles["forecast"])["Properties"]["ServiceTimeout"],
        "ExportArn": _ref(query, query.handles["forecast"]),
        "DatabaseName": database,
        "TableName": "forecast",
        "ManifestLocation": {
            "Fn::Join": [
                "",
                [
                    "s3://",
                    {"Ref": logical_id(query, query.handles["destination"].bucket)},
                    "/athena/tables/",
                    database,
                    "/forecast/",
                ],
            ]
        },
        "CatalogId": ACCOUNT,
    }


def test_backtest_export_gets_one_table_per_dataset_and_other_kinds_have_no_dataset(query: Synthesized) -> None:
    forecasted, metrics = (_resource(query, t) for t in query.handles["backtest_tables"])
    assert forecasted["Properties"]["Dataset"] == "forecasted-values"
    assert forecasted["Properties"]["TableName"] == "backtest_forecasted_values"
    assert metrics["Properties"]["Dataset"] == "accuracy-metrics-values"
    assert metrics["Properties"]["TableName"] == "backtest_accuracy_metrics_values"
    assert [t.dataset for t in query.handles["backtest_tables"]] == list(BacktestDataset)
    for name in ("forecast_table", "explainability_table", "what_if_table", "imported_table"):
        assert "Dataset" not in _resource(query, query.handles[name])["Properties"]
    # A generated name is Athena-safe and unique per construct.
    generated = _resource(query, query.handles["explainability_table"])["Properties"]["TableName"]
    assert generated.startswith("query_explainability_tables_") and generated == generated.lower()


def test_imported_database_and_imported_export_are_named_literally(query: Synthesized) -> None:
    what_if = _resource(query, query.handles["what_if_table"])["Properties"]
    assert what_if["DatabaseName"] == "shared_catalog"
    assert what_if["ExportArn"] == _ref(query, query.handles["what_if"])
    imported = _resource(query, query.handles["imported_table"])
    assert imported["Properties"]["ExportArn"] == IMPORTED_EXPORT_ARN
    assert "DependsOn" in imported


def test_table_waits_for_export_database_and_provider_policies(query: Synthesized) -> None:
    for table in [query.handles["forecast_table"], *query.handles["backtest_tables"]]:
        resource = _resource(query, table)
        # The export's Ref orders the table after the export, the database's Ref after the database.
        assert resource["Properties"]["ExportArn"] == _ref(query, table.export)
        assert resource["Properties"]["DatabaseName"] == _ref(query, query.handles["database"])
        depends_on = resource["DependsOn"]
        assert "ForecastExportProviderSelfInvokePolicyA0178647" in depends_on
        assert any(d.startswith("ForecastExportProviderTablesPolicy") for d in depends_on)
    # The export does not wait for its tables.
    export = _resource(query, query.handles["forecast"])
    assert not any("Table" in d for d in export.get("DependsOn", []))


def test_table_attributes_come_from_the_resource(query: Synthesized) -> None:
    table = query.handles["forecast_table"]
    stack = query.stack
    resource_id = logical_id(query, table.resource)
    assert stack.resolve(table.table_arn) == {"Ref": resource_id}
    for attribute, name in [
        (table.table_name, "TableName"),
        (table.database_name, "DatabaseName"),
        (table.location, "Location"),
        (table.data_location, "DataLocation"),
    ]:
        assert stack.resolve(attribute) == {"Fn::GetAtt": [resource_id, name]}


# ------------------------------------------------------------------------------ IAM


def test_provider_gets_exactly_the_table_permissions_scoped_to_each_table(query: Synthesized) -> None:
    statements = _tables_policy_statements(query)
    by_action = _statements_by_action(statements)
    assert sorted(by_action) == sorted(
        [
            "glue:CreateTable",
            "glue:DeleteTable",
            "glue:GetDatabase",
            "glue:GetTable",
            "glue:UpdateTable",
            "s3:ListBucket",
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "forecast:DescribeForecastExportJob",  # for the imported export only
        ]
    )
    database = _ref(query, query.handles["database"])
    glue_statements = by_action["glue:CreateTable"]
    assert all(
        sorted(as_list(s["Action"]))
        == ["glue:CreateTable", "glue:DeleteTable", "glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"]
        for s in glue_statements
    )
    glue_resources = _resources_of(glue_statements)
    for expected in (
        _glue("catalog"),
        _glue("database/", database),
        _glue("table/", database, "/forecast"),
        _glue("table/", database, "/backtest_accuracy_metrics_values"),
        _glue("database/shared_catalog"),
        _glue("table/shared_catalog/what_if"),
    ):
        assert json.dumps(expected, sort_keys=True) in glue_resources
    assert not any("*" in r for r in glue_resources)
    forecast = query.handles["forecast"]
    data = f"forecast-exports/{forecast.export_prefix}"
    assert _has(statements, "s3:GetObject", _objects(query, f"/{data}*"))
    assert _has(statements, "s3:PutObject", _objects(query, "/athena/tables/", database, "/forecast/*"))
    assert _has(statements, "s3:DeleteObject", _objects(query, "/athena/tables/", database, "/forecast/*"))
    assert not _has(statements, "s3:GetObject", _objects(query, "/athena/tables/", database, "/forecast/*"))
    (list_bucket,) = [s for s in by_action["s3:ListBucket"] if f"{data}*" in s["Condition"]["StringLike"]["s3:prefix"]]
    assert list_bucket["Resource"] == _bucket_arn(query)
    assert list_bucket["Condition"] == {"StringLike": {"s3:prefix": [f"{data}*"]}}
    (key,) = by_action["kms:GenerateDataKey"]
    assert sorted(key["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key["Resource"] == _key_arn(query)
    assert key["Condition"] == query.stack.resolve(forecast.destination.key_conditions())
    (describe,) = by_action["forecast:DescribeForecastExportJob"]
    assert describe["Resource"] == IMPORTED_EXPORT_ARN
    assert _has(statements, "s3:GetObject", _objects(query, "/forecast-exports/archive/*"))
    # The policy is attached to the provider's role only.
    policy = next(
        r for lid, r in query.raw["Resources"].items() if lid.startswith("ForecastExportProviderTablesPolicy")
    )
    assert policy["Properties"]["Roles"] == [{"Ref": "ForecastExportProviderRole0B236DA8"}]


def test_grant_query_grants_exactly_what_a_query_needs(query: Synthesized) -> None:
    forecast = query.handles["forecast"]
    database = _ref(query, query.handles["database"])
    workgroup = _ref(query, query.handles["workgroup"])
    data = f"forecast-exports/{forecast.export_prefix}"
    manifest = {"Fn::Join": ["", ["athena/tables/", database, "/forecast/*"]]}
    statements = statements_of(query.raw, logical_id(query, query.handles["analyst"].node.find_child("DefaultPolicy")))
    assert all(s["Effect"] == "Allow" for s in statements)
    simplified = sorted(
        (
            sorted(as_list(s["Action"])),
            _resources_of([s]),
            json.dumps(s.get("Condition"), sort_keys=True),
        )
        for s in statements
    )
    expected = sorted(
        [
            (
                ["glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"],
                _resources_of(
                    [
                        {
                            "Resource": [
                                _glue("catalog"),
                                _glue("database/", database),
                                _glue("table/", database, "/forecast"),
                            ]
                        }
                    ]
                ),
                "null",
            ),
            (
                ["s3:GetObject"],
                _resources_of(
                    [
                        {
                            "Resource": [
                                _objects(query, f"/{data}*"),
                                _objects(query, "/athena/tables/", database, "/forecast/*"),
                            ]
                        }
                    ]
                ),
                "null",
            ),
            (
                ["s3:ListBucket"],
                _resources_of([{"Resource": _bucket_arn(query)}]),
                json.dumps({"StringLike": {"s3:prefix": [f"{data}*", manifest]}}, sort_keys=True),
            ),
            (["s3:GetBucketLocation"], _resources_of([{"Resource": _bucket_arn(query)}]), "null"),
            # kms:Decrypt (reading) and kms:Encrypt/GenerateDataKey (results), through S3 only.
            (
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                _resources_of([{"Resource": _key_arn(query)}]),
                json.dumps(query.stack.resolve(forecast.destination.key_conditions()), sort_keys=True),
            ),
            (
                [
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:GetWorkGroup",
                    "athena:StartQueryExecution",
                    "athena:StopQueryExecution",
                ],
                _resources_of(
                    [
                        {
                            "Resource": {
                                "Fn::Join": [
                                    "",
                                    ["arn:", PARTITION, ":athena:", REGION, ":", ACCOUNT, ":workgroup/", workgroup],
                                ]
                            }
                        }
                    ]
                ),
                "null",
            ),
            (
                ["s3:GetObject", "s3:PutObject"],
                _resources_of([{"Resource": _objects(query, "/athena-results/*")}]),
                "null",
            ),
        ]
    )
    assert simplified == expected
    assert query.handles["grant"].success


def test_grant_query_without_a_workgroup_grants_no_athena_or_writes(query: Synthesized) -> None:
    statements = statements_of(query.raw, logical_id(query, query.handles["reader"].node.find_child("DefaultPolicy")))
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert actions == {
        "glue:GetDatabase",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:GetTable",
        "glue:GetTables",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "kms:Decrypt",
    }
    database = _ref(query, query.handles["database"])
    assert _has(statements, "glue:GetTable", _glue("table/", database, "/backtest_accuracy_metrics_values"))
    assert not _has(statements, "glue:GetTable", _glue("table/", database, "/forecast"))


# ------------------------------------------------------------------------------ workgroup and database


def test_workgroup_writes_encrypted_results_to_its_own_prefix_with_enforced_settings(query: Synthesized) -> None:
    workgroup = _resource(query, query.handles["workgroup"])
    assert workgroup["Type"] == "AWS::Athena::WorkGroup"
    assert workgroup["Properties"]["Name"] == "forecast-queries"
    assert workgroup["Properties"]["State"] == "ENABLED"
    assert workgroup["Properties"]["RecursiveDeleteOption"] is True
    assert workgroup["Properties"]["WorkGroupConfiguration"] == {
        "EnforceWorkGroupConfiguration": True,
        "BytesScannedCutoffPerQuery": 1024**3,
        "PublishCloudWatchMetricsEnabled": True,
        "RequesterPaysEnabled": False,
        "EngineVersion": {"SelectedEngineVersion": "AUTO"},
        "ResultConfiguration": {
            "OutputLocation": {
                "Fn::Join": [
                    "",
                    ["s3://", {"Ref": logical_id(query, query.handles["destination"].bucket)}, "/athena-results/"],
                ]
            },
            "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": _key_arn(query)},
        },
    }


def test_workgroup_defaults() -> None:
    stack = cdk.Stack(new_app(), "Defaults")
    workgroup = ExportWorkGroup(stack, "WorkGroup", destination=ExportDestination(stack, "Destination"))
    (resource,) = assertions.Template.from_stack(stack).find_resources("AWS::Athena::WorkGroup").values()
    properties = resource["Properties"]
    assert properties["WorkGroupConfiguration"]["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert re.fullmatch(r"Defaults-WorkGroup-[0-9A-F]{8}", properties["Name"])
    assert workgroup.results_prefix == "athena-results/"


def test_database_is_a_glue_database_with_the_given_name(query: Synthesized) -> None:
    database = _resource(query, query.handles["database"])
    assert database["Type"] == "AWS::Glue::Database"
    assert database["Properties"]["CatalogId"] == ACCOUNT
    assert database["Properties"]["DatabaseInput"]["Name"] == "forecasts"
    assert database["DeletionPolicy"] == "Delete"


def test_imported_databases() -> None:
    stack = cdk.Stack(new_app(), "Imports", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    by_name = ExportDatabase.from_database_name(stack, "ByName", "analytics", catalog_id="444455556666")
    assert by_name.database_arn == "arn:aws:glue:eu-west-1:444455556666:database/analytics"
    by_arn = ExportDatabase.from_database_arn(stack, "ByArn", "arn:aws:glue:eu-west-1:444455556666:database/analytics")
    assert (by_arn.database_name, by_arn.catalog_id) == ("analytics", "444455556666")
    assert by_arn.catalog_arn == "arn:aws:glue:eu-west-1:444455556666:catalog"
    with pytest.raises(ValueError, match="must be in the stack's region eu-west-1; got 'us-east-1'"):
        ExportDatabase.from_database_arn(stack, "Elsewhere", "arn:aws:glue:us-east-1:444455556666:database/x")
    with pytest.raises(ValueError, match="must be a Glue database ARN"):
        ExportDatabase.from_database_arn(stack, "NotDatabase", "arn:aws:glue:eu-west-1:444455556666:table/x/y")
    with pytest.raises(ValueError, match="lowercase letters, digits and underscores"):
        ExportDatabase.from_database_name(stack, "Dashed", "my-db")


# ------------------------------------------------------------------------------ state-change rules


def _resolved_arn(value: Any, source_name: str = "demand") -> str:
    """Resolve an ARN the way CloudFormation would in aws / eu-west-1 / 111122223333."""
    values = {"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333"}
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return values[value["Ref"]]
    if "Fn::Select" in value:
        return source_name
    return "".join(_resolved_arn(part, source_name) for part in value["Fn::Join"][1])


def _resolved(value: Any, source_name: str = "demand") -> Any:
    """A whole pattern resolved as CloudFormation would, in aws / eu-west-1 / 111122223333."""
    if isinstance(value, list):
        return [_resolved(item, source_name) for item in value]
    if isinstance(value, dict):
        if {"Ref", "Fn::Join", "Fn::Select"} & set(value):
            return _resolved_arn(value, source_name)
        return {key: _resolved(item, source_name) for key, item in value.items()}
    return value


def _pattern(query: Synthesized, name: str) -> dict[str, Any]:
    pattern: dict[str, Any] = query.raw["Resources"][logical_id(query, query.handles["rules"][name])]["Properties"][
        "EventPattern"
    ]
    return pattern


def _arn_pattern(pattern: dict[str, Any]) -> Any:
    """The one ARN pattern of a rule, which it matches in ``resources`` or in ``detail.Arn``."""
    in_resources, in_detail = pattern["$or"]
    assert in_detail == {"detail": {"Arn": in_resources["resources"]}}
    return in_resources["resources"]


def test_rule_of_a_named_export_matches_its_exact_arn(query: Synthesized) -> None:
    rule = query.raw["Resources"][logical_id(query, query.handles["rules"]["forecast"])]["Properties"]
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.forecast"]
    assert pattern["detail-type"] == list(STATE_CHANGE_DETAIL_TYPES["forecast_export"])
    (resource,) = _arn_pattern(pattern)
    assert _resolved_arn(resource) == (
        "arn:aws:forecast:eu-west-1:111122223333:forecast-export-job/demand/demand_export"
    )
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Ref": logical_id(query, query.stack.node.find_child("Topic"))}


def test_rule_of_a_generated_name_export_matches_the_name_the_provider_generates(query: Synthesized) -> None:
    for name, resource_type, source_name in [
        ("backtest", "predictor-backtest-export-job/demand/", "demand"),
        ("explainability", "explainability-export/demand/", "demand"),
        ("what_if", "what-if-forecast-export/", ""),
    ]:
        export = query.handles[name]
        pattern = _pattern(query, name)
        (resource,) = _arn_pattern(pattern)
        prefix = _resolved_arn(resource["prefix"], source_name)
        export_id = logical_id(query, export.resource)
        head = generated_name_head(query.stack.stack_name, export_id)
        assert prefix == f"arn:aws:forecast:eu-west-1:111122223333:{resource_type}{head}"
        # Every name the provider may generate for this resource (any request) matches; another
        # resource's, or another stack's, does not.
        stack_id = f"arn:aws:cloudformation:eu-west-1:111122223333:stack/{query.stack.stack_name}/0a1b2c3d"
        for request_id in ("create-1", "replace-2"):
            arn_head = f"arn:aws:forecast:eu-west-1:111122223333:{resource_type}"
            assert (arn_head + generated_name(stack_id, export_id, request_id)).startswith(prefix)
            assert not (arn_head + generated_name(stack_id, export_id + "X", request_id)).startswith(prefix)
            other_stack = stack_id.replace(f"/{query.stack.stack_name}/", "/other/")
            assert not (arn_head + generated_name(other_stack, export_id, request_id)).startswith(prefix)
        assert pattern["detail-type"] == list(STATE_CHANGE_DETAIL_TYPES[export.kind.key])
    explainability = query.raw["Resources"][logical_id(query, query.handles["rules"]["explainability"])]
    # A source ARN known at deploy time: its name is selected from it, without referring to the export.
    assert "Fn::Select" in json.dumps(explainability["Properties"]["EventPattern"])
    assert query.raw["Resources"][logical_id(query, query.handles["rules"]["what_if"])]["Properties"]["Name"] == (
        "what-if-export-states"
    )


def test_each_export_waits_for_its_rule_and_no_rule_refers_to_an_export(query: Synthesized) -> None:
    for name, rule in query.handles["rules"].items():
        export = _resource(query, query.handles[name])
        assert logical_id(query, rule) in export["DependsOn"]
        rule_json = json.dumps(query.raw["Resources"][logical_id(query, rule)])
        export_id = logical_id(query, query.handles[name].resource)
        head = generated_name_head(query.stack.stack_name, export_id)
        assert export_id not in rule_json.replace(f'{head}"', "")


def _event(detail_type: str, resources: list[str], arn: str) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": "7bf73129-1428-4cd3-a780-95db273d1602",
            "detail-type": detail_type,
            "source": "aws.forecast",
            "account": "111122223333",
            "time": "2026-12-02T18:00:00Z",
            "region": "eu-west-1",
            "resources": resources,
            "detail": {"Arn": arn, "Status": "ACTIVE"},
        }
    )


@pytest.mark.parametrize(
    ("rule", "export_arn", "source_arn"),
    [
        (
            "forecast",
            "arn:aws:forecast:eu-west-1:111122223333:forecast-export-job/demand/demand_export",
            "arn:aws:forecast:eu-west-1:111122223333:forecast/demand",
        ),
        (
            "backtest",
            "arn:aws:forecast:eu-west-1:111122223333:predictor-backtest-export-job/demand/{head}0123456789abcdef",
            "arn:aws:forecast:eu-west-1:111122223333:predictor/demand",
        ),
    ],
    ids=["named", "generated-name"],
)
def test_eventbridge_fires_the_rule_for_either_event_shape_and_never_for_another_export(
    query: Synthesized, rule: str, export_arn: str, source_arn: str
) -> None:
    """Fault table: export events shaped like Forecast's documented (dataset import) event.

    Matched by moto's EventBridge pattern engine, the one its rules deliver events with (moto's
    ``TestEventPattern`` endpoint itself is a stub in this version).
    """
    export_id = logical_id(query, query.handles["backtest"].resource)
    export_arn = export_arn.format(head=generated_name_head(query.stack.stack_name, export_id))
    pattern = json.dumps(_resolved(_pattern(query, rule)))
    detail_type = _pattern(query, rule)["detail-type"][0]
    head, _, name = export_arn.rpartition("/")
    # A named export's neighbour may start with its name; a generated name's stable head ends with
    # "_", so the neighbours that matter are other resources' generated names.
    stem, _, digits = name.rpartition("_") if rule != "forecast" else (name, "", "")
    neighbour = f"{name}_v2" if rule == "forecast" else f"{stem}X_{digits}"
    others = [f"{head}/{neighbour}", f"{head}/other_export"]
    matcher = EventPattern.load(pattern)

    def fires(resources: list[str], arn: str, detail: str = detail_type) -> bool:
        return bool(matcher.matches_event(json.loads(_event(detail, resources, arn))))

    assert fires([export_arn], export_arn), "the export's ARN in resources"
    assert fires([source_arn], export_arn), "the source's ARN in resources, the export's in the detail"
    for other in others:
        assert not fires([other], other), other
        assert not fires([source_arn], other), other
    assert not fires([export_arn], export_arn, "Forecast Dataset Import Job State Change")


def test_an_export_waits_for_its_targets_resource_policy(query: Synthesized) -> None:
    """Fault table: the first state-change event published before the topic's policy exists."""
    topic = query.stack.node.find_child("Topic")
    policies = [child for child in topic.node.find_all() if isinstance(child, sns.CfnTopicPolicy)]
    assert policies
    export = _resource(query, query.handles["forecast"])
    assert all(logical_id(query, policy) in export["DependsOn"] for policy in policies)


def test_detail_types_are_the_documented_ones() -> None:
    assert STATE_CHANGE_DETAIL_TYPES == {
        "forecast_export": ("Forecast Forecast Export Job State Change", "Forecast Export Job State Change"),
        "predictor_backtest_export": ("Forecast Predictor Backtest Export Job State Change",),
        "explainability_export": (
            "Forecast Explainability Export Creation State Change",
            "Forecast Explainability Export Job State Change",
        ),
        "what_if_forecast_export": (
            "Forecast What-if Forecast Export Creation State Change",
            "Forecast What-If Forecast Export Creation State Change",
        ),
    }


# ------------------------------------------------------------------------------ checks


def test_cdk_nag_finds_nothing_unacknowledged_and_table_acknowledgments_are_narrow(query: Synthesized) -> None:
    report = query.outdir / "validation-report.json"
    if report.exists():
        violations = [v for p in json.loads(report.read_text())["pluginReports"] for v in p.get("violations", [])]
        # The library's own warnings (test_cdk_warnings.py) are reported with cdk-nag's findings.
        assert [v for v in violations if not v["ruleName"].startswith("Annotation::forecast-export-cdk:")] == []
    acknowledged: dict[str, str] = {}
    for node in query.stack.node.find_all():
        if "TablesPolicy" not in node.node.path:
            continue
        for entry in node.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                acknowledged.update({k.split("::", 1)[-1]: v for k, v in entry.data.items()})
    # One finding per object prefix: the export's data and the table's manifest; no Action wildcards.
    assert acknowledged
    assert all(rule.startswith("AwsSolutions-IAM5[Resource::<") and rule.endswith("/*]") for rule in acknowledged)
    assert any("/athena/tables/" in rule for rule in acknowledged)


def test_cfn_lint_finds_no_errors_or_warnings(query: Synthesized) -> None:
    matches = lint_file(query.outdir / "Query.template.json")
    assert [str(match) for match in matches] == []


def test_many_tables_spread_over_managed_policies_that_stay_small() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Many")
    destination = ExportDestination(stack, "Destination")
    database = ExportDatabase(stack, "Database", database_name="many")
    for i in range(2 * TABLES_PER_POLICY + 1):
        export = ForecastExportJob(stack, f"Export{i}", forecast_arn=FORECAST_ARN, destination=destination)
        export.add_table("Table", database=database, table_name=f"table_{i}")
    provider = ForecastExportProvider.of(stack)
    policies = [c for c in provider.node.children if isinstance(c, iam.ManagedPolicy)]
    assert [p.node.id for p in policies] == ["TablesPolicy", "TablesPolicy2", "TablesPolicy3"]
    for policy in policies:
        document = json.dumps(stack.resolve(policy.document), separators=(",", ":"))
        # IAM counts the resolved text (shorter than these intrinsics): 6,144 characters per policy.
        assert len(document) < 6144


# ------------------------------------------------------------------------------ validation


@pytest.fixture
def stack() -> cdk.Stack:
    return cdk.Stack(new_app(), "Stack")


def test_every_bad_table_prop_is_reported_in_one_error(stack: cdk.Stack) -> None:
    destination = ExportDestination(stack, "Destination")
    database = ExportDatabase(stack, "Database")
    forecast = ForecastExportJob(stack, "Forecast", forecast_arn=FORECAST_ARN, destination=destination)
    with pytest.raises(ValueError) as raised:
        ExportTable(
            stack,
            "Table",
            export=forecast,
            database=database,
            table_name="Forecast-Table",
            dataset=BacktestDataset.FORECASTED_VALUES,
            export_prefix="no-slash",
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )
    message = str(raised.value)
    assert message.startswith("ExportTable Stack/Table has 4 invalid setting(s):")
    assert "table_name must be 1 to 255 lowercase letters, digits and underscores" in message
    assert "'Forecast-Table'" in message and "use e.g. 'forecast_table'" in message
    assert "dataset applies to predictor backtest exports only; omit it for a forecast export job" in message
    assert "export_prefix must be empty or end with '/'" in message and "'no-slash'" in message
    assert "removal_policy must be one of" in message
    assert stack.node.try_find_child("Table") is None


def test_backtest_table_needs_a_dataset_and_imported_export_needs_its_location(stack: cdk.Stack) -> None:
    destination = ExportDestination(stack, "Destination")
    database = ExportDatabase(stack, "Database")
    backtest = PredictorBacktestExportJob(stack, "Backtest", predictor_arn=PREDICTOR_ARN, destination=destination)
    with pytest.raises(ValueError, match=r"dataset must be one of BacktestDataset\.FORECASTED_VALUES"):
        backtest.add_table("Table", database=database)
    with pytest.raises(ValueError, match="got 'values'"):
        backtest.add_table("Other", database=database, dataset="values")
    imported = ForecastExportJob.from_export_arn(stack, "Imported", IMPORTED_EXPORT_ARN)
    with pytest.raises(ValueError, match="destination and export_prefix are required for an export imported"):
        ExportTable(stack, "ImportedTable", export=imported, database=database)
    with pytest.raises(ValueError, match="database must be an ExportDatabase"):
        ExportTable(
            stack,
            "NoDatabase",
            export=imported,
            database="forecasts",  # type: ignore[arg-type]  # the wrong type, on purpose
            destination=destination,
            export_prefix="",
        )


def test_database_and_workgroup_validation(stack: cdk.Stack) -> None:
    with pytest.raises(ValueError, match=r"database_name must be 1 to 255 .*got 'Forecast Exports'"):
        ExportDatabase(stack, "Database", database_name="Forecast Exports")
    destination = ExportDestination(stack, "Destination")
    with pytest.raises(ValueError) as raised:
        ExportWorkGroup(
            stack,
            "WorkGroup",
            destination=destination,
            work_group_name="bad name!",
            results_prefix="",
            bytes_scanned_cutoff_per_query=cdk.Size.mebibytes(1),
        )
    message = str(raised.value)
    assert message.startswith("ExportWorkGroup Stack/WorkGroup has 3 invalid setting(s):")
    assert "work_group_name must be 1 to 128 letters" in message and "'bad name!'" in message
    assert "results_prefix must not be empty" in message
    assert "bytes_scanned_cutoff_per_query must be at least 10 MB" in message and "got 1048576 bytes" in message


def test_tokens_are_left_to_the_handler(stack: cdk.Stack) -> None:
    destination = ExportDestination(stack, "Destination")
    name = cdk.CfnParameter(stack, "DatabaseName").value_as_string
    table = cdk.CfnParameter(stack, "TableName").value_as_string
    database = ExportDatabase(stack, "Database", database_name=name)
    forecast = ForecastExportJob(stack, "Forecast", forecast_arn=FORECAST_ARN, destination=destination)
    forecast.add_table("Table", database=database, table_name=table)
    ExportDatabase.from_database_name(stack, "Imported", name)
