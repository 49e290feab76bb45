import { describe, expect, it } from 'vitest';
import { Semaphore, SpeedMeter, chunkCount, chunkRange, eta, heldBytes, pendingChunks } from './schedule';

describe('chunks', () => {
  it('lists what is neither held nor in flight', () => {
    expect(pendingChunks(6, new Set([0, 2]), new Set([3]))).toEqual([1, 4, 5]);
    expect(pendingChunks(0, new Set())).toEqual([]);
  });
  it('measures ranges and held bytes with a short last chunk', () => {
    expect(chunkRange(2, 10, 25)).toEqual([20, 25]);
    expect(heldBytes([0, 2], 10, 25)).toBe(15);
    expect(chunkCount(25, 10)).toBe(3);
    expect(chunkCount(0, 10)).toBe(0);
  });
});

describe('SpeedMeter', () => {
  it('averages over the window', () => {
    const m = new SpeedMeter(5000);
    m.add(0, 0);
    m.add(1000, 1000);
    m.add(2000, 3000);
    expect(m.rate(2000)).toBe(1500);
  });
  it('forgets old samples and decays when stalled', () => {
    const m = new SpeedMeter(1000);
    m.add(0, 0);
    m.add(500, 100_000);
    m.add(2000, 100_000);
    m.add(2500, 100_500);
    expect(m.rate(2500)).toBeLessThan(2000);
    expect(m.rate(60_000)).toBeLessThan(50);
  });
  it('says nothing before it knows', () => {
    const m = new SpeedMeter();
    expect(m.rate(0)).toBe(0);
    m.add(0, 10);
    m.add(50, 20);
    expect(m.rate(50)).toBe(0);
  });
});

describe('eta', () => {
  it('divides what is left by the rate', () => {
    expect(eta(1000, 100)).toBe(10);
    expect(eta(0, 0)).toBe(0);
    expect(eta(10, 0)).toBeUndefined();
  });
});

describe('Semaphore', () => {
  it('admits n at a time, in order', async () => {
    const s = new Semaphore(2);
    const a = await s.acquire();
    await s.acquire();
    let third = false;
    const p = s.acquire().then((r) => {
      third = true;
      return r;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    expect(s.inUse).toBe(2);
    a();
    a(); // releasing twice is harmless
    await p;
    expect(third).toBe(true);
    expect(s.inUse).toBe(2);
  });
  it('drops an aborted waiter', async () => {
    const s = new Semaphore(1);
    const r = await s.acquire();
    const ac = new AbortController();
    const p = s.acquire(ac.signal);
    ac.abort();
    await expect(p).rejects.toThrow();
    r();
    expect(s.inUse).toBe(0);
  });
});
