/**
 * package.json and package-lock.json tell the truth: `npm install` on a clean clone leaves the lock
 * file as it is (it was made from this package.json), and every installed package (from the lock
 * file, optional platform packages included) runs on the oldest Node.js that package.json allows, and
 * on the one running these tests.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';
import { ROOT } from './lib.ts';

interface Lock {
  lockfileVersion: number;
  packages: Record<
    string,
    {
      version?: string;
      engines?: { node?: string } | string[];
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    }
  >;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lock;

test("every dependency's engines allow the oldest Node.js that package.json promises, and this one", () => {
  const oldest = semver.minVersion(pkg.engines.node)!.version;
  assert.ok(semver.satisfies(process.version, pkg.engines.node), `this Node.js ${process.version} is allowed`);
  for (const node of [oldest, process.version]) {
    const wrong = Object.entries(lock.packages)
      .filter(([name, p]) => name && p.engines && !Array.isArray(p.engines) && p.engines.node)
      .filter(([, p]) => !semver.satisfies(node, (p.engines as { node: string }).node, { includePrerelease: true }))
      .map(([name, p]) => `${name} wants node ${(p.engines as { node: string }).node}`);
    assert.deepEqual(wrong, [], `package.json promises node ${pkg.engines.node}; checked with ${node}`);
  }
});

test("the lock file's root is package.json, and every locked direct dependency is in its range", () => {
  const root = lock.packages['']!;
  assert.deepEqual(root.dependencies ?? {}, pkg.dependencies);
  assert.deepEqual(root.devDependencies ?? {}, pkg.devDependencies);
  assert.deepEqual(root.engines, pkg.engines);
  const outside = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })
    .filter(([name, range]) => {
      const v = lock.packages[`node_modules/${name}`]?.version;
      return !v || !semver.satisfies(v, range, { includePrerelease: true });
    })
    .map(([name, range]) => `${name}@${range}: locked ${lock.packages[`node_modules/${name}`]?.version ?? 'nothing'}`);
  assert.deepEqual(outside, []);
});

test('npm install resolves package.json to exactly the lock file (it is left unchanged)', async () => {
  // The resolution npm install makes, without touching node_modules: in a copy of the two files.
  const dir = mkdtempSync(join(tmpdir(), 'parley-lock-'));
  try {
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, f), join(dir, f));
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(
        'npm',
        ['install', '--package-lock-only', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      child.once('exit', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 0, r.out);
    const after = readFileSync(join(dir, 'package-lock.json'), 'utf8');
    assert.ok(
      after === readFileSync(join(ROOT, 'package-lock.json'), 'utf8'),
      'npm install would rewrite the lock file',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
