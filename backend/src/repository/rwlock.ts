/**
 * A readers-writer lock for one repository inside this process. restic takes an exclusive lock
 * for `forget` (even with --dry-run), `prune` and `check`, and a shared one for `backup` and
 * `copy`; two targets sharing a repository must not collide on those, or the 02:00 backups of
 * one fail while another applies its retention. Waiting writers go first, so retention is never
 * starved by a stream of backups.
 */
export class RwLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: Array<{ exclusive: boolean; go: () => void }> = [];

  shared<T>(fn: () => Promise<T>): Promise<T> {
    return this.run(false, fn);
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.run(true, fn);
  }

  private async run<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    await this.acquire(exclusive);
    try {
      return await fn();
    } finally {
      if (exclusive) {
        this.writer = false;
      } else {
        this.readers--;
      }
      this.wake();
    }
  }

  private canGo(exclusive: boolean): boolean {
    return exclusive ? !this.writer && this.readers === 0 : !this.writer && !this.waiting.some((w) => w.exclusive);
  }

  private acquire(exclusive: boolean): Promise<void> {
    if (this.canGo(exclusive) && this.waiting.length === 0) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((go) => this.waiting.push({ exclusive, go }));
  }

  private take(exclusive: boolean): void {
    if (exclusive) {
      this.writer = true;
    } else {
      this.readers++;
    }
  }

  private wake(): void {
    while (this.waiting.length) {
      const next = this.waiting[0];
      const free = next.exclusive ? !this.writer && this.readers === 0 : !this.writer;
      if (!free) {
        return;
      }
      this.waiting.shift();
      this.take(next.exclusive);
      next.go();
      if (next.exclusive) {
        return;
      }
    }
  }
}
