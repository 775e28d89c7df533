"""Notify's failures: the admin API's errors and the reasons an email cannot be sent yet."""

from __future__ import annotations

from tiketi.kernel.errors import Conflict, NotFound


class EmailNotFound(NotFound):
    """No such email."""

    code = "EMAIL_NOT_FOUND"
    message = "No such email."


class EmailNotDead(Conflict):
    """Only a dead-lettered email can be retried by hand."""

    code = "EMAIL_NOT_DEAD"
    message = "This email is not dead-lettered."


class MissingData(Exception):
    """What an email needs has not arrived yet (events of different streams come in any
    order): the email is retried like any failure, and dead-lettered if it never comes."""


class NothingToSend(Exception):
    """The email has become pointless (its tickets were voided first): it is skipped."""
