package screening

// Medication class ids.
const (
	classBenzodiazepine = "benzodiazepine"
	classStimulant      = "psychostimulant"
	classMAOI           = "maoi"
	classMAOB           = "mao-b-inhibitor"
	classZDrug          = "z-drug"
	classLamotrigine    = "lamotrigine"
	classOpioid         = "opioid"
	classAntipsychotic  = "antipsychotic"
	classNaltrexone     = "naltrexone"
	classKetamine       = "ketamine"
	classBarbiturate    = "barbiturate"
	classOxybate        = "oxybate"
	classSedative       = "sedative"
	classNMDA           = "nmda-antagonist"
	classCannabis       = "cannabis"
	classNonStimulant   = "non-stimulant-adhd"
	classStJohnsWort    = "st-johns-wort"
	classThyroid        = "thyroid-hormone"
	classTheophylline   = "theophylline"
)

// drugClass is a group of drugs one screening rule is about.
type drugClass struct {
	id   string
	name string   // for people, e.g. "Benzodiazepine"
	noun string   // for a sentence, e.g. "a benzodiazepine"; "" when the generic says it all
	atc  []string // ATC code prefixes whose drugs belong to the class, unless the table says otherwise
}

var classes = []drugClass{
	{classBenzodiazepine, "Benzodiazepine", "a benzodiazepine", []string{"N05BA", "N05CD"}},
	{classStimulant, "Psychostimulant", "a psychostimulant", []string{"N06BA"}},
	{classMAOI, "Monoamine oxidase inhibitor (MAOI)", "an MAOI", []string{"N06AF", "N06AG"}},
	{classMAOB, "MAO-B inhibitor", "an MAO-B inhibitor (an MAOI)", []string{"N04BD"}},
	{classZDrug, "Z-drug sleep medicine", "a Z-drug sleep medicine", []string{"N05CF"}},
	{classLamotrigine, "Lamotrigine", "", []string{"N03AX09"}},
	{classOpioid, "Opioid", "an opioid", []string{"N02A", "N07BC"}},
	{classAntipsychotic, "Antipsychotic", "an antipsychotic", []string{"N05A"}},
	{classNaltrexone, "Opioid antagonist (naltrexone)", "an opioid antagonist", []string{"N07BB04"}},
	{classKetamine, "Ketamine or esketamine", "", []string{"N01AX03", "N06AX27"}},
	{classBarbiturate, "Barbiturate", "a barbiturate", []string{"N05CA", "N03AA"}},
	{classOxybate, "Sodium oxybate (GHB)", "an oxybate (GHB), a CNS depressant", []string{"N07XX04"}},
	{classSedative, "Other sedating medicine", "a sedating medicine", []string{"N05CJ", "M03BA02"}},
	{classNMDA, "NMDA antagonist", "an NMDA antagonist, like ketamine", []string{"R05DA09", "N06AX62", "N07XX59", "N06DX01"}},
	{classCannabis, "Cannabis or cannabinoid", "a cannabis product", []string{"N02BG10", "N03AX24", "A04AD10"}},
	{classNonStimulant, "Non-stimulant ADHD medicine", "a non-stimulant ADHD medicine", []string{"N06AX09"}},
	{classStJohnsWort, "St John's wort", "a serotonergic herbal supplement", []string{"N06AX25"}},
	{classThyroid, "Thyroid hormone", "a thyroid hormone", []string{"H03AA"}},
	{classTheophylline, "Theophylline or aminophylline", "a theophylline (xanthine bronchodilator)", []string{"R03DA"}},
}

var classByID = func() map[string]drugClass {
	m := make(map[string]drugClass, len(classes))
	for _, c := range classes {
		m[c.id] = c
	}
	return m
}()

// drug is one row of the medication table.
type drug struct {
	generic string // display name; for a combination, its parts joined by "/"
	atc     string // WHO ATC code; a shorter (group-level) code where the exact one is not verified; "" when there is none
	class   string // a class id, or "" for no screening concern
	names   string // brand names and other names, comma-separated; the generic is a name too
	note    string // why the class differs from the one the ATC code implies, why the code is group-level, or why there is none
}

// drugs is the medication table. ATC codes are from public WHO ATC tables
// (verify at https://atcddd.fhi.no/atc_ddd_index/). Brand names are US
// unless noted. Suffixes such as XR, ER, CR, ODT and "patch" are matched as
// form text, so "Xanax XR" needs only "Xanax".
var drugs = []drug{
	// Benzodiazepines: N05BA, N05CD, and clonazepam N03AE01.
	{"alprazolam", "N05BA12", classBenzodiazepine, "Xanax, Niravam, alprazolam intensol", ""},
	{"lorazepam", "N05BA06", classBenzodiazepine, "Ativan, Loreev", ""},
	{"diazepam", "N05BA01", classBenzodiazepine, "Valium, Diastat, Valtoco, Libervant", ""},
	{"chlordiazepoxide", "N05BA02", classBenzodiazepine, "Librium", ""},
	{"oxazepam", "N05BA04", classBenzodiazepine, "Serax", ""},
	{"clorazepate", "N05BA05", classBenzodiazepine, "Tranxene", ""},
	{"bromazepam", "N05BA08", classBenzodiazepine, "Lexotan, Lectopam", ""},
	{"clobazam", "N05BA09", classBenzodiazepine, "Onfi, Sympazan", ""},
	{"etizolam", "N05BA19", classBenzodiazepine, "Etilaam, Etizest", ""},
	{"clonazepam", "N03AE01", classBenzodiazepine, "Klonopin, Rivotril", "an antiepileptic in ATC (N03AE01), but a benzodiazepine for screening"},
	{"temazepam", "N05CD07", classBenzodiazepine, "Restoril", ""},
	{"triazolam", "N05CD05", classBenzodiazepine, "Halcion", ""},
	{"estazolam", "N05CD04", classBenzodiazepine, "ProSom", ""},
	{"flurazepam", "N05CD01", classBenzodiazepine, "Dalmane", ""},
	{"quazepam", "N05CD10", classBenzodiazepine, "Doral", ""},
	{"midazolam", "N05CD08", classBenzodiazepine, "Versed, Nayzilam, Seizalam", ""},
	{"nitrazepam", "N05CD02", classBenzodiazepine, "Mogadon", ""},
	{"flunitrazepam", "N05CD03", classBenzodiazepine, "Rohypnol", ""},
	{"chlordiazepoxide/clidinium", "A03CA02", classBenzodiazepine, "Librax, clidinium chlordiazepoxide", "an antispasmodic in ATC (A03CA02) that contains chlordiazepoxide, a benzodiazepine"},
	{"chlordiazepoxide/amitriptyline", "N06CA01", classBenzodiazepine, "Limbitrol, amitriptyline chlordiazepoxide", "an antidepressant combination in ATC (N06CA01) that contains chlordiazepoxide, a benzodiazepine"},

	// Z-drugs: N05CF.
	{"zolpidem", "N05CF02", classZDrug, "Ambien, Edluar, Intermezzo, Zolpimist", ""},
	{"eszopiclone", "N05CF04", classZDrug, "Lunesta", ""},
	{"zaleplon", "N05CF03", classZDrug, "Sonata", ""},
	{"zopiclone", "N05CF01", classZDrug, "Imovane, Zimovane", ""},

	// Psychostimulants: N06BA.
	{"amphetamine", "N06BA01", classStimulant, "Adderall, Mydayis, Evekeo, Adzenys, Dyanavel, amfetamine, mixed amphetamine salts, amphetamine salts, dextroamphetamine amphetamine, amphetamine dextroamphetamine", ""},
	{"dextroamphetamine", "N06BA02", classStimulant, "Dexedrine, Zenzedi, ProCentra, Xelstrym, dexamfetamine, dexamphetamine", ""},
	{"methamphetamine", "N06BA03", classStimulant, "Desoxyn, metamfetamine", ""},
	{"methylphenidate", "N06BA04", classStimulant, "Ritalin, Concerta, Metadate, Methylin, Daytrana, Quillivant, QuilliChew, Aptensio, Cotempla, Jornay, Adhansia, Relexxii", ""},
	{"dexmethylphenidate", "N06BA11", classStimulant, "Focalin", ""},
	{"lisdexamfetamine", "N06BA12", classStimulant, "Vyvanse", ""},
	{"modafinil", "N06BA07", classStimulant, "Provigil", ""},
	{"armodafinil", "N06BA13", classStimulant, "Nuvigil", ""},
	{"solriamfetol", "N06BA14", classStimulant, "Sunosi", ""},
	// Phentermine: an anti-obesity sympathomimetic in ATC (A08AA), screened with
	// the psychostimulants because it raises blood pressure and heart rate.
	{"phentermine", "A08AA01", classStimulant, "Adipex, Adipex P, Lomaira, Suprenza", "an anti-obesity drug in ATC (A08AA01), but a sympathomimetic stimulant that raises blood pressure and heart rate: screened as a psychostimulant"},
	{"phentermine/topiramate", "A08AA51", classStimulant, "Qsymia, phentermine topiramate, topiramate phentermine", "an anti-obesity combination in ATC (A08AA51) that contains phentermine, screened as a psychostimulant"},

	// Non-stimulant ADHD medicines: not the seed's stimulants; the prescriber judges them.
	{"atomoxetine", "N06BA09", classNonStimulant, "Strattera", "listed under N06BA with the psychostimulants in ATC, but a non-stimulant (noradrenaline reuptake inhibitor): screened as a non-stimulant ADHD medicine"},
	{"viloxazine", "N06AX09", classNonStimulant, "Qelbree", ""},

	// MAOIs: N06AF, N06AG; MAO-B inhibitors: N04BD.
	{"isocarboxazid", "N06AF01", classMAOI, "Marplan", ""},
	{"phenelzine", "N06AF03", classMAOI, "Nardil", ""},
	{"tranylcypromine", "N06AF04", classMAOI, "Parnate", ""},
	{"moclobemide", "N06AG02", classMAOI, "Manerix, Aurorix", ""},
	{"selegiline", "N04BD01", classMAOB, "Emsam, Eldepryl, Zelapar, deprenyl", ""},
	{"rasagiline", "N04BD02", classMAOB, "Azilect", ""},
	{"safinamide", "N04BD03", classMAOB, "Xadago", ""},
	{"methylene blue", "V04CG05", classMAOI, "methylthioninium chloride, methylthioninium, ProvayBlue", "a diagnostic agent in ATC (V04CG05; also V03AB17 as an antidote), but a potent MAO-A inhibitor: an MAOI for screening"},
	{"linezolid", "J01XX08", classMAOI, "Zyvox", "an antibiotic in ATC (J01XX08), but a reversible non-selective MAO inhibitor: an MAOI for screening"},

	// Lamotrigine: N03AX09.
	{"lamotrigine", "N03AX09", classLamotrigine, "Lamictal, Subvenite", ""},

	// Opioids: N02A, N07BC; codeine and hydrocodone alone are cough medicines in ATC (R05DA).
	{"morphine", "N02AA01", classOpioid, "MS Contin, Kadian, Arymo, Roxanol", ""},
	{"hydromorphone", "N02AA03", classOpioid, "Dilaudid, Exalgo", ""},
	{"oxycodone", "N02AA05", classOpioid, "OxyContin, Roxicodone, Oxaydo, Xtampza, RoxyBond, Oxecta", ""},
	{"oxymorphone", "N02AA11", classOpioid, "Opana", ""},
	{"dihydrocodeine", "N02AA08", classOpioid, "", ""},
	{"codeine", "R05DA04", classOpioid, "", "a cough medicine in ATC (R05DA04), but an opioid"},
	{"hydrocodone", "R05DA03", classOpioid, "Hysingla, Zohydro, Hycodan", "a cough medicine in ATC (R05DA03), but an opioid"},
	{"fentanyl", "N02AB03", classOpioid, "Duragesic, Actiq, Fentora, Subsys, Abstral, Lazanda", ""},
	{"meperidine", "N02AB02", classOpioid, "Demerol, pethidine", ""},
	{"tramadol", "N02AX02", classOpioid, "Ultram, ConZip, Qdolo", ""},
	{"tapentadol", "N02AX06", classOpioid, "Nucynta", ""},
	{"butorphanol", "N02AF01", classOpioid, "Stadol", ""},
	{"nalbuphine", "N02AF02", classOpioid, "Nubain", ""},
	{"pentazocine", "N02AD01", classOpioid, "Talwin", ""},
	{"buprenorphine", "N07BC01", classOpioid, "Subutex, Sublocade, Brixadi", ""},
	{"buprenorphine", "N02AE01", classOpioid, "Butrans, Belbuca, Buprenex", ""},
	{"methadone", "N07BC02", classOpioid, "Dolophine, Methadose, Diskets", ""},
	{"buprenorphine/naloxone", "N07BC51", classOpioid, "Suboxone, Zubsolv, Bunavail, naloxone buprenorphine", ""},
	{"oxycodone/acetaminophen", "N02AJ17", classOpioid, "Percocet, Endocet, Roxicet, Primlev, Nalocet, Prolate, oxycodone apap, oxycodone paracetamol, acetaminophen oxycodone", ""},
	{"hydrocodone/acetaminophen", "N02AJ22", classOpioid, "Norco, Vicodin, Lortab, Lorcet, Xodol, Verdrocet, hydrocodone apap, hydrocodone paracetamol, acetaminophen hydrocodone", ""},
	{"codeine/acetaminophen", "N02AJ06", classOpioid, "Tylenol with codeine, Tylenol codeine, Tylenol 3, Tylenol #3, Tylenol T3, Tylenol No 3, T3, Tylenol 4, Tylenol #4, Tylenol No 4, acetaminophen codeine, acetaminophen-codeine, apap codeine, codeine apap, paracetamol codeine", ""},
	{"tramadol/acetaminophen", "N02AJ13", classOpioid, "Ultracet, tramadol apap", ""},
	{"oxycodone/aspirin", "N02AJ18", classOpioid, "Percodan", ""},
	{"kratom", "", classOpioid, "mitragyna, mitragyna speciosa, mitragynine", "no ATC code (an unapproved plant product), but opioid-like: its alkaloids act on opioid receptors"},

	// Barbiturates (N05CA, N03AA), oxybates (N07XX04) and other sedating medicines.
	{"butalbital", "N05CA", classBarbiturate, "", "group-level ATC code (N05CA, barbiturates, plain): butalbital is sold in combinations and its own code is not verified here"},
	{"butalbital/acetaminophen/caffeine", "N02BE", classBarbiturate, "Fioricet, Esgic, Zebutal, butalbital apap caffeine, butalbital acetaminophen caffeine, acetaminophen butalbital caffeine", "group-level ATC code (N02BE, anilide analgesics): a headache combination that contains butalbital, a barbiturate"},
	{"butalbital/aspirin/caffeine", "N02BA", classBarbiturate, "Fiorinal, butalbital aspirin caffeine, aspirin butalbital caffeine, butalbital asa caffeine", "group-level ATC code (N02BA, salicylic acid and derivatives): a headache combination that contains butalbital, a barbiturate"},
	{"phenobarbital", "N03AA02", classBarbiturate, "phenobarbitone, phenobarb, Luminal, Sezaby", ""},
	{"sodium oxybate", "N07XX04", classOxybate, "oxybate, Xyrem, Lumryz, GHB, gamma hydroxybutyrate", ""},
	{"mixed oxybate salts", "N07XX", classOxybate, "Xywav, oxybates, calcium magnesium potassium sodium oxybates", "group-level ATC code (N07XX): the mixed-salt product's own code is not verified here; it is sodium oxybate's active moiety"},
	{"carisoprodol", "M03BA02", classSedative, "Soma, Vanadom", ""},
	{"suvorexant", "N05CJ01", classSedative, "Belsomra", ""},
	{"lemborexant", "N05CJ02", classSedative, "Dayvigo", ""},
	{"daridorexant", "N05CJ03", classSedative, "Quviviq", ""},
	{"kava", "", classSedative, "kava kava, kavakava, kava root, piper methysticum", "no ATC code (a herbal supplement), but sedating"},

	// NMDA antagonists: dextromethorphan (alone and in cough and cold medicines) and memantine.
	{"dextromethorphan", "R05DA09", classNMDA, "DM, DXM, Delsym, dextromethorphan hbr", ""},
	{"dextromethorphan/guaifenesin", "R05F", classNMDA, "Robitussin DM, Mucinex DM, guaifenesin dm, guaifenesin dextromethorphan, dextromethorphan guaifenesin", "group-level ATC code (R05F, cough suppressant and expectorant combinations): contains dextromethorphan, an NMDA antagonist"},
	{"acetaminophen/dextromethorphan/doxylamine", "R05X", classNMDA, "NyQuil, Vicks NyQuil", "group-level ATC code (R05X, other cold preparations): contains dextromethorphan, an NMDA antagonist"},
	{"acetaminophen/dextromethorphan/phenylephrine", "R05X", classNMDA, "DayQuil, Vicks DayQuil", "group-level ATC code (R05X, other cold preparations): contains dextromethorphan, an NMDA antagonist"},
	{"dextromethorphan/bupropion", "N06AX62", classNMDA, "Auvelity, dextromethorphan bupropion, bupropion dextromethorphan", ""},
	{"dextromethorphan/quinidine", "N07XX59", classNMDA, "Nuedexta, dextromethorphan quinidine", ""},
	{"memantine", "N06DX01", classNMDA, "Namenda", ""},

	// Cannabis and cannabinoids: held around dosing. N02BG10 is the ATC code
	// for cannabinoid medicines (medicinal cannabis, nabiximols); recreational
	// cannabis has no code of its own. Cannabidiol (CBD) is an antiepileptic in
	// ATC (N03AX24), held like cannabis.
	{"cannabis", "N02BG10", classCannabis, "marijuana, marihuana, medical marijuana, medical cannabis, weed, THC, edibles, edible, cannabis oil, THC oil, delta 8, delta 8 THC, delta 9, delta 9 THC, Sativex, nabiximols", ""},
	{"cannabidiol", "N03AX24", classCannabis, "CBD, CBD oil, Epidiolex, hemp oil, hemp extract", ""},
	{"dronabinol", "A04AD10", classCannabis, "Marinol, Syndros", ""},

	// St John's wort: serotonergic; an interaction with ketamine is unconfirmed.
	{"St John's wort", "N06AX25", classStJohnsWort, "St Johns wort, St John wort, Saint John's wort, Saint Johns wort, hypericum, hyperici herba", ""},

	// Thyroid hormones (H03AA): with ketamine, marked hypertension and
	// tachycardia (Synthroid label section 7.6; REFERENCE.md 7.5).
	{"levothyroxine", "H03AA01", classThyroid, "Synthroid, Levoxyl, Unithroid, Tirosint, Euthyrox, Levothroid, Levo-T, Eltroxin, Ermeza, Thyquidity, Levolet, L-thyroxine, thyroxine, T4 thyroid", ""},
	{"liothyronine", "H03AA02", classThyroid, "Cytomel, Cytomel T3, liothyronine T3, T3 thyroid, Triostat", ""},
	{"levothyroxine/liothyronine", "H03AA", classThyroid, "liotrix, Thyrolar", "group-level ATC code (H03AA, thyroid hormones): the combination's own code is not verified here"},
	{"thyroid desiccated", "H03AA", classThyroid, "Armour Thyroid, NP Thyroid, Nature-Throid, WP Thyroid, Westhroid, Adthyza, Amerithroid, desiccated thyroid, thyroid extract, porcine thyroid, natural thyroid, thyroid tablets", "group-level ATC code (H03AA, thyroid hormones): the code of thyroid gland preparations is not verified here"},

	// Theophylline and aminophylline (R03DA): with ketamine, a lowered
	// seizure threshold (Ketalar label section 7.1; REFERENCE.md 7.5).
	{"theophylline", "R03DA04", classTheophylline, "Theo-24, Uniphyl, Uniphyllin, Elixophyllin, Theochron, Theo-Dur, Theolair, Theo-Time, Quibron-T, Slo-Bid, Slo-Phyllin, Uni-Dur, Nuelin, Respbid, T-Phyl", ""},
	{"aminophylline", "R03DA05", classTheophylline, "Phyllocontin, Truphylline, theophylline ethylenediamine", ""},
	{"choline theophyllinate", "R03DA02", classTheophylline, "oxtriphylline, Choledyl", ""},

	// Antipsychotics: N05A (lithium, N05AN01, is not one for screening).
	{"chlorpromazine", "N05AA01", classAntipsychotic, "Thorazine, Largactil", ""},
	{"fluphenazine", "N05AB02", classAntipsychotic, "Prolixin, Permitil", ""},
	{"perphenazine", "N05AB03", classAntipsychotic, "Trilafon", ""},
	{"prochlorperazine", "N05AB04", classAntipsychotic, "Compazine, Compro", ""},
	{"trifluoperazine", "N05AB06", classAntipsychotic, "Stelazine", ""},
	{"thioridazine", "N05AC02", classAntipsychotic, "Mellaril", ""},
	{"haloperidol", "N05AD01", classAntipsychotic, "Haldol", ""},
	{"molindone", "N05AE02", classAntipsychotic, "Moban", ""},
	{"ziprasidone", "N05AE04", classAntipsychotic, "Geodon, Zeldox", ""},
	{"lurasidone", "N05AE05", classAntipsychotic, "Latuda", ""},
	{"thiothixene", "N05AF04", classAntipsychotic, "Navane, tiotixene", ""},
	{"pimozide", "N05AG02", classAntipsychotic, "Orap", ""},
	{"loxapine", "N05AH01", classAntipsychotic, "Loxitane, Adasuve", ""},
	{"clozapine", "N05AH02", classAntipsychotic, "Clozaril, FazaClo, Versacloz", ""},
	{"olanzapine", "N05AH03", classAntipsychotic, "Zyprexa, Zyprexa Zydis, Zyprexa Relprevv", ""},
	{"quetiapine", "N05AH04", classAntipsychotic, "Seroquel", ""},
	{"asenapine", "N05AH05", classAntipsychotic, "Saphris, Secuado", ""},
	{"amisulpride", "N05AL05", classAntipsychotic, "Solian, Barhemsys", ""},
	{"risperidone", "N05AX08", classAntipsychotic, "Risperdal, Risperdal Consta, Perseris, Uzedy, Rykindo", ""},
	{"aripiprazole", "N05AX12", classAntipsychotic, "Abilify, Abilify Maintena, Abilify Mycite, Abilify Asimtufii, Aristada", ""},
	{"paliperidone", "N05AX13", classAntipsychotic, "Invega, Invega Sustenna, Invega Trinza, Invega Hafyera", ""},
	{"iloperidone", "N05AX14", classAntipsychotic, "Fanapt", ""},
	{"cariprazine", "N05AX15", classAntipsychotic, "Vraylar", ""},
	{"brexpiprazole", "N05AX16", classAntipsychotic, "Rexulti", ""},
	{"pimavanserin", "N05AX17", classAntipsychotic, "Nuplazid", ""},
	{"lumateperone", "N05A", classAntipsychotic, "Caplyta", "group-level ATC code (N05A, antipsychotics)"},
	{"olanzapine/samidorphan", "N05AH", classAntipsychotic, "Lybalvi", "group-level ATC code (N05AH, diazepines, oxazepines, thiazepines and oxepines)"},
	{"olanzapine/fluoxetine", "N06CA03", classAntipsychotic, "Symbyax, fluoxetine olanzapine", "an antidepressant combination in ATC (N06CA03) that contains olanzapine, an antipsychotic"},

	// Naltrexone: N07BB04, including the weight-loss combination.
	{"naltrexone", "N07BB04", classNaltrexone, "Vivitrol, ReVia, Depade, LDN, low dose naltrexone", ""},
	{"naltrexone/bupropion", "A08AA62", classNaltrexone, "Contrave, Mysimba, bupropion naltrexone", "an anti-obesity combination in ATC (A08AA62) that contains naltrexone"},

	// Ketamine and esketamine.
	{"ketamine", "N01AX03", classKetamine, "Ketalar", ""},
	{"esketamine", "N06AX27", classKetamine, "Spravato, Ketanest", ""},

	// Antidepressants: no screening concern (most can continue).
	{"fluoxetine", "N06AB03", "", "Prozac, Sarafem", ""},
	{"citalopram", "N06AB04", "", "Celexa", ""},
	{"paroxetine", "N06AB05", "", "Paxil, Pexeva, Brisdelle", ""},
	{"sertraline", "N06AB06", "", "Zoloft, Lustral", ""},
	{"fluvoxamine", "N06AB08", "", "Luvox", ""},
	{"escitalopram", "N06AB10", "", "Lexapro, Cipralex", ""},
	{"venlafaxine", "N06AX16", "", "Effexor", ""},
	{"desvenlafaxine", "N06AX23", "", "Pristiq, Khedezla", ""},
	{"duloxetine", "N06AX21", "", "Cymbalta, Drizalma", ""},
	{"levomilnacipran", "N06AX28", "", "Fetzima", ""},
	{"milnacipran", "N06AX17", "", "Savella", ""},
	{"bupropion", "N06AX12", "", "Wellbutrin, Aplenzin, Forfivo, Zyban, Budeprion", ""},
	{"mirtazapine", "N06AX11", "", "Remeron", ""},
	{"trazodone", "N06AX05", "", "Desyrel, Oleptro", ""},
	{"nefazodone", "N06AX06", "", "Serzone", ""},
	{"vortioxetine", "N06AX26", "", "Trintellix, Brintellix", ""},
	{"vilazodone", "N06AX24", "", "Viibryd", ""},
	{"amitriptyline", "N06AA09", "", "Elavil", ""},
	{"nortriptyline", "N06AA10", "", "Pamelor, Aventyl", ""},
	{"imipramine", "N06AA02", "", "Tofranil", ""},
	{"clomipramine", "N06AA04", "", "Anafranil", ""},
	{"desipramine", "N06AA01", "", "Norpramin", ""},
	{"doxepin", "N06AA12", "", "Silenor, Sinequan", ""},

	// Other psychiatric and neurological medicines with no screening concern.
	{"lithium", "N05AN01", "", "Lithobid, Eskalith, lithium carbonate", "in ATC group N05A, but not an antipsychotic concern: no interaction with ketamine (Andrade 2017)"},
	{"buspirone", "N05BE01", "", "Buspar", ""},
	{"hydroxyzine", "N05BB01", "", "Vistaril, Atarax", ""},
	{"gabapentin", "N03AX12", "", "Neurontin, Gralise, Horizant", ""},
	{"pregabalin", "N03AX16", "", "Lyrica", ""},
	{"topiramate", "N03AX11", "", "Topamax, Trokendi, Qudexy", ""},
	{"valproate", "N03AG01", "", "Depakote, Depakene, divalproex, valproic acid", ""},
	{"carbamazepine", "N03AF01", "", "Tegretol, Equetro, Carbatrol", ""},
	{"oxcarbazepine", "N03AF02", "", "Trileptal, Oxtellar", ""},
	{"levetiracetam", "N03AX14", "", "Keppra", ""},
	{"propranolol", "C07AA05", "", "Inderal, InnoPran", ""},
	{"prazosin", "C02CA01", "", "Minipress", ""},
	{"clonidine", "C02AC01", "", "Catapres, Kapvay", ""},
	{"guanfacine", "C02AC02", "", "Intuniv, Tenex", ""},
	{"melatonin", "N05CH01", "", "", ""},
	{"ramelteon", "N05CH02", "", "Rozerem", ""},
	{"diphenhydramine", "R06AA02", "", "Benadryl, ZzzQuil", ""},
	{"doxylamine", "R06AA09", "", "Unisom", ""},
	{"naloxone", "V03AB15", "", "Narcan, Kloxxado", ""},
	{"varenicline", "N07BA03", "", "Chantix, Champix", ""},
	{"nicotine", "N07BA01", "", "Nicorette, Nicoderm, Habitrol", ""},
	{"acamprosate", "N07BB03", "", "Campral", ""},
	{"disulfiram", "N07BB01", "", "Antabuse", ""},
	{"sumatriptan", "N02CC01", "", "Imitrex", ""},
	{"rizatriptan", "N02CC04", "", "Maxalt", ""},
	{"ondansetron", "A04AA01", "", "Zofran", ""},

	// Common medicines for the body with no screening concern.
	{"acetaminophen", "N02BE01", "", "Tylenol, paracetamol, APAP, Panadol", ""},
	{"ibuprofen", "M01AE01", "", "Advil, Motrin", ""},
	{"naproxen", "M01AE02", "", "Aleve, Naprosyn, Anaprox", ""},
	{"meloxicam", "M01AC06", "", "Mobic", ""},
	{"celecoxib", "M01AH01", "", "Celebrex", ""},
	{"aspirin", "N02BA01", "", "Bayer, Ecotrin, acetylsalicylic acid, baby aspirin", ""},
	{"lisinopril", "C09AA03", "", "Zestril, Prinivil, Qbrelis", ""},
	{"amlodipine", "C08CA01", "", "Norvasc", ""},
	{"losartan", "C09CA01", "", "Cozaar", ""},
	{"valsartan", "C09CA03", "", "Diovan", ""},
	{"hydrochlorothiazide", "C03AA03", "", "HCTZ, Microzide", ""},
	{"lisinopril/hydrochlorothiazide", "C09BA03", "", "Zestoretic, Prinzide", ""},
	{"losartan/hydrochlorothiazide", "C09DA01", "", "Hyzaar", ""},
	{"metoprolol", "C07AB02", "", "Lopressor, Toprol", ""},
	{"atenolol", "C07AB03", "", "Tenormin", ""},
	{"carvedilol", "C07AG02", "", "Coreg", ""},
	{"furosemide", "C03CA01", "", "Lasix", ""},
	{"spironolactone", "C03DA01", "", "Aldactone", ""},
	{"atorvastatin", "C10AA05", "", "Lipitor", ""},
	{"simvastatin", "C10AA01", "", "Zocor", ""},
	{"rosuvastatin", "C10AA07", "", "Crestor", ""},
	{"pravastatin", "C10AA03", "", "Pravachol", ""},
	{"metformin", "A10BA02", "", "Glucophage, Glumetza, Fortamet", ""},
	{"insulin", "A10A", "", "Lantus, Humalog, Novolog, Levemir, Tresiba, Basaglar", "group-level ATC code (A10A, insulins and analogues)"},
	{"semaglutide", "A10BJ06", "", "Ozempic, Wegovy, Rybelsus", ""},
	{"liraglutide", "A10BJ02", "", "Victoza, Saxenda", ""},
	{"tirzepatide", "A10BX", "", "Mounjaro, Zepbound", "group-level ATC code (A10BX, other blood glucose lowering drugs)"},
	{"omeprazole", "A02BC01", "", "Prilosec", ""},
	{"esomeprazole", "A02BC05", "", "Nexium", ""},
	{"pantoprazole", "A02BC02", "", "Protonix", ""},
	{"lansoprazole", "A02BC03", "", "Prevacid", ""},
	{"famotidine", "A02BA03", "", "Pepcid", ""},
	{"albuterol", "R03AC02", "", "ProAir, Ventolin, Proventil, salbutamol", ""},
	{"fluticasone", "R03BA05", "", "Flonase, Flovent", ""},
	{"fluticasone/salmeterol", "R03AK06", "", "Advair, Wixela", ""},
	{"budesonide/formoterol", "R03AK07", "", "Symbicort, Breyna", ""},
	{"montelukast", "R03DC03", "", "Singulair", ""},
	{"cetirizine", "R06AE07", "", "Zyrtec", ""},
	{"loratadine", "R06AX13", "", "Claritin", ""},
	{"fexofenadine", "R06AX26", "", "Allegra", ""},
	{"prednisone", "H02AB07", "", "Deltasone, Rayos", ""},
	{"methylprednisolone", "H02AB04", "", "Medrol", ""},
	{"warfarin", "B01AA03", "", "Coumadin, Jantoven", ""},
	{"apixaban", "B01AF02", "", "Eliquis", ""},
	{"rivaroxaban", "B01AF01", "", "Xarelto", ""},
	{"clopidogrel", "B01AC04", "", "Plavix", ""},
	{"sildenafil", "G04BE03", "", "Viagra, Revatio", ""},
	{"tadalafil", "G04BE08", "", "Cialis", ""},
	{"tamsulosin", "G04CA02", "", "Flomax", ""},
	{"finasteride", "G04CB01", "", "Proscar, Propecia", ""},
	{"valacyclovir", "J05AB11", "", "Valtrex", ""},
	{"amoxicillin", "J01CA04", "", "Amoxil", ""},
	{"amoxicillin/clavulanate", "J01CR02", "", "Augmentin", ""},
	{"azithromycin", "J01FA10", "", "Zithromax, Zpak", ""},
	{"doxycycline", "J01AA02", "", "Vibramycin, Doryx", ""},
	{"estradiol", "G03CA03", "", "Estrace, Vivelle, Climara, Divigel", ""},
	{"progesterone", "G03DA04", "", "Prometrium", ""},
	{"testosterone", "G03BA03", "", "AndroGel, Testim, Depo-Testosterone", ""},
	{"hormonal contraceptive", "G03A", "", "birth control, birth control pill, contraceptive pill, oral contraceptive, contraceptive, Sprintec, Tri-Sprintec, Lo Loestrin, Loestrin, Junel, Nexplanon, NuvaRing, Mirena, Kyleena, Depo-Provera", "group-level ATC code (G03A, hormonal contraceptives for systemic use)"},
	{"drospirenone/ethinylestradiol", "G03AA12", "", "Yaz, Yasmin", ""},
	{"norethindrone", "G03AC01", "", "mini pill, Camila, Errin, Micronor", ""},

	// Supplements with no screening concern.
	{"vitamin D", "A11CC05", "", "vitamin d3, d3, cholecalciferol, colecalciferol, ergocalciferol", ""},
	{"omega-3 fatty acids", "C10AX06", "", "fish oil, omega 3, omega3, Lovaza, Vascepa", ""},
	{"magnesium", "A12CC", "", "magnesium glycinate, magnesium citrate, magnesium oxide", "group-level ATC code (A12CC, magnesium)"},
	{"vitamin B12", "B03BA01", "", "b12, vitamin b12, cyanocobalamin, methylcobalamin", ""},
	{"multivitamin", "A11A", "", "multivitamins, multi vitamin, vitamin, vitamins, prenatal vitamin, prenatal vitamins, prenatal, centrum", "group-level ATC code (A11A, multivitamins, combinations)"},
	{"iron", "B03A", "", "ferrous sulfate, ferrous gluconate", "group-level ATC code (B03A, iron preparations)"},
	{"calcium", "A12AA", "", "calcium carbonate, tums", "group-level ATC code (A12AA, calcium)"},
	{"vitamin C", "A11GA01", "", "ascorbic acid", ""},
	{"folic acid", "B03BB01", "", "folate, methylfolate, l methylfolate, Deplin", ""},
	{"zinc", "A12CB", "", "", "group-level ATC code (A12CB, zinc)"},
	{"probiotic", "A07FA", "", "probiotics", "group-level ATC code (A07FA, antidiarrheal microorganisms)"},
	{"vitamin B complex", "A11EA", "", "b complex, vitamin b", "group-level ATC code (A11EA, vitamin B-complex, plain)"},
	{"biotin", "A11HA05", "", "", ""},
}
