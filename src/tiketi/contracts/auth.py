"""Events the auth service publishes."""

from __future__ import annotations

from typing import ClassVar

from tiketi.contracts.events import IntegrationEvent, register


@register
class UserRegistered(IntegrationEvent):
    """A new account exists (email sign-up or first Google sign-in)."""

    event_type: ClassVar[str] = "UserRegistered"
    version: ClassVar[int] = 1

    user_id: str
    email: str
    name: str
    locale: str = "ko"
    provider: str = "password"


@register
class UserRoleChanged(IntegrationEvent):
    """An admin changed a user's role."""

    event_type: ClassVar[str] = "UserRoleChanged"
    version: ClassVar[int] = 1

    user_id: str
    role: str
