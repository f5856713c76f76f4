/** Content hashes: a file's sha256, read as a stream so large audio files never sit in memory. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** sha256 of a file's bytes, lower-case hex. */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash("sha256");
    const stream = createReadStream(path);
    stream.on("error", reject);
    stream.on("data", (chunk) => hash.update(chunk));
    stream.on("end", () => resolvePromise(hash.digest("hex")));
  });
}

/** sha256 of bytes in memory, lower-case hex. */
export function hashBytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
