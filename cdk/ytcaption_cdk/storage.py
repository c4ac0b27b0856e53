"""The media bucket, the jobs table and the live-updates connections table, from ytcaption.resources."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ytcaption import resources
from ytcaption_cdk.config import Config


class Storage(Construct):
    def __init__(self, scope: Construct, id: str, *, config: Config) -> None:
        super().__init__(scope, id)
        # retainData: keep the data when the stack goes (and protect the table), or delete it all.
        retain = config.retainData
        removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(90))],
            removal_policy=removal,
            auto_delete_objects=not retain,
        )

        rules = [
            s3.LifecycleRule(
                id="expire-uploads", prefix=resources.UPLOADS_PREFIX, expiration=Duration.days(config.uploadsExpireDays)
            ),
            s3.LifecycleRule(
                id="expire-audio", prefix=resources.AUDIO_PREFIX, expiration=Duration.days(config.audioExpireDays)
            ),
            s3.LifecycleRule(
                id="expire-old-versions",
                noncurrent_version_expiration=Duration.days(config.noncurrentVersionsExpireDays),
                abort_incomplete_multipart_upload_after=Duration.days(1),
                expired_object_delete_marker=True,
            ),
        ]
        if config.resultsExpireDays > 0:
            rules.append(
                s3.LifecycleRule(
                    id="expire-results",
                    prefix=resources.RESULTS_PREFIX,
                    expiration=Duration.days(config.resultsExpireDays),
                )
            )
        # S3 bucket names are global: the deployed name carries the account and region.
        self.bucket = s3.Bucket(
            self,
            "Media",
            bucket_name=f"{config.names.bucket}-{Aws.ACCOUNT_ID}-{Aws.REGION}",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=rules,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="media/",
            removal_policy=removal,
            # A bucket with objects (or versions) left cannot be deleted: CDK's helper empties it.
            auto_delete_objects=not retain,
            # The web page POSTs uploads from the browser (its progress listener makes that a CORS request),
            # and GETs a large result's presigned link (without its key) to read it.
            # Any origin: a presigned request is authorized by its signature, never by where it comes from
            # (and the page's own origin, the API's, cannot be named here without a dependency cycle).
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.GET, s3.HttpMethods.POST], allowed_origins=["*"], max_age=3600
                )
            ],
        )

        self.table = self._table("Jobs", config.names.table, deletion_protection=retain, removal_policy=removal)
        self.table.add_global_secondary_index(
            index_name=resources.TABLE_GSI_TENANT,
            partition_key=dynamodb.Attribute(name="gsi1pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="gsi1sk", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )

        # Live updates: WebSocket connections and their subscriptions (store/connections.py). Every item
        # expires a little after API Gateway closes its connection (2 hours at most).
        self.connections = self._table(
            "Connections",
            config.names.connections_table,
            # Nothing here outlives its connection: never worth keeping.
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _table(self, id: str, name: str, **options: Any) -> dynamodb.Table:
        """pk/sk (strings), on demand, encrypted, point-in-time recovery, items expiring by TTL."""
        return dynamodb.Table(
            self,
            id,
            table_name=name,
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=resources.TABLE_TTL_ATTRIBUTE,
            **options,
        )
