"""Queries of the auth schema. Repositories flush and read; the use case commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tiketi.services.auth.adapters.orm import RefreshToken, SigningKey, User


class UserRepository:
    """Accounts by id, email or Google subject."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        """The user with this id."""
        query = select(User).where(User.id == user_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def by_email(self, email: str, *, for_update: bool = False) -> User | None:
        """The user with this (normalised) email."""
        query = select(User).where(User.email == email)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def by_google_sub(self, subject: str) -> User | None:
        """The user linked to this Google account."""
        query = select(User).where(User.google_sub == subject)
        return (await self.session.scalars(query)).one_or_none()

    async def insert(
        self,
        *,
        email: str,
        name: str,
        role: str,
        password_hash: str | None = None,
        google_sub: str | None = None,
    ) -> User | None:
        """Create a user; None when the email (or Google account) is already taken.

        One INSERT … ON CONFLICT DO NOTHING: two concurrent sign-ups with one email
        cannot both pass a check-then-insert, and no error poisons the transaction.
        """
        statement = (
            insert(User)
            .values(
                id=uuid.uuid4(),
                email=email,
                name=name,
                role=role,
                password_hash=password_hash,
                google_sub=google_sub,
            )
            .on_conflict_do_nothing()
            .returning(User)
        )
        return (await self.session.scalars(statement)).one_or_none()


@dataclass(frozen=True)
class SpentToken:
    """What spending a refresh token yields: whose it was and which family it belongs to."""

    user_id: uuid.UUID
    family_id: uuid.UUID


class RefreshTokenRepository:
    """Refresh tokens by hash; rotation, reuse detection and family revocation."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        token_hash: str,
        family_id: uuid.UUID,
        user_id: uuid.UUID,
        expires_at: datetime,
    ) -> None:
        """Store a new token of a family."""
        self.session.add(
            RefreshToken(
                token_hash=token_hash,
                family_id=family_id,
                user_id=user_id,
                expires_at=expires_at,
            )
        )
        await self.session.flush()

    async def spend(self, token_hash: str, *, now: datetime) -> SpentToken | None:
        """Mark a live token used, atomically; None when it is not live.

        One conditional UPDATE: of two concurrent refreshes the second waits on the row
        lock, re-checks `used_at IS NULL`, and finds nothing. A family with any revoked
        token is dead, which also covers tokens born while a revocation was running.
        """
        sibling = aliased(RefreshToken)
        family_revoked = exists().where(
            sibling.family_id == RefreshToken.family_id, sibling.revoked_at.is_not(None)
        )
        statement = (
            update(RefreshToken)
            .where(
                RefreshToken.token_hash == token_hash,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
                ~family_revoked,
            )
            .values(used_at=now)
            .returning(RefreshToken.user_id, RefreshToken.family_id)
        )
        row = (await self.session.execute(statement)).one_or_none()
        return SpentToken(user_id=row.user_id, family_id=row.family_id) if row else None

    async def find(self, token_hash: str) -> RefreshToken | None:
        """The token row, live or not."""
        return await self.session.get(RefreshToken, token_hash)

    async def revoke_family(self, family_id: uuid.UUID, *, now: datetime) -> int:
        """Revoke every token of a family; returns how many were still unrevoked."""
        statement = (
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        result = await self.session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def purge_expired(self, *, before: datetime) -> int:
        """Delete tokens that expired before `before`; they can neither work nor be reused."""
        result = await self.session.execute(
            delete(RefreshToken).where(RefreshToken.expires_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SigningKeyRepository:
    """Generated signing keys."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self) -> SigningKey | None:
        """The key that signs new tokens."""
        query = select(SigningKey).where(SigningKey.active.is_(True))
        return (await self.session.scalars(query)).one_or_none()

    async def published(self) -> list[SigningKey]:
        """Every stored key, newest first: retired keys still verify tokens they signed."""
        query = select(SigningKey).order_by(SigningKey.created_at.desc())
        return list((await self.session.scalars(query)).all())

    async def insert_active_if_none(self, *, kid: str, private_pem: str) -> bool:
        """Store a key as the active one unless another replica already did; True when stored."""
        statement = (
            insert(SigningKey)
            .values(kid=kid, private_pem=private_pem, active=True)
            .on_conflict_do_nothing()
            .returning(SigningKey.kid)
        )
        return (await self.session.execute(statement)).one_or_none() is not None
