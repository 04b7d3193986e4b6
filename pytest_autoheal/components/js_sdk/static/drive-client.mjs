// Load an SDK in node and run the client check; the spec comes as JSON on stdin.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { autohealClientCheck } = require('./client-check.js');

const spec = JSON.parse(readFileSync(0, 'utf8'));
let sdk;
try {
  const loaded = await import(pathToFileURL(spec.module).href);
  sdk = loaded[spec.factory] ? loaded : loaded.default && loaded.default[spec.factory] ? loaded.default : null;
  // An expression names what it needs itself: the whole module is its scope.
  if (spec.expression && Object.keys(loaded).some((k) => k !== 'default' || loaded.default)) sdk = loaded;
  // A plain browser script has no exports; it may have set its global instead.
  if (!sdk && spec.globalName && globalThis[spec.globalName]) sdk = globalThis[spec.globalName];
  sdk = sdk || loaded;
} catch (err) {
  const error = { name: err && err.name ? err.name : 'Error', message: String(err && err.message ? err.message : err), stack: String((err && err.stack) || '') };
  process.stdout.write('AUTOHEAL-RESULTS ' + JSON.stringify(spec.calls.map(() => ({ ok: false, error }))) + '\n');
  process.exit(0);
}
const results = await autohealClientCheck(sdk, spec);
process.stdout.write('AUTOHEAL-RESULTS ' + JSON.stringify(results) + '\n', () => process.exit(0));
