// A fan's browser, as far as Socket.IO goes: the npm socket.io-client the web app uses.
// Usage: node client.mjs URL EVENT_ID [TOKEN]
// Prints one JSON line per step: {"step":"joined",...}, then {"step":"seats:changed",...}
// once a change arrives, or {"step":"refused",...} when the server refuses the token.
import { io } from "socket.io-client";

const [url, eventId, token] = process.argv.slice(2);
const say = (step, data) => console.log(JSON.stringify({ step, ...data }));

const socket = io(url, {
  auth: token ? { token } : {},
  transports: ["websocket"],
  reconnection: false,
  timeout: 5000,
});

socket.on("connect_error", (err) => {
  say("refused", { message: err.message, data: err.data ?? null });
  process.exit(0);
});

socket.on("connect", async () => {
  const answer = await socket.timeout(5000).emitWithAck("join_event", { event_id: eventId });
  say("joined", { answer });
});

socket.on("seats:changed", (message) => {
  say("seats:changed", { message });
  socket.disconnect();
  process.exit(0);
});

setTimeout(() => {
  say("timeout", {});
  process.exit(2);
}, 20000);
