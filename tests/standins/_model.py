"""Validation of request and response values against botocore's service models.

The stand-ins validate every request the way the AWS front end does: unknown and missing members,
types, lengths, list sizes, number ranges, enums and patterns. Patterns in the models are Java
regular expressions; :func:`java_regex` translates the constructs the models use (Unicode
property classes such as ``\\p{L}``) into Python ones.
"""

from __future__ import annotations

import copy
import functools
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

PatternMode = Literal["match", "fullmatch"]


@functools.cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``service`` (cached per process)."""
    return botocore.session.get_session().get_service_model(service)


@functools.cache
def _category_ranges() -> dict[str, str]:
    """Character-class text (``a-b`` ranges) per major Unicode category letter (L, N, Z, ...)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    current = ""
    start = 0
    for cp in range(sys.maxunicode + 2):
        cat = unicodedata.category(chr(cp))[0] if cp <= sys.maxunicode else ""
        if cat != current:
            if current:
                spans.setdefault(current, []).append((start, cp - 1))
            current, start = cat, cp
    return {
        cat: "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in items)
        for cat, items in spans.items()
    }


def _property_class(name: str) -> str:
    """Class body for a Java ``\\p{name}`` property (major or minor general category)."""
    if len(name) == 1:
        return _category_ranges()[name]
    if len(name) == 2:  # a minor category such as Lu or Nd: expand precisely
        chars = [chr(cp) for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == name]
        return "".join(re.escape(c) for c in chars)
    raise ValueError(f"unsupported Java property class \\p{{{name}}}")


@functools.cache
def java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regular expression from a botocore model as an equivalent Python one."""
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "pP" and i + 2 < len(pattern) and pattern[i + 2] == "{":
                end = pattern.index("}", i)
                body = _property_class(pattern[i + 3 : end])
                if nxt == "P":
                    if in_class:
                        raise ValueError(f"negated property inside a class is unsupported: {pattern}")
                    out.append(f"[^{body}]")
                else:
                    out.append(body if in_class else f"[{body}]")
                i = end + 1
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            i += 1
            continue
        if ch == "]" and in_class:
            in_class = False
        elif ch == "-" and in_class:
            # Java takes a '-' that cannot form a range (e.g. after a range: [0-9-_]) literally.
            prev = "".join(out)
            if prev.endswith("[") or pattern[i + 1 : i + 2] == "]" or _ends_with_range(prev):
                out.append("\\-")
                i += 1
                continue
        out.append(ch)
        i += 1
    return re.compile("".join(out))


def _ends_with_range(text: str) -> bool:
    """True when the class text so far ends with a complete ``a-b`` range."""
    return bool(re.search(r"(?<!\\)[^\\]-(\\.|[^\\])$", text)) and not text.endswith("\\-")


@dataclass
class Violation:
    """One constraint violation: where, and which constraint."""

    path: str
    message: str
    value: Any = None
    sensitive: bool = False

    def render(self) -> str:
        """The violation in the AWS front end's wording."""
        if self.sensitive or self.value is _MISSING:
            shown = "" if self.sensitive else " 'null'"
            return f"Value{shown} at '{self.path}' failed to satisfy constraint: {self.message}"
        return f"Value '{_short(self.value)}' at '{self.path}' failed to satisfy constraint: {self.message}"


_MISSING = object()


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


@dataclass
class Validator:
    """Validates a value against a botocore shape.

    ``skip_pattern`` names member paths (in the model's own spelling, dot-separated, list items
    as ``[]``, e.g. ``Destination.S3Config.RoleArn``) whose pattern is not applied.
    ``skip_pattern_if`` is a callable (path, value, parent) -> bool for context-dependent skips.
    """

    mode: PatternMode = "match"
    skip_pattern: frozenset[str] = frozenset()
    skip_pattern_if: Callable[[str, Any, dict[str, Any] | None], bool] | None = None
    unknown_members: bool = True
    violations: list[Violation] = field(default_factory=list)

    def validate(self, shape: Shape | None, value: Any) -> list[Violation]:
        """All violations of ``value`` against ``shape`` (an empty list when it conforms)."""
        run = copy.copy(self)  # one run per call: validators are shared between server threads
        run.violations = []
        if shape is None:
            if value not in (None, {}):
                run.violations.append(Violation("", "Operation takes no input", value))
            return run.violations
        run._check(shape, value, wire_path="", model_path="", parent=None)
        return run.violations

    def _add(self, wire_path: str, message: str, value: Any, shape: Shape) -> None:
        sensitive = bool(shape.metadata.get("sensitive"))
        self.violations.append(Violation(wire_path or "input", message, value, sensitive))

    def _check(self, shape: Shape, value: Any, wire_path: str, model_path: str, parent: Any) -> None:
        kind = shape.type_name
        if isinstance(shape, StructureShape):
            if not isinstance(value, dict):
                self._add(wire_path, "Member must be a structure", value, shape)
                return
            members = shape.members
            for name in shape.required_members:
                if value.get(name) is None:
                    self.violations.append(
                        Violation(_join(wire_path, _lower_camel(name)), "Member must not be null", _MISSING)
                    )
            for name, item in value.items():
                sub_wire = _join(wire_path, _lower_camel(name))
                if name not in members:
                    if self.unknown_members:
                        self.violations.append(
                            Violation(sub_wire, f"Unknown member '{name}' is not part of {shape.name}", item)
                        )
                    continue
                if item is None:
                    continue
                self._check(members[name], item, sub_wire, _join(model_path, name), value)
            return
        if isinstance(shape, ListShape):
            if not isinstance(value, list):
                self._add(wire_path, "Member must be a list", value, shape)
                return
            self._check_size(shape, value, wire_path, "Member must have length")
            for index, item in enumerate(value, start=1):
                if item is None:
                    self.violations.append(
                        Violation(f"{wire_path}.{index}.member", "Member must not be null", _MISSING)
                    )
                    continue
                self._check(shape.member, item, f"{wire_path}.{index}.member", model_path + "[]", value)
            return
        if isinstance(shape, MapShape):
            if not isinstance(value, dict):
                self._add(wire_path, "Member must be a map", value, shape)
                return
            self._check_size(shape, value, wire_path, "Member must have length")
            for key, item in value.items():
                self._check(shape.key, key, f"{wire_path}.{key}.key", model_path + "{}", value)
                self._check(shape.value, item, f"{wire_path}.{key}.value", model_path + "{}", value)
            return
        if kind == "string":
            if not isinstance(value, str):
                self._add(wire_path, "Member must be a string", value, shape)
                return
            self._check_size(shape, value, wire_path, "Member must have length")
            enum = shape.metadata.get("enum")
            if enum and value not in enum:
                self._add(wire_path, f"Member must satisfy enum value set: [{', '.join(enum)}]", value, shape)
            pattern = shape.metadata.get("pattern")
            if pattern and not self._skip(model_path, value, parent):
                regex = java_regex(pattern)
                ok = regex.fullmatch(value) if self.mode == "fullmatch" else regex.match(value)
                if not ok:
                    self._add(wire_path, f"Member must satisfy regular expression pattern: {pattern}", value, shape)
            return
        if kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self._add(wire_path, f"Member must be an {kind}", value, shape)
                return
            self._check_range(shape, value, wire_path)
            return
        if kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                self._add(wire_path, f"Member must be a {kind}", value, shape)
                return
            self._check_range(shape, value, wire_path)
            return
        if kind == "boolean":
            if not isinstance(value, bool):
                self._add(wire_path, "Member must be a boolean", value, shape)
            return
        if kind == "timestamp":
            if isinstance(value, bool) or not isinstance(value, int | float):
                self._add(wire_path, "Member must be a timestamp (epoch seconds)", value, shape)
            return
        if kind == "blob":
            if not isinstance(value, str | bytes):
                self._add(wire_path, "Member must be a blob", value, shape)
            return
        raise NotImplementedError(f"shape type {kind} at {model_path}")

    def _skip(self, model_path: str, value: Any, parent: Any) -> bool:
        if model_path in self.skip_pattern:
            return True
        return bool(self.skip_pattern_if and self.skip_pattern_if(model_path, value, parent))

    def _check_size(self, shape: Shape, value: Any, wire_path: str, what: str) -> None:
        low = shape.metadata.get("min")
        high = shape.metadata.get("max")
        size = len(value)
        if low is not None and size < low:
            self._add(wire_path, f"{what} greater than or equal to {low}", value, shape)
        if high is not None and size > high:
            self._add(wire_path, f"{what} less than or equal to {high}", value, shape)

    def _check_range(self, shape: Shape, value: float, wire_path: str) -> None:
        low = shape.metadata.get("min")
        high = shape.metadata.get("max")
        if low is not None and value < low:
            self._add(wire_path, f"Member must have value greater than or equal to {low}", value, shape)
        if high is not None and value > high:
            self._add(wire_path, f"Member must have value less than or equal to {high}", value, shape)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def render_violations(violations: Iterable[Violation]) -> str:
    """The ValidationException message, worded as the AWS front end words it."""
    items = list(violations)
    count = len(items)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(v.render() for v in items)
