/** Content hashes: a file's sha256, read as a stream so large audio files never sit in memory. */
import { createHash } from "node:crypto";
import { fileError, openRegularFile } from "../fsutil.ts";

/**
 * sha256 of a file's bytes, lower-case hex. Only a regular file is read: a FIFO, a device or a
 * directory is refused with a FileError naming the path (a FIFO or /dev/zero would never end).
 */
export async function hashFile(path: string): Promise<string> {
  const { handle } = await openRegularFile(path);
  const hash = createHash("sha256");
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Uint8Array);
  } catch (error) {
    throw fileError(path, error, "read");
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

/** sha256 of bytes in memory, lower-case hex. */
export function hashBytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
