import { solveRange } from "./solver";

/** Solve a challenge in a Web Worker (on the main thread where there are no workers). */
export function solveChallenge(challenge: string, difficulty: number): Promise<string> {
  if (difficulty <= 0) return Promise.resolve("0");
  if (typeof Worker === "undefined") {
    return Promise.resolve(solveRange(challenge, difficulty) ?? "0");
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./pow.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (message: MessageEvent<{ nonce: string }>) => {
      worker.terminate();
      resolve(message.data.nonce);
    };
    worker.onerror = (error) => {
      worker.terminate();
      reject(new Error(error.message || "proof-of-work worker failed"));
    };
    worker.postMessage({ challenge, difficulty });
  });
}
