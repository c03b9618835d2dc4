"""The API's interactive docs (Swagger UI), served from laotie's own static files so they work offline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

VENDOR = "/static/vendor/swagger-ui"


@router.get("/api/docs")
async def api_docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/api/openapi.json", title=f"{request.app.title} API",
        swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js", swagger_css_url=f"{VENDOR}/swagger-ui.css",
        # The default favicon is fetched from fastapi.tiangolo.com.
        swagger_favicon_url="data:,")
