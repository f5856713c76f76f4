/**
 * Text that comes from data (ids, labels, titles, paths), made safe to print, and the warnings that
 * library calls send to their caller.
 */

const NAMED_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `text` with the characters that act on a terminal shown as escapes (`\x1b`, `\n`, `\u202e`): C0 and
 * C1 controls, DEL, and the Unicode line separators and bidirectional overrides. Ids, labels, titles
 * and paths come from data; printed raw, `"\x1b[2J"` in a label would clear the screen and a line
 * break in an id would forge a line of output.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return NAMED_ESCAPES[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
  });
}

/** Text for HTML content and attribute values: every character that means something in HTML escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A line of a message for the terminal: `clave: <text>` with the data in it made printable. */
export function messageLine(text: string): string {
  return `clave: ${printable(text)}\n`;
}

/** Where a library call sends what looks unintended in its input (it goes on regardless). */
export type WarningSink = (message: string) => void;

/** The default sink: `clave: warning: ...` on stderr (a notebook shows stderr under the cell). */
export const warnToStderr: WarningSink = (message) => {
  process.stderr.write(messageLine(`warning: ${message}`));
};

/**
 * tfjs's orthogonal initialiser warns on every large recurrent kernel it fills (an expected
 * fallback, not a problem of the user's model).
 */
export const ORTHOGONAL_WARNING = /^Orthogonal initializer/;

/**
 * Run `fn` with the console warnings matching `pattern` left out; others pass. A promise `fn`
 * returns keeps them out until it settles.
 */
export function quietly<T>(pattern: RegExp, fn: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!(typeof args[0] === "string" && pattern.test(args[0]))) warn(...args);
  };
  const restore = () => {
    console.warn = warn;
  };
  let out: T;
  try {
    out = fn();
  } catch (error) {
    restore();
    throw error;
  }
  if (out instanceof Promise) return out.finally(restore) as T;
  restore();
  return out;
}
