"""The web page for people: GET / answers the single page, /app/ its scripts and styles.

The assets are package data (src/ytcaption/api/web/), so the `api` Lambda serves them as
uvicorn does locally: same origin as the API, no other infrastructure. Neither route is in
the OpenAPI document, and neither shadows the API: only `/` and `/app/...` are theirs.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "web"
router = APIRouter(include_in_schema=False)
# The page holds an API key in memory: no framing, no third-party anything.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self' https: http: blob:; connect-src 'self' https: http:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@lru_cache(maxsize=1)
def index_html() -> bytes:
    return resources.files("ytcaption.api").joinpath(ASSETS, "index.html").read_bytes()


@router.get("/", response_class=HTMLResponse)
def index() -> HTMLResponse:
    return HTMLResponse(index_html(), headers=SECURITY_HEADERS)


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/app", StaticFiles(packages=[("ytcaption.api", ASSETS)]), name="web")
