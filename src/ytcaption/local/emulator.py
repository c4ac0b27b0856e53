"""The embedded AWS emulator: moto server with Step Functions execution on, Lambda
code run by the local executor, Lambda's SQS pollers and scheduled rules emulated,
every request's signature checked against the runtime's own credentials, and S3 form uploads
checked against their policy as S3 checks them (ytcaption.local.front_door).
Run as `python -m ytcaption.local.emulator`."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import threading
from pathlib import Path
from typing import Any

from ytcaption.local.sigv4 import Credentials


def serve(host: str, port: int, cache_dir: Path) -> None:
    # The Step Functions interpreter calls back into the emulator on MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    # No CORS headers on every answer: the bucket's CORS rules say which pages may upload.
    os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"
    credentials = _credentials()
    from moto.core.config import default_user_config
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from ytcaption.local import lambda_layout, moto_speed
    from ytcaption.local.event_sources import EventSources
    from ytcaption.local.front_door import FrontDoor
    from ytcaption.local.lambda_executor import LocalLambdaExecutor, install
    from ytcaption.local.outbox import OutboxMiddleware

    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    from ytcaption.settings import get_settings

    settings = get_settings()
    layers = lambda_layout.layer_dirs(settings.local_lambda_layers)
    executor = LocalLambdaExecutor(f"http://{host}:{port}", cache_dir, settings.local_lambda_concurrency, layers)
    install(executor)
    moto_speed.install()
    sign_state_machine_calls(credentials)
    # moto's ThreadedMotoServer, with the signature and form-upload checks in front of its app.
    app = FrontDoor(OutboxMiddleware(DomainDispatcherApplication(create_backend_app)), credentials)
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


def _credentials() -> Credentials:
    """The credentials every request must be signed with: the runtime's own (`local up` makes a secret
    and gives it to its processes). Started without one, the emulator makes one and says where it is."""
    key_id = os.environ.get("AWS_ACCESS_KEY_ID") or "local"
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    if not secret:
        secret = secrets.token_hex(20)
        os.environ.update(AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret)
        print(f"no AWS_SECRET_ACCESS_KEY given: requests must be signed with {key_id} / {secret}", flush=True)
    return Credentials(key_id, secret)


def sign_state_machine_calls(credentials: Credentials) -> None:
    """moto's Step Functions interpreter calls back into the emulator with fixed dummy keys
    (boto_client_for: "ak"/"sk"); it signs with the runtime's credentials instead."""
    import boto3
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.utils import boto_client

    # One client per service, region and endpoint, made under a lock: the interpreter asks for a client at
    # every task (~2 ms each once the service's model is loaded), from many execution threads at once, and
    # making clients from one session on several threads at once is not safe.
    clients: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    class _Boto3:
        @staticmethod
        def client(*args: Any, **kwargs: Any) -> Any:
            key = (*args, kwargs.get("service_name"), kwargs.get("region_name"), kwargs.get("endpoint_url"))
            with lock:
                if key not in clients:
                    kwargs.update(
                        aws_access_key_id=credentials.access_key_id,
                        aws_secret_access_key=credentials.secret_access_key,
                        # Map iterations call at once: keep their connections instead of discarding them.
                        config=(kwargs.get("config") or Config()).merge(Config(max_pool_connections=64)),
                    )
                    clients[key] = boto3.client(*args, **kwargs)
                return clients[key]

    if getattr(boto_client, "boto3", None) is not boto3:
        raise RuntimeError("moto's Step Functions client factory changed: re-check sign_state_machine_calls")
    setattr(boto_client, "boto3", _Boto3)  # noqa: B010 - moto's module does not export it


def main() -> None:
    parser = argparse.ArgumentParser(description="YTCaption embedded AWS emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "ytcaption" / "lambda-code")
    args = parser.parse_args()
    serve(args.host, args.port, args.cache_dir)


if __name__ == "__main__":
    main()
