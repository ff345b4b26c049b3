// Reading bench/results/**/*.json for the report: every case result in every file, each counted
// once. run.ts's summary repeats the cases its steps wrote to their own files, so cases are
// keyed by bench, server, case and time; files and entries that hold no case are counted as
// skipped (older benches wrote other shapes), never fatal.

import fs from 'node:fs';
import path from 'node:path';
import { casesOf, isRecord } from './medians.js';
import type { Json } from './medians.js';

export interface ResultsRead {
  readonly cases: Json[];
  readonly files: number;
  /** Files that did not parse or held no case result. */
  readonly skippedFiles: readonly string[];
  /** Case results seen twice (run.ts summaries repeat their steps' files). */
  readonly duplicates: number;
}

/** Every *.json under `dir`, sorted, recursively. */
export function resultFilesList(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...resultFilesList(full));
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(full);
  }
  return out.sort();
}

/** One identity per measured case: the same run read from two files counts once. */
export function caseIdentity(result: Json): string {
  const server = typeof result['server'] === 'string' ? result['server'] : '';
  return `${String(result['bench'])}|${server}|${String(result['case'])}|${String(result['at'])}`;
}

/** The cases of parsed file contents, deduplicated across files, with what was skipped. */
export function resultsCollect(contents: readonly { file: string; value: unknown }[]):
  ResultsRead {
  const seen = new Set<string>();
  const cases: Json[] = [];
  const skippedFiles: string[] = [];
  let duplicates = 0;
  for (const { file, value } of contents) {
    const found = casesOf(value);
    if (found.length === 0) skippedFiles.push(file);
    for (const result of found) {
      const identity = caseIdentity(result);
      if (seen.has(identity)) duplicates++;
      else {
        seen.add(identity);
        cases.push(result);
      }
    }
  }
  return { cases, files: contents.length, skippedFiles, duplicates };
}

/** Reads and parses every result file under `dir`; a file that does not parse is skipped. */
export function resultsRead(dir: string): ResultsRead {
  const contents: { file: string; value: unknown }[] = [];
  for (const file of resultFilesList(dir)) {
    let value: unknown = null;
    try {
      value = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      value = null; // Not JSON (a half-written file of a crashed run): skipped below.
    }
    contents.push({ file, value: isRecord(value) || Array.isArray(value) ? value : null });
  }
  return resultsCollect(contents);
}
