"""The bot check over HTTP: a proof of work per join, single-use, expiring, bound to the fan."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from tests.api.booking.support import error_code
from tests.api.gateway.support import RunningServer
from tests.api.queue.conftest import mint, start_server
from tests.api.queue.support import eventually, install, queue_settings, room
from tiketi.kernel.db import Database
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.queue.adapters.store import challenge_key
from tiketi.services.queue.domain.pow import solve, solves

DIFFICULTY = 8


@pytest.fixture(scope="module")
def server(migrated: PlatformSettings) -> Iterator[RunningServer]:
    running = start_server(
        migrated, queue_settings(pow_difficulty=DIFFICULTY, event_cache_seconds=1)
    )
    try:
        yield running
    finally:
        running.stop()


def _join(event_id: str) -> str:
    return f"/api/v1/queue/{event_id}/join"


async def _challenge(http: httpx.AsyncClient, event_id: str, headers: dict[str, str]) -> str:
    answer = await http.get(f"/api/v1/queue/{event_id}/challenge", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["difficulty"] == DIFFICULTY and body["expires_in"] == 120
    challenge: str = body["challenge"]
    return challenge


def _wrong_nonce(challenge: str) -> str:
    return next(str(n) for n in range(100_000) if not solves(challenge, str(n), DIFFICULTY))


async def test_a_join_needs_a_fresh_solved_challenge_of_ones_own(
    http: httpx.AsyncClient, db: Database, redis: Redis
) -> None:
    event = room()
    await install(db, event)
    fan, other = mint(), mint()
    url = _join(event.event_id)

    def invalid(answer: httpx.Response, reason: str) -> bool:
        return (
            answer.status_code == 400
            and error_code(answer) == "POW_INVALID"
            and answer.json()["error"]["details"]["reason"] == reason
        )

    assert invalid(await http.post(url, headers=fan.headers), "missing")
    # Wrong nonce: refused, and the challenge is spent (no second guess on it).
    challenge = await _challenge(http, event.event_id, fan.headers)
    wrong = {"pow": {"challenge": challenge, "nonce": _wrong_nonce(challenge)}}
    assert invalid(await http.post(url, json=wrong, headers=fan.headers), "wrong_nonce")
    right = {"pow": {"challenge": challenge, "nonce": solve(challenge, DIFFICULTY)}}
    assert invalid(await http.post(url, json=right, headers=fan.headers), "unknown_challenge")
    # Someone else's challenge, even solved, is not yours.
    theirs = await _challenge(http, event.event_id, other.headers)
    stolen = {"pow": {"challenge": theirs, "nonce": solve(theirs, DIFFICULTY)}}
    assert invalid(await http.post(url, json=stolen, headers=fan.headers), "unknown_challenge")
    # A solved fresh challenge: a place; the same proof again is a reused challenge.
    challenge = await _challenge(http, event.event_id, fan.headers)
    proof = {"pow": {"challenge": challenge, "nonce": solve(challenge, DIFFICULTY)}}
    joined = await http.post(url, json=proof, headers=fan.headers)
    assert joined.status_code == 200, joined.text
    assert invalid(await http.post(url, json=proof, headers=fan.headers), "unknown_challenge")


async def test_an_expired_challenge_is_refused(
    http: httpx.AsyncClient, db: Database, redis: Redis
) -> None:
    event = room()
    await install(db, event)
    fan = mint()
    challenge = await _challenge(http, event.event_id, fan.headers)
    key = challenge_key(event.event_id, challenge)
    assert await redis.ttl(key) > 100
    # Its TTL runs out (brought forward instead of waiting two minutes).
    await redis.pexpire(key, 1)
    await eventually(lambda: _gone(redis, key))

    proof = {"pow": {"challenge": challenge, "nonce": solve(challenge, DIFFICULTY)}}
    answer = await http.post(_join(event.event_id), json=proof, headers=fan.headers)

    assert answer.status_code == 400 and error_code(answer) == "POW_INVALID"


async def _gone(redis: Redis, key: str) -> bool:
    return not await redis.exists(key)


async def test_a_malformed_proof_is_a_validation_error(
    http: httpx.AsyncClient, db: Database
) -> None:
    event = room()
    await install(db, event)
    answer = await http.post(
        _join(event.event_id), json={"pow": {"challenge": "x" * 65, "nonce": "1"}},
        headers=mint().headers,
    )  # fmt: skip
    assert answer.status_code == 422 and error_code(answer) == "VALIDATION_ERROR"
