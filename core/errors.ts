/**
 * Typed errors. Every error that concerns a file carries its path, and the message names it, so a
 * user reading one line of output knows which file to look at and what is wrong with it.
 */

/** Base class of every error clave throws on purpose. `exitCode` is what the CLI exits with. */
export class ClaveError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line usage (unknown flag, missing argument). The CLI exits with 2. */
export class UsageError extends ClaveError {
  override readonly exitCode = 2;
}

/** A plugin that breaks its contract: missing hook, duplicate name, bad params schema. */
export class PluginError extends ClaveError {
  constructor(
    readonly plugin: string,
    readonly file: string | undefined,
    readonly field: string | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `plugin ${JSON.stringify(plugin)}${file ? ` (${file})` : ""}${field ? `: ${field}` : ""}: ${reason}`,
      options,
    );
  }
}

/** Parameters that do not satisfy a plugin's schema. */
export class ParamError extends ClaveError {
  override readonly exitCode = 2;
  constructor(
    readonly plugin: string,
    readonly field: string,
    reason: string,
  ) {
    super(`${plugin}: parameter ${JSON.stringify(field)}: ${reason}`);
  }
}

/** A configuration file that cannot be read or does not have the expected form. */
export class ConfigError extends ClaveError {
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/** No usable compute backend, or a forced one that did not come up. */
export class BackendError extends ClaveError {}

/** A file that is not a valid NumPy `.npy` array, or an array that cannot be written as one. */
export class NpyError extends ClaveError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/**
 * Audio that cannot be decoded: a missing or empty file, bytes that are not audio, a stream the decoder
 * rejects, a format the chosen decoder lacks. `reason` says which, in words a user can act on.
 */
export class AudioDecodeError extends ClaveError {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/** A dataset that cannot be read or built: a manifest with a bad row, a layout that is not the expected one. */
export class DatasetError extends ClaveError {
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/**
 * A manifest whose content is wrong: a bad value in a row (`row` counts data rows from 1, `id` is the
 * row's id when it has one), ids on several rows, a CSV that does not parse.
 */
export class ManifestError extends DatasetError {
  constructor(
    path: string,
    reason: string,
    readonly row?: number,
    readonly id?: string,
    options?: { cause?: unknown },
  ) {
    super(path, `${row !== undefined ? `row ${row}${id ? ` (id ${JSON.stringify(id)})` : ""}: ` : ""}${reason}`, options);
  }
}

/** What a failed file-system call means, in words (with the code): `does not exist (ENOENT)`. */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const words: Record<string, string> = {
    ENOENT: "does not exist",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EISDIR: "is a folder, not a file",
    ENOTDIR: "a part of the path is not a folder",
    EEXIST: "already exists",
    ENOSPC: "no space left on the device",
    EROFS: "the file system is read-only",
    EMFILE: "too many open files",
    ENAMETOOLONG: "the name is too long",
    ELOOP: "too many symbolic links",
    EIO: "input/output error",
  };
  if (code && words[code]) return `${words[code]} (${code})`;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/**
 * A feature that cannot be computed: a signal with NaN or Inf samples, a clip too short for the
 * params, an empty signal, or a plugin whose output breaks its declared shape. `source` names the
 * audio file when there is one.
 */
export class FeatureError extends ClaveError {
  constructor(
    readonly feature: string,
    readonly source: string | undefined,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${source ? `${source}: ` : ""}feature ${JSON.stringify(feature)}: ${reason}`, options);
  }
}

/** Examples a model cannot take: a feature of the wrong rank, data of another shape than it was built for. */
export class InputShapeError extends ClaveError {
  override readonly exitCode = 2;
  constructor(
    readonly model: string,
    reason: string,
  ) {
    super(`${model}: ${reason}`);
  }
}

/** A run folder (`runs/<id>/`) that does not exist or lacks what it should hold. */
export class RunError extends ClaveError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/**
 * A file or folder that cannot be read or written: missing, a directory where a file is expected, not a
 * regular file (a FIFO, a device), no permission, a symlink loop, a full disk. `reason` says which in words.
 */
export class FileError extends ClaveError {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/** A content hash (the key of the feature store) that is not a SHA-256 in lower-case hex; never used as a path. */
export class ContentHashError extends ClaveError {
  constructor(
    readonly value: string,
    readonly where?: string,
  ) {
    super(`${where ? `${where}: ` : ""}content hash ${JSON.stringify(value)} is not a SHA-256 (64 lower-case hex digits)`);
  }
}

/** Data a chart cannot draw (a non-square confusion matrix, a label missing from its list). */
export class ChartError extends ClaveError {
  constructor(
    readonly chart: string,
    reason: string,
  ) {
    super(`${chart} chart: ${reason}`);
  }
}

/** Data a model cannot be fitted on or a saved model that cannot be read (NaN, one class, a bad label). */
export class ModelDataError extends ClaveError {
  constructor(
    readonly model: string,
    readonly reason: string,
  ) {
    super(`${model}: ${reason}`);
  }
}

/**
 * A Spotify Web API or accounts call that failed: refused credentials, a playlist that cannot be read
 * (`playlist` names it as the user gave it), rate limits that outlasted the retries, a reply of
 * another shape. The message never holds a token.
 */
export class SpotifyError extends ClaveError {
  constructor(
    readonly playlist: string | undefined,
    readonly status: number | undefined,
    reason: string,
  ) {
    super(`${playlist ? `Spotify playlist ${playlist}` : "Spotify"}: ${reason}`);
  }
}

/**
 * yt-dlp that could not search or download `target` (a query, a URL): `reason` is its last error line;
 * `permanent` when trying again cannot help (an unsupported URL, no audio-only format).
 */
export class YtDlpError extends ClaveError {
  constructor(
    readonly target: string,
    readonly reason: string,
    readonly permanent = false,
  ) {
    super(`yt-dlp ${target}: ${reason}`);
  }
}
