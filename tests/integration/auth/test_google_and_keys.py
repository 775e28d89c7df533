"""Google sign-in's linking rules, and signing-key creation racing across replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from sqlalchemy import text

from tiketi.kernel.db import Database, UnitOfWork
from tiketi.kernel.migrate import upgrade
from tiketi.kernel.settings import PlatformSettings
from tiketi.kernel.testing.servers import PostgresServer
from tiketi.services.auth import service
from tiketi.services.auth.adapters.hashing import PasswordHashing
from tiketi.services.auth.adapters.keys import KeyPair, KeyRing
from tiketi.services.auth.domain.errors import GoogleAccountMismatch, GoogleEmailUnverified
from tiketi.services.auth.domain.models import GoogleIdentity
from tiketi.services.auth.module import build
from tiketi.services.auth.service import SignedIn, TokenPolicy
from tiketi.services.auth.settings import AuthSettings

UowFactory = Callable[[], UnitOfWork]


def identity(email: str, *, verified: bool = True, subject: str | None = None) -> GoogleIdentity:
    return GoogleIdentity(
        subject=subject or uuid.uuid4().hex, email=email, email_verified=verified, name="G Fan"
    )


async def test_first_google_sign_in_creates_a_customer_then_finds_it(
    new_uow: UowFactory, policy: TokenPolicy, email: str
) -> None:
    person = identity(email.upper())

    first = await service.google_sign_in(uow=new_uow(), policy=policy, identity=person)
    second = await service.google_sign_in(uow=new_uow(), policy=policy, identity=person)

    assert first.user.id == second.user.id
    assert first.user.email == email
    assert first.user.role == "customer"
    assert first.user.name == "G Fan"


async def test_a_verified_google_email_links_the_existing_account(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, email: str
) -> None:
    existing = await service.register(
        uow=new_uow(), hasher=hasher, policy=policy, email=email, password="a sturdy pass", name="P"
    )

    linked = await service.google_sign_in(uow=new_uow(), policy=policy, identity=identity(email))

    assert linked.user.id == existing.user.id
    assert linked.user.name == "P"


async def test_an_unverified_google_email_neither_links_nor_creates(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, email: str
) -> None:
    await service.register(
        uow=new_uow(), hasher=hasher, policy=policy, email=email, password="a sturdy pass", name="P"
    )

    with pytest.raises(GoogleEmailUnverified):
        await service.google_sign_in(
            uow=new_uow(), policy=policy, identity=identity(email, verified=False)
        )
    with pytest.raises(GoogleEmailUnverified):
        await service.google_sign_in(
            uow=new_uow(), policy=policy, identity=identity(f"new-{email}", verified=False)
        )


async def test_an_account_linked_to_one_google_account_refuses_another(
    new_uow: UowFactory, policy: TokenPolicy, email: str
) -> None:
    await service.google_sign_in(uow=new_uow(), policy=policy, identity=identity(email))

    with pytest.raises(GoogleAccountMismatch):
        await service.google_sign_in(uow=new_uow(), policy=policy, identity=identity(email))


async def test_concurrent_first_google_sign_ins_share_one_account(
    new_uow: UowFactory, policy: TokenPolicy, email: str
) -> None:
    person = identity(email)

    results = await asyncio.gather(
        *(service.google_sign_in(uow=new_uow(), policy=policy, identity=person) for _ in range(4))
    )

    assert len({r.user.id for r in results}) == 1
    assert all(isinstance(r, SignedIn) for r in results)


@pytest.fixture
async def fresh_database(pg: PostgresServer, settings: PlatformSettings) -> AsyncIterator[str]:
    """A database of its own with only auth migrated: its key table starts empty."""
    name = f"auth_keys_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(pg.dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"postgresql://postgres@127.0.0.1:{pg.port}/{name}"
    await upgrade([build(settings, AuthSettings())], url)
    yield url
    admin = await asyncpg.connect(pg.dsn)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_replicas_starting_together_end_up_with_one_shared_key(fresh_database: str) -> None:
    replicas = [Database(fresh_database, pool_size=2) for _ in range(4)]
    try:
        for attempt in range(3):
            rings = [KeyRing() for _ in replicas]
            keys = await asyncio.gather(
                *(
                    service.load_signing_keys(
                        uow=UnitOfWork(db.sessions), keys=ring, configured=None
                    )
                    for db, ring in zip(replicas, rings, strict=True)
                )
            )
            assert len({key.kid for key in keys}) == 1, f"attempt {attempt}"
            assert len({ring.current.kid for ring in rings}) == 1
            async with replicas[0].engine.begin() as conn:
                stored = await conn.scalar(text("SELECT count(*) FROM auth.signing_keys"))
                assert stored == 1
                await conn.execute(text("DELETE FROM auth.signing_keys"))
    finally:
        for db in replicas:
            await db.dispose()


async def test_the_stored_key_survives_a_restart(fresh_database: str) -> None:
    db = Database(fresh_database, pool_size=2)
    try:
        first = await service.load_signing_keys(
            uow=UnitOfWork(db.sessions), keys=KeyRing(), configured=None
        )
        again = await service.load_signing_keys(
            uow=UnitOfWork(db.sessions), keys=KeyRing(), configured=None
        )
    finally:
        await db.dispose()

    assert first.kid == again.kid


async def test_a_configured_key_is_used_without_touching_the_database() -> None:
    key = KeyPair.generate()
    ring = KeyRing()

    # No database at all: the unit of work is never entered.
    loaded = await service.load_signing_keys(
        uow=UnitOfWork(None),  # type: ignore[arg-type]
        keys=ring,
        configured=key,
    )

    assert loaded.kid == key.kid == ring.current.kid
