package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// BlogCoverSlug is the demo post with a cover image and a long title (the
// browser test looks at it).
const BlogCoverSlug = "before-your-first-session"

// demoPosts are the demo blog, in our own words: general information, no
// patient stories, no claims about results. age is how long ago a post was
// published; a negative age schedules it; draft keeps it unpublished.
var demoPosts = []struct {
	author, title, slug, summary string
	tags                         []string
	age                          time.Duration
	draft, cover                 bool
	body                         string
}{
	{
		author: "lena.ortiz@willowcreek.example", title: "What ketamine-assisted psychotherapy is — and what it is not",
		summary: "A plain-language introduction: what happens in KAP, who it may suit, and why the therapy matters as much as the medicine.",
		tags:    []string{"kap", "basics"}, age: 24 * 24 * time.Hour,
		body: `Ketamine-assisted psychotherapy (KAP) pairs a carefully chosen dose of ketamine with psychotherapy. The medicine is prescribed and supervised by a medical provider; the therapy is done with a therapist who knows you, before, during and after each session.

## What it is

- **A course of treatment, not a single event.** It begins with screening and a medical evaluation, moves through preparation, and then alternates dosing sessions with integration sessions.
- **Psychotherapy first.** The medicine can make it easier to approach painful feelings or old patterns with some distance and curiosity. The work of understanding and change happens in therapy.
- **Planned together.** You and your therapist agree on intentions, on what the room is like, on who is present and on whether any touch is welcome, before anything is given.

## What it is not

- **Not a cure, and not for everyone.** Some people find it helpful; others do not. Research on KAP is early, and we will talk honestly with you about what is and is not known.
- **Not recreational use.** Doses, setting and monitoring are chosen for safety, and a clinician is with you for the whole session.
- **Not a replacement for your other care.** Your other treatment, including any medicines you take, is reviewed and coordinated, never stopped without your prescriber.

## Is it safe for me?

Ketamine raises blood pressure and heart rate for a while, and it is not offered to people with some health conditions or a history of psychosis or mania. Some medicines change how it works. That is why screening and the medical evaluation come first, and why we may say no, or not yet, and explain why.

If you are curious whether KAP might fit you, the [contact page](/contact) is the place to start.`,
	},
	{
		author: "sam.whitaker@willowcreek.example", title: "What happens on a dosing day",
		summary: "From arriving to going home: the checks, the session itself and the ride home, so the day holds no surprises.",
		tags:    []string{"kap", "dosing-day", "preparation"}, age: 17 * 24 * time.Hour,
		body: `A dosing session takes about three hours. Knowing what the day looks like can make it calmer, so here it is, step by step.

## Before you arrive

- Follow the eating and drinking instructions your prescriber gave you; most people are asked not to eat for some hours beforehand.
- Take your usual medicines unless your prescriber told you otherwise, and tell us about any change since we last met.
- Arrange your ride home. You cannot drive, cycle or operate machinery for the rest of the day, and you will need someone to take you home.

## Checks at the start

We go through a short checklist together: your consent and medical clearance are current, your medicines have not changed in a way that matters, your blood pressure is within the range your prescriber set, and your ride home is confirmed. If something is not right, we wait or reschedule. That is not a failure; it is the checklist doing its job.

## The session

We revisit the intentions you set during preparation. You settle in with eye shades and music if you like them. After the medicine is given, its effects usually build over several minutes. People describe many things: a sense of distance from everyday thoughts, changes in how the body feels, images, memories, or simply rest. Your therapist stays with you throughout, and checks your blood pressure and how you are feeling at set times.

## Coming back

As the effects fade, there is time to rest, drink some water, and say a few words about what stood out, if you wish. We check that you are steady on your feet and that your blood pressure has settled before you leave with your support person.

## The days after

Be gentle with yourself. Plan a quiet evening. Your integration session, usually within a few days, is where we make sense of the experience together.`,
	},
	{
		author: "lena.ortiz@willowcreek.example", title: "Integration: the work between sessions",
		summary: "Why the days and weeks after a dosing session matter, and small, practical ways to carry what you noticed into everyday life.",
		tags:    []string{"integration", "kap"}, age: 10 * 24 * time.Hour,
		body: `A dosing session can bring up a lot: new perspectives, old memories, strong feelings, or very little at all. *Integration* is the name for what comes next: making sense of the experience and deciding, slowly, what to do with it.

## What integration can look like

- **Writing it down.** A few lines in your journal the same day, before details fade. Later you can decide what, if anything, to share with your therapist.
- **Talking it through.** In your integration session we look at what stood out, what it might mean, and what it does not need to mean.
- **One small change.** Insights tend to last when they become something you do: a walk at the same time each day, a call you have been putting off, a kinder sentence to yourself.
- **Noticing your body.** Sleep, food and movement affect mood more than we tend to think.

## When it feels like nothing happened

That is common, and it is not a sign of doing it wrong. Sometimes the work shows up later, and sometimes the session's value is simply in the rest it gave.

## When it feels like too much

Some experiences are hard. If something from a session keeps coming back in a way that overwhelms you, tell your therapist before your next appointment; you do not need to wait. If you are ever in crisis, the numbers at the bottom of every page are there for you, any time.`,
	},
	{
		author: "priya.natarajan@riverbend-medical.example", title: "Before your first session: the medical evaluation, your medicines, your blood pressure, and why we ask so many questions about your health history before anyone talks about a dosing date",
		slug:    BlogCoverSlug,
		summary: "Why the medical evaluation comes first, what your prescriber looks at, and how to get ready for it.",
		tags:    []string{"kap", "preparation", "medical"}, age: 5 * 24 * time.Hour, cover: true,
		body: `Before any dosing session is booked, a medical provider reviews whether ketamine is a safe choice for you. Here is what that review covers and why.

## What we look at

- **Your heart and blood pressure.** Ketamine raises both for a while. We check your readings and ask about heart conditions, strokes and high blood pressure.
- **Your mental health history.** A history of psychosis or mania usually rules KAP out, because ketamine can bring those states on. We will ask, and we will explain our reasons.
- **Your medicines and supplements.** Some medicines can blunt ketamine's effect; others add to its risks. Bring a complete list, including anything you take only now and then.
- **Alcohol and other substances.** We ask without judgement; the answers help keep you safe.
- **Pregnancy and other conditions** that would make a different path safer.

## How to prepare

1. Write down every medicine and supplement with its dose.
2. Note any past reactions to anaesthetics or sedatives.
3. If you have home blood-pressure readings, bring them.
4. Bring your questions. There are no silly ones.

## What the answer can be

Cleared, not cleared, or *we need more information*. If we cannot go ahead, we will tell you why and talk about other options with you and your therapist.`,
	},
	{
		author: "sam.whitaker@willowcreek.example", title: "A winter skills post: the TIPP skill for intense moments",
		summary: "Four quick ways to bring your body's alarm down when emotions run very high, from dialectical behavior therapy (DBT).",
		tags:    []string{"dbt", "skills"}, age: -7 * 24 * time.Hour,
		body: `Some moments are too intense for talking yourself down. DBT's **TIPP** skills work through the body instead, to lower arousal quickly enough that other skills become possible again.

## T: Temperature

Cool your face with cold water, or hold a cold pack or a bag of something frozen, wrapped in a cloth, over your eyes and cheeks while you hold your breath for a short while. Cold on the face can slow the heart rate within seconds.

## I: Intense exercise

A short burst of movement that matches the energy of the emotion: brisk stairs, a fast walk, jumping in place, for several minutes.

## P: Paced breathing

Slow your breathing down, making each breath out longer than the breath in: for example in for four, out for six. A few minutes is enough to notice a change.

## P: Paired muscle relaxation

While breathing in, tense a group of muscles (hands, shoulders, face); while breathing out, let them go and notice the difference.

## Before you try the cold water

Cold water on the face lowers the heart rate. If you have a heart condition, low blood pressure, an eating disorder, or take medicines that slow your heart, check with your doctor first.

TIPP is for getting through a wave, not for solving what caused it. If you are thinking about ending your life, call or text 988 now, or use the crisis numbers at the bottom of this page.`,
	},
	{
		author: "lena.ortiz@willowcreek.example", title: "Choosing music for a dosing session",
		summary: "Notes in progress on playlists: familiar or new, words or none.",
		tags:    []string{"preparation"}, draft: true,
		body: `Draft. Points to cover: music without lyrics for the first hour; your own choice versus ours; volume; headphones or speakers.`,
	},
}

// seedBlog writes the demo posts and the calm cover image for one of them.
// ids maps staff emails to user ids.
func seedBlog(ctx context.Context, st *store.Store, ids map[string]string) error {
	roles := map[string]clinic.Role{}
	for _, sp := range staffPeople {
		roles[sp.email] = sp.role
	}
	now := st.Now().UTC().Truncate(time.Hour) // the store's clock, as everywhere in the demo
	for _, dp := range demoPosts {
		author := store.Actor{UserID: ids[dp.author], Role: roles[dp.author]}
		at := now.Add(-dp.age)
		if dp.age < 0 {
			// Scheduled: that day at nine in the morning, the practice's time.
			if loc, err := time.LoadLocation("America/Chicago"); err == nil {
				l := at.In(loc)
				at = time.Date(l.Year(), l.Month(), l.Day(), 9, 0, 0, 0, loc).UTC()
			}
		}
		p := &store.Post{Title: dp.title, Slug: dp.slug, Summary: dp.summary, Body: dp.body, Tags: dp.tags, Status: store.PostPublished, PublishAt: &at}
		if dp.draft {
			p.Status, p.PublishAt = store.PostDraft, nil
		}
		if dp.cover {
			img, err := st.SaveImage(ctx, author, coverPNG(1200, 630), "Soft green hills under a pale morning sky")
			if err != nil {
				return fmt.Errorf("seed cover: %w", err)
			}
			p.CoverImageID, p.CoverAlt = img.ID, img.Alt
		}
		if err := st.SavePost(ctx, author, p); err != nil {
			return fmt.Errorf("seed post %q: %w", dp.title, err)
		}
	}
	return nil
}

// coverPNG draws a quiet landscape: a pale sky, a low sun and two soft
// hills, in the site's greens.
func coverPNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	mix := func(a, b [3]float64, t float64) color.NRGBA {
		return color.NRGBA{uint8(a[0] + (b[0]-a[0])*t), uint8(a[1] + (b[1]-a[1])*t), uint8(a[2] + (b[2]-a[2])*t), 255}
	}
	sky, horizon := [3]float64{0xf7, 0xf5, 0xf0}, [3]float64{0xe3, 0xef, 0xe9}
	far, near := [3]float64{0xcf, 0xe3, 0xda}, [3]float64{0x8f, 0xb7, 0xa8}
	deep := [3]float64{0x2f, 0x6f, 0x5e}
	sunX, sunY, sunR := float64(w)*0.68, float64(h)*0.42, float64(h)*0.11
	for y := range h {
		fy := float64(y)
		for x := range w {
			fx := float64(x)
			c := mix(sky, horizon, fy/float64(h))
			if d := math.Hypot(fx-sunX, fy-sunY); d < sunR {
				c = color.NRGBA{0xfb, 0xf3, 0xe4, 255}
			}
			hill1 := float64(h)*0.62 + math.Sin(fx/float64(w)*math.Pi*1.6+0.4)*float64(h)*0.06
			hill2 := float64(h)*0.74 + math.Sin(fx/float64(w)*math.Pi*1.1+2.2)*float64(h)*0.07
			switch {
			case fy > hill2:
				c = mix(near, deep, (fy-hill2)/(float64(h)-hill2+1)*0.6)
			case fy > hill1:
				c = mix(far, near, (fy-hill1)/(float64(h)-hill1+1)*0.5)
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img) // writing to a bytes.Buffer does not fail
	return b.Bytes()
}
