/**
 * Plugin params: validation against a plugin's schema with errors that name the plugin and field,
 * parsing of `--param plugin.key=value` strings, and a plain description for listings.
 */
import { z } from "zod";
import { ParamError, UsageError } from "./errors.ts";
import type { ParamsOf, ParamsSchema, Plugin } from "./plugin.ts";

/** A field's schema without its `default`, `optional`, `nullable`... wrappers. */
function innerSchema(field: unknown): { type: string } {
  let def = (field as { def: { type: string; innerType?: unknown } }).def;
  while (def.innerType !== undefined && ["default", "prefault", "optional", "nullable", "readonly", "catch", "nonoptional"].includes(def.type)) {
    def = (def.innerType as { def: typeof def }).def;
  }
  return def;
}

/** A list item as typed on a command line: JSON when it parses (`8`, `true`, `"a b"`), else the trimmed text. */
function parseListItem(text: string): unknown {
  const item = text.trim();
  try {
    return JSON.parse(item);
  } catch {
    return item;
  }
}

/**
 * A value for an array field as the schema wants it: a comma list (`8,4`, what `--param
 * hidden_units=8,4` gives) split into its items, a single value (`8`) as a list of one.
 */
function asList(value: unknown): unknown {
  if (Array.isArray(value) || value === undefined || value === null) return value;
  if (typeof value === "string") return value.trim() === "" ? [] : value.split(",").map(parseListItem);
  return [value];
}

/**
 * Validate `values` against `plugin.params`, filling defaults. A value for a list field may be a comma
 * list or a single item (`"8,4"`, `8`). Throws `ParamError` on the first bad field.
 */
export function resolveParams<S extends ParamsSchema>(
  plugin: { name: string; params: S },
  values: Readonly<Record<string, unknown>> = {},
): ParamsOf<S> {
  const shape = plugin.params.shape as Record<string, unknown>;
  const known = Object.keys(shape);
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (!known.includes(key)) {
      throw new ParamError(plugin.name, key, `unknown parameter (known: ${known.join(", ") || "none"})`);
    }
    given[key] = innerSchema(shape[key]).type === "array" ? asList(value) : value;
  }
  const result = plugin.params.safeParse(given);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.map(String).join(".") || "(params)";
    const absent = issue.path.length === 1 && given[String(issue.path[0])] === undefined;
    const reason = issue.code === "invalid_type" && absent ? "is required" : issue.message;
    const item = issue.path.length > 1 ? ` (the value given: ${JSON.stringify(given[String(issue.path[0])])})` : "";
    throw new ParamError(plugin.name, field, `${reason}${item}`);
  }
  return result.data as ParamsOf<S>;
}

/**
 * Parse a command-line value: JSON when it parses (numbers, booleans, `[8,4]`), else the raw string.
 * A comma list (`8,4`, `a,b`) stays a string here; `resolveParams` splits it for list fields only, so
 * a string param may hold a comma.
 */
export function parseParamValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Group `plugin.key=value` assignments by plugin: `["mfcc.n_mfcc=20"]` → `{ mfcc: { n_mfcc: 20 } }`.
 * A bare `key=value` goes to `defaultPlugin` when one is given.
 */
export function parseParamAssignments(
  assignments: readonly string[],
  defaultPlugin?: string,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param ${assignment}: expected plugin.key=value`);
    const lhs = assignment.slice(0, eq);
    const dot = lhs.indexOf(".");
    const plugin = dot > 0 ? lhs.slice(0, dot) : defaultPlugin;
    const key = dot > 0 ? lhs.slice(dot + 1) : lhs;
    if (!plugin || !key) throw new UsageError(`--param ${assignment}: expected plugin.key=value`);
    (out[plugin] ??= {})[key] = parseParamValue(assignment.slice(eq + 1));
  }
  return out;
}

/** One parameter as `clave plugins` shows it. */
export interface ParamDescription {
  readonly name: string;
  /** `number`, `boolean`, `string[]`, an enumeration as its values (`"none" | "balanced"`)... */
  readonly type: string;
  readonly required: boolean;
  readonly default?: unknown;
  readonly description?: string;
  /** Allowed values, for enumerations. */
  readonly values?: readonly unknown[];
}

interface JsonSchemaNode {
  type?: string | string[];
  default?: unknown;
  description?: string;
  enum?: unknown[];
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
}

function typeName(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (node.anyOf) return node.anyOf.map(typeName).join(" | ");
  if (node.type === "array") {
    const item = node.items ? typeName(node.items) : "any";
    return item.includes(" | ") ? `(${item})[]` : `${item}[]`;
  }
  if (Array.isArray(node.type)) return node.type.join(" | ");
  return node.type ?? "any";
}

/** The params of a plugin, with types, defaults and help, from its zod schema. */
export function describeParams(plugin: Pick<Plugin, "params">): ParamDescription[] {
  const schema = z.toJSONSchema(plugin.params, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, JsonSchemaNode>;
    required?: string[];
  };
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, node]) => ({
    name,
    type: typeName(node),
    required: required.has(name) && node.default === undefined,
    ...(node.default !== undefined ? { default: node.default } : {}),
    ...(node.description ? { description: node.description } : {}),
    ...(node.enum ? { values: node.enum } : {}),
  }));
}
