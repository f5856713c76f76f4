// Imported by the runtime checks (Deno runs it from the TypeScript sources): prints the registry's
// plugin names as JSON, one line, so the test can compare runtimes.
import { createRegistry } from "../../index.ts";

const registry = await createRegistry({ config: false });
console.log(JSON.stringify(registry.describe().map((p) => `${p.kind}:${p.name}`)));
