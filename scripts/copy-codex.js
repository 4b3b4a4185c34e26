// Copies each node's codex file (<Node>.node.json) next to its compiled .node.js in dist/.
const fs = require('fs');
const path = require('path');

function walk(dir) {
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) walk(full);
		else if (entry.name.endsWith('.node.json')) {
			const target = path.join('dist', full);
			fs.mkdirSync(path.dirname(target), { recursive: true });
			fs.copyFileSync(full, target);
		}
	}
}

walk('nodes');
