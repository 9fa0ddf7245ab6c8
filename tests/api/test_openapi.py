"""The OpenAPI document describes every route, and only routes that exist."""

import re

from helpers import BASE


def _routes(app):
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((path, method.lower()))
    return out


def test_every_route_is_documented_and_every_documented_route_exists(app, client):
    doc = client.get("/v1/openapi.json", base_url=BASE).json
    assert doc["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert _routes(app) == documented


def test_design_endpoints_are_all_routed(app):
    routes = {path for path, _ in _routes(app)}
    for path in ["/v1/health", "/v1/pair/request", "/v1/pair/{request_id}", "/v1/analyze", "/v1/translate",
                 "/v1/feedback", "/v1/profile", "/v1/stats", "/v1/export", "/v1/erase", "/v1/status"]:
        assert path in routes, path


def test_request_schemas_in_the_document_are_the_validators(client):
    from companion.api import schemas

    doc = client.get("/v1/openapi.json", base_url=BASE).json
    body = doc["paths"]["/v1/analyze"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == schemas.ANALYZE_REQUEST
