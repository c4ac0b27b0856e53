"""Dashboard and alarms (to an SNS topic) for the whole pipeline."""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ytcaption_cdk.config import Config
from ytcaption_cdk.workers import METRICS_NAMESPACE, Workers

FIVE_MINUTES = Duration.minutes(5)


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        queue: sqs.IQueue,
        dlq: sqs.IQueue,
        intake_dlq: sqs.IQueue,
        events_dlq: sqs.IQueue,
        state_machine: sfn.StateMachine,
        functions: dict[str, lambda_.Function],
        workers: Workers | None,
        api: object | None = None,
        priority_queues: tuple[sqs.IQueue, ...] = (),
    ) -> None:
        super().__init__(scope, id)
        self.prefix = config.names.prefix
        # CloudWatch alarms may publish to an encrypted topic only with a customer-managed key.
        # The key protects alarm messages in transit only (SNS stores nothing): it goes with the
        # stack (deletion scheduled after 7 days) instead of outliving it at $1 a month.
        key = kms.Key(
            self,
            "AlarmTopicKey",
            enable_key_rotation=True,
            description="YTCaption alarm topic",
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(
            self, "AlarmTopic", topic_name=f"{config.names.prefix}-alarms", master_key=key, enforce_ssl=True
        )
        # enforce_ssl writes a topic policy, which replaces SNS's default one: without an Allow of
        # its own the policy holds only the Deny-non-TLS statement and CloudWatch cannot publish.
        # Only this account's alarms may publish (confused-deputy guard).
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": Stack.of(self).format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        if config.alarmEmail:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarmEmail))
        action = cw_actions.SnsAction(self.topic)

        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(id: str, metric: cloudwatch.IMetric, threshold: float, description: str, periods: int = 1) -> None:
            created = cloudwatch.Alarm(
                self,
                id,
                metric=metric,
                threshold=threshold,
                evaluation_periods=periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            created.add_alarm_action(action)
            self.alarms.append(created)

        alarm(
            "DeadLetters",
            dlq.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum"),
            1,
            "Messages reached the transcribe dead-letter queue: workers failed them repeatedly.",
        )
        alarm(
            "IntakeFailures",
            intake_dlq.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum"),
            1,
            "The intake Lambda failed on an upload event repeatedly: the S3 event waits in the intake "
            "dead-letter queue (the reconciler starts the upload's job if the cause was passing).",
        )
        alarm(
            "UndeliveredEvents",
            events_dlq.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum"),
            1,
            "EventBridge could not deliver an event to the live fan-out or a reconciler after its retries: "
            "the event waits in the events dead-letter queue (look at the target function's errors and throttles).",
        )
        alarm(
            "FailedExecutions",
            state_machine.metric_failed(period=Duration.minutes(15), statistic="Sum"),
            config.failedExecutionsThreshold,
            f"{config.failedExecutionsThreshold}+ jobs failed in 15 minutes "
            "(bad input counts too: look at the jobs' error codes).",
        )
        alarm(
            "TimedOutExecutions",
            state_machine.metric_timed_out(period=FIVE_MINUTES, statistic="Sum"),
            1,
            "An execution timed out: a job did not reach a terminal state.",
        )
        # The oldest message of any priority: a high-priority job waiting is as stuck as a normal one.
        ages = {
            f"age{i}": q.metric_approximate_age_of_oldest_message(period=FIVE_MINUTES, statistic="Maximum")
            for i, q in enumerate((queue, *priority_queues))
        }
        alarm(
            "OldestMessageAge",
            cloudwatch.MathExpression(
                expression=f"MAX([{', '.join(ages)}])",
                using_metrics=ages,
                period=FIVE_MINUTES,
                label="Oldest transcription waiting, any priority (s)",
            ),
            config.queueAgeAlarmMinutes * 60,
            f"A transcription (of any priority) waited {config.queueAgeAlarmMinutes}+ minutes for a worker "
            "(no GPU capacity?).",
        )
        notify = functions.get("notify")
        if notify is not None:
            alarm(
                "NotificationFailures",
                notify.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                3,
                "Job notifications (events/webhooks) are failing.",
            )
        rest_api = getattr(api, "rest_api", None)
        if rest_api is not None:
            alarm(
                "Api5xx",
                rest_api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
                5,
                "The API answered 5xx to 5+ requests in 5 minutes.",
            )

        self.dashboard = self._dashboard(queue, dlq, state_machine, functions, workers, rest_api)

    def _dashboard(
        self,
        queue: sqs.IQueue,
        dlq: sqs.IQueue,
        state_machine: sfn.StateMachine,
        functions: dict[str, lambda_.Function],
        workers: Workers | None,
        rest_api: object | None,
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"{self.prefix}-pipeline")

        def custom(name: str, statistic: str = "Sum", service: bool = True) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=name,
                dimensions_map={"service": self.prefix} if service else None,
                statistic=statistic,
                period=FIVE_MINUTES,
            )

        jobs = cloudwatch.GraphWidget(
            title="Jobs by outcome",
            left=[
                custom("JobsStarted").with_(label="started (uploads)"),
                state_machine.metric_succeeded(period=FIVE_MINUTES, label="completed"),
                state_machine.metric_failed(period=FIVE_MINUTES, label="failed or cancelled"),
                state_machine.metric_timed_out(period=FIVE_MINUTES, label="timed out"),
                state_machine.metric_aborted(period=FIVE_MINUTES, label="aborted"),
            ],
            width=12,
        )
        queue_widget = cloudwatch.GraphWidget(
            title="Transcribe queue",
            left=[
                queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), label="waiting"),
                queue.metric_approximate_number_of_messages_not_visible(period=Duration.minutes(1), label="in flight"),
                dlq.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), label="dead letters"),
            ],
            right=[queue.metric_approximate_age_of_oldest_message(period=Duration.minutes(1), label="oldest (s)")],
            width=12,
        )
        widgets: list[cloudwatch.IWidget] = [jobs, queue_widget]
        if workers is not None:
            widgets.append(self._worker_widget(workers))
        speed = cloudwatch.GraphWidget(
            title="Real-time factor and audio transcribed",
            left=[custom("RealTimeFactor", "Average", service=False).with_(label="real-time factor (avg)")],
            right=[
                custom("AudioSecondsTranscribed", service=False).with_(label="audio seconds"),
                custom("ModelLoadSeconds", "Maximum", service=False).with_(label="model load (s, max)"),
            ],
            width=12,
        )
        lambda_errors = cloudwatch.GraphWidget(
            title="Lambda errors (notify = notification/webhook failures)",
            left=[fn.metric_errors(period=FIVE_MINUTES, label=name) for name, fn in functions.items()],
            width=12,
        )
        widgets += [speed, lambda_errors]
        if rest_api is not None:
            widgets.append(
                cloudwatch.GraphWidget(
                    title="API",
                    left=[
                        rest_api.metric_count(period=FIVE_MINUTES, label="requests"),  # type: ignore[attr-defined]
                        rest_api.metric_client_error(period=FIVE_MINUTES, label="4xx"),  # type: ignore[attr-defined]
                        rest_api.metric_server_error(period=FIVE_MINUTES, label="5xx"),  # type: ignore[attr-defined]
                    ],
                    right=[rest_api.metric_latency(period=FIVE_MINUTES, label="latency p50")],  # type: ignore[attr-defined]
                    width=12,
                )
            )
        widgets.append(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=12)  # type: ignore[arg-type]
        )
        for i in range(0, len(widgets), 2):
            dashboard.add_widgets(*widgets[i : i + 2])
        return dashboard

    @staticmethod
    def _worker_widget(workers: Workers) -> cloudwatch.GraphWidget:
        dimensions = {"ClusterName": workers.cluster.cluster_name, "ServiceName": workers.service.service_name}
        return cloudwatch.GraphWidget(
            title="Workers",
            left=[
                cloudwatch.Metric(
                    namespace="ECS/ContainerInsights",
                    metric_name=name,
                    dimensions_map=dimensions,
                    statistic="Maximum",
                    period=Duration.minutes(1),
                    label=label,
                )
                for name, label in (("RunningTaskCount", "running"), ("DesiredTaskCount", "desired"))
            ],
            width=12,
        )
