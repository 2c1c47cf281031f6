"""The OpenAPI 3 document for /api/v1, built from the registered routes plus per-area specs."""
from __future__ import annotations

import re

from flask import current_app

# Each API module adds its operations here: {path: {method: operation}}.
PATHS: dict[str, dict] = {}
SCHEMAS: dict[str, dict] = {
    "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}}},
    "Money": {"type": "object", "required": ["amount", "currency"], "properties": {
        "amount": {"type": "integer", "description": "integer minor units"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}},
}


def operation(path: str, method: str, summary: str, *, body: dict | None = None,
              responses: dict[str, str] | None = None, auth: bool = True) -> None:
    """Describe one endpoint (called at import time by the API modules)."""
    op: dict = {"summary": summary, "responses": {
        code: {"description": text} for code, text in (responses or {"200": "OK"}).items()}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if auth:
        op["security"] = [{"bearer": []}]
    PATHS.setdefault(path, {})[method.lower()] = op


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


#: The optional header of the endpoints that create things (app.idempotency).
PARAMETERS: dict[str, dict] = {
    "IdempotencyKey": {
        "name": "Idempotency-Key", "in": "header", "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                   "pattern": "^[A-Za-z0-9._~:+/=-]+$"},
        "description": "A unique key (a UUID) that makes a retry safe: the same key with the same "
                       "request again within 24 hours answers with the first answer (same status "
                       "and body, header `Idempotent-Replayed: true`) instead of creating the thing "
                       "twice. The same key with a different request: 422 idempotency_key_reused; "
                       "a malformed key: 400 idempotency_key_invalid. Keys are per caller."},
}
IDEMPOTENCY_PARAMETER = {"$ref": "#/components/parameters/IdempotencyKey"}


def _with_parameters(path: str, ops: dict) -> dict:
    """Declare the path's {parameters} on each operation (integers: ids are integers), before
    any other parameter the operation declares."""
    names = re.findall(r"\{([^}]+)\}", path)
    params = [{"name": name, "in": "path", "required": True,
               "schema": {"type": "string" if name == "version" else "integer"}} for name in names]
    result = {}
    for method, op in ops.items():
        declared = op.get("parameters", [])
        named = {p.get("name") for p in declared}
        merged = [p for p in params if p["name"] not in named] + declared
        result[method] = {**op, "parameters": merged} if merged else op
    return result


def _idempotent_operations() -> set[tuple[str, str]]:
    """(path shape, method) of every endpoint decorated with app.idempotency.idempotent."""
    found = set()
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions.get(rule.endpoint)
        if rule.rule.startswith("/api/v1/") and getattr(view, "idempotent", False):
            path = rule.rule[len("/api/v1"):]
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found.add((_shape(re.sub(r"<[^>]+>", "{}", path)), method.lower()))
    return found


def document() -> dict:
    paths = {path: dict(ops) for path, ops in PATHS.items()}
    idempotent = _idempotent_operations()
    shapes = {_shape(path): path for path in paths}
    # Every registered route appears, described or not, so the document never omits one.
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule[len("/api/v1"):].replace("<int:", "{").replace("<", "{").replace(">", "}")
        path = shapes.setdefault(_shape(path), path)  # one entry per path, however params are named
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            paths.setdefault(path, {}).setdefault(method.lower(), {
                "summary": rule.endpoint, "responses": {"200": {"description": "OK"}}})
    for path, ops in paths.items():
        for method in ops:
            if (_shape(path), method) in idempotent:
                op = ops[method] = dict(ops[method])
                op["parameters"] = [*op.get("parameters", []), IDEMPOTENCY_PARAMETER]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Kyoso API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {"schemas": SCHEMAS, "parameters": PARAMETERS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {path: _with_parameters(path, ops) for path, ops in sorted(paths.items())},
    }
