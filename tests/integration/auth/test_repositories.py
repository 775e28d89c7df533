"""The auth repositories' statements: conflict-free inserts, one-shot spending, revocation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tiketi.kernel.db import UnitOfWork
from tiketi.services.auth.adapters.repositories import RefreshTokenRepository, UserRepository
from tiketi.services.auth.domain.models import hash_refresh_token, new_refresh_token


async def add_user(new_uow: Callable[[], UnitOfWork], email: str) -> uuid.UUID:
    async with new_uow() as uow:
        user = await UserRepository(uow.session).insert(email=email, name="Fan", role="customer")
        assert user is not None
        await uow.commit()
        return user.id


async def add_token(
    new_uow: Callable[[], UnitOfWork],
    user_id: uuid.UUID,
    *,
    family_id: uuid.UUID | None = None,
    expires_in: timedelta = timedelta(days=1),
) -> str:
    token = new_refresh_token()
    async with new_uow() as uow:
        await RefreshTokenRepository(uow.session).add(
            token_hash=hash_refresh_token(token),
            family_id=family_id or uuid.uuid4(),
            user_id=user_id,
            expires_at=datetime.now(UTC) + expires_in,
        )
        await uow.commit()
    return token


async def spend(new_uow: Callable[[], UnitOfWork], token: str) -> object:
    async with new_uow() as uow:
        spent = await RefreshTokenRepository(uow.session).spend(
            hash_refresh_token(token), now=datetime.now(UTC)
        )
        await uow.commit()
        return spent


async def test_insert_returns_none_for_a_taken_email(
    new_uow: Callable[[], UnitOfWork], email: str
) -> None:
    await add_user(new_uow, email)

    async with new_uow() as uow:
        again = await UserRepository(uow.session).insert(email=email, name="Other", role="customer")
        # The transaction is still usable: ON CONFLICT DO NOTHING raised nothing.
        found = await UserRepository(uow.session).by_email(email)
        found_name = found.name if found else None

    assert again is None
    assert found_name == "Fan"


async def test_a_token_is_spent_once(new_uow: Callable[[], UnitOfWork], email: str) -> None:
    user_id = await add_user(new_uow, email)
    token = await add_token(new_uow, user_id)

    first = await spend(new_uow, token)
    second = await spend(new_uow, token)

    assert first is not None and getattr(first, "user_id", None) == user_id
    assert second is None
    async with new_uow() as uow:
        row = await RefreshTokenRepository(uow.session).find(hash_refresh_token(token))
        assert row is not None and row.used_at is not None


async def test_expired_tokens_cannot_be_spent(
    new_uow: Callable[[], UnitOfWork], email: str
) -> None:
    user_id = await add_user(new_uow, email)
    token = await add_token(new_uow, user_id, expires_in=timedelta(seconds=-1))

    assert await spend(new_uow, token) is None


async def test_one_revoked_token_kills_its_whole_family(
    new_uow: Callable[[], UnitOfWork], email: str
) -> None:
    user_id = await add_user(new_uow, email)
    family = uuid.uuid4()
    older = await add_token(new_uow, user_id, family_id=family)
    newer = await add_token(new_uow, user_id, family_id=family)
    other_family = await add_token(new_uow, user_id)
    async with new_uow() as uow:
        # Only the older token is marked: as if the newer one was born during revocation.
        row = await RefreshTokenRepository(uow.session).find(hash_refresh_token(older))
        assert row is not None
        row.revoked_at = datetime.now(UTC)
        await uow.commit()

    assert await spend(new_uow, newer) is None
    assert await spend(new_uow, other_family) is not None


async def test_revoke_family_counts_what_it_revoked(
    new_uow: Callable[[], UnitOfWork], email: str
) -> None:
    user_id = await add_user(new_uow, email)
    family = uuid.uuid4()
    for _ in range(3):
        await add_token(new_uow, user_id, family_id=family)

    async with new_uow() as uow:
        tokens = RefreshTokenRepository(uow.session)
        first = await tokens.revoke_family(family, now=datetime.now(UTC))
        second = await tokens.revoke_family(family, now=datetime.now(UTC))
        await uow.commit()

    assert (first, second) == (3, 0)


async def test_purge_removes_only_long_expired_tokens(
    new_uow: Callable[[], UnitOfWork], email: str
) -> None:
    user_id = await add_user(new_uow, email)
    old = await add_token(new_uow, user_id, expires_in=timedelta(days=-3))
    live = await add_token(new_uow, user_id)

    async with new_uow() as uow:
        tokens = RefreshTokenRepository(uow.session)
        await tokens.purge_expired(before=datetime.now(UTC) - timedelta(days=1))
        await uow.commit()

    async with new_uow() as uow:
        tokens = RefreshTokenRepository(uow.session)
        assert await tokens.find(hash_refresh_token(old)) is None
        assert await tokens.find(hash_refresh_token(live)) is not None
