import { useEffect, useRef, useState } from "react";
import { getSocket } from "./socket";

/**
 * Join a room while mounted: `join_event` / `join_queue` with `{event_id}`, again after every
 * reconnection (the server forgets rooms), and call `onResync` then: messages sent while the
 * socket was away are lost, so the page refetches.
 */
export function useRoom(
  joinEvent: string,
  eventId: string | undefined,
  onResync?: () => void,
): boolean {
  const [connected, setConnected] = useState(false);
  const resync = useRef(onResync);
  resync.current = onResync;
  useEffect(() => {
    if (!eventId) return;
    const socket = getSocket();
    let first = true;
    const join = () => {
      setConnected(true);
      socket.emit(joinEvent, { event_id: eventId });
      if (!first) resync.current?.();
      first = false;
    };
    const lost = () => setConnected(false);
    socket.on("connect", join);
    socket.on("disconnect", lost);
    if (socket.connected) join();
    return () => {
      socket.off("connect", join);
      socket.off("disconnect", lost);
      if (joinEvent === "join_event") socket.emit("leave_event", { event_id: eventId });
    };
  }, [joinEvent, eventId]);
  return connected;
}

/** Listen to one server event while mounted. */
export function useSocketEvent<T>(name: string, handler: (payload: T) => void): void {
  const current = useRef(handler);
  current.current = handler;
  useEffect(() => {
    const socket = getSocket();
    const listener = (payload: T) => current.current(payload);
    socket.on(name, listener);
    return () => {
      socket.off(name, listener);
    };
  }, [name]);
}
