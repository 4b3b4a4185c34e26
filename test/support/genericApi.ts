/**
 * A small real JSON REST API that is not EenvoudigFactureren: other paging styles (one capping its page
 * size), and broken paging for the endless-loop guards. Bearer token `generic-token` only. `startRecorder`: a
 * server on another origin that records who calls it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const GENERIC_TOKEN = 'generic-token-7c1f';

export interface GenericApi {
	baseUrl: string;
	requests: string[];
	close(): Promise<void>;
}

const CONTACTS = Array.from({ length: 23 }, (_, i) => ({ id: i + 1, email: `c${i + 1}@example.com` }));

export async function startGenericApi(): Promise<GenericApi> {
	const requests: string[] = [];
	let baseUrl = '';
	const server: Server = createServer((req, res) => {
		requests.push(`${req.method} ${req.url}`);
		const url = new URL(req.url ?? '/', 'http://x');
		const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
			res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
			res.end(JSON.stringify(body));
		};
		if (req.headers.authorization !== `Bearer ${GENERIC_TOKEN}`) return send(401, { message: 'Bad token' });
		const page = Number(url.searchParams.get('page') ?? '1');
		const size = Number(url.searchParams.get('per_page') ?? '10');
		const slice = (p: number) => CONTACTS.slice((p - 1) * size, p * size);
		switch (url.pathname) {
			case '/v2/paged':
				return send(200, { data: slice(page), meta: { page } });
			case '/v2/capped': {
				// Page numbers, but never more than 10 per page, whatever per_page asks.
				const capped = Math.min(size, 10);
				return send(200, CONTACTS.slice((page - 1) * capped, page * capped));
			}
			case '/v2/next': {
				const cursor = Number(url.searchParams.get('cursor') ?? '1');
				const next = cursor * 10 < CONTACTS.length ? `${baseUrl}/v2/next?cursor=${cursor + 1}` : null;
				return send(200, { items: CONTACTS.slice((cursor - 1) * 10, cursor * 10), links: { next } });
			}
			case '/v2/linked': {
				const headers: Record<string, string> =
					page * 10 < CONTACTS.length ? { Link: `<${baseUrl}/v2/linked?page=${page + 1}&per_page=10>; rel="next"` } : {};
				return send(200, slice(page), headers);
			}
			case '/v2/same-page':
				return send(200, { data: slice(1) });
			case '/v2/stuck-cursor':
				return send(200, { items: [{ id: Math.random() }], links: { next: `${baseUrl}/v2/stuck-cursor?cursor=1` } });
			case '/v2/html':
				res.writeHead(200, { 'Content-Type': 'text/html' });
				return res.end('<html><body>Welcome to our website</body></html>');
			case '/v2/errors':
				return send(422, { errors: [{ message: 'email is invalid' }, { message: 'name is missing' }] });
			default:
				return send(404, { message: 'Not found' });
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		baseUrl,
		requests,
		close: () => new Promise((resolve) => server.close(() => resolve())),
	};
}

/** A server on another origin that only records who called it (method, URL, headers) and answers `answer` (`[]`). */
export interface Recorder {
	origin: string;
	requests: Array<{ method: string; url: string; headers: Record<string, string | string[] | undefined> }>;
	close(): Promise<void>;
}

export async function startRecorder(answer = '[]'): Promise<Recorder> {
	const requests: Recorder['requests'] = [];
	const server: Server = createServer((req, res) => {
		requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(answer);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		requests,
		close: () => new Promise((resolve) => server.close(() => resolve())),
	};
}
