import type { BoardIdentity } from '../device/Board.js';
import { checkEdgeSetting } from '../device/validateBoardValues.js';
import { InvalidInputError } from '../errors.js';

/** What to do about a value in a record that clln would not have written. */
const EDITED = 'the record was changed after it was written: correct the value, or start a new run';

/**
 * The settings recorded with a run's last step must fit the board they go back to on resume (one per edge, each a
 * valid tap or gate voltage); a problem names the record file `path`, the event's `line` and the field, not the board.
 */
export function checkRecordedSettings(settings: Float64Array, id: BoardIdentity, path: string, line: number): void {
  const field = `line ${line}: data.settings`;
  const fix = `${EDITED}; or the record is not from this board`;
  if (settings.length !== id.edges.length) {
    throw new InvalidInputError({ source: path, field }, `holds ${settings.length} settings, but board ${id.model} has ${id.edges.length} edges`, fix);
  }
  settings.forEach((s, e) => relabel(path, `${field}[${e}]`, () => checkEdgeSetting(id, `edges[${e}]`, s), `on board ${id.model}`, fix));
}

/** Run `check`; an InvalidInputError it throws is raised again naming `path` and `field` (plus the error's own field). */
function relabel<T>(path: string, field: string, check: () => T, note = '', fix?: string): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    const sub = e.field && !field.endsWith(']') ? `.${e.field}` : '';
    throw new InvalidInputError({ source: path, field: field + sub }, `${e.problem}${note ? ` ${note}` : ''}`, fix ?? e.fix);
  }
}
