"""Synth-time checks shared by the constructs: prefix shape, removal policies, one error for all, and
warnings for what is legal but likely not meant."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Annotations, RemovalPolicy, Token
from constructs import IConstruct

# S3's "safe characters" for object keys, plus the "/" delimiter.
_SAFE_PREFIX = re.compile(r"[A-Za-z0-9!_.*'()/-]*")
MAX_PREFIX_LENGTH = 512

ALLOWED_REMOVAL_POLICIES = (
    RemovalPolicy.DESTROY,
    RemovalPolicy.RETAIN,
    RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
)


def prefix_problems(prop: str, value: object) -> list[str]:
    """Why ``value`` is not a usable S3 key prefix (empty, or ``segment/.../``)."""
    if not isinstance(value, str):
        return [f"{prop} must be a string; got {value!r}"]
    if Token.is_unresolved(value):
        return []
    fix = "use '' or segments of letters, digits and !_.*'()- each followed by '/', e.g. 'exports/daily/'"
    problems = []
    if len(value) > MAX_PREFIX_LENGTH:
        problems.append(f"{prop} must be at most {MAX_PREFIX_LENGTH} characters; got {len(value)} characters")
    elif not _SAFE_PREFIX.fullmatch(value):
        problems.append(f"{prop} has characters S3 keys should avoid; got {value!r}: {fix}")
    elif value and (
        not value.endswith("/") or value.startswith("/") or any(seg in ("", ".", "..") for seg in value[:-1].split("/"))
    ):
        problems.append(
            f"{prop} must be empty or end with '/' and have no empty, '.' or '..' segments; got {value!r}: {fix}"
        )
    return problems


def removal_policy_problems(prop: str, value: object) -> list[str]:
    if value is None or value in ALLOWED_REMOVAL_POLICIES:
        return []
    allowed = ", ".join(f"RemovalPolicy.{policy.name}" for policy in ALLOWED_REMOVAL_POLICIES)
    return [f"{prop} must be one of {allowed}; got {value!r}"]


def raise_if_any(what: str, problems: Sequence[str]) -> None:
    """Raise one :class:`ValueError` listing every problem."""
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise ValueError(f"{what} has {len(problems)} invalid setting(s):\n{lines}")


def warn(scope: IConstruct, id: str, message: str) -> None:
    """A synth-time warning on ``scope`` that the user can acknowledge by ``forecast-export-cdk:<id>``."""
    Annotations.of(scope).add_warning_v2(f"forecast-export-cdk:{id}", message)
