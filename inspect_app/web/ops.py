"""Operations: the health check."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.di import NamedDependency

from inspect_app import __version__
from inspect_app.db import Database
from inspect_app.permissions import PUBLIC
from inspect_app.queries import ops


class Health(msgspec.Struct):
    status: str
    version: str
    migrations: int


class Unhealthy(msgspec.Struct):
    status: str
    message: str


class OpsController(Controller):
    @get("/healthz", name="ops:health", opt=PUBLIC, tags=["ops"], operation_id="Health",
         responses={503: ResponseSpec(data_container=Unhealthy, generate_examples=False, description="The database does not answer")})
    async def health(self, db: NamedDependency[Database]) -> Response[Health]:
        """Checks that the database answers; 503 if it does not."""
        try:
            return Response(Health(status="ok", version=__version__, migrations=await ops.migration_count(db)))
        except Exception as exc:  # any database failure means "not healthy", never a 500
            return Response(Unhealthy(status="error", message=f"Cơ sở dữ liệu không phản hồi: {exc}"), status_code=503)
