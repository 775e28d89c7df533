"""A client process of real python-socketio clients in one event's room (socket-fanout).

Run by the harness as `python -m bench.socket_clients ...`; it talks over its pipes, one JSON
line per answer:

- on start it connects `--count` clients over WebSocket, each signed in with a fan's token,
  joins them to the event's room and prints `{"connected": n, "failed": n, "errors": {...}}`;
- on a `collect` line it prints `{"receipts": [[client, seat_id, unix_time], ...]}` for every
  seat change each client received since the last collect;
- on a `quit` line (or end of input) it disconnects everyone and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import socketio


class Clients:
    """Socket.IO clients of one process, and what they received."""

    def __init__(self, url: str, event_id: str, tokens: list[str]) -> None:
        self.url = url
        self.event_id = event_id
        self.tokens = tokens
        self.clients: list[socketio.AsyncClient] = []
        self.receipts: list[tuple[int, int, float]] = []
        self.errors: Counter[str] = Counter()

    def _listener(self, index: int) -> Any:
        def on_change(message: dict[str, Any]) -> None:
            now = time.time()
            for change in message.get("changes", []):
                self.receipts.append((index, int(change["id"]), now))

        return on_change

    async def _one(
        self, index: int, session: aiohttp.ClientSession, gate: asyncio.Semaphore
    ) -> None:
        client = socketio.AsyncClient(reconnection=False, http_session=session)
        client.on("seats:changed", self._listener(index))
        token = self.tokens[index % len(self.tokens)]
        async with gate:
            try:
                await client.connect(
                    self.url, auth={"token": token}, transports=["websocket"], wait_timeout=60
                )
                answer = await client.call("join_event", {"event_id": self.event_id}, timeout=60)
            except (socketio.exceptions.SocketIOError, OSError, TimeoutError) as exc:
                self.errors[type(exc).__name__] += 1
                if client.connected:
                    await client.disconnect()
                return
        if not (isinstance(answer, dict) and answer.get("ok")):
            self.errors[f"join refused: {answer}"[:80]] += 1
            await client.disconnect()
            return
        self.clients.append(client)

    async def connect(self, count: int, session: aiohttp.ClientSession, concurrency: int) -> None:
        """Connect and join `count` clients, `concurrency` handshakes at a time."""
        gate = asyncio.Semaphore(concurrency)
        await asyncio.gather(*(self._one(i, session, gate) for i in range(count)))

    async def close(self) -> None:
        """Disconnect everyone."""
        await asyncio.gather(*(c.disconnect() for c in self.clients), return_exceptions=True)


def _say(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def main_async(args: argparse.Namespace, tokens: list[str]) -> None:
    """Connect, report, then serve collect/quit commands from stdin."""
    clients = Clients(args.url, args.event, tokens)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        await clients.connect(args.count, session, args.connect_concurrency)
        _say({"connected": len(clients.clients), "failed": sum(clients.errors.values()),
              "errors": dict(clients.errors)})  # fmt: skip
        loop = asyncio.get_running_loop()
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line == "collect":
                receipts, clients.receipts = clients.receipts, []
                _say({"receipts": receipts})
            elif line in {"quit", ""}:
                break
        await clients.close()


def main() -> None:
    """Entry point of the client process."""
    parser = argparse.ArgumentParser(prog="python -m bench.socket_clients")
    parser.add_argument("--url", required=True)
    parser.add_argument("--event", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--tokens", required=True, help="JSON file: a list of access tokens")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        pass
    asyncio.run(main_async(args, json.loads(Path(args.tokens).read_text())))


if __name__ == "__main__":
    main()
