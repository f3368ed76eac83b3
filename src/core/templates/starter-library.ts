import type { TemplateVariant } from './template-text.ts';

/**
 * The starter library (issue 4 item 2): minimum-necessary templates for the five built-in kinds, in English and
 * Spanish, approved by default so a new installation can send at once. Each says who and when, never why; results and
 * prescriptions say "ready", never what. SMS variants serve the text channel too. WhatsApp variants carry the name
 * under which the organisation registers them with Meta (as UTILITY templates; reference 3.3) — the Meta text is the
 * variant's text with placeholders numbered in order ({{1}}, {{2}} …), shown by `GET /v1/templates/{id}`.
 *
 * `secure_message_notice` is the notice a patient receives instead of content that may not travel on the channel.
 */
export interface StarterTemplate {
  readonly name: string;
  readonly kind: string;
  readonly variants: readonly TemplateVariant[];
}

const STOP_EN = 'Reply STOP to opt out.';
const STOP_ES = 'Responda STOP para no recibir más mensajes.';

function variants(name: string, en: { sms: string; whatsapp: string }, es: { sms: string; whatsapp: string }): TemplateVariant[] {
  return [
    { channel: 'sms', language: 'en', body: en.sms },
    { channel: 'sms', language: 'es', body: es.sms },
    { channel: 'whatsapp', language: 'en', body: en.whatsapp, metaTemplateName: `wardline_${name}`, metaLanguage: 'en_US' },
    { channel: 'whatsapp', language: 'es', body: es.whatsapp, metaTemplateName: `wardline_${name}`, metaLanguage: 'es' },
  ];
}

export const STARTER_TEMPLATES: readonly StarterTemplate[] = [
  {
    name: 'appointment_reminder',
    kind: 'appointment_reminder',
    variants: variants(
      'appointment_reminder',
      {
        sms: `{{clinic_name}}: Hi {{first_name}}, this is a reminder of your appointment on {{appointment_time}} at {{location}}. To change it: {{clinic_contact}}. ${STOP_EN}`,
        whatsapp: 'Hello {{first_name}}, this is a reminder of your appointment with {{clinic_name}} on {{appointment_time}} at {{location}}. To change it: {{clinic_contact}}.',
      },
      {
        sms: `{{clinic_name}}: Hola {{first_name}}, le recordamos su cita el {{appointment_time}} en {{location}}. Para cambiarla: {{clinic_contact}}. ${STOP_ES}`,
        whatsapp: 'Hola {{first_name}}, le recordamos su cita con {{clinic_name}} el {{appointment_time}} en {{location}}. Para cambiarla: {{clinic_contact}}.',
      },
    ),
  },
  {
    name: 'prescription_ready',
    kind: 'prescription_ready',
    variants: variants(
      'prescription_ready',
      {
        sms: `{{clinic_name}}: Hi {{first_name}}, your prescription is ready for pickup at {{pharmacy_name}}. Questions: {{clinic_contact}}. ${STOP_EN}`,
        whatsapp: 'Hello {{first_name}}, your prescription from {{clinic_name}} is ready for pickup at {{pharmacy_name}}. Questions: {{clinic_contact}}.',
      },
      {
        sms: `{{clinic_name}}: Hola {{first_name}}, su receta está lista para recoger en {{pharmacy_name}}. Preguntas: {{clinic_contact}}. ${STOP_ES}`,
        whatsapp: 'Hola {{first_name}}, su receta de {{clinic_name}} está lista para recoger en {{pharmacy_name}}. Preguntas: {{clinic_contact}}.',
      },
    ),
  },
  {
    name: 'results_ready',
    kind: 'results_ready',
    variants: variants(
      'results_ready',
      {
        sms: `{{clinic_name}}: Hi {{first_name}}, you have new results in your patient portal: {{portal_link}} Questions: {{clinic_contact}}. ${STOP_EN}`,
        whatsapp: 'Hello {{first_name}}, you have new results from {{clinic_name}} in your patient portal: {{portal_link}} Questions: {{clinic_contact}}.',
      },
      {
        sms: `{{clinic_name}}: Hola {{first_name}}, tiene nuevos resultados en su portal del paciente: {{portal_link}} Preguntas: {{clinic_contact}}. ${STOP_ES}`,
        whatsapp: 'Hola {{first_name}}, tiene nuevos resultados de {{clinic_name}} en su portal del paciente: {{portal_link}} Preguntas: {{clinic_contact}}.',
      },
    ),
  },
  {
    name: 'billing_notice',
    kind: 'billing_notice',
    variants: variants(
      'billing_notice',
      {
        sms: `{{clinic_name}}: Hi {{first_name}}, a statement of {{amount_due}} is due on {{due_date}}. View and pay: {{portal_link}} Questions: {{clinic_contact}}. ${STOP_EN}`,
        whatsapp: 'Hello {{first_name}}, your statement from {{clinic_name}} of {{amount_due}} is due on {{due_date}}. View and pay: {{portal_link}} Questions: {{clinic_contact}}.',
      },
      {
        sms: `{{clinic_name}}: Hola {{first_name}}, tiene un saldo de {{amount_due}} con vencimiento el {{due_date}}. Vea y pague: {{portal_link}} Preguntas: {{clinic_contact}}. ${STOP_ES}`,
        whatsapp: 'Hola {{first_name}}, su estado de cuenta de {{clinic_name}} por {{amount_due}} vence el {{due_date}}. Vea y pague: {{portal_link}} Preguntas: {{clinic_contact}}.',
      },
    ),
  },
  {
    name: 'general',
    kind: 'general',
    variants: variants(
      'general',
      {
        sms: `{{clinic_name}}: Hi {{first_name}}, you have a new message in your patient portal: {{portal_link}} ${STOP_EN}`,
        whatsapp: 'Hello {{first_name}}, you have a new message from {{clinic_name}} in your patient portal: {{portal_link}} Thank you.',
      },
      {
        sms: `{{clinic_name}}: Hola {{first_name}}, tiene un mensaje nuevo en su portal del paciente: {{portal_link}} ${STOP_ES}`,
        whatsapp: 'Hola {{first_name}}, tiene un mensaje nuevo de {{clinic_name}} en su portal del paciente: {{portal_link}} Gracias.',
      },
    ),
  },
  {
    name: 'secure_message_notice',
    kind: 'general',
    variants: variants(
      'secure_message_notice',
      {
        sms: 'You have a new message from {{clinic_name}}. View securely: {{secure_link}}',
        whatsapp: 'You have a new message from {{clinic_name}}. View securely: {{secure_link}} The link expires; do not share it.',
      },
      {
        sms: 'Tiene un mensaje nuevo de {{clinic_name}}. Véalo de forma segura: {{secure_link}}',
        whatsapp: 'Tiene un mensaje nuevo de {{clinic_name}}. Véalo de forma segura: {{secure_link}} El enlace vence; no lo comparta.',
      },
    ),
  },
];

/** The name of the starter template used for secure-message notices. */
export const SECURE_NOTICE_TEMPLATE = 'secure_message_notice';
