"""kernel.idempotency against a real Redis: replays, reused keys, racing duplicates, failures."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from tiketi.kernel.errors import Conflict, DomainError, ValidationFailed
from tiketi.kernel.idempotency import idempotent
from tiketi.kernel.redis import create_redis
from tiketi.kernel.testing.servers import RedisServer

SCOPE = "POST /api/v1/things"


@pytest.fixture(scope="module")
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = create_redis(f"redis://127.0.0.1:{redis_server.port}/8")
    yield client
    await client.aclose()


class Handler:
    """Counts its runs; answers 201 with a fresh id, optionally after a pause or a failure."""

    def __init__(self, *, delay: float = 0.0, fail: DomainError | None = None) -> None:
        self.calls = 0
        self.delay = delay
        self.fail = fail

    async def __call__(self) -> tuple[int, dict[str, Any]]:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        return 201, {"id": str(uuid.uuid4()), "call": self.calls}


async def _call(
    redis: Redis, handler: Handler, *, key: str | None, body: Any, principal: str = "p1"
) -> tuple[int, dict[str, Any], str | None]:
    response = await idempotent(
        redis, principal_id=principal, scope=SCOPE, key=key, body=body, run=handler
    )
    return (
        response.status_code,
        json.loads(bytes(response.body)),
        response.headers.get("Idempotent-Replayed"),
    )


def _key() -> str:
    return f"k-{uuid.uuid4().hex}"


async def test_same_key_same_body_replays_the_first_result(redis: Redis) -> None:
    handler, key, principal = Handler(), _key(), uuid.uuid4().hex
    first = await _call(redis, handler, key=key, body={"a": 1, "b": [1, 2]}, principal=principal)
    # Key order does not matter: the body is compared in canonical JSON.
    second = await _call(redis, handler, key=key, body={"b": [1, 2], "a": 1}, principal=principal)
    assert handler.calls == 1
    assert first[:2] == second[:2] and first[0] == 201
    assert first[2] is None and second[2] == "true"
    [stored] = await redis.keys(f"tiketi:idempotency:{SCOPE}:{principal}:*")
    assert await redis.ttl(stored) > 23 * 3600


async def test_no_key_runs_every_time(redis: Redis) -> None:
    handler = Handler()
    await _call(redis, handler, key=None, body={"a": 1})
    await _call(redis, handler, key=None, body={"a": 1})
    assert handler.calls == 2


async def test_keys_are_per_principal(redis: Redis) -> None:
    handler, key = Handler(), _key()
    mine = await _call(redis, handler, key=key, body={"a": 1}, principal="alice")
    theirs = await _call(redis, handler, key=key, body={"a": 1}, principal="bob")
    assert handler.calls == 2 and mine[1] != theirs[1]


async def test_same_key_other_body_is_422(redis: Redis) -> None:
    handler, key = Handler(), _key()
    await _call(redis, handler, key=key, body={"a": 1})
    with pytest.raises(DomainError) as caught:
        await _call(redis, handler, key=key, body={"a": 2})
    assert (caught.value.status, caught.value.code) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert handler.calls == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there", "line\n"])
async def test_malformed_keys_are_422_naming_the_header(redis: Redis, key: str) -> None:
    handler = Handler()
    with pytest.raises(ValidationFailed) as caught:
        await _call(redis, handler, key=key, body={})
    assert "Idempotency-Key" in caught.value.details
    assert handler.calls == 0


async def test_printable_ascii_keys_of_any_kind_are_fine(redis: Redis) -> None:
    handler = Handler()
    for key in ("a", "x" * 255, f"order:{uuid.uuid4()} #1 ~!"):
        assert (await _call(redis, handler, key=key, body={}))[0] == 201


async def test_concurrent_duplicates_run_once(redis: Redis) -> None:
    handler, key = Handler(delay=0.2), _key()
    outcomes = await asyncio.gather(
        *(_call(redis, handler, key=key, body={"a": 1}) for _ in range(10)),
        return_exceptions=True,
    )
    assert handler.calls == 1
    successes = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(successes) == 1 and len(refused) == 9
    for error in refused:
        assert isinstance(error, Conflict)
        assert error.code == "IDEMPOTENCY_IN_PROGRESS"
        assert error.headers == {"Retry-After": "1"}
    # Once the first is done, a retry gets its result.
    replay = await _call(redis, handler, key=key, body={"a": 1})
    assert replay[:2] == successes[0][:2] and replay[2] == "true"
    assert handler.calls == 1


async def test_other_body_while_in_progress_is_still_422(redis: Redis) -> None:
    slow, key = Handler(delay=0.2), _key()
    first = asyncio.create_task(_call(redis, slow, key=key, body={"a": 1}))
    await asyncio.sleep(0.05)
    with pytest.raises(DomainError) as caught:
        await _call(redis, Handler(), key=key, body={"a": 2})
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"
    await first


async def test_a_failure_releases_the_key(redis: Redis) -> None:
    key = _key()
    failing = Handler(fail=Conflict("taken", code="SEAT_UNAVAILABLE"))
    with pytest.raises(Conflict):
        await _call(redis, failing, key=key, body={"a": 1})
    assert failing.calls == 1
    # Nothing was stored: the retry runs, and may even carry another body.
    handler = Handler()
    status, body, replayed = await _call(redis, handler, key=key, body={"a": 2})
    assert (status, handler.calls, replayed) == (201, 1, None)
    assert (await _call(redis, handler, key=key, body={"a": 2}))[1] == body


async def test_an_unexpected_error_releases_the_key_too(redis: Redis) -> None:
    key = _key()

    async def boom() -> tuple[int, Any]:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        await idempotent(redis, principal_id="p1", scope=SCOPE, key=key, body={}, run=boom)
    assert (await _call(redis, Handler(), key=key, body={}))[0] == 201
