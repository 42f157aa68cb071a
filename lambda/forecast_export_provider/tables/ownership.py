"""The mark a table carries in its Glue parameters: which stack and logical resource made it.

A table is this resource's to change or delete only while the mark names it. Moving a table
resource to a new logical id makes CloudFormation create the new resource, then delete the old
one; the new one takes the table over and remembers the old logical id as ``previous``, so that
the old one's Delete leaves the table (and forgets ``previous``), and a rollback that deletes the
new resource instead hands the table back. Tables made by earlier versions carry only the export
ARN (:data:`EXPORT_PARAMETER`): they are adopted by a resource that describes the same export and
location, and still updated and deleted.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from types_boto3_glue.type_defs import TableInputTypeDef

EXPORT_PARAMETER = "forecast_export_table"
"""Glue table parameter naming the export the table reads; alone, the mark of earlier versions."""
STACK_PARAMETER = "forecast_export_table_stack"
RESOURCE_PARAMETER = "forecast_export_table_resource"
PREVIOUS_PARAMETER = "forecast_export_table_previous_resource"
EARLIER_MARK = "(export ARN only)"
"""``previous`` of a table taken over from a mark of an earlier version, which names no resource."""


@dataclass(frozen=True)
class Owner:
    """A table resource: its stack's id and its logical id."""

    stack_id: str
    logical_id: str


class Relation(enum.Enum):
    """What a found table is to the resource that asks."""

    MINE = "mine"
    SIBLING = "another resource of this stack"
    EARLIER_MARK = "made by an earlier version (export ARN only)"
    FOREIGN = "not made by this resource's stack"


@dataclass(frozen=True)
class Mark:
    """The mark of a table: the export it reads, its owner (None on an earlier version's mark), the previous owner."""

    export_arn: str
    owner: Owner | None
    previous: str | None = None

    @classmethod
    def of(cls, table: Mapping[str, Any]) -> Mark | None:
        """The mark of a Glue table (GetTable's ``Table``), or None when it carries none."""
        parameters = table.get("Parameters") or {}
        export_arn = parameters.get(EXPORT_PARAMETER)
        if export_arn is None:
            return None
        stack_id, logical_id = parameters.get(STACK_PARAMETER), parameters.get(RESOURCE_PARAMETER)
        owner = Owner(stack_id, logical_id) if stack_id and logical_id else None
        return cls(export_arn, owner, parameters.get(PREVIOUS_PARAMETER) or None)

    def relation_to(self, asking: Owner) -> Relation:
        if self.owner is None:
            return Relation.EARLIER_MARK
        if self.owner.stack_id != asking.stack_id:
            return Relation.FOREIGN
        return Relation.MINE if self.owner.logical_id == asking.logical_id else Relation.SIBLING

    def parameters(self) -> dict[str, str]:
        """The Glue parameters that carry this mark."""
        parameters = {EXPORT_PARAMETER: self.export_arn}
        if self.owner is not None:
            parameters.update({STACK_PARAMETER: self.owner.stack_id, RESOURCE_PARAMETER: self.owner.logical_id})
        if self.previous is not None:
            parameters[PREVIOUS_PARAMETER] = self.previous
        return parameters


MARK_PARAMETERS = frozenset({EXPORT_PARAMETER, STACK_PARAMETER, RESOURCE_PARAMETER, PREVIOUS_PARAMETER})


def relation(table: Mapping[str, Any] | None, asking: Owner) -> Relation | None:
    """The relation of a found table (None: no table) to the asking resource."""
    if table is None:
        return None
    mark = Mark.of(table)
    return Relation.FOREIGN if mark is None else mark.relation_to(asking)


def with_mark(table: Mapping[str, Any], mark: Mark) -> TableInputTypeDef:
    """A TableInput for UpdateTable: ``table`` (GetTable's ``Table``) as it is, carrying ``mark``."""
    kept = ("Name", "Description", "TableType", "StorageDescriptor", "PartitionKeys")
    table_input = {key: table[key] for key in kept if key in table}
    parameters = {key: value for key, value in (table.get("Parameters") or {}).items() if key not in MARK_PARAMETERS}
    table_input["Parameters"] = {**parameters, **mark.parameters()}
    # GetTable's Table holds these members in the shapes TableInput gives them.
    return cast("TableInputTypeDef", table_input)
