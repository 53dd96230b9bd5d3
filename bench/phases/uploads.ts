import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Ctx } from '../lib/context.ts';
import { summarize } from '../lib/stats.ts';

/**
 * uploads: POST /attachments and GET /attachments/{id} through a real server, with each store
 * (PARLEY_STORAGE=fs, =postgres), one request at a time from this process: MB/s of a large file
 * both ways, and the time of a photo-sized PNG upload (sniff, measure, thumbnail) beside a file of
 * the same size that is not an image. Baseline, side by side: this process hashing the same bytes
 * into a file of the work directory (the floor any store sits on).
 */
export async function uploads(ctx: Ctx) {
  const mb = ctx.quick ? 8 : 24;
  const rounds = ctx.quick ? 3 : 5;
  const big = randomBytes(mb * 1024 * 1024);
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    createHash('sha256').update(big).digest('hex');
    await writeFile(join(ctx.work, `baseline-${i}.bin`), big);
  }
  const baselineMbS = (mb * rounds) / ((performance.now() - t0) / 1000);
  ctx.log(`  baseline (sha256 + write to disk): ${baselineMbS.toFixed(0)} MB/s`);
  const photo = await sharp({
    create: {
      width: 2400,
      height: 1600,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 120, sigma: 40 },
    },
  })
    .jpeg({ quality: 85 })
    .toBuffer();
  const notImage = randomBytes(photo.length);

  const out: Record<string, unknown> = { file_mb: mb, rounds, baseline_hash_and_write_mb_s: baselineMbS };
  for (const storage of ['fs', 'postgres'] as const) {
    const server = await ctx.parley(`parley-uploads-${storage}`, {
      env: { PARLEY_STORAGE: storage, PARLEY_MAX_UPLOAD_BYTES: String(64 * 1024 * 1024) },
    });
    const token = (
      (await (
        await fetch(`${server.url}/api/v1/dev/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: 'bench-uploader' }),
        })
      ).json()) as { token: string }
    ).token;
    const auth = { authorization: `Bearer ${token}` };
    const post = async (bytes: Buffer, name: string) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)]), name);
      const res = await fetch(`${server.url}/api/v1/attachments`, { method: 'POST', headers: auth, body: form });
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
      return (await res.json()) as { file_url: string };
    };
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      const a = await post(big, 'big.bin');
      up.push(performance.now() - t);
      t = performance.now();
      const res = await fetch(`${server.url}${a.file_url}`, { headers: auth });
      const got = Buffer.from(await res.arrayBuffer());
      down.push(performance.now() - t);
      if (got.length !== big.length) throw new Error(`download: ${got.length} bytes of ${big.length}`);
    }
    const image: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < rounds * 2; i++) {
      let t = performance.now();
      await post(photo, 'photo.jpg');
      image.push(performance.now() - t);
      t = performance.now();
      await post(notImage, 'photo.bin');
      plain.push(performance.now() - t);
    }
    const upMbS = mb / (summarize(up).p50 / 1000);
    const downMbS = mb / (summarize(down).p50 / 1000);
    const r = {
      upload_mb_s: upMbS,
      download_mb_s: downMbS,
      photo_upload_ms: summarize(image),
      same_size_non_image_upload_ms: summarize(plain),
    };
    ctx.log(
      `  ${storage}: upload ${upMbS.toFixed(0)} MB/s, download ${downMbS.toFixed(0)} MB/s; a ` +
        `${(photo.length / 1024).toFixed(0)} KB 2400×1600 JPEG ${r.photo_upload_ms.p50.toFixed(0)} ms ` +
        `(same bytes, not an image: ${r.same_size_non_image_upload_ms.p50.toFixed(0)} ms)`,
    );
    out[storage] = r;
  }
  return out;
}
