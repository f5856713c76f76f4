#!/usr/bin/env node
// `npx clave`: runs the CLI with Bun from the TypeScript sources when Bun is installed (it is a
// devDependency), otherwise with this Node from the compiled build in dist/.
"use strict";
const { spawnSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const args = process.argv.slice(2);

function bunBinary() {
  if (process.env.CLAVE_RUNTIME === "node") return undefined;
  const local = join(root, "node_modules", ".bin", "bun");
  if (existsSync(local)) return local;
  const found = spawnSync("bun", ["--version"], { stdio: "ignore" });
  return found.status === 0 ? "bun" : undefined;
}

const bun = bunBinary();
const [command, commandArgs] = bun
  ? [bun, [join(root, "bin", "clave.ts"), ...args]]
  : [process.execPath, [join(root, "dist", "esm", "cli.js"), ...args]];
if (!bun && !existsSync(commandArgs[0])) {
  process.stderr.write("clave: Bun is not installed and dist/ is not built (run `npm install`, or `npm run build`)\n");
  process.exit(1);
}
const result = spawnSync(command, commandArgs, { stdio: "inherit" });
if (result.error) {
  process.stderr.write(`clave: cannot start ${command}: ${result.error.message}\n`);
  process.exit(1);
}
process.exit(result.status === null ? 1 : result.status);
