import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one closing line "tests: N passed, N failed, N skipped" after the run, the plain summary that CI reads
 * (vitest's own summary is not in a form CI recognises). A file that fails outside any test (a failing beforeAll
 * or import, whose tests are then reported as skipped) counts as one failure.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const m of testModules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failedHere++;
        else skipped++;
      }
      // a file that failed outside its tests (a beforeAll, an import) skips them all: that is a failure, not skips
      if (m.state() === 'failed' && failedHere === 0) failedHere = 1;
      failed += failedHere;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
