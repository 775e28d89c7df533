import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha256, toHex } from "./sha256";
import { leadingZeroBits, solveRange, verify } from "./solver";

const nodeSha = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

describe("sha256", () => {
  it.each(["", "abc", "a".repeat(55), "b".repeat(56), "c".repeat(64), "d".repeat(200), "대기열:좌석🎫"])(
    "matches node's digest for %j",
    (text) => {
      expect(toHex(sha256(new TextEncoder().encode(text)))).toBe(nodeSha(text));
    },
  );
});

describe("proof of work", () => {
  it("counts leading zero bits", () => {
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x10, 0xff]))).toBe(19);
    expect(leadingZeroBits(new Uint8Array([0x80]))).toBe(0);
    expect(leadingZeroBits(new Uint8Array([0, 0]))).toBe(16);
  });

  it("finds a nonce the server's rule accepts", () => {
    const challenge = "evt-42.1700000000.abcdef";
    const nonce = solveRange(challenge, 12);
    expect(nonce).not.toBeNull();
    // The API's rule: SHA-256(challenge + ":" + nonce) starts with `difficulty` zero bits.
    const digest = Buffer.from(nodeSha(`${challenge}:${nonce}`), "hex");
    expect(leadingZeroBits(new Uint8Array(digest))).toBeGreaterThanOrEqual(12);
    expect(verify(challenge, nonce!, 12)).toBe(true);
  });

  it("gives up at the end of its range", () => {
    expect(solveRange("x", 64, 0, 50)).toBeNull();
  });
});
