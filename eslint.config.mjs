import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import tseslint from 'typescript-eslint';

export default tseslint.config(
	{ ignores: ['dist/**', 'node_modules/**', '.n8n-local/**', 'coverage/**'] },
	// Package code: n8n's community-node rules, as n8n Cloud verification applies them.
	{
		files: ['credentials/**/*.ts', 'nodes/**/*.ts', 'index.ts', 'package.json'],
		...n8nCommunityNodesPlugin.configs.recommended,
	},
	{
		// typescript-estree parses .json as JSON, giving the package.json rules the AST they expect.
		files: ['package.json'],
		languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
	},
	{
		files: ['credentials/**/*.ts', 'nodes/**/*.ts', 'index.ts'],
		extends: [tseslint.configs.recommended],
		languageOptions: { parserOptions: { projectService: false } },
	},
	// Tests, scripts and the sandbox run in Node and may use what node code may not.
	{
		files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
		extends: [tseslint.configs.recommended],
		rules: {
			'@typescript-eslint/no-explicit-any': 'off',
			'@typescript-eslint/no-require-imports': 'off',
		},
	},
);
