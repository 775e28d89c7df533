"""The stats service: live figures per event for its organizer and totals for admins.

It consumes catalog's, booking's and payment's integration events (consumer group `stats`)
into its own schema and computes every figure at read time from those facts, so the result
does not depend on the order the events arrive in (one stream per type: they interleave) and
applying an event twice changes nothing. `tiketi stats rebuild` replays every stream from the
start into emptied tables. The waiting room's figures are read live from Redis.
"""
