"""Columns of a Glue table read from an export's files: Athena-safe names and types that never fail.

Names: lowercase ``[a-z0-9_]``, not starting with a digit, unique, at most 255 characters; the
original name goes in the column's comment. Types (see docs/design.md, "Tables over exports"):

- CSV: a *measure* (by name: forecast types such as ``p10``/``mean``, ``target_value``, accuracy
  metrics, impact scores, what-if ``<scenario>_p50``) is ``double``; every other column is
  ``string``. The table sets ``use.null.for.invalid.data`` so that an empty measure reads as NULL.
- Parquet: the declared type is the file's own type, because Athena's Parquet reader fails a
  query whose declared type differs from the file's. A measure stored as text stays ``string``;
  an identifier stored as a number keeps its numeric type.

The Parquet schema is read with arro3 (Apache arrow-rs' Parquet reader), imported only on the
Parquet path so that CSV tables need no third-party package.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_boto3_glue.type_defs import ColumnTypeDef

MAX_NAME_LENGTH = 255
MAX_COMMENT_LENGTH = 255

_NOT_NAME_CHARACTERS = re.compile(r"[^a-z0-9]+")
_DECIMAL = re.compile(r"Decimal\d+\((\d+), *(\d+)\)")
_MEASURE_NAMES = re.compile(
    r"""
    p\d+(?:_\d+)?                      # forecast types p10, p50, p99_5
    | mean | target_value
    | wql(?:_\d+)*(?:_\d+)?            # wQL[0.1] -> wql_0_1
    | average_wql | mean_wql | rmse | wape | mape | mase | mse | mae
    | .*impact_?score                  # explainability: <attribute>-NormalizedImpactScore, ...ImpactScore
    | .+_p\d+(?:_\d+)? | .+_mean       # what-if: Baseline_p50, <scenario>_p50
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Column:
    """One column of the table: its Athena name, its Glue type and its original name."""

    name: str
    type: str
    original: str

    def glue(self) -> ColumnTypeDef:
        """The column as Glue's ``Column`` structure."""
        return {"Name": self.name, "Type": self.type, "Comment": self.original[:MAX_COMMENT_LENGTH]}


class SchemaError(ValueError):
    """A file's schema cannot be read or cannot be declared in a table."""


def athena_name(original: str) -> str:
    """One column name in Athena's safe form: ``wQL[0.9]`` -> ``wql_0_9``, ``Average wQL`` -> ``average_wql``."""
    ascii_text = unicodedata.normalize("NFKD", original).encode("ascii", "ignore").decode()
    name = _NOT_NAME_CHARACTERS.sub("_", ascii_text.lower()).strip("_")
    if not name or name[0].isdigit():
        name = "col_" + name
    return name[:MAX_NAME_LENGTH].rstrip("_") or "col"


def athena_names(originals: Sequence[str]) -> list[str]:
    """Safe names for a row of columns, made unique with ``_2``, ``_3``... in order of appearance."""
    names: list[str] = []
    taken: set[str] = set()
    for original in originals:
        base = athena_name(original)
        name, counter = base, 1
        while name in taken:
            counter += 1
            suffix = f"_{counter}"
            name = base[: MAX_NAME_LENGTH - len(suffix)] + suffix
        taken.add(name)
        names.append(name)
    return names


def is_measure(original: str) -> bool:
    """True when a column's name says it holds a number (see the module's rule)."""
    return _MEASURE_NAMES.fullmatch(athena_name(original)) is not None


# CSV ----------------------------------------------------------------------------------------------

CSV_SEPARATOR = ","
CSV_QUOTE = '"'
CSV_ESCAPE = "\\"


def csv_header(head: bytes) -> list[str]:
    """The header row of a CSV file, from its first bytes, parsed as the table's serde parses rows."""
    text = head.decode("utf-8-sig", errors="replace")
    reader = csv.reader(
        io.StringIO(text), delimiter=CSV_SEPARATOR, quotechar=CSV_QUOTE, escapechar=CSV_ESCAPE, strict=False
    )
    row = next(reader, [])
    if not row or all(not cell.strip() for cell in row):
        raise SchemaError("has no header row")
    return row


def csv_columns(header: Sequence[str]) -> list[Column]:
    """Columns for a CSV header: measures ``double``, everything else ``string``."""
    return [
        Column(name, "double" if is_measure(original) else "string", original)
        for name, original in zip(athena_names(header), header, strict=True)
    ]


# Parquet ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParquetField:
    """A top-level field of a Parquet file: its name and the Glue type that reads it exactly."""

    name: str
    type: str


def parquet_fields(file: IO[bytes]) -> list[ParquetField]:
    """The top-level fields of a Parquet file, in file order; reads only the footer."""
    # Imported here on purpose: only Parquet tables need arro3, so a CSV table works without it.
    from arro3.core import DataType
    from arro3.io import read_parquet

    try:
        schema = read_parquet(file).schema
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # arro3 panics (pyo3's PanicException, a BaseException) on a corrupt footer
        raise SchemaError(f"is not a readable Parquet file ({str(error)[:80]})") from None
    fields = [schema.field(index) for index in range(len(schema))]
    return [ParquetField(str(field.name), _glue_type(DataType, field.type, str(field.name))) for field in fields]


def _glue_type(data_type: Any, value: Any, name: str) -> str:
    """The Glue (Hive) type that Athena reads a Parquet column of arrow type ``value`` as."""
    if data_type.is_dictionary(value):
        value = value.value_type
    simple = (
        ("is_string", "string"),
        ("is_large_string", "string"),
        ("is_string_view", "string"),
        ("is_float64", "double"),
        ("is_float32", "float"),
        ("is_int64", "bigint"),
        ("is_int32", "int"),
        ("is_int16", "smallint"),
        ("is_int8", "tinyint"),
        ("is_uint8", "smallint"),
        ("is_uint16", "int"),
        ("is_uint32", "bigint"),
        ("is_boolean", "boolean"),
        ("is_date32", "date"),
        ("is_timestamp", "timestamp"),
        ("is_binary", "binary"),
        ("is_large_binary", "binary"),
    )
    for check, glue_type in simple:
        if getattr(data_type, check)(value):
            return glue_type
    shown = str(value).strip()
    decimal = _DECIMAL.search(shown)
    if data_type.is_decimal(value) and decimal is not None:
        return f"decimal({decimal.group(1)},{decimal.group(2)})"
    shown = shown.removeprefix("arro3.core.DataType<").removesuffix(">")
    raise SchemaError(f"column {name!r} has type {shown}, which an Athena table cannot declare")


def parquet_columns(fields: Sequence[ParquetField]) -> list[Column]:
    """Columns for a Parquet file's fields, in file order, with the file's own types."""
    return [
        Column(name, field.type, field.name)
        for name, field in zip(athena_names([field.name for field in fields]), fields, strict=True)
    ]
