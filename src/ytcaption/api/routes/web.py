"""The web page for people: GET / answers the single page, /app/ its scripts and styles.

The assets are package data (src/ytcaption/api/web/), so the `api` Lambda serves them as
uvicorn does locally: same origin as the API, no other infrastructure. Neither route is in
the OpenAPI document, and neither shadows the API: only `/` and `/app/...` are theirs.
"""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ytcaption.api.deps import BaseUrl

ASSETS = "web"
router = APIRouter(include_in_schema=False)
# The page holds an API key in memory: no framing, no third-party anything.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self' https: http: blob:; connect-src 'self' https: http: wss: ws:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@lru_cache(maxsize=1)
def index_html() -> str:
    return resources.files("ytcaption.api").joinpath(ASSETS, "index.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse)
def index(request: Request, base: BaseUrl) -> HTMLResponse:
    # The page's relative links (its assets, the API) start at the app's root: behind API Gateway
    # that is the stage (/prod/), whether or not the address typed ends with a slash.
    head = f'<head>\n  <base href="{html.escape(base, quote=True)}/">'
    # Where the page follows its jobs live, when that is not the API's own /v1/live (AWS: its own API).
    live: str = request.app.state.public_live_url
    if live:
        head += f'\n  <meta name="ytc-live-url" content="{html.escape(live, quote=True)}">'
    return HTMLResponse(index_html().replace("<head>", head, 1), headers=SECURITY_HEADERS)


def mount(app: FastAPI, public_live_url: str = "") -> None:
    app.state.public_live_url = public_live_url
    app.include_router(router)
    app.mount("/app", StaticFiles(packages=[("ytcaption.api", ASSETS)]), name="web")
