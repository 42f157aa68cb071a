"""An Athena workgroup for querying the exports, its results encrypted in the destination bucket."""

from __future__ import annotations

import re

from aws_cdk import ArnFormat, Duration, Names, Size, Stack, Token
from aws_cdk import aws_athena as athena
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ._checks import prefix_problems, raise_if_any, warn
from .destination import ExportDestination

DEFAULT_RESULTS_PREFIX = "athena-results/"
DEFAULT_RESULTS_EXPIRATION = Duration.days(30)
DEFAULT_BYTES_SCANNED_CUTOFF = Size.gibibytes(10)
MIN_BYTES_SCANNED_CUTOFF = 10_000_000
"""Athena's lower bound for ``BytesScannedCutoffPerQuery`` (10 MB)."""

_WORK_GROUP_NAME = re.compile(r"[a-zA-Z0-9._-]{1,128}")

QUERY_ATHENA_ACTIONS = (
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetWorkGroup",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
)
QUERY_RESULTS_ACTIONS = ("s3:GetObject", "s3:PutObject")
QUERY_RESULTS_KEY_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey")


class ExportWorkGroup(Construct):
    """An Athena workgroup for querying the exports (``AWS::Athena::WorkGroup``, id ``Resource``).

    Query results go to the destination bucket under ``results_prefix``, encrypted with the
    destination's KMS key (SSE-KMS; SSE-S3 when the destination has no key). The workgroup's
    settings are enforced (clients cannot override the location or encryption), each query stops
    after ``bytes_scanned_cutoff_per_query``, CloudWatch metrics are published and the engine
    version is chosen by Athena (``AUTO``).

    :param destination: the :class:`ExportDestination` whose bucket and key hold the results.
    :param work_group_name: the workgroup's name (``[a-zA-Z0-9._-]``, 1..128). Changing it replaces
        the workgroup. Default: generated from the construct path.
    :param results_prefix: key prefix of the results, relative to the bucket's root; ends in ``/``.
        Default: ``athena-results/``.
    :param bytes_scanned_cutoff_per_query: the most data one query may scan (at least 10 MB).
        Default: 10 GiB.
    :param recursive_delete: delete the workgroup with its saved queries and query history when
        it leaves the stack. Without it, CloudFormation cannot delete a workgroup that has run a
        query. Results in S3 are never deleted. Default: True.
    :param description: the workgroup's description. Default: a sentence naming the library.
    :param results_expiration: how long query results stay in a bucket the destination created
        (a lifecycle rule on ``results_prefix``, older versions included); None keeps them. With an
        existing bucket, its own lifecycle rules apply. Default: 30 days.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        destination: ExportDestination,
        work_group_name: str | None = None,
        results_prefix: str = DEFAULT_RESULTS_PREFIX,
        bytes_scanned_cutoff_per_query: Size = DEFAULT_BYTES_SCANNED_CUTOFF,
        recursive_delete: bool = True,
        description: str | None = None,
        results_expiration: Duration | None = DEFAULT_RESULTS_EXPIRATION,
    ) -> None:
        problems: list[str] = []
        if not isinstance(destination, ExportDestination):
            problems.append(f"destination must be an ExportDestination; got {type(destination).__name__}")
        if (
            work_group_name is not None
            and not Token.is_unresolved(work_group_name)
            and not _WORK_GROUP_NAME.fullmatch(work_group_name)
        ):
            problems.append(
                f"work_group_name must be 1 to 128 letters, digits, '.', '_' or '-'; got {work_group_name!r}"
            )
        problems += prefix_problems("results_prefix", results_prefix)
        if results_prefix == "":
            problems.append(
                "results_prefix must not be empty: results need a prefix of their own, e.g. 'athena-results/'"
            )
        if not isinstance(bytes_scanned_cutoff_per_query, Size):
            problems.append(
                f"bytes_scanned_cutoff_per_query must be a Size, e.g. Size.gibibytes(10); "
                f"got {bytes_scanned_cutoff_per_query!r}"
            )
        elif bytes_scanned_cutoff_per_query.to_bytes() < MIN_BYTES_SCANNED_CUTOFF:
            problems.append(
                f"bytes_scanned_cutoff_per_query must be at least 10 MB ({MIN_BYTES_SCANNED_CUTOFF} bytes), "
                f"Athena's minimum; got {bytes_scanned_cutoff_per_query.to_bytes():.0f} bytes"
            )
        raise_if_any(f"ExportWorkGroup {scope.node.path}/{id}", problems)
        super().__init__(scope, id)
        stack = Stack.of(self)

        self.destination = destination
        """The destination whose bucket and key hold the results."""
        self.bucket: s3.IBucket = destination.bucket
        """The bucket of the results."""
        self.encryption_key: kms.IKey | None = destination.encryption_key
        """The key that encrypts the results, or None (SSE-S3)."""
        self.results_prefix: str = results_prefix
        """The results' key prefix, relative to the bucket's root."""
        self.results_location = f"s3://{self.bucket.bucket_name}/{results_prefix}"
        """``s3://<bucket>/<results_prefix>``."""
        if results_expiration is not DEFAULT_RESULTS_EXPIRATION and not isinstance(self.bucket, s3.Bucket):
            warn(
                self,
                "resultsExpirationIgnored",
                "results_expiration applies to a bucket the destination creates; the destination's bucket "
                "is an existing one, whose own lifecycle rules decide how long query results stay. "
                "Omit results_expiration, or add a lifecycle rule on results_prefix to that bucket.",
            )
        if results_expiration is not None and isinstance(self.bucket, s3.Bucket):
            self.bucket.add_lifecycle_rule(
                id=f"ExpireQueryResults{Names.node_unique_id(self.node)}"[:255],
                prefix=results_prefix,
                expiration=results_expiration,
                noncurrent_version_expiration=Duration.days(1),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
        name = work_group_name or Names.unique_resource_name(self, max_length=128, separator="-")
        if self.encryption_key is not None:
            encryption = athena.CfnWorkGroup.EncryptionConfigurationProperty(
                encryption_option="SSE_KMS", kms_key=self.encryption_key.key_arn
            )
        else:
            encryption = athena.CfnWorkGroup.EncryptionConfigurationProperty(encryption_option="SSE_S3")
        self.resource = athena.CfnWorkGroup(
            self,
            "Resource",
            name=name,
            description=description or "Queries of Amazon Forecast exports (forecast-export-cdk)",
            state="ENABLED",
            recursive_delete_option=recursive_delete,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                bytes_scanned_cutoff_per_query=int(bytes_scanned_cutoff_per_query.to_bytes()),
                publish_cloud_watch_metrics_enabled=True,
                requester_pays_enabled=False,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version="AUTO"),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=self.results_location, encryption_configuration=encryption
                ),
            ),
        )
        """The ``AWS::Athena::WorkGroup`` resource."""
        self.work_group_name: str = self.resource.ref
        """The workgroup's name (``Ref``)."""
        self.work_group_arn: str = stack.format_arn(
            service="athena",
            resource="workgroup",
            resource_name=self.work_group_name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        """``arn:<partition>:athena:<region>:<account>:workgroup/<name>``."""

    def grant_use(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` run queries in this workgroup and write and read their results.

        Grants the Athena query actions on the workgroup, ``s3:PutObject``/``s3:GetObject`` on the
        results prefix, ``s3:GetBucketLocation`` on the bucket, and ``kms:GenerateDataKey``,
        ``kms:Encrypt`` and ``kms:Decrypt`` on the key. Reading the tables is
        :meth:`ExportTable.grant_query`'s part.
        """
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(QUERY_ATHENA_ACTIONS), resource_arns=[self.work_group_arn]
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=list(QUERY_RESULTS_ACTIONS),
                resource_arns=[self.bucket.arn_for_objects(f"{self.results_prefix}*")],
            )
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee, actions=["s3:GetBucketLocation"], resource_arns=[self.bucket.bucket_arn]
            )
        )
        if self.encryption_key is not None:
            grant = grant.combine(self.destination.grant_key(grantee, *QUERY_RESULTS_KEY_ACTIONS, "kms:Decrypt"))
        return grant
