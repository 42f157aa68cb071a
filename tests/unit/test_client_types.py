"""The client types mypy checks the provider against agree with the models boto3 runs with.

The provider's clients are typed with the types-boto3 stubs (under TYPE_CHECKING only), whose newest
release is for an earlier boto3 than the one pinned. For every operation the provider calls, the
stub's request and response types must name the members that the pinned botocore's model names;
a drift here would let mypy pass code that the real client refuses, or refuse code that works.
"""

from __future__ import annotations

import importlib
from typing import Any

import botocore.session
import pytest
from botocore import xform_name

from forecast_export_provider.kinds import KINDS

STUB_PACKAGES = {
    "forecast": ("types_boto3_forecast", "ForecastServiceClient"),
    "glue": ("types_boto3_glue", "GlueClient"),
    "s3": ("types_boto3_s3", "S3Client"),
    "lambda": ("types_boto3_lambda", "LambdaClient"),
}

CALLED = [
    *(
        ("forecast", operation)
        for kind in KINDS
        for operation in (kind.create_operation, kind.describe_operation, kind.delete_operation, kind.list_operation)
    ),
    *(("forecast", operation) for operation in ("StopResource", "ListTagsForResource", "TagResource", "UntagResource")),
    *(("glue", operation) for operation in ("GetDatabase", "GetTable", "CreateTable", "UpdateTable", "DeleteTable")),
    *(("s3", operation) for operation in ("ListObjectsV2", "GetObject", "PutObject", "DeleteObject")),
    ("lambda", "Invoke"),
]
"""Every operation the provider calls (the kinds table's and the fixed ones)."""
FILLED_IN_BY_BOTOCORE = frozenset({"SSECustomerKeyMD5", "CopySourceSSECustomerKeyMD5"})
"""Request members that botocore computes itself, which the stubs therefore leave out."""


def runtime_operation(service: str, operation: str) -> Any:
    return botocore.session.get_session().get_service_model(service).operation_model(operation)


def stub_types(service: str, operation: str) -> tuple[Any, Any]:
    """The stub's request and response TypedDicts of ``operation``."""
    package, client_class = STUB_PACKAGES[service]
    method = getattr(getattr(importlib.import_module(f"{package}.client"), client_class), xform_name(operation))
    type_defs = importlib.import_module(f"{package}.type_defs")
    kwargs = method.__annotations__["kwargs"]
    request = getattr(type_defs, kwargs.split("[", 1)[1].rstrip("]"))
    # An operation with an empty answer returns ``dict[str, Any]``: no members to compare.
    response = getattr(type_defs, method.__annotations__["return"], None)
    return request, response


@pytest.mark.parametrize("service, operation", CALLED, ids=[f"{s}.{o}" for s, o in CALLED])
def test_the_stub_of_each_called_operation_matches_the_pinned_model(service: str, operation: str) -> None:
    model = runtime_operation(service, operation)
    request, response = stub_types(service, operation)

    members = set(model.input_shape.members) - FILLED_IN_BY_BOTOCORE if model.input_shape else set()
    required = set(model.input_shape.required_members) if model.input_shape else set()
    annotations: dict[str, Any] = request.__annotations__
    # The stubs postpone their annotations (forward references), so the optional keys are read from their text.
    optional = {key for key, ref in annotations.items() if ref.__forward_arg__.startswith("NotRequired[")}
    assert set(annotations) == members
    assert set(annotations) - optional == required
    if response is not None and model.output_shape is not None:
        assert set(model.output_shape.members) <= set(response.__annotations__)
