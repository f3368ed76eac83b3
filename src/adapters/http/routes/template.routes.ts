import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../../app/context.ts';
import type { TemplateKindRecord, TemplateVersionRecord, TemplateWithVersions } from '../../../app/ports.ts';
import { addTemplateVersion, createTemplate, createTemplateKind, decideTemplateVersion, getTemplate, listTemplateKinds, listTemplates } from '../../../app/templates.ts';
import { CONTENT_CLASSES, FIELDS } from '../../../core/templates/fields.ts';
import { fieldsOf, parseTemplateText, type TemplateVariant } from '../../../core/templates/template-text.ts';
import { contextOf } from '../plugins/auth.ts';
import { Category, Channel } from './schemas.ts';

const Variant = z
  .object({
    channel: Channel,
    language: z.string().min(2).max(20),
    body: z.string().min(1, 'must not be empty').max(2000),
    metaTemplateName: z.string().min(1).max(512).optional(),
    metaLanguage: z.string().min(2).max(20).optional(),
  })
  .strict();

const Name = z.string().regex(/^[a-z][a-z0-9_]{1,59}$/, 'must be lower case letters, digits and underscores (2–60), starting with a letter');
const NewTemplate = z.object({ name: Name, kind: z.string().min(1).max(40), variants: z.array(Variant).min(1).max(20) }).strict();
const NewVersion = z.object({ variants: z.array(Variant).min(1).max(20) }).strict();
const Decision = z.object({ note: z.string().trim().min(1).max(1000).optional() }).strict();
const NewKind = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{1,39}$/, 'must be lower case letters, digits and underscores (2–40)'),
    category: Category,
    allowedClasses: z.array(z.enum(CONTENT_CLASSES)).min(1).max(3).refine((c) => c.includes('none'), 'must include none (routing information)'),
    description: z.string().trim().min(1).max(200),
  })
  .strict();
const TemplateParams = z.object({ id: z.string().min(1).max(100) }).strict();
const VersionParams = z.object({ id: z.uuid({ message: 'must be a UUID' }), version: z.coerce.number().int().min(1).max(1_000_000) }).strict();

function toVariant(v: z.infer<typeof Variant>): TemplateVariant {
  return { channel: v.channel, language: v.language, body: v.body, metaTemplateName: v.metaTemplateName ?? null, metaLanguage: v.metaLanguage ?? null };
}

/** The text to register with Meta: the variant's text with placeholders numbered in order of appearance. */
function metaText(body: string): string {
  let n = 0;
  return body.replace(/\{\{[^{}]*\}\}/g, () => `{{${String(++n)}}}`);
}

function versionJson(v: TemplateVersionRecord): Record<string, unknown> {
  return {
    id: v.id,
    version: v.version,
    status: v.status,
    authoredBy: v.authoredBy,
    authoredAt: v.authoredAt.toISOString(),
    decision: v.decision === null ? null : { by: v.decision.by, at: v.decision.at.toISOString(), note: v.decision.note },
    variants: v.variants.map((x) => {
      const parsed = parseTemplateText(x.body);
      return {
        channel: x.channel,
        language: x.language,
        body: x.body,
        metaTemplateName: x.metaTemplateName ?? null,
        metaLanguage: x.metaLanguage ?? null,
        ...(x.channel === 'whatsapp' ? { metaText: metaText(x.body) } : {}),
        placeholders: parsed.ok ? fieldsOf(parsed.segments).map((name) => ({ name, class: FIELDS[name].class, type: FIELDS[name].type, source: FIELDS[name].source })) : [],
      };
    }),
  };
}

function templateJson(t: TemplateWithVersions): Record<string, unknown> {
  const approved = t.versions.filter((v) => v.status === 'approved').at(-1);
  return {
    id: t.template.id,
    name: t.template.name,
    kind: t.template.kind,
    createdBy: t.template.createdBy,
    createdAt: t.template.createdAt.toISOString(),
    currentVersion: approved?.version ?? null,
    versions: t.versions.map(versionJson),
  };
}

function kindJson(k: TemplateKindRecord): Record<string, unknown> {
  return { name: k.name, category: k.category, allowedClasses: k.allowedClasses, description: k.description, builtIn: k.builtIn };
}

/** Template kinds, the field catalogue, templates, versions and their approval. */
export function templateRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/template-fields', { schema: { tags: ['templates'] } }, async () => ({
      items: Object.entries(FIELDS).map(([name, f]) => ({ name, class: f.class, type: f.type, source: f.source, maxLength: f.maxLength, description: f.description })),
    }));

    app.get('/v1/template-kinds', { schema: { tags: ['templates'] } }, async (request) => ({
      items: (await listTemplateKinds(deps, contextOf(request))).map(kindJson),
    }));

    app.post('/v1/template-kinds', { schema: { tags: ['templates'], body: NewKind } }, async (request, reply) => {
      const kind = await createTemplateKind(deps, contextOf(request), request.body);
      return reply.code(201).send(kindJson(kind));
    });

    app.get('/v1/templates', { schema: { tags: ['templates'] } }, async (request) => ({
      items: (await listTemplates(deps, contextOf(request))).map(templateJson),
    }));

    app.post('/v1/templates', { schema: { tags: ['templates'], body: NewTemplate } }, async (request, reply) => {
      const b = request.body;
      const created = await createTemplate(deps, contextOf(request), { name: b.name, kind: b.kind, variants: b.variants.map(toVariant) });
      return reply.code(201).send(templateJson(created));
    });

    app.get('/v1/templates/:id', { schema: { tags: ['templates'], params: TemplateParams } }, async (request) =>
      templateJson(await getTemplate(deps, contextOf(request), request.params.id)),
    );

    app.post('/v1/templates/:id/versions', { schema: { tags: ['templates'], params: z.object({ id: z.uuid({ message: 'must be a UUID' }) }).strict(), body: NewVersion } }, async (request, reply) => {
      const updated = await addTemplateVersion(deps, contextOf(request), request.params.id, request.body.variants.map(toVariant));
      return reply.code(201).send(templateJson(updated));
    });

    for (const [action, status] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
      app.post(`/v1/templates/:id/versions/:version/${action}`, { schema: { tags: ['templates'], params: VersionParams, body: Decision.optional() } }, async (request) => {
        const decided = await decideTemplateVersion(deps, contextOf(request), request.params.id, request.params.version, { status, note: request.body?.note ?? null });
        return templateJson(decided);
      });
    }
  };
}
