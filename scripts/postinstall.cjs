// After `npm install` in a clone of clave: build dist/ for Node and the tslab kernel. (The package
// links to itself through its `"clave": "file:"` devDependency, so notebooks and scripts in the
// repository can `import ... from "clave"`.) In an installed copy, which ships dist/, it does nothing.
"use strict";
const { existsSync } = require("node:fs");
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");

const root = join(__dirname, "..");
const bun = join(root, "node_modules", ".bin", "bun");
if (!existsSync(join(root, "scripts", "build.ts")) || !existsSync(bun)) process.exit(0);
const result = spawnSync(bun, [join(root, "scripts", "build.ts")], { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
