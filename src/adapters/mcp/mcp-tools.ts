import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { hasPermission } from '../../core/access/actor.ts';
import { sendPermission } from '../../core/access/permissions.ts';
import { PURPOSES, type ConsentState } from '../../core/consent/consent.ts';
import { ERROR_CATALOG, isDomainError } from '../../core/errors.ts';
import type { PatientId } from '../../core/ids.ts';
import { CHANNELS, type Channel } from '../../core/messaging/channel.ts';
import { phi, reveal } from '../../core/phi/phi.ts';
import { FIELDS, type FieldName } from '../../core/templates/fields.ts';
import { fieldsOf, parseTemplateText } from '../../core/templates/template-text.ts';
import type { AppDeps, RequestContext } from '../../app/context.ts';
import { getConsents } from '../../app/consents.ts';
import { readConversation } from '../../app/conversation.ts';
import { findPatientsByPhone, getPatient } from '../../app/patients.ts';
import type { PatientRecord } from '../../app/ports.ts';
import { checkMessage, sendMessage, type SendMessageCommand } from '../../app/send-message.ts';
import { listTemplateKinds, listTemplates } from '../../app/templates.ts';

/**
 * Wardline's MCP tools (issue 5 item 5). Each tool is a thin adapter over a use case, called with the agent's own
 * actor and the HTTP request's id: consent, the PHI policy, the agent policy, access control and audit apply exactly
 * as on the HTTP API. Results are structured JSON; failures are tool errors carrying the stable code and the reviewed
 * detail (never PHI, never the submitted values).
 */

const FIELD_NAMES = Object.keys(FIELDS) as [FieldName, ...FieldName[]];
const PatientIdInput = z.uuid({ message: 'must be a UUID' }).describe('The patient id (a UUID).');

const SendInput = z
  .object({
    patientId: PatientIdInput,
    channel: z.enum(CHANNELS).describe('sms, text (SMS/MMS) or whatsapp.'),
    template: z.string().min(1).max(100).describe('The template name or id (see list_templates).'),
    params: z.partialRecord(z.enum(FIELD_NAMES), z.string().max(500)).default({}).describe('The params the template needs, by field name (see list_templates).'),
    purpose: z.enum(PURPOSES).optional().describe("Defaults to the template category's purpose."),
    urgent: z.boolean().optional(),
  })
  .strict();

const SendTemplateInput = SendInput.extend({ idempotencyKey: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII').optional().describe('Retrying with the same key never sends twice.') }).strict();

function commandOf(input: z.infer<typeof SendInput>, idempotencyKey: string | undefined): SendMessageCommand {
  return {
    patientId: input.patientId as PatientId,
    channel: input.channel,
    purpose: input.purpose,
    template: { id: input.template, params: phi(input.params) },
    urgent: input.urgent,
    idempotencyKey,
  };
}

function consentJson(state: ConsentState): Record<string, unknown> {
  return state.status === 'never-granted' ? { status: state.status } : { status: state.status, since: state.since.toISOString(), source: state.source };
}

function ok(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/**
 * Runs a tool body; a DomainError becomes a tool error with its code and reviewed detail, anything else a generic
 * INTERNAL logged once (with the error, never the arguments).
 */
async function run(deps: AppDeps, ctx: RequestContext, tool: string, body: () => Promise<Record<string, unknown>>): Promise<CallToolResult> {
  try {
    return ok(await body());
  } catch (error) {
    const code = isDomainError(error) ? error.code : 'INTERNAL';
    if (!isDomainError(error)) deps.logger.error({ err: error, reqId: ctx.requestId, tool }, 'mcp tool failed');
    const { status, title } = ERROR_CATALOG[code];
    const problem = {
      code,
      status,
      title,
      detail: isDomainError(error) ? (error.safeDetail ?? title) : 'Something went wrong on our side; the request id identifies it in our logs.',
      ...(isDomainError(error) ? error.extensions : {}),
      ...(isDomainError(error) && error.issues.length > 0 ? { errors: error.issues } : {}),
      instance: `urn:uuid:${ctx.requestId}`,
    };
    return { isError: true, content: [{ type: 'text', text: JSON.stringify(problem) }], structuredContent: problem };
  }
}

/** The channels a patient can be reached on, with the consent state per purpose. */
function channelsOf(patient: { whatsapp: unknown }, current: readonly { channel: Channel; purpose: string; state: ConsentState }[]): Record<string, unknown>[] {
  return CHANNELS.map((channel) => ({
    channel,
    available: channel !== 'whatsapp' || patient.whatsapp !== null,
    consent: Object.fromEntries(current.filter((c) => c.channel === channel).map((c) => [c.purpose, consentJson(c.state)])),
  }));
}

/** The minimum necessary about a patient for an agent: id, given name, language, channels with consent. */
async function summaryOf(deps: AppDeps, ctx: RequestContext, patient: PatientRecord): Promise<Record<string, unknown>> {
  const consents = await getConsents(deps, ctx, patient.id);
  return { id: patient.id, givenName: reveal(patient.givenName), language: patient.language ?? 'en', channels: channelsOf(patient, consents.current) };
}

/**
 * Registers the tools on a per-request server, bound to the caller.
 * @param server - the MCP server of this request
 * @param deps - app dependencies
 * @param ctx - the authenticated agent (or other principal) and the request id
 */
export function registerWardlineTools(server: McpServer, deps: AppDeps, ctx: RequestContext): void {
  server.registerTool(
    'find_patient',
    {
      description: "Looks up a patient you may see, by Wardline id. Returns the minimum necessary: id, given name, language, and each channel with its consent state. A patient outside your wards answers NOT_FOUND, like an unknown id.",
      inputSchema: z.object({ patientId: PatientIdInput }).strict(),
      annotations: { readOnlyHint: true },
    },
    async ({ patientId }) => run(deps, ctx, 'find_patient', async () => summaryOf(deps, ctx, await getPatient(deps, ctx, patientId as PatientId))),
  );

  server.registerTool(
    'search_patients',
    {
      description:
        'Finds the patients you may see who use a phone number (SMS/text or WhatsApp), e.g. someone who called in. Same minimum necessary as find_patient; patients outside your wards are not listed. The number is never logged.',
      inputSchema: z.object({ phone: z.string().min(3).max(40).describe('The phone number, in any common format (E.164 preferred).') }).strict(),
      annotations: { readOnlyHint: true },
    },
    async ({ phone }) =>
      run(deps, ctx, 'search_patients', async () => {
        const found = await findPatientsByPhone(deps, ctx, phi(phone));
        return { patients: await Promise.all(found.map((p) => summaryOf(deps, ctx, p))) };
      }),
  );

  server.registerTool(
    'check_consent',
    {
      description: 'The effective consent state of a patient you may see, per channel and purpose (care, billing, marketing).',
      inputSchema: z.object({ patientId: PatientIdInput }).strict(),
      annotations: { readOnlyHint: true },
    },
    async ({ patientId }) =>
      run(deps, ctx, 'check_consent', async () => {
        const { current } = await getConsents(deps, ctx, patientId as PatientId);
        return { patientId, consents: current.map((c) => ({ channel: c.channel, purpose: c.purpose, ...consentJson(c.state) })) };
      }),
  );

  server.registerTool(
    'list_templates',
    {
      description: 'The approved templates you may send: name, kind, category, channels and languages, every placeholder, and the params you must supply (the others Wardline fills in).',
      inputSchema: z.object({}).strict(),
      annotations: { readOnlyHint: true },
    },
    async () =>
      run(deps, ctx, 'list_templates', async () => {
        const [templates, kinds] = await Promise.all([listTemplates(deps, ctx), listTemplateKinds(deps, ctx)]);
        const categoryOf = new Map(kinds.map((k) => [k.name, k.category]));
        const items = templates.flatMap(({ template, versions }) => {
          const current = [...versions].reverse().find((v) => v.status === 'approved');
          const category = categoryOf.get(template.kind);
          if (current === undefined || category === undefined || !hasPermission(ctx.actor, sendPermission(category))) return [];
          const placeholders = [...new Set(current.variants.flatMap((v) => { const parsed = parseTemplateText(v.body); return parsed.ok ? fieldsOf(parsed.segments) : []; }))];
          return [{
            id: template.id,
            name: template.name,
            kind: template.kind,
            category,
            version: current.version,
            variants: current.variants.map((v) => ({ channel: v.channel, language: v.language })),
            placeholders: placeholders.map((name) => ({ name, source: FIELDS[name].source, type: FIELDS[name].type })),
            params: placeholders.filter((name) => FIELDS[name].source === 'param').map((name) => ({ name, type: FIELDS[name].type, maxLength: FIELDS[name].maxLength, description: FIELDS[name].description })),
          }];
        });
        return { items };
      }),
  );

  server.registerTool(
    'send_template',
    {
      description: 'Sends an approved template to a patient you may see, through the same checks as every send (consent, PHI policy, access, agent rate limit). Free text is never possible for agents.',
      inputSchema: SendTemplateInput,
    },
    async (input) =>
      run(deps, ctx, 'send_template', async () => {
        const result = await sendMessage(deps, ctx, commandOf(input, input.idempotencyKey));
        return { id: result.id, status: result.status, delivery: result.delivery, replayed: result.replayed };
      }),
  );

  server.registerTool(
    'check_message',
    {
      description: 'The dry run of send_template: whether it would be allowed, why not (a stable code), how it would go, and PHI findings as types and offsets. Nothing is sent.',
      inputSchema: SendInput,
      annotations: { readOnlyHint: true },
    },
    async (input) =>
      run(deps, ctx, 'check_message', async () => {
        const result = await checkMessage(deps, ctx, commandOf(input, undefined));
        return { ...result };
      }),
  );

  server.registerTool(
    'read_conversation',
    {
      description: 'The messages sent to and the replies from a patient you may see, newest first (only the message categories you may view). Every read is audited.',
      inputSchema: z.object({ patientId: PatientIdInput, limit: z.number().int().min(1).max(50).default(20) }).strict(),
      annotations: { readOnlyHint: true },
    },
    async ({ patientId, limit }) =>
      run(deps, ctx, 'read_conversation', async () => {
        const entries = await readConversation(deps, ctx, patientId as PatientId, limit);
        return {
          patientId,
          items: entries.map((e) =>
            e.direction === 'outbound'
              ? { direction: e.direction, id: e.message.id, at: e.at.toISOString(), channel: e.message.channel, category: e.message.category, status: e.message.status, sender: { ...e.message.sender, displayName: e.senderName }, templateVersionId: e.message.template?.versionId ?? null, delivery: e.message.delivery, body: reveal(e.body) }
              : { direction: e.direction, id: e.reply.id, at: e.at.toISOString(), channel: e.reply.channel, intent: e.reply.intent, body: reveal(e.body) },
          ),
        };
      }),
  );
}
