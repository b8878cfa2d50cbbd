package screening

// Sources are shown to staff with each flag, so they are citations a
// clinician can look up: author or publisher, title, journal and year. The
// notes on where each was read (REFERENCE.md section 2 of the clinical
// reference notes) stay here, in comments:
//   - srcLabel: summarised at https://wcmedicine.com/?p=441 and
//     https://www.usmedicine.com/2021online-dir/inc/html/33.html
//   - srcLabelBP: measure before dosing, weigh risk above about 140/90,
//     recheck at about 40 minutes; https://www.spravatohcp.com/dosing-spravato-trd
//   - srcClinicBP: https://www.acceleratedpsychiatry.com/for-providers (140/90)
//     and https://fieldtriphealth.ca/?p=11131 (160/100)
//   - srcPsyon: https://www.psyon.cz/en/faq/exclusion-criteria/
//   - srcKalea: https://www.kaleawellness.com/post/navigating-the-boundaries-understanding-contraindications-for-ketamine-assisted-psychotherapy
//   - srcOakbrnch: https://www.oakbranchcounseling.com/post/contraindications-for-ketamine-assisted-psychotherapy
//   - srcAndrade: https://www.psychiatrist.com/JCP/article/Pages/2017/v78n07/17f11802.aspx
//   - srcVeraart: https://research.rug.nl/en/publications/pharmacodynamic-interactions-between-ketamine-and-psychiatric-med
//   - srcATC: https://atcddd.fhi.no/atc_ddd_index/
//   - srcConsent: REFERENCE.md section 2
//   - srcPolicy: the exclusions of the product seed (issue 4)
//   - srcKetalar: found on 2 December 2026 (REFERENCE.md 7.5 asks for its
//     current wording); DailyMed set 14e8f864-8b8a-4e7e-8439-e510d3107063,
//     https://fda.report/DailyMed/46dab560-8ecd-4d92-8c92-6baa2310b09b
const (
	srcLabel    = "Spravato (esketamine) nasal spray, US prescribing information (Janssen Pharmaceuticals)"
	srcLabelBP  = "Spravato US prescribing information, blood pressure warning and dosing (measure before dosing; weigh the risk above about 140/90; measure again about 40 minutes after)"
	srcClinicBP = "practice thresholds vary from 140/90 (Accelerated Psychiatry, information for providers) to 160/100 (Field Trip Health)"
	srcPsyon    = "Psyon clinic, exclusion criteria for ketamine-assisted therapy"
	srcKalea    = "Kalea Wellness, \"Navigating the boundaries: understanding contraindications for ketamine-assisted psychotherapy\""
	srcOakbrnch = "Oak Branch Counseling, \"Contraindications for ketamine-assisted psychotherapy\""
	srcAndrade  = "Andrade C. Ketamine for depression, 5: potential pharmacokinetic and pharmacodynamic drug interactions. J Clin Psychiatry. 2017;78(7)"
	srcVeraart  = "Veraart JKE, et al. Pharmacodynamic interactions between ketamine and psychiatric medications used in the treatment of depression: a systematic review. Int J Neuropsychopharmacol. 2021"
	srcATC      = "WHO Collaborating Centre for Drug Statistics Methodology, ATC/DDD Index"
	srcConsent  = "KAP practice consent forms (no alcohol, benzodiazepines, cannabis, opioids, stimulants or lamotrigine 24 hours before and after dosing)"
	srcPolicy   = "kapstone screening policy: a history of psychosis, mania or schizophrenia, and current benzodiazepines, stimulants or MAOIs, exclude until a prescriber decides"
	srcReview   = "kapstone clinical review"
	srcKetalar  = "Ketalar (ketamine hydrochloride) injection, US prescribing information (Par Pharmaceutical, revised 10/2024), section 7 (Drug Interactions)"
)

// Rule ids that are not a question, a medication class or an age.
const (
	ruleAgeUnknown   = "age-unknown"
	ruleUnrecognised = "med-unrecognised"
	ruleUnnamed      = "med-unnamed"
	ruleUnsure       = "answered-unsure"
)

// RuleNotAnswered is the id of the rule that flags a screening question left
// blank (see Input.Answered).
const RuleNotAnswered = "not-answered"

// rules is every screening rule in display order: the intake's questions in
// the order they are asked, then age, then medication classes, then the rules
// that ask a person to look again. Screen sorts flags by level, then by this
// order.
var rules = []Rule{
	// Mental health
	{
		ID: "psychosis-history", Level: Exclude, Question: "psychosis_history",
		Reason: "History of psychosis or schizophrenia: ketamine can worsen psychotic symptoms " +
			"(label: assess carefully; most KAP clinics exclude).",
		Source: srcLabel + "; " + srcPsyon + "; " + srcPolicy,
	},
	{
		ID: "mania-history", Level: Exclude, Question: "mania_history",
		Reason: "History of mania, hypomania or bipolar disorder: ketamine can trigger mania, and the product " +
			"excludes a history of mania; a prescriber may override, with a written reason, for bipolar " +
			"disorder that has been stable for some months.",
		Source: srcKalea + "; " + srcPolicy,
	},
	{
		ID: "mania-recent", Level: Exclude, Question: "mania_recent",
		Reason: "Mania or hypomania in the past 3 months: ketamine can trigger or worsen mania; " +
			"defer until mood has been stable for some months.",
		Source: srcKalea + "; " + srcPolicy,
	},
	{
		ID: "family-psychosis", Level: Caution, Question: "family_psychosis",
		Reason: "A parent, sibling or child has had psychosis or schizophrenia: some clinics treat a " +
			"first-degree family history as a relative contraindication.",
		Source: srcPsyon,
	},
	// Heart and circulation
	{
		ID: "high-blood-pressure", Level: Caution, Question: "high_blood_pressure",
		Reason: "Known high blood pressure: ketamine raises blood pressure (peak about 40 minutes after a " +
			"dose); confirm it is controlled with a measured reading before treatment.",
		Source: srcLabelBP + "; " + srcClinicBP,
	},
	{
		ID: "bp-uncontrolled", Level: Caution, Question: "bp_uncontrolled",
		Reason: "Blood pressure not well controlled: uncontrolled hypertension is a relative " +
			"contraindication, and many clinics will not dose until it is controlled.",
		Source: srcLabelBP + "; " + srcClinicBP,
	},
	{
		ID: "heart-disease", Level: Caution, Question: "heart_disease",
		Reason: "Recent heart attack, chest pain at rest, heart failure or irregular heartbeat: the rise " +
			"in blood pressure and heart rate during dosing may be unsafe; needs medical review.",
		Source: srcLabel + "; " + srcClinicBP,
	},
	{
		ID: "aneurysm", Level: Exclude, Question: "aneurysm",
		Reason: "Aneurysm or arteriovenous malformation: aneurysmal vascular disease and AVM are absolute " +
			"contraindications in the label (ketamine raises blood pressure).",
		Source: srcLabel,
	},
	// Brain and nervous system
	{
		ID: "stroke", Level: Caution, Question: "stroke",
		Reason: "History of stroke or TIA: the label advises not dosing where a rise in blood pressure " +
			"is a serious risk; needs medical review (a bleed in the brain is an exclusion).",
		Source: srcLabelBP,
	},
	{
		ID: "brain-bleed", Level: Exclude, Question: "brain_bleed",
		Reason: "History of bleeding in the brain: intracerebral haemorrhage is an absolute " +
			"contraindication in the label.",
		Source: srcLabel,
	},
	{
		ID: "head-injury", Level: Caution, Question: "head_injury",
		Reason: "Head injury with lasting symptoms, or raised pressure in the skull: ketamine can raise " +
			"intracranial pressure; a relative contraindication.",
		Source: srcLabelBP + "; " + srcOakbrnch,
	},
	{
		ID: "dementia", Level: Caution, Question: "dementia",
		Reason: "Dementia or worsening memory problems: a relative contraindication; consider capacity " +
			"to consent and the added confusion ketamine can cause.",
		Source: srcOakbrnch,
	},
	// Other health
	{
		ID: "ketamine-reaction", Level: Exclude, Question: "ketamine_reaction",
		Reason: "Allergy or serious reaction to ketamine or esketamine: hypersensitivity is an absolute " +
			"contraindication in the label.",
		Source: srcLabel,
	},
	{
		ID: "liver-disease", Level: Caution, Question: "liver_disease",
		Reason: "Liver disease: ketamine is cleared by the liver, and severe hepatic impairment is a " +
			"relative contraindication; the prescriber should check its severity.",
		Source: srcLabel + "; KAP clinic consent forms",
	},
	{
		ID: "bladder-problems", Level: Caution, Question: "bladder_problems",
		Reason: "Bladder problems: ketamine can cause cystitis and urinary symptoms (label warning); " +
			"record a baseline and watch for worsening.",
		Source: srcLabel + "; KAP clinic consent forms",
	},
	{
		ID: "glaucoma", Level: Caution, Question: "glaucoma",
		Reason: "Glaucoma or raised eye pressure: listed by KAP clinics as a relative contraindication, " +
			"because ketamine may raise eye pressure.",
		Source: "KAP practice consent forms; unconfirmed: not in the Spravato prescribing information",
	},
	// Pregnancy
	{
		ID: "pregnant", Level: Exclude, Question: "pregnant",
		Reason: "Pregnant, possibly pregnant, or planning pregnancy during treatment: the label warns of " +
			"embryo-fetal toxicity, and most KAP clinics exclude.",
		Source: srcLabel + "; " + srcPsyon,
	},
	{
		ID: "breastfeeding", Level: Exclude, Question: "breastfeeding",
		Reason: "Breastfeeding: the label advises against breastfeeding during treatment, and most KAP " +
			"clinics exclude.",
		Source: srcLabel + "; " + srcPsyon,
	},
	// Substances
	{
		ID: "substance-recent", Level: Exclude, Question: "substance_recent",
		Reason: "Heavy drinking or non-prescribed drug use in the past 3 months: active substance use " +
			"calls for deferral until a period of sobriety (weeks in most clinics; one year at some); " +
			"a prescriber may override, with a written reason.",
		Source: srcLabel + " (abuse warning); " + srcKalea + "; " + srcPsyon,
	},
	{
		ID: "ketamine-misuse", Level: Caution, Question: "ketamine_misuse",
		Reason: "Regular ketamine use outside medical care, or problems with it: ketamine can be misused " +
			"(Schedule III); assess the risk of relapse before treatment.",
		Source: srcLabel + " (abuse warning); " + srcKalea,
	},
	{
		ID: "ketamine-prior", Level: Info, Question: "ketamine_prior",
		Reason: "Has used ketamine before: ask about the setting, the dose and how it went.",
		Source: "kapstone screening policy: the intake asks about substance use, including ketamine taken before",
	},
	// Safety
	{
		ID: "suicide-attempt", Level: Caution, Question: "suicide_attempt",
		Reason: "Past suicide attempt: assess current risk and agree a safety plan before treatment.",
		Source: srcLabel + " (suicidality warning)",
	},
	{
		ID: "suicidal-now", Level: Exclude, Question: "suicidal_now",
		Reason: "Thoughts of ending their life in the past 2 weeks: high acute suicide risk needs a higher " +
			"level of care first; contact the patient today.",
		Source: srcLabel + " (suicidality warning); " + srcPsyon,
	},
	// Age
	{
		ID: "age-under-18", Level: Exclude, AgeUnder: 18,
		Reason: "Under 18: ketamine-assisted psychotherapy here is for adults; the label covers adults only.",
		Source: srcLabel,
	},
	{
		ID: ruleAgeUnknown, Level: Caution,
		Reason: "Date of birth not recorded (or not plausible): confirm the patient is an adult, since " +
			"patients under 18 are excluded.",
		Source: srcLabel + " (adults only)",
	},
	// Medications
	{
		ID: "med-benzodiazepine", Level: Exclude, Classes: []string{classBenzodiazepine},
		Reason: "Current benzodiazepine: may blunt or shorten the response to ketamine and adds sedation; " +
			"a taper or a hold must be planned with the prescriber.",
		Source: srcAndrade + "; " + srcVeraart + "; " + srcPolicy + "; ATC N05BA, N05CD, N03AE01 (" + srcATC + ")",
	},
	{
		ID: "med-psychostimulant", Level: Exclude, Classes: []string{classStimulant},
		Reason: "Current psychostimulant, or phentermine (an appetite suppressant that is a sympathomimetic " +
			"stimulant and raises blood pressure and heart rate in the same way): adds to the rise in blood " +
			"pressure and heart rate during dosing.",
		Source: srcAndrade + "; " + srcPolicy + "; " + srcReview + " (phentermine treated as a psychostimulant for " +
			"blood pressure); ATC N06BA, phentermine A08AA01, A08AA51 (" + srcATC + ")",
	},
	{
		ID: "med-maoi", Level: Exclude, Classes: []string{classMAOI, classMAOB},
		Reason: "Current MAO inhibitor (including the selegiline patch, MAO-B inhibitors, and linezolid and " +
			"methylene blue, which inhibit MAO): risk of a hypertensive reaction with ketamine.",
		Source: srcAndrade + "; " + srcPolicy + "; linezolid (Zyvox) and methylene blue (ProvayBlue) US " +
			"prescribing information (both inhibit monoamine oxidase); ATC N06AF, N06AG, N04BD, linezolid " +
			"J01XX08, methylene blue V04CG05 (" + srcATC + ")",
	},
	{
		ID: "med-z-drug", Level: Caution, Classes: []string{classZDrug},
		Reason: "Current Z-drug sleep medicine: adds sedation; plan when to hold it around dosing.",
		Source: srcAndrade + "; ATC N05CF (" + srcATC + ")",
	},
	{
		ID: "med-lamotrigine", Level: Caution, Classes: []string{classLamotrigine},
		Reason: "Current lamotrigine: may reduce ketamine's dissociative effects and probably its response; " +
			"clinics often hold it around dosing.",
		Source: srcAndrade + "; " + srcVeraart + "; " + srcConsent + "; ATC N03AX09",
	},
	{
		ID: "med-opioid", Level: Caution, Classes: []string{classOpioid},
		Reason: "Current opioid (including buprenorphine, methadone, codeine combinations such as Tylenol #3, " +
			"and opioid-like kratom): adds sedation and the risk of slowed breathing; needs the prescriber's review.",
		Source: srcLabel + " (respiratory depression); " + srcConsent + "; ATC N02A, N07BC; kratom has no ATC " +
			"code (" + srcATC + ")",
	},
	{
		ID: "med-cns-depressant", Level: Caution, Classes: []string{classBarbiturate, classOxybate},
		Reason: "Current barbiturate (including butalbital in Fioricet or Fiorinal, and phenobarbital) or sodium " +
			"oxybate (Xyrem, Xywav): strong CNS depressants that add to ketamine's sedation and the risk of " +
			"slowed breathing; needs the prescriber's review and a plan for dosing day.",
		Source: srcLabel + " (sedation and respiratory depression warnings); ATC N05CA, N03AA, N07XX04 (" + srcATC + ")",
	},
	{
		ID: "med-sedative", Level: Caution, Classes: []string{classSedative},
		Reason: "Current sedating medicine (an orexin-antagonist sleep medicine such as Belsomra, Dayvigo or " +
			"Quviviq, the muscle relaxant carisoprodol, or kava): adds to ketamine's sedation; plan when to " +
			"hold it around dosing.",
		Source: srcLabel + " (sedation warning); ATC N05CJ, carisoprodol M03BA02; kava has no ATC code (" + srcATC + ")",
	},
	{
		ID: "med-nmda-antagonist", Level: Caution, Classes: []string{classNMDA},
		Reason: "Current NMDA antagonist (dextromethorphan, also in DM cough medicines, NyQuil, Auvelity and " +
			"Nuedexta, or memantine): acts on the same receptor as ketamine, so dissociation and side effects " +
			"may add up; needs the prescriber's review.",
		Source: srcReview + " (pharmacological reasoning: the same receptor as ketamine; no interaction study " +
			"found); ATC R05DA09, N06AX62, N07XX59, N06DX01 (" + srcATC + ")",
	},
	{
		ID: "med-cannabis", Level: Caution, Classes: []string{classCannabis},
		Reason: "Current cannabis, THC or CBD (including edibles): clinic consents ask patients not to use " +
			"cannabis for 24 hours before and after dosing; agree the hold with the patient.",
		Source: srcConsent + "; ATC N02BG10, N03AX24, A04AD10 (" + srcATC + ")",
	},
	{
		ID: "med-non-stimulant-adhd", Level: Caution, Classes: []string{classNonStimulant},
		Reason: "Current non-stimulant ADHD medicine (atomoxetine, which ATC lists under N06BA with the " +
			"psychostimulants, or viloxazine): not a stimulant, so not excluded by default, but it can raise " +
			"blood pressure and heart rate; needs the prescriber's judgement.",
		Source: "Strattera and Qelbree US prescribing information (blood pressure and heart rate warnings); " +
			srcReview + " (non-stimulants are not among the excluded stimulants); ATC N06BA09, N06AX09 (" + srcATC + ")",
	},
	{
		ID: "med-st-johns-wort", Level: Caution, Classes: []string{classStJohnsWort},
		Reason: "Taking St John's wort: a serotonergic herbal antidepressant with many drug interactions; an " +
			"interaction with ketamine is unconfirmed, so the prescriber should review it.",
		Source: srcReview + " (interaction with ketamine unconfirmed); ATC N06AX25 (" + srcATC + ")",
	},
	{
		ID: "med-thyroid-hormone", Level: Caution, Classes: []string{classThyroid},
		Reason: "Current thyroid hormone (levothyroxine such as Synthroid, liothyronine such as Cytomel, or " +
			"desiccated thyroid such as Armour Thyroid): with ketamine it may cause marked hypertension and " +
			"tachycardia; check the thyroid dose is stable and watch blood pressure and heart rate closely.",
		Source: "Synthroid (levothyroxine) US prescribing information, section 7.6 Ketamine (taken together they may " +
			"produce marked hypertension and tachycardia; monitor blood pressure and heart rate closely), " +
			"Kaplan JA, Cooperman LH. Alarming reactions to ketamine in patients taking thyroid medication: " +
			"treatment with propranolol. Anesthesiology. 1971;35:229-30 (two cases of severe hypertension and " +
			"tachycardia); the current " + srcKetalar + " lists only theophylline or aminophylline, " +
			"sympathomimetics and vasopressin, and CNS depressants, so it is not confirmed on the ketamine " +
			"label itself; ATC H03AA (" + srcATC + ")",
	},
	{
		ID: "med-theophylline", Level: Caution, Classes: []string{classTheophylline},
		Reason: "Current theophylline or aminophylline (such as Theo-24, Uniphyl or Elixophyllin): with ketamine it " +
			"may lower the seizure threshold, and the ketamine label says not to give them together; the " +
			"prescriber must review it before dosing.",
		Source: srcKetalar + ", 7.1 Theophylline or Aminophylline (do not give them with Ketalar: " +
			"together they may lower the seizure threshold); ATC R03DA04, R03DA05, R03DA02 (" +
			srcATC + ")",
	},
	{
		ID: "med-antipsychotic", Level: Caution, Classes: []string{classAntipsychotic},
		Reason: "Current antipsychotic: some attenuate ketamine's effects, and the reason it is prescribed " +
			"(psychosis, mania) may itself matter.",
		Source: srcVeraart + "; ATC N05A except lithium (" + srcATC + ")",
	},
	{
		ID: "med-naltrexone", Level: Info, Classes: []string{classNaltrexone},
		Reason: "Current naltrexone: may block ketamine's antidepressant effect; this is disputed and " +
			"unconfirmed.",
		Source: "reports that naltrexone may block ketamine's antidepressant effect (unconfirmed and disputed); ATC N07BB04 (" + srcATC + ")",
	},
	{
		ID: "med-ketamine", Level: Info, Classes: []string{classKetamine},
		Reason: "Already taking ketamine or esketamine: coordinate with the current prescriber to avoid " +
			"overlapping treatment.",
		Source: "ATC N01AX03 ketamine, N06AX27 esketamine (" + srcATC + ")",
	},
	// Look again
	{
		ID: ruleUnrecognised, Level: Caution,
		Reason: "A medication was not recognised: review it, since an unknown drug may interact with ketamine.",
		Source: "kapstone screening policy: a medication kapstone does not recognise is listed for review, never silently passed",
	},
	{
		ID: ruleUnnamed, Level: Caution,
		Reason: "A medicine was described but not named (such as \"anxiety pill\", \"water pill\" or \"ADHD med\"): " +
			"ask the patient which medicine it is, since it may interact with ketamine.",
		Source: "kapstone clinical review: a medicine described but not named is asked about, never silently passed",
	},
	{
		ID: ruleUnsure, Level: Caution,
		Reason: "Answered unsure to a screening question: review the answer with the patient.",
		Source: "kapstone policy: an unsure answer to a question whose yes is an exclusion or caution is reviewed",
	},
	{
		ID: RuleNotAnswered, Level: Caution,
		Reason: "A screening question was left blank: a blank is not a no, so ask the patient before treatment.",
		Source: "kapstone policy: a question left blank is not a no",
	},
}

// Rules returns every screening rule in a stable order: the intake's
// questions in display order, age, medication classes, then the rules for
// unrecognised medications, medicines described but not named, unsure
// answers and unanswered questions. The slice is a copy.
func Rules() []Rule {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		r.Classes = append([]string(nil), r.Classes...)
		out[i] = r
	}
	return out
}

// FindRule returns the rule with the given id and true, or a zero Rule and
// false when there is none.
func FindRule(id string) (Rule, bool) {
	if i, ok := ruleIndex[id]; ok {
		r := rules[i]
		r.Classes = append([]string(nil), r.Classes...)
		return r, true
	}
	return Rule{}, false
}

var ruleIndex = func() map[string]int {
	m := make(map[string]int, len(rules))
	for i, r := range rules {
		m[r.ID] = i
	}
	return m
}()

// Sections of the intake, in display order.
const (
	SectionMentalHealth = "Mental health"
	SectionHeart        = "Heart and circulation"
	SectionBrain        = "Brain and nervous system"
	SectionOther        = "Other health"
	SectionPregnancy    = "Pregnancy"
	SectionSubstances   = "Substances"
	SectionSafety       = "Safety"
)

var questions = []Question{
	{ID: "psychosis_history", Section: SectionMentalHealth,
		Text: "Have you ever had psychosis, or been told you have schizophrenia or schizoaffective disorder?",
		Help: "Psychosis means seeing or hearing things others don't, or holding beliefs others found clearly untrue. Answer yes even if it happened only once."},
	{ID: "mania_history", Section: SectionMentalHealth,
		Text: "Have you ever been told you have bipolar disorder, or had a period of mania or hypomania?",
		Help: "Mania or hypomania means days of unusually high energy or mood, little need for sleep, racing thoughts, or risky choices that others noticed."},
	{ID: "mania_recent", Section: SectionMentalHealth,
		Text: "In the past 3 months, have you had a period of mania or hypomania?"},
	{ID: "family_psychosis", Section: SectionMentalHealth,
		Text: "Has a parent, brother, sister or child of yours had psychosis or schizophrenia?"},

	{ID: "high_blood_pressure", Section: SectionHeart,
		Text: "Have you been told you have high blood pressure?",
		Help: "Answer yes even if medicine keeps it under control."},
	{ID: "bp_uncontrolled", Section: SectionHeart,
		Text: "Is your blood pressure high at the moment, or not well controlled?",
		Help: "For example, recent readings above 140/90, or a doctor has said it needs better control. Answer unsure if you don't know."},
	{ID: "heart_disease", Section: SectionHeart,
		Text: "Do you have a heart condition: a heart attack in the past 6 months, chest pain while resting, heart failure, or an irregular heartbeat?"},
	{ID: "aneurysm", Section: SectionHeart,
		Text: "Have you ever been told you have an aneurysm or an arteriovenous malformation (AVM), in the brain, the aorta or anywhere else?",
		Help: "An aneurysm is a bulge in the wall of a blood vessel. An AVM is a tangle of blood vessels."},

	{ID: "stroke", Section: SectionBrain,
		Text: "Have you ever had a stroke or a mini-stroke (TIA)?",
		Help: "If you were told it was caused by bleeding in the brain, please also answer yes to the next question."},
	{ID: "brain_bleed", Section: SectionBrain,
		Text: "Have you ever had bleeding in the brain (a brain hemorrhage)?"},
	{ID: "head_injury", Section: SectionBrain,
		Text: "Have you had a head injury that still causes symptoms, or been told you have raised pressure inside your skull?",
		Help: "For example, headaches, dizziness, or memory or concentration problems that began after the injury."},
	{ID: "dementia", Section: SectionBrain,
		Text: "Have you been told you have dementia, or are you being checked for memory problems that are getting worse?"},

	{ID: "ketamine_reaction", Section: SectionOther,
		Text: "Have you ever had an allergy or a serious reaction to ketamine or esketamine (Spravato)?",
		Help: "Esketamine is a nasal spray used for depression."},
	{ID: "liver_disease", Section: SectionOther,
		Text: "Do you have liver disease, such as cirrhosis or hepatitis?",
		Help: "Answer yes for any ongoing liver problem a doctor has told you about."},
	{ID: "bladder_problems", Section: SectionOther,
		Text: "Do you have bladder problems, such as pain when you pass urine, needing to go very often, or interstitial cystitis?"},
	{ID: "glaucoma", Section: SectionOther,
		Text: "Have you been told you have glaucoma or high pressure in your eyes?"},

	{ID: "pregnant", Section: SectionPregnancy,
		Text: "Are you pregnant, might you be pregnant, or are you planning to become pregnant during treatment?",
		Help: "If this could not apply to you, answer no."},
	{ID: "breastfeeding", Section: SectionPregnancy,
		Text: "Are you breastfeeding or chestfeeding?"},

	{ID: "substance_recent", Section: SectionSubstances,
		Text: "In the past 3 months, have you drunk alcohol heavily, or used drugs that were not prescribed to you?",
		Help: "For example, often drinking more than you meant to, or using cannabis, cocaine or other drugs. Honest answers help us keep your treatment safe."},
	{ID: "ketamine_misuse", Section: SectionSubstances,
		Text: "Have you ever used ketamine regularly outside of medical care, or had problems because of ketamine?"},
	{ID: "ketamine_prior", Section: SectionSubstances,
		Text: "Have you used ketamine before, in any setting?",
		Help: "For example at a clinic, in hospital, or on your own. This helps your team plan; it does not by itself rule you out."},

	{ID: "suicide_attempt", Section: SectionSafety,
		Text: "Have you ever tried to end your life?",
		Help: "We ask everyone this. Your answer helps your care team support you safely."},
	{ID: "suicidal_now", Section: SectionSafety,
		Text: "In the past 2 weeks, including today, have you had thoughts of ending your life?",
		Help: "When you save or send this questionnaire with yes or not sure here, your care team is alerted. They may not see it straight away, so please use the crisis lines below if you need help now."},
}

// Questions returns the intake's yes/no questions in display order, grouped
// by section (every question of a section is next to the others). The slice
// is a copy.
func Questions() []Question {
	return append([]Question(nil), questions...)
}

var questionIndex = func() map[string]int {
	m := make(map[string]int, len(questions))
	for i, q := range questions {
		m[q.ID] = i
	}
	return m
}()
