"""Idempotency-Key: a repeat of a mutating request with the same key and body replays the first.

One Redis record per (scope, principal, key). The first request claims it atomically with
`SET NX` (value: a claim nonce and the SHA-256 of scope + canonical JSON body), runs, and
stores `{status, body, body_hash}` for 24 hours. A repeat with the same body gets the stored
status and body back with `Idempotent-Replayed: true`; the same key with another body is 422
IDEMPOTENCY_KEY_REUSED; a repeat while the first still runs is 409 IDEMPOTENCY_IN_PROGRESS.

A first request that fails (a DomainError, or anything unexpected) stores nothing and
releases its claim: nothing was created, so the client may retry with the same key.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

from tiketi.kernel.errors import Conflict, DomainError, ValidationFailed

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
RESULT_TTL_SECONDS = 24 * 3600
# A claim outlives any sane request, yet a process that died mid-request does not wedge
# the key for a whole day: after this the client may retry (the result TTL stays 24 h).
CLAIM_TTL_SECONDS = 120
MAX_KEY_LENGTH = 255

Run = Callable[[], Awaitable[tuple[int, Any]]]

# Only the claimant's own nonce may turn the claim into a result or release it.
_FINISH = """
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, record = pcall(cjson.decode, current)
if not ok or record['claim'] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1])
else redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3])) end
return 1
"""


class KeyReused(DomainError):
    """The key was first used with another request body."""

    code = "IDEMPOTENCY_KEY_REUSED"
    status = 422
    message = "This Idempotency-Key was already used with a different request."


class InProgress(Conflict):
    """The first request with this key is still running."""

    code = "IDEMPOTENCY_IN_PROGRESS"
    message = "A request with this Idempotency-Key is still being processed; retry shortly."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


def check_key(key: str) -> str:
    """The key itself when it is 1–255 printable ASCII characters, else 422 naming the header."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise ValidationFailed(
            details={HEADER: f"must be 1–{MAX_KEY_LENGTH} printable ASCII characters"}
        )
    return key


def body_hash(scope: str, body: Any) -> str:
    """SHA-256 of the scope (method and path) and the canonical JSON of the body."""
    canonical = json.dumps(
        jsonable_encoder(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(f"{scope}\n{canonical}".encode()).hexdigest()


def _redis_key(scope: str, principal_id: str, key: str) -> str:
    # The client's key goes in hashed: it may hold any printable character, colons included.
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"tiketi:idempotency:{scope}:{principal_id}:{digest}"


def _response(status: int, body: Any, *, replayed: bool = False) -> JSONResponse:
    headers = {REPLAYED_HEADER: "true"} if replayed else None
    return JSONResponse(body, status_code=status, headers=headers)


async def idempotent(
    redis: Redis,
    *,
    principal_id: str,
    scope: str,
    key: str | None,
    body: Any,
    run: Run,
) -> JSONResponse:
    """Run `run` once per key; `scope` names the endpoint, e.g. "POST /api/v1/holds"."""
    if key is None:
        status, result = await run()
        return _response(status, jsonable_encoder(result))
    redis_key = _redis_key(scope, principal_id, check_key(key))
    digest = body_hash(scope, body)
    claim = secrets.token_hex(16)
    pending = json.dumps({"claim": claim, "body_hash": digest})
    # Two tries: a record can vanish between a failed claim and the read (released, expired).
    for _ in range(2):
        if await redis.set(redis_key, pending, nx=True, ex=CLAIM_TTL_SECONDS):
            return await _run_claimed(redis, redis_key, claim, digest, run)
        raw = await redis.get(redis_key)
        if raw is not None:
            return _replay(json.loads(raw), digest)
    raise InProgress()


async def _run_claimed(
    redis: Redis, redis_key: str, claim: str, digest: str, run: Run
) -> JSONResponse:
    finish = redis.register_script(_FINISH)
    try:
        status, result = await run()
    except BaseException:
        await finish(keys=[redis_key], args=[claim, "", 0])
        raise
    content = jsonable_encoder(result)
    record = json.dumps({"status": status, "body": content, "body_hash": digest})
    await finish(keys=[redis_key], args=[claim, record, RESULT_TTL_SECONDS])
    return _response(status, content)


def _replay(record: dict[str, Any], digest: str) -> JSONResponse:
    if record.get("body_hash") != digest:
        raise KeyReused()
    if "status" not in record:
        raise InProgress()
    return _response(int(record["status"]), record["body"], replayed=True)
