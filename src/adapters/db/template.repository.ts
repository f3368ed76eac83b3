import { sql, type Kysely, type Selectable } from 'kysely';
import type { Category } from '../../core/messaging/channel.ts';
import type { ContentClass } from '../../core/templates/fields.ts';
import type { TemplateVariant } from '../../core/templates/template-text.ts';
import type { StoreSession, TemplateKindRecord, TemplateRecord, TemplateVersionRecord, TemplateWithVersions } from '../../app/ports.ts';
import type { Channel } from '../../core/messaging/channel.ts';
import type { Database, StoredVariant, TemplateKindTable, TemplateTable, TemplateVersionTable } from './schema.ts';

function kindOf(r: Selectable<TemplateKindTable>): TemplateKindRecord {
  return { name: r.name, category: r.category as Category, allowedClasses: r.allowed_classes as ContentClass[], description: r.description, builtIn: r.built_in };
}

function templateOf(r: Selectable<TemplateTable>): TemplateRecord {
  return { id: r.id, name: r.name, kind: r.kind, createdBy: { type: r.created_by_type, id: r.created_by_id }, createdAt: r.created_at };
}

function variantOf(v: StoredVariant): TemplateVariant {
  return { channel: v.channel as Channel, language: v.language, body: v.body, metaTemplateName: v.metaTemplateName ?? null, metaLanguage: v.metaLanguage ?? null };
}

function versionOf(r: Selectable<TemplateVersionTable>): TemplateVersionRecord {
  return {
    id: r.id,
    templateId: r.template_id,
    version: r.version,
    variants: r.variants.map(variantOf),
    status: r.status,
    authoredBy: { type: r.authored_by_type, id: r.authored_by_id },
    authoredAt: r.authored_at,
    decision: r.decided_at === null || r.decided_by_type === null ? null : { by: { type: r.decided_by_type, id: r.decided_by_id }, at: r.decided_at, note: r.decision_note },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Template kinds, templates and their immutable versions (a trigger refuses any change to a decided version). */
export function createTemplateRepository(db: Kysely<Database>): StoreSession['templates'] {
  const byIdOrName = (idOrName: string) =>
    db.selectFrom('template').selectAll().where(UUID.test(idOrName) ? 'id' : 'name', '=', idOrName);

  async function withVersions(rows: Selectable<TemplateTable>[]): Promise<TemplateWithVersions[]> {
    if (rows.length === 0) return [];
    const versions = await db.selectFrom('template_version').selectAll().where('template_id', 'in', rows.map((r) => r.id)).orderBy('version').execute();
    return rows.map((r) => ({ template: templateOf(r), versions: versions.filter((v) => v.template_id === r.id).map(versionOf) }));
  }

  return {
    async kinds() {
      return (await db.selectFrom('template_kind').selectAll().orderBy('name').execute()).map(kindOf);
    },
    async kind(name) {
      const row = await db.selectFrom('template_kind').selectAll().where('name', '=', name).executeTakeFirst();
      return row === undefined ? null : kindOf(row);
    },
    async insertKind(kind, createdBy) {
      const inserted = await db
        .insertInto('template_kind')
        .values({
          name: kind.name,
          category: kind.category,
          allowed_classes: [...kind.allowedClasses],
          description: kind.description,
          built_in: createdBy.type === 'system',
          created_by_type: createdBy.type,
          created_by_id: createdBy.id,
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('name')
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async insertTemplate(t) {
      const inserted = await db
        .insertInto('template')
        .values({ id: t.id, name: t.name, kind: t.kind, created_by_type: t.createdBy.type, created_by_id: t.createdBy.id })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async getForUpdate(id) {
      if (!UUID.test(id)) return null;
      const row = await db.selectFrom('template').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      return row === undefined ? null : ((await withVersions([row]))[0] ?? null);
    },
    async get(idOrName) {
      const row = await byIdOrName(idOrName).executeTakeFirst();
      return row === undefined ? null : ((await withVersions([row]))[0] ?? null);
    },
    async list() {
      return withVersions(await db.selectFrom('template').selectAll().orderBy('name').execute());
    },
    async insertVersion(v) {
      await db
        .insertInto('template_version')
        .values({
          id: v.id,
          template_id: v.templateId,
          version: v.version,
          variants: JSON.stringify(v.variants.map((x) => ({ channel: x.channel, language: x.language, body: x.body, metaTemplateName: x.metaTemplateName ?? null, metaLanguage: x.metaLanguage ?? null }))),
          status: v.status,
          authored_by_type: v.authoredBy.type,
          authored_by_id: v.authoredBy.id,
          authored_at: v.authoredAt,
          decided_by_type: v.decision?.by.type ?? null,
          decided_by_id: v.decision?.by.id ?? null,
          decided_at: v.decision?.at ?? null,
          decision_note: v.decision?.note ?? null,
        })
        .execute();
    },
    async decide(versionId, d) {
      const updated = await db
        .updateTable('template_version')
        .set({ status: d.status, decided_by_type: d.by.type, decided_by_id: d.by.id, decided_at: d.at, decision_note: d.note })
        .where('id', '=', versionId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    },
    async approved(idOrName) {
      const row = await db
        .selectFrom('template as t')
        .innerJoin('template_kind as k', 'k.name', 't.kind')
        .innerJoin('template_version as v', 'v.template_id', 't.id')
        .select([
          't.id', 't.name', 't.kind', 't.created_by_type', 't.created_by_id', 't.created_at',
          'k.category', 'k.allowed_classes', 'k.description', 'k.built_in',
          sql<Selectable<TemplateVersionTable>>`to_jsonb(v)`.as('version'),
        ])
        .where(UUID.test(idOrName) ? 't.id' : 't.name', '=', idOrName)
        .where('v.status', '=', 'approved')
        .orderBy('v.version', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (row === undefined) return null;
      const v = row.version;
      return {
        template: templateOf(row),
        kind: kindOf({ name: row.kind, category: row.category, allowed_classes: row.allowed_classes, description: row.description, built_in: row.built_in, created_by_type: '', created_by_id: null, created_at: row.created_at }),
        version: versionOf({ ...v, authored_at: new Date(v.authored_at), decided_at: v.decided_at === null ? null : new Date(v.decided_at) }),
      };
    },
  };
}
