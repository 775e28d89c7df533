"""Integration event envelopes: JSON round trips through the registry, and what it refuses."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import ClassVar

import pytest
from pydantic import ValidationError

from tiketi.contracts.auth import UserRegistered, UserRoleChanged
from tiketi.contracts.events import IntegrationEvent, decode, event_class, register
from tiketi.kernel.streams import STREAM_PREFIX, stream_name


def test_event_round_trips_through_json_and_decode() -> None:
    event = UserRegistered(user_id="u1", email="u1@example.com", name="Kim", provider="google")

    wire = json.loads(json.dumps(event.model_dump(mode="json")))
    decoded = decode("UserRegistered", wire)

    assert decoded == event
    assert isinstance(decoded, UserRegistered)
    assert isinstance(decoded.message_id, uuid.UUID)
    assert isinstance(decoded.occurred_at, datetime)
    assert decoded.occurred_at.tzinfo is not None


def test_envelope_gives_each_event_its_own_id_and_time() -> None:
    first = UserRoleChanged(user_id="u1", role="staff")
    second = UserRoleChanged(user_id="u1", role="staff")

    assert first.message_id != second.message_id
    assert "event_type" not in first.model_dump()  # the type travels beside the payload
    assert (UserRoleChanged.event_type, UserRoleChanged.version) == ("UserRoleChanged", 1)


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(KeyError):
        decode("NoSuchEvent", {})
    with pytest.raises(KeyError):
        event_class("NoSuchEvent")


def test_invalid_payload_is_refused() -> None:
    with pytest.raises(ValidationError):
        decode("UserRegistered", {"user_id": "u1"})


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    event = UserRoleChanged(user_id="u1", role="admin")
    wire = {**event.model_dump(mode="json"), "added_in_a_later_release": True}

    assert decode("UserRoleChanged", wire) == event


def test_events_are_immutable() -> None:
    event = UserRoleChanged(user_id="u1", role="admin")
    with pytest.raises(ValidationError):
        event.role = "customer"  # type: ignore[misc]


def test_register_makes_a_new_type_decodable() -> None:
    @register
    class SomethingHappened(IntegrationEvent):
        event_type: ClassVar[str] = "TestSomethingHappened"
        version: ClassVar[int] = 2

        what: str

    assert event_class("TestSomethingHappened") is SomethingHappened
    decoded = decode("TestSomethingHappened", {"what": "x"})
    assert isinstance(decoded, SomethingHappened)
    assert decoded.what == "x"


def test_one_stream_per_event_type() -> None:
    assert stream_name("UserRegistered") == "tiketi:events:UserRegistered"
    assert stream_name("UserRoleChanged").startswith(STREAM_PREFIX)
