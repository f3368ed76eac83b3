import type { Category } from '../messaging/channel.ts';
import type { ContentClass } from './fields.ts';

/** A template kind: the message category access control uses, and the classes of content it may carry. */
export interface TemplateKind {
  readonly name: string;
  readonly category: Category;
  readonly allowedClasses: readonly ContentClass[];
  readonly description: string;
}

/**
 * The built-in kinds (issue 4 item 1). None may carry clinical content: a reminder does not need the diagnosis, a
 * prescription notice does not need the medication, a results notice says "ready, log in", never the result
 * (164.502(b), reference 1.3). Organisations add their own kinds through the API.
 */
export const BUILT_IN_KINDS: readonly TemplateKind[] = [
  { name: 'appointment_reminder', category: 'administrative', allowedClasses: ['none', 'identifier'], description: 'Appointment reminders: who, when, where; never why.' },
  { name: 'prescription_ready', category: 'clinical', allowedClasses: ['none', 'identifier'], description: 'A prescription is ready to collect; never the medication.' },
  { name: 'results_ready', category: 'clinical', allowedClasses: ['none', 'identifier'], description: 'Results are ready in the portal; never the result.' },
  { name: 'billing_notice', category: 'billing', allowedClasses: ['none', 'identifier'], description: 'A bill or payment reminder; never the services billed.' },
  { name: 'general', category: 'administrative', allowedClasses: ['none', 'identifier'], description: 'Other routing notices (office closures, portal invitations).' },
];

/**
 * What free text may carry without further ado: routing information and identifiers (the patient's own name,
 * appointment dates). Clinical findings go by the organisation's PHI policy.
 */
export const FREE_TEXT_CLASSES: readonly ContentClass[] = ['none', 'identifier'];
