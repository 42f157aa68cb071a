"""The provider: one Lambda function per stack that backs every Forecast export custom resource."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import jsii
from aws_cdk import (
    Acknowledgment,
    ArnFormat,
    CfnElement,
    Duration,
    IStableStringProducer,
    Lazy,
    Names,
    RemovalPolicy,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from forecast_export_provider.constants import (
    FORECAST_SERVICE_PRINCIPAL,
    POLL_INTERVAL_SECONDS,
    TOTAL_WAIT_SECONDS,
)
from forecast_export_provider.kinds import ExportKind
from forecast_export_provider.naming import LEGACY_DIGEST_LENGTH, generated_name_head, legacy_name_head

from ._asset import LAYER_INSTALL_COMMAND, parquet_reader_layer, staged_asset_directory
from ._checkov import skip_checkov_check

if TYPE_CHECKING:
    from .destination import ExportDestination

HANDLER = "forecast_export_provider.entrypoint.handler"
FUNCTION_TIMEOUT = Duration.seconds(900)


class ForecastExportProvider(Construct):
    """The Lambda function behind every Forecast export custom resource of a stack.

    Use :meth:`of` to get the stack's single instance; the export constructs do so themselves.
    Its role starts with permission to write its own logs and to invoke itself asynchronously;
    each export then adds exactly the Forecast, ``iam:PassRole`` and KMS permissions its kind,
    source and destination need.
    """

    ID = "ForecastExportProvider"
    """The construct id of the singleton at the stack's top level."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self._granted_kinds: set[str] = set()
        self._parquet_reader: lambda_.LayerVersion | None = None

        self.log_group = logs.LogGroup(self, "LogGroup", retention=logs.RetentionDays.ONE_MONTH)
        """The function's log group (one month retention, retained on stack deletion)."""
        log_group_resource = self.log_group.node.default_child
        assert isinstance(log_group_resource, logs.CfnLogGroup)
        skip_checkov_check(
            log_group_resource,
            "CKV_AWS_158",
            "The handler logs no secrets (never the pre-signed ResponseURL or credentials; crhelper's "
            "loggers stay at INFO), and CloudWatch Logs encrypts at rest; a customer key would add a key "
            "policy for the logs service and a way to lose the logs without protecting anything more.",
        )

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Forecast export custom resource provider",
        )
        """The function's execution role."""
        # Only the log group's own streams: no managed AWSLambdaBasicExecutionRole (logs:* on *).
        self.log_group.grant_write(self.role)

        self.dead_letter_queue = self._new_dead_letter_queue()
        """Where Lambda puts an asynchronous invocation of the function (CloudFormation's request or
        a continuation of a long wait) that failed every retry or grew older than an hour."""

        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(staged_asset_directory()),
            timeout=FUNCTION_TIMEOUT,
            memory_size=256,
            role=self.role,
            log_group=self.log_group,
            dead_letter_queue=self.dead_letter_queue,
            description="CloudFormation custom resource provider for Amazon Forecast export jobs",
            environment={
                "TOTAL_WAIT_SECONDS": str(TOTAL_WAIT_SECONDS),
                "POLL_INTERVAL_SECONDS": str(POLL_INTERVAL_SECONDS),
                "LOG_LEVEL": "INFO",
            },
        )
        """The provider function; its ARN is every custom resource's ``ServiceToken``."""
        function_resource = self.function.node.default_child
        assert isinstance(function_resource, lambda_.CfnFunction)
        self._acknowledge_function_findings(function_resource)
        # The function continues long waits by invoking itself asynchronously; a continuation
        # older than CloudFormation's hour is of no use, a crashed one is worth two more tries.
        self.function.configure_async_invoke(max_event_age=Duration.hours(1), retry_attempts=2)

        # Kept out of the role's default policy: the function depends on that policy, so a
        # statement naming the function's ARN there would close a dependency cycle. Every custom
        # resource depends on this policy, so the permission exists before the first invocation.
        self.invoke_policy = iam.Policy(
            self,
            "SelfInvokePolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="ContinueWaitByInvokingSelf",
                    actions=["lambda:InvokeFunction"],
                    resources=[self.function.function_arn],
                )
            ],
        )
        """Lets the function invoke itself (``lambda:InvokeFunction`` on its own ARN only)."""

    def _new_dead_letter_queue(self) -> sqs.Queue:
        # The messages are whole CloudFormation requests, pre-signed ResponseURL included: encrypted
        # with a key of their own, readable only through IAM, over TLS only.
        key = kms.Key(
            self,
            "DeadLetterKey",
            description="Encrypts the Forecast export provider's failed asynchronous invocations",
            enable_key_rotation=True,
            # The key guards only the queue's messages, which go with the queue.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # Lambda writes to the queue with the function's role, which must be able to encrypt.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ProviderRoleSendsDeadLetters",
                principals=[iam.ArnPrincipal(self.role.role_arn)],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )
        queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        Validations.of(queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="This queue is the provider function's dead-letter queue: the last stop for an "
                "invocation that failed every retry, with nowhere further to go.",
            )
        )
        return queue

    def _acknowledge_function_findings(self, function_resource: lambda_.CfnFunction) -> None:
        """Say in the template why the function stays as it is where checkov and cfn-lint object."""
        skip_checkov_check(
            function_resource,
            "CKV_AWS_115",
            "Each export waiting for Forecast holds one execution; a concurrency limit below the "
            "number of exports in flight would hold back CloudFormation's requests and the continuations "
            "of long waits past their deadline, and reserving takes from the account's shared pool.",
        )
        skip_checkov_check(
            function_resource,
            "CKV_AWS_117",
            "The function calls only the Forecast and Lambda APIs and CloudFormation's S3 ResponseURL, "
            "over TLS, and accepts no connections; a VPC would need a NAT gateway or endpoints for all "
            "three and would protect nothing more.",
        )
        skip_checkov_check(
            function_resource,
            "CKV_AWS_173",
            "The environment holds only the wait settings and the log level, no secrets; Lambda encrypts "
            "it at rest with its service key.",
        )
        # The CDK makes the function depend on its role (the role and the role's policy). The policy
        # must exist before the function; the role is also referenced by the Role property, which
        # cfn-lint reports as redundant (W3005). Harmless, and kept rather than overriding DependsOn,
        # which would drop every dependency added later.
        function_resource.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})

    def add_parquet_reader(self) -> lambda_.LayerVersion:
        """Give the function the Parquet reader (arro3) as a layer, once per stack.

        Tables over Parquet exports call this; a stack without them uploads no reader. The layer's
        zip comes from the ``forecast-export-cdk-parquet-layer`` distribution; without it this
        raises, saying how to install it.
        """
        if self._parquet_reader is None:
            content = parquet_reader_layer()
            if content is None:
                raise ValueError(f"the Parquet reader layer is not installed; install it with: {LAYER_INSTALL_COMMAND}")
            runtime, architecture = self.function.runtime, self.function.architecture
            if (content.runtime, content.architecture) != (runtime.name, architecture.name):
                raise ValueError(
                    f"the installed Parquet reader layer is built for {content.runtime} on {content.architecture}, "
                    f"the provider function runs {runtime.name} on {architecture.name}; install the layer of "
                    f"this version: {LAYER_INSTALL_COMMAND}"
                )
            self._parquet_reader = lambda_.LayerVersion(
                self,
                "ParquetReaderLayer",
                code=lambda_.Code.from_asset(str(content.zip_path)),
                compatible_runtimes=[runtime],
                compatible_architectures=[architecture],
                license="MIT OR Apache-2.0",
                description="arro3 (Parquet reader) for the Forecast export provider's table resources",
            )
            self.function.add_layers(self._parquet_reader)
        return self._parquet_reader

    @property
    def service_token(self) -> str:
        """The function's ARN, the ``ServiceToken`` of the custom resources."""
        return self.function.function_arn

    @classmethod
    def of(cls, scope: IConstruct) -> ForecastExportProvider:
        """The provider of ``scope``'s stack, created on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(cls.ID)
        if existing is None:
            return cls(stack, cls.ID)
        if not isinstance(existing, ForecastExportProvider):
            raise ValueError(f"the construct id {cls.ID!r} at the top of stack {stack.node.path} is taken")
        return existing

    def _forecast_arn(self, resource_type: str, resource_name: str = "*") -> str:
        return Stack.of(self).format_arn(
            service="forecast",
            resource=resource_type,
            resource_name=resource_name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def export_arns(
        self, kind: ExportKind, source: str | Sequence[str], resource: CfnElement, export_name: str | None
    ) -> list[str]:
        """The ARNs the export behind ``resource`` can have: exact for an explicit ``export_name``;
        otherwise the names the provider generates for this stack and logical id (a prefix) and
        those earlier releases generated for the logical id (see docs/design.md, "Ownership")."""
        folder = kind.arn_resource_type
        if not kind.source_is_list:
            assert isinstance(source, str)
            folder += "/" + ("*" if Token.is_unresolved(source) else source.split("/", 1)[-1])
        stack = Stack.of(self)

        def arn(name: str) -> str:
            return stack.format_arn(
                service="forecast", resource=folder, resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME
            )

        if export_name is not None:
            return [arn(export_name)]
        head = Lazy.string(_NameHead(resource, generated_name_head))
        legacy = Lazy.string(_NameHead(resource, lambda _stack_name, logical_id: legacy_name_head(logical_id)))
        return [arn(head + "*"), arn(legacy + "?" * LEGACY_DIGEST_LENGTH)]

    def grant_export(
        self,
        kind: ExportKind,
        source: str | Sequence[str],
        destination: ExportDestination,
        *,
        resource: CfnElement,
        export_name: str | None = None,
        source_is_list_token: bool = False,
    ) -> list[iam.Policy]:
        """Add what the export behind ``resource`` needs to the role; returns the policies beside the
        role's default one that the export must wait for.

        Per export: Describe, Delete, StopResource (where the kind supports it) and the tag actions
        on the export's own ARNs (:meth:`export_arns`), never on every export of the kind; the Create
        action on its source ARN(s) (the resource type the Service Authorization Reference names for
        Create); ``iam:PassRole`` on the destination role for Forecast only; and
        ``kms:Decrypt``/``kms:GenerateDataKey`` on the destination key, which Forecast checks
        against the caller when a request names a KMS key. Per kind (once): the List action, which
        has no resource type.
        """
        if kind.key not in self._granted_kinds:
            self._granted_kinds.add(kind.key)
            self.role.add_to_principal_policy(
                iam.PolicyStatement(actions=[f"forecast:{kind.list_operation}"], resources=["*"])
            )
            self._acknowledge(
                "Resource::*",
                "Only the List actions of the export kinds (ListForecastExportJobs, ...) have '*': "
                "the Service Authorization Reference gives them no resource type.",
            )
        actions = [
            f"forecast:{kind.describe_operation}",
            f"forecast:{kind.delete_operation}",
            "forecast:TagResource",
            "forecast:UntagResource",
            "forecast:ListTagsForResource",
        ]
        if kind.stoppable:
            actions.append("forecast:StopResource")
        arns = self.export_arns(kind, source, resource, export_name)
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=sorted(actions), resources=arns))
        for arn in arns:
            if "*" in f"{Stack.of(self).resolve(arn)}":
                self._acknowledge(
                    f"Resource::{_nag_text(self, arn)}",
                    f"This {kind.title}'s own names: those the provider generates for this stack and "
                    "logical id (their head, then a digest per request), or its explicit name under a "
                    "source known only at deploy time; never every export of the kind.",
                )

        policies: list[iam.Policy] = []
        create = f"forecast:{kind.create_operation}"
        if source_is_list_token:
            # A list-valued token (e.g. a CommaDelimitedList parameter) cannot be merged with other
            # ARNs in one statement, so it gets a policy of its own, with the token as its resource.
            policy = iam.Policy(
                self,
                f"Create{Names.node_unique_id(resource.node)}",
                roles=[self.role],
                statements=[iam.PolicyStatement(actions=[create], resources=list(source))],
            )
            policies.append(policy)
        else:
            sources = [source] if isinstance(source, str) else list(source)
            self.role.add_to_principal_policy(iam.PolicyStatement(actions=[create], resources=sources))
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[destination.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": FORECAST_SERVICE_PRINCIPAL}},
            )
        )
        key = destination.encryption_key
        if key is not None:
            # Identical statements from several exports are merged by the policy document.
            self.role.add_to_principal_policy(
                iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[key.key_arn])
            )
        return policies

    def _acknowledge(self, finding: str, reason: str) -> None:
        """Acknowledge one cdk-nag finding on the role's default policy, the only place it arises."""
        policy = self.role.node.find_child("DefaultPolicy")
        Validations.of(policy).acknowledge(Acknowledgment(id=f"AwsSolutions-IAM5[{finding}]", reason=reason))


def _nag_text(scope: Construct, value: str) -> str:
    """``value`` as cdk-nag writes it in a finding id (pseudo parameters as ``<AWS::Region>``)."""
    resolved = Stack.of(scope).resolve(value)
    parts = resolved["Fn::Join"][1] if isinstance(resolved, dict) and "Fn::Join" in resolved else [resolved]
    return "".join(f"<{part['Ref']}>" if isinstance(part, dict) and "Ref" in part else str(part) for part in parts)


@jsii.implements(IStableStringProducer)
class _NameHead:
    """A head of the names generated for ``resource``, from its stack's name and its logical id,
    resolved at synth time (so that a later ``override_logical_id`` is honoured)."""

    def __init__(self, resource: CfnElement, head: Callable[[str, str], str]) -> None:
        self._resource = resource
        self._head = head

    def produce(self) -> str:
        stack = Stack.of(self._resource)
        return self._head(stack.stack_name, str(stack.resolve(self._resource.logical_id)))
