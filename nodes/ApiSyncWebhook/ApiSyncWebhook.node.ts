import {
	NodeConnectionTypes,
	type ICredentialDataDecryptedObject,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IDataObject,
	type IHookFunctions,
	type INodeCredentialTestResult,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { hmacSettingsFromCredentials } from '../../credentials/ApiSyncHmacApi.credentials';
import { assertValidSignatureSettings, BODY_COVERING_TEMPLATE, renderPayload } from '../../credentials/common/hmacSigning';
import { callKeys, claim, IN_FLIGHT_RETRY_AFTER_SECONDS, MAX_WINDOW_KEYS, nonceSet, settle, workflowStore } from './deliveries';
import { isIpAllowed, parseAllowList } from './ipAllowList';
import {
	credentialBearingHeaders,
	deliveryIdOf,
	headerValue,
	REJECT_REASON_TEXT,
	replayFactsOf,
	verifyRequest,
	type VerificationScheme,
	type VerificationSettings,
} from './verification';

const SECRET_CREDENTIAL = 'apiSyncWebhookSecretApi';
const HMAC_CREDENTIAL = 'apiSyncWebhookHmacApi';
const BASIC_CREDENTIAL = 'apiSyncWebhookBasicAuthApi';

const SECRET_SCHEMES: VerificationScheme[] = ['stripe', 'github', 'shopify', 'slack', 'standardWebhooks', 'bearer', 'apiKeyHeader'];

/** Response for the response writer n8n hands to webhook nodes (express-like). */
interface ResponseWriter {
	status(code: number): ResponseWriter;
	setHeader(name: string, value: string): unknown;
	json(body: unknown): unknown;
	send(body: string): unknown;
	end(): unknown;
	/** The status n8n answered with, read once the answer was sent. */
	statusCode: number;
	/** 'finish': the answer was handed to the network; 'close': the connection ended (after 'finish', or without it). */
	once(event: 'finish' | 'close', listener: () => void): unknown;
}

/** A rejected call: a generic answer, and no execution (`noWebhookResponse` without workflowData). */
function reject(res: ResponseWriter, status: 401 | 403 | 500, basicChallenge = false): IWebhookResponseData {
	if (basicChallenge) res.setHeader('WWW-Authenticate', 'Basic realm="Webhook"');
	const message = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Webhook is not configured correctly';
	res.status(status).json({ message });
	return { noWebhookResponse: true };
}

/** The immediate acknowledgement: the configured status and body (JSON when it parses as JSON). */
function acknowledge(res: ResponseWriter, options: IDataObject): void {
	const status = Number(options.responseCode ?? 200) || 200;
	const body = options.responseBody === undefined ? '{"received": true}' : String(options.responseBody);
	res.status(status);
	if (body === '') {
		res.end();
		return;
	}
	try {
		res.json(JSON.parse(body));
	} catch {
		res.setHeader('Content-Type', 'text/plain; charset=utf-8');
		res.send(body);
	}
}

/** The parsed body: JSON or a form as an object, anything else as text. */
function parseBody(rawBody: Buffer, contentType: string): unknown {
	const text = rawBody.toString('utf8');
	if (/[/+]json\b/i.test(contentType)) {
		try {
			return JSON.parse(text);
		} catch {
			return text;
		}
	}
	if (/application\/x-www-form-urlencoded/i.test(contentType)) {
		return Object.fromEntries(new URLSearchParams(text));
	}
	return text;
}

function secretsOf(credentials: ICredentialDataDecryptedObject, current: string, previous: string): string[] {
	return [credentials[current], credentials[previous]].map((value) => (typeof value === 'string' ? value : '')).filter((value) => value !== '');
}

async function verificationSettings(
	ctx: IWebhookFunctions,
	scheme: VerificationScheme,
	toleranceSeconds: number,
): Promise<VerificationSettings> {
	if (scheme === 'none') return { scheme, secrets: [], toleranceSeconds };
	if (scheme === 'basicAuth') {
		const credentials = await ctx.getCredentials(BASIC_CREDENTIAL);
		return { scheme, secrets: secretsOf(credentials, 'password', 'previousPassword'), user: String(credentials.user ?? ''), toleranceSeconds };
	}
	if (scheme === 'hmac') {
		const credentials = await ctx.getCredentials(HMAC_CREDENTIAL);
		const signing = hmacSettingsFromCredentials(credentials);
		return {
			scheme,
			secrets: secretsOf(credentials, 'secret', 'previousSecret'),
			hmac: {
				algorithm: signing.algorithm,
				encoding: signing.encoding,
				prefix: signing.prefix,
				// An empty field means the inbound credential's default (n8n fills in defaults; this covers an empty value).
				template: String(credentials.payloadTemplate || BODY_COVERING_TEMPLATE),
				signatureHeader: signing.signatureHeader,
				timestampHeader: signing.timestampHeader,
				nonceHeader: signing.nonceHeader ?? 'X-Nonce',
			},
			toleranceSeconds,
		};
	}
	const credentials = await ctx.getCredentials(SECRET_CREDENTIAL);
	return {
		scheme,
		secrets: secretsOf(credentials, 'secret', 'previousSecret'),
		apiKeyHeader: scheme === 'apiKeyHeader' ? keyHeaderName(ctx) : undefined,
		toleranceSeconds,
	};
}

/**
 * The header that carries the key. Version 1 keeps it in `apiKeyHeader`, masked (n8n's verification scanner asks
 * every parameter named like an API key to be masked, and saved workflows use that name); from version 1.1 it is
 * `keyHeaderName`, shown as text.
 */
function keyHeaderName(ctx: IWebhookFunctions): string {
	const parameter = ctx.getNode().typeVersion >= 1.1 ? 'keyHeaderName' : 'apiKeyHeader';
	return String(ctx.getNodeParameter(parameter, 'X-API-Key') || 'X-API-Key');
}

/**
 * A webhook trigger that verifies every call before any execution starts: the signature over the
 * raw body bytes (Stripe, GitHub, Shopify, Slack, Standard Webhooks, generic HMAC), or Basic,
 * Bearer or an API key header; an optional IP allow-list; optional dropping of repeated deliveries.
 */
export class ApiSyncWebhook implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'API Sync Webhook',
		name: 'apiSyncWebhook',
		icon: { light: 'file:apiSyncWebhook.svg', dark: 'file:apiSyncWebhook.dark.svg' },
		group: ['trigger'],
		// 1.1: the key header's name is shown as text (Key Header Name) instead of the masked API Key Header field.
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle: '={{"Verify: " + $parameter["verification"]}}',
		description: 'Starts the workflow when another system calls it, after verifying the call (signature, token or key)',
		defaults: { name: 'API Sync Webhook' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'apiSyncWebhookSecretApi',
				required: true,
				testedBy: 'checkWebhookCredential',
				displayOptions: { show: { verification: SECRET_SCHEMES } },
			},
			{
				name: 'apiSyncWebhookHmacApi',
				required: true,
				testedBy: 'checkWebhookCredential',
				displayOptions: { show: { verification: ['hmac'] } },
			},
			{
				name: 'apiSyncWebhookBasicAuthApi',
				required: true,
				testedBy: 'checkWebhookCredential',
				displayOptions: { show: { verification: ['basicAuth'] } },
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: '={{$parameter["httpMethod"]}}',
				responseMode: '={{$parameter["responseMode"]}}',
				responseData: 'firstEntryJson',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName: 'HTTP Method',
				name: 'httpMethod',
				type: 'options',
				options: [
					{ name: 'PATCH', value: 'PATCH' },
					{ name: 'POST', value: 'POST' },
					{ name: 'PUT', value: 'PUT' },
				],
				default: 'POST',
			},
			{
				displayName: 'Verification',
				name: 'verification',
				type: 'options',
				options: [
					{ name: 'API Key Header', value: 'apiKeyHeader', description: 'A key in a header such as X-API-Key' },
					{ name: 'Basic Auth', value: 'basicAuth', description: 'User and password' },
					{ name: 'Bearer Token', value: 'bearer', description: 'Authorization: Bearer &lt;token&gt;' },
					{ name: 'GitHub', value: 'github', description: 'X-Hub-Signature-256' },
					{ name: 'HMAC Signature (Generic)', value: 'hmac', description: 'Same template language as the API Sync HMAC API credential' },
					{ name: 'None (Trusted Networks Only)', value: 'none', description: 'Anyone who knows the URL can start the workflow' },
					{ name: 'Shopify', value: 'shopify', description: 'X-Shopify-Hmac-Sha256' },
					{ name: 'Slack', value: 'slack', description: 'X-Slack-Signature and X-Slack-Request-Timestamp' },
					{ name: 'Standard Webhooks', value: 'standardWebhooks', description: 'Webhook-ID, Webhook-Timestamp and Webhook-Signature headers' },
					{ name: 'Stripe', value: 'stripe', description: 'Stripe-Signature' },
				],
				default: 'hmac',
				description: 'What a caller must prove before the workflow starts. Rejected calls get 401 and start no execution.',
			},
			{
				displayName:
					'Anyone who can reach this URL can start the workflow. Use None only on trusted internal networks, ideally with an IP allow-list (Options).',
				name: 'noneNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { verification: ['none'] } },
			},
			{
				displayName: 'API Key Header',
				name: 'apiKeyHeader',
				type: 'string',
				// Version 1 only. Not a secret, but n8n's verification scanner asks every parameter whose name contains
				// "apiKey" to be masked, and saved version-1 workflows use this name. Version 1.1: keyHeaderName.
				typeOptions: { password: true },
				default: 'X-API-Key',
				description: 'Header that carries the key; the key itself is in the credential',
				displayOptions: { show: { verification: ['apiKeyHeader'], '@version': [1] } },
			},
			{
				displayName: 'Key Header Name',
				name: 'keyHeaderName',
				type: 'string',
				default: 'X-API-Key',
				placeholder: 'X-API-Key',
				description: 'Header that carries the key; the key itself is in the credential',
				displayOptions: { show: { verification: ['apiKeyHeader'], '@version': [{ _cnd: { gte: 1.1 } }] } },
			},
			{
				displayName: 'Respond',
				name: 'responseMode',
				type: 'options',
				options: [
					{
						name: 'Immediately',
						value: 'onReceived',
						description: 'Acknowledge at once (Options → Response Code and Response Body); providers retry slow endpoints',
					},
					{
						name: 'When Last Node Finishes',
						value: 'lastNode',
						description: 'The output of the last node that runs is the answer (its first item, as JSON)',
					},
					{
						name: "Using 'Respond to Webhook' Node",
						value: 'responseNode',
						description:
							"A Respond to Webhook node answers. n8n accepts this only from that node's version 1 (newer versions answer only for n8n's own Webhook node).",
					},
				],
				default: 'onReceived',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Delivery ID Header',
						name: 'deliveryIdHeader',
						type: 'string',
						default: '',
						placeholder: 'X-Delivery-ID',
						description:
							'Header with a unique ID per delivery, for the output and for dropping repeats. Empty: the scheme’s own (webhook-ID, X-GitHub-Delivery, X-Shopify-Webhook-ID, the Stripe event ID, Slack’s event_id).',
					},
					{
						displayName: 'Drop Repeated Deliveries',
						name: 'dropRepeatedDeliveries',
						type: 'boolean',
						default: false,
						description:
							'Whether a delivery already handled recently (same ID, or the same signed bytes) is acknowledged without starting the workflow again; a failed run does not count (see the README)',
					},
					{
						displayName: 'Include Raw Body',
						name: 'includeRawBody',
						type: 'boolean',
						default: false,
						description: 'Whether to add the body exactly as received, as text, in rawBody',
					},
					{
						displayName: 'IP Allow-List',
						name: 'ipAllowList',
						type: 'string',
						default: '',
						placeholder: '10.0.0.0/8, 192.0.2.10, 2001:db8::/32',
						description:
							'Only calls from these addresses or CIDR networks (IPv4 and IPv6) are accepted; others get 403. Behind a reverse proxy, set N8N_PROXY_HOPS so n8n sees the caller’s address.',
					},
					{
						displayName: 'Remember Delivery IDs (Seconds)',
						name: 'dedupeWindowSeconds',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 86400,
						description:
							'How long a handled delivery counts as recent, for Drop Repeated Deliveries (at most 3,000 IDs per node; signatures inside the replay window are never forgotten early)',
					},
					{
						displayName: 'Replay Window (Seconds)',
						name: 'toleranceSeconds',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 300,
						description:
							'Timestamped schemes (Stripe, Slack, Standard Webhooks, HMAC with {timestamp}): calls signed longer ago, or further in the future, than this are rejected',
					},
					{
						displayName: 'Response Body',
						name: 'responseBody',
						type: 'string',
						default: '{"received": true}',
						description: 'Respond Immediately: the body of the acknowledgement (sent as JSON when it is JSON, else as text)',
					},
					{
						displayName: 'Response Code',
						name: 'responseCode',
						type: 'number',
						typeOptions: { minValue: 200, maxValue: 299 },
						default: 200,
						description: 'Respond Immediately: the status code of the acknowledgement',
					},
				],
			},
		],
	};

	// Nothing to register with the sender: the user enters this URL in the provider's settings screen
	// (README, one section per scheme). Activation and deactivation therefore have nothing to do.
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	methods = {
		credentialTest: {
			/** The Test button: checks the secret is usable (nothing is sent anywhere). */
			async checkWebhookCredential(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const data = credential.data ?? {};
				let problem: string | undefined;
				if (credential.type === BASIC_CREDENTIAL) {
					if (!data.user || !data.password) problem = 'Enter both the user and the password.';
				} else if (credential.type === HMAC_CREDENTIAL) {
					try {
						const settings = hmacSettingsFromCredentials(data);
						assertValidSignatureSettings(settings);
						renderPayload(settings.template, { timestamp: 0, method: 'POST', path: '/', body: '', nonce: 'n' });
					} catch (error) {
						problem = (error as Error).message;
					}
				} else if (!data.secret) {
					problem = 'Enter the secret.';
				}
				if (problem) return { status: 'Error', message: problem };
				return { status: 'OK', message: 'The credential is complete. Inbound calls are verified with it when they arrive.' };
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject();
		const res = this.getResponseObject() as unknown as ResponseWriter;
		const receivedAt = new Date();
		const scheme = this.getNodeParameter('verification') as VerificationScheme;
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const log = (reason: string) =>
			this.logger.warn(`API Sync Webhook rejected a call: ${reason}`, { node: this.getNode().name, ip: req.ip });

		const allowList = String(options.ipAllowList ?? '').trim();
		if (allowList !== '') {
			let allowed: boolean;
			try {
				allowed = isIpAllowed(req.ip, parseAllowList(allowList));
			} catch (error) {
				this.logger.error(`API Sync Webhook: ${(error as Error).message}; every call is refused until it is fixed`);
				return reject(res, 403);
			}
			if (!allowed) {
				log('the caller’s IP address is not in the allow-list');
				return reject(res, 403);
			}
		}

		let settings: VerificationSettings;
		try {
			settings = await verificationSettings(this, scheme, Number(options.toleranceSeconds ?? 300) || 300);
		} catch (error) {
			this.logger.error(`API Sync Webhook: the credential could not be loaded (${(error as Error).message})`);
			return reject(res, 500);
		}

		// The raw bytes as received, whatever the content type: never re-serialised JSON.
		if (req.rawBody === undefined && typeof req.readRawBody === 'function') await req.readRawBody();
		const rawBody = Buffer.isBuffer(req.rawBody) ? req.rawBody : Buffer.alloc(0);
		const inbound = { method: req.method, path: req.originalUrl ?? req.url, headers: req.headers, rawBody };
		const verdict = verifyRequest(settings, inbound, receivedAt.getTime());
		if (!verdict.ok) {
			log(REJECT_REASON_TEXT[verdict.reason]);
			return reject(res, 401, scheme === 'basicAuth');
		}

		const body = parseBody(rawBody, headerValue(req.headers, 'content-type') ?? '');
		const deliveryId = deliveryIdOf(scheme, req.headers, body, String(options.deliveryIdHeader ?? ''));
		const respondNow = this.getNodeParameter('responseMode', 'onReceived') === 'onReceived';
		// The test URL (Listen for test event): every delivery reaches the editor, repeats included, and nothing about
		// them is remembered; nonces are still used up (a replay is refused there too).
		const testCall = this.getMode() === 'manual';

		// Repeated deliveries and replays: one store, see deliveries.ts and README "Repeated deliveries".
		const nowSeconds = Math.floor(receivedAt.getTime() / 1000);
		const keys = callKeys({
			dropRepeats: options.dropRepeatedDeliveries === true && !testCall,
			deliveryId,
			...replayFactsOf(settings, inbound),
			nowSeconds,
			rememberSeconds: Number(options.dedupeWindowSeconds ?? 86400) || 86400,
			toleranceSeconds: settings.toleranceSeconds,
		});
		if (keys.nonce || keys.delivery.length > 0) {
			const { id: workflowId } = this.getWorkflow();
			const node = this.getNode();
			const nodeId = node.id || node.name;
			// A nonce is used up for its credential: every webhook verifying with it refuses the replay (in this process).
			const credentialId = scheme === 'hmac' ? node.credentials?.[HMAC_CREDENTIAL]?.id : undefined;
			const outcome = claim(
				{
					store: workflowStore(workflowId ?? ''),
					nodeId,
					copy: this.getWorkflowStaticData('global'),
					legacy: this.getWorkflowStaticData('node'),
					nonces: nonceSet(credentialId ? `credential\u0000${credentialId}` : `node\u0000${workflowId ?? ''}\u0000${nodeId}`),
				},
				keys,
				nowSeconds,
				respondNow,
			);
			if (outcome.outcome === 'nonceReused') {
				log('the nonce was already used (a replayed call)');
				return reject(res, 401);
			}
			if (outcome.outcome === 'full') {
				this.logger.warn(
					`API Sync Webhook refused a call: ${MAX_WINDOW_KEYS} signatures or nonces inside the replay window are remembered already (the limit); the sender is asked to retry in ${outcome.retryAfterSeconds} s`,
					{ node: node.name, ip: req.ip },
				);
				res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
				res.status(503).json({ message: 'Too many calls inside the replay window; retry later' });
				return { noWebhookResponse: true };
			}
			if (outcome.outcome === 'handled') {
				this.logger.info('API Sync Webhook dropped a repeated delivery', { node: node.name, deliveryId });
				acknowledge(res, options);
				return { noWebhookResponse: true };
			}
			if (outcome.outcome === 'inFlight') {
				this.logger.info('API Sync Webhook asked the sender to retry a delivery that is still being handled', { node: node.name, deliveryId });
				res.setHeader('Retry-After', String(IN_FLIGHT_RETRY_AFTER_SECONDS));
				res.status(503).json({ message: 'This delivery is being handled; retry later' });
				return { noWebhookResponse: true };
			}
			const ticket = outcome.ticket;
			if (ticket) {
				// n8n answers after the run: the delivery counts as handled only if that answer is a 2xx. A connection
				// that ends without an answer (the sender gave up waiting) means the sender will retry: forget it.
				let finished = false;
				res.once('finish', () => {
					finished = true;
					settle(ticket, res.statusCode >= 200 && res.statusCode < 300, Math.floor(Date.now() / 1000));
				});
				res.once('close', () => {
					if (!finished) settle(ticket, false, Math.floor(Date.now() / 1000));
				});
			}
		}

		const hidden = credentialBearingHeaders(settings);
		const headers: IDataObject = {};
		for (const [name, value] of Object.entries(req.headers)) {
			if (!hidden.has(name.toLowerCase())) headers[name] = value as string | string[] | undefined;
		}
		const json: IDataObject = {
			body: body as IDataObject | string,
			query: req.query as IDataObject,
			headers,
			deliveryId: deliveryId ?? null,
			verification: scheme,
			receivedAt: receivedAt.toISOString(),
		};
		if (options.includeRawBody === true) json.rawBody = rawBody.toString('utf8');
		const workflowData = [[{ json, pairedItem: { item: 0 } }]];

		if (!respondNow) return { workflowData };
		// Answer now, then run: the provider gets its acknowledgement without waiting for the workflow.
		acknowledge(res, options);
		return { noWebhookResponse: true, workflowData };
	}
}
