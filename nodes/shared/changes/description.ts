/**
 * The parameters of a change feed, shared by the API Sync node's Get Changes operation and the
 * API Sync Trigger, and reading them into checked {@link ChangeFeedSettings}.
 */
import { NodeOperationError, type IDataObject, type INode, type INodeProperties } from 'n8n-workflow';

import { DEFAULT_READ_CONCURRENCY, readConcurrency } from '../authentication';
import { accountHeader } from '../recordData';
import { API_PRESETS, PRESET_LABELS, PRESETS, resolveResource, type PresetName, type ResourcePreset } from '../resources';
import { parseStartValue } from './cursor';
import type { ChangeFeedSettings, FirstRun } from './fetch';
import { MAX_TRACKED_IDS, settingsFingerprint, type DetectionMode } from './state';

const MAX_IDS_TEXT = MAX_TRACKED_IDS.toLocaleString('en-US');

/** Detection, cursor, first run: the top-level parameters. */
export const changeFeedProperties: INodeProperties[] = [
	{
		displayName: 'Detect Changes By',
		name: 'changeDetection',
		type: 'options',
		options: [
			{
				name: 'Resource Default',
				value: 'auto',
				description:
					'EenvoudigFactureren: stock items and projects by last_activity; invoices, quotes, orders, deliveries, receipts and subscriptions by ID (new documents); clients by content hash. Airtable, HubSpot, Shopify, Stripe and custom paths: content hash.',
			},
			{
				name: 'Cursor Field',
				value: 'cursor',
				description: 'A field that grows on every change: a modification timestamp, a date, or the ID for records that are only added',
			},
			{
				name: 'Content Hash',
				value: 'hash',
				description: `Compare every record with the previous run: new, changed and (optionally) deleted records. Up to ${MAX_IDS_TEXT} records.`,
			},
		],
		default: 'auto',
	},
	{
		displayName: 'Cursor Field',
		name: 'cursorField',
		type: 'string',
		default: '',
		placeholder: 'last_modified',
		description:
			'Top-level field whose value grows on every change (ISO date or date-time, or a number). Empty: the resource’s default.',
		displayOptions: { show: { changeDetection: ['cursor'] } },
	},
	{
		displayName: 'API Filters by Cursor',
		name: 'serverSideFilter',
		type: 'boolean',
		default: false,
		description:
			'Whether the API understands filter=FIELD>=VALUE and sort=-FIELD (EenvoudigFactureren style), so that only changed records are downloaded. Otherwise every page is read and filtered in n8n.',
		displayOptions: { show: { remoteResource: ['custom'], changeDetection: ['cursor'] } },
	},
	{
		displayName: 'First Run',
		name: 'firstRun',
		type: 'options',
		options: [
			{
				name: 'Start From Now',
				value: 'now',
				description: 'Emit nothing the first time; afterwards, only what is added or changed',
			},
			{ name: 'Emit All Existing Records', value: 'all', description: 'Emit every record the first time' },
			{
				name: 'Start From a Date or ID (Backfill)',
				value: 'from',
				description: 'Emit the records whose cursor is at or after a given value the first time (cursor field only)',
			},
		],
		default: 'now',
		description: 'What the first run emits, and the first run after a reset',
	},
	{
		displayName: 'Start From',
		name: 'startFrom',
		type: 'string',
		default: '',
		required: true,
		placeholder: '2026-01-01',
		description: 'A date (2026-01-01), a date-time (2026-01-01T08:00:00Z) or an ID/number, compared with the cursor field',
		displayOptions: { show: { firstRun: ['from'] } },
	},
	...resourceDefaultNotices(),
	// Emit Deletions acts only with content-hash detection: chosen, or the resource's default. The
	// same parameter is declared twice because display conditions on two parameters cannot be OR-ed.
	{ ...emitDeletionsProperty(), displayOptions: { show: { changeDetection: ['hash'] } } },
	{
		...emitDeletionsProperty(),
		displayOptions: { show: { changeDetection: ['auto'], remoteResource: hashByDefault() } },
	},
];

function emitDeletionsProperty(): INodeProperties {
	return {
		displayName: 'Emit Deletions',
		name: 'emitDeletions',
		type: 'boolean',
		default: false,
		description:
			'Whether to also emit an item {ID field: ID, _deleted: true} for each record that is gone since the previous run',
	};
}

/** Resources whose default detection is the content hash (no documented cursor field). */
function hashByDefault(): string[] {
	const presets = (Object.keys(PRESETS) as PresetName[]).filter((name) => !('cursorField' in PRESETS[name]));
	return [...presets, ...Object.keys(API_PRESETS), 'custom'];
}

/** What "Resource Default" does for the chosen resource, shown under Detect Changes By. */
function resourceDefaultNotices(): INodeProperties[] {
	const notice = (text: string, remoteResource: string[]): INodeProperties => ({
		displayName: text,
		name: 'resourceDefaultNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { changeDetection: ['auto'], remoteResource } },
	});
	const notices = (Object.keys(PRESETS) as PresetName[]).map((name) => {
		const preset: ResourcePreset = PRESETS[name];
		const label = PRESET_LABELS[name].replace(/ \(.*\)$/, '');
		const things = label.toLowerCase();
		if (!preset.cursorField) {
			return notice(
				`${label}: every run compares each record with the previous run, so new and changed ${things} are emitted (deleted ones too, with Emit Deletions).`,
				[name],
			);
		}
		if (preset.cursorField === preset.idField) {
			return notice(
				`${label}: new ${things}, by ${preset.idField}. Edits of existing ${things} are not reported; to see them, choose Cursor Field with a modification timestamp such as last_modified.`,
				[name],
			);
		}
		return notice(
			`${label}: ${things} whose ${preset.cursorField} date moved since the previous run (new activity). An edit that does not change ${preset.cursorField} is not reported.`,
			[name],
		);
	});
	notices.push(
		notice(
			'Every run reads all records and compares each with the previous run, so new and changed records are emitted (deleted ones too, with Emit Deletions).',
			[...Object.keys(API_PRESETS), 'custom'],
		),
	);
	return notices;
}

/** Options of a change feed, to put in the node's options collection. */
export const changeOptionProperties: INodeProperties[] = [
	{
		displayName: 'Lookback Window (Seconds)',
		name: 'lookbackSeconds',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 60,
		description:
			'Timestamp cursors: also re-read this many seconds before the latest change seen, for records saved late (slow transactions, clock differences). Records already emitted are not emitted again. Not used for IDs and numbers; dates without time use whole days.',
	},
	{
		displayName: 'Manual Runs',
		name: 'manualRunOutput',
		type: 'options',
		options: [
			{ name: 'Return a Sample', value: 'sample', description: 'The latest records, to set up the next nodes' },
			{
				name: 'Preview Changes',
				value: 'preview',
				description: 'What the next production run would emit now',
			},
		],
		default: 'sample',
		description: 'What a run from the editor returns. Manual runs never move the cursor; production runs do.',
	},
	{
		displayName: 'Reset Key',
		name: 'resetKey',
		type: 'string',
		default: '',
		placeholder: 'e.g. 2026-03-01',
		description:
			'Change this to any new value to start over: the next run is a first run again (see First Run). Changing the resource, account, detection, cursor field or First Run also starts over.',
	},
	{
		displayName: 'Sample Size',
		name: 'sampleSize',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 100 },
		default: 5,
		description: 'How many of the latest records a manual run returns',
	},
];

export interface ChangeSettingsInput {
	node: INode;
	/** Reads a top-level node parameter. */
	getParam: (name: string, fallback?: unknown) => unknown;
	/** The options collection holding {@link changeOptionProperties}. */
	options: IDataObject;
	/** Base URL of the credential, part of what identifies the feed. */
	baseUrl: string;
	/** The node's Account ID option; it overrides the credential's. */
	accountId: string;
	/** The credential's Account ID (empty when it has none). */
	credentialAccountId?: string;
}

/** Reads and checks the change feed parameters; a `NodeOperationError` saying what to fix when they do not fit. */
export function readChangeSettings({ node, getParam, options, baseUrl, accountId, credentialAccountId }: ChangeSettingsInput): ChangeFeedSettings {
	const fail = (message: string, description: string) => new NodeOperationError(node, message, { description });
	const resourceName = String(getParam('remoteResource', 'clients'));
	const resource = resolveResource(getParam);
	if (resourceName === 'custom' && resource.path === '/') {
		throw fail('The Path is empty', 'Set Path to the collection to watch, e.g. /contacts.');
	}

	const detection = String(getParam('changeDetection', 'auto'));
	const chosenField = detection === 'cursor' ? String(getParam('cursorField', '') ?? '').trim() : '';
	const mode: DetectionMode = detection === 'hash' || (detection === 'auto' && !resource.cursorField) ? 'hash' : 'cursor';
	const cursorField = mode === 'cursor' ? chosenField || resource.cursorField : undefined;
	if (mode === 'cursor' && !cursorField) {
		throw fail(
			'The Cursor Field is empty',
			'Set Cursor Field to a field that grows on every change (e.g. last_modified or the ID), or choose Content Hash.',
		);
	}

	const firstRun = String(getParam('firstRun', 'now')) as FirstRun;
	let startFrom: ChangeFeedSettings['startFrom'];
	if (firstRun === 'from') {
		if (mode === 'hash') {
			throw fail(
				'"Start From a Date or ID" needs a cursor field',
				'Content-hash detection has no order of changes to start from. Choose Start From Now or Emit All Existing Records, or detect changes by a cursor field.',
			);
		}
		const text = String(getParam('startFrom', '') ?? '');
		startFrom = parseStartValue(text);
		if (startFrom === undefined) {
			throw fail(
				`Start From "${text}" is not a date or a number`,
				'Enter a date (2026-01-01), a date-time (2026-01-01T08:00:00Z) or a number such as an ID (1000).',
			);
		}
	}

	const lookbackSeconds = Number(options.lookbackSeconds ?? 60);
	if (!Number.isFinite(lookbackSeconds) || lookbackSeconds < 0) {
		throw fail(`The lookback window ${String(options.lookbackSeconds)} is not a number of seconds`, 'Set Lookback Window to 0 or more seconds.');
	}
	const sampleSize = Math.trunc(Number(options.sampleSize ?? 5));
	if (!Number.isFinite(sampleSize) || sampleSize < 1 || sampleSize > 100) {
		throw fail(`The sample size ${String(options.sampleSize)} is not between 1 and 100`, 'Set Sample Size to a number from 1 to 100.');
	}

	const account = accountId.trim();
	return {
		resource,
		mode,
		cursorField,
		serverQuery: resource.efListParameters || (resourceName === 'custom' && getParam('serverSideFilter', false) === true),
		firstRun,
		startFrom,
		lookbackSeconds,
		emitDeletions: mode === 'hash' && getParam('emitDeletions', false) === true,
		sampleSize,
		headers: accountHeader(account),
		readConcurrency: readConcurrency(node, options.readConcurrency ?? getParam('options.readConcurrency', DEFAULT_READ_CONCURRENCY)),
		// The state belongs to the account it read: the node's Account ID, else the credential's.
		fingerprint: settingsFingerprint([
			baseUrl,
			account || (credentialAccountId ?? '').trim(),
			resource.path,
			resource.idField,
			mode,
			cursorField ?? null,
			firstRun,
			startFrom ?? null,
			String(options.resetKey ?? ''),
		]),
	};
}
