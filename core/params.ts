/**
 * Plugin params: validation against a plugin's schema with errors that name the plugin and field,
 * parsing of `--param plugin.key=value` strings, and a plain description for listings.
 */
import { z } from "zod";
import { ParamError, UsageError } from "./errors.ts";
import type { ParamsOf, ParamsSchema, Plugin } from "./plugin.ts";

/** Validate `values` against `plugin.params`, filling defaults. Throws `ParamError` on the first bad field. */
export function resolveParams<S extends ParamsSchema>(
  plugin: { name: string; params: S },
  values: Readonly<Record<string, unknown>> = {},
): ParamsOf<S> {
  const known = Object.keys(plugin.params.shape);
  for (const key of Object.keys(values)) {
    if (!known.includes(key)) {
      throw new ParamError(plugin.name, key, `unknown parameter (known: ${known.join(", ") || "none"})`);
    }
  }
  const result = plugin.params.safeParse(values);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.map(String).join(".") || "(params)";
    const reason = issue.code === "invalid_type" && values[field] === undefined ? "is required" : issue.message;
    throw new ParamError(plugin.name, field, reason);
  }
  return result.data as ParamsOf<S>;
}

/** Parse a command-line value: JSON when it parses (numbers, booleans, lists), else the raw string. */
export function parseParamValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Comma lists of bare words (`a,b`) are lists of strings.
    return text.includes(",") && !/[[{"]/.test(text) ? text.split(",").map((s) => s.trim()) : text;
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
  if (node.enum) return "enum";
  if (node.anyOf) return node.anyOf.map(typeName).join(" | ");
  if (node.type === "array") return `${node.items ? typeName(node.items) : "any"}[]`;
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
