"""Create every resource the pipeline needs, from the same names, settings and
ASL file the CDK app uses. Works against the embedded emulator or LocalStack."""

from __future__ import annotations

import io
import json
import zipfile
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ytcaption import resources
from ytcaption.intake.launch import state_machine_arn
from ytcaption.local import fleet, project, statemachine
from ytcaption.resources import LambdaSpec
from ytcaption.settings import get_settings
from ytcaption.store import aws

LAMBDA_RUNTIME = "python3.12"

_ASSUME = {
    "lambda": "lambda.amazonaws.com",
    "states": "states.amazonaws.com",
}


def zip_folder(folder: Path) -> bytes:
    """The function's own code; the core package comes from the layer (locally: the venv)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*.py")):
            info = zipfile.ZipInfo(str(path.relative_to(folder)), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _role(name: str, service: str) -> str:
    iam = aws.client("iam")
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": _ASSUME[service]}, "Action": "sts:AssumeRole"}],
    }
    try:
        return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"]["Arn"])
    except Exception as exc:
        if aws.error_code(exc) != "EntityAlreadyExists":
            raise
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])


def create_table() -> None:
    ddb = aws.client("dynamodb")
    try:
        ddb.create_table(
            TableName=resources.TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk")
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": resources.TABLE_GSI_TENANT,
                    "KeySchema": [
                        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            SSESpecification={"Enabled": True},
        )
    except Exception as exc:
        if aws.error_code(exc) != "ResourceInUseException":
            raise
    ddb.get_waiter("table_exists").wait(TableName=resources.TABLE)


def create_connections_table() -> None:
    """Live updates: WebSocket connections and their subscriptions (store/connections.py), expiring."""
    ddb = aws.client("dynamodb")
    try:
        ddb.create_table(
            TableName=resources.CONNECTIONS_TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            SSESpecification={"Enabled": True},
        )
    except Exception as exc:
        if aws.error_code(exc) != "ResourceInUseException":
            raise
    ddb.get_waiter("table_exists").wait(TableName=resources.CONNECTIONS_TABLE)
    ddb.update_time_to_live(
        TableName=resources.CONNECTIONS_TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": resources.TABLE_TTL_ATTRIBUTE},
    )


def _queue_with_dlq(name: str, dlq: str, visibility: int, max_receives: int) -> str:
    sqs = aws.client("sqs")
    dlq_url = sqs.create_queue(
        QueueName=dlq, Attributes={"MessageRetentionPeriod": str(14 * 24 * 3600), "SqsManagedSseEnabled": "true"}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(
        sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(visibility),
                "MessageRetentionPeriod": str(resources.QUEUE_RETENTION_SECONDS),
                "SqsManagedSseEnabled": "true",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)}),
            },
        )["QueueUrl"]
    )


def create_queues() -> str:
    """The three priority queues (one dead-letter queue); the normal one's URL."""
    for name in (resources.QUEUE_HIGH, resources.QUEUE_LOW):
        _queue_with_dlq(name, resources.DLQ, resources.QUEUE_VISIBILITY_SECONDS, resources.QUEUE_MAX_RECEIVES)
    return _queue_with_dlq(
        resources.QUEUE, resources.DLQ, resources.QUEUE_VISIBILITY_SECONDS, resources.QUEUE_MAX_RECEIVES
    )


def create_intake_queue() -> str:
    """Upload events wait here for the intake Lambda (and come back if it fails)."""
    return _queue_with_dlq(
        resources.INTAKE_QUEUE,
        resources.INTAKE_DLQ,
        resources.INTAKE_VISIBILITY_SECONDS,
        resources.INTAKE_MAX_RECEIVES,
    )


def _queue_arn(url: str) -> str:
    return str(
        aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    )


def connect_intake(queue_url: str) -> None:
    """The intake Lambda polls the intake queue in batches and reports the items that failed."""
    lam = aws.client("lambda")
    arn = _queue_arn(queue_url)
    function = resources.lambda_spec("intake").function_name
    mappings = lam.list_event_source_mappings(FunctionName=function, EventSourceArn=arn)["EventSourceMappings"]
    if not mappings:
        lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName=function,
            BatchSize=resources.INTAKE_BATCH_SIZE,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )


def schedule_reconciler(function_arn: str, name: str = "reconcile-uploads") -> None:
    events = aws.client("events")
    rule = f"{resources.PREFIX}-{name}"
    events.put_rule(Name=rule, ScheduleExpression=resources.RECONCILE_SCHEDULE, State="ENABLED")
    events.put_targets(Rule=rule, Targets=[{"Id": name, "Arn": function_arn}])


def route_execution_ends(function_arn: str, machine_arn: str) -> None:
    """Executions that end ABORTED, TIMED_OUT or FAILED reach `reconcile-executions` (as in AWS;
    the local runtime's EventSources puts their status-change events on the bus)."""
    events = aws.client("events")
    rule = f"{resources.PREFIX}-execution-ends"
    events.put_rule(Name=rule, EventPattern=json.dumps(resources.execution_end_pattern(machine_arn)), State="ENABLED")
    events.put_targets(Rule=rule, Targets=[{"Id": "reconcile-executions", "Arn": function_arn}])


def route_live_events(function_arn: str) -> None:
    """Every job event reaches the `live` Lambda (as in AWS; the emulator invokes Lambda targets of rules:
    event_sources.patch_rules), which posts it to the WebSocket subscribers."""
    events = aws.client("events")
    rule = f"{resources.PREFIX}-live"
    events.put_rule(Name=rule, EventPattern=json.dumps(resources.live_event_pattern()), State="ENABLED")
    events.put_targets(Rule=rule, Targets=[{"Id": "live", "Arn": function_arn}])


def route_progress_webhooks(function_arn: str) -> None:
    """Progress events reach `notify`, which sends them to the job's webhook (the worker only publishes)."""
    events = aws.client("events")
    rule = f"{resources.PREFIX}-progress-webhooks"
    events.put_rule(Name=rule, EventPattern=json.dumps(resources.progress_webhook_pattern()), State="ENABLED")
    events.put_targets(Rule=rule, Targets=[{"Id": "progress-webhooks", "Arn": function_arn}])


def verify_email_sender(sender: str) -> None:
    """The sender's address is an SES identity (SES refuses to send from anything else)."""
    address = parseaddr(sender)[1] or sender
    try:
        aws.client("sesv2").create_email_identity(EmailIdentity=address)
    except Exception as exc:
        if aws.error_code(exc) != "AlreadyExistsException":
            raise


def create_lambda(spec: LambdaSpec, environment: dict[str, str]) -> str:
    lam = aws.client("lambda")
    code = zip_folder(project.function_dir(spec.folder))
    config: dict[str, Any] = {
        "FunctionName": spec.function_name,
        "Runtime": LAMBDA_RUNTIME,
        "Handler": spec.handler,
        "Role": _role(f"{spec.function_name}-role", "lambda"),
        "Timeout": spec.timeout_seconds,
        "MemorySize": spec.memory_mb,
        "Environment": {"Variables": {**resources.lambda_environment(), **spec.environment, **environment}},
    }
    try:
        arn = str(lam.create_function(**config, Code={"ZipFile": code}, Architectures=["arm64"])["FunctionArn"])
    except Exception as exc:
        if aws.error_code(exc) != "ResourceConflictException":
            raise
        lam.update_function_code(FunctionName=spec.function_name, ZipFile=code)
        arn = str(lam.update_function_configuration(**config)["FunctionArn"])
    return arn


def upload_origins(environment: dict[str, str]) -> list[str]:
    """The pages that may POST uploads to the bucket from a browser: the local API's own page and
    YTC_CORS_ORIGINS; no other origin (the emulator adds no CORS of its own)."""
    found = []
    for url in [environment.get("YTC_PUBLIC_API_URL", ""), *environment.get("YTC_CORS_ORIGINS", "").split(",")]:
        parts = urlsplit(url.strip())
        if parts.scheme and parts.netloc:
            found.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(found))


def create_bucket(intake_queue_url: str, origins: list[str] | None = None) -> None:
    s3 = aws.client("s3")
    try:
        s3.create_bucket(Bucket=resources.BUCKET)
    except Exception as exc:
        if aws.error_code(exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise
    if origins:
        # Only what the page needs: a form POST from its own origin, and the GET of a large result's
        # presigned link (api.js fetches it without the key, so the answer must allow the page's origin).
        rule = {"AllowedMethods": ["GET", "POST"], "AllowedOrigins": origins, "AllowedHeaders": ["*"],
                "MaxAgeSeconds": 3600}  # fmt: skip
        s3.put_bucket_cors(Bucket=resources.BUCKET, CORSConfiguration={"CORSRules": [rule]})
    s3.put_public_access_block(
        Bucket=resources.BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=resources.BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_notification_configuration(
        Bucket=resources.BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "uploads-start-jobs",
                    "QueueArn": _queue_arn(intake_queue_url),
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": resources.UPLOADS_PREFIX}]}},
                }
            ]
        },
    )


def create_state_machine(queue_url: str) -> str:
    sfn = aws.client("stepfunctions")
    account = aws.client("sts").get_caller_identity()["Account"]
    region = aws.client("sts").meta.region_name
    values = resources.asl_placeholders(
        region=region,
        account=account,
        queue_url=queue_url,
        high_queue_url=aws.queue_url(resources.QUEUE_HIGH),
        low_queue_url=aws.queue_url(resources.QUEUE_LOW),
    )
    definition = json.dumps(statemachine.load(project.asl_path(), values))
    role = _role(f"{resources.STATE_MACHINE}-role", "states")
    try:
        return str(
            sfn.create_state_machine(
                name=resources.STATE_MACHINE, definition=definition, roleArn=role, type="STANDARD"
            )["stateMachineArn"]
        )
    except Exception as exc:
        if aws.error_code(exc) != "StateMachineAlreadyExists":
            raise
    arn = state_machine_arn(get_settings())
    sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role)
    return arn


def bootstrap(lambda_environment: dict[str, str] | None = None) -> dict[str, str]:
    """Create (or update) everything; returns what was made, by kind."""
    environment = lambda_environment or {}
    create_table()
    create_connections_table()
    queue_url = create_queues()
    intake_queue_url = create_intake_queue()
    arns = {spec.name: create_lambda(spec, environment) for spec in resources.LAMBDAS}
    connect_intake(intake_queue_url)
    schedule_reconciler(arns["reconcile-uploads"])
    schedule_reconciler(arns["reconcile-batches"], "reconcile-batches")
    create_bucket(intake_queue_url, upload_origins(environment))
    machine = create_state_machine(queue_url)
    fleet.create()
    route_execution_ends(arns["reconcile-executions"], machine)
    route_live_events(arns["live"])
    route_progress_webhooks(arns["notify"])
    if environment.get("YTC_EMAIL_SENDER"):
        verify_email_sender(environment["YTC_EMAIL_SENDER"])
    return {
        "bucket": resources.BUCKET,
        "table": resources.TABLE,
        "queue_url": queue_url,
        "intake_queue_url": intake_queue_url,
        "state_machine": machine,
        **arns,
    }
