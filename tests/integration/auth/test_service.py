"""Auth use cases against PostgreSQL: sign-up, sign-in, rotation, reuse, roles, outbox events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from tiketi.kernel.db import Database, UnitOfWork
from tiketi.kernel.errors import DomainError
from tiketi.services.auth import service
from tiketi.services.auth.adapters.hashing import PasswordHashing
from tiketi.services.auth.commands import create_admin
from tiketi.services.auth.domain.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidField,
    InvalidRefreshToken,
    OwnRoleChange,
    TokenReused,
    UserNotFound,
)
from tiketi.services.auth.service import SignedIn, TokenPolicy
from tiketi.services.auth.settings import AuthSettings

PASSWORD = "a sturdy passphrase"
UowFactory = Callable[[], UnitOfWork]


async def sign_up(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, email: str
) -> SignedIn:
    return await service.register(
        uow=new_uow(), hasher=hasher, policy=policy, email=email, password=PASSWORD, name="Fan"
    )


async def outbox_events(db: Database, user_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT event_type, payload FROM auth.outbox "
                "WHERE payload->>'user_id' = :user_id ORDER BY id"
            ),
            {"user_id": user_id},
        )
        return [(row.event_type, row.payload) for row in rows]


async def test_sign_up_publishes_user_registered_in_the_same_transaction(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, db: Database, email: str
) -> None:
    signed_in = await sign_up(new_uow, hasher, policy, f"  {email.upper()} ")

    assert signed_in.user.email == email
    assert signed_in.user.role == "customer"
    events = await outbox_events(db, str(signed_in.user.id))
    assert [kind for kind, _ in events] == ["UserRegistered"]
    assert events[0][1]["email"] == email
    assert events[0][1]["provider"] == "password"


async def test_a_taken_email_publishes_nothing(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, db: Database, email: str
) -> None:
    first = await sign_up(new_uow, hasher, policy, email)

    with pytest.raises(EmailTaken):
        await sign_up(new_uow, hasher, policy, email.upper())

    async with db.engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM auth.outbox WHERE payload->>'email' = :e"), {"e": email}
        )
    assert count == 1
    assert first.user.email == email


async def test_concurrent_sign_ups_with_one_email_make_exactly_one_account(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, email: str
) -> None:
    results = await asyncio.gather(
        *(sign_up(new_uow, hasher, policy, email) for _ in range(6)), return_exceptions=True
    )

    created = [r for r in results if isinstance(r, SignedIn)]
    refused = [r for r in results if isinstance(r, EmailTaken)]
    assert len(created) == 1
    assert len(refused) == 5


class CountingHasher(PasswordHashing):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=8 * 1024, parallelism=1)
        self.dummies = 0
        self.verifies = 0

    async def verify(self, encoded: str, password: str) -> bool:
        self.verifies += 1
        return await super().verify(encoded, password)

    async def verify_dummy(self, password: str) -> None:
        self.dummies += 1
        await super().verify_dummy(password)


async def test_unknown_email_and_wrong_password_fail_alike_and_both_run_argon2(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, email: str
) -> None:
    await sign_up(new_uow, hasher, policy, email)
    counting = CountingHasher()

    with pytest.raises(InvalidCredentials) as unknown:
        await service.login(
            uow=new_uow(),
            hasher=counting,
            policy=policy,
            email="nobody@example.com",
            password=PASSWORD,
        )
    with pytest.raises(InvalidCredentials) as wrong:
        await service.login(
            uow=new_uow(), hasher=counting, policy=policy, email=email, password="not the one!!"
        )

    assert counting.dummies == 1  # the unknown email still paid for one argon2 verification
    assert counting.verifies == 2  # …which is a verify, like the wrong password's
    assert (unknown.value.code, unknown.value.message) == (wrong.value.code, wrong.value.message)


async def test_sign_in_rehashes_when_the_parameters_changed(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, db: Database, email: str
) -> None:
    await sign_up(new_uow, hasher, policy, email)
    stronger = PasswordHashing(time_cost=2, memory_kib=8 * 1024, parallelism=1)

    await service.login(
        uow=new_uow(), hasher=stronger, policy=policy, email=email, password=PASSWORD
    )

    async with db.engine.connect() as conn:
        stored = await conn.scalar(
            text("SELECT password_hash FROM auth.users WHERE email = :e"), {"e": email}
        )
    assert not stronger.needs_rehash(stored)
    assert ",t=2," in stored
    await service.login(
        uow=new_uow(), hasher=stronger, policy=policy, email=email, password=PASSWORD
    )


async def test_rotation_then_reuse_revokes_the_family(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, email: str
) -> None:
    first = await sign_up(new_uow, hasher, policy, email)
    second = await service.refresh(uow=new_uow(), policy=policy, refresh_token=first.refresh_token)
    third = await service.refresh(uow=new_uow(), policy=policy, refresh_token=second.refresh_token)

    with pytest.raises(TokenReused):
        await service.refresh(uow=new_uow(), policy=policy, refresh_token=first.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await service.refresh(uow=new_uow(), policy=policy, refresh_token=third.refresh_token)


async def test_another_sign_in_is_another_family(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, email: str
) -> None:
    phone = await sign_up(new_uow, hasher, policy, email)
    laptop = await service.login(
        uow=new_uow(), hasher=hasher, policy=policy, email=email, password=PASSWORD
    )

    await service.logout(uow=new_uow(), refresh_token=phone.refresh_token)

    with pytest.raises(InvalidRefreshToken):
        await service.refresh(uow=new_uow(), policy=policy, refresh_token=phone.refresh_token)
    await service.refresh(uow=new_uow(), policy=policy, refresh_token=laptop.refresh_token)


async def test_concurrent_refreshes_of_one_token_let_exactly_one_through(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, email: str
) -> None:
    signed_in = await sign_up(new_uow, hasher, policy, email)

    results = await asyncio.gather(
        *(
            service.refresh(uow=new_uow(), policy=policy, refresh_token=signed_in.refresh_token)
            for _ in range(5)
        ),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, SignedIn)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1, results
    assert len(losers) == 4, results
    assert all(loser.status == 401 for loser in losers)
    assert {loser.code for loser in losers} <= {"TOKEN_REUSED", "INVALID_REFRESH_TOKEN"}
    # A spent token came back, so the family is revoked: the winner's new token dies with it.
    with pytest.raises(InvalidRefreshToken):
        await service.refresh(uow=new_uow(), policy=policy, refresh_token=winners[0].refresh_token)


async def test_role_changes_publish_and_guard_the_admin_themself(
    new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, db: Database, email: str
) -> None:
    user = (await sign_up(new_uow, hasher, policy, email)).user
    admin_id = str(uuid.uuid4())

    changed = await service.change_role(
        uow=new_uow(), actor_id=admin_id, user_id=str(user.id), role="organizer"
    )
    same = await service.change_role(
        uow=new_uow(), actor_id=admin_id, user_id=str(user.id), role="organizer"
    )

    assert changed.role == same.role == "organizer"
    events = await outbox_events(db, str(user.id))
    assert [kind for kind, _ in events] == ["UserRegistered", "UserRoleChanged"]
    assert events[1][1]["role"] == "organizer"
    with pytest.raises(OwnRoleChange):
        await service.change_role(
            uow=new_uow(), actor_id=str(user.id), user_id=str(user.id), role="customer"
        )
    for missing in (str(uuid.uuid4()), "not-a-uuid"):
        with pytest.raises(UserNotFound):
            await service.change_role(
                uow=new_uow(), actor_id=admin_id, user_id=missing, role="staff"
            )


async def test_create_admin_creates_then_promotes(
    db: Database, new_uow: UowFactory, hasher: PasswordHashing, policy: TokenPolicy, email: str
) -> None:
    fast = AuthSettings(password_time_cost=1, password_memory_kib=8 * 1024)
    made = await create_admin(db, email=email, password=PASSWORD, name="Root", settings=fast)
    again = await create_admin(
        db, email=email.upper(), password="another passphrase", name=None, settings=fast
    )
    customer_email = f"promote-{email}"
    customer = (await sign_up(new_uow, hasher, policy, customer_email)).user
    promoted = await create_admin(
        db, email=customer_email, password=PASSWORD, name="Boss", settings=fast
    )

    assert made["created"] and made["role"] == "admin" and made["name"] == "Root"
    assert not again["created"] and again["id"] == made["id"] and again["name"] == "Root"
    assert promoted == {
        "id": str(customer.id),
        "email": customer_email,
        "name": "Boss",
        "role": "admin",
        "created": False,
    }
    signed_in = await service.login(
        uow=new_uow(), hasher=hasher, policy=policy, email=email, password="another passphrase"
    )
    assert signed_in.user.role == "admin"


async def test_create_admin_applies_the_same_rules(db: Database, email: str) -> None:
    with pytest.raises(InvalidField) as weak:
        await create_admin(db, email=email, password="password123", name=None)
    with pytest.raises(InvalidField) as bad_email:
        await create_admin(db, email="not an email", password=PASSWORD, name=None)

    assert set(weak.value.details) == {"password"}
    assert set(bad_email.value.details) == {"email"}
