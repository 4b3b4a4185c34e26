/**
 * Installs a built community package into an n8n user folder (used by scripts/start.sh):
 *   ts-node --transpile-only test/e2e/support/install-package-cli.ts <n8nInstallDir> <userFolder> [packageDir]
 */
import * as path from 'node:path';

import { installCommunityPackage, REPO_ROOT } from './n8n';

const [installDir, userFolder, packageDir] = process.argv.slice(2);
if (!installDir || !userFolder) {
	console.error('usage: install-package-cli.ts <n8nInstallDir> <userFolder> [packageDir]');
	process.exit(2);
}
try {
	const name = installCommunityPackage(path.resolve(installDir), path.resolve(userFolder), path.resolve(packageDir ?? REPO_ROOT));
	console.log(`installed ${name} into ${path.join(path.resolve(userFolder), '.n8n', 'nodes', 'node_modules', name)}`);
} catch (error) {
	console.error((error as Error).message);
	process.exit(1);
}
