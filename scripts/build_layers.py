#!/usr/bin/env python3
"""Build the Lambda layers without Docker: pip for Lambda's platform.

Each layer is defined in layers/<name>/layer.toml (what it holds, for which functions, for which
platform); this script reads those definitions and builds:

    layers/build/core/python/ytcaption/...   the core package from src/ (what the handlers import)
    layers/build/deps/python/...             its dependencies, arm64 wheels for Python 3.12
    layers/build/js/{bin/deno,python/...}    yt-dlp's JavaScript runtime (FetchAudio only)

The dependency layer holds `[project].dependencies` from pyproject.toml, the
extras its definition names (`api`: FastAPI + Mangum; `lambda`) when pyproject defines
them, and any functions/*/requirements.txt,
less what the Lambda runtime provides (boto3/botocore). pip installs wheels only
(`--platform manylinux2014_aarch64 --only-binary=:all:`), so the result is what
Lambda's arm64 python3.12 runtime loads, built on any machine. Versions are pinned
in pyproject.toml only.

The build is cached: layers/build/.stamp holds a hash of its inputs, and a build
whose inputs have not changed is skipped (`--force` rebuilds).

`--host` builds only the dependency layer again, from the same requirements, for
the machine running the script instead of Lambda (manylinux2014_<machine>, this
interpreter's Python version), into layers/build/deps-<machine> with a stamp of
its own. Tests import the Lambda handlers from the synthesized assets with it in
place of the arm64 layer, whose compiled modules (pydantic_core, av) cannot load
here; `--platform`, `--python-version` and `--out` choose another target.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORE_SRC = ROOT / "src" / "ytcaption"
LAYERS = ROOT / "layers"
BUILD = LAYERS / "build"


def definition(name: str) -> dict[str, Any]:
    """layers/<name>/layer.toml: what the layer holds and which functions carry it."""
    return tomllib.loads((LAYERS / name / "layer.toml").read_text())


_DEPS, _JS, _CORE = definition("dependencies"), definition("javascript"), definition("core")
PLATFORM = str(_DEPS["platform"])
PYTHON_VERSION = str(_DEPS["python"])
PROVIDED = set(_DEPS["contents"]["provided"])
# Extras of pyproject.toml that the Lambdas import.
LAMBDA_EXTRAS = tuple(_DEPS["contents"]["extras"])
JS_EXTRAS = tuple(_JS["contents"]["extras"])
JS_PLATFORM = str(_JS["platform"])
# Not needed inside Lambda: the local runtime and the CLI run on a laptop.
CORE_EXCLUDE = tuple(_CORE["contents"]["exclude"])


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project.get("dependencies", [])) if _DEPS["contents"].get("project_dependencies") else []
    for extra in LAMBDA_EXTRAS:
        reqs += project.get("optional-dependencies", {}).get(extra, [])
    function_requirements = sorted((ROOT / "functions").glob("*/requirements.txt"))
    for path in function_requirements if _DEPS["contents"].get("function_requirements") else []:
        reqs += [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    # Powertools' Tracer needs the X-Ray SDK in Lambda.
    reqs = [
        "aws-lambda-powertools[tracer]" + r[len("aws-lambda-powertools") :]
        if _name(r) == "aws-lambda-powertools" and "[" not in r
        else r
        for r in reqs
    ]
    return sorted({r for r in reqs if _name(r) not in PROVIDED})


def js_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    return sorted(r for extra in JS_EXTRAS for r in extras.get(extra, []))


def build_js(target: Path, platform_tag: str = JS_PLATFORM, python_version: str = PYTHON_VERSION) -> None:
    """Deno and yt-dlp-ejs, cached by a stamp in the folder. Deno's binary goes to bin/ (Lambda puts
    /opt/bin on PATH, where yt-dlp looks for it); the packages to python/."""
    reqs = js_requirements()
    stamp = target / ".stamp"
    wanted = hashlib.sha256(json.dumps([reqs, platform_tag, python_version]).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    shutil.rmtree(target, ignore_errors=True)
    python = target / "python"
    command = [
        sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "--no-deps",
        "--target", str(python), "--platform", platform_tag, "--implementation", "cp",
        "--python-version", python_version, "--only-binary=:all:", "--no-compile", *reqs,
    ]  # fmt: skip
    subprocess.run(command, check=True)
    (target / "bin").mkdir(parents=True)
    deno = python / "bin" / "deno"
    deno.rename(target / "bin" / "deno")
    (target / "bin" / "deno").chmod(0o755)
    shutil.rmtree(python / "bin", ignore_errors=True)
    stamp.write_text(wanted)
    print(f"JavaScript layer built in {target} for {platform_tag} ({', '.join(reqs)})")


def ejs_pair(deps: Path, js: Path) -> tuple[str, str]:
    """(the yt-dlp-ejs version the dependency layer's yt-dlp vendors, the one the JavaScript layer holds)."""
    info = (deps / "python/yt_dlp/extractor/youtube/jsc/_builtin/vendor/_info.py").read_text()
    found = re.search(r"^VERSION = '([^']+)'", info, re.MULTILINE)
    shipped = [p.name[len("yt_dlp_ejs-") : -len(".dist-info")] for p in (js / "python").glob("yt_dlp_ejs-*.dist-info")]
    return (found.group(1) if found else "?"), (shipped[0] if len(shipped) == 1 else "?")


def check_ejs_pair(deps: Path, js: Path) -> None:
    """yt-dlp uses yt-dlp-ejs only at the major.minor it vendors (ejs.py): refuse any other pair."""
    vendored, shipped = ejs_pair(deps, js)
    if vendored == "?" or vendored.split(".")[:2] != shipped.split(".")[:2]:
        raise SystemExit(f"yt-dlp vendors yt-dlp-ejs {vendored} and ignores any other major.minor, but the "
                         f"JavaScript layer has {shipped}: pin the two together in pyproject.toml")  # fmt: skip


def host_platform() -> tuple[str, str]:
    """The pip platform tag and Python version of the machine and interpreter running this."""
    return f"manylinux2014_{platform.machine()}", f"{sys.version_info.major}.{sys.version_info.minor}"


def host_deps_dir() -> Path:
    return BUILD / f"deps-{platform.machine()}"


def _inputs_hash(reqs: list[str], target: tuple[str, str] = (PLATFORM, PYTHON_VERSION), core: bool = True) -> str:
    digest = hashlib.sha256(json.dumps([reqs, *target]).encode())
    web = [p for p in (CORE_SRC / "api" / "web").rglob("*") if p.is_file()]
    shipped = [*CORE_SRC.rglob("*.py"), *CORE_SRC.rglob("templates/*"), *web, ROOT / "pyproject.toml",
               *LAYERS.glob("*/layer.toml")]  # fmt: skip
    for path in sorted(shipped if core else []):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_core(target: Path) -> None:
    """pip installs the package itself (no dependencies: they are the other layer), then the
    parts Lambda never runs are dropped."""
    shutil.rmtree(target, ignore_errors=True)
    python = target / "python"
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "--no-deps",
               "--no-compile", "--target", str(python), str(ROOT)]  # fmt: skip
    # A build folder left by an earlier build would leak stale modules into the wheel.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    subprocess.run(command, check=True)
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    for name in CORE_EXCLUDE:
        for path in (python / "ytcaption").rglob(name):
            shutil.rmtree(path, ignore_errors=True)
    for path in python.glob("*.dist-info"):
        shutil.rmtree(path)
    shutil.rmtree(python / "bin", ignore_errors=True)


def build_deps(
    target: Path, reqs: list[str], platform_tag: str = PLATFORM, python_version: str = PYTHON_VERSION
) -> None:
    shutil.rmtree(target, ignore_errors=True)
    wheelhouse = BUILD / "wheelhouse"
    wheelhouse.mkdir(parents=True, exist_ok=True)
    # A pure-Python package published only as an sdist (e.g. srt) has no wheel for any
    # platform: build it into a py3-none-any wheel here, then install as a wheel like the rest.
    for _ in range(10):
        command = _pip_install(target, reqs, wheelhouse, platform_tag, python_version)
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode == 0:
            break
        missing = re.search(r"No matching distribution found for (\S+)", result.stderr)
        if not missing or not _build_pure_wheel(missing.group(1), wheelhouse, platform_tag):
            sys.stderr.write(result.stderr)
            raise SystemExit(f"pip could not install the dependency layer (exit {result.returncode})")
    else:
        raise SystemExit("too many source-only packages")
    python = target / "python"
    # pip's bookkeeping and caches are dead weight in a layer.
    for pattern in ("**/__pycache__", "bin", "share"):
        for path in python.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)
    for name in PROVIDED:  # pulled in transitively (e.g. by powertools extras)
        for path in python.glob(f"{name.replace('-', '_')}*"):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()


def _pip_install(target: Path, reqs: list[str], wheelhouse: Path, platform_tag: str, python_version: str) -> list[str]:
    return [
        sys.executable, "-m", "pip", "install", "--disable-pip-version-check",
        "--quiet", "--target", str(target / "python"), "--find-links", str(wheelhouse),
        "--platform", platform_tag, "--implementation", "cp", "--python-version", python_version,
        "--only-binary=:all:", "--no-compile", "--upgrade", *reqs,
    ]  # fmt: skip


def _build_pure_wheel(requirement: str, wheelhouse: Path, platform_tag: str = PLATFORM) -> bool:
    """Build `requirement` from source into wheelhouse; True only if the wheel is pure Python."""
    before = set(wheelhouse.glob("*.whl"))
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheelhouse), requirement]
    if subprocess.run(command).returncode != 0:
        return False
    built = set(wheelhouse.glob("*.whl")) - before
    impure = [w for w in built if not w.name.endswith("-none-any.whl")]
    for wheel in impure:  # compiled for this machine, not for Lambda: never use it
        wheel.unlink()
    if impure:
        print(f"{requirement} has no {platform_tag} wheel and is not pure Python", file=sys.stderr)
        return False
    print(f"built pure-Python wheel for {requirement}: {', '.join(w.name for w in built)}")
    return bool(built)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="rebuild even if the inputs have not changed")
    parser.add_argument("--print-requirements", action="store_true", help="print the dependency layer's requirements")
    parser.add_argument("--host", action="store_true", help="only the dependency layer, for this machine (tests)")
    parser.add_argument("--platform", help="only the dependency layer, for this pip platform tag")
    parser.add_argument("--python-version", help="with --platform: the Python version (default: this interpreter's)")
    parser.add_argument("--out", type=Path, help="with --host/--platform: the layer's folder")
    args = parser.parse_args(argv)
    reqs = requirements()
    if args.print_requirements:
        print("\n".join(reqs))
        return 0
    if args.host:
        build_js(BUILD / f"js-{platform.machine()}", f"manylinux_2_27_{platform.machine()}", host_platform()[1])
    if args.host or args.platform:
        host_tag, host_python = host_platform()
        target = (args.platform or host_tag, args.python_version or host_python)
        out = args.out or BUILD / f"deps-{target[0].split('_', 1)[1]}"
        built = _build_deps_only(reqs, target, out, args.force)
        if args.host:
            check_ejs_pair(out, BUILD / f"js-{platform.machine()}")
        return built
    if args.python_version or args.out:
        parser.error("--python-version and --out go with --host or --platform")
    build_js(BUILD / str(_JS["build"]))
    stamp = BUILD / ".stamp"
    wanted = _inputs_hash(reqs)
    if not args.force and stamp.exists() and stamp.read_text() == wanted:
        print(f"layers up to date in {BUILD.relative_to(ROOT)}")
        return 0
    stamp.unlink(missing_ok=True)
    build_core(BUILD / str(_CORE["build"]))
    build_deps(BUILD / str(_DEPS["build"]), reqs)
    check_ejs_pair(BUILD / str(_DEPS["build"]), BUILD / str(_JS["build"]))
    stamp.write_text(wanted)
    print(f"layers built in {BUILD.relative_to(ROOT)}: core + deps ({', '.join(reqs)})")
    return 0


def _build_deps_only(reqs: list[str], target: tuple[str, str], out: Path, force: bool) -> int:
    """The dependency layer alone, for another platform, cached by a stamp inside its folder."""
    out = out.resolve()
    stamp = out / ".stamp"
    wanted = _inputs_hash(reqs, target, core=False)
    if not force and stamp.exists() and stamp.read_text() == wanted:
        print(f"dependency layer for {' cp'.join(target)} up to date in {out}")
        return 0
    build_deps(out, reqs, *target)
    stamp.write_text(wanted)
    print(f"dependency layer built in {out} for {target[0]}, Python {target[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
