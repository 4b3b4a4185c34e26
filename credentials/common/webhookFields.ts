import type { INodeProperties } from 'n8n-workflow';

/** The previous secret, accepted alongside the current one while a rotation is under way. */
export function previousSecretProperty(name: string, displayName: string): INodeProperties {
	return {
		displayName,
		name,
		type: 'string',
		typeOptions: { password: true },
		default: '',
		description:
			'Optional, for rotating the secret: calls made with this older value are still accepted. Clear it once the sender uses the new one.',
	};
}
