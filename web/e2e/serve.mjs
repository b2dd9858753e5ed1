#!/usr/bin/env node
// Starts `bhd serve` for the end-to-end tests on a fresh, empty SQLite database in a new
// temporary directory (removed on exit), so that every run starts clean. Used by
// playwright.config.ts (`webServer`); also handy by hand: `node e2e/serve.mjs`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const listen = process.env.E2E_LISTEN ?? '127.0.0.1:18765';
const bin = process.env.BHD_BIN ?? fileURLToPath(new URL('../../target/debug/bhd', import.meta.url));
if (!existsSync(bin)) {
  console.error(`e2e: ${bin} not found; build it first: (cd .. && cargo build -p bhd)`);
  process.exit(1);
}
if (!existsSync(fileURLToPath(new URL('../out/index.html', import.meta.url)))) {
  console.error('e2e: web/out is missing; run `npm run build` first (npm run e2e does)');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'bhd-e2e-'));
const databaseUrl = `sqlite://${join(dir, 'e2e.db')}`;
console.log(`e2e: ${bin} serve --listen ${listen} --database-url ${databaseUrl}`);

// The demo company (`bhd demo`, three years of simulated daily history), as the README's run
// command loads it; e2e/demo.spec.ts logs in as its owner.
const demo = spawnSync(
  bin,
  ['demo', '--profile', 'saas', '--email', 'demo@bhd.local', '--password', 'demo-password-123', '--database-url', databaseUrl],
  { cwd: dir, stdio: 'inherit', env: { ...process.env, BHD_DATA_DIR: dir } },
);
if (demo.status !== 0) {
  console.error('e2e: bhd demo failed');
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}

// Run inside the temporary directory with it as the data directory, so that the generated
// signing key (and anything else the server writes) never lands in the work tree.
const child = spawn(bin, ['serve', '--listen', listen, '--database-url', databaseUrl], {
  cwd: dir,
  stdio: 'inherit',
  env: { ...process.env, BHD_RATE_LIMIT: '0', BHD_DATA_DIR: dir },
});

const cleanup = () => rmSync(dir, { recursive: true, force: true });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  cleanup();
  process.exit(code ?? (signal ? 0 : 1));
});
