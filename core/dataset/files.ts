/**
 * Whether a path named by a manifest can be read as a file. Checked with `stat` before anything opens
 * it: reading a FIFO blocks until a writer comes, and `/dev/zero` never ends.
 */
import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { fsReason } from "../errors.ts";
import { notRegular } from "../fsutil.ts";

export interface FileFault {
  /** `missing`: nothing there (or the path cannot be followed); `not_a_file`: a folder, FIFO, device or socket. */
  readonly kind: "missing" | "not_a_file";
  /** In words, e.g. `does not exist (ENOENT)`, `is a FIFO (named pipe), not a regular file`. */
  readonly reason: string;
}

/** What keeps `path` from being read as a regular file (symbolic links followed), or null when nothing does. */
export async function fileFault(path: string): Promise<FileFault | null> {
  let s: Stats;
  try {
    s = await stat(path);
  } catch (error) {
    return { kind: "missing", reason: fsReason(error) };
  }
  return s.isFile() ? null : { kind: "not_a_file", reason: notRegular(s) };
}
