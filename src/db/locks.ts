/**
 * Every advisory lock key Parley takes, in one place (the event log's is also written into
 * db/live/event-log.sql, where PostgreSQL takes it at commit; a test holds the two equal).
 */
export const LOCKS = {
  /** Held from pre-commit to the end of commit by every transaction that logs events: pos order. */
  eventLog: 7238461509124,
  /** Migrations: several nodes starting at once apply each one exactly once. */
  migrations: 7238461509125,
  /** Retention: one node at a time prunes the log. */
  retention: 7238461509126,
  /** Offline notifications: one node at a time runs the job. */
  notifications: 7238461509141,
  /** Upload sweeper: one node at a time deletes abandoned uploads (a number apart, for merges). */
  uploads: 7238461509213,
} as const;
