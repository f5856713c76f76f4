#!/usr/bin/env node
// `npx clave`: runs the CLI's build (dist/esm/cli.js) in this Node process. In a clone of clave, where
// Bun is a devDependency, it runs the TypeScript sources with Bun instead, so a change is live without
// a rebuild (CLAVE_RUNTIME=node runs the build there too). A user needs Node only.
"use strict";
const { spawnSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");

const root = join(__dirname, "..");
const args = process.argv.slice(2);
const cli = join(root, "dist", "esm", "cli.js");
const bun = join(root, "node_modules", ".bin", "bun");
const checkout = existsSync(join(root, "scripts", "build.ts")) && existsSync(bun);

if (checkout && process.env.CLAVE_RUNTIME !== "node") {
  const result = spawnSync(bun, [join(root, "bin", "clave.ts"), ...args], { stdio: "inherit" });
  if (result.error) {
    process.stderr.write(`clave: cannot start ${bun}: ${result.error.message}\n`);
    process.exit(1);
  }
  process.exit(result.status === null ? 1 : result.status);
} else if (!existsSync(cli)) {
  process.stderr.write(`clave: ${cli} is missing: this copy of clave is not built (in a clone, run \`npm install\` or \`npm run build\`)\n`);
  process.exit(1);
} else {
  import(pathToFileURL(cli).href).catch((error) => {
    process.stderr.write(`clave: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  });
}
