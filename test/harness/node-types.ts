/**
 * Node and credential type loading.
 *
 * The package's nodes (`nodes/**\/*.node.ts`) and credentials (`credentials/*.credentials.ts`)
 * are loaded from SOURCE with n8n-core's own `DirectoryLoader` logic (class named after the
 * file, description validation, special parameters, versioned nodes), exactly as n8n loads
 * a community package, but from `.ts` files (ts-jest / ts-node compile them on require).
 * Node types are registered as `n8n-nodes-api-sync.<description.name>`.
 *
 * Optionally the harness's own fixtures (`test/harness/__fixtures__`) are loaded into the
 * same package namespace, and the built-in stand-ins (`builtins.ts`) are always present.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { DirectoryLoader } from 'n8n-core';
import type {
	ICredentialType,
	ICredentialTypes,
	IDataObject,
	INodeType,
	INodeTypes,
	IVersionedNodeType,
} from 'n8n-workflow';
import { NodeHelpers, UnexpectedError } from 'n8n-workflow';

import { BUILTIN_NODE_TYPES, HarnessItems, ManualTrigger, NoOp, OAuth2Api } from './builtins';

/** npm package name = prefix of our node type names. */
export const PACKAGE_NAME = 'n8n-nodes-api-sync';
/** Repository root (the package directory). */
export const PACKAGE_ROOT = resolve(__dirname, '..', '..');
/** The harness's own test nodes and credentials. */
export const FIXTURES_DIR = resolve(__dirname, '__fixtures__');

export interface LoadError {
	file: string;
	error: Error;
}

function findFiles(dir: string, suffix: string, recursive: boolean): string[] {
	if (!existsSync(dir)) return [];
	const found: string[] = [];
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) {
			if (recursive && entry.name !== 'node_modules') found.push(...findFiles(path, suffix, true));
		} else if (entry.name.endsWith(suffix)) {
			found.push(path);
		}
	}
	return found.sort();
}

/** n8n-core's DirectoryLoader fed with explicit TypeScript source files. */
class SourceDirectoryLoader extends DirectoryLoader {
	packageName = PACKAGE_NAME;

	readonly loadErrors: LoadError[] = [];

	constructor(
		directory: string,
		private readonly nodeFiles: string[],
		private readonly credentialFiles: string[],
	) {
		super(directory);
	}

	async loadAll(): Promise<void> {
		// Nodes first: credentials pick up their `supportedNodes` from the nodes using them.
		for (const file of this.nodeFiles) this.tryLoad(file, () => this.loadNodeFromFile(file));
		for (const file of this.credentialFiles) {
			this.tryLoad(file, () => this.loadCredentialFromFile(file));
		}
	}

	private tryLoad(file: string, load: () => void) {
		try {
			load();
		} catch (error) {
			this.loadErrors.push({ file, error: error instanceof Error ? error : new Error(String(error)) });
		}
	}
}

export interface LoadedTypes {
	nodeTypes: HarnessNodeTypes;
	credentialTypes: HarnessCredentialTypes;
	/** Files that failed to load (compile errors, wrong class name, ...). */
	loadErrors: LoadError[];
}

type NodeTypeEntry = INodeType | IVersionedNodeType;

/** `INodeTypes` over the loaded package, fixtures and built-ins. */
export class HarnessNodeTypes implements INodeTypes {
	constructor(
		readonly types: Record<string, NodeTypeEntry>,
		private readonly loadErrors: LoadError[],
	) {}

	getByName(nodeType: string): NodeTypeEntry {
		const type = this.types[nodeType];
		if (!type) throw this.unknown(nodeType);
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes(): IDataObject {
		return {};
	}

	/** Latest version of a node type (what the editor uses for a new node). */
	getLatestVersion(nodeType: string): number {
		const type = this.getByName(nodeType);
		if ('nodeVersions' in type) return type.currentVersion;
		const { version } = type.description;
		return Array.isArray(version) ? Math.max(...version) : version;
	}

	private unknown(nodeType: string) {
		const errors = this.loadErrors.map(({ file, error }) => `\n  ${file}: ${error.message}`).join('');
		return new UnexpectedError(
			`Unknown node type "${nodeType}". Known: ${Object.keys(this.types).join(', ')}` +
				(errors ? `\nFiles that failed to load:${errors}` : ''),
		);
	}
}

/** `ICredentialTypes` as n8n's CLI `CredentialTypes` implements it. */
export class HarnessCredentialTypes implements ICredentialTypes {
	constructor(
		readonly types: Record<string, ICredentialType>,
		private readonly supportedNodes: Record<string, string[]>,
		private readonly loadErrors: LoadError[],
	) {}

	recognizes(type: string): boolean {
		return type in this.types;
	}

	getByName(type: string): ICredentialType {
		const credentialType = this.types[type];
		if (!credentialType) {
			const errors = this.loadErrors.map(({ file, error }) => `\n  ${file}: ${error.message}`).join('');
			throw new UnexpectedError(
				`Unknown credential type "${type}". Known: ${Object.keys(this.types).join(', ')}` +
					(errors ? `\nFiles that failed to load:${errors}` : ''),
			);
		}
		return credentialType;
	}

	getSupportedNodes(type: string): string[] {
		return this.supportedNodes[type] ?? [];
	}

	/** All ancestors via `extends`, nearest first (as n8n's CLI computes them). */
	getParentTypes(typeName: string): string[] {
		const parents = this.types[typeName]?.extends ?? [];
		return [...parents, ...parents.flatMap((parent) => this.getParentTypes(parent))];
	}
}

const cache = new Map<string, Promise<LoadedTypes>>();

/**
 * Loads (once per module registry, i.e. once per jest test file) the package's node and
 * credential types from source, plus the fixtures if `fixtures` is true, plus the built-ins.
 * Files that fail to load are reported in `loadErrors` and in "unknown type" errors.
 */
export async function loadTypes(fixtures: boolean): Promise<LoadedTypes> {
	const key = fixtures ? 'fixtures' : 'package';
	let loaded = cache.get(key);
	if (!loaded) {
		loaded = doLoadTypes(fixtures);
		cache.set(key, loaded);
	}
	return await loaded;
}

async function doLoadTypes(fixtures: boolean): Promise<LoadedTypes> {
	const loaders = [
		new SourceDirectoryLoader(
			PACKAGE_ROOT,
			findFiles(join(PACKAGE_ROOT, 'nodes'), '.node.ts', true),
			findFiles(join(PACKAGE_ROOT, 'credentials'), '.credentials.ts', false),
		),
	];
	if (fixtures) {
		loaders.push(
			new SourceDirectoryLoader(
				FIXTURES_DIR,
				findFiles(FIXTURES_DIR, '.node.ts', true),
				findFiles(FIXTURES_DIR, '.credentials.ts', true),
			),
		);
	}

	const nodeTypes: Record<string, NodeTypeEntry> = {
		[BUILTIN_NODE_TYPES.manualTrigger]: new ManualTrigger(),
		[BUILTIN_NODE_TYPES.noOp]: new NoOp(),
		[BUILTIN_NODE_TYPES.items]: new HarnessItems(),
	};
	const credentialTypes: Record<string, ICredentialType> = { oAuth2Api: new OAuth2Api() };
	const supportedNodes: Record<string, string[]> = {};
	const loadErrors: LoadError[] = [];

	for (const loader of loaders) {
		await loader.loadAll();
		loadErrors.push(...loader.loadErrors);
		for (const [name, { type }] of Object.entries(loader.nodeTypes)) {
			nodeTypes[`${loader.packageName}.${name}`] = type;
		}
		for (const [name, { type }] of Object.entries(loader.credentialTypes)) {
			credentialTypes[name] = type;
		}
		for (const [credential, nodes] of Object.entries(loader.nodesByCredential)) {
			supportedNodes[credential] = [
				...(supportedNodes[credential] ?? []),
				...nodes.map((node) => `${loader.packageName}.${node}`),
			];
		}
	}

	return {
		nodeTypes: new HarnessNodeTypes(nodeTypes, loadErrors),
		credentialTypes: new HarnessCredentialTypes(credentialTypes, supportedNodes, loadErrors),
		loadErrors,
	};
}
