"""Liveness, readiness and the problem-type pages."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from kh_saas.api.auth import public
from kh_saas.api.problems import ProblemError, describe_problem
from kh_saas.service import Service


class Health(msgspec.Struct):
    status: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)


@get("/healthz", opt=public(), tags=["operations"], summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@get(
    "/readyz",
    opt=public(),
    tags=["operations"],
    summary="Database reachable and every schema migrated",
    responses={
        503: ResponseSpec(
            data_container=Health,
            description="Not ready: a database unreachable or a schema not migrated (see checks)",
        )
    },
)
async def readyz(request: Request[Any, Any, Any]) -> Response[Health]:
    service: Service = request.app.state.service
    checks = await service.readiness()
    # Projections catching up do not make the service unready: reads wait with min_position.
    ready = bool(checks) and all(v == "ok" for k, v in checks.items() if k != "projections")
    checks["projections"] = service.projection_lag()
    return Response(
        Health(status="ready" if ready else "not_ready", checks=checks),
        status_code=200 if ready else 503,
    )


class ProblemType(msgspec.Struct):
    code: str
    title: str
    description: str


@get("/problems/{code:str}", opt=public(), tags=["operations"], summary="A problem type")
async def problem_type(code: FromPath[str]) -> ProblemType:
    described = describe_problem(code)
    if described is None:
        raise ProblemError(404, "not_found", f"No problem type {code!r}.")
    title, description = described
    return ProblemType(code=code, title=title, description=description)
