"""Stats' failures, each with a stable code."""

from __future__ import annotations

from tiketi.kernel.errors import Forbidden, NotFound


class StatsEventNotFound(NotFound):
    """No published event with this id has reached the stats service."""

    code = "EVENT_NOT_FOUND"
    message = "No such event."


class NotEventOwner(Forbidden):
    """Only the event's organizer (and admins) see its figures."""

    code = "NOT_EVENT_OWNER"
    message = "Only the event's organizer or an admin may see its stats."
