"""The worker's one logger: every part of the worker logs under the same service and the job's keys."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="ytcaption-worker")
