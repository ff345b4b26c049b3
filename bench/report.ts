// `npm run bench:report`: reads every result file under bench/results, groups the case results
// by bench, case, commit and machine, and regenerates PERF.md's tables between its report
// markers (medians, ranges, predictions from bench/predictions.json, ratios to the limits and
// to ejabberd) and the SVG charts in bench/charts. Hand-written PERF.md text is left as it is.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliFail, cliParse } from './lib/cli.js';
import { progress } from './lib/results.js';
import { reportCharts } from './lib/report_charts.js';
import { runGroups } from './lib/report_groups.js';
import { markersReplace, reportTables, REPORT_BEGIN, REPORT_END } from './lib/report_markdown.js';
import { predictionsParse, reportRows } from './lib/report_rows.js';
import { resultsRead } from './lib/result_files.js';
import { chartSvg } from './lib/vega_svg.js';

const BENCH = 'report';
const ABOUT = `${BENCH}: PERF.md's generated tables and bench/charts/*.svg from bench/results.
Usage: npm run bench:report [-- options]   (or node dist/bench/report.js [options])`;

/** The source tree (this file runs from dist/bench). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const options = cliParse(ABOUT, {
  results: { help: 'result files directory (read recursively)', default: 'bench/results',
    arg: 'dir' },
  perf: { help: 'the markdown file whose report markers are rewritten', default: 'PERF.md',
    arg: 'file' },
  charts: { help: 'where the SVG charts go', default: 'bench/charts', arg: 'dir' },
  predictions: { help: 'predictions by bench and case', default: 'bench/predictions.json',
    arg: 'file' },
  'other-max': { help: 'drop runs where other processes used more CPU (% of a core); -1 keeps all',
    default: 25, arg: 'percent' },
  exclude: { help: 'leave out benches whose name starts with one of these (comma-separated)',
    default: 'micro_', arg: 'list' },
  'dry-run': { help: 'print the tables; write neither PERF.md nor charts', default: false },
});

function rooted(file: string): string {
  return path.resolve(ROOT, file);
}

function predictionsLoad(): ReturnType<typeof predictionsParse> {
  const file = rooted(options.predictions);
  if (!fs.existsSync(file)) return predictionsParse(null);
  return predictionsParse(JSON.parse(fs.readFileSync(file, 'utf8')));
}

async function chartsWrite(groups: Parameters<typeof reportCharts>[0]): Promise<void> {
  const dir = rooted(options.charts);
  fs.mkdirSync(dir, { recursive: true });
  for (const chart of reportCharts(groups)) {
    if (chart.points === 0) {
      progress(BENCH, `chart ${chart.name}: no data, not written`);
      continue;
    }
    const file = path.join(dir, `${chart.name}.svg`);
    fs.writeFileSync(file, await chartSvg(chart.spec));
    progress(BENCH, `chart ${chart.name}: ${chart.points} points → ${path.relative(ROOT, file)}`);
  }
}

async function main(): Promise<void> {
  const read = resultsRead(rooted(options.results));
  const excluded = options.exclude.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const cases = read.cases.filter((c) => !excluded.some((p) => String(c['bench']).startsWith(p)));
  const groups = runGroups(cases, options['other-max']);
  const dropped = groups.reduce((sum, g) => sum + g.dropped, 0);
  progress(BENCH, `${read.files} files: ${read.cases.length} case results ` +
    `(${read.duplicates} duplicates counted once), ${read.skippedFiles.length} files skipped ` +
    `(no case result in them), ${read.cases.length - cases.length} cases of excluded benches; ` +
    `${groups.length} groups, ${dropped} disturbed runs dropped`);
  for (const file of read.skippedFiles) progress(BENCH, `  skipped ${path.relative(ROOT, file)}`);
  const tables = reportTables(reportRows(groups, predictionsLoad()));
  if (options['dry-run']) {
    process.stdout.write(`${tables}\n`);
    return;
  }
  const perfFile = rooted(options.perf);
  const updated = markersReplace(fs.readFileSync(perfFile, 'utf8'), tables);
  if (updated === null) cliFail(`${options.perf} has no ${REPORT_BEGIN} … ${REPORT_END} markers`);
  fs.writeFileSync(perfFile, updated);
  progress(BENCH, `rewrote the generated part of ${options.perf}`);
  await chartsWrite(groups);
}

await main();
