"""A small evaluator of identity-based policy statements, for the IAM cross-check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from .cloud_assembly import Resolver


@dataclass(frozen=True)
class ApiCall:
    """One authorization the handler needed: an IAM action on a resource, with request context."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}"


@dataclass(frozen=True)
class Grant:
    """One Allow statement, resolved."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]]

    def covers_action(self, action: str) -> bool:
        return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in self.actions)

    def covers_resource(self, resource: str) -> bool:
        return any(fnmatchcase(resource, pattern) for pattern in self.resources)

    def conditions_hold(self, context: Mapping[str, str]) -> bool:
        for operator, tests in self.conditions.items():
            for key, expected in tests.items():
                values = expected if isinstance(expected, list) else [expected]
                actual = context.get(key)
                if actual is None:
                    return False
                if operator == "StringEquals" and actual not in values:
                    return False
                if operator == "StringLike" and not any(fnmatchcase(actual, value) for value in values):
                    return False
                if operator not in {"StringEquals", "StringLike"}:
                    raise NotImplementedError(f"condition operator {operator}")
        return True

    def allows(self, call: ApiCall) -> bool:
        return (
            self.covers_action(call.action)
            and self.covers_resource(call.resource)
            and self.conditions_hold(dict(call.context))
        )


def grants(documents: Iterable[Mapping[str, Any]], resolver: Resolver) -> list[Grant]:
    """The Allow statements of policy documents, with intrinsic functions resolved."""
    found = []
    for document in documents:
        for index, statement in enumerate(resolver.resolve(document)["Statement"]):
            assert statement["Effect"] == "Allow", "the provider role has no Deny statements to evaluate"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            sid = statement.get("Sid", f"#{index}")
            found.append(Grant(sid, tuple(actions), tuple(resources), statement.get("Condition", {})))
    return found


def not_allowed(calls: Iterable[ApiCall], granted: list[Grant]) -> list[ApiCall]:
    """Calls that no statement allows."""
    return sorted({call for call in calls if not any(grant.allows(call) for grant in granted)}, key=str)


def never_used(calls: Iterable[ApiCall], granted: list[Grant], *, exempt: Iterable[str] = ()) -> list[str]:
    """Each (statement, action) that no call exercised."""
    calls = list(calls)
    exempt_patterns = tuple(exempt)
    unused = []
    for grant in granted:
        for action in grant.actions:
            if any(fnmatchcase(action, pattern) for pattern in exempt_patterns):
                continue
            single = Grant(grant.sid, (action,), grant.resources, grant.conditions)
            if not any(single.allows(call) for call in calls):
                unused.append(f"{action} on {', '.join(grant.resources)}")
    return unused
