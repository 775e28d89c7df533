"""argon2id hashing: verify, refuse, rehash on new parameters, the dummy for unknown emails."""

from __future__ import annotations

from tiketi.services.auth.adapters.hashing import PasswordHashing

# The cheapest parameters argon2 allows keep these tests fast; the rules do not depend on cost.
FAST = {"time_cost": 1, "memory_kib": 8 * 1024, "parallelism": 1}


async def test_hash_is_argon2id_and_verifies() -> None:
    hasher = PasswordHashing(**FAST)

    encoded = await hasher.hash("correct horse battery")

    assert encoded.startswith("$argon2id$")
    assert "correct horse battery" not in encoded
    assert await hasher.verify(encoded, "correct horse battery")
    assert not await hasher.verify(encoded, "Correct horse battery")
    assert not await hasher.verify("not a hash", "correct horse battery")


async def test_rehash_is_needed_when_parameters_change() -> None:
    old = PasswordHashing(**FAST)
    new = PasswordHashing(time_cost=2, memory_kib=8 * 1024, parallelism=1)
    encoded = await old.hash("correct horse battery")

    assert not old.needs_rehash(encoded)
    assert new.needs_rehash(encoded)
    assert new.needs_rehash("garbage")


async def test_the_dummy_verification_runs_a_real_argon2_check() -> None:
    hasher = PasswordHashing(**FAST)

    await hasher.verify_dummy("whatever password")
    await hasher.verify_dummy("another one")

    assert hasher._dummy is not None and hasher._dummy.startswith("$argon2id$")
