"""Catalog failures with the stable codes API.md and clients rely on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tiketi.kernel.errors import Conflict, NotFound, ValidationFailed


class VenueNotFound(NotFound):
    """No venue has this id."""

    message = "No such venue."


class EventNotFound(NotFound):
    """No event has this id, or it is a draft the caller may not see."""

    message = "No such event."


class EventIsPublished(Conflict):
    """The event is published: its venue, grades, prices and seat grades are frozen."""

    code = "EVENT_PUBLISHED"
    message = "The event is published; its venue, grades and prices can no longer change."

    def __init__(self, message: str | None = None, *, fields: Sequence[str] = ()) -> None:
        details = {name: "frozen once the event is published" for name in fields}
        super().__init__(message, details=details)


class EventIsCanceled(Conflict):
    """The event is canceled and can no longer change."""

    code = "EVENT_CANCELED"
    message = "The event is canceled and can no longer change."


class InvalidInput(ValidationFailed):
    """One or more rules failed; details map each field path to what is wrong with it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(details=dict(problems))


class InvalidCursor(ValidationFailed):
    """A pagination cursor that this server did not hand out."""

    def __init__(self) -> None:
        super().__init__(details={"cursor": "not a cursor this list handed out"})
