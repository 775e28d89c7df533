"""Catalog: venues with seat layouts, events, publishing, posters and search.

Decisions (and why):

- Venues are immutable once created (no update or delete endpoint): events and booking's
  inventory refer to their seats forever. Seat ids are bigints from one sequence, handed out
  in layout order (compact in seat maps of 100,000 seats; JSON integers). Venue, event and
  image ids are UUIDs. A layout is written with COPY in the creating transaction.
- Events: draft → published → canceled. Only the organizer who created an event or an admin
  may change it (403 FORBIDDEN); drafts are 404 to everyone else. Every writer locks the
  event row first, so publish and PATCH of one event serialise.
- Published events keep venue_id, grades (codes, names, prices, order) and seat_grades
  (409 EVENT_PUBLISHED naming the fields); title, description, times, sale window, ticket
  limit, queue policy and poster may still change, and each change is announced with
  EventUpdated. Canceled events change no more (409 EVENT_CANCELED); canceling twice is a
  no-op. Only a published event's cancellation emits EventCanceled (drafts were never known
  outside the catalog).
- Times need an offset; starts_at < ends_at; sale_opens_at < sale_closes_at ≤ starts_at
  (tickets are sold before the doors open). Publishing needs sale_closes_at in the future.
  Every section of the venue maps to a grade, and every grade is used by a section.
- sale_state and per-grade availability are computed per request from the clock and
  booking's counts (`booking:availability:{event_id}`, a Redis hash grade → seats left,
  through the AvailabilitySource port); until booking reports, every seat is available.
- Lists: published by default; `status=draft` lists the caller's drafts (all for admins);
  `mine=true` lists the caller's events of any status. `q` is a substring match on a
  normalised (NFKC, case-folded) text of title, venue name and address, so Korean and
  full-width input work; no index serves it (pg_trgm is not in every embedded build): the
  status/venue/organizer + starts_at indexes narrow the rows and public pages are cached.
- Event details and public list pages are cached in Redis, invalidated by version keys
  after each commit (see adapters/cache.py), with short TTLs; concurrent misses in one
  process share one database load.
"""
