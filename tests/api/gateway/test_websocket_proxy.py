"""Socket.IO's WebSocket goes through the gateway to booking, frames both ways, closes intact."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from tests.api.gateway.conftest import StartGateway
from tests.api.gateway.support import RunningServer, Upstream, closed_port, header_values


def ws_url(server: RunningServer, path: str = "/socket.io/?EIO=4&transport=websocket") -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


async def until(condition: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.02)


async def test_text_and_binary_frames_are_echoed_through_the_gateway(
    gateway: RunningServer,
) -> None:
    async with connect(ws_url(gateway), proxy=None) as socket:
        await socket.send("hello")
        assert await socket.recv() == "echo:hello"
        await socket.send(b"\x00\x01\xff")
        assert await socket.recv() == b"echo:\x00\x01\xff"
        big = "x" * 200_000
        await socket.send(big)
        assert await socket.recv() == "echo:" + big


async def test_the_upgrade_carries_query_request_id_and_forwarded_for(
    gateway: RunningServer,
) -> None:
    async with connect(
        ws_url(gateway),
        proxy=None,
        additional_headers={"X-Request-ID": "ws-trace-1", "X-Forwarded-For": "198.51.100.7"},
    ) as socket:
        await socket.send("headers")
        seen = json.loads(await socket.recv())

    assert seen["query"] == "EIO=4&transport=websocket"
    assert header_values(seen["headers"], "x-request-id") == ["ws-trace-1"]
    assert header_values(seen["headers"], "x-forwarded-for") == ["198.51.100.7, 127.0.0.1"]


async def test_the_chosen_subprotocol_is_the_services_choice(gateway: RunningServer) -> None:
    offered = [Subprotocol("chat.v2"), Subprotocol("chat.v1")]
    async with connect(ws_url(gateway), proxy=None, subprotocols=offered) as socket:
        assert socket.subprotocol == "chat.v2"


async def test_the_services_close_code_reaches_the_client(gateway: RunningServer) -> None:
    async with connect(ws_url(gateway), proxy=None) as socket:
        await socket.send("close")
        with pytest.raises(ConnectionClosed):
            await socket.recv()

    assert socket.close_code == 4001
    assert socket.close_reason == "bye"


async def test_the_clients_close_reaches_the_service(
    gateway: RunningServer, seen: Upstream
) -> None:
    before = len(seen.socket_closes)
    async with connect(ws_url(gateway), proxy=None) as socket:
        await socket.send("ping")
        await socket.recv()
        await socket.close(code=4002, reason="leaving")

    await until(lambda: len(seen.socket_closes) > before)
    assert seen.socket_closes[before] == 4002


async def test_a_refused_upgrade_passes_the_services_answer(gateway: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(gateway, "/socket.io/denied/"), proxy=None):
            pass

    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body or b"")["error"]["code"] == "INVALID_TOKEN"


async def test_an_unreachable_realtime_service_is_a_502(start_gateway: StartGateway) -> None:
    gateway = start_gateway(booking_url=f"http://127.0.0.1:{closed_port()}")

    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(gateway), proxy=None):
            pass

    assert refused.value.response.status_code == 502
    error = json.loads(refused.value.response.body or b"")["error"]
    assert error["code"] == "BAD_GATEWAY"
    assert error["details"] == {"service": "booking"}


async def test_an_unconfigured_realtime_service_is_a_503(start_gateway: StartGateway) -> None:
    gateway = start_gateway()

    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(gateway), proxy=None):
            pass

    assert refused.value.response.status_code == 503


async def test_many_sockets_at_once_keep_their_own_frames(gateway: RunningServer) -> None:
    async def one(n: int) -> None:
        async with connect(ws_url(gateway), proxy=None) as socket:
            for i in range(5):
                await socket.send(f"{n}:{i}")
                assert await socket.recv() == f"echo:{n}:{i}"

    await asyncio.gather(*(one(n) for n in range(30)))
