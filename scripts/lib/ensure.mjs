// Installs npm dependencies when they are missing or older than the lock file, so that `npm start` and
// `npm test` work from a fresh clone.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

export function ensureDependencies(root) {
  const lock = path.join(root, 'package-lock.json');
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const fresh = existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs);
  if (fresh) return;
  console.log('Installing npm dependencies (npm ci)…');
  const cmd = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', cmd, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('npm dependencies could not be installed; see the output above.');
    process.exit(r.status || 1);
  }
}
