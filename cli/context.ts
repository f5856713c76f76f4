/**
 * What every command shares: the registry, built once from the built-ins the entry point passes in,
 * the config file, and the global `--plugin` options.
 */
import { createRegistry } from "../core/config.ts";
import type { Plugin } from "../core/plugin.ts";
import type { Registry } from "../core/registry.ts";

interface CliState {
  builtins: readonly Plugin[];
  plugins: string[];
  config: boolean;
  registry?: Promise<Registry>;
}

const state: CliState = { builtins: [], plugins: [], config: true };

export function configureCli(options: { builtins?: readonly Plugin[]; plugins?: string[]; config?: boolean }): void {
  if (options.builtins) state.builtins = options.builtins;
  if (options.plugins) state.plugins = options.plugins;
  if (options.config !== undefined) state.config = options.config;
  state.registry = undefined;
}

/** The registry for this invocation: built-ins, `clave.config.*` and `--plugin` modules. */
export function cliRegistry(): Promise<Registry> {
  state.registry ??= createRegistry({ builtins: state.builtins, plugins: state.plugins, config: state.config });
  return state.registry;
}

/** Collect a repeatable option's values (`--plugin a --plugin b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
