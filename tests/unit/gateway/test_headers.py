"""Which headers cross the gateway, and the X-Forwarded-* ones it writes."""

from __future__ import annotations

from tiketi.services.gateway.adapters.headers import request_headers, response_headers


def pairs(**headers: str) -> list[tuple[bytes, bytes]]:
    return [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]


def as_dict(raw: list[tuple[bytes, bytes]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for name, value in raw:
        result.setdefault(name.decode(), []).append(value.decode())
    return result


def forward(raw: list[tuple[bytes, bytes]], *, trust: bool = False) -> dict[str, list[str]]:
    return as_dict(
        request_headers(
            raw, client_host="10.0.0.5", scheme="http", request_id="rid-1", trust_forwarded=trust
        )
    )


def test_hop_by_hop_and_connection_named_headers_are_dropped() -> None:
    out = forward(
        [
            (b"Connection", b"keep-alive, X-Private"),
            (b"X-Private", b"1"),
            (b"Keep-Alive", b"timeout=5"),
            (b"TE", b"trailers"),
            (b"Trailer", b"X-Sum"),
            (b"Transfer-Encoding", b"chunked"),
            (b"Upgrade", b"h2c"),
            (b"Proxy-Authorization", b"Basic x"),
            (b"Proxy-Connection", b"keep-alive"),
            (b"Host", b"tiketi.example"),
            (b"Expect", b"100-continue"),
            (b"Authorization", b"Bearer t"),
            (b"Content-Length", b"10"),
        ]
    )

    assert set(out) == {
        "authorization",
        "content-length",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
        "x-request-id",
    }


def test_repeated_end_to_end_headers_keep_their_order() -> None:
    out = forward([(b"accept", b"a"), (b"x-multi", b"1"), (b"x-multi", b"2")])

    assert out["x-multi"] == ["1", "2"]


def test_forwarded_for_is_appended_and_joined_across_repeats() -> None:
    assert forward([])["x-forwarded-for"] == ["10.0.0.5"]
    chained = forward([(b"x-forwarded-for", b"1.1.1.1"), (b"X-Forwarded-For", b"2.2.2.2")])
    assert chained["x-forwarded-for"] == ["1.1.1.1, 2.2.2.2, 10.0.0.5"]


def test_no_client_address_adds_nothing_to_the_chain() -> None:
    out = as_dict(
        request_headers([], client_host=None, scheme="http", request_id="r", trust_forwarded=False)
    )

    assert "x-forwarded-for" not in out


def test_the_request_id_is_ours_not_the_callers_raw_value() -> None:
    out = forward([(b"x-request-id", b"spoof one"), (b"x-request-id", b"two")])

    assert out["x-request-id"] == ["rid-1"]


def test_proto_and_host_come_from_us_unless_a_trusted_proxy_said_so() -> None:
    raw = [
        (b"host", b"gw.local:3001"),
        (b"x-forwarded-proto", b"https"),
        (b"x-forwarded-host", b"tiketi.example"),
    ]

    untrusted = forward(raw)
    trusted = forward(raw, trust=True)

    assert untrusted["x-forwarded-proto"] == ["http"]
    assert untrusted["x-forwarded-host"] == ["gw.local:3001"]
    assert trusted["x-forwarded-proto"] == ["https"]
    assert trusted["x-forwarded-host"] == ["tiketi.example"]


def test_answers_lose_hop_by_hop_and_server_written_headers_only() -> None:
    out = as_dict(
        response_headers(
            [
                (b"Content-Type", b"application/json"),
                (b"Content-Length", b"12"),
                (b"Set-Cookie", b"a=1"),
                (b"Set-Cookie", b"b=2"),
                (b"Connection", b"close"),
                (b"Transfer-Encoding", b"chunked"),
                (b"Proxy-Authenticate", b"Basic"),
                (b"Date", b"Mon"),
                (b"Server", b"uvicorn"),
                (b"Retry-After", b"3"),
            ]
        )
    )

    assert out == {
        "content-type": ["application/json"],
        "content-length": ["12"],
        "set-cookie": ["a=1", "b=2"],
        "retry-after": ["3"],
    }
