"""A property-based run over the committed OpenAPI document (schemathesis): valid and
invalid requests to every operation of the live local API find no 5xx and no
response that breaks the document's own schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import paths
from tests.support.api import new_key

pytestmark = pytest.mark.integration

SCHEMA = schemathesis.openapi.from_dict(json.loads(paths.OPENAPI_PATH.read_text()))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 25


@pytest.fixture(scope="module")
def api_key(runtime: Any) -> str:
    return new_key("fuzz")


@pytest.mark.parametrize(
    ("operation", "mode"),
    [
        pytest.param(op, mode, id=f"{op.method.upper()} {op.path} {mode.value}")
        for op in OPERATIONS
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        # The health routes take no input at all: there is nothing to make invalid.
        if not (mode == GenerationMode.NEGATIVE and op.path.startswith("/health/"))
    ],
)
def test_operation_keeps_its_contract(runtime: Any, api_key: str, operation: Any, mode: GenerationMode) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=runtime.api_url, headers={"X-Api-Key": api_key}, checks=CHECKS)

    run()
