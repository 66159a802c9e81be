/** `backup-sla serve`: filled in by the daemon (scheduler + HTTP API + metrics). */
export async function serve(_configFile: string): Promise<void> {
  throw new Error('serve is not built yet');
}
