"""An export defined elsewhere, known by its ARN (made by ``<ExportClass>.from_export_arn``)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CustomResource
from constructs import Construct

from forecast_export_provider.kinds import ExportKind

from ._checks import prefix_problems, raise_if_any
from .destination import ExportDestination
from .export_base import ForecastExport
from .export_interface import ExportFormat


class ImportedForecastExport(ForecastExport):
    """An export defined elsewhere, known by its ARN; made by ``<ExportClass>.from_export_arn``.

    It has the ARN, the name (read from the ARN, or given) and the kind, and offers what an export
    of this app offers where that needs no more: :meth:`on_state_change` (the rule matches its
    exact ARN) and, with a destination, :meth:`grant_read` and :meth:`add_table`. It has no status,
    path or source attributes, and nothing in this app waits for it.

    :param kind: the export's kind.
    :param export_arn: the export's ARN.
    :param export_name: the export's name.
    :param destination: the destination it wrote to. Default: unknown.
    :param export_prefix: its key prefix relative to ``destination.prefix``. Default: unknown.
    :param format: the format of its files. Default: unknown (a table over it reads either).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        kind: ExportKind,
        export_arn: str,
        export_name: str,
        destination: ExportDestination | None = None,
        export_prefix: str | None = None,
        format: ExportFormat | str | None = None,
    ) -> None:
        problems = prefix_problems("export_prefix", export_prefix) if export_prefix is not None else []
        if export_prefix is not None and destination is None:
            problems.append("export_prefix needs destination; pass both or neither")
        if destination is not None and not isinstance(destination, ExportDestination):
            problems.append(f"destination must be an ExportDestination; got {type(destination).__name__}")
        raise_if_any(f"ImportedForecastExport {scope.node.path}/{id}", problems)
        super().__init__(scope, id, kind=kind)
        self._export_arn = export_arn
        self._export_name = export_name
        self._format = format.value if isinstance(format, ExportFormat) else format
        self.destination = destination
        """The destination it wrote to, or None when not given."""
        self.export_prefix = export_prefix if export_prefix is not None or destination is None else ""
        """Its key prefix relative to ``destination.prefix`` (``''`` when only the destination was
        given), or None without a destination."""

    @property
    def export_arn(self) -> str:
        """The export's ARN, as given."""
        return self._export_arn

    @property
    def export_name(self) -> str:
        """The export's name, given or read from the ARN."""
        return self._export_name

    @property
    def format(self) -> str | None:
        """The format given to ``from_export_arn``, or None."""
        return self._format

    @property
    def imported(self) -> bool:
        """True: the export is defined outside this app."""
        return True

    def _state_change_arn_pattern(self) -> list[Any]:
        return [self._export_arn]

    def _state_change_waiter(self) -> CustomResource | None:
        return None
