// `npm run lint:size`: STYLE rule 10 — files under ~400 lines, functions under ~70, lines under
// 100 columns — checked over the TypeScript sources. Prints every breach and exits 1 if any.
// Usage: node scripts/check_size.mjs [dir ...]   (default: src bench scripts test workers)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const FILE_LINES_MAX = 400;
const FUNCTION_LINES_MAX = 70;
const LINE_COLUMNS_MAX = 100;

const roots = process.argv.slice(2);
const dirs = roots.length > 0 ? roots : ['src', 'bench', 'scripts', 'test', 'workers'];

function tsFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A describe() body is a list of tests, not a function to keep short; its tests are checked. */
function isSuite(node) {
  const call = node.parent;
  return call !== undefined && ts.isCallExpression(call) && ts.isIdentifier(call.expression) &&
    (call.expression.text === 'describe' || call.expression.text === 'suite');
}

function functionBreaches(path, text) {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const breaches = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined && !isSuite(node)) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > FUNCTION_LINES_MAX) {
        const name = node.name?.getText(source) ?? '(anonymous)';
        breaches.push(`${path}:${first + 1}: function ${name} has ${lines} lines ` +
          `(max ${FUNCTION_LINES_MAX})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return breaches;
}

const breaches = [];
for (const path of dirs.flatMap(tsFiles)) {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines.length > FILE_LINES_MAX) {
    breaches.push(`${path}: ${lines.length} lines (max ${FILE_LINES_MAX})`);
  }
  lines.forEach((line, index) => {
    if (line.length > LINE_COLUMNS_MAX) {
      breaches.push(`${path}:${index + 1}: ${line.length} columns (max ${LINE_COLUMNS_MAX})`);
    }
  });
  breaches.push(...functionBreaches(path, text));
}
for (const breach of breaches) console.log(breach);
console.log(`${breaches.length} size breach(es)`);
process.exit(breaches.length === 0 ? 0 : 1);
