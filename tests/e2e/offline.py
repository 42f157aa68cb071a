"""Standing up a synthesized stack offline: moto for the template's resources, stand-ins for the rest."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
from moto import mock_aws

from tests.standins.lambda_runtime import LambdaRuntime

from .cloud_assembly import Resolver, StackArtifact

REGION, ACCOUNT = "us-east-1", "123456789012"


def create_with_moto(stack: StackArtifact, stack_name: str, parameters: dict[str, Any] | None = None) -> Resolver:
    """Create the template's buckets, roles and keys in moto; return a resolver that knows them."""
    resolver = Resolver(parameters=dict(parameters or {}), region=REGION, account=ACCOUNT)
    resources = stack.resources
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        kms = boto3.client("kms", region_name=REGION)
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::IAM::Role":
                name = f"{stack_name}-{logical_id}"[:64]
                document = json.dumps(resolver.resolve(resource["Properties"]["AssumeRolePolicyDocument"]))
                role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]
                resolver.refs[logical_id] = name
                resolver.attributes[(logical_id, "Arn")] = role["Arn"]
            elif resource["Type"] == "AWS::S3::Bucket":
                name = f"{stack_name}-{logical_id}".lower()[:50] + "-" + uuid.uuid4().hex[:8]
                s3.create_bucket(Bucket=name)
                resolver.refs[logical_id] = name
                resolver.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::KMS::Key":
                policy = json.dumps(resolver.resolve(resource["Properties"]["KeyPolicy"]))
                key = kms.create_key(Policy=policy)["KeyMetadata"]
                resolver.refs[logical_id] = key["KeyId"]
                resolver.attributes[(logical_id, "Arn")] = key["Arn"]
            elif resource["Type"] == "AWS::SQS::Queue":
                resolver.attributes[(logical_id, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{logical_id}"
            elif resource["Type"] == "AWS::Logs::LogGroup":
                resolver.refs[logical_id] = f"/aws/lambda/{logical_id}"
                resolver.attributes[(logical_id, "Arn")] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{logical_id}:*"
    return resolver


def runtime_for(stack: StackArtifact, resolver: Resolver, function_logical_id: str, **services: Any) -> LambdaRuntime:
    """The provider function as the template defines it, code from the cloud assembly."""
    function = stack.resources[function_logical_id]["Properties"]
    name = resolver.refs[function_logical_id]
    overrides = services.pop("environment", {})
    environment = resolver.resolve(function.get("Environment", {}).get("Variables", {}))
    return LambdaRuntime(
        code_dir=stack.asset_directory(function_logical_id),
        handler=function["Handler"],
        timeout_seconds=services.pop("timeout_seconds", function["Timeout"]),
        memory_mb=function["MemorySize"],
        init_limit_seconds=services.pop("init_limit_seconds", 10.0),
        function_name=name,
        lambda_service=services["lambda_service"],
        retry_delay_seconds=0.1,
        environment={
            **environment,
            "AWS_ENDPOINT_URL": services["catch_all"].endpoint_url,
            "AWS_ENDPOINT_URL_FORECAST": services["forecast"].endpoint_url,
            "AWS_ENDPOINT_URL_LAMBDA": services["lambda_service"].endpoint_url,
            **overrides,
        },
        extra_env={"SSL_CERT_FILE": services["endpoint"].ca_bundle_path},
    )
