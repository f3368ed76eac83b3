import { describe, expect, it } from 'vitest';
import { BUILT_IN_KINDS, type TemplateKind } from './kinds.ts';
import { bindFields } from './params.ts';
import { STARTER_TEMPLATES } from './starter-library.ts';
import { checkVariant, fieldsOf, findingsToJudge, parseTemplateText, renderSegments, type TemplateVariant } from './template-text.ts';
import { scanText } from '../phi/scanner.ts';

const kind = (name: string): TemplateKind => {
  const k = BUILT_IN_KINDS.find((x) => x.name === name);
  if (k === undefined) throw new Error(name);
  return k;
};
const sms = (body: string): TemplateVariant => ({ channel: 'sms', language: 'en', body });

describe('template text', () => {
  it('parses placeholders, with or without inner spaces', () => {
    const parsed = parseTemplateText('Hi {{first_name}}, see you {{ appointment_time }}.');
    expect(parsed.ok && fieldsOf(parsed.segments)).toEqual(['first_name', 'appointment_time']);
  });

  it.each([
    ['Hi {{first_name}, see you', 'TEMPLATE_SYNTAX_INVALID', /unbalanced braces/],
    ['Hi first_name}}, see you', 'TEMPLATE_SYNTAX_INVALID', /stray "}"/],
    ['Hi {first_name}', 'TEMPLATE_SYNTAX_INVALID', /stray "\{"/],
    ['Hi {{}} there', 'TEMPLATE_SYNTAX_INVALID', /not a field name/],
    ['Hi {{First Name}} there', 'TEMPLATE_SYNTAX_INVALID', /not a field name/],
    ['{{first_name}}{{last_name}}', 'TEMPLATE_SYNTAX_INVALID', /no words/],
    ['Hi {{favourite_colour}} there', 'TEMPLATE_PLACEHOLDER_UNKNOWN', /\{\{favourite_colour\}\}/],
  ])('refuses %j with %s', (body, code, message) => {
    const problems = checkVariant(sms(body), kind('general'));
    expect(problems[0]?.code).toBe(code);
    expect(problems[0]?.message).toMatch(message);
  });

  it('refuses a clinical placeholder in a kind that does not allow it, naming the placeholder and the rule', () => {
    const problems = checkVariant(sms('Your {{result}} is ready, {{first_name}}.'), kind('results_ready'));
    expect(problems).toEqual([{ code: 'TEMPLATE_POLICY_VIOLATION', message: '{{result}} is clinical content; kind results_ready allows only none, identifier' }]);
  });

  it('refuses an identifier placeholder in a custom kind that allows only routing information', () => {
    const portalOnly: TemplateKind = { name: 'portal_notice', category: 'administrative', allowedClasses: ['none'], description: 'x' };
    expect(checkVariant(sms('Hello {{first_name}}, log in: {{portal_link}}'), portalOnly).map((p) => p.code)).toEqual(['TEMPLATE_POLICY_VIOLATION']);
    expect(checkVariant(sms('You have a new message. Log in: {{portal_link}}'), portalOnly)).toEqual([]);
  });

  it('refuses the secure-link field outside Wardline’s own notices', () => {
    expect(checkVariant(sms('Open {{secure_link}} now'), kind('general'))[0]?.code).toBe('TEMPLATE_PLACEHOLDER_UNKNOWN');
    expect(checkVariant(sms('Open {{secure_link}} now'), kind('general'), { allowSystemFields: true })).toEqual([]);
  });

  it('refuses text too long for the channel once every placeholder is at its longest', () => {
    const body = `${'x'.repeat(990)} {{first_name}}`;
    expect(checkVariant({ channel: 'whatsapp', language: 'en', body: `${body}.` }, kind('general'))[0]?.code).toBe('TEMPLATE_TOO_LONG');
    expect(checkVariant(sms(body), kind('general'))).toEqual([]);
  });

  it('refuses a WhatsApp template that starts or ends with a placeholder (Meta rejects those)', () => {
    const v = { channel: 'whatsapp' as const, language: 'en', body: '{{first_name}}, your appointment is {{appointment_time}}', metaTemplateName: 'x', metaLanguage: 'en_US' };
    expect(checkVariant(v, kind('appointment_reminder'))[0]?.message).toMatch(/start or end/);
  });

  it('catches literal clinical content typed into the text', () => {
    const problems = checkVariant(sms('Hi {{first_name}}, your metformin refill is ready at {{pharmacy_name}}.'), kind('prescription_ready'));
    expect(problems.map((p) => p.code)).toEqual(['TEMPLATE_POLICY_VIOLATION']);
    expect(problems[0]?.message).toMatch(/clinical content \(MEDICATION\) at characters 24–33/);
    expect(problems[0]?.message).not.toMatch(/metformin/);
  });

  it('ships a starter library whose every variant passes its kind’s policy', () => {
    for (const t of STARTER_TEMPLATES) {
      for (const v of t.variants) expect(checkVariant(v, kind(t.kind), { allowSystemFields: true }), `${t.name} ${v.channel} ${v.language}`).toEqual([]);
    }
    expect(new Set(STARTER_TEMPLATES.map((t) => t.kind))).toEqual(new Set(BUILT_IN_KINDS.map((k) => k.name)));
  });
});

describe('binding and rendering', () => {
  const sources = {
    params: {},
    patient: { givenName: 'Ada', familyName: 'Lovelace' },
    organisation: { name: 'Elm Clinic', contact: 'call 555-0100' },
    system: {},
    language: 'en',
    timeZone: 'America/Chicago',
  };

  it('renders times in the patient’s zone and language, and gives Meta parameters in order', () => {
    const parsed = parseTemplateText('{{clinic_name}}: Hi {{first_name}}, see you {{appointment_time}}.');
    if (!parsed.ok) throw new Error('parse');
    const en = bindFields(fieldsOf(parsed.segments), { ...sources, params: { appointment_time: '2026-12-01T16:30:00Z' } });
    const es = bindFields(fieldsOf(parsed.segments), { ...sources, language: 'es', params: { appointment_time: '2026-12-01T16:30:00Z' } });
    if (!en.ok || !es.ok) throw new Error('bind');
    const rendered = renderSegments(parsed.segments, en.values);
    expect(rendered.text).toBe('Elm Clinic: Hi Ada, see you Tue, Dec 1, 10:30 AM.');
    expect(rendered.parameters).toEqual(['Elm Clinic', 'Ada', 'Tue, Dec 1, 10:30 AM']);
    expect(renderSegments(parsed.segments, es.values).text).toMatch(/^Elm Clinic: Hi Ada, see you mar, 1 de dic, 10:30/);
  });

  it('names missing, unknown, record-bound and mistyped parameters, never their values', () => {
    const parsed = parseTemplateText('Hi {{first_name}}: {{amount_due}} due {{due_date}}, pay at {{portal_link}} thanks');
    if (!parsed.ok) throw new Error('parse');
    const bound = bindFields(fieldsOf(parsed.segments), {
      ...sources,
      params: { amount_due: 'forty dollars', due_date: '2026-02-30', first_name: 'Eve', colour: 'blue', portal_link: 'http://insecure.example' },
    });
    expect(bound.ok).toBe(false);
    if (bound.ok) return;
    expect(bound.issues.map((i) => i.pointer).sort()).toEqual(
      ['/body/template/params/amount_due', '/body/template/params/colour', '/body/template/params/due_date', '/body/template/params/first_name', '/body/template/params/portal_link'].sort(),
    );
    expect(JSON.stringify(bound.issues)).not.toMatch(/forty|Eve|blue|insecure/);
  });

  it('judges findings in literal text and free-text parameters, not in trusted or typed values', () => {
    const parsed = parseTemplateText('Hi {{first_name}}, on {{appointment_time}} go to {{location}} please.');
    if (!parsed.ok) throw new Error('parse');
    const bound = bindFields(fieldsOf(parsed.segments), { ...sources, params: { appointment_time: '2026-12-01T16:30:00Z', location: 'the oncology wing' } });
    if (!bound.ok) throw new Error('bind');
    const { text, spans } = renderSegments(parsed.segments, bound.values);
    const judged = findingsToJudge(scanText(text, { names: ['Ada'], birthDate: null, identifiers: [] }), spans);
    expect(judged.map((f) => f.type)).not.toContain('NAME');
    expect(judged.map((f) => f.type)).not.toContain('DATE');
  });
});
