"""The synthesized example stack, run offline: what `cdk synth` writes is what is tested.

The template and the Lambda asset come from a cloud assembly synthesized from app.py, not from the
source tree. moto creates the bucket, roles and key the template references; the Forecast and
Lambda stand-ins take the handler's calls; every other AWS endpoint records and refuses. Each
custom resource then goes through Create (delivered twice), two tags-only Updates, a replacing
Update, the cleanup Delete, the final Delete, and a Delete while its export is still being
created. Finally every call the handler made is checked against the provider role's statements.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from forecast_export_provider.kinds import KINDS
from forecast_export_provider.naming import generated_name
from tests.standins.catch_all import CatchAllEndpoint
from tests.standins.cfn_endpoint import ResponseEndpoint
from tests.standins.forecast import ForecastStandIn
from tests.standins.lambda_runtime import LambdaRuntime
from tests.standins.lambda_service import LambdaServiceStandIn

from .cloud_assembly import REPO, Resolver, StackArtifact, synthesize
from .iam import ApiCall, Grant, grants, never_used, not_allowed
from .offline import create_with_moto, runtime_for

# The module's tests share one synthesized stack and one run: keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("e2e-example-stack")

STACK = "ForecastExportsExample"
REGION, ACCOUNT = "us-east-1", "123456789012"
SOURCE = f"arn:aws:forecast:{REGION}:{ACCOUNT}"
PARAMETERS = {
    "ForecastArn": f"{SOURCE}:forecast/demand",
    "PredictorArn": f"{SOURCE}:predictor/demand",
    "ExplainabilityArn": f"{SOURCE}:explainability/demand_drivers",
    "WhatIfForecastArns": [f"{SOURCE}:what-if-forecast/pricing/up", f"{SOURCE}:what-if-forecast/pricing/down"],
    "BootstrapVersion": "30",
}
ATTRIBUTES = {"Arn", "Name", "Status", "DestinationPath", "Format", "CreationTime", "LastModificationTime", "SourceArn"}
KIND_OF_TYPE = {kind.resource_type: kind for kind in KINDS}
LAMBDA_RUNTIME_ACTIONS = ("logs:*", "sqs:SendMessage")
"""Granted for the Lambda service to write the function's logs and to put a failed asynchronous
invocation in its dead-letter queue; the handler code never calls them."""

Answered = tuple[str, dict[str, Any], dict[str, Any]]
"""One request of a lifecycle: the step's name, the event sent and CloudFormation's view of the answer."""


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> StackArtifact:
    assembly = synthesize(REPO / "app.py", tmp_path_factory.mktemp("cdk.out"))
    return StackArtifact.load(assembly, STACK)


@dataclass
class Run:
    """Everything the offline run observed."""

    stack: StackArtifact
    resolver: Resolver
    forecast: ForecastStandIn
    lambda_service: LambdaServiceStandIn
    catch_all: CatchAllEndpoint
    function_logical_id: str
    answers: dict[str, list[Answered]] = field(default_factory=dict)
    continuation: dict[str, Any] = field(default_factory=dict)
    continuation_invocations: int = 0
    logs: str = ""
    violations: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)


class CloudFormation:
    """Sends one custom resource's requests the way CloudFormation does."""

    def __init__(self, stack: StackArtifact, runtime: LambdaRuntime, endpoint: ResponseEndpoint, logical_id: str):
        self.stack, self.runtime, self.endpoint, self.logical_id = stack, runtime, endpoint, logical_id
        self.stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/{uuid.uuid4()}"
        self.resource_type = stack.resources[logical_id]["Type"]

    def event(self, request_type: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        return {
            "RequestType": request_type,
            "ServiceToken": properties["ServiceToken"],
            "ResponseURL": self.endpoint.new_response_url(self.stack_id, self.logical_id, request_id),
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": self.logical_id,
            "ResourceType": self.resource_type,
            "ResourceProperties": properties,
            **extra,
        }

    def send(self, event: dict[str, Any], times: int = 1) -> dict[str, Any]:
        for _ in range(times):
            self.runtime.invoke_async(event)
        try:
            return self.endpoint.wait_for_response(event["ResponseURL"], timeout=90)
        except TimeoutError:
            failed = [i for i in self.runtime.invocations if i.error_type]
            detail = f"; last failed invocation: {failed[-1].error_type}\n{failed[-1].log[-1500:]}" if failed else ""
            raise TimeoutError(f"no answer to {event['RequestType']} {self.logical_id}{detail}") from None


def lifecycle_of(
    cfn: CloudFormation, properties: dict[str, Any], forecast: ForecastStandIn, slow: set[str]
) -> list[Answered]:
    """Create (twice), tags-only Updates, replacing Update, cleanup Delete, Delete, Delete while creating."""
    log: list[Answered] = []

    def step(name: str, event: dict[str, Any], times: int = 1) -> dict[str, Any]:
        answer = cfn.send(event, times)
        log.append((name, event, answer))
        return answer

    created = step("create", cfn.event("Create", properties), times=2)
    arn = created["PhysicalResourceId"]
    tagged = dict(properties, Tags=[*properties.get("Tags", []), {"Key": "e2e", "Value": "tagged"}])
    step("tag", cfn.event("Update", tagged, PhysicalResourceId=arn, OldResourceProperties=properties))
    step("untag", cfn.event("Update", properties, PhysicalResourceId=arn, OldResourceProperties=tagged))
    other_format = "CSV" if properties.get("Format") == "PARQUET" else "PARQUET"
    replaced = dict(properties, Format=other_format)
    answer = step("replace", cfn.event("Update", replaced, PhysicalResourceId=arn, OldResourceProperties=properties))
    step("cleanup", cfn.event("Delete", properties, PhysicalResourceId=arn))
    step("delete", cfn.event("Delete", replaced, PhysicalResourceId=answer["PhysicalResourceId"]))

    # A Create that is cancelled: the Delete arrives while its export is still being created.
    cancelled = cfn.event("Create", properties)
    slow.add(generated_name(cfn.stack_id, cfn.logical_id, cancelled["RequestId"]))
    cfn.runtime.invoke_async(cancelled)
    kind = KIND_OF_TYPE[cfn.resource_type]
    deadline = time.monotonic() + 30
    while not (creating := [job for job in forecast.live_jobs() if job.kind == kind.key]):
        assert time.monotonic() < deadline, "the slow export was never created"
        time.sleep(0.05)
    step("delete-while-creating", cfn.event("Delete", properties, PhysicalResourceId=creating[0].arn))
    log.append(("cancelled-create", cancelled, cfn.endpoint.wait_for_response(cancelled["ResponseURL"], timeout=90)))
    return log


@pytest.fixture(scope="module")
def run(example: StackArtifact) -> Iterator[Run]:
    resolver = create_with_moto(example, STACK, PARAMETERS)
    # The exports; the example's table resources (Custom::ForecastExportTable) are not driven here.
    custom = {k: v for k, v in example.custom_resources().items() if v["Type"] in KIND_OF_TYPE}
    [function_logical_id] = {example.service_function(resource) for resource in custom.values()}
    function_name = f"{STACK}-{function_logical_id}"[:64]
    resolver.refs[function_logical_id] = function_name
    resolver.attributes[(function_logical_id, "Arn")] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
    properties = {logical_id: resolver.resolve(resource["Properties"]) for logical_id, resource in custom.items()}
    slow: set[str] = set()

    with (
        ForecastStandIn(pending_seconds=0.05, duration=lambda kind, name: 30.0 if name in slow else 0.5) as forecast,
        LambdaServiceStandIn() as lambda_service,
        ResponseEndpoint() as endpoint,
        CatchAllEndpoint() as catch_all,
    ):
        services = dict(forecast=forecast, lambda_service=lambda_service, endpoint=endpoint, catch_all=catch_all)
        observed = Run(example, resolver, forecast, lambda_service, catch_all, function_logical_id)
        with runtime_for(example, resolver, function_logical_id, **services) as runtime:

            def drive(logical_id: str) -> list[Answered]:
                cfn = CloudFormation(example, runtime, endpoint, logical_id)
                return lifecycle_of(cfn, properties[logical_id], forecast, slow)

            with ThreadPoolExecutor(max_workers=len(custom)) as pool:
                futures = {logical_id: pool.submit(drive, logical_id) for logical_id in custom}
                observed.answers = {logical_id: future.result() for logical_id, future in futures.items()}
            runtime.wait_idle(timeout=60)
            observed.logs = runtime.logs

        # A wait longer than one invocation: the same function, given a 4 s timeout, continues itself.
        forecast.duration = 6.0
        with runtime_for(example, resolver, function_logical_id, timeout_seconds=4.0, **services) as short:
            logical_id = next(iter(custom))
            cfn = CloudFormation(example, short, endpoint, logical_id)
            event = cfn.event("Create", properties[logical_id])
            observed.continuation = cfn.send(event)
            short.wait_idle(timeout=30)
            observed.continuation_invocations = short.invocation_count
            observed.logs += short.logs
        observed.violations = list(endpoint.violations)
        observed.secrets = [
            endpoint.secret_of(event["ResponseURL"]) for log in observed.answers.values() for _, event, _ in log
        ] + [endpoint.secret_of(event["ResponseURL"])]
        yield observed


# What the run must show.


def test_every_custom_resource_is_driven_by_the_assets_handler(example: StackArtifact, run: Run) -> None:
    custom = example.custom_resources()
    assert {resource["Type"] for resource in custom.values()} == {*KIND_OF_TYPE, "Custom::ForecastExportTable"}
    asset = example.asset_directory(run.function_logical_id)
    assert sorted(path.name for path in asset.iterdir()) == ["crhelper", "forecast_export_provider"]
    assert REPO not in asset.parents, "the asset must come from the cloud assembly"


def test_create_answers_follow_the_contract(run: Run) -> None:
    for logical_id, log in run.answers.items():
        kind = KIND_OF_TYPE[run.stack.resources[logical_id]["Type"]]
        properties = run.resolver.resolve(run.stack.resources[logical_id]["Properties"])
        [(_, _, created)] = [entry for entry in log if entry[0] == "create"]
        assert created["Status"] == "SUCCESS", created["Reason"]
        arn = created["PhysicalResourceId"]
        assert kind.is_export_arn(arn)
        data = created["Data"]
        assert set(data) == ATTRIBUTES
        assert data["Arn"] == arn and data["Status"] == "ACTIVE"
        assert data["DestinationPath"] == properties["Destination"]["S3Config"]["Path"]
        source = properties[kind.source_property]
        assert data["SourceArn"] == (",".join(source) if isinstance(source, list) else source)
        assert data["Format"] == properties.get("Format", "CSV")
        job = run.forecast.job(arn)
        assert job.destination == properties["Destination"]
        assert job.tags == {tag["Key"]: tag["Value"] for tag in properties.get("Tags", [])}


def test_a_create_delivered_twice_made_one_export(run: Run) -> None:
    for logical_id, log in run.answers.items():
        [(_, _, created)] = [entry for entry in log if entry[0] == "create"]
        names = [job.name for job in run.forecast.jobs() if job.arn == created["PhysicalResourceId"]]
        assert len(names) == 1, logical_id


def test_updates_and_deletes_follow_the_contract(run: Run) -> None:
    for logical_id, log in run.answers.items():
        steps = {name: (event, answer) for name, event, answer in log}
        kind = KIND_OF_TYPE[run.stack.resources[logical_id]["Type"]]
        arn = steps["create"][1]["PhysicalResourceId"]
        for name in ("tag", "untag"):
            assert steps[name][1]["Status"] == "SUCCESS", (logical_id, name, steps[name][1]["Reason"])
            assert steps[name][1]["PhysicalResourceId"] == arn, "a tags-only update happens in place"
        replaced = steps["replace"][1]
        assert replaced["Status"] == "SUCCESS", replaced["Reason"]
        assert replaced["PhysicalResourceId"] != arn
        assert run.forecast.job(replaced["PhysicalResourceId"]).format == replaced["Data"]["Format"]
        for name in ("cleanup", "delete", "delete-while-creating"):
            assert steps[name][1]["Status"] == "SUCCESS", (logical_id, name, steps[name][1]["Reason"])
        # A stopped job fails its Create. A what-if export cannot be stopped: the Delete waits for it
        # to finish, so its Create may see ACTIVE first; either way the job is gone afterwards.
        if kind.stoppable:
            assert steps["cancelled-create"][1]["Status"] == "FAILED"
        else:
            assert steps["cancelled-create"][1]["Status"] in ("FAILED", "SUCCESS")
        assert run.forecast.job(arn).status == "DELETED"
        assert run.forecast.job(replaced["PhysicalResourceId"]).status == "DELETED"


def test_nothing_is_left_behind_and_nothing_secret_is_logged(run: Run) -> None:
    leftovers = [job for job in run.forecast.live_jobs() if job.arn != run.continuation["PhysicalResourceId"]]
    assert leftovers == []
    assert run.violations == []
    assert all(secret not in run.logs for secret in run.secrets)


def test_a_long_wait_continues_in_a_new_invocation(run: Run) -> None:
    assert run.continuation["Status"] == "SUCCESS", run.continuation["Reason"]
    assert run.continuation_invocations >= 2
    assert run.lambda_service.invocations, "the function invoked itself through the Lambda API"


def used_calls(run: Run) -> list[ApiCall]:
    """Every authorization the handler's calls needed, including those Forecast checks on the caller."""
    by_operation = {}
    for kind in KINDS:
        for operation in (kind.describe_operation, kind.delete_operation):
            by_operation[operation] = kind
    calls = []
    for call in run.forecast.calls:
        operation, params = call.operation, call.params
        action = f"forecast:{operation}"
        if operation.startswith("List") and operation != "ListTagsForResource":
            calls.append(ApiCall(action, "*"))
        elif operation.startswith("Create"):
            kind = next(kind for kind in KINDS if kind.create_operation == operation)
            sources = params[kind.source_property]
            calls += [ApiCall(action, source) for source in (sources if isinstance(sources, list) else [sources])]
            s3 = params["Destination"]["S3Config"]
            calls.append(ApiCall("iam:PassRole", s3["RoleArn"], (("iam:PassedToService", "forecast.amazonaws.com"),)))
            if "KMSKeyArn" in s3:
                calls += [ApiCall(f"kms:{verb}", s3["KMSKeyArn"]) for verb in ("Decrypt", "GenerateDataKey")]
            if params.get("Tags"):
                source = sources[0] if isinstance(sources, list) else sources
                export = run.forecast.arn_for(kind.key, params[kind.name_property], source)
                calls.append(ApiCall("forecast:TagResource", export))
        elif operation in by_operation:
            calls.append(ApiCall(action, params[by_operation[operation].arn_property]))
        else:
            calls.append(ApiCall(action, params["ResourceArn"]))
    for invocation in run.lambda_service.invocations:
        function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{invocation.function_name}"
        calls.append(ApiCall("lambda:InvokeFunction", function_arn))
    calls += [ApiCall(f"{call.service}:{call.operation}", "*") for call in run.catch_all.calls]
    return calls


def provider_grants(run: Run) -> list[Grant]:
    role = run.stack.resources[run.function_logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert not run.stack.resources[role]["Properties"].get("ManagedPolicyArns")
    return grants(run.stack.role_policies(role), run.resolver)


def test_iam_every_call_the_handler_made_is_granted(run: Run) -> None:
    assert run.catch_all.calls == [], "the handler called an AWS service that has no stand-in"
    missing = not_allowed(used_calls(run), provider_grants(run))
    assert missing == [], "the provider role lacks: " + "; ".join(map(str, missing))


def test_iam_every_grant_is_used_by_the_handler(run: Run) -> None:
    unused = never_used(used_calls(run), provider_grants(run), exempt=LAMBDA_RUNTIME_ACTIONS)
    assert unused == [], "the provider role grants what the handler never uses: " + "; ".join(unused)
