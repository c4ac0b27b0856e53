"""API keys, operator controls, webhook secrets and settings: commands against a running deployment
(the local runtime, AWS_ENDPOINT_URL, or AWS with your credentials)."""

from __future__ import annotations

import argparse
import json
import sys

from ytcaption.cli.errors import EXIT_USAGE, CliError
from ytcaption.cli.target import require_target
from ytcaption.domain.job import JobStatus


def keys_create(args: argparse.Namespace) -> int:
    from ytcaption.settings import get_settings
    from ytcaption.store.apikeys import ApiKeyStore

    require_target()
    settings = get_settings()
    limits = {
        name: float(value)
        for name, value in (
            ("max_jobs_in_flight", args.max_jobs_in_flight),
            ("max_audio_seconds_per_day", args.max_audio_seconds_per_day),
            ("max_upload_bytes", args.max_upload_bytes),
        )
        if value is not None
    }
    try:
        key, record = ApiKeyStore(settings.table, settings.api_key_pepper).create(args.tenant, args.name, limits)
    except ValueError as exc:
        raise CliError(f"error: {exc}", EXIT_USAGE) from exc
    # The note on stderr, the key alone on stdout: KEY=$(ytcaption keys create --tenant acme) works.
    print(f"API key {record.key_id} for tenant {record.tenant} (shown once; only its hash is stored):", file=sys.stderr)
    print(key)
    return 0


def admin(args: argparse.Namespace) -> int:
    from ytcaption import operations
    from ytcaption.domain.errors import InvalidTransition
    from ytcaption.settings import get_settings
    from ytcaption.store.jobs import JobStore

    require_target()
    settings = get_settings()
    store = JobStore(settings.table)
    try:
        if args.action == "jobs":
            jobs, _ = operations.list_jobs(store, JobStatus(args.status) if args.status else None, args.limit)
            for job in jobs:
                print(f"{job.job_id}  {job.tenant:<16} {job.status.value:<12} {job.created_at}  {job.error_code or ''}")
        elif args.action == "cancel":
            operations.cancel_job(store, settings, args.job_id, "Cancelled by an operator.")
            print(f"{args.job_id} cancelled")
        elif args.action == "redrive":
            print(f"{args.job_id} redriven as execution {operations.redrive_job(store, settings, args.job_id)}")
        elif args.action == "redrive-dlq":
            print(f"{operations.redrive_dead_letters(settings.dlq_name, settings.queue_name)} message(s) moved back")
        elif args.action == "stats":
            print(json.dumps(operations.stats(store, settings), indent=2))
    except InvalidTransition as exc:
        raise CliError(f"error: {exc}") from exc
    except KeyError as exc:
        raise CliError(f"error: there is no job {exc.args[0]}") from exc
    return 0


def webhook_secret(args: argparse.Namespace) -> int:
    from ytcaption.settings import get_settings
    from ytcaption.store.tenants import TenantStore

    require_target()
    tenants = TenantStore(get_settings().table)
    print(tenants.rotate_webhook_secret(args.tenant) if args.rotate else tenants.webhook_secret(args.tenant))
    return 0


def show_settings(_args: argparse.Namespace) -> int:
    """Every setting: its environment variable, the value this shell gives it, and its default."""
    from ytcaption.local import config
    from ytcaption.settings import Settings

    current = Settings()
    for name, field in Settings.model_fields.items():
        default = field.default if field.default_factory is None else "(computed)"
        print(f"{config.PREFIX}{name.upper():<38} {getattr(current, name)!s:<40} default: {default}")
    return 0


def worker(_args: argparse.Namespace) -> int:
    from ytcaption.worker.loop import main

    require_target()
    main([])
    return 0


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], formatter: type[argparse.HelpFormatter]
) -> None:
    keys = commands.add_parser("keys", help="API keys of the HTTP API", formatter_class=formatter)
    key_actions = keys.add_subparsers(dest="action", required=True)
    create = key_actions.add_parser(
        "create", help="create an API key for a tenant and print it", formatter_class=formatter
    )
    create.add_argument("--tenant", required=True, help="lower-case letters, digits, '-' and '_'")
    create.add_argument("--name", default="", help="a note to tell keys apart")
    create.add_argument("--max-jobs-in-flight", type=int, default=None, help="override the tenant default")
    create.add_argument("--max-audio-seconds-per-day", type=float, default=None, help="override the tenant default")
    create.add_argument("--max-upload-bytes", type=int, default=None, help="override the tenant default")
    create.set_defaults(func=keys_create)

    ops = commands.add_parser("admin", help="operator controls", formatter_class=formatter)
    actions = ops.add_subparsers(dest="action", required=True)
    jobs = actions.add_parser("jobs", help="jobs of all tenants, newest first", formatter_class=formatter)
    jobs.add_argument("--status", choices=[s.value for s in JobStatus], help="only this status")
    jobs.add_argument("--limit", type=int, default=50, help="at most this many")
    actions.add_parser("cancel", help="cancel any job").add_argument("job_id")
    actions.add_parser("redrive", help="run a FAILED job again").add_argument("job_id")
    actions.add_parser("redrive-dlq", help="move dead-lettered tasks back to the queue")
    actions.add_parser("stats", help="jobs by status, audio hours, real-time factor, queue depth and age")
    for sub in actions.choices.values():
        sub.set_defaults(func=admin)

    hooks = commands.add_parser("webhooks", help="webhook signing", formatter_class=formatter)
    secret = hooks.add_subparsers(dest="action", required=True).add_parser(
        "secret", help="print a tenant's webhook signing secret", formatter_class=formatter
    )
    secret.add_argument("--tenant", required=True, help="whose secret")
    secret.add_argument("--rotate", action="store_true", help="replace it with a new one")
    secret.set_defaults(func=webhook_secret)

    commands.add_parser("settings", help="every setting (YTC_*), its value here and its default").set_defaults(
        func=show_settings
    )
    commands.add_parser("worker", help="run a Whisper worker against the configured queue").set_defaults(func=worker)
