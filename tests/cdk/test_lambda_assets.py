"""Every Lambda of the synthesized stack imports from its own assets, laid out the way Lambda lays them out.

Lambda unpacks a function's code into /var/task and its layers, in order, into /opt;
/opt/python is on sys.path, so the core package sits at /opt/python/ytcaption/x.py,
four levels deep. The runtime brings boto3 (/var/lang/lib/python3.X/site-packages),
sets the function's environment plus its own variables, and imports the module the
Handler names. The venv the other tests run in hides packaging mistakes (a module that
computes `Path(__file__).parents[4]` at import works there and crashed every handler in
Lambda), so each handler here is imported in a fresh `python -I -S` from the cdk.out
assets of the synthesized template:

- in a private mount namespace (`unshare --mount`) the assets are mounted read-only on
  the real /var/task and /opt, as in Lambda: a path computation from `__file__` fails
  the same way it fails there. Where no namespace can be made (no privilege, no
  unshare), the same tree is imported from a temporary folder instead, which is deeper
  than /opt: `test_core_layer_derives_no_repository_paths_from_its_location` is the
  guard for that mistake then, and the test says which layout it used;
- the dependency layer is the one pip builds for this machine and this Python
  (`make host-layers`: layers/build/deps-<machine>, same requirements): the real layer
  is for Lambda's arm64 python3.12, and its compiled modules (pydantic_core, av) do not
  load here. The function code and the core layer are the synthesized assets;
- boto3 and what it needs come from the venv (Lambda's runtime ships them; the layer
  leaves them out), on the path where Lambda's runtime has them;
- an AWS call at import fails the import: the endpoint is a closed 127.0.0.1 port and
  botocore refuses to send anything.

`make test` builds both layers first; without them the synthesis uses empty
placeholder layers and this test fails, saying to run `make layers host-layers`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.cdk.conftest import ROOT, Synth
from tests.cdk.resolve import ACCOUNT, REGION, resolve
from ytcaption import resources
from ytcaption.local import lambda_layout

LAYER_BUILD = ROOT / "layers" / "build"
HOST_DEPS = LAYER_BUILD / f"deps-{platform.machine()}"
HOST_JS = LAYER_BUILD / f"js-{platform.machine()}"
PY = f"python{sys.version_info.major}.{sys.version_info.minor}"
# Lambda's paths. The host runs another Python than Lambda's 3.12 (the dependency layer
# is built for this one), so the version-named folders carry this interpreter's version.
TASK_ROOT = Path("/var/task")
OPT = Path("/opt")
RUNTIME_SITE = Path(f"/var/lang/lib/{PY}/site-packages")
# Lambdas with inline code and no name of their own: the name their logical id starts with (CDK's
# bucket-notification helper; the GPU stack's teardown helper, cdk/ytcaption_cdk/teardown.py).
CDK_FUNCTIONS = ("BucketNotificationsHandler", "WorkersScaleInProtectionReleaseFunction")
GPU_ONLY = ("WorkersScaleInProtectionReleaseFunction",)  # no Auto Scaling groups on Fargate
# The zip functions; an image function (the fast lane) is checked through its image (test_deploy_assets.py).
FUNCTIONS = (*(spec.function_name for spec in resources.LAMBDAS if not spec.image), *CDK_FUNCTIONS)
VARIANTS = ("gpu", "fargate")
# Variables the Lambda service sets itself; a template may not set them.
RESERVED = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}  # fmt: skip

# Runs as `python -I -S -B -c BOOTSTRAP <json>` in the task root: sys.path as Lambda's runtime
# builds it (the interpreter's standard library stays), then the handler's module is imported.
BOOTSTRAP = r"""
import importlib, json, os, sys
config = json.loads(sys.argv[1])
sys.path[:0] = config["path"]
import botocore.client

def _refuse(self, operation, params):
    raise RuntimeError(f"AWS call at import: {self.meta.service_model.service_name}.{operation}")

botocore.client.BaseClient._make_api_call = _refuse
module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
module = importlib.import_module(module_name)
handler = getattr(module, function_name, None)
if not callable(handler):
    raise SystemExit(f"{os.environ['_HANDLER']}: {function_name} is not a callable of {module.__file__}")
files = {name: getattr(m, "__file__", None) for name, m in list(sys.modules.items())}
print(json.dumps({"module": module.__file__, "files": {k: v for k, v in files.items() if v}, "path": sys.path}))
"""


@dataclass
class LambdaFunction:
    logical_id: str
    name: str
    handler: str
    runtime: str
    memory_mb: int
    code: Path | None  # the code asset folder; None for inline code
    inline: str | None
    layers: list[Path]
    environment: dict[str, str] = field(default_factory=dict)


# -- reading the synthesized template and its assets -------------------------------------------


def _assets(synth: Synth) -> dict[str, Path]:
    """S3 object key of each file asset -> its folder in the cloud assembly."""
    outdir = synth.template_path.parent
    manifest = json.loads(
        synth.template_path.with_name(synth.template_path.stem.split(".")[0] + ".assets.json").read_text()
    )
    found = {}
    for asset in manifest["files"].values():
        for destination in asset["destinations"].values():
            found[destination["objectKey"]] = outdir / asset["source"]["path"]
    return found


def _asset_dir(synth: Synth, code: dict[str, Any], what: str) -> Path:
    key = code.get("S3Key")
    assert isinstance(key, str), f"{what}: code is not a file asset of this assembly: {code}"
    folder = _assets(synth)[key]
    assert folder.is_dir(), f"{what}: asset {key} is not a folder in {folder.parent} (zip assets are not read here)"
    return folder


def _placeholder(template: dict[str, Any], value: Any) -> str:
    """A template value as Lambda would see it: resolve.py's values, or a plausible stand-in string."""
    try:
        resolved = resolve(template, value)
    except KeyError:
        resolved = None
    if isinstance(resolved, str):
        return resolved
    if isinstance(value, dict) and "Ref" in value:
        return f"{value['Ref'].lower()}-placeholder"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        return f"arn:aws:placeholder:{REGION}:{ACCOUNT}:{logical}/{attribute}"
    return json.dumps(value)


def lambda_functions(synth: Synth) -> dict[str, LambdaFunction]:
    found = {}
    for logical_id, resource in synth.resources("AWS::Lambda::Function").items():
        props = resource["Properties"]
        if props.get("PackageType") == "Image":
            continue
        name = props.get("FunctionName", logical_id)
        assert isinstance(name, str), f"{logical_id}: FunctionName {name} is not a plain string"
        inline = props["Code"].get("ZipFile")
        layers = []
        for layer in props.get("Layers", []):
            assert isinstance(layer, dict) and "Ref" in layer, f"{name}: layer {layer} is not one of this stack's"
            content = synth.template["Resources"][layer["Ref"]]["Properties"]["Content"]
            layers.append(_asset_dir(synth, content, f"{name}: layer {layer['Ref']}"))
        variables = props.get("Environment", {}).get("Variables", {})
        found[name] = LambdaFunction(
            logical_id=logical_id,
            name=name,
            handler=props["Handler"],
            runtime=props["Runtime"],
            memory_mb=int(props.get("MemorySize", 128)),
            code=None if inline else _asset_dir(synth, props["Code"], name),
            inline=inline,
            layers=layers,
            environment={k: _placeholder(synth.template, v) for k, v in variables.items()},
        )
    return found


def _param_of(function: LambdaFunction) -> str:
    matches = [f for f in FUNCTIONS if function.name == f or function.logical_id.startswith(f)]
    assert len(matches) == 1, (
        f"{function.name} ({function.logical_id}) is a Lambda of the template that this test does not "
        f"import: add its name to FUNCTIONS in {Path(__file__).name} (matches: {matches})"
    )
    return matches[0]


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


# -- the layout ---------------------------------------------------------------------------------


def _link_or_copy(source: str, target: str) -> object:
    """Hard links where the file system allows (the dependency layer is over 100 MB); no symlinks:
    a module's `__file__` must really lie inside the tree, as it does in Lambda."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


@dataclass
class Layout:
    """The folders one function sees: its task root, /opt (its layers merged) and the runtime's
    site-packages. `mounted` says whether they are mounted at Lambda's own paths."""

    task: Path
    opt: Path
    runtime_site: Path
    mounted: bool

    @property
    def seen_task(self) -> Path:
        return TASK_ROOT if self.mounted else self.task

    @property
    def seen_opt(self) -> Path:
        return OPT if self.mounted else self.opt

    @property
    def seen_runtime_site(self) -> Path:
        return RUNTIME_SITE if self.mounted else self.runtime_site

    def sys_path(self) -> list[str]:
        """Lambda's python3.12 runtime: the task root, the layers' folders, the runtime's packages."""
        opt = self.seen_opt
        paths = [self.seen_task, opt / "python" / "lib" / PY / "site-packages", opt / "python", self.seen_runtime_site]
        return [str(p) for p in paths]


# Inside the namespace: Lambda's read-only /opt and /var, then the interpreter in the task root.
MOUNT_SCRIPT = """set -e
mount --bind "$1" /opt && mount -o remount,bind,ro /opt
mount -t tmpfs -o mode=755,size=1m tmpfs /var
mkdir -p /var/task /var/runtime "$4"
mount --bind "$2" /var/task && mount -o remount,bind,ro /var/task
mount --bind "$3" "$4" && mount -o remount,bind,ro "$4"
mount -o remount,ro /var
cd /var/task
shift 4
exec "$@"
"""


def _mount_prefix() -> list[str] | None:
    """The command that runs the rest in a private mount namespace where /opt and /var can be
    replaced, or None where this machine cannot (no unshare, no privilege, or this Python or the
    test's folders themselves under /opt or /var)."""
    ours = [
        Path(sys.executable).resolve(),
        Path(sys.prefix),
        Path(sys.base_prefix),
        ROOT,
        Path(os.environ.get("TMPDIR", "/tmp")),
    ]
    if any(p.resolve().is_relative_to(top) for p in ours for top in (OPT, Path("/var"))):
        return None
    if not shutil.which("unshare"):
        return None
    with tempfile.TemporaryDirectory() as empty:  # the very mounts the imports use, around `true`
        probe = ["sh", "-c", MOUNT_SCRIPT, "sh", empty, empty, empty, str(RUNTIME_SITE), "true"]
        for prefix in (["unshare", "--mount"], ["unshare", "--mount", "--map-root-user"]):
            if subprocess.run([*prefix, *probe], capture_output=True).returncode == 0:
                return prefix
    return None


@pytest.fixture(scope="module")
def mount_prefix() -> list[str] | None:
    prefix = _mount_prefix()
    if prefix is None:
        warnings.warn(
            "no mount namespace here (unshare --mount): the handlers are imported from a temporary folder, "
            "deeper than Lambda's /opt and /var/task; only the static guard catches paths computed from __file__",
            stacklevel=1,
        )
    return prefix


def _build_layers() -> ModuleType:
    if "build_layers" not in sys.modules:
        spec = importlib.util.spec_from_file_location("build_layers", ROOT / "scripts" / "build_layers.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["build_layers"] = module
        spec.loader.exec_module(module)
    return sys.modules["build_layers"]


@pytest.fixture(scope="module")
def layers_built() -> None:
    """The layers in layers/build are those of the current sources and requirements (their stamps):
    the synthesis packages whatever is there, and placeholders where nothing is."""
    build = _build_layers()
    reqs = build.requirements()
    stamp, host_stamp = LAYER_BUILD / ".stamp", HOST_DEPS / ".stamp"
    if not stamp.exists() or not host_stamp.exists() or not (HOST_JS / "bin" / "deno").exists():
        pytest.fail(f"layers not built in {LAYER_BUILD}: run `make layers host-layers` (make test does)")
    if stamp.read_text() != build._inputs_hash(reqs):
        pytest.fail("layers/build is older than src/ or pyproject.toml: run `make layers`")
    if host_stamp.read_text() != build._inputs_hash(reqs, build.host_platform(), core=False):
        pytest.fail(f"{HOST_DEPS} is older than the requirements: run `make host-layers`")


@pytest.fixture(scope="module")
def layout(
    tmp_path_factory: pytest.TempPathFactory, mount_prefix: list[str] | None, layers_built: None
) -> Iterator[Callable[[LambdaFunction], Layout]]:
    """Lays a function out; layers merged once per list of layers and shared (read-only in Lambda)."""
    base = tmp_path_factory.mktemp("lambda")
    # What Lambda's runtime has in its site-packages (boto3 and what it needs), as the local runtime lays it.
    runtime_site = lambda_layout.runtime_site(base / "runtime" / "site-packages")
    opts: dict[tuple[Path, ...], Path] = {}
    deps = LAYER_BUILD / "deps"
    deps_files = _files(deps / "python") if (deps / "python").is_dir() else None
    js_deno = LAYER_BUILD / "js" / "bin" / "deno"

    def lay_out(function: LambdaFunction) -> Layout:
        key = tuple(function.layers)
        if key not in opts:
            opt = opts[key] = base / f"opt{len(opts)}"
            opt.mkdir()
            for layer in function.layers:
                if (layer / "python" / "PLACEHOLDER.txt").exists():
                    pytest.fail(f"{function.name}: its layers are placeholders: run `make layers host-layers` first")
                if deps_files is not None and _files(layer / "python") == deps_files:
                    # The arm64 dependency layer: the same requirements built for this machine instead.
                    layer = HOST_DEPS
                elif _same_file(layer / "bin" / "deno", js_deno):
                    layer = HOST_JS  # the arm64 Deno: the same release built for this machine
                shutil.copytree(layer, opt, dirs_exist_ok=True, copy_function=_link_or_copy, ignore=_stamp)
        task = base / f"{function.name}-{len(list(base.glob(function.name + '-*')))}" / "task"
        if function.code is not None:
            shutil.copytree(function.code, task)
        else:  # Lambda writes inline Python code to index.py
            task.mkdir(parents=True)
            (task / "index.py").write_text(function.inline or "")
        return Layout(task, opts[key], runtime_site, mounted=mount_prefix is not None)

    yield lay_out


def _same_file(a: Path, b: Path) -> bool:
    return a.is_file() and b.is_file() and a.stat().st_size == b.stat().st_size


def _stamp(folder: str, names: list[str]) -> list[str]:
    return [".stamp"] if ".stamp" in names else []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def lambda_environment(function: LambdaFunction, layout: Layout) -> dict[str, str]:
    """The template's variables plus what the Lambda service sets; dummy credentials, and an
    endpoint nobody listens on so that an AWS call at import fails at once instead of leaving."""
    task, opt = layout.seen_task, layout.seen_opt
    service = {
        "_HANDLER": function.handler,
        "LAMBDA_TASK_ROOT": str(task),
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE00",
        "AWS_SECRET_ACCESS_KEY": "example-secret-not-a-real-one",
        "AWS_SESSION_TOKEN": "example-session-token",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
        "_AWS_XRAY_DAEMON_PORT": "2000",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LD_LIBRARY_PATH": f"{task}:{task}/lib:{opt}/lib",
    }
    harness = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return {**function.environment, **service, **harness}


# -- the checks ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synths(request: pytest.FixtureRequest) -> Callable[[str], Synth]:
    def get(variant: str) -> Synth:
        synth: Synth = request.getfixturevalue(variant)
        return synth

    return get


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_lambda_of_the_template_is_imported_here(synths: Callable[[str], Synth], variant: str) -> None:
    functions = lambda_functions(synths(variant))
    expected = [f for f in FUNCTIONS if variant == "gpu" or f not in GPU_ONLY]
    assert sorted(map(_param_of, functions.values())) == sorted(expected)
    for function in functions.values():
        assert not RESERVED & set(function.environment), f"{function.name} sets variables Lambda reserves"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_handler_imports_from_its_assets_as_in_lambda(
    synths: Callable[[str], Synth],
    layout: Callable[[LambdaFunction], Layout],
    mount_prefix: list[str] | None,
    name: str,
) -> None:
    """The function of each synthesis variant; a variant's function identical to one already
    imported (same code and layer assets, handler, runtime and environment) is not imported again."""
    done: list[tuple[Any, ...]] = []
    found = {
        variant: [f for f in lambda_functions(synths(variant)).values() if _param_of(f) == name] for variant in VARIANTS
    }
    assert all(len(functions) <= 1 for functions in found.values()) and any(found.values()), found
    for variant, (function,) in ((v, f) for v, f in found.items() if f):
        key = (
            function.code and function.code.name,
            function.inline,
            [layer.name for layer in function.layers],
            function.handler,
            function.runtime,
            function.environment,
        )
        if key not in done:
            done.append(key)
            _import_handler(function, variant, layout(function), mount_prefix)


def _import_handler(function: LambdaFunction, variant: str, where: Layout, mount_prefix: list[str] | None) -> None:
    env = lambda_environment(function, where)
    config = {"path": where.sys_path()}
    command = [sys.executable, "-I", "-S", "-B", "-c", BOOTSTRAP, json.dumps(config)]
    if mount_prefix is not None:
        mounts = [str(where.opt), str(where.task), str(where.runtime_site), str(RUNTIME_SITE)]
        command = [*mount_prefix, "sh", "-c", MOUNT_SCRIPT, "sh", *mounts, *command]
    started = time.monotonic()
    result = subprocess.run(command, cwd=where.task, env=env, capture_output=True, text=True, timeout=120)
    layout_note = (
        "at /var/task and /opt" if where.mounted else f"in {where.task.parent.parent} (no mount namespace here)"
    )
    assert result.returncode == 0, (
        f"{function.name} ({function.handler}, {variant} synthesis) does not import from its assets "
        f"laid out {layout_note}:\n"
        f"{result.stderr[-6000:]}"
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"{function.name} ({variant}): imported {layout_note} in {time.monotonic() - started:.1f} s")

    # Everything came from the Lambda folders or the interpreter's standard library, nothing from the venv.
    task, opt, runtime_site = where.seen_task, where.seen_opt, where.seen_runtime_site
    assert report["module"] == str(task / function.handler.rpartition(".")[0].replace(".", "/")) + ".py"
    stdlib = {Path(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")}
    leaked = {
        name: file
        for name, file in report["files"].items()
        if not any(Path(file).is_relative_to(top) for top in (task, opt, runtime_site))
        and not any(Path(file).is_relative_to(lib) and "site-packages" not in Path(file).parts for lib in stdlib)
    }
    assert not leaked, f"{function.name} imported modules from outside its Lambda folders: {leaked}"
    if function.layers:
        assert report["files"]["ytcaption"] == str(opt / "python" / "ytcaption" / "__init__.py")
        assert Path(report["files"]["pydantic"]).is_relative_to(opt / "python")
    assert Path(report["files"]["boto3"]).is_relative_to(runtime_site)


def test_core_layer_derives_no_repository_paths_from_its_location(
    synths: Callable[[str], Synth], layers_built: None
) -> None:
    """The second guard (and the only one where no mount namespace can be made): in a layer a module is
    /opt/python/ytcaption/x.py, so the repository (statemachines/, functions/, ...) is not above it."""
    synth = synths("gpu")
    (core,) = {
        layer
        for f in lambda_functions(synth).values()
        for layer in f.layers
        if (layer / "python" / "ytcaption").is_dir()
    }
    suspicious = (
        "parents[",
        ".parent.parent",
        "dirname(os.path.dirname",
        '"statemachines"',
        '"functions"',
        '"layers"',
        '"cdk"',
        "pyproject.toml",
    )
    found = []
    for path in sorted((core / "python").rglob("*.py")):
        text = path.read_text()
        if "__file__" not in text:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if any(s in line for s in suspicious):
                found.append(f"{path.relative_to(core)}:{number}: {line.strip()}")
    assert not found, "modules of the core layer climb out of the package from __file__:\n" + "\n".join(found)


# yt-dlp as FetchAudio runs it: which JavaScript runtime it finds for YouTube, and yt-dlp's own JS.
FINDS_DENO = r"""
import json, shutil, sys
config = json.loads(sys.argv[1])
sys.path[:0] = config["path"]
import yt_dlp, yt_dlp_ejs
runtime = yt_dlp.YoutubeDL({"quiet": True, "no_warnings": True})._js_runtimes["deno"]
info = runtime.info if runtime else None
deno = info and shutil.which(info.path)
print(json.dumps({"deno": deno, "version": info and info.version, "ejs": yt_dlp_ejs.__file__}))
"""
# Lambda's own PATH: layers' binaries are on it through /opt/bin.
LAMBDA_PATH = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:{opt}/bin"
# What Lambda unpacks for one function, at most (its code and every layer together).
UNZIPPED_LIMIT = 250 * 1024 * 1024


def test_fetch_audio_finds_a_javascript_runtime_for_youtube_in_its_layers(
    synths: Callable[[str], Synth], layout: Callable[[LambdaFunction], Layout], mount_prefix: list[str] | None
) -> None:
    """Current yt-dlp needs an external JavaScript runtime (and yt-dlp-ejs) for YouTube's formats."""
    (function,) = [f for f in lambda_functions(synths("gpu")).values() if _param_of(f) == "ytcaption-fetch-audio"]
    where = layout(function)
    env = {**lambda_environment(function, where), "PATH": LAMBDA_PATH.format(opt=where.seen_opt)}
    command = [sys.executable, "-I", "-S", "-B", "-c", FINDS_DENO, json.dumps({"path": where.sys_path()})]
    if mount_prefix is not None:
        mounts = [str(where.opt), str(where.task), str(where.runtime_site), str(RUNTIME_SITE)]
        command = [*mount_prefix, "sh", "-c", MOUNT_SCRIPT, "sh", *mounts, *command]
    result = subprocess.run(command, cwd=where.task, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["deno"] == str(where.seen_opt / "bin" / "deno"), found
    assert found["version"] and found["version"] != "unknown", found
    assert Path(found["ejs"]).is_relative_to(where.seen_opt / "python"), found


def test_no_function_outgrows_what_lambda_unpacks(synths: Callable[[str], Synth]) -> None:
    """The arm64 assets as deployed: code plus layers under Lambda's 250 MB unzipped."""

    def size(folder: Path) -> int:
        return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())

    for function in lambda_functions(synths("gpu")).values():
        total = sum(size(layer) for layer in function.layers) + (size(function.code) if function.code else 0)
        assert total < UNZIPPED_LIMIT, f"{function.name}: {total / 2**20:.0f} MB unzipped"
