"""Whose table it is: the mark of stack and logical resource, moves, rollbacks, lost answers, other accounts.

Rows of the fault table in docs/design.md, "Faults of the table resource".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from forecast_export_provider.resource import Request
from forecast_export_provider.tables import FAILED, SUCCESS, TableResource
from tests.functional.test_tables_exports import ACCOUNT, BUCKET, DATABASE, REGION, World, started_world
from tests.functional.test_tables_lifecycle import glue_tables, manifest, properties, table_arn
from tests.properties import table_request

STACK = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/analytics/0a1b2c3d-0000-4000-8000-000000000001"
OTHER_STACK = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/reporting/0a1b2c3d-0000-4000-8000-000000000002"


@pytest.fixture
def world() -> Iterator[World]:
    yield from started_world()


def resource(world: World, *, glue: Any = None, s3: Any = None) -> TableResource:
    return TableResource(
        glue=glue or world.glue,
        s3=s3 or world.s3,
        forecast=world.forecast,
        account_id=ACCOUNT,
        partition="aws",
        region=REGION,
    )


def request(export_arn: str, logical_id: str = "DailyTable", *, stack: str = STACK, **fields: Any) -> Request:
    return table_request(properties(export_arn), stack_id=stack, logical_id=logical_id, **fields)


def mark_of(world: World, table: str = "daily") -> tuple[str | None, str | None, str | None]:
    parameters = glue_tables(world)[table]["Parameters"]
    return (
        parameters.get("forecast_export_table_stack"),
        parameters.get("forecast_export_table_resource"),
        parameters.get("forecast_export_table_previous_resource"),
    )


class _Proxy:
    """A boto3 client whose calls can be recorded or replaced, one method at a time."""

    def __init__(self, client: Any, **replaced: Any) -> None:
        self._client = client
        self._replaced = replaced
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        method = self._replaced.get(name) or getattr(self._client, name)

        def recorded(**params: Any) -> Any:
            self.calls.append((name, params))
            return method(**params)

        return recorded


def test_a_table_moved_to_a_new_logical_id_is_taken_over_and_survives_the_old_ones_delete(world: World) -> None:
    """Fault table: a table resource moved to a new logical id in the same stack."""
    tables = resource(world)
    export_arn = world.make_export("forecast_export", "daily_export")
    old = tables.create(request(export_arn, "DailyTable"))

    new = tables.create(request(export_arn, "MovedTable"))
    old_deleted = tables.delete(request(export_arn, "DailyTable", physical_id=old.physical_id))

    assert (new.status, new.physical_id) == (SUCCESS, old.physical_id), new.reason
    assert old_deleted.status == SUCCESS
    assert mark_of(world) == (STACK, "MovedTable", None)
    assert len(manifest(world, "daily")) == 2
    assert tables.delete(request(export_arn, "MovedTable", physical_id=new.physical_id)).status == SUCCESS
    assert glue_tables(world) == {}
    assert world.objects("athena/") == {}


def test_the_rollback_of_a_move_hands_the_table_back_to_the_old_logical_id(world: World) -> None:
    """Fault table: a move whose stack update rolls back (the new resource is deleted, the old one stays)."""
    tables = resource(world)
    export_arn = world.make_export("forecast_export", "daily_export")
    old = tables.create(request(export_arn, "DailyTable"))
    new = tables.create(request(export_arn, "MovedTable"))

    rolled_back = tables.delete(request(export_arn, "MovedTable", physical_id=new.physical_id))

    assert rolled_back.status == SUCCESS
    assert mark_of(world) == (STACK, "DailyTable", None)
    assert len(manifest(world, "daily")) == 2
    assert tables.update(request(export_arn, "DailyTable", physical_id=old.physical_id)).status == SUCCESS
    assert tables.delete(request(export_arn, "DailyTable", physical_id=old.physical_id)).status == SUCCESS
    assert glue_tables(world) == {}


def test_another_stacks_table_of_the_same_name_and_location_is_left_alone(world: World) -> None:
    """Fault table: two stacks with the same database, table name and manifest location."""
    tables = resource(world)
    export_arn = world.make_export("forecast_export", "daily_export")
    theirs = tables.create(request(export_arn, stack=OTHER_STACK))

    ours = tables.create(request(export_arn))
    ours_deleted = tables.delete(request(export_arn, physical_id=table_arn("daily")))

    assert ours.status == FAILED and "already exists" in ours.reason
    assert ours.physical_id != theirs.physical_id
    assert ours_deleted.status == SUCCESS
    assert mark_of(world) == (OTHER_STACK, "DailyTable", None)
    assert len(manifest(world, "daily")) == 2


def _with_the_earlier_mark(world: World) -> None:
    table = glue_tables(world)["daily"]
    earlier = {key: value for key, value in table["Parameters"].items() if key == "forecast_export_table"}
    world.glue.update_table(
        DatabaseName=DATABASE,
        TableInput={"Name": "daily", "StorageDescriptor": table["StorageDescriptor"], "Parameters": earlier},
    )


def test_a_table_with_an_earlier_versions_mark_still_updates_and_deletes(world: World) -> None:
    """Fault table: tables made before the mark named the stack (export ARN only)."""
    tables = resource(world)
    export_arn = world.make_export("forecast_export", "daily_export")
    created = tables.create(request(export_arn))
    _with_the_earlier_mark(world)

    updated = tables.update(request(export_arn, physical_id=created.physical_id))
    marked = mark_of(world)
    deleted = tables.delete(request(export_arn, physical_id=created.physical_id))

    assert (updated.status, deleted.status) == (SUCCESS, SUCCESS), updated.reason
    assert marked == (STACK, "DailyTable", None)
    assert glue_tables(world) == {}


def test_a_table_with_an_earlier_versions_mark_can_move_to_a_new_logical_id(world: World) -> None:
    """Fault table: tables made before the mark named the stack (export ARN only), moved."""
    tables = resource(world)
    export_arn = world.make_export("forecast_export", "daily_export")
    created = tables.create(request(export_arn))
    _with_the_earlier_mark(world)

    moved = tables.create(request(export_arn, "MovedTable"))
    old_deleted = tables.delete(request(export_arn, physical_id=created.physical_id))

    assert (moved.status, old_deleted.status) == (SUCCESS, SUCCESS), moved.reason
    assert mark_of(world) == (STACK, "MovedTable", None)
    assert tables.delete(request(export_arn, "MovedTable", physical_id=moved.physical_id)).status == SUCCESS
    assert glue_tables(world) == {}


def test_a_lost_create_table_answer_is_looked_up_and_the_table_kept(world: World) -> None:
    """Fault table: CreateTable succeeds but its answer is lost; the retry meets AlreadyExistsException."""
    export_arn = world.make_export("forecast_export", "daily_export")

    def create_table_whose_answer_is_lost(**params: Any) -> Any:
        world.glue.create_table(**params)
        error: Any = {"Error": {"Code": "AlreadyExistsException", "Message": "Table already exists."}}
        raise ClientError(error, "CreateTable")

    glue = _Proxy(world.glue, create_table=create_table_whose_answer_is_lost)

    outcome = resource(world, glue=glue).create(request(export_arn))

    assert (outcome.status, outcome.physical_id) == (SUCCESS, table_arn("daily")), outcome.reason
    assert len(manifest(world, "daily")) == 2
    assert mark_of(world) == (STACK, "DailyTable", None)


def test_a_create_that_fails_after_writing_answers_an_id_the_rollback_delete_cleans_up_with(world: World) -> None:
    """Fault table: a Create fails after its manifest is written and its clean-up fails too."""
    export_arn = world.make_export("forecast_export", "daily_export")

    def refused(**params: Any) -> Any:
        error: Any = {"Error": {"Code": "InternalServiceException", "Message": "try later"}}
        raise ClientError(error, "CreateTable")

    def lost(**params: Any) -> Any:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "slow down"}}, "DeleteObject")

    failing = resource(world, glue=_Proxy(world.glue, create_table=refused), s3=_Proxy(world.s3, delete_object=lost))

    outcome = failing.create(request(export_arn))
    rolled_back = resource(world).delete(request(export_arn, physical_id=outcome.physical_id))

    assert outcome.status == FAILED and "InternalServiceException" in outcome.reason
    assert outcome.physical_id == table_arn("daily")
    assert rolled_back.status == SUCCESS
    assert world.objects("athena/") == {}
    assert glue_tables(world) == {}


def test_every_s3_call_names_the_provider_account_as_the_expected_bucket_owner(world: World) -> None:
    """Fault table: a bucket that another account owns (its name freed and taken)."""
    export_arn = world.make_export("forecast_export", "daily_export")
    s3 = _Proxy(world.s3)
    tables = resource(world, s3=s3)

    created = tables.create(request(export_arn))
    tables.delete(request(export_arn, physical_id=created.physical_id))

    assert {name for name, _ in s3.calls} >= {"list_objects_v2", "get_object", "put_object", "delete_object"}
    assert all(params.get("ExpectedBucketOwner") == ACCOUNT for _, params in s3.calls)


def test_a_bucket_of_another_account_fails_with_a_clear_reason(world: World) -> None:
    """Fault table: a bucket that another account owns (its name freed and taken)."""
    export_arn = world.make_export("forecast_export", "daily_export")

    def owned_elsewhere(**params: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "ListObjectsV2")

    outcome = resource(world, s3=_Proxy(world.s3, list_objects_v2=owned_elsewhere)).create(request(export_arn))

    assert outcome.status == FAILED
    assert outcome.reason.startswith(f"ListObjectsV2 on bucket {BUCKET} failed: AccessDenied")
    assert f"must belong to account {ACCOUNT}" in outcome.reason
    assert glue_tables(world) == {}


@pytest.mark.parametrize(
    ("account", "region"), [("210987654321", REGION), (ACCOUNT, "eu-west-1")], ids=["account", "region"]
)
def test_an_export_arn_of_another_account_or_region_fails_before_any_call(
    world: World, account: str, region: str
) -> None:
    """Fault table: an ExportArn of another account or region than the provider's."""
    foreign = f"arn:aws:forecast:{region}:{account}:forecast-export-job/demand/daily_export"
    glue, s3 = _Proxy(world.glue), _Proxy(world.s3)

    outcome = resource(world, glue=glue, s3=s3).create(request(foreign))

    assert outcome.status == FAILED
    assert outcome.reason.startswith(f"ExportArn {foreign} is in account {account}, region {region}")
    assert glue.calls == [] and s3.calls == [] and world.standin.calls == []
