import type { Sql } from '../db/client.ts';
import { FsStore } from './fs.ts';
import { PostgresStore } from './postgres.ts';
import type { FileStore } from './store.ts';

export type { FileStore } from './store.ts';

/** The store PARLEY_STORAGE names. */
export function createStore(kind: 'fs' | 'postgres', uploadsDir: string, sql: Sql): FileStore {
  return kind === 'postgres' ? new PostgresStore(sql) : new FsStore(uploadsDir);
}
