import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { DEFAULT_RUNS_DIR, listRuns } from '../../src/store/listRuns.js';
import { populate, tempDir } from './helpers.js';

describe('listRuns', () => {
  it('lists *.jsonl files oldest first with status, steps and last cost; unreadable files last as invalid', async () => {
    const dir = join(tempDir(), 'runs');
    await populate(dir);
    const list = listRuns(dir);
    expect(list.map((r) => [r.file, r.status, r.steps])).toEqual([
      ['b-aborted.jsonl', 'aborted', 3],
      ['d-interrupted.jsonl', 'interrupted', 7],
      ['a-complete.jsonl', 'complete', 12],
      ['c-failed.jsonl', 'failed', 1],
      ['e-garbage.jsonl', 'invalid', 0],
    ]);
    expect(list[0].plan_name).toBe('train');
    expect(list[0].last_cost).toBe(1 / 3);
    expect(list[1].torn).toBe(true);
    expect(list[2].time).toBe(1_700_000_300);
    expect(list[2].uid).toMatch(/^start-/);
    expect(list[2].path).toBe(join(dir, 'a-complete.jsonl'));
    expect(list[4].error).toMatch(/line 1/);
  });

  it('a missing directory is bad input; the default is runs/', () => {
    expect(DEFAULT_RUNS_DIR).toBe('runs');
    expect(() => listRuns(join(tempDir(), 'nope'))).toThrow(InvalidInputError);
  });
});
