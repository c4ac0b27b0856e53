"""Work moto repeats with the same answer each time, done once in the emulator.

- Every request finds its service by listing moto's package folder (a listdir and an isdir per
  service folder: ~3 ms a request on these cores, ~12 % of the emulator's request time).
- Every execution parses the state machine's ASL with ANTLR's Python runtime before its first state
  (~80 ms of CPU). The parsed program keeps nothing of an execution (that lives in its Environment, and
  a Map's iterations already share one program), so executions of one definition share one parse.
"""

from __future__ import annotations

import functools
from typing import Any


def install() -> None:
    from moto import backends
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    if getattr(backends.list_of_moto_modules, "_ytc_cached", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules._ytc_cached = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules

    parse = functools.lru_cache(maxsize=16)(AmazonStateLanguageParser.parse)

    def cached_parse(definition: str) -> Any:
        return parse(definition)

    AmazonStateLanguageParser.parse = staticmethod(cached_parse)  # type: ignore[method-assign]
