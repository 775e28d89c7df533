"""The admitter's cheap paths give exactly what the general ones would: the token the contract
signs, the message python-socketio's pub/sub manager publishes."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import jwt
import pytest

from tiketi.contracts.admission import issue_admission_token
from tiketi.kernel.realtime import Realtime, user_room
from tiketi.services.queue.adapters.realtime import ADMITTED
from tiketi.services.queue.domain.models import from_ms
from tiketi.services.queue.service.common import AdmissionSigner

KEY = "unit-queue-key-of-at-least-32-bytes!"


@pytest.mark.parametrize("expires_ms", [1_800_000_000_000, 1_800_000_000_123, 999, 5])
def test_the_signer_makes_the_contracts_token_byte_for_byte(expires_ms: int) -> None:
    ttl = timedelta(seconds=601)
    signer = AdmissionSigner(KEY, ttl)
    for user in (str(uuid.uuid4()), 'odd "user" é\n'):
        event = str(uuid.uuid4())
        token = signer.sign(event_id=event, user_id=user, ticket=42, expires_ms=expires_ms)
        expected = issue_admission_token(
            key=KEY, user_id=user, event_id=event, ttl=ttl, jti="42",
            now=from_ms(expires_ms) - ttl,
        )  # fmt: skip
        assert token == expected
    claims = jwt.decode(
        token, KEY, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert claims["sub"] == user and claims["jti"] == "42"


def test_an_emit_many_message_is_the_socketio_managers_emit() -> None:
    realtime = Realtime.__new__(Realtime)
    realtime._many_host = uuid.uuid4().hex
    payload = {"event_id": "e", "admission_token": "a.b.c", "expires_at": "x", "ticket_number": 7}
    room = user_room('fan "é"')
    wire = realtime.wire(ADMITTED, room, payload)
    expected = {
        "method": "emit", "event": ADMITTED, "data": [payload], "binary": False,
        "namespace": "/", "room": room, "skip_sid": None, "callback": None,
        "host_id": realtime._many_host,
    }  # fmt: skip
    assert json.loads(wire) == expected
    assert wire == json.dumps(expected, separators=(",", ":"))
