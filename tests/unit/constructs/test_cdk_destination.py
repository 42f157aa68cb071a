"""ExportDestination: every resource, policy statement and condition it emits."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from tests.unit.constructs.cdk_test_support import ACCOUNT, Synthesized, logical_id, statements_of

pytestmark = pytest.mark.xdist_group("example")

PARTITION_REGION_ACCOUNT = ["arn:", {"Ref": "AWS::Partition"}, ":forecast:", {"Ref": "AWS::Region"}, ":"]


def test_key_rotates_and_its_policy_is_the_account_default_plus_the_forecast_role(example: Synthesized) -> None:
    # The stack's other keys belong to the provider's dead-letter queue and to the example's topic.
    destination_key = {
        key_id: key
        for key_id, key in example.template.find_resources("AWS::KMS::Key").items()
        if key_id.startswith("Destination")
    }
    ((key_id, key),) = destination_key.items()
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    root, forecast = statements_of(example.raw, key_id)
    # The AWS default key policy statement: lets IAM policies of this account govern the key.
    assert root["Action"] == "kms:*"
    assert root["Principal"]["AWS"]["Fn::Join"][1][-1] == ":root"
    assert "Condition" not in root
    # The Forecast role may only encrypt and decrypt data keys; no other principal is named.
    assert forecast == {
        "Sid": "ForecastRoleEncryptsExports",
        "Effect": "Allow",
        "Principal": {"AWS": {"Fn::GetAtt": ["DestinationRoleA6FAD836", "Arn"]}},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
    }


def test_bucket_is_encrypted_private_versioned_logged_and_retained(example: Synthesized) -> None:
    example.template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "BucketKeyEnabled": True,
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": {"Fn::GetAtt": ["DestinationKey5D313D60", "Arn"]},
                            },
                        }
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "VersioningConfiguration": {"Status": "Enabled"},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "LoggingConfiguration": {
                    "DestinationBucketName": {"Ref": "DestinationAccessLogsBucketAA677A81"},
                    "LogFilePrefix": "export-bucket/",
                },
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_access_logs_bucket_is_sse_s3_private_and_versioned(example: Synthesized) -> None:
    example.template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                "PublicAccessBlockConfiguration": Match.object_like({"BlockPublicPolicy": True}),
                "VersioningConfiguration": {"Status": "Enabled"},
                "LoggingConfiguration": Match.absent(),
            },
            "DeletionPolicy": "Retain",
        },
    )


@pytest.mark.parametrize("bucket_id", ["DestinationBucketDE0A4D37", "DestinationAccessLogsBucketAA677A81"])
def test_bucket_policies_deny_plain_http_and_old_tls(example: Synthesized, bucket_id: str) -> None:
    (policy_id,) = [
        key
        for key, resource in example.template.find_resources("AWS::S3::BucketPolicy").items()
        if resource["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    denies = [s for s in statements_of(example.raw, policy_id) if s["Effect"] == "Deny" and s["Action"] == "s3:*"]
    conditions = [s["Condition"] for s in denies]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
    assert all(s["Principal"] == {"AWS": "*"} and s["Action"] == "s3:*" for s in denies)


def test_access_logs_are_delivered_by_bucket_policy_for_this_account_only(example: Synthesized) -> None:
    (policy_id,) = [
        key
        for key, resource in example.template.find_resources("AWS::S3::BucketPolicy").items()
        if resource["Properties"]["Bucket"] == {"Ref": "DestinationAccessLogsBucketAA677A81"}
    ]
    (delivery,) = [s for s in statements_of(example.raw, policy_id) if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "aws:SourceArn" in delivery["Condition"]["ArnLike"]


def test_role_trusts_forecast_only_for_this_account_and_region(example: Synthesized) -> None:
    (trust,) = statements_of(example.raw, "DestinationRoleA6FAD836")
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "forecast.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            "ArnLike": {
                "aws:SourceArn": {"Fn::Join": ["", [*PARTITION_REGION_ACCOUNT, {"Ref": "AWS::AccountId"}, ":*"]]}
            },
        },
    }


def test_role_writes_only_under_the_prefix_and_uses_no_key_through_its_own_policy(example: Synthesized) -> None:
    objects = {"Fn::Join": ["", [{"Fn::GetAtt": ["DestinationBucketDE0A4D37", "Arn"]}, "/forecast-exports/*"]]}
    bucket = {"Fn::GetAtt": ["DestinationBucketDE0A4D37", "Arn"]}
    assert statements_of(example.raw, "DestinationRoleDefaultPolicy9DA99118") == [
        {"Sid": "ForecastReadsUnderPrefix", "Effect": "Allow", "Action": "s3:Get*", "Resource": objects},
        {
            "Sid": "ForecastListsUnderPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket,
            "Condition": {"StringLike": {"s3:prefix": ["forecast-exports/*"]}},
        },
        {"Sid": "ForecastLocatesBucket", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket},
        {"Sid": "ForecastWritesUnderPrefix", "Effect": "Allow", "Action": "s3:PutObject", "Resource": objects},
    ]


@pytest.mark.xdist_group("custom")
def test_existing_bucket_role_and_key_are_used_not_created(custom: Synthesized) -> None:
    reused = custom.handles["reused"]
    assert reused.access_logs_bucket is None
    assert custom.stack.resolve(reused.bucket.bucket_name) == "existing-exports"
    # Two new buckets each for "New" and "KeyOnly", none for "Reused"; one new key ("New").
    custom.template.resource_count_is("AWS::S3::Bucket", 4)
    # Besides the provider's key for its dead-letter queue.
    custom.template.resource_count_is("AWS::KMS::Key", 2)
    keys = custom.template.find_resources("AWS::KMS::Key")
    assert len([key for key in keys if key.startswith("NewKey")]) == 1
    custom.template.resource_count_is("AWS::IAM::Role", 4)  # New, KeyOnly, provider, reader
    key_arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    existing_role_policy = [
        key for key in custom.template.find_resources("AWS::IAM::Policy") if key.startswith("ExistingRolePolicy")
    ]
    (policy_id,) = existing_role_policy
    assert custom.raw["Resources"][policy_id]["Properties"]["Roles"] == ["existing-forecast-writer"]
    assert statements_of(custom.raw, policy_id) == [
        {
            "Sid": "ForecastReadsUnderPrefix",
            "Effect": "Allow",
            "Action": "s3:Get*",
            "Resource": "arn:aws:s3:::existing-exports/*",
        },
        {
            "Sid": "ForecastListsUnderPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::existing-exports",
            "Condition": {"StringLike": {"s3:prefix": ["*"]}},
        },
        {
            "Sid": "ForecastLocatesBucket",
            "Effect": "Allow",
            "Action": "s3:GetBucketLocation",
            "Resource": "arn:aws:s3:::existing-exports",
        },
        {
            "Sid": "ForecastWritesUnderPrefix",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::existing-exports/*",
        },
        # An existing key's policy is not ours: the role's policy names the key instead.
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key_arn},
    ]


@pytest.mark.xdist_group("custom")
def test_new_bucket_with_an_existing_key(custom: Synthesized) -> None:
    key_only = custom.handles["key_only"]
    bucket = custom.raw["Resources"][logical_id(custom, key_only.bucket)]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"].endswith(":key/1234abcd-12ab-34cd-56ef-1234567890ab")
    (trust,) = statements_of(custom.raw, logical_id(custom, key_only.role))
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:forecast:eu-west-1:{ACCOUNT}:*"}


@pytest.mark.xdist_group("custom")
def test_named_resources_and_alias(custom: Synthesized) -> None:
    custom.template.has_resource_properties("AWS::S3::Bucket", {"BucketName": "forecast-exports-example"})
    custom.template.has_resource_properties("AWS::IAM::Role", {"RoleName": "forecast-export-writer"})
    custom.template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/forecast-exports"})
    new = custom.handles["new"]
    assert custom.stack.resolve(new.s3_path("x/")) == {
        "Fn::Join": ["", ["s3://", {"Ref": logical_id(custom, new.bucket)}, "/exports/x/"]]
    }


@pytest.mark.xdist_group("custom")
def test_grant_read_gives_object_reads_under_the_export_prefix_listing_and_decrypt(custom: Synthesized) -> None:
    bucket = {"Fn::GetAtt": [logical_id(custom, custom.handles["new"].bucket), "Arn"]}
    key = {"Fn::GetAtt": [logical_id(custom, custom.handles["new"].encryption_key), "Arn"]}
    reader_policy = logical_id(custom, custom.handles["reader"].node.find_child("DefaultPolicy"))
    assert statements_of(custom.raw, reader_policy) == [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Join": ["", [bucket, "/exports/daily/*"]]}},
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket,
            "Condition": {"StringLike": {"s3:prefix": ["exports/daily/*"]}},
        },
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key,
            "Condition": custom.stack.resolve(custom.handles["new"].key_conditions()),
        },
    ]
    assert custom.handles["grant"].success
