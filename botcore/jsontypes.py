"""JSON as types: what ``--json`` prints and what is stored or sent as JSON.

:data:`JsonObject` is for values built to be serialized (``as_dict`` of a result dataclass); a
payload whose keys are fixed gets a ``TypedDict`` of its own instead. Nested values are
read-only views (``Sequence``, ``Mapping``) so that a ``list[str]`` is a JSON value too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

JsonValue: TypeAlias = (
    "str | int | float | bool | Sequence[JsonValue] | Mapping[str, JsonValue] | None"
)
"""Any JSON value."""
JsonObject: TypeAlias = "dict[str, JsonValue]"
"""A JSON object."""
