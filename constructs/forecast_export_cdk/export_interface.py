"""What every export offers, defined in this app or imported: the interface the other modules build on."""

from __future__ import annotations

import enum
from typing import Protocol, runtime_checkable

from aws_cdk import aws_iam as iam
from constructs import Node

from forecast_export_provider.kinds import ExportKind

from .destination import ExportDestination


class ExportFormat(enum.Enum):
    """The format Forecast writes the exported files in."""

    CSV = "CSV"
    PARQUET = "PARQUET"


@runtime_checkable
class IForecastExport(Protocol):
    """An export of any kind, defined in this app (:class:`ForecastExportJob`, ...) or imported
    by ARN (:meth:`OwnedForecastExport.from_export_arn`, an :class:`ImportedForecastExport`).

    Code that only refers to an export (an output, a policy, a table over its files) takes this
    interface, so that both kinds of export serve.
    """

    @property
    def node(self) -> Node:
        """The construct tree node."""
        ...

    @property
    def kind(self) -> ExportKind:
        """Which of the four export kinds this is."""
        ...

    @property
    def export_arn(self) -> str:
        """The export's ARN."""
        ...

    @property
    def export_name(self) -> str:
        """The export's name."""
        ...

    @property
    def destination(self) -> ExportDestination | None:
        """Where the export's files are, if known (an imported export: only when given)."""
        ...

    @property
    def export_prefix(self) -> str | None:
        """The export's key prefix relative to ``destination.prefix``, if known."""
        ...

    @property
    def format(self) -> str | None:
        """The format of its files (``CSV``, ``PARQUET`` or a token), or None when not known here."""
        ...

    @property
    def imported(self) -> bool:
        """Whether the export is defined outside this app (nothing here creates or waits for it)."""
        ...

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the export's files (needs a known destination)."""
        ...
