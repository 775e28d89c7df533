"""Which headers cross the gateway, and the X-Forwarded-* ones it adds on the way in."""

from __future__ import annotations

from collections.abc import Iterable

RawHeaders = list[tuple[bytes, bytes]]

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. `host` is set by the
# upstream client from the service URL; `expect` is answered by our own server.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"expect",
    }
)

# Our own server writes these on every answer; passing the upstream's would duplicate them.
_SERVER_SET = frozenset({b"date", b"server"})

_FORWARDED = frozenset({b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"})


def _connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    # Headers named in Connection are hop-by-hop too (e.g. `Connection: close, x-secret`).
    tokens: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            tokens.update(t.strip().lower() for t in value.split(b",") if t.strip())
    return tokens


def end_to_end(
    headers: Iterable[tuple[bytes, bytes]], *, drop: frozenset[bytes] = frozenset()
) -> RawHeaders:
    """The headers minus hop-by-hop ones (and `drop`), names lower-cased, order and repeats kept."""
    items = [(name.lower(), value) for name, value in headers]
    skip = HOP_BY_HOP | drop | _connection_tokens(items)
    return [
        (name, value)
        for name, value in items
        if name not in skip and not name.startswith(b"proxy-")
    ]


def request_headers(
    headers: Iterable[tuple[bytes, bytes]],
    *,
    client_host: str | None,
    scheme: str,
    request_id: str,
    trust_forwarded: bool,
    drop: frozenset[bytes] = frozenset(),
) -> RawHeaders:
    """What an upstream receives: end-to-end headers, the request id and X-Forwarded-*."""
    items = [(name.lower(), value) for name, value in headers]
    given = {name: value for name, value in items if name in _FORWARDED}
    chain = b", ".join(v for n, v in items if n == b"x-forwarded-for" and v.strip())
    host = next((v for n, v in items if n == b"host"), b"")
    forwarded = end_to_end(items, drop=drop | _FORWARDED | {b"x-request-id"})
    # Append, as every proxy does; the services decide how many hops to trust.
    if client_host:
        chain = chain + b", " + client_host.encode() if chain else client_host.encode()
    if chain:
        forwarded.append((b"x-forwarded-for", chain))
    # Proto and host describe the client's view; only a trusted proxy in front may say otherwise.
    proto = given.get(b"x-forwarded-proto") if trust_forwarded else None
    fhost = given.get(b"x-forwarded-host") if trust_forwarded else None
    forwarded.append((b"x-forwarded-proto", proto or scheme.encode()))
    if fhost or host:
        forwarded.append((b"x-forwarded-host", fhost or host))
    forwarded.append((b"x-request-id", request_id.encode()))
    return forwarded


def response_headers(headers: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
    """What the client receives of an upstream's answer."""
    return end_to_end(headers, drop=_SERVER_SET)
