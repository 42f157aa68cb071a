"""A Glue database for the export tables, or an existing one imported by name or ARN."""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from aws_cdk import Arn, ArnFormat, Names, RemovalPolicy, Stack, Token
from aws_cdk import aws_glue as glue
from constructs import Construct

from ._checks import raise_if_any, removal_policy_problems

MAX_GLUE_NAME_LENGTH = 255

_GLUE_NAME = re.compile(r"[a-z0-9_]+")


def glue_name_problems(prop: str, value: object) -> list[str]:
    """Why ``value`` is not a Glue name that Athena accepts unquoted (tokens pass)."""
    if not isinstance(value, str):
        return [f"{prop} must be a string; got {value!r}"]
    if Token.is_unresolved(value):
        return []
    if not 1 <= len(value) <= MAX_GLUE_NAME_LENGTH or not _GLUE_NAME.fullmatch(value):
        return [
            f"{prop} must be 1 to {MAX_GLUE_NAME_LENGTH} lowercase letters, digits and underscores "
            f"(Athena-safe); got {value!r}: use e.g. {athena_safe_name(value) or 'forecast_exports'!r}"
        ]
    return []


def athena_safe_name(text: str, max_length: int = MAX_GLUE_NAME_LENGTH) -> str:
    """``text`` lowercased with every run of other characters than ``[a-z0-9]`` made one ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:max_length]


def generated_glue_name(scope: Construct) -> str:
    # Unique per construct path in the app; the hash keeps two stacks' names apart.
    return athena_safe_name(Names.unique_resource_name(scope, max_length=MAX_GLUE_NAME_LENGTH, separator="_"))


@runtime_checkable
class IExportDatabase(Protocol):
    """A Glue database that export tables can be cataloged in."""

    @property
    def database_name(self) -> str: ...

    @property
    def database_arn(self) -> str: ...

    @property
    def catalog_id(self) -> str: ...

    @property
    def catalog_arn(self) -> str: ...


class _DatabaseAttributes:
    _name: str
    _catalog_id: str
    _region: str
    _partition: str

    @property
    def database_name(self) -> str:
        """The database's name."""
        return self._name

    @property
    def catalog_id(self) -> str:
        """The AWS account id of the Glue Data Catalog that holds the database."""
        return self._catalog_id

    @property
    def catalog_arn(self) -> str:
        """``arn:<partition>:glue:<region>:<catalog id>:catalog``."""
        return f"arn:{self._partition}:glue:{self._region}:{self._catalog_id}:catalog"

    @property
    def database_arn(self) -> str:
        """``arn:<partition>:glue:<region>:<catalog id>:database/<name>``."""
        return f"arn:{self._partition}:glue:{self._region}:{self._catalog_id}:database/{self._name}"

    def table_arn(self, table_name: str) -> str:
        """The ARN of table ``table_name`` in this database."""
        return f"arn:{self._partition}:glue:{self._region}:{self._catalog_id}:table/{self._name}/{table_name}"


class ImportedExportDatabase(_DatabaseAttributes, Construct):
    """A Glue database defined elsewhere (see :meth:`ExportDatabase.from_database_name`)."""

    def __init__(
        self, scope: Construct, id: str, *, database_name: str, catalog_id: str, region: str, partition: str
    ) -> None:
        super().__init__(scope, id)
        self._name = database_name
        self._catalog_id = catalog_id
        self._region = region
        self._partition = partition


class ExportDatabase(_DatabaseAttributes, Construct):
    """A Glue database for the export tables (``AWS::Glue::Database``, construct id ``Resource``).

    :param database_name: the database's name: 1..255 lowercase letters, digits and underscores,
        so that Athena accepts it unquoted. Changing it replaces the database. Default: generated
        from the construct path, e.g. ``stack_exports_1a2b3c4d``.
    :param description: the database's description. Default: a sentence naming the library.
    :param removal_policy: what happens to the database when it leaves the stack. Deleting a Glue
        database deletes the catalog entries of all its tables, never data in S3. Default:
        ``RemovalPolicy.DESTROY``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        database_name: str | None = None,
        description: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        problems = glue_name_problems("database_name", database_name) if database_name is not None else []
        problems += removal_policy_problems("removal_policy", removal_policy)
        raise_if_any(f"ExportDatabase {scope.node.path}/{id}", problems)
        super().__init__(scope, id)
        stack = Stack.of(self)
        name = database_name if database_name is not None else generated_glue_name(self)
        self.resource = glue.CfnDatabase(
            self,
            "Resource",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=name,
                description=description or "Amazon Forecast exports, cataloged by forecast-export-cdk",
            ),
        )
        """The ``AWS::Glue::Database`` resource."""
        self.resource.apply_removal_policy(removal_policy)
        # Ref is the name: tables that use it wait for the database.
        self._name = self.resource.ref
        self._catalog_id = stack.account
        self._region = stack.region
        self._partition = stack.partition

    @classmethod
    def from_database_name(
        cls, scope: Construct, id: str, database_name: str, *, catalog_id: str | None = None
    ) -> ImportedExportDatabase:
        """Refer to an existing Glue database of the stack's region by name.

        :param catalog_id: the account id of its Data Catalog. Default: the stack's account.
        """
        raise_if_any(f"ExportDatabase.from_database_name {id}", glue_name_problems("database_name", database_name))
        stack = Stack.of(scope)
        return ImportedExportDatabase(
            scope,
            id,
            database_name=database_name,
            catalog_id=catalog_id or stack.account,
            region=stack.region,
            partition=stack.partition,
        )

    @classmethod
    def from_database_arn(cls, scope: Construct, id: str, database_arn: str) -> ImportedExportDatabase:
        """Refer to an existing Glue database by ARN (``arn:<partition>:glue:<region>:<account>:database/<name>``).

        The provider creates tables in its own region: the database must be in the stack's region.
        """
        stack = Stack.of(scope)
        parts = Arn.split(database_arn, ArnFormat.SLASH_RESOURCE_NAME)
        problems: list[str] = []
        if not Token.is_unresolved(database_arn):
            if parts.service != "glue" or parts.resource != "database" or not parts.resource_name:
                problems.append(f"database_arn must be a Glue database ARN; got {database_arn!r}")
            elif not Token.is_unresolved(stack.region) and parts.region != stack.region:
                problems.append(
                    f"database_arn must be in the stack's region {stack.region}; got {parts.region!r}: "
                    "the provider creates tables in its own region"
                )
            else:
                problems += glue_name_problems("database_arn (name)", parts.resource_name)
        raise_if_any(f"ExportDatabase.from_database_arn {id}", problems)
        return ImportedExportDatabase(
            scope,
            id,
            database_name=parts.resource_name or "",
            catalog_id=parts.account or stack.account,
            region=parts.region or stack.region,
            partition=parts.partition or stack.partition,
        )
