import { createHash } from 'node:crypto';
import { auditActorOf } from '../core/access/actor.ts';
import type { AuditAction, AuditEventInput } from '../core/audit/audit-event.ts';
import { DomainError, type FieldIssue } from '../core/errors.ts';
import type { Channel } from '../core/messaging/channel.ts';
import { BUILT_IN_KINDS, type TemplateKind } from '../core/templates/kinds.ts';
import { SECURE_NOTICE_TEMPLATE, STARTER_TEMPLATES } from '../core/templates/starter-library.ts';
import type { FieldName } from '../core/templates/fields.ts';
import { bindFields } from '../core/templates/params.ts';
import { phi, reveal, type Phi } from '../core/phi/phi.ts';
import { checkVariant, fieldsOf, parseTemplateText, renderSegments, type FieldSpan, type Segment, type TemplateProblem, type TemplateVariant } from '../core/templates/template-text.ts';
import { requirePermission } from './access.ts';
import { auditOrigin, type AppDeps, type RequestContext } from './context.ts';
import type { MessageTemplate, PatientSendView, Recorder, Store, StoreSession, TemplateKindRecord, TemplateRecord, TemplateVersionRecord, TemplateWithVersions } from './ports.ts';

/**
 * Templates (issue 4 items 1–2): staff holding `template.author` write versions; a version is used only once someone
 * else holding `template.approve` approves it; decided versions never change (the database refuses it); editing makes
 * a new version. Every change is audited in the same transaction.
 */

const SYSTEM: Recorder = { type: 'system', id: 'wardline' };
const STARTER_NOTE = 'Starter library: minimum-necessary text shipped with Wardline, approved by default.';

/** A deterministic id for a starter template or version, so every process seeds the same rows. */
function starterId(name: string): string {
  const h = createHash('sha256').update(`wardline-starter:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Seeds the built-in kinds and the starter library where missing (idempotent; safe from several processes).
 * @param store - the store
 * @param now - the seeding time
 */
export async function ensureStarterLibrary(store: Store, now: Date): Promise<void> {
  await store.transaction(async (s) => {
    for (const kind of BUILT_IN_KINDS) await s.templates.insertKind(kind, SYSTEM);
    for (const t of STARTER_TEMPLATES) {
      const id = starterId(t.name);
      if (!(await s.templates.insertTemplate({ id, name: t.name, kind: t.kind, createdBy: SYSTEM }))) continue;
      await s.templates.insertVersion({
        id: starterId(`${t.name}:1`),
        templateId: id,
        version: 1,
        variants: t.variants,
        status: 'approved',
        authoredBy: SYSTEM,
        authoredAt: now,
        decision: { by: SYSTEM, at: now, note: STARTER_NOTE },
      });
    }
  });
}

const LANGUAGE = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;
const META_NAME = /^(?:[a-z0-9_]{1,512}|HX[0-9a-f]{32})$/;

/** Every problem of a set of variants, as one error naming the variant and the rule (the first problem's code). */
function checkVariants(variants: readonly TemplateVariant[], kind: TemplateKind): void {
  const issues: FieldIssue[] = [];
  let first: TemplateProblem['code'] | 'VALIDATION_FAILED' | null = null;
  const add = (code: TemplateProblem['code'] | 'VALIDATION_FAILED', pointer: string, message: string): void => {
    first ??= code;
    issues.push({ pointer, message });
  };
  if (variants.length === 0) add('VALIDATION_FAILED', '/body/variants', 'a template needs at least one variant');
  const seen = new Set<string>();
  variants.forEach((v, i) => {
    const at = `/body/variants/${String(i)}`;
    if (!LANGUAGE.test(v.language)) add('VALIDATION_FAILED', `${at}/language`, 'must be a language tag such as en or es-MX');
    const key = `${v.channel}:${v.language.toLowerCase()}`;
    if (seen.has(key)) add('VALIDATION_FAILED', at, `a second ${v.channel} variant in ${v.language}`);
    seen.add(key);
    if (v.channel !== 'whatsapp' && ((v.metaTemplateName ?? null) !== null || (v.metaLanguage ?? null) !== null)) add('VALIDATION_FAILED', `${at}/metaTemplateName`, 'only WhatsApp variants carry a Meta template name');
    if (typeof v.metaTemplateName === 'string' && !META_NAME.test(v.metaTemplateName)) add('VALIDATION_FAILED', `${at}/metaTemplateName`, 'must be a Meta template name (lower case, digits, underscores) or a Twilio ContentSid (HX…)');
    if (((v.metaTemplateName ?? null) === null) !== ((v.metaLanguage ?? null) === null)) add('VALIDATION_FAILED', `${at}/metaLanguage`, 'metaTemplateName and metaLanguage go together');
    for (const p of checkVariant(v, kind)) add(p.code, `${at}/body`, p.message);
  });
  if (first !== null) {
    const code = first;
    const detail = issues.length === 1 ? (issues[0]?.message ?? '') : `${String(issues.length)} problems; see errors[]`;
    throw new DomainError(code, `The template cannot be saved: ${detail}.`, { issues });
  }
}

async function kindOrFail(s: StoreSession, name: string): Promise<TemplateKindRecord> {
  const kind = await s.templates.kind(name);
  if (kind === null) throw new DomainError('TEMPLATE_KIND_UNKNOWN', 'No template kind has this name; see GET /v1/template-kinds.', { issues: [{ pointer: '/body/kind', message: 'unknown kind' }] });
  return kind;
}

function audit(ctx: RequestContext, action: AuditAction, targetId: string, details: Record<string, string | number | boolean | null>, reason: string | null = null): AuditEventInput {
  return { actor: auditActorOf(ctx.actor), action, outcome: 'success', targetType: 'template', targetId, patientId: null, reason, ...auditOrigin(ctx), details };
}

/**
 * @param deps - app dependencies
 * @param ctx - the caller; needs `template.author`
 * @param input - name, kind and variants
 * @returns the template with its first (pending) version
 */
export async function createTemplate(deps: AppDeps, ctx: RequestContext, input: { name: string; kind: string; variants: readonly TemplateVariant[] }): Promise<TemplateWithVersions> {
  await requirePermission(deps.store, ctx, 'template.author');
  const kind = await kindOrFail(deps.store, input.kind);
  checkVariants(input.variants, kind);
  const id = deps.ids.uuid();
  const by = auditActorOf(ctx.actor);
  await deps.store.transaction(async (s) => {
    if (!(await s.templates.insertTemplate({ id, name: input.name, kind: kind.name, createdBy: by }))) {
      throw new DomainError('CONFLICT', 'A template with this name exists; add a version to it instead.');
    }
    const versionId = deps.ids.uuid();
    await s.templates.insertVersion({ id: versionId, templateId: id, version: 1, variants: input.variants, status: 'pending', authoredBy: by, authoredAt: deps.clock.now(), decision: null });
    await s.audit.append(audit(ctx, 'template.created', id, { kind: kind.name, version: 1, versionId }));
  });
  return getTemplate(deps, ctx, id);
}

/**
 * Editing: a new pending version (the approved one stays in use until this one is approved).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `template.author`
 * @param templateId - the template
 * @param variants - the new text
 */
export async function addTemplateVersion(deps: AppDeps, ctx: RequestContext, templateId: string, variants: readonly TemplateVariant[]): Promise<TemplateWithVersions> {
  await requirePermission(deps.store, ctx, 'template.author');
  await deps.store.transaction(async (s) => {
    const found = await s.templates.getForUpdate(templateId);
    if (found === null) throw new DomainError('NOT_FOUND', 'No template has this id.');
    checkVariants(variants, await kindOrFail(s, found.template.kind));
    const version = (found.versions.at(-1)?.version ?? 0) + 1;
    const versionId = deps.ids.uuid();
    await s.templates.insertVersion({ id: versionId, templateId, version, variants, status: 'pending', authoredBy: auditActorOf(ctx.actor), authoredAt: deps.clock.now(), decision: null });
    await s.audit.append(audit(ctx, 'template.version-created', templateId, { version, versionId }));
  });
  return getTemplate(deps, ctx, templateId);
}

/**
 * Approves or rejects a pending version. The author of a version can never approve it.
 * @param deps - app dependencies
 * @param ctx - the caller; needs `template.approve`
 * @param templateId - the template
 * @param version - the version number
 * @param decision - approve or reject, with an optional note
 */
export async function decideTemplateVersion(
  deps: AppDeps,
  ctx: RequestContext,
  templateId: string,
  version: number,
  decision: { status: 'approved' | 'rejected'; note: string | null },
): Promise<TemplateWithVersions> {
  await requirePermission(deps.store, ctx, 'template.approve');
  await deps.store.transaction(async (s) => {
    const found = await s.templates.getForUpdate(templateId);
    const target = found?.versions.find((v) => v.version === version);
    if (found === null || target === undefined) throw new DomainError('NOT_FOUND', 'No such template version.');
    if (target.status !== 'pending') throw new DomainError('TEMPLATE_VERSION_DECIDED', `Version ${String(version)} is already ${target.status}; versions are immutable once decided.`);
    const by = auditActorOf(ctx.actor);
    if (target.authoredBy.type === by.type && target.authoredBy.id === by.id) {
      await s.audit.append({ ...audit(ctx, 'template.approval-refused', templateId, { version, versionId: target.id }, 'TEMPLATE_SELF_APPROVAL'), outcome: 'denied' });
      throw new DomainError('TEMPLATE_SELF_APPROVAL', 'The author of a version cannot approve it; another holder of template.approve must.');
    }
    if (!(await s.templates.decide(target.id, { status: decision.status, by, at: deps.clock.now(), note: decision.note }))) {
      throw new DomainError('TEMPLATE_VERSION_DECIDED', 'This version was decided meanwhile.');
    }
    await s.audit.append(audit(ctx, decision.status === 'approved' ? 'template.approved' : 'template.rejected', templateId, { version, versionId: target.id, note: decision.note !== null }));
  });
  return getTemplate(deps, ctx, templateId);
}

/** Templates are routing text, not PHI: any authenticated principal may read them. */
export async function getTemplate(deps: AppDeps, _ctx: RequestContext, idOrName: string): Promise<TemplateWithVersions> {
  const found = await deps.store.templates.get(idOrName);
  if (found === null) throw new DomainError('NOT_FOUND', 'No template has this id or name.');
  return found;
}

export async function listTemplates(deps: AppDeps, _ctx: RequestContext): Promise<TemplateWithVersions[]> {
  return deps.store.templates.list();
}

export async function listTemplateKinds(deps: AppDeps, _ctx: RequestContext): Promise<TemplateKindRecord[]> {
  return deps.store.templates.kinds();
}

/**
 * A custom kind: its category (for access control) and the classes it may carry. Kinds are policy, so creating one
 * needs `template.approve`; kinds never change once created (versions of templates refer to them).
 */
export async function createTemplateKind(deps: AppDeps, ctx: RequestContext, kind: TemplateKind): Promise<TemplateKindRecord> {
  await requirePermission(deps.store, ctx, 'template.approve');
  await deps.store.transaction(async (s) => {
    if (!(await s.templates.insertKind(kind, auditActorOf(ctx.actor)))) throw new DomainError('CONFLICT', 'A kind with this name exists; kinds never change once created.');
    await s.audit.append({ ...audit(ctx, 'template-kind.created', kind.name, { category: kind.category, allowedClasses: kind.allowedClasses.join(',') }), targetType: 'template-kind' });
  });
  return (await deps.store.templates.kind(kind.name)) ?? { ...kind, builtIn: false };
}

/** A template version ready to render for one channel and language. */
export interface ResolvedTemplate {
  readonly template: TemplateRecord;
  readonly kind: TemplateKindRecord;
  readonly version: TemplateVersionRecord;
  readonly variant: TemplateVariant;
  readonly segments: readonly Segment[];
}

/**
 * The variant a send uses: the channel's own (text falls back to sms; WhatsApp to sms text, which can go only inside
 * the 24-hour window), in the patient's language, else its primary language, else English, else the first.
 * @param variants - a version's variants
 * @param channel - the channel
 * @param language - the patient's language (BCP 47), if known
 */
export function pickVariant(variants: readonly TemplateVariant[], channel: Channel, language: string | null): TemplateVariant | null {
  const channels: Channel[] = channel === 'sms' ? ['sms'] : [channel, 'sms'];
  const wanted = (language ?? 'en').toLowerCase();
  const languages = [wanted, wanted.split('-')[0] ?? wanted, 'en'];
  for (const c of channels) {
    const candidates = variants.filter((v) => v.channel === c);
    for (const l of languages) {
      const hit = candidates.find((v) => v.language.toLowerCase() === l);
      if (hit !== undefined) return hit;
    }
    if (candidates[0] !== undefined) return candidates[0];
  }
  return null;
}

/**
 * @param s - the store
 * @param idOrName - the template's id or name
 * @param channel - the send's channel
 * @param language - the patient's language
 * @returns the latest approved version's variant for the channel, parsed
 */
export async function resolveTemplate(s: StoreSession, idOrName: string, channel: Channel, language: string | null): Promise<ResolvedTemplate> {
  const approved = await s.templates.approved(idOrName);
  if (approved === null) {
    const exists = await s.templates.get(idOrName);
    if (exists === null) throw new DomainError('TEMPLATE_NOT_FOUND', 'No template has this id or name; see GET /v1/templates.');
    throw new DomainError('TEMPLATE_NOT_APPROVED', 'No version of this template has been approved yet.');
  }
  const variant = pickVariant(approved.version.variants, channel, language);
  if (variant === null) throw new DomainError('TEMPLATE_VARIANT_MISSING', `The approved version has no variant for ${channel}.`);
  const parsed = parseTemplateText(variant.body);
  // Saved versions were checked; a failure here means the row was altered outside Wardline.
  if (!parsed.ok) throw new Error('stored template version does not parse');
  return { ...approved, variant, segments: parsed.segments };
}

/**
 * Renders a resolved template for a patient: their record's fields, the organisation's, the sender's params (typed;
 * bad ones are a 422 naming them, never their values) and Wardline's own (the secure link).
 * @returns the text, the template reference a message records, and where each field landed
 */
export function renderTemplate(
  deps: Pick<AppDeps, 'settings'>,
  resolved: ResolvedTemplate,
  patient: Pick<PatientSendView, 'identity' | 'timezone'>,
  params: Readonly<Record<string, string>>,
  system: Partial<Record<FieldName, string>>,
): MessageTemplate & { readonly text: string; readonly spans: readonly FieldSpan[] } {
  const identity = reveal(patient.identity);
  const bound = bindFields(fieldsOf(resolved.segments), {
    params,
    patient: { givenName: identity.givenName, familyName: identity.familyName },
    organisation: deps.settings.organisation,
    system,
    language: resolved.variant.language,
    timeZone: patient.timezone ?? deps.settings.sendingPolicy.defaultTimeZone,
  });
  if (!bound.ok) throw new DomainError('TEMPLATE_PARAMS_INVALID', 'Some template parameters are missing or not valid; see errors[].', { issues: bound.issues });
  const { text, parameters, spans } = renderSegments(resolved.segments, bound.values);
  return {
    versionId: resolved.version.id,
    metaName: resolved.variant.metaTemplateName ?? null,
    language: resolved.variant.metaLanguage ?? resolved.variant.language,
    parameters: phi(parameters),
    text,
    spans,
  };
}

/**
 * The notice a patient receives instead of content the channel may not carry: the approved `secure_message_notice`
 * in the channel's variant and the patient's language, with the link. Used by secure sends and link reissues.
 * @param deps - settings
 * @param s - the store session
 * @param patient - language, zone and record fields
 * @param channel - the channel the notice goes on
 * @param url - the secure link
 */
export async function renderSecureNotice(
  deps: Pick<AppDeps, 'settings'>,
  s: StoreSession,
  patient: Pick<PatientSendView, 'identity' | 'timezone' | 'language'>,
  channel: Channel,
  url: string,
): Promise<{ body: Phi<string>; template: MessageTemplate }> {
  const resolved = await resolveTemplate(s, SECURE_NOTICE_TEMPLATE, channel, patient.language);
  const { text, spans: _spans, ...template } = renderTemplate(deps, resolved, patient, {}, { secure_link: url });
  return { body: phi(text), template };
}
