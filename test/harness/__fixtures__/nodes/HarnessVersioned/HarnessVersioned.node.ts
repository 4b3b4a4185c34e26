import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeBaseDescription,
	INodeTypeDescription,
} from 'n8n-workflow';
import { VersionedNodeType } from 'n8n-workflow';

function versionNode(baseDescription: INodeTypeBaseDescription, version: number): INodeType {
	const description: INodeTypeDescription = {
		...baseDescription,
		version,
		defaults: { name: 'Harness Versioned' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [],
	};
	return {
		description,
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			return [[{ json: { version: this.getNode().typeVersion, implementation: version } }]];
		},
	};
}

/** Fixture: a versioned node (v1, v2; default v2). */
export class HarnessVersioned extends VersionedNodeType {
	constructor() {
		const baseDescription: INodeTypeBaseDescription = {
			displayName: 'Harness Versioned',
			name: 'harnessVersioned',
			group: ['transform'],
			description: 'Harness versioned node fixture',
			defaultVersion: 2,
		};
		super({ 1: versionNode(baseDescription, 1), 2: versionNode(baseDescription, 2) }, baseDescription);
	}
}
