/**
 * The fields a template placeholder may name (issue 4 item 1). Each is typed, bound to one source and classified:
 * - `none`: routing information that reveals nothing about the patient's health (clinic name, appointment time);
 * - `identifier`: identifies the patient (HIPAA Safe Harbor, reference 1.6), e.g. their first name;
 * - `clinical`: health information (diagnosis, medication, result, procedure, a specialty that reveals a condition).
 * A template kind's policy says which classes it may carry (`kinds.ts`).
 */

export const CONTENT_CLASSES = ['none', 'identifier', 'clinical'] as const;
export type ContentClass = (typeof CONTENT_CLASSES)[number];

/**
 * Where a field's value comes from: the recipient's record, the organisation's settings, the sender's `params`, or
 * Wardline itself (the secure link, which no caller can supply).
 */
export type FieldSource = 'patient' | 'organisation' | 'param' | 'system';

/** How a `param` value is checked and written into the text. */
export type FieldType = 'text' | 'datetime' | 'date' | 'money' | 'url';

export interface FieldSpec {
  readonly class: ContentClass;
  readonly source: FieldSource;
  readonly type: FieldType;
  /** The longest the rendered value can be, in characters (what the channel-length check assumes). */
  readonly maxLength: number;
  readonly description: string;
}

/** Longest rendering of a date-time in any supported language ("miércoles, 30 de septiembre, 10:30 a. m."). */
const DATETIME_LENGTH = 48;

export const FIELDS = {
  clinic_name: { class: 'none', source: 'organisation', type: 'text', maxLength: 60, description: 'The organisation name (WARDLINE_ORG_NAME).' },
  clinic_contact: { class: 'none', source: 'organisation', type: 'text', maxLength: 80, description: 'How to reach the organisation (WARDLINE_ORG_CONTACT).' },
  portal_link: { class: 'none', source: 'param', type: 'url', maxLength: 200, description: 'An https link to the patient portal or a booking page.' },
  appointment_time: { class: 'none', source: 'param', type: 'datetime', maxLength: DATETIME_LENGTH, description: "An ISO 8601 date-time with offset, written in the patient's time zone and language." },
  appointment_date: { class: 'none', source: 'param', type: 'date', maxLength: 32, description: "A date (YYYY-MM-DD), written in the patient's language." },
  location: { class: 'none', source: 'param', type: 'text', maxLength: 60, description: 'Where to go: building, floor, entrance (never a department that reveals a condition).' },
  pharmacy_name: { class: 'none', source: 'param', type: 'text', maxLength: 60, description: 'The pharmacy holding the order.' },
  amount_due: { class: 'none', source: 'param', type: 'money', maxLength: 16, description: 'An amount in dollars, e.g. 40.00.' },
  due_date: { class: 'none', source: 'param', type: 'date', maxLength: 32, description: 'A payment due date (YYYY-MM-DD).' },
  secure_link: { class: 'none', source: 'system', type: 'url', maxLength: 120, description: 'The secure link of a secure message (Wardline fills it in).' },
  first_name: { class: 'identifier', source: 'patient', type: 'text', maxLength: 40, description: "The patient's given name, from their record." },
  last_name: { class: 'identifier', source: 'patient', type: 'text', maxLength: 40, description: "The patient's family name, from their record." },
  account_number: { class: 'identifier', source: 'param', type: 'text', maxLength: 30, description: 'A billing account number.' },
  diagnosis: { class: 'clinical', source: 'param', type: 'text', maxLength: 100, description: 'A diagnosis or condition.' },
  medication: { class: 'clinical', source: 'param', type: 'text', maxLength: 100, description: 'A medication name or dose.' },
  result: { class: 'clinical', source: 'param', type: 'text', maxLength: 100, description: 'A test result or value.' },
  procedure: { class: 'clinical', source: 'param', type: 'text', maxLength: 100, description: 'A procedure, test or imaging study.' },
  specialty: { class: 'clinical', source: 'param', type: 'text', maxLength: 60, description: 'A specialty or department that reveals a condition (oncology, HIV clinic).' },
} as const satisfies Record<string, FieldSpec>;

export type FieldName = keyof typeof FIELDS;

/** @param name - a placeholder name @returns true when it names a known field */
export function isFieldName(name: string): name is FieldName {
  return Object.hasOwn(FIELDS, name);
}
