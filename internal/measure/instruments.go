package measure

import "fmt"

// Notices and sources of the instruments (clinical reference notes, REFERENCE.md section 1).
const (
	noticePfizer = "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, " +
		"with an educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute."
	stemTwoWeeks = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"

	// The sources below are shown to staff on the instruments page: a
	// citation and the scoring in plain words. Where each detail was read
	// (clinical reference notes, REFERENCE.md section 1) stays here:
	//   - PHQ-9 (1, 1.1): wording, licence and footer from phqscreeners.com via
	//     camcops docs/source/tasks/phq9.rst; bands and item 9 rule from camcops
	//     tasks/phq9.py; LOINC 44249-1 panel, 44261-6 total, item codes in HL7
	//     US Core Observation-PHQ9-panel-example-44249-1 (verify at loinc.org).
	//   - GAD-7 (1, 1.2): wording and bands from camcops docs/source/tasks/gad7.rst;
	//     LOINC 69737-5 panel, 70274-6 total (HL7 personal-health-record-format-ig
	//     QuestionnaireResponse-ScoredAssessment-GAD7; verify at loinc.org).
	//   - PHQ-2 (1): total LOINC 55758-7 (panel 55757-9 unconfirmed, left blank).
	//   - GAD-2 (1): LOINC codes unconfirmed, left blank.
	//   - PCL-5 (1, 1.4): cut-off from the PCL-5 qxmd calculator page; cluster
	//     rule as in camcops tasks/pcl5.py; item wording not in the reference and
	//     VA reuse terms unconfirmed, so the practice supplies it.
	//   - Risk screen (1.5): Columbia triage guidelines,
	//     https://docsbay.net/doc/914678/c-ssrs-triage-guidelines and
	//     https://help.blueprint-health.com/en/articles/5208202; item text
	//     licensed (RFMH; electronic use via Clario), so the practice supplies it.
	srcPHQ9 = "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity measure. " +
		"J Gen Intern Med. 2001;16(9):606-613. Scoring: total 0-27; minimal 0-4, mild 5-9, moderate 10-14, " +
		"moderately severe 15-19, severe 20-27; any answer above \"not at all\" to question 9 needs a review the same " +
		"day, whatever the total."
	srcGAD7 = "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized anxiety disorder: " +
		"the GAD-7. Arch Intern Med. 2006;166(10):1092-1097. Scoring: total 0-21; minimal 0-4, mild 5-9, moderate " +
		"10-14, severe 15-21. The first answer reads \"Not at all\" (Zorowitz S, et al. Lancet Psychiatry. 2021;8:180)."
	srcPHQ2 = "Kroenke K, Spitzer RL, Williams JBW. The Patient Health Questionnaire-2: validity of a two-item " +
		"depression screener. Med Care. 2003;41(11):1284-1292. Scoring: the first two PHQ-9 questions, total 0-6; " +
		"3 or more is positive: give the PHQ-9."
	srcGAD2 = "Kroenke K, Spitzer RL, Williams JBW, Monahan PO, Löwe B. Anxiety disorders in primary care: prevalence, " +
		"impairment, comorbidity, and detection. Ann Intern Med. 2007;146(5):317-325. Scoring: the first two GAD-7 " +
		"questions, total 0-6; 3 or more is positive: give the GAD-7."
	srcPCL5 = "Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP. The PTSD Checklist for DSM-5 (PCL-5). " +
		"National Center for PTSD; 2013. Scoring: 20 questions about the past month, each 0-4, total 0-80, with no " +
		"official severity bands. Probable PTSD needs both a total of 33 or more (the upper end of the suggested " +
		"31-33) and the DSM-5 pattern: an answer of 2 or more counts, with at least 1 of questions 1-5, 1 of 6-7, " +
		"2 of 8-14 and 2 of 15-20. The practice supplies the wording of the questions."
	srcRisk = "Posner K, Brown GK, Stanley B, et al. The Columbia-Suicide Severity Rating Scale: initial validity and " +
		"internal consistency findings from three multisite studies with adolescents and adults. Am J Psychiatry. " +
		"2011;168(12):1266-1277. Structure of the C-SSRS Screener: 1 wish to be dead, 2 active suicidal thoughts " +
		"(no: go to 6), 3 method, 4 intent without a plan, 5 plan with intent, 6 suicidal behaviour ever and in the " +
		"past 3 months. Triage follows the highest answer, not a sum: low is yes to 1 or 2 only; moderate is yes to " +
		"3, or behaviour more than 3 months ago; high is yes to 4 or 5, or behaviour in the past 3 months. The " +
		"practice supplies the licensed wording of the questions."
)

var frequency = []Option{
	{0, "Not at all"},
	{1, "Several days"},
	{2, "More than half the days"},
	{3, "Nearly every day"},
}

var difficulty = []Option{
	{0, "Not difficult at all"},
	{1, "Somewhat difficult"},
	{2, "Very difficult"},
	{3, "Extremely difficult"},
}

// pclScale is PCL-5's 0–4 scale. Its anchor words are not in the reference,
// so the labels are the numbers the form shows; the practice's instructions
// carry the anchors.
var pclScale = []Option{{0, "0"}, {1, "1"}, {2, "2"}, {3, "3"}, {4, "4"}}

var yesNo = []Option{{1, "Yes"}, {0, "No"}}

// phq9Items holds the PHQ-9 wording and item LOINC codes, verbatim from
// REFERENCE.md 1.1.
var phq9Items = []struct{ text, loinc string }{
	{"Little interest or pleasure in doing things", "44250-9"},
	{"Feeling down, depressed, or hopeless", "44255-8"},
	{"Trouble falling or staying asleep, or sleeping too much", "44259-0"},
	{"Feeling tired or having little energy", "44254-1"},
	{"Poor appetite or overeating", "44251-7"},
	{"Feeling bad about yourself — or that you are a failure or have let yourself or your family down", "44258-2"},
	{"Trouble concentrating on things, such as reading the newspaper or watching television", "44252-5"},
	{"Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual", "44253-3"},
	{"Thoughts that you would be better off dead or of hurting yourself in some way", "44260-8"},
}

const phq9DifficultyText = "If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?"

// gad7Items holds the GAD-7 wording and item LOINC codes, verbatim from
// REFERENCE.md 1.2.
var gad7Items = []struct{ text, loinc string }{
	{"Feeling nervous, anxious or on edge", "69725-0"},
	{"Not being able to stop or control worrying", "68509-9"},
	{"Worrying too much about different things", "69733-4"},
	{"Trouble relaxing", "69734-2"},
	{"Being so restless that it is hard to sit still", "69735-9"},
	{"Becoming easily annoyed or irritable", "69689-8"},
	{"Feeling afraid as if something awful might happen", "69736-7"},
}

func frequencyItems(prefix string, src []struct{ text, loinc string }, n int) []Item {
	items := make([]Item, n)
	for i := range n {
		items[i] = Item{
			ID:      fmt.Sprintf("%s_%d", prefix, i+1),
			Text:    src[i].text,
			LOINC:   src[i].loinc,
			Options: frequency,
			Scored:  true,
		}
	}
	return items
}

func phq9() Instrument {
	items := frequencyItems("phq9", phq9Items, 9)
	items[8].Risk = true
	items[8].Topic = "thoughts that they would be better off dead, or of hurting themselves"
	items = append(items, Item{ID: "phq9_difficulty", Text: phq9DifficultyText, LOINC: "69722-7", Options: difficulty})
	return Instrument{
		ID: "phq9", Name: "PHQ-9", Title: "Patient Health Questionnaire (PHQ-9)",
		Instructions: stemTwoWeeks, Notice: noticePfizer,
		LOINCPanel: "44249-1", LOINCTotal: "44261-6",
		Items: items, Min: 0, Max: 27,
		Bands: []Band{
			{0, 4, "Minimal", 0},
			{5, 9, "Mild", 1},
			{10, 14, "Moderate", 2},
			{15, 19, "Moderately severe", 3},
			{20, 27, "Severe", 4},
		},
		Source: srcPHQ9,
	}
}

func gad7() Instrument {
	return Instrument{
		ID: "gad7", Name: "GAD-7", Title: "Generalized Anxiety Disorder 7-item scale (GAD-7)",
		Instructions: stemTwoWeeks, Notice: noticePfizer,
		LOINCPanel: "69737-5", LOINCTotal: "70274-6",
		Items: frequencyItems("gad7", gad7Items, 7), Min: 0, Max: 21,
		Bands: []Band{
			{0, 4, "Minimal", 0},
			{5, 9, "Mild", 1},
			{10, 14, "Moderate", 2},
			{15, 21, "Severe", 4},
		},
		Source: srcGAD7,
	}
}

func phq2() Instrument {
	return Instrument{
		ID: "phq2", Name: "PHQ-2", Title: "Patient Health Questionnaire-2 (PHQ-2)",
		Instructions: stemTwoWeeks, Notice: noticePfizer,
		LOINCTotal: "55758-7",
		Items:      frequencyItems("phq2", phq9Items, 2), Min: 0, Max: 6,
		Bands: []Band{
			{0, 2, "Negative screen", 0},
			{3, 6, "Positive screen: give the PHQ-9", 2},
		},
		Cutoff: 3,
		Source: srcPHQ2,
	}
}

func gad2() Instrument {
	items := frequencyItems("gad2", gad7Items, 2)
	for i := range items {
		items[i].LOINC = "" // GAD-2 codes are unconfirmed in the reference
	}
	return Instrument{
		ID: "gad2", Name: "GAD-2", Title: "Generalized Anxiety Disorder 2-item scale (GAD-2)",
		Instructions: stemTwoWeeks, Notice: noticePfizer,
		Items: items, Min: 0, Max: 6,
		Bands: []Band{
			{0, 2, "Negative screen", 0},
			{3, 6, "Positive screen: give the GAD-7", 2},
		},
		Cutoff: 3,
		Source: srcGAD2,
	}
}

func pcl5() Instrument {
	items := make([]Item, 20)
	for i := range items {
		items[i] = Item{ID: fmt.Sprintf("pcl5_%d", i+1), Options: pclScale, Scored: true}
	}
	ids := func(from, to int) []string {
		var s []string
		for n := from; n <= to; n++ {
			s = append(s, fmt.Sprintf("pcl5_%d", n))
		}
		return s
	}
	return Instrument{
		ID: "pcl5", Name: "PCL-5", Title: "PTSD Checklist for DSM-5 (PCL-5)",
		Notice: "PCL-5: National Center for PTSD, U.S. Department of Veterans Affairs (a U.S. government work). " +
			"Item wording is supplied by the practice; confirm the VA's reuse terms before use.",
		Items: items, Min: 0, Max: 80,
		Bands: []Band{
			{0, 32, "Below the provisional PTSD cut-off", 0},
			{33, 80, "At or above the provisional PTSD cut-off", 3},
		},
		Cutoff: 33,
		Clusters: []Cluster{
			{"B", "Intrusion", ids(1, 5), 1},
			{"C", "Avoidance", ids(6, 7), 1},
			{"D", "Negative alterations in cognition and mood", ids(8, 14), 2},
			{"E", "Alterations in arousal and reactivity", ids(15, 20), 2},
		},
		Endorse:              2,
		Source:               srcPCL5,
		ItemTextFromPractice: true,
	}
}

func risk() Instrument {
	return Instrument{
		ID: "risk", Name: "Risk screen", Title: "Suicide risk screen (C-SSRS Screener structure)",
		Notice: "Question wording is supplied by the practice under its own permission. The C-SSRS is copyright " +
			"The Research Foundation for Mental Hygiene; electronic use is licensed through Clario.",
		Items: []Item{
			{ID: "risk_1", Options: yesNo, Topic: "wish to be dead"},
			{ID: "risk_2", Options: yesNo, Topic: "active thoughts of suicide"},
			{ID: "risk_3", Options: yesNo, ShowIf: "risk_2", Topic: "thoughts of a method"},
			{ID: "risk_4", Options: yesNo, ShowIf: "risk_2", Topic: "intent to act, without a plan"},
			{ID: "risk_5", Options: yesNo, ShowIf: "risk_2", Topic: "a plan, with intent to carry it out"},
			{ID: "risk_6", Options: yesNo, Topic: "suicidal behaviour, ever"},
			{ID: "risk_6_recent", Options: yesNo, ShowIf: "risk_6", Topic: "suicidal behaviour within the past 3 months"},
		},
		Min: 0, Max: 3,
		Bands: []Band{
			{0, 0, "No risk identified", 0},
			{1, 1, "Low risk", 1},
			{2, 2, "Moderate risk", 3},
			{3, 3, "High risk", 4},
		},
		// Every rule is a yes: an item counts when it is endorsed, whatever
		// the branching. Behaviour ever is at least moderate (more than 3
		// months ago is moderate; not yet said when, it is not less);
		// behaviour within 3 months is high.
		Triage: []TriageRule{
			{"risk_1", 1, RiskLow},
			{"risk_2", 1, RiskLow},
			{"risk_3", 1, RiskModerate},
			{"risk_4", 1, RiskHigh},
			{"risk_5", 1, RiskHigh},
			{"risk_6", 1, RiskModerate},
			{"risk_6_recent", 1, RiskHigh},
		},
		Source:               srcRisk,
		ItemTextFromPractice: true,
	}
}

var instruments = []Instrument{phq9(), gad7(), phq2(), gad2(), pcl5(), risk()}

// All returns every instrument, in the order phq9, gad7, phq2, gad2, pcl5,
// risk, as copies the caller may change.
func All() []Instrument {
	out := make([]Instrument, len(instruments))
	for i, inst := range instruments {
		out[i] = clone(inst)
	}
	return out
}

// Get returns a copy of the instrument with the given id; ok is false when
// there is none.
func Get(id string) (Instrument, bool) {
	for _, inst := range instruments {
		if inst.ID == id {
			return clone(inst), true
		}
	}
	return Instrument{}, false
}
