// Import cycles, as CI's lint gate (`npm run lint`). Every import counts, type-only ones too (they tie the files'
// designs together as much as runtime imports do). Between files, in src, test and scripts; and in src between
// modules, where a module is a feature or channel folder (src/features/X, src/channels/X) or a top-level folder or
// file of src. Exits 1 when a cycle exists. (This replaced ESLint's import-x/no-cycle: it sees what that rule
// skips, type-only imports and folders, and takes a second where the rule took a third of the lint's time.)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const repo = path.resolve(import.meta.dirname, '..');
const root = path.join(repo, 'src');

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(p).isDirectory() ? listFiles(p) : /\.(ts|mjs)$/.test(p) ? [p] : [];
  });
}

function moduleOf(file) {
  const parts = path.relative(root, file).split(path.sep);
  if ((parts[0] === 'features' || parts[0] === 'channels') && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '');
}

const files = ['src', 'test', 'scripts'].flatMap((d) => listFiles(path.join(repo, d)));
const known = new Set(files);
const fileEdges = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = importedFiles
    .map((i) => i.fileName)
    .filter((s) => s.startsWith('.'))
    .map((s) => path.resolve(path.dirname(file), s))
    .map((t) => (t.endsWith('.js') && !existsSync(t) ? t.replace(/\.js$/, '.ts') : t));
  fileEdges.set(file, new Set(targets.filter((t) => known.has(t))));
}

const moduleEdges = new Map();
for (const [file, targets] of fileEdges) {
  if (!file.startsWith(root + path.sep)) continue;
  const from = moduleOf(file);
  if (!moduleEdges.has(from)) moduleEdges.set(from, new Set());
  for (const t of targets)
    if (t.startsWith(root + path.sep) && moduleOf(t) !== from) moduleEdges.get(from).add(moduleOf(t));
}

/** Tarjan's strongly connected components with more than one member: each is at least one cycle. */
function cycles(edges) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const rel = (f) => path.relative(repo, f);
const fileCycles = cycles(fileEdges);
const moduleCycles = cycles(moduleEdges);
for (const c of fileCycles) console.log(`file cycle: ${c.map(rel).join(' ↔ ')}`);
for (const c of moduleCycles) {
  console.log(`module cycle: ${c.join(' ↔ ')}`);
  for (const m of c) {
    const back = [...moduleEdges.get(m)].filter((t) => c.includes(t));
    console.log(`  ${m} → ${back.join(', ')}`);
  }
}
console.log(`${fileCycles.length} file cycle group(s), ${moduleCycles.length} module cycle group(s)`);
process.exit(fileCycles.length + moduleCycles.length > 0 ? 1 : 0);
