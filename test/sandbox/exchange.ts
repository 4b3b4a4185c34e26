/**
 * One request/response pair: parsed URL, raw body, content negotiation and logging of what was sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';

import type { RequestAuth, RequestLogEntry } from './types';
import { toXml } from './xml';

export type ResponseFormat = 'json' | 'xml';

/** Receives the log entry of a finished exchange; null for exchanges that are not logged. */
export type LogSink = ((entry: Omit<RequestLogEntry, 'id'>) => void) | null;

const JSON_TYPE = 'application/json; charset=utf-8';
const XML_TYPE = 'application/xml; charset=utf-8';

/** Lower-case status text, used as default error message for injected faults. */
export function statusText(status: number): string {
	return (STATUS_CODES[status] ?? 'error').toLowerCase();
}

export class Exchange {
	readonly arrival = Date.now();
	readonly method: string;
	/** Path plus query exactly as received. */
	readonly url: string;
	readonly pathname: string;
	readonly params: URLSearchParams;
	rawBody: Buffer = Buffer.alloc(0);
	auth?: RequestAuth;
	fault?: RequestLogEntry['fault'];
	/** API requests being handled when this one arrived, itself included (see `RequestLogEntry.inFlight`). */
	inFlight?: number;
	/**
	 * Listing modes paged by a token or a page number (see `SandboxListing`): where the page starts and how long it
	 * is, from the request, given the selected records; a string is a 400 message.
	 */
	listPaging?: (selected: Array<Record<string, unknown>>, idField: string) => { skip: number; take: number } | string;
	/** Set by a listing: the page's start and the number of records selected (for next tokens and has_more). */
	listed?: { skip: number; total: number };
	/** Answered from the `Idempotency-Key` replay store: not applied again. */
	replayed = false;
	private finished = false;

	constructor(
		readonly req: IncomingMessage,
		readonly res: ServerResponse,
		private readonly sink: LogSink,
		private readonly logBodies: boolean,
	) {
		this.method = (req.method ?? 'GET').toUpperCase();
		this.url = req.url ?? '/';
		const queryStart = this.url.indexOf('?');
		this.pathname = queryStart < 0 ? this.url : this.url.slice(0, queryStart);
		this.params = new URLSearchParams(queryStart < 0 ? '' : this.url.slice(queryStart + 1));
	}

	/** Raw body as UTF-8 text. */
	get bodyText(): string {
		return this.rawBody.toString('utf8');
	}

	/** First value of a request header (name in any case). */
	header(name: string): string | undefined {
		const value = this.req.headers[name.toLowerCase()];
		return Array.isArray(value) ? value[0] : value;
	}

	/** JSON when `format=json` or Accept mentions application/json; XML otherwise (the API's default). */
	get format(): ResponseFormat {
		const format = this.params.get('format');
		if (format === 'json') return 'json';
		if (format === 'xml') return 'xml';
		return (this.header('accept') ?? '').toLowerCase().includes('application/json') ? 'json' : 'xml';
	}

	get isFinished(): boolean {
		return this.finished;
	}

	/** Sends a raw body. */
	send(status: number, body: string, contentType: string, headers: Record<string, string> = {}): void {
		if (this.finished) return;
		this.finished = true;
		this.record(status);
		this.res.writeHead(status, {
			'Content-Type': contentType,
			'Content-Length': Buffer.byteLength(body),
			...headers,
		});
		this.res.end(body);
	}

	/** Sends JSON regardless of the negotiated format. */
	sendJson(status: number, value: unknown, headers: Record<string, string> = {}): void {
		this.send(status, JSON.stringify(value), JSON_TYPE, headers);
	}

	/** Sends `value` as JSON or as XML with root element `xmlRoot`, as negotiated. */
	sendData(status: number, value: unknown, xmlRoot: string, headers: Record<string, string> = {}): void {
		if (this.format === 'json') this.sendJson(status, value, headers);
		else this.send(status, toXml(xmlRoot, value), XML_TYPE, headers);
	}

	/** Sends `{"error": message}` in the negotiated format. */
	sendError(status: number, message: string, headers: Record<string, string> = {}): void {
		this.sendData(status, { error: message }, 'response', headers);
	}

	/** Sends a redirect with an empty body. */
	redirect(location: string): void {
		this.send(302, '', 'text/plain; charset=utf-8', { Location: location });
	}

	/** Destroys the socket without any response; logged with status 0. */
	resetConnection(): void {
		if (this.finished) return;
		this.finished = true;
		this.record(0);
		this.req.socket.destroy();
	}

	private record(status: number): void {
		if (!this.sink) return;
		this.sink({
			time: this.arrival,
			method: this.method,
			path: this.pathname,
			url: this.url,
			query: Object.fromEntries(this.params),
			headers: this.req.headers,
			body: this.logBodies ? this.bodyText : '',
			status,
			...(this.auth ? { auth: this.auth } : {}),
			...(this.fault ? { fault: this.fault } : {}),
			...(this.inFlight !== undefined ? { inFlight: this.inFlight } : {}),
			ms: Date.now() - this.arrival,
			...(this.replayed ? { replayed: true } : {}),
		});
	}
}
