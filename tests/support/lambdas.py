"""A deployed function's settings changed for the length of a `with` block, as an operator would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ytcaption import resources
from ytcaption.store import aws


@contextlib.contextmanager
def function_settings(name: str, **values: str) -> Iterator[None]:
    """The `name` function (resources.LAMBDAS) with these YTC_* variables set, restored afterwards."""
    lam = aws.client("lambda")
    function = resources.lambda_spec(name).function_name
    variables = dict(lam.get_function_configuration(FunctionName=function)["Environment"]["Variables"])
    lam.update_function_configuration(FunctionName=function, Environment={"Variables": {**variables, **values}})
    try:
        yield
    finally:
        lam.update_function_configuration(FunctionName=function, Environment={"Variables": variables})
