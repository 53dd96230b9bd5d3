import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { Batcher, type Pending } from '../../src/batcher.ts';

/** A batcher whose batches finish when the test says so, with a log of what happened in what order. */
function harness(depth: number) {
  const log: string[] = [];
  const open: { batch: Pending<string, string>[]; done: (fail?: Error) => void }[] = [];
  const b = new Batcher<string, string>(
    10,
    (batch) => {
      const names = batch.map((p) => p.input).join(',');
      log.push(`start ${names}`);
      return new Promise<(() => void) | undefined>((resolve, reject) => {
        open.push({
          batch,
          done: (fail) => {
            if (fail) return reject(fail);
            resolve(() => {
              log.push(`answer ${names}`);
              for (const p of batch) p.resolve(`ok ${p.input}`);
            });
          },
        });
      });
    },
    depth,
  );
  return { b, log, open };
}

test('depth 1: one batch at a time; the next starts before the previous is answered', async () => {
  const { b, log, open } = harness(1);
  const first = ['a', 'b', 'c'].map((x) => b.add(x));
  await tick();
  assert.deepEqual(log, ['start a,b,c']);
  const second = ['d', 'e'].map((x) => b.add(x));
  await tick();
  assert.deepEqual(log, ['start a,b,c'], 'newcomers wait while a batch runs');
  open.shift()!.done();
  assert.deepEqual(await Promise.all(first), ['ok a', 'ok b', 'ok c']);
  assert.deepEqual(log, ['start a,b,c', 'start d,e', 'answer a,b,c']);
  open.shift()!.done();
  assert.deepEqual(await Promise.all(second), ['ok d', 'ok e']);
});

test('depth 2: two batches in flight, the third forms behind them, in arrival order', async () => {
  const { b, log, open } = harness(2);
  const a = b.add('a');
  await tick();
  const bb = b.add('b');
  await tick();
  assert.deepEqual(log, ['start a', 'start b']);
  const rest = ['c', 'd'].map((x) => b.add(x));
  await tick();
  assert.deepEqual(log, ['start a', 'start b'], 'two in flight: the rest waits');
  open.shift()!.done();
  assert.equal(await a, 'ok a');
  assert.deepEqual(log, ['start a', 'start b', 'start c,d', 'answer a']);
  open.shift()!.done();
  open.shift()!.done();
  assert.equal(await bb, 'ok b');
  assert.deepEqual(await Promise.all(rest), ['ok c', 'ok d']);
});

test('a batch that fails rejects its own requests only; the queue goes on', async () => {
  const { b, log, open } = harness(1);
  const failed = ['a', 'b'].map((x) => b.add(x));
  await tick();
  const next = b.add('c');
  open.shift()!.done(new Error('boom'));
  for (const p of failed) await assert.rejects(p, /boom/);
  await tick();
  assert.deepEqual(log, ['start a,b', 'start c']);
  open.shift()!.done();
  assert.equal(await next, 'ok c');
});
