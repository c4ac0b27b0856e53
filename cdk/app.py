#!/usr/bin/env python3
"""The YTCaption CDK app. `cdk synth` runs it (cdk.json), and so can `python cdk/app.py` (into ./cdk.out).

Settings come from CDK context (cdk.json or `-c key=value`): see ytcaption_cdk/config.py.
cdk-nag's AwsSolutions pack checks the app as a CDK validation plugin: an
unacknowledged finding fails the synthesis.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (HERE, ROOT / "src"):  # works without installing the package too
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Environment, Validations  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402
from ytcaption_cdk.config import Config  # noqa: E402
from ytcaption_cdk.stack import YtcaptionStack  # noqa: E402

from ytcaption import resources  # noqa: E402

STACK_NAME = "YTCaption"
# CDK feature flags this app relies on (cdk.json context may override them).
FEATURE_FLAGS: dict[str, Any] = {
    # Server access logs are delivered through a bucket policy, not the legacy ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build_app(context: dict[str, Any] | None = None, outdir: str | None = None, nag: bool = True) -> App:
    app = App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir)
    config = Config.from_context(app.node)
    env = None
    if os.environ.get("CDK_DEFAULT_ACCOUNT") or os.environ.get("CDK_DEFAULT_REGION"):
        env = Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))
    # The construct id (and cdk.out's artifact) stays YTCaption; another name prefix is another
    # CloudFormation stack, so two deployments coexist in one account and region.
    stack_name = STACK_NAME if config.namePrefix == resources.PREFIX else f"{STACK_NAME}-{config.namePrefix}"
    YtcaptionStack(app, STACK_NAME, config=config, env=env, stack_name=stack_name)
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


if __name__ == "__main__":
    # Under the CLI, CDK_OUTDIR names its output folder; run directly, the assembly goes where the CLI's
    # would (./cdk.out), not to a temporary folder.
    build_app(outdir=None if os.environ.get("CDK_OUTDIR") else str(ROOT / "cdk.out")).synth()
