import { RwLock } from './rwlock';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('RwLock', () => {
  it('lets readers share, keeps a writer alone, and lets a waiting writer go before later readers', async () => {
    const lock = new RwLock();
    const log: string[] = [];
    const hold = (name: string, ms: number) => async () => {
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}-`);
    };
    const r1 = lock.shared(hold('r1', 30));
    const r2 = lock.shared(hold('r2', 30));
    await tick();
    const w = lock.exclusive(hold('w', 20));
    await tick();
    const r3 = lock.shared(hold('r3', 5));
    await Promise.all([r1, r2, w, r3]);
    expect(log.slice(0, 2).sort()).toEqual(['r1+', 'r2+']);
    expect(log.indexOf('w+')).toBeGreaterThan(Math.max(log.indexOf('r1-'), log.indexOf('r2-')));
    expect(log.indexOf('r3+')).toBeGreaterThan(log.indexOf('w-'));
  });

  it('releases the lock when the work fails', async () => {
    const lock = new RwLock();
    await expect(lock.exclusive(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.exclusive(async () => 'next')).resolves.toBe('next');
  });
});
