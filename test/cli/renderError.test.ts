/** How the CLI reports errors that end a command: exit codes and one paragraph (issue 11, point 3). */
import { describe, expect, it } from 'vitest';
import { renderError } from '../../src/cli/renderError.js';
import { InvalidInputError, NumericalError } from '../../src/errors.js';
import { expectOneParagraph } from './inProcess.js';

describe('renderError', () => {
  it('a system error escaping a command (disk full, permission denied) is reported with its path, exit 1, no stack', () => {
    const sys = (code: string, message: string, syscall: string): Error =>
      Object.assign(new Error(`${code}: ${message}, ${syscall} '/runs/r.jsonl'`), { code, syscall, path: '/runs/r.jsonl', errno: -28 });
    const full = renderError('train', sys('ENOSPC', 'no space left on device', 'write'));
    expect(full).toEqual({ code: 1, text: 'clln train: /runs/r.jsonl: cannot write the file: no space left on device (ENOSPC)\n' });
    const denied = renderError('resume', sys('EACCES', 'permission denied', 'open'));
    expect(denied).toEqual({ code: 1, text: 'clln resume: /runs/r.jsonl: cannot open the file: permission denied (EACCES)\n' });
    const gone = renderError('export', sys('ENOENT', 'no such file or directory', 'open'));
    expect(gone.code).toBe(2);
    expectOneParagraph(gone.text);
  });

  it('bad input is exit 2, a run failure exit 1, both one paragraph', () => {
    const bad = renderError('solve', new InvalidInputError({ source: 'a.json', field: 'nodes' }, 'must be\nan integer', 'fix\u001bit'));
    expect(bad.code).toBe(2);
    expect(expectOneParagraph(bad.text)).toBe('clln solve: a.json: nodes: must be\\nan integer (fix: fix\\u001bit)');
    const failed = renderError('diagnose', new NumericalError('not positive definite\nat pivot 3'));
    expect(failed.code).toBe(1);
    expect(expectOneParagraph(failed.text)).toBe('clln diagnose: not positive definite\\nat pivot 3');
  });
});
