"""Generated export names."""

from __future__ import annotations

import re

from forecast_export_provider.naming import generated_name
from forecast_export_provider.validation import find_problems
from tests.properties import valid_properties

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/0a1b2c3d"


def test_same_request_gives_the_same_name() -> None:
    assert generated_name(STACK, "Export1", "req-1") == generated_name(STACK, "Export1", "req-1")


def test_name_is_unique_per_stack_resource_and_request() -> None:
    names = {
        generated_name(STACK, "Export1", "req-1"),
        generated_name(STACK, "Export1", "req-2"),
        generated_name(STACK, "Export2", "req-1"),
        generated_name(STACK.replace("app", "other"), "Export1", "req-1"),
    }
    assert len(names) == 4


def test_generated_names_are_valid_for_any_logical_id() -> None:
    for logical_id in ["Export1", "9Starts", "x" * 255, "Odd-Chars.Here", ""]:
        name = generated_name(STACK, logical_id, "req")
        assert re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_]{0,62}", name), name
        assert find_problems(valid_properties(ForecastExportJobName=name)) == []
