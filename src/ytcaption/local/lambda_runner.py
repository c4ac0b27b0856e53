"""Runs inside a warm local "Lambda" process: imports the handler once, then
answers one invocation per line on stdin, like a warm Lambda sandbox."""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from typing import Any


class Context:
    """The parts of the Lambda context object that handlers and Powertools read."""

    def __init__(self, request_id: str, timeout_s: float) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = request_id
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    # Run from built layers (ytcaption.local.lambda_layout): Lambda's path, set before any import.
    if os.environ.get("LAMBDA_SYS_PATH"):
        sys.path[:0] = json.loads(os.environ["LAMBDA_SYS_PATH"])
    # Answers go on a private copy of stdout; anything the handler prints goes to stderr.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    timeout_s = float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))
    handler: Any = None
    init_error: dict[str, Any] | None = None
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        core = sys.modules.get("ytcaption")
        print(f"{os.environ.get('AWS_LAMBDA_FUNCTION_NAME')}: ytcaption from {getattr(core, '__file__', None)}")
    except Exception as exc:
        traceback.print_exc()  # in the emulator's log, as Lambda logs an init error
        init_error = {"errorMessage": str(exc), "errorType": "Runtime.ImportModuleError"}
    answers.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        if init_error:
            answers.write(json.dumps({"error": True, "payload": init_error}) + "\n")
            continue
        try:
            result = handler(request["event"], Context(request.get("request_id") or str(uuid.uuid4()), timeout_s))
            answers.write(json.dumps({"error": False, "payload": result}) + "\n")
        except Exception as exc:
            traceback.print_exc()
            payload = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            answers.write(json.dumps({"error": True, "payload": payload}) + "\n")


if __name__ == "__main__":
    main()
