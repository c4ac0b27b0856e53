"""What a 422 says: each invalid field's dotted path and a plain sentence, never a library's raw text.

pydantic's messages name its own types and patterns ("String should match pattern '^https?://\\S+$'",
"Value error, ..."); clients get a sentence written for people, and the value they sent is never echoed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ytcaption.api.problems import ApiProblem, field_path

_VALUE_ERROR = "Value error, "


def _choices(ctx: Mapping[str, Any]) -> str:
    return str(ctx.get("expected", "")).replace("'", "")


# pydantic error type -> a sentence (ctx values filled in); anything else: the validator's own sentence.
_PLAIN: dict[str, Any] = {
    "missing": lambda ctx: "is required",
    "extra_forbidden": lambda ctx: "is not a field of this request",
    "string_type": lambda ctx: "must be a string",
    "int_type": lambda ctx: "must be a whole number",
    "int_parsing": lambda ctx: "must be a whole number",
    "int_from_float": lambda ctx: "must be a whole number",
    "bool_type": lambda ctx: "must be true or false",
    "bool_parsing": lambda ctx: "must be true or false",
    "dict_type": lambda ctx: "must be an object",
    "model_type": lambda ctx: "must be an object",
    "model_attributes_type": lambda ctx: "must be an object",
    "list_type": lambda ctx: "must be a list",
    "string_too_long": lambda ctx: f"must be at most {ctx.get('max_length')} characters",
    "string_too_short": lambda ctx: f"must be at least {ctx.get('min_length')} characters",
    "string_pattern_mismatch": lambda ctx: "is not in the accepted form",
    "literal_error": lambda ctx: f"must be one of: {_choices(ctx)}",
    "enum": lambda ctx: f"must be one of: {_choices(ctx)}",
    "greater_than_equal": lambda ctx: f"must be at least {ctx.get('ge')}",
    "greater_than": lambda ctx: f"must be more than {ctx.get('gt')}",
    "less_than_equal": lambda ctx: f"must be at most {ctx.get('le')}",
    "less_than": lambda ctx: f"must be less than {ctx.get('lt')}",
    "json_invalid": lambda ctx: "the body is not valid JSON",
    "json_type": lambda ctx: "the body must be a JSON object",
    "string_unicode": lambda ctx: "must be valid text",
}


# What a field that must match a pattern looks like, by the field's name.
_FORMS = {
    "url": "must be an http or https URL, without spaces",
    "webhook_url": "must be an http or https URL, without spaces",
    "upload_id": "must be an upload id from POST /v1/uploads (32 lowercase hexadecimal digits)",
    "filename": "must be a file name, without slashes or control characters",
}


def plain_message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    loc = error.get("loc") or ("",)
    if kind == "string_pattern_mismatch" and str(loc[-1]) in _FORMS:
        return _FORMS[str(loc[-1])]
    if kind in _PLAIN:
        return str(_PLAIN[kind](ctx))
    if kind == "value_error":
        # Our validators' sentences (the domain's rules), without pydantic's prefix.
        return str(error.get("msg", "")).removeprefix(_VALUE_ERROR) or "is not valid"
    if kind.startswith(("int_", "float_", "decimal_")):
        return "must be a number"
    return "is not valid"


def field_errors(errors: Iterable[Mapping[str, Any]], prefix: Sequence[str] = ()) -> list[dict[str, str]]:
    """[{field, message, type}] for a list of pydantic errors; `prefix` is put before each path
    (("body",) for a request model validated outside FastAPI)."""
    found = []
    for error in errors:
        loc = (*prefix, *error.get("loc", ()))
        if error.get("type") == "json_invalid":
            loc = loc[:1]  # ("body", <character offset>): the offset is no field
        found.append({"field": field_path(loc), "message": plain_message(error), "type": str(error.get("type", ""))})
    return found


def validation_problem(errors: list[dict[str, str]]) -> ApiProblem:
    """The 422 problem for these field errors: `errors` holds them all, `detail` sums up the first five."""
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "The request is not valid."
    return ApiProblem(422, "validation-error", detail, errors=errors)


def field_problem(field: str, message: str) -> ApiProblem:
    """The 422 problem for one field refused by our own rule (not a model's): `field` as a path
    ("body.speakers", "query.format", "header.Idempotency-Key"), `message` a sentence's end for it."""
    return validation_problem([{"field": field, "message": message, "type": "value_error"}])
