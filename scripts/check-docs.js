#!/usr/bin/env node
/*
 * Fails when a public export of torchlet lacks a summary or an @example in its TSDoc. Reads the JSON typedoc
 * writes beside the HTML (`npm run docs` runs typedoc first; typedoc.json's outputs name docs/api/api.json).
 *
 * The rule, walking the reflection tree from the package entry (lib/main.ts) through every namespace
 * (torch, nn, nn.functional, nn.init, optim, optim.lrScheduler, data, onnx, distributed, threads, autograd, ...):
 *   - every function, class and variable (constants, `nn.functional.*`, the pointwise op table) needs a summary
 *     and an @example; for a function the comment may sit on any of its signatures (overloads);
 *   - every public method and accessor Tensor and nn.Module declare themselves (not inherited, not private or
 *     protected) needs a summary and an @example too: they are the API most code calls;
 *   - interfaces and type aliases (options objects, Shape, DType, ...) need a summary only;
 *   - other members (constructors, properties, subclasses' own methods such as Linear.forward) and references
 *     (re-exports under a second name, `default`, `multiprocessing`) are not checked: the class or the original
 *     carries the documentation.
 * Prints each offender as `kind name (file): missing ...` and a count; exits 1 if there is any. (typedoc itself
 * fails first on a reference to an unexported type or a broken {@link}: typedoc.json treats those warnings as errors.)
 * `node scripts/check-docs.js --list` prints the counts per namespace and exits 0 (a to-do list while writing docs).
 */
'use strict';
const fs = require('fs');
const path = require('path');

const K = {
  Module: 2, Namespace: 4, Variable: 32, Function: 64, Class: 128, Interface: 256, Constructor: 512,
  Property: 1024, Method: 2048, Accessor: 262144, TypeAlias: 2097152, Reference: 4194304,
};
const KIND_NAME = Object.fromEntries(Object.entries(K).map(([k, v]) => [v, k]));
const FULL = new Set([K.Function, K.Class, K.Variable]);
const SUMMARY_ONLY = new Set([K.Interface, K.TypeAlias]);
const MEMBER_CLASSES = new Set(['Tensor', 'nn.Module']);

const file = path.resolve(__dirname, '..', 'docs', 'api', 'api.json');
if (!fs.existsSync(file)) {
  console.error(`check-docs: ${path.relative(process.cwd(), file)} is missing; run \`npm run docs\` (typedoc writes it)`);
  process.exit(2);
}
const project = JSON.parse(fs.readFileSync(file, 'utf8'));

/** The comments of a reflection: its own, its signatures', its accessor's get/set signatures'. */
function comments(r) {
  const all = [r.comment, ...(r.signatures || []).map((s) => s.comment), r.getSignature?.comment, r.setSignature?.comment];
  return all.filter(Boolean);
}
const hasSummary = (cs) => cs.some((c) => (c.summary || []).map((p) => p.text).join('').trim() !== '');
const hasExample = (cs) => cs.some((c) => (c.blockTags || []).some((t) => t.tag === '@example'));
// typedoc.json disables source links (the repository has no remote); the symbol map still names each file.
const where = (r) => {
  const s = project.symbolIdMap?.[r.id];
  return s ? ` (${s.packagePath})` : '';
};

const checked = [];
function visit(node, prefix) {
  for (const c of node.children || []) {
    const name = prefix ? `${prefix}.${c.name}` : c.name;
    if (c.kind === K.Module || c.kind === K.Namespace) {
      if (c.name === 'default' && c.kind !== K.Namespace) continue;
      visit(c, name);
      continue;
    }
    if (FULL.has(c.kind) || SUMMARY_ONLY.has(c.kind)) checked.push({ r: c, name, example: FULL.has(c.kind) });
    if (c.kind === K.Class && MEMBER_CLASSES.has(name)) {
      for (const m of c.children || []) {
        if (m.kind !== K.Method && m.kind !== K.Accessor) continue;
        if (m.inheritedFrom || m.flags?.isPrivate || m.flags?.isProtected) continue;
        checked.push({ r: m, name: `${name}.${m.name}`, example: true });
      }
    }
  }
}
// The project has one module, lib/main.ts; its `default` is the same namespace again (references only).
for (const top of project.children || []) visit(top, '');

const missing = [];
for (const { r, name, example } of checked) {
  const cs = comments(r);
  const lacks = [];
  if (!hasSummary(cs)) lacks.push('a summary');
  if (example && !hasExample(cs)) lacks.push('an @example');
  if (lacks.length) missing.push({ r, name, lacks });
}

if (process.argv.includes('--list')) {
  const per = new Map();
  for (const { name } of checked) {
    const ns = name.split('.').slice(0, -1).join('.') || '(torch)';
    per.set(ns, per.get(ns) || [0, 0]);
    per.get(ns)[0]++;
  }
  for (const { name } of missing) per.get(name.split('.').slice(0, -1).join('.') || '(torch)')[1]++;
  for (const [ns, [n, m]] of [...per].sort()) console.log(`${ns.padEnd(28)} ${n - m}/${n} documented`);
}
for (const { r, name, lacks } of missing) console.log(`${KIND_NAME[r.kind] || r.kind} ${name}${where(r)}: missing ${lacks.join(' and ')}`);
console.log(`check-docs: ${checked.length - missing.length} of ${checked.length} public exports documented (summary${''
} and @example; summary only for types)`);
if (missing.length && !process.argv.includes('--list')) process.exit(1);
