"""The OpenAPI document is valid OpenAPI 3 and lists every fixed point of API.md exactly once."""
import re

from openapi_spec_validator import validate

FIXED_POINTS = [
    ("post", "/users"), ("post", "/tokens"), ("get", "/me"),
    ("get", "/ideas"), ("post", "/ideas"), ("get", "/ideas/{}"), ("patch", "/ideas/{}"),
    ("post", "/ideas/{}/images"), ("post", "/ideas/{}/submit"), ("post", "/ideas/{}/moderation"),
    ("post", "/ideas/{}/supports"), ("delete", "/ideas/{}/supports"), ("get", "/categories"),
    ("post", "/ideas/{}/creators"), ("post", "/ideas/{}/consent"),
    ("get", "/ideas/{}/comments"), ("post", "/ideas/{}/comments"),
    ("post", "/review-batches"), ("get", "/review/queue"), ("put", "/ideas/{}/scores"),
    ("get", "/ideas/{}/scores"), ("post", "/ideas/{}/decision"),
    ("post", "/review-batches/{}/publish"), ("get", "/ideas/{}/review"),
    ("get", "/agreements/current"), ("get", "/products/{}"), ("post", "/sales"),
    ("post", "/payouts"), ("get", "/me/royalties"), ("get", "/ledger/verify"),
]


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_openapi_document_is_valid_and_complete(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    shapes = [_shape(path) for path in document["paths"]]
    assert len(shapes) == len(set(shapes)), "a path is listed twice under different names"
    by_shape = {_shape(path): ops for path, ops in document["paths"].items()}
    missing = [(m, p) for m, p in FIXED_POINTS if m not in by_shape.get(p, {})]
    assert missing == []
