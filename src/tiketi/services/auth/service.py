"""Auth use cases. Each takes keyword-only arguments and owns its transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tiketi.contracts.auth import UserRegistered, UserRoleChanged
from tiketi.kernel.db import UnitOfWork
from tiketi.kernel.errors import Busy
from tiketi.kernel.outbox import publish
from tiketi.services.auth.adapters.hashing import PasswordHashing
from tiketi.services.auth.adapters.keys import KeyPair, KeyRing
from tiketi.services.auth.adapters.orm import SCHEMA, User
from tiketi.services.auth.adapters.repositories import (
    RefreshTokenRepository,
    SigningKeyRepository,
    UserRepository,
)
from tiketi.services.auth.domain.errors import (
    EmailTaken,
    GoogleAccountMismatch,
    GoogleEmailUnverified,
    InvalidCredentials,
    InvalidRefreshToken,
    OwnRoleChange,
    TokenReused,
    UserNotFound,
)
from tiketi.services.auth.domain.models import (
    DEFAULT_ROLE,
    GoogleIdentity,
    Role,
    access_claims,
    clean_name,
    fallback_name,
    hash_refresh_token,
    is_reuse,
    new_refresh_token,
    normalise_email,
)
from tiketi.services.auth.domain.passwords import check_password
from tiketi.services.auth.settings import AuthSettings

log = structlog.get_logger("tiketi.auth")


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def password_hashing(settings: AuthSettings) -> PasswordHashing:
    """The argon2id hasher the settings describe."""
    return PasswordHashing(
        time_cost=settings.password_time_cost,
        memory_kib=settings.password_memory_kib,
        parallelism=settings.password_parallelism,
        concurrency=settings.password_hash_concurrency,
    )


@dataclass(frozen=True)
class TokenPolicy:
    """How tokens are signed and how long they live."""

    keys: KeyRing
    issuer: str
    audience: str
    access_lifetime: timedelta
    refresh_lifetime: timedelta


@dataclass(frozen=True)
class SignedIn:
    """A fresh token pair and whose it is."""

    user: User
    access_token: str
    refresh_token: str
    expires_in: int


async def _issue(
    session: AsyncSession,
    policy: TokenPolicy,
    user: User,
    *,
    now: datetime,
    family_id: uuid.UUID | None = None,
) -> SignedIn:
    """A signed access token and a new refresh token of the family (a new family by default)."""
    refresh_token = new_refresh_token()
    await RefreshTokenRepository(session).add(
        token_hash=hash_refresh_token(refresh_token),
        family_id=family_id or uuid.uuid4(),
        user_id=user.id,
        expires_at=now + policy.refresh_lifetime,
    )
    claims = access_claims(
        user_id=str(user.id),
        role=user.role,
        email=user.email,
        issuer=policy.issuer,
        audience=policy.audience,
        issued_at=now,
        lifetime=policy.access_lifetime,
    )
    return SignedIn(
        user=user,
        access_token=policy.keys.sign(claims),
        refresh_token=refresh_token,
        expires_in=int(policy.access_lifetime.total_seconds()),
    )


async def register(
    *,
    uow: UnitOfWork,
    hasher: PasswordHashing,
    policy: TokenPolicy,
    email: str,
    password: str,
    name: str,
) -> SignedIn:
    """Create a customer account and sign it in; 409 EMAIL_TAKEN when the email is in use."""
    email = normalise_email(email)
    name = clean_name(name)
    check_password(password, email=email)
    # Hash before the transaction opens: no connection waits on argon2.
    password_hash = await hasher.hash(password)
    now = utcnow()
    async with uow:
        user = await UserRepository(uow.session).insert(
            email=email, name=name, role=DEFAULT_ROLE, password_hash=password_hash
        )
        if user is None:
            raise EmailTaken()
        await publish(
            uow.session,
            SCHEMA,
            UserRegistered(user_id=str(user.id), email=user.email, name=user.name),
        )
        signed_in = await _issue(uow.session, policy, user, now=now)
        await uow.commit()
    log.info("user_registered", user_id=str(user.id))
    return signed_in


async def login(
    *,
    uow: UnitOfWork,
    hasher: PasswordHashing,
    policy: TokenPolicy,
    email: str,
    password: str,
) -> SignedIn:
    """Check a password and sign in; one 401 INVALID_CREDENTIALS for every way it can fail."""
    email = normalise_email(email)
    async with uow:
        found = await UserRepository(uow.session).by_email(email)
        user_id, stored_hash = (found.id, found.password_hash) if found else (None, None)
    # Verify outside any transaction; unknown emails (and Google-only accounts) spend the
    # same argon2 time on a dummy hash, so timing does not tell which emails exist.
    if user_id is None or stored_hash is None:
        await hasher.verify_dummy(password)
        raise InvalidCredentials()
    if not await hasher.verify(stored_hash, password):
        log.info("login_failed", user_id=str(user_id))
        raise InvalidCredentials()
    new_hash = await hasher.hash(password) if hasher.needs_rehash(stored_hash) else None
    now = utcnow()
    async with uow:
        user = await UserRepository(uow.session).get(user_id)
        if user is None:
            raise InvalidCredentials()
        if new_hash is not None:
            user.password_hash = new_hash
            user.updated_at = now
        signed_in = await _issue(uow.session, policy, user, now=now)
        await uow.commit()
    log.info("user_signed_in", user_id=str(user_id), method="password")
    return signed_in


async def refresh(*, uow: UnitOfWork, policy: TokenPolicy, refresh_token: str) -> SignedIn:
    """Spend a refresh token for a new pair of the same family.

    A spent token coming back revokes the whole family (401 TOKEN_REUSED): either the
    client or a thief holds a stale copy, and we cannot tell which.
    """
    token_hash = hash_refresh_token(refresh_token)
    now = utcnow()
    async with uow:
        tokens = RefreshTokenRepository(uow.session)
        spent = await tokens.spend(token_hash, now=now)
        if spent is None:
            found = await tokens.find(token_hash)
            if found is None or not is_reuse(
                used_at=found.used_at, expires_at=found.expires_at, now=now
            ):
                raise InvalidRefreshToken()
            family_id, user_id = found.family_id, found.user_id
            await tokens.revoke_family(family_id, now=now)
            await uow.commit()
            log.warning("refresh_token_reused", user_id=str(user_id), family_id=str(family_id))
            raise TokenReused()
        user = await UserRepository(uow.session).get(spent.user_id)
        if user is None:
            raise InvalidRefreshToken()
        signed_in = await _issue(uow.session, policy, user, now=now, family_id=spent.family_id)
        await uow.commit()
    return signed_in


async def logout(*, uow: UnitOfWork, refresh_token: str) -> None:
    """Revoke the family of a refresh token; unknown tokens are quietly accepted."""
    now = utcnow()
    async with uow:
        tokens = RefreshTokenRepository(uow.session)
        found = await tokens.find(hash_refresh_token(refresh_token))
        if found is None:
            return
        await tokens.revoke_family(found.family_id, now=now)
        await uow.commit()


async def _link_or_create(session: AsyncSession, identity: GoogleIdentity) -> User:
    """The account a verified Google email belongs to, linked to the Google account."""
    users = UserRepository(session)
    email = normalise_email(identity.email)
    user = await users.by_email(email, for_update=True)
    if user is None:
        user = await users.insert(
            email=email,
            name=fallback_name(identity.name, email),
            role=DEFAULT_ROLE,
            google_sub=identity.subject,
        )
        if user is not None:
            await publish(
                session,
                SCHEMA,
                UserRegistered(
                    user_id=str(user.id), email=user.email, name=user.name, provider="google"
                ),
            )
            return user
        # A concurrent sign-up with this email or Google account won; use what it made.
        user = await users.by_google_sub(identity.subject) or await users.by_email(
            email, for_update=True
        )
        if user is None:
            raise Busy()
    if user.google_sub is None:
        user.google_sub = identity.subject
        user.updated_at = utcnow()
    elif user.google_sub != identity.subject:
        raise GoogleAccountMismatch()
    return user


async def google_sign_in(
    *, uow: UnitOfWork, policy: TokenPolicy, identity: GoogleIdentity
) -> SignedIn:
    """Sign in with a verified Google identity: its linked account, the account with its
    verified email (linked now), or a new customer account."""
    now = utcnow()
    async with uow:
        user = await UserRepository(uow.session).by_google_sub(identity.subject)
        if user is None:
            # An unverified address could belong to anyone: it may neither claim an
            # existing account nor squat on an email its owner has not signed up with yet.
            if not identity.email_verified:
                raise GoogleEmailUnverified()
            user = await _link_or_create(uow.session, identity)
        signed_in = await _issue(uow.session, policy, user, now=now)
        await uow.commit()
    log.info("user_signed_in", user_id=str(signed_in.user.id), method="google")
    return signed_in


def _parse_id(user_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(user_id)
    except ValueError as exc:
        raise UserNotFound() from exc


async def get_user(*, uow: UnitOfWork, user_id: str) -> User:
    """The account with this id; 404 USER_NOT_FOUND otherwise."""
    async with uow:
        user = await UserRepository(uow.session).get(_parse_id(user_id))
        if user is None:
            raise UserNotFound()
        await uow.commit()
    return user


async def change_role(*, uow: UnitOfWork, actor_id: str, user_id: str, role: Role) -> User:
    """Give a user a role (admins only, checked by the caller); publishes UserRoleChanged."""
    target = _parse_id(user_id)
    async with uow:
        user = await UserRepository(uow.session).get(target, for_update=True)
        if user is None:
            raise UserNotFound()
        if user.role != role:
            if str(user.id) == actor_id:
                raise OwnRoleChange()
            user.role = role
            user.updated_at = utcnow()
            await publish(uow.session, SCHEMA, UserRoleChanged(user_id=str(user.id), role=role))
        await uow.commit()
    log.info("user_role_changed", user_id=str(target), role=role, by=actor_id)
    return user


async def ensure_admin(
    *,
    uow: UnitOfWork,
    hasher: PasswordHashing,
    email: str,
    password: str,
    name: str | None,
) -> tuple[User, bool]:
    """Create an admin, or promote the account with this email and set its password.

    Returns the user and whether it was created.
    """
    email = normalise_email(email)
    check_password(password, email=email)
    display = clean_name(name) if name is not None else fallback_name(None, email)
    password_hash = await hasher.hash(password)
    async with uow:
        users = UserRepository(uow.session)
        user = await users.by_email(email, for_update=True)
        created = user is None
        if user is None:
            user = await users.insert(
                email=email, name=display, role="admin", password_hash=password_hash
            )
            if user is None:
                raise EmailTaken()
            await publish(
                uow.session,
                SCHEMA,
                UserRegistered(user_id=str(user.id), email=email, name=display),
            )
        else:
            if user.role != "admin":
                user.role = "admin"
                await publish(
                    uow.session, SCHEMA, UserRoleChanged(user_id=str(user.id), role="admin")
                )
            user.password_hash = password_hash
            user.name = display if name is not None else user.name
            user.updated_at = utcnow()
        await uow.commit()
    return user, created


async def load_signing_keys(
    *, uow: UnitOfWork, keys: KeyRing, configured: KeyPair | None
) -> KeyPair:
    """Install the configured key, or the one stored in the auth schema (made on first start).

    Replicas starting together each make a candidate; the partial unique index on the
    active key lets exactly one insert win, and everyone then reads the winner.
    """
    if configured is not None:
        keys.install(configured)
        return configured
    async with uow:
        repo = SigningKeyRepository(uow.session)
        active = await repo.active()
        if active is None:
            candidate = KeyPair.generate()
            if await repo.insert_active_if_none(kid=candidate.kid, private_pem=candidate.to_pem()):
                log.info("signing_key_generated", kid=candidate.kid)
            active = await repo.active()
        if active is None:
            raise Busy("The signing key could not be created; try again.")
        current_pem = active.private_pem
        stored_pems = [row.private_pem for row in await repo.published()]
        await uow.commit()
    current = KeyPair.from_pem(current_pem)
    keys.install(current, [KeyPair.from_pem(pem) for pem in stored_pems])
    return current


async def purge_expired_refresh_tokens(*, uow: UnitOfWork, older_than: timedelta) -> int:
    """Delete refresh tokens that expired more than `older_than` ago."""
    async with uow:
        removed = await RefreshTokenRepository(uow.session).purge_expired(
            before=utcnow() - older_than
        )
        await uow.commit()
    return removed
