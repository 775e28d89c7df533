"""The waiting room: a fair queue per event, admission tokens, a bot check, adaptive admission.

docs/waiting-room.md explains admission, the control loop and the verifiable pre-queue
shuffle. In short:

- Every key of one event lives under the hash tag `{evt:<id>}` (Redis Cluster safe). Join,
  status, leave and each admission step are single Lua scripts on the Redis clock, so every
  process agrees on time, tickets and the `max_active` budget.
- PostgreSQL (schema `queue`) keeps what must survive Redis: the events served (from
  catalog's events), the pre-queue seed and its commitment, the published draw, and an epoch
  that tells a Redis which lost the room's state apart from a room nobody joined yet.
- One process at a time (a Redis lease) runs the admitter: expiries, the pre-queue draw at
  opening, admissions at the controlled rate, one `queue:progress` per event per tick.
- Booking's `ReservationConfirmed` and expired `SeatsReleased` end a fan's admission at once;
  so does leaving. Booking refuses a token whose jti is not the current admission.
"""
