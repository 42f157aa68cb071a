"""checkov on synthesized templates: every failed check is fixed or acknowledged in the template, with a reason."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from forecast_export_cdk import ExportDestination, ForecastExportJob
from tests.unit.constructs.cdk_test_support import ENV, FORECAST_ARN, REPO, Synthesized, new_app

pytestmark = pytest.mark.xdist_group("example")

CHECKOV = REPO / "tools" / "checkov" / ".venv" / "bin" / "checkov"
"""checkov's own virtual environment (see tools/checkov/requirements.txt); ``make test`` builds it."""

ACKNOWLEDGED = {
    ("AWS::Lambda::Function", "CKV_AWS_115"),  # no concurrency limit: each waiting export holds one execution
    ("AWS::Lambda::Function", "CKV_AWS_117"),  # no VPC: only AWS APIs over TLS, no inbound connections
    ("AWS::Lambda::Function", "CKV_AWS_173"),  # environment without secrets
    ("AWS::Logs::LogGroup", "CKV_AWS_158"),  # logs without secrets
    ("AWS::S3::Bucket", "CKV_AWS_18"),  # the access-log bucket itself
}


def _minimal_template(outdir: Path) -> Path:
    app = new_app(outdir)
    stack = cdk.Stack(app, "Minimal", env=ENV)
    ForecastExportJob(stack, "Export", forecast_arn=FORECAST_ARN, destination=ExportDestination(stack, "Destination"))
    app.synth()
    return outdir / "Minimal.template.json"


def _run_checkov(*templates: Path) -> dict[str, Any]:
    assert CHECKOV.is_file(), f"{CHECKOV} is missing: run `make test` once to build checkov's environment"
    # checkov reads LOG_LEVEL too; keep its output to the JSON report.
    environment = {key: value for key, value in os.environ.items() if key != "LOG_LEVEL"}
    files = [argument for template in templates for argument in ("--file", str(template))]
    done = subprocess.run(
        [str(CHECKOV), *files, "--framework", "cloudformation", "--skip-download", "--output", "json"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=240,
        check=False,
    )
    assert done.returncode in (0, 1), f"checkov could not run (exit {done.returncode}):\n{done.stderr[-3000:]}"
    report = json.loads(done.stdout)
    assert isinstance(report, dict), "one framework, one report"
    return report


@pytest.fixture(scope="module")
def report(example: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    minimal = _minimal_template(tmp_path_factory.mktemp("minimal"))
    return _run_checkov(example.outdir / "ForecastExportsExample.template.json", minimal)


def _resource_type(check: dict[str, Any]) -> str:
    return str(check["resource"]).split(".", 1)[0]


def test_checkov_passes_the_example_and_a_minimal_stack(report: dict[str, Any]) -> None:
    failed = [
        f"{check['check_id']} on {check['resource']} in {check['file_path']}: {check['check_name']}"
        for check in report["results"]["failed_checks"]
    ]
    assert failed == [], "checkov findings that are neither fixed nor acknowledged:\n" + "\n".join(failed)
    assert report["summary"]["parsing_errors"] == 0
    scanned = {check["file_path"].rsplit("/", 1)[-1] for check in report["results"]["passed_checks"]}
    assert scanned == {"ForecastExportsExample.template.json", "Minimal.template.json"}


def test_checkov_acknowledgments_are_the_known_few_each_with_its_reason(report: dict[str, Any]) -> None:
    skipped = report["results"]["skipped_checks"]
    assert {(_resource_type(check), check["check_id"]) for check in skipped} == ACKNOWLEDGED
    for check in skipped:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) > 60, f"{check['check_id']} on {check['resource']} needs a reason"


def test_a_lost_asynchronous_invocation_goes_to_an_encrypted_tls_only_queue(example: Synthesized) -> None:
    (function,) = example.template.find_resources("AWS::Lambda::Function").values()
    queue_id = function["Properties"]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
    queue = example.raw["Resources"][queue_id]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    key_id = queue["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = example.raw["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True
    # The function's role may encrypt for the queue and send to it; nobody else is named.
    role = function["Properties"]["Role"]
    (role_statement,) = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Sid")]
    assert role_statement["Principal"] == {"AWS": role}
    assert role_statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    queue_policies = [
        resource
        for resource in example.raw["Resources"].values()
        if resource["Type"] == "AWS::SQS::QueuePolicy" and resource["Properties"]["Queues"] == [{"Ref": queue_id}]
    ]
    (policy,) = queue_policies
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_function_keeps_every_dependency_added_later() -> None:
    # No raw DependsOn override: the role's policy is waited for, and so is anything added later.
    app = new_app()
    stack = cdk.Stack(app, "Later", env=ENV)
    ForecastExportJob(stack, "Export", forecast_arn=FORECAST_ARN, destination=ExportDestination(stack, "Destination"))
    later = cdk.CfnWaitConditionHandle(stack, "Later")
    function = stack.node.find_child("ForecastExportProvider").node.find_child("Function")
    function.node.add_dependency(later)
    template = app.synth().get_stack_by_name("Later").template
    depends_on = template["Resources"]["ForecastExportProviderFunctionFCF3F09A"]["DependsOn"]
    assert "ForecastExportProviderRoleDefaultPolicyC72C7345" in depends_on
    assert stack.resolve(later.logical_id) in depends_on
