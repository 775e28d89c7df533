"""Request and response bodies of the waiting-room endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tiketi.services.queue.domain.models import FairnessView, Place
from tiketi.services.queue.domain.pow import MAX_CHALLENGE_LENGTH, MAX_NONCE_LENGTH
from tiketi.services.queue.service.joining import Challenge, Proof


class ErrorBody(BaseModel):
    """The error's code, message and details."""

    code: str
    message: str
    details: dict[str, object]


class ErrorRead(BaseModel):
    """Every failure's body."""

    error: ErrorBody


class ProofBody(BaseModel):
    """A solved challenge: SHA-256(challenge + ":" + nonce) starts with `difficulty` zero
    bits."""

    model_config = ConfigDict(extra="forbid")

    challenge: str = Field(min_length=1, max_length=MAX_CHALLENGE_LENGTH)
    nonce: str = Field(min_length=1, max_length=MAX_NONCE_LENGTH)

    def domain(self) -> Proof:
        """As the use case takes it."""
        return Proof(self.challenge, self.nonce)


class JoinBody(BaseModel):
    """Needed only when the room asks for a proof of work (TIKETI_QUEUE_POW_DIFFICULTY > 0)."""

    model_config = ConfigDict(extra="forbid")

    pow: ProofBody | None = None


class PlaceRead(BaseModel):
    """A fan's place in the room (join and status answer the same shape)."""

    status: Literal["waiting", "admitted"]
    phase: Literal["pre_queue", "open"] = Field(
        description="pre_queue: joined before the sale opened; the order (and the ticket "
        "number) is drawn fairly at opening."
    )
    ticket_number: int | None = Field(description="null in the pre-queue")
    position: int | None = Field(description="how many people are ahead (0 = next)")
    eta_seconds: int | None = Field(description="estimated wait at the measured pace")
    serving_number: int = Field(description="the highest ticket number admitted so far")
    opens_at: datetime = Field(description="when the sale opens (the pre-queue is drawn)")
    admission_token: str | None = Field(
        default=None, description="send it as X-Admission-Token to the booking endpoints"
    )
    admission_expires_at: datetime | None = None

    @classmethod
    def of(cls, place: Place) -> PlaceRead:
        """From the domain's place."""
        return cls(
            status=place.status.value,
            phase=place.phase.value,
            ticket_number=place.ticket_number,
            position=place.position,
            eta_seconds=place.eta_seconds,
            serving_number=place.serving_number,
            opens_at=place.opens_at,
            admission_token=place.admission_token,
            admission_expires_at=place.admission_expires_at,
        )


class ChallengeRead(BaseModel):
    """A single-use proof-of-work challenge for this fan and event."""

    challenge: str
    difficulty: int = Field(description="leading zero bits required (0: no proof needed)")
    expires_in: int = Field(description="seconds the challenge stays valid")

    @classmethod
    def of(cls, value: Challenge) -> ChallengeRead:
        """From the use case's challenge."""
        return cls(
            challenge=value.challenge, difficulty=value.difficulty, expires_in=value.expires_in
        )


class FairnessRead(BaseModel):
    """The pre-queue draw, verifiable by anyone (docs/waiting-room.md)."""

    event_id: str
    commitment: str = Field(description="SHA-256 (hex) of the seed, public before opening")
    seed: str | None = Field(description="the seed (hex), revealed once the pre-queue is drawn")
    algorithm: str
    joiners: list[str] = Field(
        description="SHA-256 hex of event_id + ':' + user_id of every pre-queue fan, sorted"
    )
    order: list[str] = Field(description="the drawn order: order[t] got ticket number t + 1")
    sale_opens_at: datetime
    drawn_at: datetime | None

    @classmethod
    def of(cls, view: FairnessView) -> FairnessRead:
        """From the use case's view."""
        return cls(**view.__dict__)
