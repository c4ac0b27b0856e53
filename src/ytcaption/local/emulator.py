"""The embedded AWS emulator: moto server with Step Functions execution on, Lambda
code run by the local executor, Lambda's SQS pollers and scheduled rules emulated,
and S3 form uploads checked against their policy as S3 checks them.
Run as `python -m ytcaption.local.emulator`."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path
from typing import Any


def serve(host: str, port: int, cache_dir: Path) -> None:
    # The Step Functions interpreter calls back into the emulator on MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    from moto.core.config import default_user_config
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from ytcaption.local import lambda_layout
    from ytcaption.local.event_sources import EventSources
    from ytcaption.local.lambda_executor import LocalLambdaExecutor, install
    from ytcaption.local.outbox import OutboxMiddleware
    from ytcaption.local.post_policy import PostPolicyMiddleware

    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    from ytcaption.settings import get_settings

    settings = get_settings()
    layers = lambda_layout.layer_dirs(settings.local_lambda_layers)
    executor = LocalLambdaExecutor(f"http://{host}:{port}", cache_dir, settings.local_lambda_concurrency, layers)
    install(executor)
    # moto's ThreadedMotoServer, with the form-upload check in front of its app.
    app = OutboxMiddleware(PostPolicyMiddleware(DomainDispatcherApplication(create_backend_app), secret=_secret()))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    pollers = EventSources()
    thread.start()
    pollers.start()
    print(f"emulator listening on http://{host}:{port}", flush=True)
    stop.wait()
    pollers.stop()
    executor.shutdown()
    server.shutdown()
    thread.join()


def _secret() -> str:
    """The secret key the local clients sign with (the runtime gives every process the same dummy)."""
    return os.environ.get("AWS_SECRET_ACCESS_KEY", "local")


def main() -> None:
    parser = argparse.ArgumentParser(description="YTCaption embedded AWS emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "ytcaption" / "lambda-code")
    args = parser.parse_args()
    serve(args.host, args.port, args.cache_dir)


if __name__ == "__main__":
    main()
