// One Socket.IO connection for the app, authenticated with the current access token (the
// organizer's stats and the fan's admission are sent to the user's own room).
import { io, type Socket } from "socket.io-client";
import { refreshOnce } from "../api/client";
import { loadSession, onSession } from "../api/session";

let socket: Socket | null = null;

export function getSocket(): Socket {
  if (!socket) {
    socket = io({
      path: "/socket.io",
      transports: ["websocket", "polling"],
      // A function: every (re)connection sends the token current at that moment.
      auth: (send) => send({ token: loadSession()?.accessToken }),
    });
    let retried = false;
    socket.on("connect", () => {
      retried = false;
    });
    socket.on("connect_error", async () => {
      // A refused handshake (an expired token) is not retried by the client: refresh once.
      if (!socket || socket.active || retried || !loadSession()) return;
      retried = true;
      if (await refreshOnce()) socket.connect();
    });
    let identity = loadSession()?.user.id ?? null;
    onSession((session) => {
      const next = session?.user.id ?? null;
      if (next !== identity && socket) {
        identity = next;
        // A new identity needs a new handshake (rooms are joined again on connect).
        socket.disconnect().connect();
      }
    });
  }
  return socket;
}
