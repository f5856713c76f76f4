// After `npm install` in a clone of clave: link the package to itself (so notebooks and scripts in
// the repository can `import ... from "clave"`) and build dist/ for Node and the tslab kernel.
// In an installed copy (no scripts/build.ts or no dev tools) it does nothing.
"use strict";
const { existsSync, lstatSync, mkdirSync, symlinkSync } = require("node:fs");
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");

const root = join(__dirname, "..");
const bun = join(root, "node_modules", ".bin", "bun");
if (!existsSync(join(root, "scripts", "build.ts")) || !existsSync(bun)) process.exit(0);

const link = join(root, "node_modules", "clave");
let linked = false;
try {
  linked = lstatSync(link).isSymbolicLink();
} catch {}
if (!linked && !existsSync(link)) {
  mkdirSync(join(root, "node_modules"), { recursive: true });
  symlinkSync("..", link, "dir");
}
const result = spawnSync(bun, [join(root, "scripts", "build.ts")], { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
