"""The one stack: storage, pipeline, workers, API (when the `api` Lambda exists), observability."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from ytcaption import resources
from ytcaption_cdk import fast_lane
from ytcaption_cdk.api import Api
from ytcaption_cdk.config import Config
from ytcaption_cdk.live import Live
from ytcaption_cdk.nag import acknowledge
from ytcaption_cdk.observability import Observability
from ytcaption_cdk.pipeline import Pipeline
from ytcaption_cdk.storage import Storage
from ytcaption_cdk.workers import Workers


class YtcaptionStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: Config, **kwargs: Any) -> None:
        super().__init__(scope, id, description="YTCaption: Whisper transcription pipeline", **kwargs)
        self.config = config
        self.storage = Storage(self, "Storage", config=config)
        self.pipeline = Pipeline(self, "Pipeline", config=config, bucket=self.storage.bucket, table=self.storage.table)

        # Uploads start jobs, exactly as in the local runtime: S3 -> intake queue -> intake Lambda.
        self.storage.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.SqsDestination(self.pipeline.intake_queue),
            s3.NotificationKeyFilter(prefix=resources.UPLOADS_PREFIX),
        )

        self.workers = None
        if config.deployWorkers:
            self.workers = Workers(
                self,
                "Workers",
                config=config,
                bucket=self.storage.bucket,
                table=self.storage.table,
                queue=self.pipeline.queue,
                priority_queues=(self.pipeline.queue_high, self.pipeline.queue_low),
                state_machine=self.pipeline.state_machine,
            )

        # The fast lane's router reads the worker service's running count.
        fast_lane.connect_router(self.pipeline, self.pipeline.functions["pick-lane"], workers=self.workers is not None)

        api_function = self.pipeline.functions.get("api")
        self.api = (
            Api(
                self,
                "Api",
                config=config,
                function=api_function,
                authorizer_function=self.pipeline.functions["authorizer"],
            )
            if api_function is not None
            else None
        )

        if self.api is not None:
            # Emails link to the transcript through the public API.
            for name in ("notify", "reconcile-executions"):
                self.pipeline.functions[name].add_environment("YTC_PUBLIC_API_URL", self.api.rest_api.url)

        # Live updates over WebSocket: an API of its own, authorized by the same tenant keys.
        self.live = Live(
            self,
            "Live",
            config=config,
            connections=self.storage.connections,
            socket_function=self.pipeline.functions["live-socket"],
            fan_out_function=self.pipeline.functions["live"],
            authorizer_function=self.pipeline.functions["authorizer"],
            dead_letter_queue=self.pipeline.events_dlq,
        )
        if api_function is not None:
            # The web page the API serves follows jobs there.
            api_function.add_environment("YTC_PUBLIC_LIVE_URL", self.live.stage.url)
        if self.api is not None and self.api.account is not None:
            # Its stage logs through the account's API Gateway role too.
            self.live.stage.node.add_dependency(self.api.account)

        self.observability = Observability(
            self,
            "Observability",
            config=config,
            queue=self.pipeline.queue,
            priority_queues=(self.pipeline.queue_high, self.pipeline.queue_low),
            dlq=self.pipeline.dlq,
            intake_dlq=self.pipeline.intake_dlq,
            events_dlq=self.pipeline.events_dlq,
            state_machine=self.pipeline.state_machine,
            functions=self.pipeline.functions,
            workers=self.workers,
            api=self.api,
        )
        self._outputs()
        self._acknowledge_cdk_internals()

    def _outputs(self) -> None:
        CfnOutput(self, "BucketName", value=self.storage.bucket.bucket_name)
        CfnOutput(self, "TableName", value=self.storage.table.table_name)
        CfnOutput(self, "QueueUrl", value=self.pipeline.queue.queue_url)
        CfnOutput(self, "StateMachineArn", value=self.pipeline.state_machine.state_machine_arn)
        CfnOutput(self, "AlarmTopicArn", value=self.observability.topic.topic_arn)
        if self.api is not None:
            CfnOutput(self, "ApiUrl", value=self.api.rest_api.url)
        CfnOutput(self, "LiveUrl", value=self.live.stage.url, description="WebSocket: connect with ?key=ytc_...")

    def _acknowledge_cdk_internals(self) -> None:
        """Findings on resources CDK creates itself (bucket-notification and log-retention helpers)."""
        handler = self.node.try_find_child("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")
        if handler is not None:
            role = handler.node.find_child("Role")
            acknowledge(
                role,
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                reason="CDK's own bucket-notification helper (runs once per deploy) uses the basic execution role.",
            )
