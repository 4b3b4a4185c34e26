/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true, diagnostics: false }];

const project = (displayName, testMatch, extra = {}) => ({
	displayName,
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': tsJest },
	testMatch,
	...extra,
});

module.exports = {
	projects: [
		project('unit', ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/sandbox/**/*.test.ts']),
		project('integration', ['<rootDir>/test/integration/**/*.test.ts']),
		project('e2e', ['<rootDir>/test/e2e/**/*.e2e.test.ts']),
	],
	reporters: ['default', '<rootDir>/test/summary-reporter.js'],
	testTimeout: 60000,
};
