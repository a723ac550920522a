/** One JSON log line of the service (pino): `msg` for people, `event` and other fields for tests. */
export type LogEntry = Record<string, unknown>;

/** The JSON lines of the service's output, parsed; other lines (the listening line) skipped. */
export function logEntries(logs: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      entries.push(JSON.parse(line) as LogEntry);
    } catch {
      // a line cut short by the read, or not a log line
    }
  }
  return entries;
}

/**
 * The entries with all the given fields, e.g. `logged(t.logs(), { event: 'run_finished',
 * reqId: 'r1' })`. Tests match events and fields, never the wording of `msg`.
 */
export function logged(logs: string, fields: LogEntry): LogEntry[] {
  return logEntries(logs).filter((entry) =>
    Object.entries(fields).every(([key, value]) => entry[key] === value),
  );
}
