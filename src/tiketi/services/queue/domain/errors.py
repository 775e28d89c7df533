"""The waiting room's failures, each with a stable code (API.md, docs/waiting-room.md)."""

from __future__ import annotations

from tiketi.kernel.errors import BadRequest, Conflict, NotFound


class EventNotFound(NotFound):
    """No published event with this id (or not known to the waiting room yet)."""

    code = "EVENT_NOT_FOUND"
    message = "No such event."


class QueueDisabled(Conflict):
    """The event sells without a waiting room: go straight to the seats."""

    code = "QUEUE_DISABLED"
    message = "This event has no waiting room; book seats directly."


class QueueClosed(Conflict):
    """Not on sale and outside the pre-queue window, sale over, or event canceled."""

    code = "QUEUE_CLOSED"
    message = "The waiting room of this event is not open."


class PowInvalid(BadRequest):
    """The proof of work is missing, wrong, expired, reused or someone else's."""

    code = "POW_INVALID"
    message = "The proof of work is not valid; fetch a new challenge and try again."


class NotInQueue(NotFound):
    """The caller has no place in this event's waiting room."""

    code = "NOT_IN_QUEUE"
    message = "You have no place in this waiting room; join it first."


class QueueReset(Conflict):
    """The waiting room lost its state (Redis restarted without it): places are gone."""

    code = "QUEUE_RESET"
    message = (
        "The waiting room was restarted and lost its places; your earlier place could not "
        "be kept. Join again to get a new place."
    )
