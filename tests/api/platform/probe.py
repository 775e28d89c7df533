"""A tiny service used only by the platform tests: it exercises every kernel path."""

from __future__ import annotations

from fastapi import APIRouter, Depends, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import text

from tiketi.kernel.deps import PrincipalDep, RuntimeDep
from tiketi.kernel.errors import Conflict
from tiketi.kernel.module import ServiceModule
from tiketi.kernel.ratelimit import rate_limit


class ItemCreate(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    quantity: int = Field(ge=1, le=10)


class Echo(BaseModel):
    size: int


async def contention(runtime: RuntimeDep) -> dict[str, int]:
    """Really wait on a lock another transaction holds, with a tiny lock timeout."""
    async with runtime.db.engine.connect() as holder, runtime.db.engine.connect() as waiter:
        await holder.execute(text("SELECT pg_advisory_xact_lock(4242)"))
        await waiter.execute(text("SET LOCAL lock_timeout = '10ms'"))
        await waiter.execute(text("SELECT pg_advisory_xact_lock(4242)"))
    return {"value": 0}


def build_probe() -> ServiceModule:
    router = APIRouter(prefix="/api/v1/probe")

    @router.get("/items/{item_id}")
    async def get_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @router.post("/items", status_code=201)
    async def create_item(body: ItemCreate) -> ItemCreate:
        return body

    @router.post("/echo")
    async def echo(body: dict[str, str]) -> Echo:
        return Echo(size=sum(len(v) for v in body.values()))

    @router.post("/upload")
    async def upload(file: UploadFile) -> Echo:
        return Echo(size=len(await file.read()))

    @router.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Already there.", code="ALREADY_THERE", details={"id": 7})

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    @router.get("/db")
    async def db(runtime: RuntimeDep) -> dict[str, int]:
        async with runtime.db.engine.connect() as conn:
            value = (await conn.execute(text("SELECT 41 + 1"))).scalar_one()
        return {"value": int(value)}

    router.add_api_route("/contention", contention)

    @router.get("/redis")
    async def redis(runtime: RuntimeDep) -> dict[str, int]:
        return {"value": int(await runtime.redis.incr("probe:counter"))}

    @router.get("/me")
    async def me(principal: PrincipalDep) -> dict[str, str]:
        return {"id": principal.id, "role": principal.role}

    @router.get("/limited", dependencies=[Depends(rate_limit("probe", per_minute=3))])
    async def limited() -> dict[str, bool]:
        return {"ok": True}

    return ServiceModule(name="probe", router=router)
