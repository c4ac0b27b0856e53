"""What `cdk deploy` would publish, from the CLI's own cloud assembly, before its first AWS call.

`make deploy` synthesizes with the pinned CLI (test_cli_synth.py), then publishes the assets its
manifest lists (every Lambda's code, the three layers, the template; the worker image, built by
Docker from the build context in the assembly) to the bootstrap bucket and repository, then
deploys. Publishing needs credentials, building the image needs Docker: everything before that
is checked here, against the limits AWS applies.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ytcaption_cdk import fast_lane
from ytcaption_cdk.config import Config
from ytcaption_cdk.workers import IMAGE_CONTEXT_EXCLUDE

from tests.cdk.conftest import ROOT, CliSynth
from tests.cdk.test_lambda_assets import UNZIPPED_LIMIT, lambda_functions
from ytcaption import resources

# AWS limits a deployment meets (Lambda and CloudFormation quotas pages).
LAYERS_PER_FUNCTION = 5
TEMPLATE_BYTES = 1_000_000  # a template uploaded to S3 (the CLI uploads it to the bootstrap bucket)
RESOURCES_PER_STACK = 500
OUTPUTS_PER_STACK = 200
# The worker image's build context is the repository filtered to what the Dockerfile reads:
# a few MB; anything near this means a model, a venv or build output was swept in.
CONTEXT_BYTES = 20 * 2**20


def _manifest(cli: CliSynth) -> dict[str, Any]:
    path = cli.outdir / f"{cli.template_path.name.split('.')[0]}.assets.json"
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def test_every_asset_the_deploy_publishes_is_in_the_assembly(cli: CliSynth) -> None:
    manifest = _manifest(cli)
    keys = {}
    for asset_id, asset in manifest["files"].items():
        source = cli.outdir / asset["source"]["path"]
        assert source.exists(), f"file asset {asset_id}: {source} is missing"
        if asset["source"].get("packaging") == "zip":
            assert source.is_dir() and any(source.iterdir()), f"{source}: an empty folder"
        for destination in asset["destinations"].values():
            keys[destination["objectKey"]] = destination["bucketName"]
    # Every piece of code the template names is one of those assets (nothing refers to a local path).
    for kind, prop in (("AWS::Lambda::Function", "Code"), ("AWS::Lambda::LayerVersion", "Content")):
        for logical_id, resource in cli.resources(kind).items():
            code = resource["Properties"][prop]
            if "ZipFile" in code or "ImageUri" in code:
                continue  # inline (CDK's bucket-notification helper), or an image (checked below)
            assert code["S3Key"] in keys, f"{logical_id}: {code['S3Key']} is not published"
            bucket = code["S3Bucket"]  # ${AWS::AccountId} in it unless the account is known
            bucket = bucket["Fn::Sub"] if isinstance(bucket, dict) else bucket
            assert bucket == keys[code["S3Key"]], "the bootstrap bucket it is published to"
    images = {asset["source"]["dockerFile"]: asset_id for asset_id, asset in manifest["dockerImages"].items()}
    assert set(images) == {"containers/whisper/Dockerfile", fast_lane.DOCKERFILE}
    image = json.dumps(cli.resources("AWS::ECS::TaskDefinition"))
    assert f":{images['containers/whisper/Dockerfile']}" in image, (
        "the worker's task runs the image this assembly builds"
    )
    (function,) = [f for f in cli.resources("AWS::Lambda::Function").values() if f["Properties"].get("PackageType")]
    assert f":{images[fast_lane.DOCKERFILE]}" in json.dumps(function["Properties"]["Code"]), "the fast lane's image"


def test_the_three_layers_are_the_built_ones(cli: CliSynth) -> None:
    """cdk.json synthesizes with the real layers (`make layers`), never the placeholders."""
    functions = lambda_functions(cli)
    layers = {layer for function in functions.values() for layer in function.layers}
    assert len(layers) == 3, sorted(map(str, layers))
    for layer in layers:
        assert not list(layer.rglob("PLACEHOLDER.txt")), f"{layer} is a placeholder layer"
    assert any((layer / "python" / "ytcaption" / "resources.py").is_file() for layer in layers), "the core layer"
    assert any((layer / "python" / "pydantic").is_dir() for layer in layers), "the dependency layer"
    assert any((layer / "bin" / "deno").is_file() for layer in layers), "the JavaScript layer (Deno)"


def test_every_function_fits_what_lambda_unpacks(cli: CliSynth) -> None:
    functions = lambda_functions(cli)
    assert {spec.function_name for spec in resources.LAMBDAS if not spec.image} <= set(functions)
    for function in functions.values():
        assert len(function.layers) <= LAYERS_PER_FUNCTION, function.name
        total = sum(map(_size, function.layers)) + (_size(function.code) if function.code else 0)
        assert total < UNZIPPED_LIMIT, f"{function.name}: {total / 2**20:.0f} MB unzipped with its layers"


def test_the_template_fits_cloudformation(cli: CliSynth) -> None:
    assert cli.template_path.stat().st_size < TEMPLATE_BYTES
    assert len(cli.template["Resources"]) <= RESOURCES_PER_STACK
    assert len(cli.template.get("Outputs", {})) <= OUTPUTS_PER_STACK


def _image_source(cli: CliSynth, dockerfile: str) -> dict[str, Any]:
    (image,) = [i for i in _manifest(cli)["dockerImages"].values() if i["source"]["dockerFile"] == dockerfile]
    source: dict[str, Any] = image["source"]
    return source


def _assert_context_holds_what_is_copied(cli: CliSynth, source: dict[str, Any], exclude: list[str]) -> Path:
    context = cli.outdir / source["directory"]
    dockerfile = context / source["dockerFile"]
    assert dockerfile.is_file(), f"{source['dockerFile']} is not in the build context {context}"
    assert source["platform"] == "linux/amd64"
    # Only what the exclusions let through (plus the .dockerignore CDK writes).
    allowed = {line[1:].split("/")[0] for line in exclude if line.startswith("!")} | {".dockerignore"}
    assert {p.name for p in context.iterdir()} <= allowed
    for line in dockerfile.read_text().splitlines():
        match = re.match(r"^(?:COPY|ADD)\s+(?!--from)(.+)$", line.strip())
        if match:
            *sources, _target = match[1].split()
            for copied in sources:
                assert (context / copied).exists(), f"{line.strip()}: {copied} is not in the build context"
    assert _size(context) < CONTEXT_BYTES, f"{_size(context) / 2**20:.0f} MB build context"
    # The same Dockerfile the docs tell operators to build by hand.
    assert dockerfile.read_bytes() == (ROOT / source["dockerFile"]).read_bytes()
    return context


def test_the_fast_lane_image_context_holds_what_its_dockerfile_copies(cli: CliSynth) -> None:
    source = _image_source(cli, fast_lane.DOCKERFILE)
    context = _assert_context_holds_what_is_copied(cli, source, fast_lane.IMAGE_CONTEXT_EXCLUDE)
    assert [p.name for p in (context / "functions").iterdir()] == ["fast_lane"], "no other function's code"
    assert (context / "src" / "ytcaption" / "fastlane").is_dir()


def test_the_worker_image_context_holds_what_its_dockerfile_copies(cli: CliSynth) -> None:
    source = _image_source(cli, "containers/whisper/Dockerfile")
    # The fast lane's models are baked in beside the workers' own: a job the lane hands back finds its model.
    extra = [m for m in resources.FAST_LANE_MODELS if m != Config().model]
    assert extra and source["dockerBuildArgs"] == {"WHISPER_MODEL": Config().model, "EXTRA_MODELS": " ".join(extra)}
    context = _assert_context_holds_what_is_copied(cli, source, IMAGE_CONTEXT_EXCLUDE)
    assert (context / "src" / "ytcaption" / "worker").is_dir(), "the worker package the image runs"
    assert not (context / "functions").exists(), "no function's code in the worker's image"


DEPLOY_DOCS = [ROOT / "docs" / "operate" / name for name in ("prerequisites.md", "deploy.md")]


def test_the_deploy_docs_name_what_needs_docker_or_credentials_with_commands_that_exist() -> None:
    text = "\n".join(path.read_text() for path in DEPLOY_DOCS)
    assert "cdk/node_modules/.bin/cdk bootstrap aws://ACCOUNT/REGION" in text
    prerequisites = DEPLOY_DOCS[0].read_text()
    for needed in ("| Docker |", "| AWS credentials |", "docker info", "aws sts get-caller-identity"):
        assert needed in prerequisites, needed
    assert "cdk.context.json" in prerequisites, "what the first synth with credentials looks up, and keeps"
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    commands = re.findall(r"(?:^|`)make ((?:[a-z][\w-]* ?)+)", text, re.MULTILINE)
    named = {target for command in commands for target in command.split()}
    assert named and named <= targets, named - targets
    assert "cdk/node_modules/.bin/cdk" in (ROOT / "Makefile").read_text()
