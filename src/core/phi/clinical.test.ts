import { describe, expect, it } from 'vitest';
import { scanClinical } from './clinical.ts';
import { scanText } from './scanner.ts';
import { CONDITIONS } from './vocabulary/conditions.ts';
import { LAB_TESTS, RESULT_NOUNS, SENSITIVE_TESTS } from './vocabulary/lab-tests.ts';
import { MEDICATIONS } from './vocabulary/medications.ts';
import { PROCEDURES } from './vocabulary/procedures.ts';
import { SPECIALTIES } from './vocabulary/specialties.ts';

/** `TYPE:matched text` for each clinical finding, in offset order (test-only: real callers never see the text). */
const found = (text: string): string[] =>
  scanText(text)
    .filter((f) => f.class === 'clinical')
    .map((f) => `${f.type}:${text.slice(f.start, f.end)}`);

describe('PHI scanner, clinical layer', () => {
  it('leaves minimum-necessary notices alone', () => {
    for (const text of [
      'Your results are ready, log in to the portal',
      'Your prescription is ready for pickup at the pharmacy',
      'Reminder: appointment tomorrow at 10:00 at Main Street Clinic',
      'Your bill of $40 is due',
      'Your test results are now available. Normal business hours apply for questions.',
      'Your lab results have been released; your doctor will contact you if needed.',
      'Your refill request was received. The pharmacy will text you when it is ready.',
      'Please stop by the lab any time this week. No appointment needed.',
      'Your results are normally available within 3 business days.',
      'Dr. Grace Kim will see you tomorrow. Bill, please bring your ID.',
      'Flu shots are available at all our clinics. COVID-19 and flu vaccines at the pharmacy.',
      'If you are pregnant or may be pregnant, please tell the technologist before your exam.',
      'Your glucose test is at 10. Please arrive early.',
      'Sus resultados están listos',
      'Su receta está lista',
      'Recordatorio: tiene una cita mañana a las 10:00 en la Clínica Main Street.',
    ]) {
      expect(found(text), text).toEqual([]);
    }
  });

  it('flags medications, conditions, procedures, results and services', () => {
    expect(found('Your metformin refill is ready')).toEqual(['MEDICATION:metformin']);
    expect(found('Your A1c was 8.2')).toEqual(['LAB_RESULT:A1c was 8.2']);
    expect(found('Your biopsy came back negative')).toEqual(['LAB_RESULT:biopsy came back negative', 'PROCEDURE:biopsy']);
    expect(found('Reminder: colonoscopy prep starts tonight')).toEqual(['PROCEDURE:colonoscopy']);
    expect(found('Your HIV test is ready')).toEqual(['LAB_RESULT:HIV test']);
    expect(found('Your potassium is high')).toEqual(['LAB_RESULT:potassium is high']);
    expect(found('Follow up for your diabetes')).toEqual(['CONDITION:diabetes']);
    expect(found('chemo session Tuesday')).toEqual(['MEDICATION:chemo']);
    expect(found('Your oncology visit moved to 3 PM')).toEqual(['SPECIALTY:oncology']);
  });

  it('reports exact UTF-16 offsets, also after astral characters', () => {
    const text = '😀 Ihr Termin: metformin';
    const [f] = scanClinical(text);
    expect(f).toMatchObject({ class: 'clinical', type: 'MEDICATION', start: text.indexOf('metformin'), end: text.length });
  });

  it('includes a dose next to a medication', () => {
    expect(found('Take 10 mg of lisinopril and metformin 500 mg twice daily')).toEqual(['MEDICATION:10 mg of lisinopril', 'MEDICATION:metformin 500 mg']);
    expect(found('Lantus 20 units at bedtime')).toEqual(['MEDICATION:Lantus 20 units']);
  });

  it('handles plurals, possessives and hyphen or space variants', () => {
    expect(found('statins and migraines')).toEqual(['MEDICATION:statins', 'CONDITION:migraines']);
    expect(found("Crohn's disease, Graves' disease, Alzheimer's")).toEqual(["CONDITION:Crohn's disease", "CONDITION:Graves' disease", "CONDITION:Alzheimer's"]);
    expect(found('your chest x ray and your X-ray')).toEqual(['PROCEDURE:chest x ray', 'PROCEDURE:X-ray']);
  });

  it('reads results in context: values, result words before and after, "tested positive for"', () => {
    expect(found('glucose was 250, PSA of 6, cholesterol 240 mg/dL')).toEqual(['LAB_RESULT:glucose was 250', 'LAB_RESULT:PSA of 6', 'LAB_RESULT:cholesterol 240 mg/dL']);
    expect(found('Your results were abnormal')).toEqual(['LAB_RESULT:results were abnormal']);
    expect(found('Your pap smear was abnormal')).toEqual(['LAB_RESULT:pap smear was abnormal', 'PROCEDURE:pap smear']);
    expect(found('You have elevated liver enzymes')).toEqual(['LAB_RESULT:elevated liver enzymes']);
    expect(found('You tested positive for strep.')).toEqual(['LAB_RESULT:tested positive for strep', 'CONDITION:strep']);
    expect(found('Your blood pressure was 162/98 today')).toEqual(['LAB_RESULT:blood pressure was 162/98']);
    expect(found('Your cholesterol pills were refilled')).toEqual(['MEDICATION:cholesterol pills']);
  });

  it('needs a value or a result word for analytes and routing words, and a number is never enough for "results"', () => {
    expect(found('Free cholesterol screening on Saturday')).toEqual([]);
    expect(found('Your results in 3 days')).toEqual([]);
    expect(found('Your labs look good')).toEqual(['LAB_RESULT:labs look good']);
    expect(found('Your lab work is good for 90 days')).toEqual([]);
  });

  it('matches short capitalised abbreviations only as written', () => {
    expect(found('Your AIDS clinic visit')).toContain('CONDITION:AIDS');
    expect(found('We have hearing aids and walking aids in stock')).toEqual([]);
    expect(found('Your PrEP refill is ready')).toEqual(['MEDICATION:PrEP']);
    expect(found('Your colonoscopy prep kit')).toEqual(['PROCEDURE:colonoscopy']);
    expect(found('Ana, your ANA was positive')).toEqual(['LAB_RESULT:ANA was positive']);
  });

  it('finds every term reported on its own in every clean template, as listed and in lower case', () => {
    const templates = ['Reminder: {} on Tuesday at 9:30. Reply C to confirm.', 'Your {} is ready.', '{} - questions? Call us.', 'Su cita: {}.'];
    const missed: string[] = [];
    for (const term of [...MEDICATIONS, ...CONDITIONS, ...PROCEDURES, ...SPECIALTIES, ...SENSITIVE_TESTS]) {
      for (const written of term.length <= 5 || term === 'Plan B' ? [term] : [term, term.toLowerCase()]) {
        for (const template of templates) {
          const at = template.indexOf('{}');
          if (!scanClinical(template.replace('{}', written)).some((f) => f.start <= at && f.end >= at + written.length)) missed.push(written);
        }
      }
    }
    expect(missed).toEqual([]);
  });

  it('ships vocabularies without duplicates or blank entries', () => {
    for (const list of [MEDICATIONS, CONDITIONS, PROCEDURES, SPECIALTIES, LAB_TESTS, RESULT_NOUNS, SENSITIVE_TESTS]) {
      const lower = list.map((t) => t.trim().toLowerCase());
      expect(lower.filter((t, i) => t.length === 0 || lower.indexOf(t) !== i)).toEqual([]);
    }
  });

  it('treats an unknown name with a drug stem as a medication', () => {
    expect(found('Start zorbitrastatin tonight')).toEqual(['MEDICATION:zorbitrastatin']);
    expect(found('See you in April')).toEqual([]);
  });

  it('supports basic Spanish', () => {
    expect(found('Su prueba de embarazo salió positiva')).toEqual(['LAB_RESULT:prueba de embarazo salió positiva']);
    expect(found('Su receta de metformina está lista')).toEqual(['MEDICATION:metformina']);
    expect(found('Su cita de diálisis es mañana')).toEqual(['PROCEDURE:diálisis']);
  });

  it('leaves a clinical word that is part of a person’s name to the identifier layer', () => {
    expect(scanText('Your appointment with Dr. Stroke').map((f) => f.type)).toEqual(['NAME']);
  });

  it('keeps the scanner’s result sorted, with both classes', () => {
    const text = 'Mary Johnson, your metformin is ready; call 415-555-0132.';
    const findings = scanText(text);
    expect(findings.map((f) => `${f.class}:${f.type}`)).toEqual(['identifier:NAME', 'clinical:MEDICATION', 'identifier:PHONE']);
  });
});
