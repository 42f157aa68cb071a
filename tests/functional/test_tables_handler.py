"""The table resource through the real entry point: crhelper, the dispatch, and the HTTPS answer.

The handler runs in process (moto intercepts its S3 and Glue clients); Forecast is the stand-in,
reached through ``AWS_ENDPOINT_URL_FORECAST``; the answer travels over HTTPS to 127.0.0.1.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.test_tables_exports import ACCOUNT, BUCKET, DATABASE, REGION, World, started_world
from tests.standins.cfn_endpoint import ResponseEndpoint
from tests.standins.events import load_event

FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:forecast-export-provider"


class _Context:
    invoked_function_arn = FUNCTION_ARN
    function_name = "forecast-export-provider"
    aws_request_id = "c0ffee00-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch, response_endpoint: ResponseEndpoint) -> Iterator[tuple[Any, World]]:
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("SSL_CERT_FILE", response_endpoint.ca_bundle_path)
    for world in started_world():
        monkeypatch.setenv("AWS_ENDPOINT_URL_FORECAST", world.standin.endpoint_url)
        import forecast_export_provider.entrypoint as entrypoint

        entrypoint.install(None)
        try:
            yield entrypoint, world
        finally:
            entrypoint.install(None)


def table_event(
    endpoint: ResponseEndpoint, request_type: str, properties: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    event = load_event(request_type.lower())
    request_id = str(uuid.uuid4())
    event.update(
        RequestId=request_id,
        ResourceType="Custom::ForecastExportTable",
        LogicalResourceId="DailyTable",
        ResponseURL=endpoint.new_response_url(event["StackId"], "DailyTable", request_id),
        ResourceProperties=properties,
        **fields,
    )
    event.pop("OldResourceProperties", None)
    return event


def test_a_table_is_created_and_deleted_through_the_entry_point(
    handler: tuple[Any, World], response_endpoint: ResponseEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    entrypoint, world = handler
    export_arn = world.make_export("forecast_export", "daily")
    data_before = world.objects("exports/")
    properties = {
        "ServiceToken": FUNCTION_ARN,
        "ExportArn": export_arn,
        "DatabaseName": DATABASE,
        "TableName": "daily",
        "ManifestLocation": f"s3://{BUCKET}/athena/tables/{DATABASE}/daily/",
    }
    caplog.set_level(logging.DEBUG)

    create = table_event(response_endpoint, "Create", properties)
    entrypoint.handler(create, _Context())
    created = response_endpoint.wait_for_response(create["ResponseURL"], timeout=10)
    assert created["Status"] == "SUCCESS", created["Reason"]
    assert created["PhysicalResourceId"] == f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{DATABASE}/daily"
    assert created["Data"]["TableName"] == "daily" and created["Data"]["Format"] == "CSV"
    assert world.glue.get_table(DatabaseName=DATABASE, Name="daily")["Table"]["Name"] == "daily"

    delete = table_event(response_endpoint, "Delete", properties, PhysicalResourceId=created["PhysicalResourceId"])
    entrypoint.handler(delete, _Context())
    deleted = response_endpoint.wait_for_response(delete["ResponseURL"], timeout=10)
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert world.glue.get_tables(DatabaseName=DATABASE)["TableList"] == []
    assert world.objects("exports/") == data_before, "the export's files are data: never touched"
    for url in (create["ResponseURL"], delete["ResponseURL"]):
        assert response_endpoint.secret_of(url) not in caplog.text


def test_a_bad_table_property_fails_through_the_entry_point_naming_it(
    handler: tuple[Any, World], response_endpoint: ResponseEndpoint
) -> None:
    entrypoint, world = handler
    properties = {
        "ServiceToken": FUNCTION_ARN,
        "ExportArn": "arn:aws:forecast:us-east-1:123456789012:forecast-export-job/demand/daily",
        "DatabaseName": "Not-Athena-Safe",
        "TableName": "daily",
        "ManifestLocation": f"s3://{BUCKET}/athena/tables/x/daily/",
    }
    create = table_event(response_endpoint, "Create", properties)
    entrypoint.handler(create, _Context())
    answer = response_endpoint.wait_for_response(create["ResponseURL"], timeout=10)
    assert answer["Status"] == "FAILED"
    assert "DatabaseName" in answer["Reason"] and "Not-Athena-Safe" in answer["Reason"]
    assert world.standin.calls == []
