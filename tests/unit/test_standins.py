"""The test stand-ins behave like the services they replace."""

from __future__ import annotations

import json
import math
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from crhelper.utils import _send_response  # type: ignore[attr-defined]  # crhelper's stubs omit private names

from tests.standins.cfn_endpoint import ResponseEndpoint
from tests.standins.events import load_event
from tests.standins.forecast import ForecastStandIn
from tests.standins.lambda_runtime import LambdaRuntime, stage_code
from tests.standins.lambda_service import LambdaServiceStandIn

REGION = "us-east-1"
ACCOUNT = "123456789012"
FORECAST = f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast/daily_demand"
OTHER_FORECAST = f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast/weekly_demand"
PREDICTOR = f"arn:aws:forecast:{REGION}:{ACCOUNT}:predictor/demand_predictor"
EXPLAINABILITY = f"arn:aws:forecast:{REGION}:{ACCOUNT}:explainability/demand_explainability"
WHAT_IF = f"arn:aws:forecast:{REGION}:{ACCOUNT}:what-if-forecast/demand_analysis/price_cut"
DESTINATION = {
    "S3Config": {
        "Path": "s3://forecast-exports-123456789012/daily/",
        "RoleArn": "arn:aws:iam::123456789012:role/service-role/ForecastExportRole",
    }
}
FAKE_CREDENTIALS: dict[str, Any] = {
    "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def forecast_client(endpoint_url: str, *, validate: bool = True) -> Any:
    """A plain boto3 Forecast client; ``validate=False`` lets bad requests reach the server."""
    return boto3.client(
        "forecast",
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}, parameter_validation=validate),
        **FAKE_CREDENTIALS,
    )


def create_export(client: Any, name: str, source: str = FORECAST, **extra: Any) -> str:
    response = client.create_forecast_export_job(
        ForecastExportJobName=name, ForecastArn=source, Destination=DESTINATION, **extra
    )
    return str(response["ForecastExportJobArn"])


def error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def error_message(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Message"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slow_forecast(clock: FakeClock) -> Iterator[ForecastStandIn]:
    """A Forecast stand-in on a fake clock: 10 s pending, 100 s to ACTIVE, 20 s stop, 30 s delete."""
    with ForecastStandIn(clock=clock, pending_seconds=10, duration=100, stop_seconds=20, delete_seconds=30) as service:
        yield service


# --------------------------------------------------------------------------- Forecast: wire and validation


@pytest.mark.parametrize(
    ("change", "member"),
    [
        ({"ForecastExportJobName": "1_starts_with_digit"}, "forecastExportJobName"),
        ({"ForecastExportJobName": "a" * 64}, "forecastExportJobName"),
        ({"Destination": None}, "destination"),
        ({"Format": "JSON"}, "format"),
        ({"Tags": [{"Key": "bad!key", "Value": "v"}]}, "tags.1.member.key"),
        ({"Destination": {"S3Config": {"Path": "http://not-s3/", "RoleArn": "r"}}}, "destination.s3Config.path"),
    ],
)
def test_forecast_rejects_requests_that_break_the_model(
    forecast: ForecastStandIn, change: dict[str, Any], member: str
) -> None:
    params: dict[str, Any] = {"ForecastExportJobName": "ok_name", "ForecastArn": FORECAST, "Destination": DESTINATION}
    params.update(change)
    params = {k: v for k, v in params.items() if v is not None}
    client = forecast_client(forecast.endpoint_url, validate=False)
    with pytest.raises(ClientError) as info:
        client.create_forecast_export_job(**params)
    assert error_code(info) == "ValidationException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"'{member}'" in error_message(info)
    assert forecast.jobs() == []


def test_forecast_accepts_iam_role_arn_unicode_tags_and_the_unanchored_name_pattern(forecast: ForecastStandIn) -> None:
    client = forecast_client(forecast.endpoint_url)
    tags = [{"Key": "Kostenstelle ü", "Value": "Büro 7 / Nord = +@"}]
    arn = create_export(client, "export_one", Format="PARQUET", Tags=tags)
    assert arn == f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast-export-job/daily_demand/export_one"
    # The model's Name pattern ^[a-zA-Z][a-zA-Z0-9_]* is unanchored at the end, as the stand-in applies it.
    create_export(client, "export-two")
    described = client.describe_forecast_export_job(ForecastExportJobArn=arn)
    assert described["Format"] == "PARQUET"
    assert described["Destination"] == DESTINATION
    assert "Format" not in client.describe_forecast_export_job(
        ForecastExportJobArn=arn.replace("export_one", "export-two")
    )


def test_forecast_rejects_unknown_members(forecast: ForecastStandIn) -> None:
    body = {"ForecastExportJobName": "ok_name", "ForecastArn": FORECAST, "Destination": DESTINATION}
    status, answer = post_raw(forecast, "CreateForecastExportJob", dict(body, Unexpected="x"))
    assert (status, answer["__type"]) == (400, "ValidationException")
    assert "'unexpected'" in answer["message"]
    nested = dict(body, Destination={"S3Config": dict(DESTINATION["S3Config"], Bucket="b")})
    status, answer = post_raw(forecast, "CreateForecastExportJob", nested)
    assert "'destination.s3Config.bucket'" in answer["message"]
    assert post_raw(forecast, "CreateForecastExportJob", body)[0] == 200


def post_raw(
    forecast: ForecastStandIn, operation: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """POST a JSON 1.1 request as botocore would frame it, without botocore's serializer."""
    if headers is None:
        headers = {"Authorization": f"AWS4-HMAC-SHA256 Credential=AKID/20240101/{REGION}/forecast/aws4_request, x"}
    target = operation if "." in operation else f"AmazonForecast.{operation}"
    request = urllib.request.Request(
        forecast.endpoint_url + "/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_forecast_speaks_the_json_protocol_and_checks_the_signature_scope(
    forecast: ForecastStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def post(target: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        return post_raw(forecast, target, {}, headers)

    signed = {"Authorization": f"AWS4-HMAC-SHA256 Credential=AKID/20240101/{REGION}/forecast/aws4_request, x"}
    assert post("AmazonForecast.ListForecastExportJobs", signed) == (200, {"ForecastExportJobs": []})
    status, body = post("AmazonForecast.NoSuchOperation", signed)
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, body = post("AmazonForecast.ListForecastExportJobs", {})
    assert body["__type"] == "MissingAuthenticationTokenException"
    wrong_region = {"Authorization": signed["Authorization"].replace(REGION, "eu-west-1")}
    status, body = post("AmazonForecast.ListForecastExportJobs", wrong_region)
    assert (status, body["__type"]) == (403, "InvalidSignatureException")

    monkeypatch.setenv("AWS_ENDPOINT_URL_FORECAST", forecast.endpoint_url)
    from_env = boto3.client("forecast", region_name=REGION, **FAKE_CREDENTIALS)
    assert from_env.list_forecast_export_jobs()["ForecastExportJobs"] == []


# --------------------------------------------------------------------------- Forecast: job states


def test_forecast_states_follow_the_clock(slow_forecast: ForecastStandIn, clock: FakeClock) -> None:
    client = forecast_client(slow_forecast.endpoint_url)
    created = clock.now
    arn = create_export(client, "timed")

    def describe() -> dict[str, Any]:
        return dict(client.describe_forecast_export_job(ForecastExportJobArn=arn))

    assert describe()["Status"] == "CREATE_PENDING"
    clock.advance(10)
    assert describe()["Status"] == "CREATE_IN_PROGRESS"
    clock.advance(89.9)
    assert describe()["Status"] == "CREATE_IN_PROGRESS"
    clock.advance(0.1)
    final = describe()
    assert final["Status"] == "ACTIVE"
    assert "Message" not in final
    assert final["CreationTime"].timestamp() == pytest.approx(created)
    assert final["LastModificationTime"].timestamp() == pytest.approx(created + 100)


def test_forecast_what_if_export_reports_estimated_time(slow_forecast: ForecastStandIn, clock: FakeClock) -> None:
    client = forecast_client(slow_forecast.endpoint_url)
    arn = client.create_what_if_forecast_export(
        WhatIfForecastExportName="what_if_export", WhatIfForecastArns=[WHAT_IF], Destination=DESTINATION
    )["WhatIfForecastExportArn"]
    assert arn == f"arn:aws:forecast:{REGION}:{ACCOUNT}:what-if-forecast-export/what_if_export"
    described = client.describe_what_if_forecast_export(WhatIfForecastExportArn=arn)
    assert described["EstimatedTimeRemainingInMinutes"] == 2
    assert described["WhatIfForecastArns"] == [WHAT_IF]


def test_forecast_failure_gives_create_failed_with_message(clock: FakeClock) -> None:
    def failure(kind: str, name: str) -> str | None:
        return "AccessDeniedException: Forecast cannot write to the bucket" if name == "doomed" else None

    with ForecastStandIn(clock=clock, duration=5, failure=failure) as service:
        client = forecast_client(service.endpoint_url)
        doomed = create_export(client, "doomed")
        fine = create_export(client, "fine")
        clock.advance(5)
        failed = client.describe_forecast_export_job(ForecastExportJobArn=doomed)
        assert failed["Status"] == "CREATE_FAILED"
        assert failed["Message"] == "AccessDeniedException: Forecast cannot write to the bucket"
        assert client.describe_forecast_export_job(ForecastExportJobArn=fine)["Status"] == "ACTIVE"


def test_forecast_existing_arn_is_refused(forecast: ForecastStandIn) -> None:
    client = forecast_client(forecast.endpoint_url)
    create_export(client, "unique")
    with pytest.raises(ClientError) as info:
        create_export(client, "unique")
    assert error_code(info) == "ResourceAlreadyExistsException"
    # Same name under another forecast: another ARN, accepted.
    create_export(client, "unique", source=OTHER_FORECAST)


def test_forecast_stop_resource(slow_forecast: ForecastStandIn, clock: FakeClock) -> None:
    client = forecast_client(slow_forecast.endpoint_url)
    arn = create_export(client, "to_stop")
    clock.advance(15)
    client.stop_resource(ResourceArn=arn)
    assert client.describe_forecast_export_job(ForecastExportJobArn=arn)["Status"] == "CREATE_STOPPING"
    clock.advance(20)
    stopped = client.describe_forecast_export_job(ForecastExportJobArn=arn)
    assert stopped["Status"] == "CREATE_STOPPED"
    with pytest.raises(ClientError) as info:
        client.stop_resource(ResourceArn=arn)
    assert error_code(info) == "InvalidInputException"

    what_if = client.create_what_if_forecast_export(
        WhatIfForecastExportName="not_stoppable", WhatIfForecastArns=[WHAT_IF], Destination=DESTINATION
    )["WhatIfForecastExportArn"]
    with pytest.raises(ClientError) as info:
        client.stop_resource(ResourceArn=what_if)
    assert error_code(info) == "InvalidInputException"


def test_forecast_delete_lifecycle(slow_forecast: ForecastStandIn, clock: FakeClock) -> None:
    client = forecast_client(slow_forecast.endpoint_url)
    arn = create_export(client, "to_delete")
    with pytest.raises(ClientError) as info:
        client.delete_forecast_export_job(ForecastExportJobArn=arn)
    assert error_code(info) == "ResourceInUseException"
    clock.advance(100)
    client.delete_forecast_export_job(ForecastExportJobArn=arn)
    assert client.describe_forecast_export_job(ForecastExportJobArn=arn)["Status"] == "DELETE_PENDING"
    with pytest.raises(ClientError) as info:
        client.delete_forecast_export_job(ForecastExportJobArn=arn)
    assert error_code(info) == "ResourceInUseException"
    clock.advance(10)
    assert client.describe_forecast_export_job(ForecastExportJobArn=arn)["Status"] == "DELETE_IN_PROGRESS"
    clock.advance(20)
    with pytest.raises(ClientError) as info:
        client.describe_forecast_export_job(ForecastExportJobArn=arn)
    assert error_code(info) == "ResourceNotFoundException"
    calls: tuple[Callable[[], object], ...] = (
        lambda: client.delete_forecast_export_job(ForecastExportJobArn=arn),
        lambda: client.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}]),
    )
    for call in calls:
        with pytest.raises(ClientError) as info:
            call()
        assert error_code(info) == "ResourceNotFoundException"
    assert client.list_forecast_export_jobs()["ForecastExportJobs"] == []
    (job,) = slow_forecast.jobs()
    assert (job.status, job.deleted_at) == ("DELETED", clock.now)
    assert slow_forecast.live_jobs() == []
    # The name is free again once the job is gone.
    assert create_export(client, "to_delete") == arn


def test_forecast_delete_failure(clock: FakeClock) -> None:
    with ForecastStandIn(clock=clock, duration=1, delete_seconds=1, delete_failure=lambda k, n: "bucket policy") as svc:
        client = forecast_client(svc.endpoint_url)
        arn = client.create_explainability_export(
            ExplainabilityExportName="explained", ExplainabilityArn=EXPLAINABILITY, Destination=DESTINATION
        )["ExplainabilityExportArn"]
        clock.advance(1)
        client.delete_explainability_export(ExplainabilityExportArn=arn)
        clock.advance(1)
        described = client.describe_explainability_export(ExplainabilityExportArn=arn)
        assert (described["Status"], described["Message"]) == ("DELETE_FAILED", "bucket policy")


# --------------------------------------------------------------------------- Forecast: lists, tags, limits


def test_forecast_list_filters_and_pagination(clock: FakeClock) -> None:
    with ForecastStandIn(clock=clock, duration=10, page_size=2) as service:
        client = forecast_client(service.endpoint_url)
        mine = [create_export(client, f"mine_{i}") for i in range(5)]
        others = [create_export(client, f"other_{i}", source=OTHER_FORECAST) for i in range(2)]
        clock.advance(10)
        client.delete_forecast_export_job(ForecastExportJobArn=others[1])
        clock.advance(1)  # the deleted job is gone

        def listed(filters: list[dict[str, str]]) -> tuple[list[str], int]:
            pages = list(client.get_paginator("list_forecast_export_jobs").paginate(Filters=filters))
            return [s["ForecastExportJobArn"] for p in pages for s in p["ForecastExportJobs"]], len(pages)

        arns, pages = listed([{"Key": "ForecastArn", "Value": FORECAST, "Condition": "IS"}])
        assert sorted(arns) == sorted(mine)
        assert pages == 3
        assert listed([{"Key": "ForecastArn", "Value": FORECAST, "Condition": "IS_NOT"}])[0] == others[:1]
        active, _ = listed([{"Key": "Status", "Value": "ACTIVE", "Condition": "IS"}])
        assert sorted(active) == sorted(mine + others[:1])
        summary = client.list_forecast_export_jobs(MaxResults=1)["ForecastExportJobs"][0]
        assert set(summary) == {
            "ForecastExportJobArn", "ForecastExportJobName", "Destination", "Status", "CreationTime",
            "LastModificationTime",
        }  # fmt: skip
        with pytest.raises(ClientError) as info:
            client.list_forecast_export_jobs(Filters=[{"Key": "PredictorArn", "Value": PREDICTOR, "Condition": "IS"}])
        assert error_code(info) == "InvalidInputException"
        with pytest.raises(ClientError) as info:
            client.list_forecast_export_jobs(NextToken="bm90LWEtdG9rZW4=")
        assert error_code(info) == "InvalidNextTokenException"

        client.create_explainability_export(
            ExplainabilityExportName="explained", ExplainabilityArn=EXPLAINABILITY, Destination=DESTINATION
        )
        by_source = client.list_explainability_exports(
            Filters=[{"Key": "ResourceArn", "Value": EXPLAINABILITY, "Condition": "IS"}]
        )["ExplainabilityExports"]
        assert [s["ExplainabilityExportName"] for s in by_source] == ["explained"]


def test_forecast_tags(forecast: ForecastStandIn) -> None:
    client = forecast_client(forecast.endpoint_url)
    arn = create_export(client, "tagged", Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "extra", "Value": ""}])
    client.untag_resource(ResourceArn=arn, TagKeys=["team", "never-there"])
    tags = client.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"env": "prod", "extra": ""}
    assert forecast.job(arn).tags == {"env": "prod", "extra": ""}
    with pytest.raises(ClientError) as info:
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": "AWS:reserved", "Value": "x"}])
    assert error_code(info) == "InvalidInputException"
    with pytest.raises(ClientError) as info:
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    assert error_code(info) == "LimitExceededException"


def test_forecast_concurrency_cap() -> None:
    with ForecastStandIn(duration=math.inf, max_concurrent_per_kind=2) as service:
        client = forecast_client(service.endpoint_url)
        create_export(client, "first")
        create_export(client, "second")
        with pytest.raises(ClientError) as info:
            create_export(client, "third")
        assert error_code(info) == "LimitExceededException"
        assert "concurrent job limit" in error_message(info)
        # Another kind has its own limit.
        client.create_predictor_backtest_export_job(
            PredictorBacktestExportJobName="backtest", PredictorArn=PREDICTOR, Destination=DESTINATION
        )
        assert service.max_concurrency("forecast_export") == 2
        assert service.max_concurrency("predictor_backtest_export") == 1
        assert service.count("CreateForecastExportJob") == 2
        assert service.count("CreateForecastExportJob", errors=True) == 3


def test_forecast_throttling_and_server_errors_follow_the_seeded_rates() -> None:
    with ForecastStandIn(throttle_rate=0.3, seed=7) as service:
        client = forecast_client(service.endpoint_url)
        codes: list[str | None] = []
        for _ in range(200):
            try:
                client.list_forecast_export_jobs()
                codes.append(None)
            except ClientError as error:
                codes.append(error.response["Error"]["Code"])
                assert error.response["Error"]["Message"] == "Rate exceeded"
        assert set(codes) == {None, "ThrottlingException"}
        assert 40 <= codes.count("ThrottlingException") <= 80
        service.throttle_rate = 0.0
        service.server_error_rate = 1.0
        with pytest.raises(ClientError) as info:
            client.list_forecast_export_jobs()
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        service.server_error_rate = 0.0
        assert service.count("ListForecastExportJobs", errors=True) == 201


def test_forecast_after_create_runs_before_the_response() -> None:
    seen: list[tuple[str, str, int, float]] = []

    def after_create(kind: str, arn: str) -> None:
        seen.append((kind, arn, len(service.live_jobs()), time.monotonic()))
        time.sleep(0.3)

    with ForecastStandIn(after_create=after_create) as service:
        client = forecast_client(service.endpoint_url)
        arn = create_export(client, "hooked")
        returned = time.monotonic()
    ((kind, hooked_arn, live, at),) = seen
    assert (kind, hooked_arn, live) == ("forecast_export", arn, 1)
    assert returned - at >= 0.3


# --------------------------------------------------------------------------- CloudFormation response endpoint


def test_response_endpoint_receives_crhelper_responses(response_endpoint: ResponseEndpoint) -> None:
    event = load_event("create")
    url = response_endpoint.new_response_url(event["StackId"], event["LogicalResourceId"], event["RequestId"])
    assert url != response_endpoint.new_response_url(event["StackId"], event["LogicalResourceId"], event["RequestId"])
    assert "/cloudformation-custom-resource-response-useast1/arn%3Aaws%3Acloudformation" in url
    assert len(response_endpoint.secret_of(url)) == 64
    body = {
        "Status": "SUCCESS",
        "PhysicalResourceId": "arn:aws:forecast:us-east-1:123456789012:forecast-export-job/a/b",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Reason": "",
        "Data": {"Status": "ACTIVE"},
    }
    _send_response(url, body, ssl_verify=response_endpoint.ca_bundle_path)
    assert response_endpoint.wait_for_response(url, timeout=5) == body
    assert response_endpoint.violations == []

    too_long = dict(body, Status="FAILED", Reason="x" * 5000)
    _send_response(url, too_long, ssl_verify=response_endpoint.ca_bundle_path)
    assert len(response_endpoint.responses(url)) == 2
    assert any("4096" in v for v in response_endpoint.violations)


def test_response_endpoint_refuses_unknown_urls_and_times_out(response_endpoint: ResponseEndpoint) -> None:
    url = response_endpoint.new_response_url("stack", "Logical", "request")
    forged = url.replace(response_endpoint.secret_of(url), "0" * 64)
    _send_response(forged, {"Status": "SUCCESS"}, ssl_verify=response_endpoint.ca_bundle_path)
    assert response_endpoint.rejected
    with pytest.raises(TimeoutError, match="Logical"):
        response_endpoint.wait_for_response(url, timeout=0.2)


# --------------------------------------------------------------------------- Lambda Invoke


def lambda_client(endpoint_url: str) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}),
        **FAKE_CREDENTIALS,
    )


def test_lambda_service_accepts_async_invoke(lambda_service: LambdaServiceStandIn) -> None:
    received: list[bytes] = []
    arn = lambda_service.register("provider", received.append)
    client = lambda_client(lambda_service.endpoint_url)
    for name in ("provider", f"{ACCOUNT}:function:provider", arn, f"{arn}:$LATEST"):
        response = client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
        assert response["StatusCode"] == 202
    assert received == [b'{"n": 1}'] * 4

    with pytest.raises(ClientError) as info:
        client.invoke(FunctionName="provider", InvocationType="Event", Payload=json.dumps({"x": "a" * 262_144}))
    assert error_code(info) == "RequestTooLargeException"
    with pytest.raises(ClientError) as info:
        client.invoke(FunctionName="missing", InvocationType="Event", Payload=b"{}")
    assert error_code(info) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        client.invoke(FunctionName=arn.replace(REGION, "eu-west-1"), InvocationType="Event", Payload=b"{}")
    assert error_code(info) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        client.invoke(FunctionName="bad name!", InvocationType="Event", Payload=b"{}")
    assert error_code(info) == "ValidationException"
    with pytest.raises(ClientError) as info:
        client.invoke(FunctionName="provider", InvocationType="Event", Payload=b"not json")
    assert error_code(info) == "InvalidRequestContentException"
    assert len(received) == 4
    assert [r.status for r in lambda_service.invocations][:4] == [202] * 4


# --------------------------------------------------------------------------- Lambda runtime

HANDLER = textwrap.dedent(
    """
    import json, logging, os, sys, time

    logger = logging.getLogger()
    logger.setLevel(logging.INFO)


    def handler(event, context):
        logger.info("mode %s", event["mode"])
        mode = event["mode"]
        if mode == "raise":
            raise RuntimeError("handler failed on purpose")
        if mode == "sleep":
            time.sleep(30)
        if mode == "sleep_once":
            marker = os.path.join(event["dir"], "started")
            if not os.path.exists(marker):
                open(marker, "w").close()
                time.sleep(30)
        if mode == "crhelper":
            import crhelper
        if mode == "self_invoke" and not event.get("again"):
            import boto3
            boto3.client("lambda").invoke(
                FunctionName=context.invoked_function_arn,
                InvocationType="Event",
                Payload=json.dumps(dict(event, again=True)),
            )
        return {
            "env": sorted(os.environ),
            "path": sys.path,
            "remaining": context.get_remaining_time_in_millis(),
            "arn": context.invoked_function_arn,
            "request_id": context.aws_request_id,
        }
    """
)


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "code"
    directory.mkdir()
    (directory / "app.py").write_text(HANDLER)
    return directory


def test_lambda_runtime_returns_and_isolates(code_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARENT_ONLY_VARIABLE", "must not leak")
    with LambdaRuntime(
        code_dir=code_dir, handler="app.handler", environment={"LOG_LEVEL": "DEBUG"}, timeout_seconds=10
    ) as runtime:
        invocation = runtime.invoke({"mode": "return"})
    assert invocation.succeeded
    result = invocation.result
    assert "PARENT_ONLY_VARIABLE" not in result["env"]
    assert {"LOG_LEVEL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_LAMBDA_FUNCTION_NAME"} <= set(result["env"])
    assert not any("site-packages" in entry for entry in result["path"])
    assert result["path"][0] == str(code_dir.resolve())
    assert 0 < result["remaining"] <= 10_000
    assert result["arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:forecast-export-provider"
    assert "[INFO]\t" in invocation.log and f"\t{result['request_id']}\tmode return" in invocation.log
    with pytest.raises(ValueError, match="AWS_REGION"):
        LambdaRuntime(code_dir=code_dir, handler="app.handler", environment={"AWS_REGION": "eu-west-1"})


def test_lambda_runtime_retries_errors_with_the_same_request(code_dir: Path) -> None:
    with LambdaRuntime(code_dir=code_dir, handler="app.handler", timeout_seconds=10, retry_delay_seconds=0) as rt:
        rt.invoke_async({"mode": "raise"})
        rt.wait_idle(timeout=15)
        invocations = rt.invocations
    assert [i.attempt for i in invocations] == [0, 1, 2]
    assert len({i.request_id for i in invocations}) == 1
    assert all(i.exit_code == 1 and i.error_type == "RuntimeError" for i in invocations)
    assert '"errorType": "RuntimeError"' in rt.logs
    assert rt.invocation_count == 3


def test_lambda_runtime_kills_at_timeout_and_retries(code_dir: Path) -> None:
    with LambdaRuntime(
        code_dir=code_dir, handler="app.handler", timeout_seconds=1.0, max_async_retries=1, retry_delay_seconds=0
    ) as runtime:
        runtime.invoke_async({"mode": "sleep"})
        with pytest.raises(TimeoutError, match="running"):
            runtime.wait_idle(timeout=0.3)
        runtime.wait_idle(timeout=10)
        invocations = runtime.invocations
    assert len(invocations) == 2
    assert all(i.timed_out and i.exit_code == -9 for i in invocations)
    assert all(0.9 <= (i.end or 0) - i.start < 3 for i in invocations)
    assert runtime.logs.count("Task timed out after 1.00 seconds") == 2


def test_lambda_runtime_kill_running_counts_as_an_error(code_dir: Path, tmp_path: Path) -> None:
    with LambdaRuntime(code_dir=code_dir, handler="app.handler", timeout_seconds=20, retry_delay_seconds=0) as rt:
        rt.invoke_async({"mode": "sleep_once", "dir": str(tmp_path)})
        deadline = time.monotonic() + 10
        while not (tmp_path / "started").exists():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert rt.kill_running() == 1
        rt.wait_idle(timeout=10)
        first, second = rt.invocations
    assert first.killed and not first.succeeded
    assert second.succeeded and second.attempt == 1


def test_lambda_runtime_imports_only_what_the_code_dir_carries(tmp_path: Path, code_dir: Path) -> None:
    with LambdaRuntime(code_dir=code_dir, handler="app.handler", timeout_seconds=10) as runtime:
        missing = runtime.invoke({"mode": "crhelper"})
    assert missing.error_type == "ModuleNotFoundError"
    assert "No module named 'crhelper'" in missing.log

    staged = stage_code(tmp_path / "staged", ["crhelper"])
    (staged / "app.py").write_text(HANDLER)
    assert not list(staged.rglob("__pycache__"))
    with LambdaRuntime(code_dir=staged, handler="app.handler", timeout_seconds=10) as runtime:
        assert runtime.invoke({"mode": "crhelper"}).succeeded
        broken = LambdaRuntime(code_dir=staged, handler="nope.handler", timeout_seconds=10)
        assert broken.invoke({}).error_type == "Runtime.ImportModuleError"
        broken.close()


def test_lambda_runtime_self_invocation_through_the_lambda_service(
    code_dir: Path, lambda_service: LambdaServiceStandIn
) -> None:
    with LambdaRuntime(
        code_dir=code_dir,
        handler="app.handler",
        timeout_seconds=10,
        lambda_service=lambda_service,
        environment={"AWS_ENDPOINT_URL_LAMBDA": lambda_service.endpoint_url},
    ) as runtime:
        runtime.invoke_async({"mode": "self_invoke"})
        deadline = time.monotonic() + 15
        while runtime.invocation_count < 2:
            assert time.monotonic() < deadline, runtime.logs
            time.sleep(0.05)
        runtime.wait_idle(timeout=15)
        invocations = runtime.invocations
    assert [i.succeeded for i in invocations] == [True, True]
    assert len({i.request_id for i in invocations}) == 2
    (record,) = lambda_service.invocations
    assert (record.function_name, record.invocation_type, record.status) == ("forecast-export-provider", "Event", 202)


def test_events_are_fresh_copies() -> None:
    event = load_event("update", ResponseURL="https://example.invalid/x")
    event["ResourceProperties"]["Tags"].clear()
    again = load_event("update")
    assert again["ResourceProperties"]["Tags"]
    assert again["ResponseURL"] != "https://example.invalid/x"
    assert again["OldResourceProperties"] != again["ResourceProperties"]
    assert load_event("delete")["PhysicalResourceId"] == load_event("update")["PhysicalResourceId"]


CREATE_THEN_RESPOND = textwrap.dedent(
    """
    import boto3
    from botocore.config import Config
    from crhelper.utils import _send_response


    def handler(event, context):
        client = boto3.client("forecast", config=Config(retries={"total_max_attempts": 1}))
        props = event["ResourceProperties"]
        try:
            arn = client.create_forecast_export_job(
                ForecastExportJobName=props["ForecastExportJobName"],
                ForecastArn=props["ForecastArn"],
                Destination=props["Destination"],
            )["ForecastExportJobArn"]
        except client.exceptions.ResourceAlreadyExistsException:
            arn = "adopted"
        body = {
            "Status": "SUCCESS",
            "PhysicalResourceId": arn,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
        }
        _send_response(event["ResponseURL"], body)  # default SSL context: trusts SSL_CERT_FILE
    """
)


def test_stand_ins_together_crash_after_create_and_respond_over_tls(
    tmp_path: Path, response_endpoint: ResponseEndpoint
) -> None:
    code = stage_code(tmp_path / "code", ["crhelper"])
    (code / "app.py").write_text(CREATE_THEN_RESPOND)
    runtime: LambdaRuntime | None = None

    def crash_first_time(kind: str, arn: str) -> None:
        assert runtime is not None
        if runtime.invocation_count == 1:
            runtime.kill_running()

    with ForecastStandIn(after_create=crash_first_time) as service:
        runtime = LambdaRuntime(
            code_dir=code,
            handler="app.handler",
            timeout_seconds=10,
            retry_delay_seconds=0,
            environment={"AWS_ENDPOINT_URL_FORECAST": service.endpoint_url},
            extra_env={"SSL_CERT_FILE": response_endpoint.ca_bundle_path},
        )
        with runtime:
            event = load_event("create")
            url = response_endpoint.new_response_url(event["StackId"], event["LogicalResourceId"], event["RequestId"])
            runtime.invoke_async(dict(event, ResponseURL=url))
            answer = response_endpoint.wait_for_response(url, timeout=15)
            runtime.wait_idle(timeout=10)
            first, second = runtime.invocations
        assert first.killed and second.succeeded
        assert answer["PhysicalResourceId"] == "adopted"
        assert response_endpoint.violations == []
        assert len(service.jobs()) == 1
        assert service.count("CreateForecastExportJob", errors=True) == 2


def test_forecast_self_check_is_loud(monkeypatch: pytest.MonkeyPatch) -> None:
    service = ForecastStandIn().start()
    try:
        client = forecast_client(service.endpoint_url)
        arn = create_export(client, "checked")
        original = service._describe

        def broken(*args: Any) -> dict[str, Any]:
            return dict(original(*args), NotInTheModel=1)

        monkeypatch.setattr(service, "_describe", broken)
        with pytest.raises(ClientError) as info:
            client.describe_forecast_export_job(ForecastExportJobArn=arn)
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    finally:
        with pytest.raises(AssertionError, match="NotInTheModel"):
            service.stop()


# --------------------------------------------------------------------------- fault switches


def test_forecast_list_lags_create_when_asked(clock: FakeClock) -> None:
    with ForecastStandIn(clock=clock, duration=100, list_lag_seconds=3) as service:
        client = forecast_client(service.endpoint_url)
        arn = create_export(client, "lagging")
        assert client.describe_forecast_export_job(ForecastExportJobArn=arn)["Status"] == "CREATE_PENDING"
        assert client.list_forecast_export_jobs()["ForecastExportJobs"] == []
        clock.advance(2.9)
        assert client.list_forecast_export_jobs()["ForecastExportJobs"] == []
        clock.advance(0.1)
        listed = client.list_forecast_export_jobs()["ForecastExportJobs"]
        assert [summary["ForecastExportJobArn"] for summary in listed] == [arn]
        service.list_lag_seconds = lambda kind, name: math.inf if name == "hidden" else 0.0
        hidden = create_export(client, "hidden")
        clock.advance(1000)
        listed = client.list_forecast_export_jobs()["ForecastExportJobs"]
        assert [summary["ForecastExportJobArn"] for summary in listed] == [arn]
        assert client.describe_forecast_export_job(ForecastExportJobArn=hidden)["Status"] == "ACTIVE"


def test_forecast_explainability_filter_can_match_the_exports_own_arn(forecast: ForecastStandIn) -> None:
    client = forecast_client(forecast.endpoint_url)
    arn = client.create_explainability_export(
        ExplainabilityExportName="explained", ExplainabilityArn=EXPLAINABILITY, Destination=DESTINATION
    )["ExplainabilityExportArn"]

    def listed(value: str) -> list[str]:
        filters = [{"Key": "ResourceArn", "Value": value, "Condition": "IS"}]
        return [s["ExplainabilityExportArn"] for s in client.list_explainability_exports(Filters=filters)[
            "ExplainabilityExports"
        ]]  # fmt: skip

    assert forecast.explainability_filter == "source"
    assert (listed(EXPLAINABILITY), listed(arn)) == ([arn], [])
    forecast.explainability_filter = "export"
    assert (listed(EXPLAINABILITY), listed(arn)) == ([], [arn])
    # The other kinds' source filters are unaffected.
    export = create_export(client, "by_forecast")
    by_source = client.list_forecast_export_jobs(Filters=[{"Key": "ForecastArn", "Value": FORECAST, "Condition": "IS"}])
    assert [s["ForecastExportJobArn"] for s in by_source["ForecastExportJobs"]] == [export]
    with pytest.raises(ValueError):
        ForecastStandIn(explainability_filter="both")


def test_forecast_stop_can_lose_the_race_to_active(slow_forecast: ForecastStandIn, clock: FakeClock) -> None:
    client = forecast_client(slow_forecast.endpoint_url)
    arn = create_export(client, "finishing")
    clock.advance(15)
    slow_forecast.stop_loses_race = True
    with pytest.raises(ClientError) as info:
        client.stop_resource(ResourceArn=arn)
    assert error_code(info) == "InvalidInputException"
    assert "not in a stoppable state" in error_message(info)
    described = client.describe_forecast_export_job(ForecastExportJobArn=arn)
    assert described["Status"] == "ACTIVE"
    assert described["LastModificationTime"].timestamp() == pytest.approx(clock.now)
    client.delete_forecast_export_job(ForecastExportJobArn=arn)  # an ACTIVE job can be deleted at once


def test_forecast_resource_limit_refuses_create_with_no_job_in_progress(clock: FakeClock) -> None:
    with ForecastStandIn(clock=clock, duration=1, resource_limit=1, max_concurrent_per_kind=3) as service:
        client = forecast_client(service.endpoint_url)
        create_export(client, "the_only_one")
        clock.advance(1)
        assert (
            client.list_forecast_export_jobs(Filters=[{"Key": "Status", "Value": "ACTIVE", "Condition": "IS_NOT"}])[
                "ForecastExportJobs"
            ]
            == []
        )
        with pytest.raises(ClientError) as info:
            create_export(client, "one_too_many")
        assert error_code(info) == "LimitExceededException"
        assert "exceeded the limit of 1 resources" in error_message(info)
        # A quota for one kind leaves the others alone.
        service.resource_limit = {"forecast_export": 0}
        client.create_predictor_backtest_export_job(
            PredictorBacktestExportJobName="backtest", PredictorArn=PREDICTOR, Destination=DESTINATION
        )
        with pytest.raises(ClientError) as info:
            create_export(client, "still_refused", source=OTHER_FORECAST)
        assert error_code(info) == "LimitExceededException"
        assert [job.name for job in service.jobs()] == ["the_only_one", "backtest"]


def test_forecast_concurrency_cap_counts_only_jobs_in_progress(clock: FakeClock) -> None:
    with ForecastStandIn(clock=clock, pending_seconds=1, duration=10, stop_seconds=5, max_concurrent_per_kind=3) as svc:
        client = forecast_client(svc.endpoint_url)
        first = create_export(client, "first")  # CREATE_PENDING
        clock.advance(1)
        create_export(client, "second")  # CREATE_PENDING while the first is CREATE_IN_PROGRESS
        create_export(client, "third")
        with pytest.raises(ClientError) as info:
            create_export(client, "fourth")
        assert error_code(info) == "LimitExceededException"
        assert "concurrent job limit of 3" in error_message(info)
        client.stop_resource(ResourceArn=first)  # CREATE_STOPPING frees the slot
        create_export(client, "fourth")
        clock.advance(10)  # every job has left CREATE_PENDING / CREATE_IN_PROGRESS
        create_export(client, "fifth")
        create_export(client, "sixth")
        assert svc.max_concurrency("forecast_export") == 3


def test_forecast_tag_limit_counts_tags_added_before_any_are_removed(forecast: ForecastStandIn) -> None:
    client = forecast_client(forecast.endpoint_url)
    fifty = [{"Key": f"k{i:02d}", "Value": "v"} for i in range(50)]
    arn = create_export(client, "full", Tags=fifty)
    for tags in (
        [{"Key": "K00", "Value": "v"}],  # keys are case-sensitive: a new key
        [{"Key": f"n{i:02d}", "Value": "v"} for i in range(50)],
    ):
        with pytest.raises(ClientError) as info:
            client.tag_resource(ResourceArn=arn, Tags=tags)
        assert error_code(info) == "LimitExceededException"
        assert "at most 50 tags" in error_message(info)
    assert forecast.job(arn).tags == {tag["Key"]: tag["Value"] for tag in fifty}
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "k00", "Value": "changed"}])  # a change adds nothing
    client.untag_resource(ResourceArn=arn, TagKeys=["k00"])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "K00", "Value": "v"}])
    assert len(forecast.job(arn).tags) == 50


@pytest.mark.parametrize(
    ("noun", "create"),
    [
        ("ForecastExportJob", lambda c, n: create_export(c, n)),
        (
            "PredictorBacktestExportJob",
            lambda c, n: c.create_predictor_backtest_export_job(
                PredictorBacktestExportJobName=n, PredictorArn=PREDICTOR, Destination=DESTINATION
            )["PredictorBacktestExportJobArn"],
        ),
        (
            "ExplainabilityExport",
            lambda c, n: c.create_explainability_export(
                ExplainabilityExportName=n, ExplainabilityArn=EXPLAINABILITY, Destination=DESTINATION
            )["ExplainabilityExportArn"],
        ),
        (
            "WhatIfForecastExport",
            lambda c, n: c.create_what_if_forecast_export(
                WhatIfForecastExportName=n, WhatIfForecastArns=[WHAT_IF], Destination=DESTINATION
            )["WhatIfForecastExportArn"],
        ),
    ],
)
def test_forecast_lists_filter_on_status_for_every_kind(
    clock: FakeClock, noun: str, create: Callable[[Any, str], str]
) -> None:
    with ForecastStandIn(clock=clock, pending_seconds=1, duration=10) as service:
        client = forecast_client(service.endpoint_url)
        done = create(client, "done")
        clock.advance(10)
        running = create(client, "running")
        clock.advance(1)
        operation = (
            "list_"
            + {
                "ForecastExportJob": "forecast_export_jobs",
                "PredictorBacktestExportJob": "predictor_backtest_export_jobs",
                "ExplainabilityExport": "explainability_exports",
                "WhatIfForecastExport": "what_if_forecast_exports",
            }[noun]
        )
        key = noun + "s"

        def listed(condition: str, status: str) -> list[str]:
            filters = [{"Key": "Status", "Value": status, "Condition": condition}]
            return [s[noun + "Arn"] for s in getattr(client, operation)(Filters=filters)[key]]

        assert listed("IS", "CREATE_IN_PROGRESS") == [running]
        assert listed("IS", "ACTIVE") == [done]
        assert listed("IS_NOT", "ACTIVE") == [running]
        assert listed("IS", "CREATE_PENDING") == []


def test_forecast_answers_after_a_per_operation_delay(forecast: ForecastStandIn) -> None:
    client = forecast_client(forecast.endpoint_url)
    arn = create_export(client, "slow")

    def timed(call: Callable[[], object]) -> float:
        started = time.monotonic()
        call()
        return time.monotonic() - started

    forecast.answer_delay = {"DescribeForecastExportJob": 0.3}
    assert timed(lambda: client.describe_forecast_export_job(ForecastExportJobArn=arn)) >= 0.3
    assert timed(lambda: client.list_forecast_export_jobs()) < 0.25
    forecast.answer_delay = 0.2
    assert timed(lambda: client.list_forecast_export_jobs()) >= 0.2
    forecast.answer_delay = lambda operation: 0.25 if operation == "ListTagsForResource" else 0.0
    assert timed(lambda: client.list_tags_for_resource(ResourceArn=arn)) >= 0.25
    assert timed(lambda: client.describe_forecast_export_job(ForecastExportJobArn=arn)) < 0.2


def test_forecast_answers_an_injected_error_instead(forecast: ForecastStandIn) -> None:
    client = forecast_client(forecast.endpoint_url)
    arn = create_export(client, "denied")

    def deny_describe(operation: str, params: dict[str, Any]) -> tuple[str, str, int] | None:
        if operation == "DescribeForecastExportJob":
            return ("AccessDeniedException", "not authorized to perform forecast:DescribeForecastExportJob", 400)
        return None

    forecast.inject_error = deny_describe
    with pytest.raises(ClientError) as info:
        client.describe_forecast_export_job(ForecastExportJobArn=arn)
    assert error_code(info) == "AccessDeniedException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "forecast:DescribeForecastExportJob" in error_message(info)
    assert client.list_forecast_export_jobs()["ForecastExportJobs"]
    assert forecast.count("DescribeForecastExportJob", errors=True) == 1
    forecast.inject_error = None
    assert client.describe_forecast_export_job(ForecastExportJobArn=arn)["ForecastExportJobName"] == "denied"


def test_lambda_service_refuses_or_throttles_invoke_when_asked(lambda_service: LambdaServiceStandIn) -> None:
    received: list[bytes] = []
    lambda_service.register("provider", received.append)
    client = lambda_client(lambda_service.endpoint_url)

    def invoke() -> ClientError | None:
        try:
            client.invoke(FunctionName="provider", InvocationType="Event", Payload=b"{}")
        except ClientError as error:
            return error
        return None

    lambda_service.invoke_error = "AccessDeniedException"
    denied = invoke()
    assert denied is not None
    assert denied.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert denied.response["Error"]["Code"] == "AccessDeniedException"
    assert "lambda:InvokeFunction" in denied.response["Error"]["Message"]
    assert invoke() is not None, "without a count the switch applies to every call"

    lambda_service.invoke_error = "TooManyRequestsException"
    lambda_service.invoke_error_count = 2
    throttled = [invoke(), invoke(), invoke()]
    assert throttled[2] is None
    for error in throttled[:2]:
        assert error is not None
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert error.response["Error"]["Code"] == "TooManyRequestsException"
        response: Any = error.response  # Lambda's throttling answer carries a Reason that botocore's type omits
        assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert received == [b"{}"]
    assert [r.status for r in lambda_service.invocations] == [403, 403, 429, 429, 202]


def test_cloudformation_times_a_request_out_at_its_service_timeout(response_endpoint: ResponseEndpoint) -> None:
    from tests.standins.cloudformation import CloudFormationStandIn

    cloudformation = CloudFormationStandIn(response_endpoint)

    def request(service_timeout: str | None) -> tuple[str, dict[str, Any]]:
        event = load_event("create")
        if service_timeout is not None:
            event["ResourceProperties"]["ServiceTimeout"] = service_timeout
        url = response_endpoint.new_response_url(event["StackId"], event["LogicalResourceId"], event["RequestId"])
        event["ResponseURL"] = url
        body = {
            "Status": "FAILED",
            "PhysicalResourceId": "arn:aws:forecast:us-east-1:123456789012:forecast-export-job/a/b",
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Reason": "it failed",
        }
        return url, dict(event=event, body=body)

    in_time, parts = request("35")
    cloudformation.sent(parts["event"], at=time.monotonic())
    assert cloudformation.service_timeout(in_time) == 35
    assert cloudformation.outcome(in_time) is None, "still waiting"
    _send_response(in_time, parts["body"], ssl_verify=response_endpoint.ca_bundle_path)
    assert cloudformation.wait_outcome(in_time, timeout=5) == "FAILED"
    arrival = cloudformation.arrival(in_time)
    assert arrival is not None and 0 <= arrival < 5
    assert cloudformation.answer(in_time) == parts["body"]

    late, parts = request("2")
    cloudformation.sent(parts["event"], at=time.monotonic() - 3)  # sent 3 s ago: the 2 s have run out
    assert cloudformation.outcome(late) == "TIMED_OUT"
    _send_response(late, dict(parts["body"], Status="SUCCESS"), ssl_verify=response_endpoint.ca_bundle_path)
    response_endpoint.wait_for_response(late, timeout=5)
    assert cloudformation.outcome(late) == "TIMED_OUT"
    assert cloudformation.answer(late) is None
    assert [answer["Status"] for answer in cloudformation.late_answers(late)] == ["SUCCESS"]

    pending, parts = request("1")
    cloudformation.sent(parts["event"])
    started = time.monotonic()
    assert cloudformation.wait_outcome(pending, timeout=5) == "TIMED_OUT"
    assert 0.9 <= time.monotonic() - started < 3
    default, parts = request(None)
    cloudformation.sent(parts["event"])
    assert cloudformation.service_timeout(default) == 3600
    with pytest.raises(TimeoutError):
        cloudformation.wait_outcome(default, timeout=0.2)
