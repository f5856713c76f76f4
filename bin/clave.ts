#!/usr/bin/env bun
/** Entry point of the `clave` command (run by Bun from sources, or by Node from the build). */
import { main } from "../cli/main.ts";
import { builtinPlugins } from "../plugins/index.ts";

process.exitCode = await main(process.argv.slice(2), { builtins: builtinPlugins });
