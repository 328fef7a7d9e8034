"""JSON Schema validators whose ``pattern`` keyword follows ECMA-262, as the JSON Schema specification says.

jsonschema matches patterns with Python's ``re.search``, where a final ``$`` also matches before a trailing
newline: ``^[A-Za-z0-9_-]{1,64}$`` accepts ``"abc\\n"``, which would become a file named ``abc⏎.mp4``. In ECMA-262
(and so in editors that check the same schema) ``$`` matches only at the very end; here a final ``$`` is ``\\Z``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # jsonschema itself is imported only when something is really validated
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

_FINAL_DOLLAR = re.compile(r"(?<!\\)\$$")


@functools.cache
def ecma_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled so that a final ``$`` matches only at the end of the text."""
    return re.compile(_FINAL_DOLLAR.sub(r"\\Z", pattern))


def _pattern(validator: Validator, pattern: str, instance: object, schema: Mapping[str, object]
             ) -> Iterator[ValidationError]:
    from jsonschema import ValidationError

    if isinstance(instance, str) and not ecma_pattern(pattern).search(instance):  # JSON Schema's "string"
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.cache
def _validator_class() -> type[Validator]:
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, {"pattern": _pattern})


def schema_validator(schema: Mapping[str, object]) -> Validator:
    """A Draft 2020-12 validator for ``schema`` with ECMA-262 end anchors."""
    return _validator_class()(schema)
