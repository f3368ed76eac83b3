/**
 * Condition names (diseases, disorders, diagnoses, pregnancy states and condition-revealing symptoms), for the clinical
 * layer of the PHI scanner.
 *
 * Source: compiled by hand, from the engineer's knowledge, of category and code titles of ICD-10-CM (published by the
 * CDC's National Center for Health Statistics) and of NLM MedlinePlus health-topic titles, both works of the US
 * Government and in the public domain (17 U.S.C. §105), with the plain-language forms patients and staff use
 * ("sugar diabetes" is not one; "high blood pressure" is). No SNOMED CT, ICD-11, MeSH-derived licensed list or
 * GPL/CC-BY-SA list was copied; titles were shortened to the words a message would carry.
 *
 * Deliberately left out (see PROVENANCE.md): generic symptoms and words that are ordinary English and appear in
 * visitor-policy and public-health notices (cold, pain, cough, fever, fall, stress, allergy, fatigue, nausea,
 * sore throat); qualified forms are kept ("chest pain", "common cold", "food allergy"). Short all-capital
 * abbreviations that are also English words (AIDS, ALS, ADD, CAD, PAD) are matched only in capitals by the
 * detector; MS, ED, MI, RA and PE are not listed at all (state and department abbreviations), only spelled out.
 */
export const CONDITIONS: readonly string[] = [
  // Infectious disease, sexual health
  'HIV', 'HIV/AIDS', 'AIDS', 'HIV positive', 'HIV-positive', 'human immunodeficiency virus', 'hepatitis',
  'hepatitis A', 'hepatitis B', 'hepatitis C', 'hep B', 'hep C', 'HBV', 'HCV', 'STD', 'STI', 'sexually transmitted infection',
  'sexually transmitted disease', 'chlamydia', 'gonorrhea', 'syphilis', 'herpes', 'genital herpes', 'HSV', 'HSV-2',
  'genital warts', 'HPV', 'human papillomavirus', 'trichomoniasis', 'trichomonas', 'bacterial vaginosis',
  'yeast infection', 'pelvic inflammatory disease', 'PID', 'mpox', 'monkeypox', 'tuberculosis', 'latent tuberculosis',
  'TB', 'TB infection', 'MRSA', 'C. diff', 'C diff', 'Clostridioides difficile', 'sepsis', 'septicemia', 'pneumonia',
  'bronchitis', 'influenza', 'COVID', 'COVID-19', 'coronavirus', 'long COVID', 'RSV', 'strep throat', 'scarlet fever',
  'mononucleosis', 'Lyme disease', 'shingles', 'chickenpox', 'measles', 'mumps', 'whooping cough', 'pertussis',
  'meningitis', 'encephalitis', 'cellulitis', 'abscess', 'urinary tract infection', 'UTI', 'kidney infection',
  'bladder infection', 'ear infection', 'sinus infection', 'sinusitis', 'pink eye', 'conjunctivitis', 'scabies',
  'lice', 'ringworm', 'athlete\'s foot', 'thrush', 'H. pylori', 'Helicobacter pylori', 'norovirus', 'salmonella',
  'E. coli infection', 'giardia', 'malaria', 'dengue', 'Zika', 'West Nile virus', 'rabies', 'tetanus', 'infection',
  'viral infection', 'bacterial infection', 'fungal infection', 'wound infection', 'osteomyelitis', 'endocarditis',
  // Diabetes, endocrine, metabolic
  'diabetes', 'diabetic', 'type 1 diabetes', 'type 2 diabetes', 'type I diabetes', 'type II diabetes', 'prediabetes',
  'pre-diabetes', 'gestational diabetes', 'diabetic ketoacidosis', 'DKA', 'diabetic neuropathy', 'diabetic retinopathy',
  'diabetic foot ulcer', 'hypoglycemia', 'hyperglycemia', 'low blood sugar', 'high blood sugar', 'insulin resistance',
  'metabolic syndrome', 'obesity', 'morbid obesity', 'overweight', 'hypothyroidism', 'hyperthyroidism',
  'underactive thyroid', 'overactive thyroid', 'Hashimoto\'s', 'Hashimoto\'s thyroiditis', 'Graves\' disease',
  'Graves disease', 'thyroid nodule', 'goiter', 'thyroid cancer', 'Cushing\'s syndrome', 'Addison\'s disease',
  'adrenal insufficiency', 'PCOS', 'polycystic ovary syndrome', 'high cholesterol', 'hypercholesterolemia',
  'hyperlipidemia', 'dyslipidemia', 'high triglycerides', 'gout', 'osteoporosis', 'osteopenia', 'vitamin D deficiency',
  'B12 deficiency', 'iron deficiency', 'hemochromatosis', 'celiac disease', 'phenylketonuria', 'malnutrition',
  // Cardiovascular
  'hypertension', 'high blood pressure', 'hypotension', 'low blood pressure', 'heart disease', 'coronary artery disease',
  'CAD', 'heart attack', 'myocardial infarction', 'heart failure', 'congestive heart failure', 'CHF', 'angina',
  'atrial fibrillation', 'AFib', 'A-fib', 'arrhythmia', 'irregular heartbeat', 'tachycardia', 'bradycardia',
  'heart murmur', 'cardiomyopathy', 'aortic stenosis', 'mitral valve prolapse', 'valve disease', 'aortic aneurysm',
  'aneurysm', 'stroke', 'mini-stroke', 'TIA', 'transient ischemic attack', 'deep vein thrombosis', 'DVT', 'blood clot',
  'pulmonary embolism', 'peripheral artery disease', 'PAD', 'peripheral vascular disease', 'varicose veins',
  'chest pain', 'heart block', 'pericarditis', 'myocarditis', 'congenital heart defect', 'long QT syndrome',
  // Respiratory
  'asthma', 'COPD', 'chronic obstructive pulmonary disease', 'emphysema', 'chronic bronchitis', 'sleep apnea',
  'obstructive sleep apnea', 'pulmonary fibrosis', 'interstitial lung disease', 'sarcoidosis', 'cystic fibrosis',
  'pulmonary hypertension', 'lung nodule', 'collapsed lung', 'pneumothorax', 'pleural effusion', 'respiratory failure',
  // Cancer
  'cancer', 'tumor', 'tumour', 'malignancy', 'malignant', 'metastatic', 'metastasis', 'carcinoma', 'sarcoma',
  'lymphoma', 'leukemia', 'melanoma', 'myeloma', 'multiple myeloma', 'breast cancer', 'lung cancer',
  'prostate cancer', 'colon cancer', 'colorectal cancer', 'rectal cancer', 'pancreatic cancer', 'ovarian cancer',
  'cervical cancer', 'uterine cancer', 'endometrial cancer', 'bladder cancer', 'kidney cancer', 'liver cancer',
  'stomach cancer', 'esophageal cancer', 'skin cancer', 'basal cell carcinoma', 'squamous cell carcinoma',
  'brain tumor', 'glioblastoma', 'head and neck cancer', 'oral cancer', 'throat cancer', 'testicular cancer',
  'bone cancer', 'blood cancer', 'Hodgkin lymphoma', 'Hodgkin\'s lymphoma', 'non-Hodgkin lymphoma', 'Hodgkin\'s disease',
  'acute myeloid leukemia', 'AML', 'acute lymphoblastic leukemia', 'chronic lymphocytic leukemia', 'CLL',
  'chronic myeloid leukemia', 'CML', 'myelodysplastic syndrome', 'mesothelioma', 'neuroblastoma', 'DCIS',
  'ductal carcinoma in situ', 'precancerous', 'pre-cancerous', 'dysplasia', 'cervical dysplasia', 'polyps',
  'colon polyp', 'BRCA mutation', 'BRCA1', 'BRCA2', 'Lynch syndrome', 'in remission', 'remission', 'recurrence',
  'stage 4', 'stage IV',
  // Mental health and substance use
  'depression', 'major depressive disorder', 'depressive disorder', 'postpartum depression', 'anxiety',
  'anxiety disorder', 'generalized anxiety disorder', 'panic disorder', 'panic attack', 'panic attacks',
  'social anxiety', 'PTSD', 'post-traumatic stress disorder', 'bipolar', 'bipolar disorder', 'manic depression',
  'schizophrenia', 'schizoaffective disorder', 'psychosis', 'psychotic', 'OCD', 'obsessive-compulsive disorder',
  'ADHD', 'attention deficit', 'ADD', 'autism', 'autism spectrum disorder', 'eating disorder', 'anorexia',
  'anorexia nervosa', 'bulimia', 'binge eating disorder', 'borderline personality disorder', 'personality disorder',
  'suicidal', 'suicidal thoughts', 'suicidal ideation', 'suicide attempt', 'self-harm', 'self harm', 'insomnia',
  'mental illness', 'mental health condition', 'substance use disorder', 'substance use', 'substance abuse', 'addiction', 'addicted',
  'alcoholism', 'alcohol use disorder', 'alcohol dependence', 'opioid use disorder', 'opioid addiction',
  'opioid dependence', 'drug addiction', 'drug abuse', 'overdose', 'detox', 'relapse', 'dementia',
  'Alzheimer\'s', 'Alzheimer\'s disease', 'Alzheimer disease', 'memory loss', 'cognitive impairment',
  'mild cognitive impairment', 'gender dysphoria', 'Tourette syndrome', 'postpartum psychosis',
  // Neurology
  'epilepsy', 'seizure', 'seizure disorder', 'migraine', 'chronic migraine', 'Parkinson\'s', 'Parkinson\'s disease',
  'Parkinson disease', 'multiple sclerosis', 'ALS', 'Lou Gehrig\'s disease', 'amyotrophic lateral sclerosis',
  'Huntington\'s disease', 'neuropathy', 'peripheral neuropathy', 'concussion', 'traumatic brain injury', 'TBI',
  'cerebral palsy', 'spina bifida', 'myasthenia gravis', 'Guillain-Barre syndrome', 'Bell\'s palsy', 'sciatica',
  'restless legs syndrome', 'narcolepsy', 'trigeminal neuralgia', 'hydrocephalus', 'brain aneurysm',
  'spinal cord injury', 'paralysis', 'vertigo', 'tinnitus', 'hearing loss', 'chronic pain', 'fibromyalgia',
  'chronic fatigue syndrome',
  // Kidney, urology, GI, liver
  'kidney disease', 'chronic kidney disease', 'CKD', 'kidney failure', 'renal failure', 'end-stage renal disease',
  'ESRD', 'acute kidney injury', 'kidney stone', 'kidney stones', 'nephrotic syndrome', 'polycystic kidney disease',
  'incontinence', 'urinary incontinence', 'overactive bladder', 'interstitial cystitis', 'enlarged prostate', 'BPH',
  'benign prostatic hyperplasia', 'erectile dysfunction', 'low testosterone', 'infertility', 'male infertility',
  'GERD', 'acid reflux', 'reflux disease', 'peptic ulcer', 'stomach ulcer', 'ulcer', 'gastritis', 'gastroparesis',
  'irritable bowel syndrome', 'IBS', 'inflammatory bowel disease', 'IBD', 'Crohn\'s', 'Crohn\'s disease',
  'ulcerative colitis', 'colitis', 'diverticulitis', 'diverticulosis', 'hemorrhoids', 'anal fissure', 'gallstones',
  'gallbladder disease', 'cholecystitis', 'pancreatitis', 'appendicitis', 'hernia', 'hiatal hernia', 'bowel obstruction',
  'GI bleed', 'fatty liver', 'fatty liver disease', 'NAFLD', 'cirrhosis', 'liver disease', 'liver failure',
  'jaundice', 'Barrett\'s esophagus', 'chronic constipation', 'lactose intolerance', 'food allergy', 'peanut allergy',
  // Musculoskeletal, autoimmune, skin
  'arthritis', 'osteoarthritis', 'rheumatoid arthritis', 'psoriatic arthritis', 'lupus',
  'systemic lupus erythematosus', 'ankylosing spondylitis', 'scleroderma', 'Sjogren\'s syndrome', 'Sjögren\'s syndrome',
  'vasculitis', 'polymyalgia rheumatica', 'psoriasis', 'eczema', 'atopic dermatitis', 'rosacea', 'hidradenitis',
  'vitiligo', 'alopecia', 'acne', 'severe acne', 'fracture', 'broken bone', 'broken arm', 'broken leg', 'broken hip',
  'hip fracture', 'torn ACL', 'ACL tear', 'rotator cuff tear', 'meniscus tear', 'herniated disc', 'slipped disc',
  'degenerative disc disease', 'spinal stenosis', 'scoliosis', 'carpal tunnel syndrome', 'tendonitis', 'bursitis',
  'plantar fasciitis', 'back pain', 'low back pain', 'chronic back pain', 'neck pain', 'knee pain', 'hip pain',
  'joint pain', 'sprain', 'pressure ulcer', 'bedsore', 'burn injury',
  // Blood and immune
  'anemia', 'iron deficiency anemia', 'sickle cell', 'sickle cell disease', 'sickle cell anemia', 'sickle cell trait',
  'thalassemia', 'hemophilia', 'von Willebrand disease', 'thrombocytopenia', 'low platelets', 'neutropenia',
  'bleeding disorder', 'clotting disorder', 'factor V Leiden', 'immunodeficiency', 'immunocompromised', 'anaphylaxis',
  // Eye and ear
  'glaucoma', 'cataract', 'cataracts', 'macular degeneration', 'retinal detachment', 'diabetic eye disease',
  'legal blindness', 'blindness', 'vision loss',
  // Pregnancy, reproductive and women's health
  'pregnant', 'pregnancy', 'expecting a baby', 'miscarriage', 'pregnancy loss', 'stillbirth', 'abortion',
  'termination of pregnancy', 'ectopic pregnancy', 'molar pregnancy', 'preeclampsia', 'pre-eclampsia', 'eclampsia',
  'high-risk pregnancy', 'placenta previa', 'preterm labor', 'premature birth', 'hyperemesis gravidarum',
  'postpartum hemorrhage', 'endometriosis', 'uterine fibroids', 'fibroids', 'ovarian cyst', 'ovarian cysts',
  'menopause', 'perimenopause', 'premature ovarian failure', 'vaginitis', 'abnormal uterine bleeding',
  'heavy menstrual bleeding', 'amenorrhea', 'erectile problems', 'low libido', 'sexual dysfunction',
  // Other sensitive or revealing states
  'terminal illness', 'terminally ill', 'end of life', 'developmental disability', 'intellectual disability',
  'Down syndrome', 'genetic disorder', 'transplant rejection', 'organ failure', 'coma', 'dehydration',
  'heat stroke', 'frostbite', 'sexual assault', 'rape', 'domestic violence', 'child abuse', 'elder abuse',
  'dog bite', 'poisoning', 'lead poisoning', 'carbon monoxide poisoning', 'smoker', 'tobacco use', 'nicotine dependence',
  'sleep disorder', 'obesity hypoventilation', 'failure to thrive', 'jaundiced', 'colic', 'croup', 'hand foot and mouth disease',
  'RSV infection', 'common cold', 'strep', 'the flu', 'stomach flu', 'flu symptoms', 'COVID symptoms',
  // Spanish (basic)
  'VIH', 'SIDA', 'presión alta', 'azúcar alta', 'embarazo', 'embarazada', 'aborto', 'aborto espontáneo', 'depresión',
  'ansiedad', 'asma', 'infección', 'infección urinaria', 'enfermedad renal', 'insuficiencia cardíaca',
];
