"""The API class: its OpenAPI document declares the error answers django-ninja gives.

django-ninja documents only the responses a view declares; yet it answers 401 to a
missing or wrong credential, 403 to a session write without its CSRF token, 422 to
a parameter or body that does not validate, 404 to a path that names nothing, and,
with a throttle, 429 with Retry-After. Clients generated from the schema (and
schemathesis in tests/security/test_api_schema.py) must know them. Answers that only
some views give (400, 403 for a role, 404 for a missing object named in the body or
the query) are declared by those views.

It also refuses text holding NUL characters with a 422 before any view runs:
PostgreSQL cannot store or compare such text and would fail with a server error.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.constants import NOT_SET
from ninja.openapi.schema import OpenAPISchema

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "properties": {
        "detail": {
            "title": "Detail",
            # A sentence, or (422 from validation) the list of fields and what is wrong.
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}],
        }
    },
    "required": ["detail"],
}


class ErrorOut(Schema):
    """An error a view declares in its ``response=``: what went wrong, in a sentence."""

    detail: str


HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
UNSAFE_METHODS = ("put", "post", "delete", "patch")
SESSION_SCHEMES = ("SessionAuth", "OptionalSessionAuth")


def _error(description: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def declare_error_responses(schema: dict[str, Any], *, throttled: bool) -> None:
    """Add to every operation of ``schema`` the error answers the framework gives it."""
    schema.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            security = operation.get("security") or []
            if security:
                responses.setdefault(401, _error("Missing or invalid credentials"))
            if method in UNSAFE_METHODS and any(set(s) & set(SESSION_SCHEMES) for s in security):
                responses.setdefault(403, _error("Forbidden (a session write needs a CSRF token)"))
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["schema"].get("type") == "integer":
                    # The routes' int converter matches digits only: "-1" is no address.
                    parameter["schema"].setdefault("minimum", 0)
            if "{" in path:
                responses.setdefault(404, _error("Nothing at this address that you may see"))
            if operation.get("parameters") or operation.get("requestBody"):
                # Replaces a narrower declaration: validation errors list the fields.
                responses[422] = _error("Invalid parameters or body")
            if throttled:
                responses.setdefault(429, _error("Too many requests; see Retry-After"))


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _request_holds_nul(request: HttpRequest, path_values: dict[str, Any]) -> bool:
    """Return whether a path value, query value, form field or JSON string holds NUL."""
    if _holds_nul(path_values) or _holds_nul(dict(request.GET.lists())):
        return True
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            return _holds_nul(json.loads(request.body or b"null"))
        except ValueError:
            return False  # not JSON: the operation's own validation answers 422
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return _holds_nul(dict(request.POST.lists()))  # files may hold any byte
    return False


def refuse_nul(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation so that text holding NUL characters gets a 422, not a 500."""

    @functools.wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _request_holds_nul(request, kwargs):
            return JsonResponse({"detail": "Text may not contain NUL characters."}, status=422)
        return run(request, *args, **kwargs)

    return checked


class ProssimaAPI(NinjaAPI):
    """NinjaAPI that refuses NUL characters and whose schema declares its error answers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "view": around the whole operation, before its parameters are validated.
        self.add_decorator(refuse_nul, mode="view")

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Return the OpenAPI document with the error answers of every operation."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        throttled = self.throttle is not NOT_SET and bool(self.throttle)
        declare_error_responses(schema, throttled=throttled)
        return schema
