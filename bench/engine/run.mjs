// Engine benchmark: CPU-heavy C programs, native vs each wasm tier.
//   node bench/run.mjs engine [--runs N] [--only a,b] [--tiers native,v8,...] [--verbose]
// Builds what is stale, runs every program on every available tier N times
// (best run counts), checks that every tier printed the same checksum as
// native, prints a ratio table and the geometric mean per tier.
import { buildProgram, listPrograms } from './build.mjs';
import { tiers as allTiers } from './tiers.mjs';

function parseArgs(argv) {
  const options = { runs: 3, only: null, tiers: null, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--runs') {
      options.runs = Number(value());
      if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error('--runs takes a whole number >= 1');
    } else if (arg === '--only') options.only = value().split(',');
    else if (arg === '--tiers') options.tiers = value().split(',');
    else if (arg === '--verbose' || arg === '-v') options.verbose = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: node bench/run.mjs engine [--runs N] [--only prog,...] [--tiers native,v8,interp,aot] [--verbose]');
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (try --help)`);
  }
  return options;
}

const geomean = (values) => Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);

export async function main(argv) {
  const options = parseArgs(argv);
  const log = (line) => { if (options.verbose) console.error(line); };

  let names = listPrograms();
  if (options.only) {
    const unknown = options.only.filter((n) => !names.includes(n));
    if (unknown.length) throw new Error(`unknown program(s) ${unknown.join(', ')}; have ${names.join(', ')}`);
    names = options.only;
  }
  let tiers = allTiers;
  if (options.tiers) {
    const unknown = options.tiers.filter((n) => !allTiers.some((t) => t.name === n));
    if (unknown.length) throw new Error(`unknown tier(s) ${unknown.join(', ')}`);
    tiers = allTiers.filter((t) => t.name === 'native' || options.tiers.includes(t.name));
  }

  const runnable = [];
  for (const tier of tiers) {
    const why = tier.missing();
    if (why) console.log(`${tier.name}: ${why}`);
    else runnable.push(tier);
  }

  const programs = names.map((name) => buildProgram(name, log));
  const failures = [];
  const rows = [];
  for (const program of programs) {
    const best = {};
    let expected = null;
    // Tiers take turns within each round, so a busy moment of a shared
    // machine hits all of them alike rather than one tier's every run.
    for (let run = 0; run < options.runs; run++) {
      for (const tier of runnable) {
        if (Number.isNaN(best[tier.name])) continue; // already failed
        let result;
        try {
          result = tier.run(program);
        } catch (error) {
          failures.push(`${program.name} on ${tier.name}: ${error.message}`);
          best[tier.name] = NaN;
          continue;
        }
        const output = result.stdout.trim();
        if (expected === null) expected = output; // native runs first
        if (output !== expected) {
          failures.push(`${program.name} on ${tier.name}: checksum mismatch\n  native: ${expected}\n  ${tier.name}: ${output}`);
          best[tier.name] = NaN;
          continue;
        }
        log(`${program.name} ${tier.name} run ${run + 1}: ${result.ms.toFixed(1)} ms  ${output}`);
        best[tier.name] = Math.min(best[tier.name] ?? Infinity, result.ms);
      }
    }
    rows.push({ name: program.name, best });
    printRow(program.name, best, runnable, rows.length === 1);
  }

  const ratioTiers = runnable.filter((t) => t.name !== 'native');
  const summary = allTiers.filter((t) => t.name !== 'native' && tiers.includes(t)).map((tier) => {
    if (!ratioTiers.includes(tier)) return `${tier.name} n/a`;
    const ratios = rows.map((r) => r.best[tier.name] / r.best.native).filter(Number.isFinite);
    return ratios.length === rows.length ? `${tier.name} ${geomean(ratios).toFixed(2)}` : `${tier.name} n/a`;
  });
  console.log('');
  for (const tier of runnable) console.log(`  ${tier.timing}`);
  console.log(`  best of ${options.runs} run(s); "x" columns are tier time / native time`);
  console.log(`geomean vs native: ${summary.join(', ')}`);

  if (failures.length) {
    console.error(`\nBENCHMARK FAILED (${failures.length} problem(s)):`);
    for (const f of failures) console.error(`- ${f}`);
    return 1;
  }
  return 0;
}

function printRow(name, best, runnable, withHeader) {
  const cells = [name.padEnd(14)];
  const header = ['program'.padEnd(14)];
  for (const tier of runnable) {
    if (tier.name === 'native') {
      header.push('native ms'.padStart(10));
      cells.push(Number.isFinite(best.native) ? best.native.toFixed(1).padStart(10) : 'FAIL'.padStart(10));
    } else {
      header.push(`${tier.name} x`.padStart(10));
      const ratio = best[tier.name] / best.native;
      cells.push((Number.isFinite(ratio) ? ratio.toFixed(2) : 'FAIL').padStart(10));
    }
  }
  if (withHeader) {
    console.log(header.join(' '));
    console.log('-'.repeat(header.join(' ').length));
  }
  console.log(cells.join(' '));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
    console.error(`bench engine: ${error.message}`);
    process.exitCode = 1;
  });
}
