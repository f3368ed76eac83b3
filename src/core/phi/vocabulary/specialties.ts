/**
 * Services, departments and programs whose name reveals a condition ("oncology", "HIV clinic", "dialysis unit"),
 * for the clinical layer of the PHI scanner.
 *
 * Source: compiled by hand, from the engineer's knowledge, of the specialty names in the CMS Medicare Provider and
 * Supplier Taxonomy crosswalk and of NLM MedlinePlus health-topic titles (US Government works, public domain under
 * 17 U.S.C. §105). NUCC taxonomy text (AMA-distributed) was not copied.
 *
 * Deliberately left out (see PROVENANCE.md): services that reveal no condition (primary care, family medicine,
 * internal medicine, pediatrics, radiology, laboratory, pharmacy, urgent care, emergency department, immunization
 * clinic, imaging center, billing, patient portal).
 */
export const SPECIALTIES: readonly string[] = [
  'oncology', 'hematology', 'hematology/oncology', 'hem/onc', 'cancer center', 'cancer institute', 'tumor board',
  'radiation oncology', 'infusion center', 'chemo unit', 'infusion suite', 'breast center', 'breast clinic',
  'HIV clinic', 'HIV program', 'infectious disease', 'infectious diseases', 'ID clinic', 'sexual health clinic',
  'STD clinic', 'STI clinic', 'PrEP clinic', 'hepatitis clinic', 'liver clinic', 'hepatology', 'transplant center',
  'transplant clinic', 'dialysis unit', 'dialysis center', 'dialysis clinic', 'kidney center', 'nephrology',
  'fertility clinic', 'fertility center', 'reproductive endocrinology', 'IVF clinic', 'family planning',
  'abortion clinic', 'women\'s health clinic', 'obstetrics', 'OB/GYN', 'OB-GYN', 'OBGYN', 'prenatal clinic',
  'maternal-fetal medicine', 'labor and delivery', 'high-risk pregnancy clinic', 'psychiatry', 'psychiatric',
  'psychiatric unit', 'behavioral health', 'mental health', 'mental health clinic', 'mental health services', 'psychology clinic',
  'counseling center', 'addiction medicine', 'addiction services', 'substance use program', 'recovery center',
  'methadone clinic', 'opioid treatment program', 'detox unit', 'crisis unit', 'eating disorder program',
  'gender clinic', 'gender health', 'transgender health', 'cardiology', 'heart center', 'heart failure clinic',
  'electrophysiology', 'vascular surgery', 'cardiothoracic surgery', 'endocrinology', 'diabetes center',
  'diabetes clinic', 'diabetes education', 'gastroenterology', 'GI clinic', 'GI lab', 'endoscopy suite',
  'endoscopy center', 'neurology', 'neurosurgery', 'epilepsy center', 'memory clinic', 'memory care',
  'movement disorders clinic', 'MS center', 'stroke center', 'headache clinic', 'sleep clinic', 'sleep center',
  'sleep lab', 'pulmonology', 'pulmonary clinic', 'lung center', 'rheumatology', 'urology', 'wound care center',
  'wound clinic', 'pain management', 'pain clinic', 'palliative care', 'hospice', 'bariatric surgery center',
  'bariatrics', 'weight management clinic', 'anticoagulation clinic', 'Coumadin clinic', 'orthopedics', 'ortho', 'OB', 'OB clinic',
  'orthopedic surgery', 'spine center', 'sports medicine', 'dermatology', 'allergy clinic', 'immunology',
  'ophthalmology', 'retina clinic', 'glaucoma clinic', 'audiology', 'ENT', 'otolaryngology', 'genetics clinic',
  'genetic counseling', 'geriatrics', 'physical therapy', 'occupational therapy', 'speech therapy',
  'rehabilitation unit', 'cardiac rehab', 'pulmonary rehab', 'NICU', 'neonatal intensive care', 'ICU',
  'intensive care', 'oncología', 'cardiología', 'psiquiatría', 'diálisis',
];
