import { DomainError, type FieldIssue } from '../errors.ts';
import type { Mitigation, MitigationKind, RiskAssessment } from './incident.ts';

/**
 * The 4-factor risk assessment of 45 CFR 164.402(2) (reference §1.5). An impermissible disclosure is presumed to be a
 * breach unless the hospital "demonstrates that there is a low probability that the protected health information has
 * been compromised based on a risk assessment of at least the following factors": (i) the nature and extent of the
 * PHI, (ii) the unauthorized person, (iii) whether it was actually acquired or viewed, (iv) the extent of mitigation.
 * A decision of low probability therefore needs all four factors on record; this module checks that and offers a
 * suggestion. It never decides: a person does, with a rationale (incident.ts).
 *
 * Pure: no I/O, no clock, no randomness.
 */

/** Factor 2: who received the PHI. */
export const RECIPIENT_KINDS = ['unknown-person', 'other-patient', 'family-member', 'covered-entity', 'business-associate', 'other'] as const satisfies readonly RiskAssessment['recipient']['kind'][];
/** Factor 3: whether the PHI was viewed (Wardline knows whether a secure link was opened). */
export const VIEWED_VALUES = ['yes', 'no', 'unknown'] as const satisfies readonly RiskAssessment['acquiredOrViewed']['viewed'][];

/** The factor names used in errors: factor1..factor4 of 164.402(2)(i)-(iv). */
export const ASSESSMENT_FACTORS = ['factor1', 'factor2', 'factor3', 'factor4'] as const;
export type AssessmentFactor = (typeof ASSESSMENT_FACTORS)[number];

const FACTOR_POINTERS: Readonly<Record<AssessmentFactor, string>> = {
  factor1: '/natureAndExtent',
  factor2: '/recipient',
  factor3: '/acquiredOrViewed',
  factor4: '/mitigation',
};
const FACTOR_TITLES: Readonly<Record<AssessmentFactor, string>> = {
  factor1: 'factor1 (nature and extent of the PHI, 164.402(2)(i)) needs content classes or identifiers and a note',
  factor2: 'factor2 (the unauthorized recipient, 164.402(2)(ii)) needs a recipient kind and a note',
  factor3: 'factor3 (whether the PHI was acquired or viewed, 164.402(2)(iii)) needs yes, no or unknown and the evidence',
  factor4: 'factor4 (the extent of mitigation, 164.402(2)(iv)) needs a note',
};

/** Mitigations that, all recorded, support a low probability of compromise when nothing was viewed. */
const FULL_MITIGATION: readonly MitigationKind[] = ['links-revoked', 'contact-point-suspended', 'queue-paused'];

/**
 * Validates an untrusted assessment body: every factor present and non-empty notes/evidence; throws DomainError
 * INCIDENT_ASSESSMENT_INCOMPLETE naming the missing factor(s) by name (factor1..factor4), never echoing input text.
 * Unknown members are dropped and strings trimmed.
 * @param input - the request body (untrusted)
 * @returns a complete RiskAssessment
 */
export function parseRiskAssessment(input: unknown): RiskAssessment {
  const body = asRecord(input);
  const f1 = asRecord(body?.['natureAndExtent']);
  const f2 = asRecord(body?.['recipient']);
  const f3 = asRecord(body?.['acquiredOrViewed']);
  const f4 = asRecord(body?.['mitigation']);
  const contentClasses = stringList(f1?.['contentClasses']);
  const identifiers = stringList(f1?.['identifiers']);
  const note1 = nonBlank(f1?.['note']);
  const kind = oneOf(RECIPIENT_KINDS, f2?.['kind']);
  const note2 = nonBlank(f2?.['note']);
  const viewed = oneOf(VIEWED_VALUES, f3?.['viewed']);
  const evidence = nonBlank(f3?.['evidence']);
  const note4 = nonBlank(f4?.['note']);

  const missing: AssessmentFactor[] = [];
  const factor1 = contentClasses !== null && identifiers !== null && contentClasses.length + identifiers.length > 0 && note1 !== null;
  if (!factor1) missing.push('factor1');
  if (kind === null || note2 === null) missing.push('factor2');
  if (viewed === null || evidence === null) missing.push('factor3');
  if (note4 === null) missing.push('factor4');
  if (!factor1 || contentClasses === null || identifiers === null || note1 === null || kind === null || note2 === null || viewed === null || evidence === null || note4 === null) {
    throw incomplete(missing);
  }
  return {
    natureAndExtent: { contentClasses, identifiers, note: note1 },
    recipient: { kind, note: note2 },
    acquiredOrViewed: { viewed, evidence },
    mitigation: { note: note4 },
  };
}

/**
 * Checks an already typed assessment (e.g. built by the app) for completeness, with the same rule and error as
 * parseRiskAssessment.
 * @returns the assessment, normalised (trimmed strings, no unknown members)
 * @throws DomainError INCIDENT_ASSESSMENT_INCOMPLETE naming the factors
 */
export function assertAssessmentComplete(a: RiskAssessment): RiskAssessment {
  return parseRiskAssessment(a);
}

/**
 * A suggested outcome from the factors (never decided automatically): e.g. viewed 'no' + all mitigations →
 * 'low-probability'. Anything else keeps the presumption of 164.402(2): 'breach'. `because` lists the reasons,
 * per factor, in plain words without any of the assessment's free text.
 * @param a - the assessment
 * @param mitigations - the mitigations recorded on the incident (factor 4)
 */
export function suggestOutcome(a: RiskAssessment, mitigations: readonly Mitigation[]): { outcome: 'breach' | 'low-probability'; because: readonly string[] } {
  const because: string[] = [];
  const classes = a.natureAndExtent.contentClasses.length;
  const ids = a.natureAndExtent.identifiers.length;
  because.push(`factor1: ${classes} content class${classes === 1 ? '' : 'es'} and ${ids} identifier kind${ids === 1 ? '' : 's'} were involved`);
  const trustedRecipient = a.recipient.kind === 'covered-entity' || a.recipient.kind === 'business-associate';
  because.push(
    trustedRecipient
      ? 'factor2: the recipient is itself obliged by HIPAA to protect the information'
      : 'factor2: the recipient has no obligation to protect the information',
  );
  const viewed = a.acquiredOrViewed.viewed;
  because.push(
    viewed === 'no'
      ? 'factor3: the information was not viewed (no secure link was opened)'
      : viewed === 'yes'
        ? 'factor3: the information was viewed'
        : 'factor3: whether the information was viewed is unknown',
  );
  const done = new Set(mitigations.map((m) => m.kind));
  const missing = FULL_MITIGATION.filter((k) => !done.has(k));
  because.push(missing.length === 0 ? 'factor4: every mitigation step was taken' : `factor4: mitigation steps not taken: ${missing.join(', ')}`);

  const low = viewed === 'no' && (missing.length === 0 || trustedRecipient);
  if (!low) because.push('an impermissible disclosure is presumed to be a breach unless the assessment shows a low probability of compromise (45 CFR 164.402(2))');
  return { outcome: low ? 'low-probability' : 'breach', because };
}

function incomplete(missing: readonly AssessmentFactor[]): DomainError {
  const issues: FieldIssue[] = missing.map((f) => ({ pointer: FACTOR_POINTERS[f], message: FACTOR_TITLES[f] }));
  return new DomainError('INCIDENT_ASSESSMENT_INCOMPLETE', `The risk assessment is incomplete: ${missing.join(', ')} (45 CFR 164.402(2)).`, {
    issues,
    extensions: { missingFactors: [...missing] },
  });
}

function asRecord(value: unknown): Readonly<Record<string, unknown>> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function nonBlank(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** A list of non-blank strings (trimmed, deduplicated), or null when the value is not one. A missing list is empty. */
function stringList(value: unknown): readonly string[] | null {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return null;
  const out: string[] = [];
  for (const item of value as unknown[]) {
    const s = nonBlank(item);
    if (s === null) return null;
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

function oneOf<T extends string>(values: readonly T[], value: unknown): T | null {
  return values.find((v) => v === value) ?? null;
}
