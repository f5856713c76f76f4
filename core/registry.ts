/**
 * The registry: every plugin clave knows, by kind and name. It validates each plugin as it is added
 * (hooks present, params a schema with valid defaults, name unique within its kind) and refuses a
 * broken one with an error naming the plugin, the file it came from and the field.
 */
import { ClaveError, PluginError } from "./errors.ts";
import { describeParams, type ParamDescription } from "./params.ts";
import {
  PLUGIN_KINDS,
  REQUIRED_HOOKS,
  type FeaturePlugin,
  type ModelPlugin,
  type Plugin,
  type PluginKind,
  type SourcePlugin,
} from "./plugin.ts";

/** Where a plugin came from: `builtin`, a file path or a package name. */
export interface RegisteredPlugin {
  readonly plugin: Plugin;
  readonly origin: string;
}

/** A plugin as `clave plugins --json` lists it. */
export interface PluginDescription {
  readonly kind: PluginKind;
  readonly name: string;
  readonly description: string;
  readonly origin: string;
  readonly params: ParamDescription[];
}

/** Asked for a plugin the registry does not have. */
export class UnknownPluginError extends ClaveError {
  override readonly exitCode = 2;
  constructor(
    readonly kind: PluginKind,
    readonly pluginName: string,
    available: readonly string[],
  ) {
    super(`no ${kind} plugin named ${JSON.stringify(pluginName)} (available: ${available.join(", ") || "none"})`);
  }
}

const NAME = /^[a-z][a-z0-9_-]*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

interface ZodNode {
  _zod?: { def?: { type?: string; defaultValue?: unknown; innerType?: ZodNode } };
  safeParse?(value: unknown): { success: boolean; error?: { issues: { message: string }[] } };
}

/** Fields whose default fails the field's own schema (zod returns defaults without checking them). */
function invalidDefaults(schema: { shape: Record<string, unknown> }): [string, string][] {
  const out: [string, string][] = [];
  for (const [field, node] of Object.entries(schema.shape) as [string, ZodNode][]) {
    const def = node?._zod?.def;
    if (def?.type !== "default" || !def.innerType?.safeParse) continue;
    const result = def.innerType.safeParse(def.defaultValue);
    if (!result.success) out.push([field, result.error?.issues[0]?.message ?? "rejected by its schema"]);
  }
  return out;
}

/** Check that `value` is a well-formed plugin; throw `PluginError` naming what is wrong. */
export function validatePlugin(value: unknown, origin: string): Plugin {
  if (!isRecord(value)) throw new PluginError("?", origin, undefined, `a plugin must be an object, got ${typeof value}`);
  const name = typeof value.name === "string" ? value.name : "?";
  const fail = (field: string, reason: string): never => {
    throw new PluginError(name, origin, field, reason);
  };
  if (typeof value.name !== "string") fail("name", "missing or not a string");
  if (!NAME.test(name)) fail("name", "must be lower-case letters, digits, _ or -, starting with a letter");
  const kind = value.kind as PluginKind;
  if (!PLUGIN_KINDS.includes(kind)) {
    fail("kind", `must be one of ${PLUGIN_KINDS.join(", ")} (use defineSource, defineFeature or defineModel)`);
  }
  if (typeof value.description !== "string" || value.description.trim() === "") {
    fail("description", "missing: one sentence saying what the plugin does");
  }
  const params = value.params as { safeParse?: unknown; shape?: unknown; _zod?: unknown } | undefined;
  if (!isRecord(params) || typeof params.safeParse !== "function" || !isRecord(params.shape) || !params._zod) {
    fail("params", "must be a zod object schema, e.g. z.object({ n_fft: z.number().default(2048) })");
  }
  for (const [field, reason] of invalidDefaults(params as { shape: Record<string, unknown> })) {
    fail(`params.${field}`, `invalid default: ${reason}`);
  }
  for (const hook of REQUIRED_HOOKS[kind]) {
    if (typeof value[hook] !== "function") fail(hook, `missing hook: a ${kind} plugin must define ${hook}()`);
  }
  return value as unknown as Plugin;
}

export class Registry {
  readonly #plugins = new Map<string, RegisteredPlugin>();

  constructor(entries: Iterable<RegisteredPlugin> = []) {
    for (const { plugin, origin } of entries) this.add(plugin, origin);
  }

  /** Validate and add a plugin. A second plugin of the same kind and name is refused. */
  add(plugin: unknown, origin: string): Plugin {
    const valid = validatePlugin(plugin, origin);
    const key = `${valid.kind}:${valid.name}`;
    const existing = this.#plugins.get(key);
    if (existing) {
      throw new PluginError(valid.name, origin, "name", `duplicate ${valid.kind} name, already defined by ${existing.origin}`);
    }
    this.#plugins.set(key, { plugin: valid, origin });
    return valid;
  }

  has(kind: PluginKind, name: string): boolean {
    return this.#plugins.has(`${kind}:${name}`);
  }

  get(kind: PluginKind, name: string): Plugin {
    const entry = this.#plugins.get(`${kind}:${name}`);
    if (!entry) throw new UnknownPluginError(kind, name, this.names(kind));
    return entry.plugin;
  }

  source(name: string): SourcePlugin {
    return this.get("source", name) as SourcePlugin;
  }

  feature(name: string): FeaturePlugin {
    return this.get("feature", name) as FeaturePlugin;
  }

  model(name: string): ModelPlugin {
    return this.get("model", name) as ModelPlugin;
  }

  /** Registered plugins, in kind order then registration order. */
  list(kind?: PluginKind): RegisteredPlugin[] {
    const all = [...this.#plugins.values()];
    return PLUGIN_KINDS.filter((k) => !kind || k === kind).flatMap((k) => all.filter((e) => e.plugin.kind === k));
  }

  names(kind: PluginKind): string[] {
    return this.list(kind).map((e) => e.plugin.name);
  }

  describe(kind?: PluginKind): PluginDescription[] {
    return this.list(kind).map(({ plugin, origin }) => ({
      kind: plugin.kind,
      name: plugin.name,
      description: plugin.description,
      origin,
      params: describeParams(plugin),
    }));
  }
}
