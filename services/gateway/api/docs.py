"""The merged OpenAPI document and Swagger UI pointed at it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse

from services.gateway.openapi import MergedOpenApi

router = APIRouter(include_in_schema=False)
OPENAPI_URL = "/openapi.json"
REDIRECT_URL = "/docs/oauth2-redirect"


@router.get(OPENAPI_URL)
async def merged_openapi(request: Request) -> JSONResponse:
    """The gateway's own paths plus every service's public paths, in one document."""
    merged: MergedOpenApi = request.app.state.openapi
    return JSONResponse(await merged.document(request.app.openapi))


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=REDIRECT_URL,
        swagger_ui_parameters={"persistAuthorization": True},
    )


@router.get(REDIRECT_URL)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
