import type { Io } from './Io.js';

/** What Ctrl-C acts on: a run that can finish its step and stop, or abort. */
interface Stoppable {
  stop(): void;
  abort(): void;
}

/**
 * Ctrl-C during a training run: the first finishes the step in flight and stops as usual, a second aborts. Returns
 * the function that removes the handler (call it once the run has ended). `drawing`: a progress line is on screen,
 * so the message starts on a new line.
 */
export function stopOnInterrupt(run: Stoppable, io: Io, drawing: boolean): () => void {
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      io.stderr.write(`${drawing ? '\n' : ''}clln train: stopping after the current step (Ctrl-C again to abort)\n`);
      run.stop();
    } else run.abort();
  };
  process.on('SIGINT', onSigint);
  return () => process.off('SIGINT', onSigint);
}
