/** An address or network of an IP allow-list: the first `prefix` bits of `bytes` must match. */
export interface IpNetwork {
	bytes: Uint8Array;
	prefix: number;
}

/** Parses an IPv4 (`10.1.2.3`) or IPv6 (`2001:db8::1`, `::ffff:10.1.2.3`) address; undefined if invalid. */
export function parseIp(text: string): Uint8Array | undefined {
	const address = text.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
	if (address.includes(':')) return parseIpv6(address);
	return parseIpv4(address);
}

function parseIpv4(address: string): Uint8Array | undefined {
	const parts = address.split('.');
	if (parts.length !== 4) return undefined;
	const bytes = new Uint8Array(4);
	for (let i = 0; i < 4; i++) {
		if (!/^\d{1,3}$/.test(parts[i])) return undefined;
		const value = Number(parts[i]);
		if (value > 255) return undefined;
		bytes[i] = value;
	}
	return bytes;
}

function parseIpv6(address: string): Uint8Array | undefined {
	let text = address;
	let tail: number[] = [];
	// An IPv4 tail (`::ffff:10.1.2.3`) stands for the last 32 bits.
	const lastColon = text.lastIndexOf(':');
	if (text.slice(lastColon + 1).includes('.')) {
		const v4 = parseIpv4(text.slice(lastColon + 1));
		if (!v4) return undefined;
		tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
		text = text.slice(0, lastColon + 1);
		if (!text.endsWith('::')) text = text.slice(0, -1);
	}
	const halves = text.split('::');
	if (halves.length > 2) return undefined;
	const group = (s: string) => (s === '' ? [] : s.split(':'));
	const head = group(halves[0]);
	const rest = halves.length === 2 ? group(halves[1]) : [];
	const words: number[] = [];
	for (const part of [...head, ...rest]) {
		if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
	}
	const explicit = head.length + rest.length + tail.length;
	if (halves.length === 1 && explicit !== 8) return undefined;
	if (halves.length === 2 && explicit > 7) return undefined;
	words.push(...head.map((p) => parseInt(p, 16)));
	if (halves.length === 2) for (let i = explicit; i < 8; i++) words.push(0);
	words.push(...rest.map((p) => parseInt(p, 16)), ...tail);
	const bytes = new Uint8Array(16);
	words.forEach((word, i) => {
		bytes[2 * i] = word >> 8;
		bytes[2 * i + 1] = word & 0xff;
	});
	return bytes;
}

/** `::ffff:a.b.c.d` (how Node reports IPv4 clients on a dual-stack socket) as the IPv4 address. */
function unmapIpv4(bytes: Uint8Array): Uint8Array {
	if (bytes.length !== 16) return bytes;
	for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
	if (bytes[10] !== 0xff || bytes[11] !== 0xff) return bytes;
	return bytes.slice(12);
}

/**
 * Parses an allow-list: entries separated by commas, spaces or newlines, each an address or a
 * CIDR network (`10.0.0.0/8`, `2001:db8::/32`).
 *
 * @throws Error naming the first invalid entry.
 */
export function parseAllowList(text: string): IpNetwork[] {
	return text
		.split(/[\s,]+/)
		.filter((entry) => entry !== '')
		.map((entry) => {
			const [addressText, prefixText, extra] = entry.split('/');
			const parsed = parseIp(addressText);
			const bytes = parsed && unmapIpv4(parsed);
			const maxPrefix = bytes ? bytes.length * 8 : 0;
			const prefix = prefixText === undefined ? maxPrefix : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
			if (!bytes || extra !== undefined || !(prefix >= 0 && prefix <= maxPrefix)) {
				throw new Error(`"${entry}" in the IP allow-list is not an IPv4 or IPv6 address or CIDR network`);
			}
			return { bytes, prefix };
		});
}

/** True when `ip` lies in one of the networks. An address that does not parse is never allowed. */
export function isIpAllowed(ip: string | undefined, networks: IpNetwork[]): boolean {
	const parsed = ip === undefined ? undefined : parseIp(ip);
	if (!parsed) return false;
	const bytes = unmapIpv4(parsed);
	return networks.some((network) => network.bytes.length === bytes.length && prefixMatches(bytes, network));
}

function prefixMatches(bytes: Uint8Array, network: IpNetwork): boolean {
	const fullBytes = Math.floor(network.prefix / 8);
	for (let i = 0; i < fullBytes; i++) if (bytes[i] !== network.bytes[i]) return false;
	const restBits = network.prefix % 8;
	if (restBits === 0) return true;
	const mask = (0xff << (8 - restBits)) & 0xff;
	return (bytes[fullBytes] & mask) === (network.bytes[fullBytes] & mask);
}
