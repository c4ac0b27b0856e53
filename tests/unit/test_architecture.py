"""The package's shape, checked: the domain imports nothing from AWS, DynamoDB is reached
only through the stores, and nothing shipped to Lambda or the worker image knows where
the repository is (a Lambda layer sits at /opt/python, far from any checkout)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import ytcaption

PACKAGE = Path(ytcaption.__file__).resolve().parent
# DynamoDB's item-level calls (client and Table resource alike).
DYNAMODB_CALLS = {
    "get_item", "put_item", "update_item", "delete_item", "query", "scan",
    "batch_get_item", "batch_write_item", "transact_get_items", "transact_write_items", "execute_statement",
}  # fmt: skip
AWS_MODULES = ("boto3", "botocore", "aws_lambda_powertools", "moto", "ytcaption.store", "ytcaption.local")


def modules(folder: Path = PACKAGE) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(folder.rglob("*.py")):
        yield str(path.relative_to(PACKAGE)), ast.parse(path.read_text(), filename=str(path))


def imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(("name", "tree"), list(modules(PACKAGE / "domain")), ids=lambda v: str(v)[:40])
def test_the_domain_imports_nothing_from_aws(name: str, tree: ast.Module) -> None:
    offending = sorted(m for m in imported(tree) if m.startswith(AWS_MODULES))
    assert not offending, f"domain/{name} imports {offending}"


def test_dynamodb_is_reached_only_through_the_stores() -> None:
    offending = []
    for name, tree in modules():
        if name.startswith(("store/", "local/")):
            continue  # the stores; the local bootstrap creates the table itself
        for node in ast.walk(tree):
            call = node.func if isinstance(node, ast.Call) else None
            if isinstance(call, ast.Attribute) and call.attr in DYNAMODB_CALLS and "table" in ast.unparse(call.value):
                offending.append(f"{name}:{node.lineno} {ast.unparse(call)}")
    assert not offending, "raw DynamoDB calls outside src/ytcaption/store: " + ", ".join(offending)


def test_nothing_shipped_knows_where_the_repository_is() -> None:
    """Only local/ (the laptop runtime, never in a layer or image) may look for the checkout."""
    offending = []
    for name, tree in modules():
        if name.startswith("local/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "__file__":
                offending.append(f"{name}:{node.lineno} uses __file__")
            if isinstance(node, ast.Constant) and node.value in {"statemachines", "functions", "layers", "cdk"}:
                offending.append(f"{name}:{node.lineno} names the repository folder {node.value!r}")
    assert not offending, "; ".join(offending)


def test_the_checks_see_a_violation() -> None:
    """The walkers above find what they look for (a check that cannot fail proves nothing)."""
    tree = ast.parse("import boto3\nself.table.put_item(Item={})\nROOT = Path(__file__).parents[4]\n")
    assert "boto3" in imported(tree)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert any(c.func.attr in DYNAMODB_CALLS for c in calls if isinstance(c.func, ast.Attribute))
    assert any(isinstance(n, ast.Name) and n.id == "__file__" for n in ast.walk(tree))


# -- the import graph ------------------------------------------------------------------------------------
#
# Every import counts, wherever it stands: at the top, inside a function, or under TYPE_CHECKING. A
# function-local import only hides a cycle from the interpreter, and a TYPE_CHECKING one still means the
# module cannot be read without the other: either way the two are one tangle.


def module_name(name: str) -> str:
    """'worker/loop.py' -> 'ytcaption.worker.loop'; 'store/__init__.py' -> 'ytcaption.store'."""
    parts = ["ytcaption", *Path(name).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_edges(tree: ast.Module, own: str, known: set[str]) -> set[str]:
    """The package's modules this module imports (`from a.b import c` is the module a.b.c when it is one)."""
    edges: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{a.name}" for a in node.names]
            targets = [t if t in known else node.module for t in targets]
        else:
            continue
        edges.update(t for t in targets if t in known and t != own)
    return edges


def import_graph(trees: list[tuple[str, ast.Module]]) -> dict[str, set[str]]:
    known = {module_name(name) for name, _ in trees}
    return {module_name(name): import_edges(tree, module_name(name), known) for name, tree in trees}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def private_imports(trees: list[tuple[str, ast.Module]]) -> list[str]:
    """`from ytcaption.x import _name` in any module but x itself."""
    offending = []
    for name, tree in trees:
        own = module_name(name)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ytcaption"):
                for alias in node.names:
                    if alias.name.startswith("_") and node.module != own:
                        offending.append(f"{name}:{node.lineno} imports {node.module}.{alias.name}")
    return offending


def test_no_import_cycle_inside_the_package() -> None:
    found = cycles(import_graph(list(modules())))
    assert not found, "import cycles (each group imports itself round): " + "; ".join(" <-> ".join(c) for c in found)


def test_no_module_imports_another_modules_private_names() -> None:
    offending = private_imports(list(modules()))
    assert not offending, "private names imported across modules: " + ", ".join(offending)


def test_the_graph_checks_see_a_violation() -> None:
    """A cycle through a function-local or TYPE_CHECKING import, and a private import, are found."""
    a = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ytcaption.b import B\n")
    b = ast.parse("def f():\n    from ytcaption.a import _helper\n")
    trees = [("a.py", a), ("b.py", b), ("c.py", ast.parse("import ytcaption.a\n"))]
    assert cycles(import_graph(trees)) == [["ytcaption.a", "ytcaption.b"]]
    assert private_imports(trees) == ["b.py:2 imports ytcaption.a._helper"]
