// Benchmark dispatcher: node bench/run.mjs <suite> [suite options]
// Every folder of bench/ with a run.mjs is a suite (engine, filter, ...); each runs as its own
// node process so its options and exit code are its own.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const suites = fs
  .readdirSync(here, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(here, entry.name, 'run.mjs')))
  .map((entry) => entry.name)
  .sort();

const [suite, ...rest] = process.argv.slice(2);
if (!suite || !suites.includes(suite)) {
  console.error(`usage: npm run bench -- <${suites.join('|')}> [options]`);
  process.exit(2);
}
const result = spawnSync(process.execPath, [path.join(here, suite, 'run.mjs'), ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
