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
