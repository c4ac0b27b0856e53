"""The queue, the layers, the Lambdas (one least-privilege role each) and the state machine."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from email.utils import parseaddr
from pathlib import Path
from typing import Any, cast

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ytcaption import resources
from ytcaption.resources import LambdaSpec
from ytcaption_cdk import fast_lane
from ytcaption_cdk.config import Config
from ytcaption_cdk.nag import acknowledge, acknowledge_resource
from ytcaption_cdk.paths import ASL_PATH, FUNCTIONS_DIR, LAYER_BUILD

RUNTIME = lambda_.Runtime.PYTHON_3_12
# The functions that end jobs and tell subscribers (webhook, event bus, email).
NOTIFIERS = ("notify", "reconcile-executions")
# The functions that reach video sites with yt-dlp, with the operator's cookies and proxy.
DOWNLOADERS = ("fetch-audio", "expand-batch")
DLQ_RETENTION = Duration.days(14)


def pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


def layer_dirs(config: Config) -> tuple[Path, Path, Path]:
    """The built layers (scripts/build_layers.py), or empty stand-ins when asked for and missing."""
    core, deps, js = LAYER_BUILD / "core", LAYER_BUILD / "deps", LAYER_BUILD / "js"
    if all((layer / "python").is_dir() for layer in (core, deps, js)):
        return core, deps, js
    if not config.placeholderLayers:
        raise FileNotFoundError(
            f"{LAYER_BUILD} has no built layers: run `make layers` (scripts/build_layers.py), "
            "or synthesize with `-c placeholderLayers=true` for a template that is never deployed."
        )
    placeholder = Path(tempfile.gettempdir()) / "ytcaption-placeholder-layers"
    for name in ("core", "deps", "js"):
        folder = placeholder / name / "python"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "PLACEHOLDER.txt").write_text("placeholder layer: run `make layers` before deploying\n")
    return placeholder / "core", placeholder / "deps", placeholder / "js"


class Pipeline(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: Config, bucket: s3.IBucket, table: dynamodb.ITable
    ) -> None:
        super().__init__(scope, id)
        self.config = config
        self.bucket = bucket
        self.table = table
        self.names = config.names
        stack = Stack.of(self)

        self.dlq = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=self.names.dlq,
            retention_period=DLQ_RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        # One transcribe queue per priority (normal, high, low), one dead-letter queue for them all.
        self.queue, self.queue_high, self.queue_low = (
            sqs.Queue(
                self,
                construct_id,
                queue_name=name,
                visibility_timeout=Duration.seconds(resources.QUEUE_VISIBILITY_SECONDS),
                retention_period=Duration.seconds(resources.QUEUE_RETENTION_SECONDS),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=resources.QUEUE_MAX_RECEIVES),
            )
            for construct_id, name in (
                ("TranscribeQueue", self.names.queue),
                ("TranscribeHighQueue", self.names.queue_high),
                ("TranscribeLowQueue", self.names.queue_low),
            )
        )
        self.queues = (self.queue_high, self.queue, self.queue_low)

        core_dir, deps_dir, js_dir = layer_dirs(config)
        self.core_layer = lambda_.LayerVersion(
            self,
            "CoreLayer",
            code=lambda_.Code.from_asset(str(core_dir)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="ytcaption core package",
        )
        self.deps_layer = lambda_.LayerVersion(
            self,
            "DependencyLayer",
            code=lambda_.Code.from_asset(str(deps_dir)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="ytcaption dependencies (pip, manylinux2014_aarch64, cp312)",
        )
        # yt-dlp's JavaScript runtime for YouTube (Deno + yt-dlp-ejs): only FetchAudio carries it.
        self.extra_layers = {
            "js": lambda_.LayerVersion(
                self,
                "JavaScriptLayer",
                code=lambda_.Code.from_asset(str(js_dir)),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[lambda_.Architecture.ARM_64],
                description="Deno and yt-dlp-ejs: yt-dlp's JavaScript runtime for YouTube (bin/deno on PATH)",
            )
        }

        # The state machine's ARN is known before it exists (its name is fixed), so the
        # Lambdas that start executions do not depend on it (no cycle).
        self.state_machine_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.names.state_machine,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.execution_arns = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.names.state_machine}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

        self.functions: dict[str, lambda_.Function] = {}
        for spec in resources.LAMBDAS:
            if fast_lane.deploys(config, spec):
                self.functions[spec.name] = self._function(spec)
        # ExpandBatch's failed runs are run again by the batch reconciler (batch.reconcile), which counts
        # them for the batch's reason; Lambda's own retries of the async invoke would overlap its threshold.
        self.functions["expand-batch"].configure_async_invoke(retry_attempts=0)

        self.intake_queue, self.intake_dlq = self._intake_queue()
        # EventBridge invokes its Lambda targets asynchronously and retries a while; an event it still
        # cannot deliver (the function throttled, missing or failing) lands here instead of being
        # dropped (alarmed in observability.py): the live fan-out's and both reconcilers'.
        self.events_dlq = sqs.Queue(
            self,
            "EventsDeadLetterQueue",
            queue_name=f"{self.names.prefix}-events-dlq",
            retention_period=DLQ_RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        acknowledge(
            self.events_dlq,
            id="AwsSolutions-SQS3",
            reason="This is a dead-letter queue itself: EventBridge's, for events its rules could not deliver.",
        )
        self._schedule_reconciler()
        self.state_machine = self._state_machine()
        self.event_archive = self._event_archive()
        self.execution_ends = self._route_execution_ends()
        self.progress_webhooks = self._route_progress_webhooks()

    # -- Lambdas ----------------------------------------------------------------

    def environment(self, spec: LambdaSpec) -> dict[str, str]:
        environment = {
            **resources.lambda_environment(self.names),
            **spec.environment,
            "YTC_BUCKET": self.bucket.bucket_name,
            "YTC_MAX_MEDIA_SECONDS": str(self.config.maxMediaMinutes * 60),
            # The models are a deployment fact: those baked into the workers' image (the workers' own, the
            # default, and the fast lane's when it is on), so a job naming another is refused at intake,
            # not queued for nobody.
            "YTC_DEFAULT_MODEL": self.config.model,
            "YTC_SERVED_MODELS": self.config.served_models,
            # The workers' image carries the speaker encoder's weights (containers/whisper/Dockerfile);
            # the Lambdas do not, so they are told rather than left to look for them.
            "YTC_SPEAKERS_SERVED": "true",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        environment.update(self.fast_lane_environment())
        if spec.name in DOWNLOADERS and self.config.downloadSecretName:
            environment["YTC_DOWNLOAD_SECRET_ID"] = self.config.downloadSecretName
        if spec.name in NOTIFIERS and self.config.emailSender:
            environment["YTC_EMAIL_SENDER"] = self.config.emailSender
        return environment

    def fast_lane_environment(self) -> dict[str, str]:
        """The fast lane's settings (ytcaption.settings), the same for every function: intake accepts its
        models, the router reads the rest."""
        config = self.config
        if not config.fastLane:
            return {"YTC_FAST_LANE": "false"}
        return {
            "YTC_FAST_LANE": "true",
            "YTC_WORKER_MODELS": config.worker_models,
            "YTC_FAST_LANE_MODELS": ",".join(resources.FAST_LANE_MODELS),
            "YTC_FAST_LANE_SHORT_SECONDS": str(config.fastLaneShortSeconds),
            "YTC_FAST_LANE_CONCURRENCY": str(config.fastLaneConcurrency),
        }

    def _function(self, spec: LambdaSpec) -> lambda_.Function:
        name = pascal(spec.name)
        function_name = self.names.function(spec.name)
        log_group = logs.LogGroup(
            self,
            f"{name}Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=retention(self.config.logRetentionDays),
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{function_name}: only what this function does",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{log_group.log_group_arn}"],
            )
        )
        if spec.image:
            function = fast_lane.image_function(self, spec, name, role, log_group, self.environment(spec))
        else:
            function = self._zip_function(spec, name, role, log_group)
        acknowledge(
            role,
            id="AwsSolutions-IAM5[Resource::*]",
            reason="Tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions "
            "(the only actions on *: tests/cdk/test_checks.py fails on any other).",
        )
        grant = PERMISSIONS.get(spec.name, _grant_read_jobs)
        grant(self, spec, role)
        return function

    def _zip_function(self, spec: LambdaSpec, name: str, role: iam.Role, log_group: logs.LogGroup) -> lambda_.Function:
        function = lambda_.Function(
            self,
            f"{name}Function",
            function_name=self.names.function(spec.name),
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=spec.handler,
            code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / spec.folder), exclude=["__pycache__", "*.pyc"]),
            layers=[self.core_layer, self.deps_layer, *(self.extra_layers[name] for name in spec.extra_layers)],
            timeout=Duration.seconds(spec.timeout_seconds),
            memory_size=spec.memory_mb,
            ephemeral_storage_size=Size.mebibytes(spec.ephemeral_storage_mb),
            role=role,
            environment=self.environment(spec),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
        )
        acknowledge(
            function,
            id="AwsSolutions-L1",
            reason="python3.12 on purpose: the same runtime as the local emulator and the ABI the "
            "dependency layer is built for (scripts/build_layers.py); they move together.",
        )
        return function

    def _intake_queue(self) -> tuple[sqs.Queue, sqs.Queue]:
        """Upload events wait in a queue for `intake` (as locally): a batch item that fails comes
        back after the visibility timeout, and after INTAKE_MAX_RECEIVES goes to the dead-letter
        queue (alarmed in observability.py) instead of being dropped as an async invoke's would."""
        dlq = sqs.Queue(
            self,
            "IntakeDeadLetterQueue",
            queue_name=self.names.intake_dlq,
            retention_period=DLQ_RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        queue = sqs.Queue(
            self,
            "IntakeQueue",
            queue_name=self.names.intake_queue,
            visibility_timeout=Duration.seconds(resources.INTAKE_VISIBILITY_SECONDS),
            retention_period=Duration.seconds(resources.QUEUE_RETENTION_SECONDS),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=resources.INTAKE_MAX_RECEIVES),
        )
        self.functions["intake"].add_event_source(
            event_sources.SqsEventSource(queue, batch_size=resources.INTAKE_BATCH_SIZE, report_batch_item_failures=True)
        )
        return queue, dlq

    def _schedule_reconciler(self) -> None:
        """Every few minutes: start any upload that has no job, whatever became of its event; expand again
        (or end) a batch whose expansion died."""
        for name in ("reconcile-uploads", "reconcile-batches"):
            events.Rule(
                self,
                f"{pascal(name)}Schedule",
                rule_name=f"{self.names.prefix}-{name}",
                schedule=events.Schedule.expression(resources.RECONCILE_SCHEDULE),
                targets=[
                    targets.LambdaFunction(self.functions[name], retry_attempts=2, dead_letter_queue=self.events_dlq)
                ],
            )

    def _event_archive(self) -> events.Archive:
        """Every job event on the default bus is kept EVENT_ARCHIVE_DAYS, to replay to a new subscriber."""
        bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
        return events.Archive(
            self,
            "EventArchive",
            archive_name=f"{self.names.prefix}-events",
            description="YTCaption job events (transcription.*), replayable",
            source_event_bus=bus,
            event_pattern=events.EventPattern(source=[resources.EVENT_SOURCE]),
            retention=Duration.days(resources.EVENT_ARCHIVE_DAYS),
        )

    def _route_execution_ends(self) -> events.Rule:
        """An execution stopped in the console, timed out or failed uncaught ends its job too."""
        return events.Rule(
            self,
            "ExecutionEndsRule",
            rule_name=f"{self.names.prefix}-execution-ends",
            description="Step Functions executions that ended ABORTED, TIMED_OUT or FAILED -> reconcile-executions",
            event_pattern=events.EventPattern(
                **_pattern_fields(resources.execution_end_pattern(self.state_machine.state_machine_arn))
            ),
            targets=[
                targets.LambdaFunction(
                    self.functions["reconcile-executions"], retry_attempts=4, dead_letter_queue=self.events_dlq
                )
            ],
        )

    def _route_progress_webhooks(self) -> events.Rule:
        """Progress events -> notify, the one webhook sender: a worker never calls a tenant's endpoint."""
        pattern = resources.progress_webhook_pattern()
        return events.Rule(
            self,
            "ProgressWebhooksRule",
            rule_name=f"{self.names.prefix}-progress-webhooks",
            description="Progress events (transcription.progress) -> notify: the webhook of a job that asked for them",
            event_pattern=events.EventPattern(**_pattern_fields(pattern)),
            # A progress event is stale soon: a later tenth supersedes it.
            targets=[
                targets.LambdaFunction(self.functions["notify"], retry_attempts=2, max_event_age=Duration.minutes(10))
            ],
        )

    # -- state machine ------------------------------------------------------------

    def substitutions(self) -> dict[str, str]:
        """Every ${Placeholder} of the ASL file, named by ytcaption.resources.asl_placeholders."""
        values = resources.asl_placeholders(
            region=Aws.REGION,
            account=Aws.ACCOUNT_ID,
            queue_url=self.queue.queue_url,
            high_queue_url=self.queue_high.queue_url,
            low_queue_url=self.queue_low.queue_url,
            table=self.table.table_name,
        )
        # The function ARNs become references to this stack's functions (whatever their prefix).
        by_arn_suffix = {f":function:{spec.function_name}": spec.name for spec in resources.LAMBDAS}
        for key, value in values.items():
            for suffix, name in by_arn_suffix.items():
                if isinstance(value, str) and value.endswith(suffix):
                    values[key] = self.functions[name].function_arn if name in self.functions else self._absent(name)
        return values

    def _absent(self, name: str) -> str:
        """A function not deployed (the fast lane's, when it is off): the states naming it are never reached
        (PickLane answers off, so UseFastLane never chooses them), but the definition still needs a value. It
        gets the ARN the function would have: no such function exists, and no role may invoke it (the state
        machine's role names only the deployed ones), so were the state ever reached it would fail, not run
        something else."""
        return _function_arn(self, name)

    def _state_machine(self) -> sfn.StateMachine:
        log_group = logs.LogGroup(
            self,
            "StateMachineLogs",
            log_group_name=f"/aws/vendedlogs/states/{self.names.state_machine}",
            retention=retention(self.config.logRetentionDays),
            removal_policy=RemovalPolicy.DESTROY,
        )
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=self.names.state_machine,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(ASL_PATH.read_text()),
            definition_substitutions=self.substitutions(),
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        steps = [
            self.functions[spec.name]
            for spec in resources.LAMBDAS
            if spec.in_state_machine and spec.name in self.functions
        ]
        machine.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[f.function_arn for f in steps])
        )
        machine.add_to_role_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[q.queue_arn for q in self.queues])
        )
        machine.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:UpdateItem", "dynamodb:PutItem"], resources=[self.table.table_arn])
        )
        acknowledge(
            machine,
            id="AwsSolutions-IAM5[Resource::*]",
            reason="CDK's statements for logging and tracing: logs:CreateLogDelivery, GetLogDelivery, "
            "UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, "
            "DescribeLogGroups and xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets "
            "have no resource-level permissions (tests/cdk/test_checks.py fails on any other action on *).",
        )
        return machine


def _pattern_fields(pattern: dict[str, Any]) -> dict[str, Any]:
    return {"source": pattern["source"], "detail_type": pattern["detail-type"], "detail": pattern["detail"]}


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def retention(days: int) -> logs.RetentionDays:
    """The shortest retention CloudWatch offers that keeps logs at least `days` days."""
    return next((value for limit, value in _RETENTION.items() if limit >= days), logs.RetentionDays.TEN_YEARS)


def access_log_group(scope: Construct, config: Config) -> logs.LogGroup:
    """An API's access logs (`AccessLogs` in `scope`): kept as configured, removed with the stack."""
    return logs.LogGroup(
        scope, "AccessLogs", retention=retention(config.logRetentionDays), removal_policy=RemovalPolicy.DESTROY
    )


# -- what each function may do ---------------------------------------------------


def _objects(bucket: s3.IBucket, prefix: str) -> str:
    return bucket.arn_for_objects(f"{prefix}*")


def _grant_read_jobs(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[p.table.table_arn]))


def _grant_job_writes(p: Pipeline, role: iam.Role) -> None:
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], resources=[p.table.table_arn]
        )
    )


def _grant_intake(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    _grant_job_writes(p, role)
    role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[p.state_machine_arn]))
    _grant_put_events(p, role)  # transcription.created


def _grant_reconcile_uploads(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    # Lists recent uploads, looks their jobs up in batches, starts the missing ones as intake does.
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[p.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{resources.UPLOADS_PREFIX}*"]}},
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            resources=[p.table.table_arn],
        )
    )
    role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[p.state_machine_arn]))
    _grant_put_events(p, role)  # transcription.created


def _grant_fetch_audio(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    _grant_job_writes(p, role)
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[_objects(p.bucket, resources.UPLOADS_PREFIX), _objects(p.bucket, resources.AUDIO_PREFIX)],
        )
    )
    # audio/ for downloads; results/ when the video's own captions become the transcript.
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject"],
            resources=[_objects(p.bucket, resources.AUDIO_PREFIX), _objects(p.bucket, resources.RESULTS_PREFIX)],
        )
    )
    _grant_download_secret(p, role)
    # Without ListBucket a missing object answers 403, not 404 (SOURCE_NOT_FOUND).
    role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[p.bucket.bucket_arn]))
    _ack_prefixes(p, role, [resources.UPLOADS_PREFIX, resources.AUDIO_PREFIX, resources.RESULTS_PREFIX])


def _grant_download_secret(p: Pipeline, role: iam.Role) -> None:
    """Cookies and proxy for yt-dlp: read-only, this one secret (downloads and listings alike)."""
    if not p.config.downloadSecretName:
        return
    found = p.node.try_find_child("DownloadSecret")
    secret = found or secretsmanager.Secret.from_secret_name_v2(p, "DownloadSecret", p.config.downloadSecretName)
    cast(secretsmanager.ISecret, secret).grant_read(role)


def _grant_record_failure(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    _grant_job_writes(p, role)


def put_events_statement(scope: Construct) -> iam.PolicyStatement:
    """Job events only: to the default bus, with our source."""
    bus = Stack.of(scope).format_arn(service="events", resource="event-bus", resource_name="default")
    return iam.PolicyStatement(
        actions=["events:PutEvents"],
        resources=[bus],
        conditions={"StringEquals": {"events:source": resources.EVENT_SOURCE}},
    )


def grant_transcription(
    scope: Construct, role: iam.IRole, bucket: s3.IBucket, table: dynamodb.ITable, who: str
) -> None:
    """What transcribing takes, on either lane (a GPU worker's task role, the fast lane's function role).
    The audio FetchAudio made ready is read (uploads/ for uploads, audio/ for URLs), results/ written (and
    read back: a long file's chunk transcripts, merged); the job's claims, leases, progress and chunk items
    in the table; transcription.started and .progress to the event bus."""
    objects = {prefix: bucket.arn_for_objects(f"{prefix}*") for prefix in
               (resources.AUDIO_PREFIX, resources.UPLOADS_PREFIX, resources.RESULTS_PREFIX)}  # fmt: skip
    role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=list(objects.values())))
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:PutObject"], resources=[objects[resources.RESULTS_PREFIX]])
    )
    # ListBucket: a chunk result not written yet must answer HeadObject 404, not 403 (S3 says 403
    # for a missing key to a reader without it), and the last chunk lists the chunk results at once.
    role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
    role.add_to_principal_policy(
        iam.PolicyStatement(
            # Query and ConditionCheckItem: a long file's chunk items (CHUNK#<n>), leased while the job runs.
            actions=[
                "dynamodb:GetItem",
                "dynamodb:UpdateItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:ConditionCheckItem",
            ],
            resources=[table.table_arn],
        )
    )
    role.add_to_principal_policy(put_events_statement(scope))
    for prefix, arn in objects.items():
        acknowledge_resource(
            role, arn, reason=f"Objects are keyed by job id: the {who}'s access is limited to the {prefix} prefix."
        )


def _grant_put_events(p: Pipeline, role: iam.Role) -> None:
    role.add_to_policy(put_events_statement(p))


def _grant_send_email(p: Pipeline, role: iam.Role) -> None:
    """SES v2 SendEmail with the configured From address only.

    SES authorizes a send against the sender's identity (its address, or its domain); while the
    account is in the SES sandbox, also against each recipient's identity (a recipient must then be a
    verified identity of the account). A statement naming the sender's identities only is refused in
    the sandbox (AccessDenied on identity/<recipient>), so it names the identities of this account in
    this region, and the ses:FromAddress condition keeps the sender fixed: in production SES checks
    the sender only, in the sandbox the verified recipients too, and both pass.
    """
    address = parseaddr(p.config.emailSender)[1] or p.config.emailSender
    identities = Stack.of(p).format_arn(service="ses", resource="identity", resource_name="*")
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["ses:SendEmail"],
            resources=[identities],
            conditions={"StringEquals": {"ses:FromAddress": address}},
        )
    )
    acknowledge_resource(
        role,
        identities,
        reason="SES authorizes the sender's identity and, in the SES sandbox, each recipient's verified identity "
        "(not known in advance); ses:FromAddress fixes the sender, and only this account's identities in this "
        "region are named.",
    )


def _grant_notify(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    # Reads the job and the tenant's webhook secret (created on first use); records each
    # delivery and a once-per-status publication marker; queries the job's deliveries.
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
            resources=[p.table.table_arn],
        )
    )
    _grant_put_events(p, role)
    if p.config.emailSender:
        _grant_send_email(p, role)
        # The email of a completed job quotes its transcript's first lines.
        role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[_objects(p.bucket, resources.RESULTS_PREFIX)])
        )
        _ack_prefixes(p, role, [resources.RESULTS_PREFIX])


def _grant_api(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    role.add_to_policy(
        iam.PolicyStatement(
            # Scan: the operators' routes list every tenant's jobs.
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:Scan"],
            resources=[p.table.table_arn, f"{p.table.table_arn}/index/{resources.TABLE_GSI_TENANT}"],
        )
    )
    # Cancellations are announced by the API itself (a stopped execution never notifies).
    _grant_put_events(p, role)
    # Operators move dead letters back and read queue depths.
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage", "sqs:GetQueueUrl",
                     "sqs:GetQueueAttributes"],
            resources=[*(q.queue_arn for q in p.queues), p.dlq.queue_arn],
        )
    )  # fmt: skip
    # Presigned upload URLs are signed with this role: it may only put under uploads/.
    role.add_to_policy(
        iam.PolicyStatement(actions=["s3:PutObject"], resources=[_objects(p.bucket, resources.UPLOADS_PREFIX)])
    )
    # Results are read (or handed out as presigned links); a job's audio (an upload, or what FetchAudio
    # fetched) is handed out as a presigned link for the web page's player, signed with this role.
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[
                _objects(p.bucket, resources.RESULTS_PREFIX),
                _objects(p.bucket, resources.AUDIO_PREFIX),
                _objects(p.bucket, resources.UPLOADS_PREFIX),
            ],
        )
    )
    # Renamed speakers (PATCH) are rendered again into new keys of the job's own results, never over
    # the originals (a cached job shares them): results/<job>/named-<digest>/ only.
    named = p.bucket.arn_for_objects(f"{resources.RESULTS_PREFIX}*/named-*/*")
    role.add_to_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[named]))
    acknowledge_resource(
        role, named, reason="Renamed transcripts are written only under results/<job>/named-<digest>/ of the job."
    )
    role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[p.state_machine_arn]))
    role.add_to_policy(
        iam.PolicyStatement(actions=["states:StopExecution", "states:DescribeExecution"], resources=[p.execution_arns])
    )
    # GET /v1/uploads/{id} lists the upload's objects; /health/ready looks at the bucket (HeadBucket),
    # the table and the state machine. Both need ListBucket (a missing object is then 404, not 403).
    role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[p.bucket.bucket_arn]))
    role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:DescribeTable"], resources=[p.table.table_arn]))
    role.add_to_policy(iam.PolicyStatement(actions=["states:DescribeStateMachine"], resources=[p.state_machine_arn]))
    # A new batch is listed by ExpandBatch, invoked asynchronously (this one function only).
    role.add_to_policy(
        iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[_function_arn(p, "expand-batch")])
    )
    _ack_prefixes(p, role, [resources.UPLOADS_PREFIX, resources.RESULTS_PREFIX, resources.AUDIO_PREFIX])
    acknowledge_resource(
        role,
        p.execution_arns,
        reason="Executions are named after jobs: the API stops and describes any execution of this one state machine.",
    )


def _function_arn(p: Pipeline, name: str) -> str:
    return Stack.of(p).format_arn(
        service="lambda", resource="function", resource_name=p.names.function(name),
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )  # fmt: skip


def _grant_expand_batch(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    """Reads and updates the batch and its entries (Query), creates entry jobs and their history, reads the
    result cache and the tenant's webhook secret; starts the jobs' executions; announces the batch's end."""
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
            resources=[p.table.table_arn],
        )
    )
    role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[p.state_machine_arn]))
    _grant_put_events(p, role)  # transcription.created, batch.completed
    _grant_download_secret(p, role)  # listings reach the sites as downloads do
    # Its expansion record is deleted once its work is done (store.batches).
    role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:DeleteItem"], resources=[p.table.table_arn]))


def _grant_reconcile_batches(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    """Reads the expansion records (Query) and their batches, claims a retry or ends the batch (announced:
    the tenant's webhook secret), clears finished records, and invokes ExpandBatch again."""
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
                     "dynamodb:DeleteItem"],
            resources=[p.table.table_arn],
        )
    )  # fmt: skip
    role.add_to_policy(
        iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[_function_arn(p, "expand-batch")])
    )
    _grant_put_events(p, role)  # batch.completed


def _grant_live(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    """The fan-out records each event in its job's log (once: a conditional put) and reads a job's tenant;
    the connections table and the management API are granted with the WebSocket API (live.py)."""
    role.add_to_policy(
        iam.PolicyStatement(actions=["dynamodb:GetItem", "dynamodb:PutItem"], resources=[p.table.table_arn])
    )


def _grant_live_socket(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    """A subscription reads the job (its tenant and status) and, to replay, the job's event log."""
    role.add_to_policy(
        iam.PolicyStatement(actions=["dynamodb:GetItem", "dynamodb:Query"], resources=[p.table.table_arn])
    )


def _ack_prefixes(p: Pipeline, role: iam.Role, prefixes: list[str]) -> None:
    for prefix in prefixes:
        acknowledge_resource(
            role,
            _objects(p.bucket, prefix),
            reason=f"Objects are keyed by job/upload id: access is limited to the {prefix} prefix.",
        )


# Every function in resources.LAMBDAS gets its permissions from here; a function
# with no entry may only read jobs (a test asserts each known one has an entry).
PERMISSIONS: dict[str, Callable[[Pipeline, LambdaSpec, iam.Role], None]] = {
    "intake": _grant_intake,
    "reconcile-uploads": _grant_reconcile_uploads,
    "fetch-audio": _grant_fetch_audio,
    "record-failure": _grant_record_failure,
    "notify": _grant_notify,
    "api": _grant_api,
    "authorizer": _grant_read_jobs,  # API key items live in the jobs table
    # Ends the job (conditional writes, history) and notifies as the Notify step does.
    "reconcile-executions": _grant_notify,
    "live": _grant_live,
    "live-socket": _grant_live_socket,
    "expand-batch": _grant_expand_batch,
    "reconcile-batches": _grant_reconcile_batches,
    "pick-lane": fast_lane.grant_pick_lane,
    "fast-lane": fast_lane.grant_fast_lane,
}
