/**
 * `npm run test:queue`: n8n in queue mode (PostgreSQL, Redis, main, two workers, webhook processor).
 * A separate config so that `npm test` (jest.config.js) does not run it.
 * @type {import('jest').Config}
 */
module.exports = {
	displayName: 'queue',
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true, diagnostics: false }] },
	testMatch: ['<rootDir>/test/queue/**/*.queue.test.ts'],
	reporters: ['default', '<rootDir>/test/summary-reporter.js'],
	testTimeout: 60000,
};
