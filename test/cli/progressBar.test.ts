import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../src/cli/progressBar.js';

function fakeStream(): NodeJS.WriteStream & { text: string; writes: number } {
  const s = { text: '', writes: 0, columns: 100, write(chunk: string) { s.text += chunk; s.writes++; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string; writes: number };
}

describe('ProgressBar', () => {
  it('redraws at most hz times a second but always draws completion', () => {
    let now = 0;
    const s = fakeStream();
    const bar = new ProgressBar(s, 1000, 'train', 10, () => now);
    for (let i = 1; i <= 1000; i++) {
      now = i; // 1 ms per step: 1 s in all
      bar.update(i, 'cost 1e-3');
    }
    // one draw per 100 ms plus the final one
    expect(s.writes).toBeGreaterThanOrEqual(10);
    expect(s.writes).toBeLessThanOrEqual(12);
    expect(s.text).toContain('1000/1000');
    expect(s.text).toContain('cost 1e-3');
    bar.finish();
    expect(s.text.endsWith('\n')).toBe(true);
  });
});
