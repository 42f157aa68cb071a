"""What `make mutate` measures: each module of the handler, the functions of it whose logic users
depend on, and the fast tests that must notice a change in them. Edit this table to add a module
or to follow one that moves."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """One module measured on its own, against its own tests."""

    module: str
    """The module's path under lambda/, e.g. ``forecast_export_provider/schema.py``."""
    tests: tuple[str, ...]
    """The test files (or node ids) that run against the module's mutants."""
    functions: tuple[str, ...] = ()
    """Only these functions (``name`` or ``Class.method``); all of the module's when empty."""


# Calls and variables whose string literals are only the text of a message (a Reason, a problem,
# an error): a mutant changing nothing else is counted apart, as "text only".
MESSAGE_CALLS = frozenset({"add", "Problem", "SchemaError", "InvalidProperties", "_Failure", "failed", "timed_out"})
MESSAGE_VARIABLES = frozenset({"rule", "hint", "reason", "message", "more", "suffix", "part"})
# Functions whose every string literal is message text.
MESSAGE_FUNCTIONS = frozenset({"summarize", "show", "__str__", "_brief", "no_time_reason"})

TARGETS: dict[str, Target] = {
    "schema": Target(
        "forecast_export_provider/schema.py",
        ("tests/unit/test_tables_schema.py", "tests/unit/test_schema_types.py"),
    ),
    "validation": Target(
        "forecast_export_provider/validation.py",
        (
            "tests/unit/test_validation.py",
            "tests/unit/test_validation_destination.py",
            "tests/unit/test_validation_problems.py",
        ),
    ),
    "queueing": Target(
        "forecast_export_provider/queueing.py",
        ("tests/unit/test_queueing.py", "tests/unit/test_queueing_prediction.py"),
    ),
    # The lifecycle's decisions: what a request does given what Forecast shows.
    "lifecycle": Target(
        "forecast_export_provider/lifecycle.py",
        # test_waiting_budget.py is left out: its simulations take seconds per mutant.
        (
            "tests/unit/lifecycle/test_lifecycle.py",
            "tests/unit/lifecycle/test_lifecycle_creates.py",
            "tests/unit/lifecycle/test_lifecycle_updates_and_deletes.py",
        ),
        functions=(
            "failure_physical_id",
            "_Run.update",
            "_Run.delete",
            "_Run.await_active",
            "_Run.dismantle",
            "_Run.start_export",
            "_Run.queue_for_a_slot",
            "_Run.adoptable",
            "_Run.keeps_name",
            "_Run.count_from",
            "_Run.failed",
            "_Run.clean_up_then_fail",
            "_Run.answer_then_clean_up",
        ),
    ),
    # The table's file selection: which objects under the export's path the table reads.
    "tables": Target(
        "forecast_export_provider/tables/export_files.py",
        ("tests/unit/test_tables_file_selection.py",),
        functions=("run_files",),
    ),
}
