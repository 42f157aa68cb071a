"""Generated export names."""

from __future__ import annotations

import re

from forecast_export_provider.naming import (
    LEGACY_DIGEST_LENGTH,
    generated_name,
    generated_name_head,
    is_generated_for,
    legacy_name_head,
    stack_name_of,
)
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


def test_the_head_known_at_synth_time_starts_every_name_generated_at_run_time() -> None:
    """Fault table: "a forged Delete with another stack's id and another team's export ARN"."""
    head = generated_name_head("app", "Export1")
    assert generated_name(STACK, "Export1", "req-1").startswith(head)
    assert generated_name(STACK, "Export1", "req-2").startswith(head)
    assert stack_name_of(STACK) == "app"


def test_two_stacks_with_the_same_logical_id_get_heads_that_do_not_match_each_other() -> None:
    """Fault table: "two stacks of one app (dev and prod) in one account"."""
    dev, prod = generated_name_head("dev", "Export1"), generated_name_head("prod", "Export1")
    assert not dev.startswith(prod) and not prod.startswith(dev)
    dev_name = generated_name(STACK.replace("/app/", "/dev/"), "Export1", "req")
    assert is_generated_for(dev_name, "dev", "Export1")
    assert not is_generated_for(dev_name, "prod", "Export1")
    assert not is_generated_for(dev_name, "dev", "Export2")


def test_names_of_earlier_releases_still_belong_to_their_logical_id_and_nothing_else() -> None:
    """Fault table: "an export created by an earlier release (no stack part in its name)"."""
    legacy = "Export1_0123456789abcdef"
    assert is_generated_for(legacy, "app", "Export1")
    assert not is_generated_for(legacy, "app", "Export2")
    assert not is_generated_for("Export1_0123456789abcdefX", "app", "Export1")
    assert not is_generated_for("Export1_someone_elses", "app", "Export1")
    assert legacy_name_head("Export1") + "f" * LEGACY_DIGEST_LENGTH == "Export1_ffffffffffffffff"


def test_heads_and_names_of_long_logical_ids_stay_within_sixty_three_characters() -> None:
    for logical_id in ["x" * 255, "A" * 37, "A" * 38, "9" * 80]:
        name = generated_name(STACK, logical_id, "req")
        assert len(name) <= 63 and name.startswith(generated_name_head("app", logical_id))
