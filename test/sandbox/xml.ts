/**
 * A small XML rendering of JSON-like values, enough to mimic the API's default XML answers:
 * `<?xml ...?><clients><client><client_id>101</client_id>...</client></clients>`.
 */

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const SINGULARS: Record<string, string> = {
	clients: 'client',
	stockitems: 'stockitem',
	invoices: 'invoice',
	items: 'item',
	results: 'result',
	rights: 'right',
	entries: 'entry',
};

/** Renders `value` as an XML document whose root element is `root`. */
export function toXml(root: string, value: unknown): string {
	return XML_DECLARATION + element(root, value);
}

/** Element name used for the entries of a list element. */
export function singular(name: string): string {
	if (SINGULARS[name]) return SINGULARS[name];
	if (name.length > 1 && name.endsWith('s')) return name.slice(0, -1);
	return 'item';
}

function element(name: string, value: unknown): string {
	const tag = xmlName(name);
	if (value === null || value === undefined) return `<${tag}/>`;
	if (Array.isArray(value)) {
		const child = singular(tag);
		return `<${tag}>${value.map((entry) => element(child, entry)).join('')}</${tag}>`;
	}
	if (typeof value === 'object') {
		const children = Object.entries(value as Record<string, unknown>).map(([key, entry]) => element(key, entry));
		return `<${tag}>${children.join('')}</${tag}>`;
	}
	return `<${tag}>${escapeXml(String(value))}</${tag}>`;
}

function xmlName(name: string): string {
	const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '_');
	return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function escapeXml(text: string): string {
	return text
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&apos;');
}
