"""The largest body a request schema of the OpenAPI document allows, once JSON-encoded.

Every character is counted at its dearest (12 bytes: a character outside the Basic Multilingual
Plane written as two `\\uXXXX` escapes, as `json.dumps` does by default), every string and array
at its longest, every optional property present. A schema with no bound is infinitely large.
"""

from __future__ import annotations

import json
import math
from typing import Any

WORST_CHAR = len(json.dumps("\U0001f600")) - 2  # 12


def largest(schema: Any, document: dict[str, Any]) -> float:
    """The longest compact JSON text an instance of `schema` can be, in bytes."""
    if not isinstance(schema, dict):
        return 0
    if "$ref" in schema:
        return largest(_resolve(schema["$ref"], document), document)
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema and "type" not in schema:
            return max(largest(part, document) for part in schema[keyword])
    if "const" in schema:
        return len(json.dumps(schema["const"]))
    if "enum" in schema:
        return max(len(json.dumps(value)) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return 2 + WORST_CHAR * schema.get("maxLength", math.inf)
    if kind == "array":
        items = largest(schema.get("items", {}), document)
        return 2 + schema.get("maxItems", math.inf) * (items + 1)
    if kind == "object":
        return _largest_object(schema, document)
    if kind == "boolean":
        return len("false")
    if kind == "null":
        return len("null")
    if kind == "integer":
        return len(str(schema.get("maximum", -math.inf))) if "maximum" in schema else math.inf
    return math.inf  # no type: anything at all


def _largest_object(schema: dict[str, Any], document: dict[str, Any]) -> float:
    total = 2.0
    for name, value in schema.get("properties", {}).items():
        total += len(json.dumps(name)) + 2 + largest(value, document)
    extra = schema.get("additionalProperties", True)
    if extra is not False:
        names = schema.get("propertyNames", {}).get("enum")
        if names is None:
            return math.inf
        total += sum(len(json.dumps(n)) + 2 + largest(extra, document) for n in names)
    return total


def _resolve(pointer: str, document: dict[str, Any]) -> Any:
    node: Any = document
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part]
    return node
