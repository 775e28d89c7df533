"""The split gateway's API document is the union of its services' documents."""

from __future__ import annotations

from tiketi.services.gateway.adapters.openapi import merge


def test_merge_adds_paths_and_schemas_keeping_the_first_definition() -> None:
    own = {"openapi": "3.1.0", "paths": {"/health": {"get": {}}}, "components": {}}
    documents = {
        "auth": {
            "paths": {"/api/v1/auth/login": {"post": {"x": 1}}, "/health": {"get": {"y": 2}}},
            "components": {"schemas": {"Credentials": {"type": "object"}}},
        },
        "catalog": {
            "paths": {"/api/v1/events": {"get": {}}},
            "components": {"schemas": {"Credentials": {"type": "string"}, "Event": {}}},
        },
    }
    merged = merge(own, documents)
    assert set(merged["paths"]) == {"/health", "/api/v1/auth/login", "/api/v1/events"}
    assert merged["paths"]["/health"] == {"get": {}}
    assert merged["components"]["schemas"] == {"Credentials": {"type": "object"}, "Event": {}}
    assert own["paths"] == {"/health": {"get": {}}}  # the gateway's own document is not mutated
