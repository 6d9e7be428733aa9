"""The OpenAPI document is usable by client generators and fuzzers: every ``$ref`` in it points at
something in the document."""

from __future__ import annotations

from typing import Any


def _refs(node: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        found = [(path, node["$ref"])] if isinstance(node.get("$ref"), str) else []
        for key, value in node.items():
            found += _refs(value, f"{path}/{key}")
        return found
    if isinstance(node, list):
        return [ref for i, value in enumerate(node) for ref in _refs(value, f"{path}/{i}")]
    return []


def _resolves(document: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return False
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_every_reference_in_the_openapi_document_resolves(app: Any) -> None:
    document = app.openapi()
    refs = _refs(document)
    assert len(refs) > 100  # the document is the real one, with its components
    assert [(where, ref) for where, ref in refs if not _resolves(document, ref)] == []
    readings = document["paths"]["/api/risks/readings"]["post"]["requestBody"]["content"]["application/json"]
    assert readings["schema"]["properties"]["readings"]["items"]["properties"]["value"]["type"] == "number"
