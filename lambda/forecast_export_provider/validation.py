"""Validation of the custom resource's properties.

Lengths, list sizes, patterns, required members and sensitivity come from botocore's own Forecast
service model, read at run time, so that they cannot drift from the API. The contract's rules are
applied on top: exactly one source property, at most 50 tags with unique keys and no ``aws:``
prefix, IAM role and KMS key ARN shapes, S3 bucket names, and the source ARN's resource type.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from .constants import MAX_REASON_LENGTH
from .kinds import SOURCE_PROPERTIES, ExportKind, kinds_in

MAX_TAGS = 50
DEFAULT_FORMAT = "CSV"
_MAX_SHOWN = 60

# IAM's own path pattern, (\u002F)|(\u002F[\u0021-\u007E]+\u002F): "/" alone, or "/" and printable
# ASCII (slashes included, so "/a//b/" is a path) and "/", at most 512 characters; then a name of
# 1 to 64 characters. re.ASCII keeps \d from matching other scripts' digits.
ROLE_ARN = re.compile(
    r"arn:aws[a-z-]*:iam::\d{12}:role(?P<path>/(?:[!-~]+/)?)(?P<name>[A-Za-z0-9+=,.@_-]{1,64})", re.ASCII
)
MAX_ROLE_PATH = 512
MAX_S3_KEY_BYTES = 1024
SERVICE_TIMEOUT_RANGE = (1, 3600)
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[\w-]+")

# S3's rules for general purpose bucket names, each with the fix a message names.
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
S3_BUCKET_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda bucket: S3_BUCKET.fullmatch(bucket) is None, "use 3 to 63 lowercase letters, digits, '.' and '-'"),
    (lambda bucket: ".." in bucket, "must not have two periods in a row"),
    (lambda bucket: "-." in bucket or ".-" in bucket, "must not have a period next to a hyphen"),
    (
        lambda bucket: re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", bucket) is not None,
        "must not be shaped like an IP address",
    ),
    (
        lambda bucket: bucket.startswith(("xn--", "sthree-", "amzn-s3-demo-")),
        "must not start with xn--, sthree- or amzn-s3-demo-",
    ),
    (
        lambda bucket: bucket.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")),
        "must not end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3",
    ),
)

# The longest name of a file Forecast writes under Path: the kind's folder (a backtest's dataset),
# the export's name (at most 63 characters), "_" and the time as yyyy-MM-ddTHH-mm-ssZ, "_part" and
# the part's number (allowed 5 digits: 100,000 parts), ".csv". Path's key part leaves room for it.
FILE_NAME_TAIL = "_yyyy-MM-ddTHH-mm-ssZ_part99999.csv"
MAX_NAME_LENGTH = 63

_HINTS = {
    "name": "start with a letter, then use only letters, digits and underscores",
    "Destination.S3Config.Path": "use s3://bucket/optional/prefix/",
    "Destination.S3Config.RoleArn": "must be the ARN of an IAM role, arn:<partition>:iam::<account>:role/<name>",
    "Destination.S3Config.KMSKeyArn": "must be the ARN of a KMS key, arn:<partition>:kms:<region>:<account>:key/<id>",
    "Format": "use CSV or PARQUET",
}


@dataclass(frozen=True)
class Problem:
    """One invalid property: where, what was received, and how to fix it."""

    property: str
    value: str
    rule: str

    def __str__(self) -> str:
        return f"{self.property} {self.rule}; got {self.value}"


class InvalidProperties(ValueError):
    """Raised with every problem found in one set of properties."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(summarize(self.problems))


def shorten(reason: str) -> str:
    """Keep the start of a long reason: crhelper would keep only its end."""
    return reason if len(reason) <= MAX_REASON_LENGTH else reason[: MAX_REASON_LENGTH - 3] + "..."


def summarize(problems: Sequence[Problem], limit: int = MAX_REASON_LENGTH) -> str:
    """Join problems into one message of at most ``limit`` characters."""
    text = ""
    for index, problem in enumerate(problems):
        part = str(problem) if index == 0 else f"; {problem}"
        remaining = len(problems) - index - 1
        suffix = f" (+{remaining} more)" if remaining else ""
        if len(text) + len(part) + len(suffix) > limit:
            more = f" (+{len(problems) - index} more)"
            if not text:
                return part[: limit - len(more) - 3] + "..." + more
            return text + more
        text += part
    return text


def show(value: Any, sensitive: bool = False) -> str:
    """A short, quoted rendering of a received value."""
    if sensitive:
        return "a value not shown here"
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


@functools.cache
def forecast_model() -> Any:
    """botocore's Forecast service model (loaded once)."""
    import botocore.session

    return botocore.session.get_session().get_service_model("forecast")


@functools.cache
def _matcher(pattern: str) -> Callable[[str], bool]:
    """A predicate for one of the model's (Java-flavoured) patterns.

    Python's ``re`` has no ``\\p{...}`` classes; the model uses them only in character classes
    of the form ``^([...]*)$``, which are checked here one character at a time.
    """
    if "\\p{" not in pattern:
        compiled = re.compile(pattern)
        # fullmatch: with match, "$" would accept a value with a trailing newline.
        return lambda value: compiled.fullmatch(value) is not None
    body = re.fullmatch(r"\^\(\[(.*)\]\*\)\$", pattern)
    if body is None:  # pragma: no cover - the model has no other form today
        return lambda value: True
    categories = set(re.findall(r"\\p\{(\w)\}", body.group(1)))
    literals = set(re.sub(r"\\p\{\w\}", "", body.group(1)).replace("\\", ""))
    return lambda value: all(char in literals or unicodedata.category(char)[0] in categories for char in value)


def _is_string(value: Any) -> TypeGuard[str]:
    return isinstance(value, str)


class _Checker:
    """Walks one value against a model shape, collecting problems."""

    def __init__(self, skip: Callable[[Any], bool]) -> None:
        self.skip = skip
        self.problems: list[Problem] = []

    def add(self, path: str, value: Any, rule: str, sensitive: bool = False) -> None:
        self.problems.append(Problem(path, show(value, sensitive), rule))

    def check(self, path: str, value: Any, shape: Any, overrides: Mapping[str, Any]) -> None:
        if self.skip(value):
            return
        if shape.type_name == "structure":
            self._structure(path, value, shape, overrides)
        elif shape.type_name == "list":
            self._list(path, value, shape, overrides)
        elif shape.type_name == "string":
            # A list's items share one override: WhatIfForecastArns[3] follows WhatIfForecastArns[].
            self._string(path, value, shape, overrides.get(path) or overrides.get(re.sub(r"\[\d+\]$", "[]", path), {}))

    def _structure(self, path: str, value: Any, shape: Any, overrides: Mapping[str, Any]) -> None:
        if not isinstance(value, Mapping):
            self.add(path, value, "must be an object with " + ", ".join(shape.members))
            return
        for member in shape.required_members:
            if member not in value:
                self.add(f"{path}.{member}", None, "is required")
        for key, item in value.items():
            if key not in shape.members:
                self.add(f"{path}.{key}", key, "is not a known property; use " + ", ".join(shape.members))
                continue
            self.check(f"{path}.{key}", item, shape.members[key], overrides)

    def _list(self, path: str, value: Any, shape: Any, overrides: Mapping[str, Any]) -> None:
        if not isinstance(value, list):
            self.add(path, value, "must be a list")
            return
        limits = {**shape.metadata, **overrides.get(path, {})}
        low, high = limits.get("min", 0), limits.get("max")
        if len(value) < low or (high is not None and len(value) > high):
            rule = f"must have {low} to {high} items" if high is not None else f"needs {low}+ items"
            self.add(path, f"{len(value)} items", rule)
        for index, item in enumerate(value):
            self.check(f"{path}[{index}]", item, shape.member, overrides)

    def _string(self, path: str, value: Any, shape: Any, override: Mapping[str, Any]) -> None:
        sensitive = bool(shape.metadata.get("sensitive"))
        if not _is_string(value):
            self.add(path, value, "must be a string", sensitive)
            return
        if value != value.strip() and not path.startswith("Tags"):
            self.add(path, value, "must not start or end with whitespace or a newline", sensitive)
            return
        rules = {**shape.metadata, **override}
        low, high = rules.get("min", 0), rules.get("max")
        if len(value) < low or (high is not None and len(value) > high):
            self.add(path, f"{len(value)} characters", f"must be {low} to {high} characters long")
            return
        pattern = rules.get("pattern")
        matcher: Callable[[str], bool] | None = rules.get("matcher")
        if matcher is None and pattern:
            matcher = _matcher(pattern)
        if matcher is not None and not matcher(value):
            hint = override.get("hint") or _HINTS.get(path) or f"must match {pattern}"
            self.add(path, value, hint if hint.startswith("must") else f"is invalid: {hint}", sensitive)


def max_key_bytes(kind: ExportKind, name: str | None = None) -> int:
    """The longest key part of Path that leaves room for every file name Forecast writes under it.

    ``name`` is the export's name when known; otherwise the longest a name can be.
    """
    folder = max((len(folder.encode()) + 1 for folder in kind.folders), default=0)
    name_bytes = len(name.encode()) if name is not None else MAX_NAME_LENGTH
    # One byte for the "/" Forecast puts after a Path that does not end with one.
    return MAX_S3_KEY_BYTES - 1 - folder - name_bytes - len(FILE_NAME_TAIL)


def source_arn_rule(kind: ExportKind) -> str:
    """What a source property must hold, said with the shape of the ARN it expects."""
    resource_type = kind.source_arn_resource_type
    article = "an" if resource_type[0] in "aeiou" else "a"
    shape = f"arn:<partition>:forecast:<region>:<account>:{resource_type}/<name>"
    return f"must be the ARN of {article} {resource_type}, {shape}"


def _fullmatch(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda value: pattern.fullmatch(value) is not None


def _role_arn(value: str) -> bool:
    match = ROLE_ARN.fullmatch(value)
    return match is not None and len(match.group("path")) <= MAX_ROLE_PATH


def _overrides(kind: ExportKind) -> dict[str, dict[str, Any]]:
    """The contract's rules layered over the model's, by property path."""
    name_pattern = (
        forecast_model()
        .operation_model(kind.create_operation)
        .input_shape.members[kind.name_property]
        .metadata["pattern"]
    )
    # The model's name pattern is unanchored at the end; the contract anchors it.
    name_rule = re.compile(name_pattern.rstrip("$") + "$")
    source_path = f"{kind.source_property}[]" if kind.source_is_list else kind.source_property
    return {
        kind.name_property: {"matcher": _fullmatch(name_rule), "hint": _HINTS["name"]},
        source_path: {"hint": source_arn_rule(kind)},
        "Destination.S3Config.RoleArn": {"matcher": _role_arn},
        # The model's KMS pattern names only the aws partition; the contract allows any.
        "Destination.S3Config.KMSKeyArn": {"matcher": _fullmatch(KMS_KEY_ARN)},
        "Tags": {"max": MAX_TAGS},
        "Format": {"matcher": _model_enum("Format"), "hint": _HINTS["Format"]},
    }


@functools.cache
def _model_enum(shape_name: str) -> Callable[[str], bool]:
    """The model states Format's values as the pattern ``^CSV|PARQUET$``; read them as a set."""
    values = frozenset(forecast_model().shape_for(shape_name).metadata["pattern"].strip("^$").split("|"))
    return lambda value: value in values


def find_problems(properties: Mapping[str, Any], *, skip: Callable[[Any], bool] = lambda value: False) -> list[Problem]:
    """Every problem in a resource's properties, as CloudFormation passes them.

    ``skip`` marks values that cannot be checked yet (the CDK passes ``Token.is_unresolved``);
    such values are accepted here and checked again at deploy time.
    """
    checker = _Checker(skip)
    present = kinds_in(properties)
    if not present:
        checker.add("source", "none", "is missing: give exactly one of " + ", ".join(SOURCE_PROPERTIES))
        return checker.problems
    if len(present) > 1:
        given = ", ".join(kind.source_property for kind in present)
        checker.add("source", given, "is ambiguous: give exactly one of these properties")
        return checker.problems
    kind = present[0]
    input_shape = forecast_model().operation_model(kind.create_operation).input_shape
    overrides = _overrides(kind)
    # CloudFormation passes the custom resource's own settings along with the properties.
    allowed = {"ServiceToken", "ServiceTimeout", *input_shape.members}
    for key in properties:
        if key not in allowed:
            checker.add(key, key, f"is not a property of {kind.resource_type}")
    for member in input_shape.required_members:
        if member not in properties and member != kind.name_property:
            checker.add(member, None, "is required")
    for key, value in properties.items():
        if key in input_shape.members:
            checker.check(key, value, input_shape.members[key], overrides)
    _check_contract_rules(checker, kind, properties)
    return checker.problems


def _check_contract_rules(checker: _Checker, kind: ExportKind, properties: Mapping[str, Any]) -> None:
    sources = properties.get(kind.source_property)
    source_items = sources if kind.source_is_list and isinstance(sources, list) else [sources]
    for index, arn in enumerate(source_items):
        if not _is_string(arn) or checker.skip(arn):
            continue
        path = f"{kind.source_property}[{index}]" if kind.source_is_list else kind.source_property
        resource = arn.split(":", 5)[-1]
        if arn.count(":") >= 5 and not resource.startswith(kind.source_arn_resource_type + "/"):
            checker.add(path, arn, source_arn_rule(kind))
    if kind.source_is_list and isinstance(sources, list):
        plain = [arn for arn in sources if _is_string(arn) and not checker.skip(arn)]
        if len(set(plain)) != len(plain):
            checker.add(kind.source_property, "duplicates", "must not repeat an ARN")

    destination = properties.get("Destination")
    s3 = destination.get("S3Config") if isinstance(destination, Mapping) else None
    s3_path = s3.get("Path") if isinstance(s3, Mapping) else None
    if _is_string(s3_path) and not checker.skip(s3_path) and s3_path.startswith("s3://"):
        bucket, _, s3_key = s3_path[len("s3://") :].partition("/")
        broken = [fix for breaks, fix in S3_BUCKET_RULES if breaks(bucket)]
        if broken:
            checker.add("Destination.S3Config.Path", s3_path, f"has an invalid bucket name {bucket!r}: {broken[0]}")
        name = properties.get(kind.name_property)
        limit = max_key_bytes(kind, name if _is_string(name) and not checker.skip(name) else None)
        if len(s3_key.encode()) > limit:
            checker.add(
                "Destination.S3Config.Path",
                f"a key of {len(s3_key.encode())} bytes",
                f"must have an S3 key part of at most {limit} bytes, so that the files Forecast writes "
                f"under it fit S3's {MAX_S3_KEY_BYTES}; use a shorter prefix",
            )

    timeout = properties.get("ServiceTimeout")
    if timeout is not None and not checker.skip(timeout) and _parse_service_timeout(timeout) is None:
        low, high = SERVICE_TIMEOUT_RANGE
        checker.add("ServiceTimeout", timeout, f"must be a whole number of seconds from {low} to {high}")

    tags = properties.get("Tags")
    if isinstance(tags, list) and not checker.skip(tags):
        seen: set[str] = set()
        for index, tag in enumerate(tags):
            key = tag.get("Key") if isinstance(tag, Mapping) else None
            if not _is_string(key) or checker.skip(key):
                continue
            if key.lower().startswith("aws:"):
                checker.add(f"Tags[{index}].Key", key, "must not start with aws: (reserved by AWS)")
            if key in seen:
                checker.add(f"Tags[{index}].Key", key, "repeats an earlier key; keys must be unique")
            seen.add(key)


@dataclass(frozen=True)
class ExportSpec:
    """The export that a resource's properties describe, normalised."""

    kind: ExportKind
    name: str | None
    sources: tuple[str, ...]
    path: str
    role_arn: str
    kms_key_arn: str | None
    format: str | None
    tags: tuple[tuple[str, str], ...]

    def destination(self) -> dict[str, Any]:
        s3: dict[str, str] = {"Path": self.path, "RoleArn": self.role_arn}
        if self.kms_key_arn:
            s3["KMSKeyArn"] = self.kms_key_arn
        return {"S3Config": s3}

    def create_request(self, name: str) -> dict[str, Any]:
        """Parameters for the kind's Create operation."""
        source: Any = list(self.sources) if self.kind.source_is_list else self.sources[0]
        request: dict[str, Any] = {
            self.kind.name_property: name,
            self.kind.source_property: source,
            "Destination": self.destination(),
        }
        if self.format:
            request["Format"] = self.format
        if self.tags:
            request["Tags"] = [{"Key": key, "Value": value} for key, value in self.tags]
        return request

    def differences(self, description: Mapping[str, Any]) -> list[str]:
        """Names of the settings in which an existing export differs from this one (tags aside)."""
        kind = self.kind
        found = description.get(kind.source_property)
        found_sources = set(found) if isinstance(found, list) else {found}
        s3 = description.get("Destination", {}).get("S3Config", {})
        differences = []
        if found_sources != set(self.sources):
            differences.append(kind.source_property)
        if s3.get("Path") != self.path:
            differences.append("Destination.S3Config.Path")
        if s3.get("RoleArn") != self.role_arn:
            differences.append("Destination.S3Config.RoleArn")
        if (s3.get("KMSKeyArn") or None) != self.kms_key_arn:
            differences.append("Destination.S3Config.KMSKeyArn")
        if (description.get("Format") or DEFAULT_FORMAT) != (self.format or DEFAULT_FORMAT):
            differences.append("Format")
        return differences


def parse(properties: Mapping[str, Any]) -> ExportSpec:
    """Validate ``properties`` and return the export they describe.

    Raises :class:`InvalidProperties` naming every problem.
    """
    problems = find_problems(properties)
    if problems:
        raise InvalidProperties(problems)
    kind = kinds_in(properties)[0]
    source = properties[kind.source_property]
    s3 = properties["Destination"]["S3Config"]
    return ExportSpec(
        kind=kind,
        name=properties.get(kind.name_property),
        sources=tuple(source) if kind.source_is_list else (source,),
        path=s3["Path"],
        role_arn=s3["RoleArn"],
        kms_key_arn=s3.get("KMSKeyArn") or None,
        format=properties.get("Format") or None,
        tags=tuple((tag["Key"], tag["Value"]) for tag in properties.get("Tags", [])),
    )


def _parse_service_timeout(value: Any) -> int | None:
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"[0-9]{1,4}", text):
        return None
    seconds = int(text)
    low, high = SERVICE_TIMEOUT_RANGE
    return seconds if low <= seconds <= high else None


def service_timeout(properties: Mapping[str, Any]) -> int | None:
    """The request's ``ServiceTimeout`` in seconds, if it has a valid one."""
    return _parse_service_timeout(properties.get("ServiceTimeout"))
