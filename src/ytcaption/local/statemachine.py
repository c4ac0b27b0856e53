"""The state machine definition: read the ASL file and fill its ${Placeholders}.

In AWS, CloudFormation's DefinitionSubstitutions does this; the emulator does
not apply them, so the local bootstrap substitutes with this same function.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def placeholders(definition: str) -> set[str]:
    return set(PLACEHOLDER.findall(definition))


def substitute(definition: str, values: dict[str, str]) -> str:
    missing = placeholders(definition) - values.keys()
    if missing:
        raise KeyError(f"no value for placeholders: {', '.join(sorted(missing))}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], definition)


def load(path: Path, values: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(substitute(path.read_text(), values))
    return result
