import { createHmac, randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { DIGEST_PREFIX } from "../syscalls/mod.ts";

/**
 * The key of the audit trail's secret digests (SPEC §9, Secrets): `<state>/audit.key`, 32
 * random bytes made at the first start, with the state directory's file mode (0600, or 0640
 * with the read group). A plain hash of an API key in a world-readable trail could be checked
 * against guesses by anyone; an HMAC under a key nobody else can read cannot, yet the owner can
 * still prove what was set (`agentsys audit digest`).
 */
export const AUDIT_KEY_FILE = "audit.key";

export function loadAuditKey(stateDir: string, mode = 0o600): Buffer {
  const path = `${stateDir}/${AUDIT_KEY_FILE}`;
  try {
    const fd = openSync(path, "wx", mode);
    try {
      writeSync(fd, randomBytes(32));
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const key = readFileSync(path);
  if (key.length < 16) throw new Error(`${path}: too short to be a key (${key.length} bytes); remove it to make a new one (older digests then no longer match)`);
  return key;
}

/** DIGEST_PREFIX (`hmac-sha256:`) and the first 128 bits of HMAC-SHA256(key, value), in hex. */
export function createSecretDigest(key: Buffer): (value: string) => string {
  return (value) => `${DIGEST_PREFIX}${createHmac("sha256", key).update(value, "utf8").digest("hex").slice(0, 32)}`;
}
