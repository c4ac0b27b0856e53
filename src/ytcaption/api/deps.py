"""What the routes depend on: the service, the caller (an API key), an operator, the
base URL of links, and the path parameters. Every dependency can be swapped in tests
with ``app.dependency_overrides[get_service] = ...`` (or get_caller, get_admin, ...).
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Path, Request, Security
from fastapi.security import APIKeyHeader

from ytcaption.api.service import ApiService, Hooks
from ytcaption.settings import Settings, get_settings
from ytcaption.store.apikeys import ApiKey


class ServiceProvider:
    """One ApiService per app, made on the first request that needs it (its AWS clients
    with it): importing and creating the app stays cheap, a cold start too."""

    def __init__(self, settings: Settings | None = None, hooks: Hooks | None = None) -> None:
        self.settings = settings
        self.hooks = hooks
        self._lock = threading.Lock()
        self._service: ApiService | None = None

    def __call__(self) -> ApiService:
        if self._service is None:
            with self._lock:
                if self._service is None:
                    self._service = ApiService(self.settings or get_settings(), self.hooks)
        return self._service


def get_service(request: Request) -> ApiService:
    """The app's service (create_app keeps its ServiceProvider in app.state.services)."""
    provider: ServiceProvider = request.app.state.services
    return provider()


Service = Annotated[ApiService, Depends(get_service)]

_api_key = APIKeyHeader(name="X-Api-Key", scheme_name="ApiKey", auto_error=False, description="your API key (ytc_...)")


def get_caller(service: Service, key: Annotated[str | None, Security(_api_key)] = None) -> ApiKey:
    return service.authenticate(key)


# The caller's API key: 401 without a valid one.
Caller = Annotated[ApiKey, Depends(get_caller)]


def get_admin(service: Service, who: Caller) -> ApiKey:
    return service.require_admin(who)


# A key of a tenant listed in the admin_tenants setting (YTC_ADMIN_TENANTS); 403 for others.
Admin = Annotated[ApiKey, Depends(get_admin)]


def get_base_url(request: Request) -> str:
    """What links start with: the root path the app is mounted under (API Gateway's stage), if any."""
    return str(request.scope.get("root_path", "")).rstrip("/")


BaseUrl = Annotated[str, Depends(get_base_url)]

JobId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9_-]{1,128}$",
        description="the transcription's id",
        examples=["job-0123456789abcdef01234567"],
    ),
]
UploadId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the upload's id")]
