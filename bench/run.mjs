// Benchmark dispatcher: node bench/run.mjs <suite> [suite options]
//   engine  CPU-heavy C programs: native vs node's V8 vs logwasm's tiers
//   filter  the filter benchmark (bench/filter/run.mjs, when present)
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const suites = {
  engine: path.join(here, 'engine', 'run.mjs'),
  filter: path.join(here, 'filter', 'run.mjs'),
};

const [suite, ...rest] = process.argv.slice(2);
if (!suite || !(suite in suites)) {
  console.error(`usage: node bench/run.mjs <${Object.keys(suites).join('|')}> [options]`);
  process.exit(2);
}
if (!fs.existsSync(suites[suite])) {
  console.error(`bench ${suite}: ${path.relative(process.cwd(), suites[suite])} does not exist yet`);
  process.exit(2);
}
// Each suite runs as its own node process so its options and exit code are its own.
const result = spawnSync(process.execPath, [suites[suite], ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
