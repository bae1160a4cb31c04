import { describe, expect, it } from 'vitest';
import { KeyedLock } from './keyed-lock.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('KeyedLock', () => {
  it('runs tasks of one key one after another, even when one fails', async () => {
    const lock = new KeyedLock<number>();
    const log: string[] = [];
    const first = lock.run(1, async () => {
      log.push('a start');
      await tick();
      log.push('a end');
      throw new Error('a failed');
    });
    const second = lock.run(1, async () => {
      log.push('b start');
      await tick();
      log.push('b end');
      return 'b';
    });
    await expect(first).rejects.toThrow('a failed');
    await expect(second).resolves.toBe('b');
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end']);
  });

  it('runs tasks of different keys side by side', async () => {
    const lock = new KeyedLock<number>();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
    };
    await Promise.all([lock.run(1, task('a')), lock.run(2, task('b'))]);
    expect(log.slice(0, 2)).toEqual(['a start', 'b start']);
  });
});
