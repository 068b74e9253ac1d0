import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/summaryReporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['./test/tmpdirSetup.ts', './test/firmwareBuildSetup.ts'],
    reporters: ['default', new SummaryReporter()],
  },
});
