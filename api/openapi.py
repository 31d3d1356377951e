"""What the published OpenAPI schema says about error bodies.

FastAPI documents a 422 only as its own list of field errors, but a domain check (a bad serial,
an empty ledger) also answers 422, with `detail` as one sentence a person can act on. The schema
says both, so that clients and schemathesis know what to expect.
"""

from __future__ import annotations

from fastapi import FastAPI

MESSAGE = {
    "title": "Message",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Detail", "description": "what is wrong and what to do"}},
    "required": ["detail"],
}


def declare_error_bodies(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {})["Message"] = MESSAGE
            message = {"$ref": "#/components/schemas/Message"}
            for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
                for code, response in operation.get("responses", {}).items():
                    if code == "422":
                        json = response.setdefault("content", {}).setdefault("application/json", {})
                        json["schema"] = {"anyOf": [json["schema"], message]} if "schema" in json else message
                    elif code.startswith("4") and "content" not in response:
                        response["content"] = {"application/json": {"schema": message}}
        return app.openapi_schema

    app.openapi = openapi
