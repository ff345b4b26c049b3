// PERF.md's generated part: markdown tables of report rows (one per bench, machines named once
// in a legend) between two marker comments. Everything outside the markers is hand-written and
// is kept byte for byte.

import type { ReportRow } from './report_rows.js';

export const REPORT_BEGIN = '<!-- report:begin -->';
export const REPORT_END = '<!-- report:end -->';

const COLUMNS = ['scenario', 'command', 'machine', 'commit', 'prediction (written before)',
  'result: median (range), runs', 'ratio to limits', 'ratio to ejabberd'] as const;

/** A table cell: one line, pipes escaped, empty shown as a dash. */
export function cell(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
  return flat === '' ? '—' : flat;
}

function line(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** One markdown table per bench, in the order benches first appear in `rows`. */
export function reportTables(rows: readonly ReportRow[]): string {
  if (rows.length === 0) return 'No results yet: run a bench (`npm run bench`), then the report.';
  const machines = [...new Set(rows.map((row) => row.machine))];
  const label = (machine: string): string => `M${machines.indexOf(machine) + 1}`;
  const benches = [...new Set(rows.map((row) => row.bench))];
  const parts: string[] = [];
  for (const bench of benches) {
    parts.push(`#### ${bench}`, '', line([...COLUMNS]), line(COLUMNS.map(() => '---')));
    for (const row of rows.filter((r) => r.bench === bench)) {
      parts.push(line([row.scenario, `\`${row.command}\``, label(row.machine), row.commit,
        row.prediction, row.result, row.ratioLimits, row.ratioEjabberd].map(cell)));
    }
    parts.push('');
  }
  parts.push('Machines: ' + machines.map((m) => `${label(m)} = ${m}`).join('; ') + '. ' +
    'A commit marked * had uncommitted changes in tracked files when it ran, or ran a stale ' +
    'build (sources newer than dist/).');
  return parts.join('\n');
}

/** `text` with the part between the markers replaced by `generated`; null without markers. */
export function markersReplace(text: string, generated: string): string | null {
  const begin = text.indexOf(REPORT_BEGIN);
  const end = text.indexOf(REPORT_END);
  if (begin < 0 || end < begin) return null;
  return `${text.slice(0, begin + REPORT_BEGIN.length)}\n${generated.trim()}\n` +
    `${text.slice(end)}`;
}
