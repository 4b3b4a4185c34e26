/**
 * API personas: servers that follow the public documentation of well-known APIs, under
 * `/api/v1/personas/{name}` of the sandbox, so that each convention the nodes support (envelopes, write wrappers,
 * form bodies, JSON:API, cursor tokens, Link headers, error shapes) is tested end to end against a server that
 * refuses what the real API refuses. They share the sandbox's identities, account rules, fault model and log; the
 * idempotency-key replay only where the API has it (Stripe); each keeps its own records per account.
 *
 * A credential's Base URL for a persona: `{sandbox.baseUrl}/personas/hubspot` (then the API's own paths, e.g.
 * `/crm/v3/objects/contacts`).
 */
import type { AuthContext } from '../auth';
import type { Exchange } from '../exchange';
import { API_PREFIX } from '../faults';
import { AirtablePersona } from './airtable';
import { authenticatePersona, type Persona } from './common';
import { CursorApiPersona } from './cursorApi';
import { HubSpotPersona } from './hubspot';
import { JsonApiPersona } from './jsonApi';
import { ShopifyPersona } from './shopify';
import { StripePersona } from './stripe';

export { AIRTABLE_BASE, AIRTABLE_MAX_RECORDS, AIRTABLE_TABLE } from './airtable';
export { HUBSPOT_MAX_BATCH } from './hubspot';

export const PERSONA_PREFIX = `${API_PREFIX}/personas`;

/** Every persona, by the name in its URL. */
export class Personas {
	readonly hubspot = new HubSpotPersona();
	readonly stripe = new StripePersona();
	readonly airtable = new AirtablePersona();
	readonly shopify = new ShopifyPersona();
	readonly jsonapi = new JsonApiPersona();
	readonly cursor = new CursorApiPersona();

	private get all(): Record<string, Persona> {
		return { hubspot: this.hubspot, stripe: this.stripe, airtable: this.airtable, shopify: this.shopify, jsonapi: this.jsonapi, cursor: this.cursor };
	}

	reset(seed: boolean): void {
		for (const persona of Object.values(this.all)) persona.reset(seed);
	}

	/** The persona a request path is for, or undefined (the EenvoudigFactureren routes, or no such persona). */
	personaOf(pathname: string): Persona | undefined {
		if (!Personas.handles(pathname)) return undefined;
		const [name] = pathname.slice(PERSONA_PREFIX.length).split('/').filter((segment) => segment !== '');
		return this.all[name];
	}

	/** Whether this request is for a persona (the EenvoudigFactureren routes handle the rest). */
	static handles(pathname: string): boolean {
		return pathname.startsWith(`${PERSONA_PREFIX}/`);
	}

	/** Handles one persona request (faults already applied): authenticates it, then hands it to the persona. */
	handle(ex: Exchange, ctx: AuthContext & { baseUrl: string; now(): Date }): void {
		const [name, ...segments] = ex.pathname
			.slice(PERSONA_PREFIX.length)
			.split('/')
			.filter((segment) => segment !== '');
		const persona = this.all[name];
		if (!persona) return ex.sendJson(404, { error: `no API persona named ${name}` });
		const auth = authenticatePersona(ex, ctx, persona.keyHeader);
		if (!auth.ok && auth.status === 401) return persona.unauthorized(ex, auth.message);
		if (!auth.ok) return ex.sendJson(403, { error: auth.message, errors: auth.message });
		persona.handle({ ex, account: auth.account, segments: segments.map(decodeURIComponent), baseUrl: `${ctx.baseUrl}/personas/${name}`, now: ctx.now() });
	}
}
