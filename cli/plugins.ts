/** `clave plugins`: every plugin the registry holds, with its params (enumerations with their values) and their defaults. */
import type { Command } from "commander";
import { UsageError } from "../core/errors.ts";
import { PLUGIN_KINDS, type PluginKind } from "../core/plugin.ts";
import { cliRegistry } from "./context.ts";
import { printable } from "./table.ts";

export function registerPlugins(program: Command): void {
  program
    .command("plugins")
    .description("list the sources, features and models clave knows, with their params and defaults")
    .option("--kind <kind>", `only one kind: ${PLUGIN_KINDS.join(", ")}`)
    .option("--json", "print JSON (a list of {kind, name, description, origin, params})")
    .addHelpText(
      "after",
      `
Plugins come from clave itself, from clave.config.{ts,json} in the working directory, and from
--plugin PATH|PACKAGE (repeatable, before the command). Examples:
  clave plugins --kind feature
  clave --plugin ./my-feature.ts plugins --json`,
    )
    .action(async (options: { kind?: string; json?: boolean }) => {
      if (options.kind !== undefined && !PLUGIN_KINDS.includes(options.kind as PluginKind)) {
        throw new UsageError(`--kind ${options.kind}: expected one of ${PLUGIN_KINDS.join(", ")}`);
      }
      const registry = await cliRegistry();
      const plugins = registry.describe(options.kind as PluginKind | undefined);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(plugins, null, 2)}\n`);
        return;
      }
      for (const kind of PLUGIN_KINDS) {
        const ofKind = plugins.filter((p) => p.kind === kind);
        if (ofKind.length === 0) continue;
        process.stdout.write(`\n${kind}s\n`);
        for (const p of ofKind) {
          const origin = p.origin === "builtin" ? "" : `  [${p.origin}]`;
          process.stdout.write(`  ${printable(`${p.name} — ${p.description}${origin}`)}\n`);
          for (const param of p.params) {
            const value = param.required ? "(required)" : `= ${JSON.stringify(param.default)}`;
            const help = param.description ? `  ${param.description}` : "";
            process.stdout.write(`      ${printable(`${param.name}: ${param.type} ${value}${help}`)}\n`);
          }
        }
      }
    });
}
