// The proof of work off the main thread, so the waiting room page stays responsive.
import { solveRange } from "./solver";

interface Job {
  challenge: string;
  difficulty: number;
}

self.onmessage = (message: MessageEvent<Job>) => {
  const { challenge, difficulty } = message.data;
  const started = Date.now();
  const nonce = solveRange(challenge, difficulty);
  self.postMessage({ nonce, ms: Date.now() - started });
};
