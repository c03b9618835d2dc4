"""The OpenAPI lists every error an operation can give, read from the domain errors its code raises."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from laotie.catalog import service as catalog
from laotie.identity.auth import CurrentUser
from laotie.kit.errors import DomainError, NotFound
from laotie.kit.http import Session, install_error_handlers
from laotie.kit.openapi import document_errors, errors_of
from laotie.kit.types import PathId

ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _errors(spec: dict[str, Any], method: str, path: str) -> dict[str, list[str]]:
    responses = spec["paths"][path][method]["responses"]
    return {status: r["x-error-codes"] for status, r in responses.items() if status[0] in "45"}


async def test_an_endpoint_lists_the_not_found_its_service_raises() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/things/{product_id}")
    async def show(product_id: PathId, s: Session) -> None:
        await catalog.product_view(s, product_id)

    document_errors(app)
    spec = app.openapi()
    errors = _errors(spec, "get", "/things/{product_id}")
    assert "product_not_found" in errors["404"]
    assert errors["422"] == ["invalid_request"]
    assert "401" not in errors  # no current user, so never unauthenticated
    response = spec["paths"]["/things/{product_id}"]["get"]["responses"]["404"]
    assert response["content"]["application/json"]["schema"] == ERROR_REF
    assert "`product_not_found`" in response["description"]
    assert set(spec["components"]["schemas"]["Error"]["required"]) == {"code", "message"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]


class _Refused(NotFound):
    code = "thing_not_found"


async def _helper(kind: str) -> None:
    if kind == "gone":
        raise _Refused("gone")
    raise DomainError("busy", code="thing_busy", status=409)


def test_the_analysis_follows_calls_and_reads_explicit_codes() -> None:
    async def endpoint(user: CurrentUser) -> None:
        from laotie.identity.auth import require_role

        require_role(user, "operator")
        await _helper("gone")

    found = errors_of(endpoint)
    assert (403, "role_required") in found  # through an import inside the function
    assert (404, "thing_not_found") not in found  # only laotie's own code is followed
    assert errors_of(_helper) == {(404, "thing_not_found"), (409, "thing_busy")}


def test_methods_are_followed_on_objects_of_a_known_class() -> None:
    from laotie.orders.service import payment

    # gateway = gateway_for(settings); gateway.verify(body, signature) raises for a bad signature.
    assert (401, "bad_signature") in errors_of(payment.handle_notification)


def test_every_operation_lists_its_errors(app: Any) -> None:
    spec = app.openapi()
    assert spec["paths"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            parameters = operation.get("parameters", [])
            for status, response in responses.items():
                if status[0] in "45":
                    assert response["content"]["application/json"]["schema"] == ERROR_REF, where
                    assert response["x-error-codes"], where
            if "requestBody" in operation:
                assert "body_too_large" in responses["413"]["x-error-codes"], where
                assert "invalid_request" in responses["422"]["x-error-codes"], where
            if parameters or "requestBody" in operation:
                assert "invalid_request" in responses["422"]["x-error-codes"], where
            if any(p["in"] == "path" for p in parameters):
                assert "404" in responses, where
            if any(s.startswith("5") for s in responses):
                raise AssertionError(f"{where} promises a server error")


def test_documented_errors_come_from_the_code(app: Any) -> None:
    spec = app.openapi()
    errors = _errors(spec, "post", "/api/v1/categories")
    assert errors["401"] == ["not_authenticated"]  # from the current-user dependency
    assert errors["403"] == ["role_required"]  # ensure_operator, two calls below the endpoint
    assert "category_not_found" in errors["404"]
    assert _errors(spec, "post", "/api/v1/shops/mine/score/recompute")["429"] == ["score_recently_computed"]
    assert "username_taken" in _errors(spec, "post", "/api/v1/auth/register")["409"]
    assert "image_too_large" in _errors(spec, "post", "/api/v1/products/{product_id}/images")["413"]
    # Public reads need no token.
    assert "401" not in _errors(spec, "get", "/api/v1/products/{product_id}")
