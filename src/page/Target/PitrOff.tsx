import React from 'react';
import { Stack, Text } from '@grafana/ui';
import { formatDuration } from '../../utils/format';

/**
 * A MySQL target without point-in-time recovery (issue 13, "the SLA as shipped"): what its RPO is
 * now, what turning it on gives, and what the database server needs for it. The service checks the
 * server itself (`backup-sla doctor`); the app only says what to ask for.
 */
export function PitrOff({ rpoSeconds, target }: { rpoSeconds: number | null; target: string }) {
  return (
    <section aria-label="Point-in-time recovery">
      <Stack direction="column" gap={1}>
        <Text element="h3">Point-in-time recovery</Text>
        <Text color="secondary">
          {`Off: a failure loses what changed since the last dump (RPO ${rpoSeconds === null ? 'none' : formatDuration(rpoSeconds)}). `}
          {
            "With pitr: true in the target's configuration, the service archives the server's binary log continuously, a restore can reach any second since the oldest kept dump, and the RPO default becomes 4 h. "
          }
          {`The server needs log_bin, binlog_format=ROW, a server_id and binlog_expire_logs_seconds of a week or more; the account needs REPLICATION SLAVE, BINLOG MONITOR and BINLOG REPLAY (backup-sla doctor ${target} checks them).`}
        </Text>
      </Stack>
    </section>
  );
}
