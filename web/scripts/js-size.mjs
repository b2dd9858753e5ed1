#!/usr/bin/env node
// First-load JavaScript of the built dashboard: for each page, gzip -9 every script the
// page's HTML loads (module scripts; `noModule` polyfills are skipped: modern browsers
// never fetch them) and sum the sizes. Run after `npm run build`: `node scripts/js-size.mjs`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const out = new URL('../out/', import.meta.url).pathname;
const pages = process.argv.slice(2).length ? process.argv.slice(2) : ['login', 'signup', 'settings', 'metrics', 'overview'];
const budget = 200 * 1024;
let failed = false;

for (const page of pages) {
  const html = readFileSync(join(out, page, 'index.html'), 'utf8');
  const files = new Set();
  for (const tag of html.match(/<script[^>]*>/g) ?? []) {
    const src = /src="([^"]+\.js)"/.exec(tag)?.[1];
    if (src && !/nomodule/i.test(tag)) files.add(src);
  }
  let total = 0;
  for (const src of files) total += gzipSync(readFileSync(join(out, src)), { level: 9 }).length;
  const over = total > budget;
  failed ||= over;
  console.log(`${page}: ${files.size} scripts, ${(total / 1024).toFixed(1)} KiB gzip -9${over ? '  OVER BUDGET' : ''}`);
}
process.exit(failed ? 1 : 0);
