/**
 * Procedure, imaging, therapy and diagnostic-test names whose mention reveals care received or planned, for the
 * clinical layer of the PHI scanner.
 *
 * Source: compiled by hand, from the engineer's knowledge, of the common names behind CMS HCPCS Level II descriptors
 * and ICD-10-PCS root operations and body systems (both published by the Centers for Medicare & Medicaid Services,
 * works of the US Government, public domain under 17 U.S.C. §105), in the plain words used in patient messages.
 * CPT descriptors (AMA copyright) were not used.
 *
 * Deliberately left out (see PROVENANCE.md): routine visit words (appointment, visit, check-up, physical, annual
 * exam, follow-up, consultation, telehealth), vaccinations and immunizations (public-health wording such as
 * "flu shots are available"), and bare "test", "scan", "labs", "blood draw" — these are routing words; the detector
 * only reports them with a result qualifier.
 */
export const PROCEDURES: readonly string[] = [
  // Imaging
  'MRI', 'MRI scan', 'magnetic resonance imaging', 'CT scan', 'CAT scan', 'CT angiogram', 'PET scan', 'PET-CT',
  'X-ray', 'chest X-ray', 'ultrasound', 'sonogram', 'echocardiogram', 'echo', 'transesophageal echocardiogram',
  'mammogram', 'mammography', 'diagnostic mammogram', '3D mammogram', 'breast ultrasound', 'breast MRI',
  'bone density scan', 'DEXA scan', 'DXA scan', 'nuclear stress test', 'stress test', 'cardiac stress test',
  'angiogram', 'angiography', 'fluoroscopy', 'barium swallow', 'barium enema', 'bone scan', 'thyroid scan',
  'HIDA scan', 'VQ scan', 'pelvic ultrasound', 'transvaginal ultrasound', 'abdominal ultrasound', 'renal ultrasound',
  'carotid ultrasound', 'Doppler ultrasound', 'fetal ultrasound', 'anatomy scan', 'nuchal translucency',
  'MRCP', 'myelogram', 'arthrogram', 'DaTscan',
  // Endoscopy and scopes
  'colonoscopy', 'sigmoidoscopy', 'endoscopy', 'upper endoscopy', 'EGD', 'capsule endoscopy', 'ERCP', 'bronchoscopy',
  'cystoscopy', 'colposcopy', 'hysteroscopy', 'laryngoscopy', 'arthroscopy', 'laparoscopy', 'thoracoscopy',
  'anoscopy', 'endoscopic ultrasound',
  // Biopsies and pathology
  'biopsy', 'needle biopsy', 'core biopsy', 'breast biopsy', 'prostate biopsy', 'skin biopsy', 'liver biopsy',
  'kidney biopsy', 'bone marrow biopsy', 'lymph node biopsy', 'sentinel node biopsy', 'fine needle aspiration',
  'cervical biopsy', 'endometrial biopsy', 'LEEP', 'cone biopsy', 'pathology report', 'lumbar puncture',
  'spinal tap', 'amniocentesis', 'chorionic villus sampling', 'paracentesis', 'thoracentesis',
  // Cardiac
  'EKG', 'ECG', 'electrocardiogram', 'Holter monitor', 'event monitor', 'cardiac catheterization', 'cardiac cath',
  'heart cath', 'angioplasty', 'stent', 'cardiac stent', 'stent placement', 'pacemaker', 'defibrillator', 'ICD implant',
  'ablation', 'cardiac ablation', 'cardioversion', 'bypass surgery', 'heart bypass', 'CABG', 'valve replacement',
  'TAVR', 'heart surgery', 'open-heart surgery', 'cardiac rehab', 'cardiac rehabilitation', 'loop recorder',
  // Cancer treatment, infusion, transplant, dialysis
  'radiation', 'radiation therapy', 'radiotherapy', 'proton therapy', 'brachytherapy', 'radiation oncology',
  'chemo infusion', 'infusion', 'iron infusion', 'infusion therapy', 'IV therapy', 'port placement', 'port flush',
  'PICC line', 'bone marrow transplant', 'stem cell transplant', 'organ transplant', 'kidney transplant',
  'liver transplant', 'heart transplant', 'lung transplant', 'transplant', 'dialysis', 'hemodialysis',
  'peritoneal dialysis', 'blood transfusion', 'transfusion', 'plasmapheresis', 'phlebotomy therapy',
  'lumpectomy', 'mastectomy', 'double mastectomy', 'breast reconstruction', 'prostatectomy', 'colectomy',
  'tumor removal', 'Mohs surgery', 'hormone therapy', 'targeted therapy', 'CAR-T therapy',
  // Surgery
  'surgery', 'surgical procedure', 'appendectomy', 'cholecystectomy', 'gallbladder removal',
  'gallbladder surgery', 'hernia repair', 'hysterectomy', 'oophorectomy', 'myomectomy', 'tubal ligation',
  'vasectomy', 'circumcision', 'C-section', 'cesarean', 'cesarean section', 'D&C', 'dilation and curettage',
  'tonsillectomy', 'adenoidectomy', 'thyroidectomy', 'hip replacement', 'knee replacement', 'joint replacement',
  'shoulder replacement', 'spinal fusion', 'spine surgery', 'back surgery', 'laminectomy', 'discectomy',
  'ACL reconstruction', 'rotator cuff repair', 'carpal tunnel release', 'cataract surgery', 'LASIK', 'vitrectomy',
  'bariatric surgery', 'gastric bypass', 'gastric sleeve', 'sleeve gastrectomy', 'lap band', 'weight loss surgery',
  'amputation', 'skin graft', 'kidney stone removal', 'lithotripsy', 'TURP', 'nephrectomy', 'gender-affirming surgery',
  'plastic surgery', 'breast augmentation', 'liposuction', 'brain surgery', 'craniotomy', 'deep brain stimulation',
  'tracheostomy', 'feeding tube', 'G-tube', 'colostomy', 'ileostomy', 'ostomy', 'catheter placement',
  'cyst removal', 'mole removal', 'excision', 'mole excision', 'wisdom teeth removal', 'root canal', 'tooth extraction', 'dental implant',
  'post-op', 'pre-op', 'post-operative', 'pre-operative', 'preoperative', 'postoperative', 'anesthesia',
  'general anesthesia', 'sedation', 'epidural', 'nerve block', 'steroid injection', 'cortisone shot',
  'cortisone injection', 'joint injection', 'trigger point injection', 'spinal injection', 'epidural steroid injection',
  // Reproductive and pregnancy care
  'IVF', 'in vitro fertilization', 'IUI', 'intrauterine insemination', 'egg retrieval', 'embryo transfer',
  'egg freezing', 'fertility treatment', 'abortion procedure', 'medication abortion', 'IUD insertion', 'IUD removal',
  'Nexplanon insertion', 'prenatal visit', 'prenatal care', 'postpartum visit', 'labor induction',
  'non-stress test', 'glucose tolerance test', 'glucose challenge test', 'NIPT', 'prenatal screening',
  'genetic counseling', 'genetic testing', 'genetic test', 'carrier screening', 'pap smear', 'pap test',
  'pelvic exam', 'breast exam', 'prostate exam',
  // Therapy, rehabilitation, behavioral and substance-use treatment
  'physical therapy', 'occupational therapy', 'speech therapy', 'pulmonary rehab', 'pulmonary rehabilitation',
  'wound care', 'wound vac', 'psychotherapy', 'counseling session', 'therapy session', 'CBT',
  'cognitive behavioral therapy', 'DBT', 'EMDR', 'group therapy', 'electroconvulsive therapy', 'ECT', 'TMS',
  'transcranial magnetic stimulation', 'ketamine infusion', 'medication-assisted treatment', 'MAT program',
  'methadone maintenance', 'detox program', 'rehab program', 'inpatient rehab', 'drug rehab', 'alcohol rehab',
  'intensive outpatient program', 'partial hospitalization', 'sleep study', 'polysomnography', 'CPAP',
  'CPAP machine', 'BiPAP', 'oxygen therapy', 'home oxygen', 'oxygen tank', 'oxygen concentrator', 'allergy testing', 'allergy shots', 'immunotherapy shots',
  'EEG', 'EMG', 'nerve conduction study', 'pulmonary function test', 'spirometry', 'audiogram', 'hearing test',
  'visual field test', 'retinal exam', 'dilated eye exam', 'diabetic eye exam', 'diabetic foot exam',
  'hemoglobin A1c test', 'A1c check', 'INR check', 'Coumadin clinic', 'anticoagulation clinic', 'glucose monitor',
  'continuous glucose monitor', 'CGM', 'glucose meter', 'glucometer', 'insulin pump training', 'diabetes education', 'nutrition counseling',
  'weight management program', 'smoking cessation', 'hospice care', 'palliative care',
  // Spanish (basic)
  'biopsia', 'mamografía', 'colonoscopía', 'colonoscopia', 'cirugía', 'ultrasonido', 'resonancia magnética',
  'tomografía', 'diálisis', 'radiografía', 'quimioterapia', 'terapia física', 'papanicolaou',
];
