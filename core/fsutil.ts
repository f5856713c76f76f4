/**
 * File helpers shared by everything that reads or writes: nothing is ever written half, every I/O error
 * names its path and says in words what is wrong, and only regular files are read as data (a FIFO or a
 * device would block or never end).
 */
import { constants, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { lstat, mkdir, open, readdir, rename, rm, writeFile, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { ClaveError, FileError, fsReason } from "./errors.ts";

/**
 * `error` as a ClaveError naming `path`: clave's own errors pass through; a Node file-system error
 * becomes a FileError whose reason says in words what went wrong (`fsReason`; `doing` adds "cannot
 * write: ...").
 */
export function fileError(path: string, error: unknown, doing?: string): ClaveError {
  if (error instanceof ClaveError) return error;
  const words = fsReason(error);
  return new FileError(path, doing ? `cannot ${doing}: ${words}` : words, { cause: error });
}

/** Why a stat is not of a regular file, in words: `is a FIFO (named pipe), not a regular file`. */
export function notRegular(stats: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  const kind = stats.isDirectory()
    ? "a folder"
    : stats.isFIFO()
      ? "a FIFO (named pipe)"
      : stats.isCharacterDevice()
        ? "a character device"
        : stats.isBlockDevice()
          ? "a block device"
          : stats.isSocket()
            ? "a socket"
            : "not a file";
  return `is ${kind}, not a regular file`;
}

/**
 * Open `path` for reading if it is a regular file, else throw a FileError naming it. The open does not
 * block (a FIFO without a writer would wait forever) and the check is made on the opened file, so a
 * file swapped between a check and the open cannot slip through.
 */
export async function openRegularFile(path: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fileError(path, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new FileError(path, notRegular(stats));
    return { handle, size: stats.size };
  } catch (error) {
    await handle.close();
    throw fileError(path, error);
  }
}

const TEMP_SUFFIX = ".tmp";

function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}${TEMP_SUFFIX}`);
}

/** The writer's pid of a temporary made by `writeFileAtomic` (`.<name>.<pid>.<8 hex>.tmp`), else undefined. */
export function temporaryOwner(name: string): number | undefined {
  const m = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Whether process `pid` of this host is running (signal 0 checks without sending anything). */
export function processRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Temporaries younger than this are left alone even when their pid is gone (another host may own them). */
export const STALE_TEMP_GRACE_MS = 10 * 60 * 1000;
/** Temporaries older than this are removed whoever wrote them: no write takes a day. */
export const STALE_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Remove the temporaries `writeFileAtomic` left in `dir` when its process was killed: those whose pid
 * no longer runs (and that are older than a grace period), and any older than a day. Returns the paths
 * removed. A missing folder has none; errors removing one are ignored (the next run tries again).
 */
export async function removeStaleTemporaries(dir: string, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = temporaryOwner(name);
    if (pid === undefined) continue;
    const path = join(dir, name);
    try {
      const stats = await lstat(path);
      if (!stats.isFile()) continue;
      const age = now - stats.mtimeMs;
      if (age > STALE_TEMP_MAX_AGE_MS || (age > STALE_TEMP_GRACE_MS && !processRunning(pid))) {
        await rm(path, { force: true });
        removed.push(path);
      }
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

/** A folder that could not be made: EEXIST there means a file of that name is in the way. */
function folderError(dir: string, error: unknown): ClaveError {
  if ((error as NodeJS.ErrnoException).code === "EEXIST") return new FileError(dir, "is a file, not a folder", { cause: error });
  return fileError(dir, error, "create folder");
}

/**
 * Write `data` to `path` atomically: write a temporary sibling, then rename it over `path`, so a
 * reader sees either the old file or the whole new one, never a part. Errors (a full disk, a folder
 * that is a file) are FileErrors naming `path`. `mode` is the new file's permissions (e.g. 0o600 for
 * secrets): the temporary is created with it, so the content is never readable by others, not even briefly.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    throw folderError(dirname(path), error);
  }
  const tmp = tempSibling(path);
  try {
    await writeFile(tmp, data, options.mode === undefined ? undefined : { mode: options.mode });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw fileError(path, error, "write");
  }
}

/** Synchronous `writeFileAtomic`, for worker threads and exit paths. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw folderError(dirname(path), error);
  }
  const tmp = tempSibling(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw fileError(path, error, "write");
  }
}
