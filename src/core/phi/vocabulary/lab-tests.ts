/**
 * Laboratory tests, vital signs and measured values, for the clinical layer of the PHI scanner.
 *
 * Source: compiled by hand, from the engineer's knowledge, of the common names of tests performed under CLIA (the
 * CMS/CDC Clinical Laboratory Improvement Amendments test categorisations) and of the test names used in NLM
 * MedlinePlus "Lab Tests" pages — works of the US Government, public domain under 17 U.S.C. §105. LOINC names
 * (Regenstrief licence) and SNOMED CT descriptions were deliberately not used.
 *
 * Three lists. `LAB_TESTS` are analyte and test names that disclose little on their own ("glucose", "potassium"):
 * the detector reports them with a value ("A1c 8.2", "glucose was 250") or a result word ("potassium is high",
 * "abnormal pap smear"). `RESULT_NOUNS` are routing words ("results", "labs", "test") reported only with a result
 * word, never a number. `SENSITIVE_TESTS` disclose by their mere mention ("HIV test", "pregnancy test", "viral load")
 * and are reported alone.
 */
export const LAB_TESTS: readonly string[] = [
  // Diabetes and metabolic
  'A1c', 'HbA1c', 'hemoglobin A1c', 'A1C level', 'glucose', 'blood glucose', 'fasting glucose', 'blood sugar',
  'sugar', 'sugars', 'fasting blood sugar', 'insulin level', 'C-peptide', 'ketones', 'microalbumin',
  // Lipids
  'cholesterol', 'total cholesterol', 'LDL', 'HDL', 'LDL cholesterol', 'HDL cholesterol', 'triglycerides',
  'lipid panel', 'lipids', 'lipoprotein(a)',
  // Kidney and electrolytes
  'potassium', 'sodium', 'chloride', 'bicarbonate', 'CO2', 'calcium', 'magnesium', 'phosphorus', 'phosphate',
  'creatinine', 'eGFR', 'GFR', 'BUN', 'blood urea nitrogen', 'kidney function', 'renal function', 'uric acid',
  'urine protein', 'protein in your urine', 'albumin', 'urinalysis', 'urine test', 'urine culture', 'anion gap',
  // Liver, pancreas
  'ALT', 'AST', 'liver enzymes', 'liver function', 'liver function tests', 'bilirubin', 'alkaline phosphatase',
  'GGT', 'lipase', 'amylase', 'ammonia', 'INR', 'PT/INR', 'prothrombin time', 'PTT',
  // Blood counts and iron
  'CBC', 'complete blood count', 'blood count', 'blood counts', 'hemoglobin', 'Hgb', 'hematocrit', 'platelets',
  'platelet count', 'white blood cell count', 'white count', 'WBC', 'red blood cell count', 'RBC', 'neutrophils',
  'ANC', 'iron', 'iron level', 'ferritin', 'TIBC', 'B12', 'vitamin B12', 'folate', 'vitamin D', 'vitamin D level',
  'BMP', 'CMP', 'metabolic panel', 'basic metabolic panel', 'comprehensive metabolic panel',
  // Thyroid and hormones
  'TSH', 'thyroid', 'thyroid levels', 'thyroid panel', 'free T4', 'T4', 'T3', 'testosterone', 'testosterone level',
  'estrogen', 'estradiol level', 'progesterone level', 'cortisol', 'prolactin', 'FSH', 'LH', 'AMH',
  // Cardiac, inflammation
  'troponin', 'BNP', 'NT-proBNP', 'D-dimer', 'CRP', 'C-reactive protein', 'ESR', 'sed rate', 'CK', 'LDH', 'lactate',
  // Tumour markers and others
  'PSA', 'prostate-specific antigen', 'CA-125', 'CA 19-9', 'CEA', 'AFP', 'ANA', 'rheumatoid factor', 'lead level',
  'drug levels', 'lithium level', 'vancomycin level', 'digoxin level', 'tacrolimus level', 'blood alcohol',
  // Vital signs and measurements
  'blood pressure', 'BP', 'eye pressure', 'heart rate', 'pulse', 'oxygen', 'oxygen level', 'oxygen saturation', 'O2 sat', 'sats',
  'temperature', 'temp', 'BMI', 'weight', 'bone density', 'T-score', 'ejection fraction', 'EF',
  // Screenings and samples that are not sensitive by name
  'mammogram', 'pap smear', 'pap test', 'Pap', 'colonoscopy', 'biopsy', 'culture', 'blood culture', 'throat culture',
  'strep test', 'COVID test', 'flu test', 'rapid test', 'stool test', 'FIT test', 'Cologuard', 'X-ray', 'MRI', 'CT scan',
  'ultrasound', 'EKG', 'ECG', 'echo', 'pathology', 'urine sample', 'stool sample',
  // Spanish (basic)
  'glucosa', 'azúcar', 'colesterol', 'presión', 'presión arterial', 'potasio', 'hemoglobina',
];

/**
 * Generic result words: routing language on their own ("your results are ready", "lab work is due"), reported only
 * with a result word ("your results were abnormal", "test came back positive"), never with a bare number.
 */
export const RESULT_NOUNS: readonly string[] = [
  'results', 'result', 'test', 'tests', 'testing', 'test results', 'lab results', 'lab result', 'labs', 'lab work',
  'blood test', 'blood tests', 'blood work', 'bloodwork', 'screening', 'screen', 'scan', 'scans', 'report',
  'sample', 'specimen', 'swab', 'panel', 'levels', 'level', 'numbers', 'imaging', 'study',
  // Spanish (basic)
  'resultados', 'resultado', 'prueba', 'pruebas', 'análisis', 'examen', 'exámenes', 'estudio',
];

export const SENSITIVE_TESTS: readonly string[] = [
  'HIV test', 'HIV testing', 'HIV screening', 'HIV results', 'HIV viral load', 'viral load', 'CD4', 'CD4 count',
  'STD test', 'STD testing', 'STD screening', 'STD panel', 'STI test', 'STI testing', 'STI screening', 'STI panel',
  'chlamydia test', 'gonorrhea test', 'syphilis test', 'RPR', 'herpes test', 'hepatitis test', 'hepatitis C test',
  'hepatitis B test', 'hepatitis panel', 'HPV test', 'pregnancy test', 'hCG', 'beta hCG', 'quantitative hCG',
  'drug test', 'drug screen', 'urine drug screen', 'tox screen', 'toxicology screen', 'paternity test', 'DNA test',
  'genetic test results', 'BRCA test', 'BRCA testing', 'TB test', 'tuberculosis test', 'QuantiFERON',
  'biopsy results', 'pathology results', 'tumor markers', 'semen analysis', 'sperm count', 'fertility test',
  'ovarian reserve',
  'prueba de embarazo', 'prueba de VIH',
];
