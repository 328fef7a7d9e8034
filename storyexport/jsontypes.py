"""JSON values as Python sees them, for the parts of storyexport's documents that are genuinely free-form.

Documents with a known shape (platform metadata, scores, registry rows, report cards, doit task dicts) have their
own TypedDicts beside the code that writes them; these aliases are for what has no fixed shape: a probe's extra
fields, a rules file's ``upload`` mapping, values a user's story idea carries. ``JSONValue`` is recursive, so a
reader narrows it with ``isinstance`` where it needs a number or a list, as the code must for untrusted files.
"""

from __future__ import annotations

from typing import TypeAlias

JSONScalar: TypeAlias = str | int | float | bool | None
JSONValue: TypeAlias = JSONScalar | list["JSONValue"] | dict[str, "JSONValue"]
JSONObject: TypeAlias = dict[str, JSONValue]
