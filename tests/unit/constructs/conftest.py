"""Synthesized stacks shared by the construct tests.

Synthesis goes through jsii and takes seconds, so each stack is built once per test process
(session scope) and the tests that read it share an ``xdist_group`` to land on the same worker.
"""

from __future__ import annotations

import pytest

from tests.unit.constructs.cdk_test_support import Synthesized, build_custom, build_example, build_many


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The example app's stack, synthesized with cdk.json's flags and cdk-nag's AwsSolutions pack."""
    return build_example(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="session")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Literal ARNs, explicit settings, existing resources and a reader, in one stack."""
    return build_custom(tmp_path_factory.mktemp("custom"))


@pytest.fixture(scope="session")
def many(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Ten exports of all kinds over two destinations in one stack."""
    return build_many(tmp_path_factory.mktemp("many"))
