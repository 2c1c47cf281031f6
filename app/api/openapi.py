"""The OpenAPI 3 document for /api/v1, built from the registered routes plus per-area specs."""
from __future__ import annotations

import re

from flask import current_app

from app.models.base import ID_MAX
from app.money import CURRENCY_MINOR_UNITS
from app.services.accounts import WHITESPACE
from app.services.ledger.validation import MAX_AMOUNT_MINOR

#: Text a person must write (a reason, a message): not blank, no NUL.
NON_BLANK_PATTERN = f"^[^\\u0000]*[^{WHITESPACE}\\u0000][^\\u0000]*$"


def written(max_length: int, **extra) -> dict:
    """A string schema for text someone must write: not blank, at most max_length."""
    return {"type": "string", "minLength": 1, "maxLength": max_length,
            "pattern": NON_BLANK_PATTERN, **extra}


# Each API module adds its operations here: {path: {method: operation}}.
PATHS: dict[str, dict] = {}
SCHEMAS: dict[str, dict] = {
    "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}}},
    "Money": {"type": "object", "required": ["amount", "currency"], "properties": {
        "amount": {"type": "integer", "description": "integer minor units",
                   "minimum": -(MAX_AMOUNT_MINOR - 1), "maximum": MAX_AMOUNT_MINOR - 1},
        "currency": {"type": "string", "description": "ISO 4217",
                     "enum": sorted(CURRENCY_MINOR_UNITS)}}},
    "PositiveMoney": {"type": "object", "required": ["amount", "currency"], "properties": {
        "amount": {"type": "integer", "description": "integer minor units, more than zero",
                   "minimum": 1, "maximum": MAX_AMOUNT_MINOR - 1},
        "currency": {"$ref": "#/components/schemas/Money/properties/currency"}}},
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
               "schema": {"type": "string"} if name == "version" else
               {"type": "integer", "minimum": 1, "maximum": ID_MAX}} for name in names]
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


#: Answers any operation can give, from the layers every request passes (app.web's text check,
#: app.api.core.json_body, app.idempotency, app.security's bearer tokens).
COMMON_RESPONSES = {
    "400": "malformed request: a body that is not a JSON object, text with a NUL character or "
           "a lone surrogate, or a malformed Idempotency-Key",
}
BODY_RESPONSES = {"422": "a field of the wrong type or breaking a rule: {error: {fields}}"}
AUTH_RESPONSES = {"401": "no bearer token, or a token that is invalid, expired or revoked"}
#: Free text may hold anything but NUL (PostgreSQL refuses it; app.web answers 400).
TEXT_PATTERN = "^[^\\u0000]*$"


def _text_without_nul(schema: dict) -> dict:
    """schema in OpenAPI 3.1 terms (`nullable` becomes a "null" type) with every free-text
    string (no enum, pattern or format) and every property name limited to text without NUL,
    nested objects and arrays included."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return schema
    result = dict(schema)
    if result.pop("nullable", False):
        if "type" not in result:  # e.g. allOf a $ref
            return {"anyOf": [_text_without_nul(result), {"type": "null"}]}
        result["type"] = [result["type"], "null"]
    kinds = result.get("type") if isinstance(result.get("type"), list) else [result.get("type")]
    if "string" in kinds and not {"enum", "pattern", "format"} & result.keys():
        result["pattern"] = TEXT_PATTERN  # (a pattern constrains strings only: null stays null)
    if "object" in kinds:
        result.setdefault("propertyNames", {"pattern": TEXT_PATTERN})
        if callable(result["propertyNames"].get("enum")):
            result["propertyNames"] = {"enum": result["propertyNames"]["enum"]()}
        result.setdefault("additionalProperties", {"$ref": "#/components/schemas/JsonValue"})
    if callable(result.get("enum")):
        result["enum"] = result["enum"]()  # values that live in the database (category slugs)
    if "properties" in result:
        result["properties"] = {name: _text_without_nul(_row_id(name, sub))
                                for name, sub in result["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(result.get(key), dict) and "$ref" not in result[key]:
            result[key] = _text_without_nul(result[key])
    for key in ("oneOf", "anyOf", "allOf"):
        if key in result:
            result[key] = [_text_without_nul(sub) for sub in result[key]]
    return result


def _row_id(name: str, schema: dict) -> dict:
    """An integer field named id or *_id refers to a row: 1..ID_MAX (app.models.base)."""
    if (name == "id" or name.endswith("_id")) and isinstance(schema, dict) \
            and schema.get("type") == "integer" and "minimum" not in schema:
        return {**schema, "minimum": 1, "maximum": ID_MAX}
    return schema


def _complete(op: dict) -> dict:
    """The operation with the common answers and NUL-free text added."""
    op = dict(op)
    responses = {code: {"description": text} for code, text in COMMON_RESPONSES.items()}
    if op.get("security"):
        responses.update({code: {"description": text} for code, text in AUTH_RESPONSES.items()})
    op["responses"] = {**responses, **op["responses"]}
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        responses.update({code: {"description": text} for code, text in BODY_RESPONSES.items()})
        op["responses"] = {**responses, **op["responses"]}
        op["requestBody"] = {**op["requestBody"], "content": {"application/json": {
            **body, "schema": _text_without_nul(body["schema"])}}}
    return op


#: Any JSON value without NUL in its text: what an operation ignores in fields it does not name.
SCHEMAS["JsonValue"] = {"anyOf": [
    {"type": ["null", "boolean", "number"]},
    {"type": "string", "pattern": TEXT_PATTERN},
    {"type": "array", "items": {"$ref": "#/components/schemas/JsonValue"}},
    {"type": "object", "propertyNames": {"pattern": TEXT_PATTERN},
     "additionalProperties": {"$ref": "#/components/schemas/JsonValue"}}]}


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
                "summary": rule.endpoint, "responses": {"200": {"description": "OK"}},
                "security": [{"bearer": []}]})
    for path, ops in paths.items():
        for method in ops:
            ops[method] = _complete(ops[method])
            if (_shape(path), method) in idempotent:
                op = ops[method] = dict(ops[method])
                op["parameters"] = [*op.get("parameters", []), IDEMPOTENCY_PARAMETER]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kyoso API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {"schemas": {
            name: schema if name == "JsonValue" else _text_without_nul(schema)
            for name, schema in SCHEMAS.items()}, "parameters": PARAMETERS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {path: _with_parameters(path, ops) for path, ops in sorted(paths.items())},
    }
