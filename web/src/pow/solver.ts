// The waiting room's bot check (API.md): find a nonce such that SHA-256(challenge + ":" + nonce)
// starts with `difficulty` zero bits.
import { sha256 } from "./sha256";

const encoder = new TextEncoder();

/** How many leading bits of `digest` are zero. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** True when `nonce` solves the challenge at this difficulty. */
export function verify(challenge: string, nonce: string, difficulty: number): boolean {
  return leadingZeroBits(sha256(encoder.encode(`${challenge}:${nonce}`))) >= difficulty;
}

/** Try nonces from `start` (`count` of them); the first that solves it, else null. */
export function solveRange(
  challenge: string,
  difficulty: number,
  start = 0,
  count = Number.MAX_SAFE_INTEGER,
): string | null {
  for (let n = start; n < start + count; n++) {
    const nonce = n.toString(36);
    if (verify(challenge, nonce, difficulty)) return nonce;
  }
  return null;
}
