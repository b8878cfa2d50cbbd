package demo

import (
	"context"
	"fmt"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// seedWebsite writes the demo practice's public pages and the team's
// profiles (our own example text; the fees are marked as examples), and
// leaves two example inquiries in the staff inbox. ids maps staff emails to
// user ids.
func seedWebsite(ctx context.Context, st *store.Store, ids map[string]string) error {
	var admin store.Actor
	for _, sp := range staffPeople {
		if sp.role == clinic.RoleAdmin {
			admin = store.Actor{UserID: ids[sp.email], Role: clinic.RoleAdmin}
		}
	}
	for _, p := range demoPages {
		if err := st.SaveSitePage(ctx, admin, p.slug, p.title, p.body); err != nil {
			return fmt.Errorf("seed page %s: %w", p.slug, err)
		}
	}
	for _, b := range demoBios {
		p := &store.StaffProfile{UserID: ids[b.email], Credentials: b.credentials, Bio: b.bio, Public: true}
		if err := st.SaveStaffProfile(ctx, admin, p); err != nil {
			return fmt.Errorf("seed profile %s: %w", b.email, err)
		}
	}
	for i, q := range []store.Inquiry{
		{Name: "Jordan Example", Email: "jordan.example@example.net", Preferred: "email", Psychosis: "no", Meds: "unsure",
			Message: "My therapist mentioned KAP. I'd like to know whether you have openings this spring."},
		{Name: "Riley", Phone: "+1 555 010 0177", Preferred: "text", Message: "Weekday evenings are easiest for me."},
		// Sent within seconds (a browser's autofill): kept as possible spam.
		{Name: "Sam Quick", Email: "sam.quick@example.net", Preferred: "email", Message: "Do you take new patients in the spring?", SpamReason: store.SpamTooFast},
	} {
		if err := st.CreateInquiry(ctx, store.Actor{}, &q, fmt.Sprintf("demo-%d", i)); err != nil {
			return fmt.Errorf("seed inquiry: %w", err)
		}
	}
	return nil
}

var demoBios = []struct{ email, credentials, bio string }{
	{"lena.ortiz@willowcreek.example", "LMFT", `Lena is a licensed marriage and family therapist who has worked with adults and couples for twelve years. Much of her work is with depression that has not lifted with other treatment, and with the long shadow of difficult early relationships.

She trained in ketamine-assisted psychotherapy after years of seeing how much preparation and integration matter, and she is with her clients for the whole of every dosing session. Outside the office she sings in a community choir.`},
	{"sam.whitaker@willowcreek.example", "LCSW", `Sam is a licensed clinical social worker. He works mostly with anxiety and post-traumatic stress, including with veterans and first responders, and is trained in EMDR and in trauma-focused CBT.

Sam cares about the practical side of care: a plan you understand, a ride home you can count on, and check-ins that show whether things are actually getting better.`},
	{"priya.natarajan@riverbend-medical.example", "MD", `Dr. Natarajan is a psychiatrist at Riverbend Medical, our partner for the medical side of KAP. She reviews each person's health history, medicines and blood pressure, decides whether ketamine is medically safe for them, and writes and adjusts the prescription.

She stays in touch with your therapist throughout the course and is the person to ask about any medicine you take.`},
}

var demoPages = []struct{ slug, title, body string }{
	{"home", "Care that moves at a human pace.", `Willow Creek Counseling offers ketamine-assisted psychotherapy (KAP) for adults living with depression, anxiety and the after-effects of trauma, in partnership with the prescribers of Riverbend Medical.

Every step is planned with you, and you can pause at any point.`},

	{"about", "About the practice", `Willow Creek Counseling is a small group practice of licensed therapists. We have offered psychotherapy for over a decade, and ketamine-assisted psychotherapy since our therapists completed training in it and partnered with Riverbend Medical for the medical side of the work.

# How we work

- **Therapy first.** Ketamine is one part of a course of psychotherapy, never a stand-alone treatment. The same therapist prepares you, stays with you through each dosing session and meets you afterwards.
- **Medicine by a medical doctor.** A prescriber from Riverbend Medical evaluates your health and your medicines and decides whether ketamine is safe for you. We never dose without their clearance.
- **Your consent, step by step.** You choose the music, who is in the room and whether any touch is welcome, and you can change your mind.
- **Measuring together.** Short questionnaires before sessions show both of us whether things are getting better, in a chart you can see yourself.

Our office is quiet and private, with a room set aside for dosing sessions: a reclining chair, soft light, and the equipment to check your blood pressure.`},

	{"services", "What is ketamine-assisted psychotherapy?", `Ketamine-assisted psychotherapy (KAP) brings together two things: talking therapy, and a low dose of ketamine taken during some of the sessions.

# About ketamine

Ketamine has been approved by the U.S. Food and Drug Administration (FDA) as an anaesthetic for decades. At much lower doses than those used in surgery, it can bring a dreamlike, detached state for an hour or so, and for many people with depression it lifts their mood within hours or days.

Using ketamine for depression, anxiety or trauma is **off-label**: a licensed prescriber may prescribe an approved medicine for a use not listed on its label, and this is legal and common, but the FDA has not reviewed ketamine for these uses. A related medicine, esketamine nasal spray (Spravato), is approved for some kinds of depression; it is given only in certified clinics and is not part of our programme. We use ketamine lozenges that dissolve in the mouth.

# Two clinicians, one plan

- **A prescriber** from Riverbend Medical reviews your health, your medicines and your blood pressure, decides whether ketamine is safe for you and prescribes it.
- **A therapist** from our practice prepares you, stays with you through every dosing session and helps you make sense of it afterwards.

# Preparation, dosing, integration

A course has three parts that repeat. **Preparation**: getting to know each other, setting intentions and planning the session. **Dosing**: a session of about two to three hours with the medicine and your therapist. **Integration**: talking it through in the days after, and carrying what helps into daily life.

# What KAP is not

- **It is not a cure.** Many people feel better, some for a long time; others feel little change. The lift from a single dose often fades within a week or two, which is why the therapy around it matters.
- **It is not for everyone.** Some health conditions and medicines rule it out or need care first; see [Is KAP right for me?](/is-kap-right).
- **It is not a quick fix in a day.** A course usually takes a few months.

# What the research says

Studies of ketamine for depression, including people for whom other treatments did not work, show that many feel better quickly. Studies of ketamine combined with psychotherapy are fewer and smaller; their results are encouraging, but the research is early. We will tell you honestly what is known and what is not.`},

	{"what-to-expect", "What to expect", `# Before anything else: a conversation

After you send an inquiry, one of our therapists calls you to hear what brings you and answer your questions. If KAP might suit you, you fill in a health questionnaire and two short mood questionnaires, and meet your therapist for an assessment.

# Medical evaluation

The prescriber from Riverbend Medical then reviews your health history, your medicines and your blood pressure, and decides whether ketamine is medically safe for you. Nothing is scheduled until they have.

# Preparation

In one to three sessions you and your therapist set intentions, talk about what the experience can be like, and plan the session together: music, eye shades, who is present, and whether any touch is welcome (you can say none at all). You sign a consent form that spells all of this out, and arrange for someone to take you home.

# The dosing session

- **Before:** we give you exact instructions, usually nothing to eat for a couple of hours and nothing to drink in the last half hour. We check your blood pressure, go over any change in your medicines, and confirm your ride home.
- **During:** you let the lozenge dissolve, then rest in a reclining chair. Many people feel detached or dreamlike, with changes in how they see, hear or sense their body; some feel emotional, some a little sick. Your therapist is with you the whole time, and your blood pressure is checked again after about forty minutes.
- **After:** the strongest effects pass within about an hour, and the whole session takes about two to three hours. We check that you are steady before you leave with your support person. Please don't drive or make big decisions until the next day.

# Integration

Within a few days you meet your therapist again to make sense of what came up and decide what to carry into daily life. Between sessions you can keep a journal in your portal, and short check-ins show how you are doing.

# How many sessions?

A course is often about six dosing sessions, roughly every two weeks, each with its integration session. We plan the number with you and review it as we go; you can pause or stop at any point.`},

	{"is-kap-right", "Is KAP right for me?", `KAP can help some people, but it is not safe or suitable for everyone. Here, in plain words, is what usually rules it out or needs care first. **Your answers on our forms don't decide anything:** a clinician talks it through with you, and the prescriber makes the medical decision.

# Usually not offered

- **Psychosis or schizophrenia, now or in the past.** Ketamine changes how you perceive things, and it can bring back or worsen psychotic symptoms.
- **Mania right now, or bipolar I disorder that is not stable.** Ketamine can sometimes tip a person towards mania, so someone in a manic or hypomanic episode waits until they have been stable for some months, and we plan closely with their psychiatrist.
- **High blood pressure that is not under control, or some heart and blood-vessel conditions** (a recent heart attack, chest pain that is not stable, heart failure, an irregular heartbeat, an aneurysm, or bleeding in the brain). Ketamine raises blood pressure for a few hours.
- **Pregnancy or breastfeeding.**
- **Being under 18.** Our programme is for adults.

# Needs care first

- **Some medicines.** Benzodiazepines (such as Xanax, Ativan or Klonopin) can blunt the effect; stimulants (such as Adderall or Ritalin) add to the rise in blood pressure; MAO inhibitors (such as Nardil, Parnate or the Emsam patch) can cause a dangerous rise in blood pressure; lamotrigine (Lamictal) may weaken the effect; opioids add to drowsiness. Some of these may need adjusting around dosing days. Most antidepressants can continue. **Never stop or change a medicine on your own**: the prescriber plans any change with you.
- **Alcohol or drug use.** Heavy use of alcohol, ketamine or other drugs usually needs attention first, and ketamine itself can be misused; we will talk about it openly and without judgement.
- **Feeling unsafe right now.** If you are thinking about ending your life, you need more support than a course of KAP can give at first. The crisis lines at the bottom of this page are there day and night.
- **Some other conditions**, such as severe liver disease, bladder problems or raised pressure inside the head, need a closer look by the prescriber.

# If you are not sure

That is what the first conversation is for. Send us a short [inquiry](/inquiry); you don't need to know the answers, and nothing you write commits you to anything.`},

	{"fees", "Fees and questions", `# Fees

These are **example prices for this demonstration practice**, not real fees.

| Service | Example fee |
|---|---|
| First phone call (15 minutes) | free |
| Assessment (90 minutes) | $220 |
| Preparation or integration session (50 minutes) | $160 |
| Dosing session (about 3 hours, therapist present throughout) | $480 |
| Prescriber's evaluation (Riverbend Medical, billed by them) | $300 |

The medicine is prescribed by Riverbend Medical and paid for at the pharmacy. We do not bill insurance; we give you a receipt (a "superbill") that you can send to your insurer for out-of-network reimbursement. We keep a few places at a reduced fee; ask us. A dosing session cancelled less than 48 hours ahead is charged, unless you are unwell.

# Questions people ask

**Will I lose control?** You will feel different, sometimes very different, but you usually stay aware of where you are and can talk. Your therapist is with you throughout, and the strongest effects pass within about an hour.

**Is ketamine addictive?** Ketamine can be misused, especially when taken often and without supervision. In KAP you take it only in the office, a limited number of times, with a clinician present.

**Can I keep taking my antidepressant?** Most antidepressants can continue. Some medicines need adjusting; the prescriber plans that with you. Please don't change anything on your own.

**Can I drive home?** No. Someone you trust takes you home, and you don't drive until the next day.

**Do I have to talk during the session?** No. Many people rest quietly. Your therapist is there if you want to talk, and checks in gently.

**Can I stop?** Yes, at any point, and we will help you plan what comes next.`},

	{"contact", "Contact us", `**Willow Creek Counseling**\
120 Example Street, Suite 4 (second floor, with a lift)

Phone: (555) 010-0142, Monday to Friday, 9 am to 5 pm. If we cannot take your call, leave a message and we will call back within one working day.

The easiest way to start is the inquiry form: it asks only for your name, how to reach you and two short questions, and one of our therapists gets back to you within two working days.

Please don't send medical details by email or through the form; we will ask about your health in a private conversation.

This website, our phone line and our inbox are not watched around the clock. If you are in crisis, use the numbers at the bottom of this page.`},
}
