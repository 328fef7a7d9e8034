"""Build the body an uploader posts, from the ``upload:`` mapping in a platform's rules file.

The mapping mirrors the API request under the API's own field names; a string leaf starting with '=' is a Jinja
expression evaluated in the sandbox, any other leaf is copied. Which fields exist is therefore data, and a new
platform needs no code. Null results are left out, since APIs treat a missing optional field as "use default".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from storyexport.jsontypes import JSONValue
from storyexport.metadata.templates import TemplateProblem, TemplateVariables, evaluate_expression, expression_source

JsonPath = tuple[str | int, ...]


def upload_expressions(mapping: JSONValue, path: JsonPath = ()) -> Iterator[tuple[JsonPath, str]]:
    """Every (path, expression) in an upload mapping, for validation."""
    if isinstance(mapping, Mapping):
        for key, value in mapping.items():
            yield from upload_expressions(value, (*path, key))
    elif isinstance(mapping, list):
        for index, value in enumerate(mapping):
            yield from upload_expressions(value, (*path, index))
    else:
        source = expression_source(mapping)
        if source is not None:
            yield path, source


def _json_ready(value: object, where: str) -> JSONValue:
    """An expression's value as JSON: tuples become lists, mapping keys text; anything else JSON cannot hold is
    the rules file's error, named here rather than when the file is written."""
    if isinstance(value, tuple | list):
        return [_json_ready(item, where) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _json_ready(item, where) for key, item in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TemplateProblem(f"{where}: expression gives a {type(value).__name__}, which JSON cannot hold")


def build_upload(mapping: JSONValue, variables: TemplateVariables, where: str, path: str = "upload") -> JSONValue:
    """Evaluate an upload mapping; ``where`` names the rules file in errors."""
    if isinstance(mapping, Mapping):
        built = {key: build_upload(value, variables, where, f"{path}.{key}") for key, value in mapping.items()}
        return {key: value for key, value in built.items() if value is not None}
    if isinstance(mapping, list):
        return [build_upload(value, variables, where, f"{path}[{i}]") for i, value in enumerate(mapping)]
    source = expression_source(mapping)
    if source is None:
        return mapping
    return _json_ready(evaluate_expression(source, variables, f"{where} {path}"), f"{where} {path}")
