package store

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/media"
)

// Consent documents (issue 16): the practice's versioned consent texts in
// Markdown, the patients' signatures on them (in the portal, or on paper
// with a scan) and revocations. Nothing here is ever changed or deleted
// (the tables' triggers refuse it); a new version is a new row. Whether a
// patient's consent of a kind is current is clinic.ConsentStandingOf's to
// say.

// consentOriginals are kapstone's own wording of every kind, published as
// version 1 when a practice has none of that kind (seedConsentOriginals).
//
//go:embed consents/*.md
var consentOriginals embed.FS

// ConsentOriginal is kapstone's original text of kind ("" when there is
// none).
func ConsentOriginal(kind string) string {
	b, err := consentOriginals.ReadFile("consents/" + kind + ".md")
	if err != nil {
		return ""
	}
	return string(b)
}

// Limits on consent documents and signatures.
const (
	ConsentBodyMax   = 60000
	ConsentTitleMax  = 200
	ConsentReasonMax = 1000
	ConsentNameMax   = 200
	// ConsentScanMaxBytes is the largest paper scan kept: a PDF of a few
	// scanned pages, or a photo (images are also held to media's limits).
	ConsentScanMaxBytes = 5 << 20
	consentPageSize     = 20
)

// ConsentDocument is one published version of a kind's document.
type ConsentDocument struct {
	ID                string
	Kind              string
	Version           int
	Title             string
	Body              string // Markdown, exactly as shown to the patient
	RequiresReconsent bool
	PublishedBy       string // a name; "" for kapstone's original
	PublishedAt       time.Time
}

// Hash is the hash of the document's exact text (clinic.ConsentTextHash).
func (d *ConsentDocument) Hash() string { return clinic.ConsentTextHash(d.Body) }

// ConsentSignature is one signature of a patient, with its revocation.
type ConsentSignature struct {
	ID         string
	DocumentID string
	Kind       string
	Version    int
	Title      string
	Method     string // portal or paper
	TypedName  string
	// SignedAt is when the patient signed: in the portal, the moment; on
	// paper, the start of the day written on the paper in the practice's
	// zone (SignedOnPaper says so).
	SignedAt   time.Time
	RecordedAt time.Time // when it was recorded (for a paper signature, by staff)
	// PaperDate is a paper signature's date as written on the paper (the
	// day of SignedAt in the practice's zone, like "Mon Jan 2, 2006"); "" for
	// one made in the portal.
	PaperDate string
	// AfterWithdrawal: a paper dated the day the patient withdrew consent,
	// which the staff member recording it confirmed was signed after that.
	AfterWithdrawal bool
	ClientAddr      string
	TextHash        string
	RecordedBy      string // a name
	ScanID          string // a paper signature's scan
	ScanType        string

	RevokedAt     *time.Time
	RevokedBy     string // a name
	RevokedReason string
}

// Consent is where a patient stands on one kind: its newest version, the
// standing by the rule, and every signature, newest first.
type Consent struct {
	Kind, Title string
	Standing    clinic.ConsentStanding
	Latest      *ConsentDocument   // the newest version (nil: none published)
	Versions    []ConsentDocument  // every version, newest first, without bodies but the newest's
	Signatures  []ConsentSignature // newest first
}

// Status is the standing's status (clinic.Consent*).
func (c Consent) Status() string { return c.Standing.Status }

// Current is the signature that holds, or nil.
func (c Consent) Current() *ConsentSignature { return c.signature(c.Standing.Current) }

// Last is the newest signature (revoked or not), or nil.
func (c Consent) Last() *ConsentSignature { return c.signature(c.Standing.Last) }

func (c Consent) signature(s *clinic.ConsentSigning) *ConsentSignature {
	if s == nil {
		return nil
	}
	for i := range c.Signatures {
		if c.Signatures[i].ID == s.ID {
			return &c.Signatures[i]
		}
	}
	return nil
}

// LastRevoked is the signature whose revocation is the latest (the
// patient's last withdrawal of consent of the kind), or nil.
func (c Consent) LastRevoked() *ConsentSignature {
	var last *ConsentSignature
	for i := range c.Signatures {
		g := &c.Signatures[i]
		if g.RevokedAt != nil && (last == nil || g.RevokedAt.After(*last.RevokedAt)) {
			last = g
		}
	}
	return last
}

// SignedOnPaper reports whether the signature was made on paper (its
// SignedAt is then the day written on the paper).
func (g ConsentSignature) SignedOnPaper() bool { return g.Method == "paper" }

// SignedLatest reports whether the newest version is signed and holds.
func (c Consent) SignedLatest() bool {
	cur := c.Current()
	return cur != nil && c.Latest != nil && cur.DocumentID == c.Latest.ID
}

// seedConsentOriginals publishes kapstone's original text of every kind
// the practice has no version of, as version 1: a new practice starts with
// a sensible consent of each kind, which its administrators may replace.
// Idempotent and safe to run from several instances at once. Part of
// migrating, it is not audited (as migrations are not): the rows keep
// an empty published_by (kapstone's original) and when.
func (s *Store) seedConsentOriginals(ctx context.Context) error {
	return s.write(ctx, func(tx *Tx) error {
		for _, k := range clinic.ConsentKinds {
			body := ConsentOriginal(k.Key)
			if body == "" {
				continue
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM consent_documents WHERE kind = $1`, k.Key).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			_, err := tx.Exec(ctx, `INSERT INTO consent_documents (id, kind, version, title, body, requires_reconsent, published_by, published_at)
				VALUES ($1, $2, 1, $3, $4, FALSE, '', $5) ON CONFLICT (kind, version) DO NOTHING`, NewID(), k.Key, k.Title, body, s.now())
			if err != nil {
				return err
			}
		}
		return nil
	})
}

const consentDocColumns = `d.id, d.kind, d.version, d.title, d.requires_reconsent, coalesce(u.display_name, ''), d.published_at`

func scanConsentDoc(r scanner, more ...any) (ConsentDocument, error) {
	var d ConsentDocument
	err := r.Scan(append([]any{&d.ID, &d.Kind, &d.Version, &d.Title, &d.RequiresReconsent, &d.PublishedBy, &d.PublishedAt}, more...)...)
	d.PublishedAt = d.PublishedAt.UTC()
	return d, err
}

// consentVersionsIn lists kind's versions inside tx, newest first, without
// their bodies.
func consentVersionsIn(ctx context.Context, tx *Tx, kind string, limit, offset int) ([]ConsentDocument, error) {
	q := `SELECT ` + consentDocColumns + ` FROM consent_documents d LEFT JOIN users u ON u.id = d.published_by WHERE d.kind = $1 ORDER BY d.version DESC`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit) + ` OFFSET ` + strconv.Itoa(offset)
	}
	return queryAll(ctx, tx, func(r scanner) (ConsentDocument, error) { return scanConsentDoc(r) }, q, kind)
}

// consentDocumentIn reads one version with its body inside tx.
func consentDocumentIn(ctx context.Context, tx *Tx, id string) (*ConsentDocument, error) {
	var body string
	d, err := scanConsentDoc(tx.QueryRow(ctx, `SELECT `+consentDocColumns+`, d.body FROM consent_documents d LEFT JOIN users u ON u.id = d.published_by WHERE d.id = $1`, id), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that consent document.")
	}
	if err != nil {
		return nil, err
	}
	d.Body = body
	return &d, nil
}

// latestConsentIn is kind's newest version with its body, or nil.
func latestConsentIn(ctx context.Context, tx *Tx, kind string) (*ConsentDocument, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM consent_documents WHERE kind = $1 ORDER BY version DESC LIMIT 1`, kind).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return consentDocumentIn(ctx, tx, id)
}

// ConsentKindSummary is one kind on the administrators' page.
type ConsentKindSummary struct {
	Kind, Title string
	Latest      *ConsentDocument // nil: none published
	Count       int              // versions published
}

// ConsentKinds lists every kind with its newest version, for the
// administrators' page (auth.PermConsentDocuments). Audited.
func (s *Store) ConsentKinds(ctx context.Context, actor Actor) ([]ConsentKindSummary, error) {
	if !actor.may(auth.PermConsentDocuments) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []ConsentKindSummary
	err := s.write(ctx, func(tx *Tx) error {
		for _, k := range clinic.ConsentKinds {
			sum := ConsentKindSummary{Kind: k.Key, Title: k.Title}
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM consent_documents WHERE kind = $1`, k.Key).Scan(&sum.Count); err != nil {
				return err
			}
			var err error
			if sum.Latest, err = latestConsentIn(ctx, tx, k.Key); err != nil {
				return err
			}
			out = append(out, sum)
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "consent.documents", ObjectType: "consent_document"})
	})
	return out, err
}

// ConsentVersions lists kind's versions, newest first, page by page
// (page 1 first, consentPageSize a page), each without its body but the
// newest's; more says whether a later page exists. For administrators
// (auth.PermConsentDocuments). Audited.
func (s *Store) ConsentVersions(ctx context.Context, actor Actor, kind string, page int) (docs []ConsentDocument, more bool, err error) {
	if !actor.may(auth.PermConsentDocuments) || clinic.ConsentKindTitle(kind) == "" {
		return nil, false, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	page = max(page, 1)
	err = s.write(ctx, func(tx *Tx) error {
		var err error
		if docs, err = consentVersionsIn(ctx, tx, kind, consentPageSize+1, (page-1)*consentPageSize); err != nil {
			return err
		}
		if more = len(docs) > consentPageSize; more {
			docs = docs[:consentPageSize]
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "consent.versions", ObjectType: "consent_document", Detail: "kind=" + kind + " page=" + strconv.Itoa(page)})
	})
	return docs, more, err
}

// ConsentDocument reads one version with its body, for administrators
// (auth.PermConsentDocuments). Audited.
func (s *Store) ConsentDocument(ctx context.Context, actor Actor, id string) (*ConsentDocument, error) {
	if !actor.may(auth.PermConsentDocuments) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out *ConsentDocument
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		if out, err = consentDocumentIn(ctx, tx, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "consent.document", ObjectType: "consent_document", ObjectID: id})
	})
	return out, err
}

// PublishInput is a new version of a kind's document.
type PublishInput struct {
	Kind              string
	Title             string // "" for the kind's title
	Body              string // Markdown
	RequiresReconsent bool
	// After is the version the writer started from (the newest when the
	// page was shown): when someone published since, nothing is published
	// and the answer is EConflict.
	After int
}

// PublishConsent publishes in as the next version of its kind, for an
// administrator (auth.PermConsentDocuments). A published version never
// changes: a correction is a new version. RequiresReconsent makes every
// signature on an earlier version stop counting (clinic.ConsentStandingOf).
// Bad input is EInvalid by field. Audited (consent.publish).
func (s *Store) PublishConsent(ctx context.Context, actor Actor, in PublishInput) (*ConsentDocument, error) {
	if !actor.may(auth.PermConsentDocuments) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if clinic.ConsentKindTitle(in.Kind) == "" {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that kind of consent.")
	}
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		in.Title = clinic.ConsentKindTitle(in.Kind)
	}
	in.Body = strings.TrimSpace(strings.ReplaceAll(in.Body, "\r\n", "\n")) + "\n"
	fe := clinic.FieldErrors{}
	if msg := textProblem(in.Title, ConsentTitleMax, false); msg != "" {
		fe.Add("title", msg)
	}
	switch {
	case strings.TrimSpace(in.Body) == "":
		fe.Add("body", "Write the text the patient reads and signs.")
	case !utf8.ValidString(in.Body) || !clinic.MultiLine(in.Body):
		fe.Add("body", "Use plain text and Markdown only.")
	case utf8.RuneCountInString(in.Body) > ConsentBodyMax:
		fe.Add("body", "Use at most "+strconv.Itoa(ConsentBodyMax)+" characters.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *ConsentDocument
	err := s.write(ctx, func(tx *Tx) error {
		var newest int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM consent_documents WHERE kind = $1`, in.Kind).Scan(&newest); err != nil {
			return err
		}
		if newest != in.After {
			msg := "Someone published version " + strconv.Itoa(newest) + " while you were writing. Your text is kept below: compare it with the new version and publish again."
			return &clinic.Error{Code: clinic.EConflict, Message: msg, Fields: map[string]string{"body": msg}}
		}
		id := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO consent_documents (id, kind, version, title, body, requires_reconsent, published_by, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, in.Kind, newest+1, in.Title, in.Body, in.RequiresReconsent, actor.UserID, s.now()); err != nil {
			if s.d.isUniqueViolation(err) {
				msg := "Someone published a version at the same moment. Your text is kept below: publish again."
				return &clinic.Error{Code: clinic.EConflict, Message: msg, Fields: map[string]string{"body": msg}}
			}
			return err
		}
		var err error
		if out, err = consentDocumentIn(ctx, tx, id); err != nil {
			return err
		}
		detail := "kind=" + in.Kind + " version=" + strconv.Itoa(newest+1)
		if in.RequiresReconsent {
			detail += " requires-reconsent"
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "consent.publish", ObjectType: "consent_document", ObjectID: id, Detail: detail})
	})
	return out, err
}

const consentSigSelect = `SELECT g.id, g.document_id, d.kind, d.version, d.title, g.method, g.typed_name, g.signed_at, g.recorded_at, g.after_withdrawal, g.client_addr, g.text_hash,
	coalesce(u.display_name, ''), coalesce(g.scan_id, ''), coalesce(sc.content_type, ''),
	r.revoked_at, coalesce(ru.display_name, ''), coalesce(r.reason, '')
	FROM consent_signatures g JOIN consent_documents d ON d.id = g.document_id
	LEFT JOIN users u ON u.id = g.recorded_by
	LEFT JOIN consent_scans sc ON sc.id = g.scan_id
	LEFT JOIN consent_revocations r ON r.signature_id = g.id
	LEFT JOIN users ru ON ru.id = r.revoked_by`

func scanConsentSig(r scanner) (ConsentSignature, error) {
	var g ConsentSignature
	var revoked sql.NullTime
	err := r.Scan(&g.ID, &g.DocumentID, &g.Kind, &g.Version, &g.Title, &g.Method, &g.TypedName, &g.SignedAt, &g.RecordedAt, &g.AfterWithdrawal, &g.ClientAddr, &g.TextHash,
		&g.RecordedBy, &g.ScanID, &g.ScanType, &revoked, &g.RevokedBy, &g.RevokedReason)
	g.SignedAt, g.RecordedAt = g.SignedAt.UTC(), g.RecordedAt.UTC()
	g.RevokedAt = utcPtr(revoked)
	return g, err
}

// consentIn works out patientID's standing on kind inside tx. No access
// check, no audit: for store code that has done both.
func consentIn(ctx context.Context, tx *Tx, patientID, kind string) (*Consent, error) {
	c := &Consent{Kind: kind, Title: clinic.ConsentKindTitle(kind)}
	var err error
	if c.Versions, err = consentVersionsIn(ctx, tx, kind, 0, 0); err != nil {
		return nil, err
	}
	if len(c.Versions) > 0 {
		if c.Latest, err = consentDocumentIn(ctx, tx, c.Versions[0].ID); err != nil {
			return nil, err
		}
	}
	if c.Signatures, err = queryAll(ctx, tx, scanConsentSig, consentSigSelect+` WHERE g.patient_id = $1 AND d.kind = $2 ORDER BY g.signed_at DESC, g.id DESC`, patientID, kind); err != nil {
		return nil, err
	}
	vs := make([]clinic.ConsentVersion, len(c.Versions))
	for i, v := range c.Versions {
		vs[i] = clinic.ConsentVersion{ID: v.ID, Version: v.Version, RequiresReconsent: v.RequiresReconsent}
	}
	datePaper(ctx, tx, c.Signatures)
	ss := make([]clinic.ConsentSigning, len(c.Signatures))
	for i, g := range c.Signatures {
		ss[i] = clinic.ConsentSigning{ID: g.ID, DocumentID: g.DocumentID, Version: g.Version, At: g.SignedAt, RevokedAt: g.RevokedAt,
			Paper: g.Method == "paper", RecordedAt: g.RecordedAt, AfterWithdrawal: g.AfterWithdrawal}
	}
	c.Standing = clinic.ConsentStandingOf(vs, ss)
	return c, nil
}

// datePaper sets each paper signature's PaperDate.
func datePaper(ctx context.Context, tx *Tx, gs []ConsentSignature) {
	var loc *time.Location
	for i := range gs {
		if gs[i].Method != "paper" {
			continue
		}
		if loc == nil {
			loc = practiceLocation(ctx, tx)
		}
		gs[i].PaperDate = gs[i].SignedAt.In(loc).Format("Mon Jan 2, 2006")
	}
}

// consentsIn is patientID's standing on every kind, in clinic.ConsentKinds'
// order.
func consentsIn(ctx context.Context, tx *Tx, patientID string) ([]Consent, error) {
	var out []Consent
	for _, k := range clinic.ConsentKinds {
		c, err := consentIn(ctx, tx, patientID, k.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, nil
}

// PatientConsents is patientID's standing on every kind of consent, with
// each kind's newest text and every signature: for the patient themself and
// anyone who may read the chart (auth.PermChart). Audited (consent.read).
func (s *Store) PatientConsents(ctx context.Context, actor Actor, patientID string) ([]Consent, error) {
	var out []Consent
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "consent.read", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "consent"
		var err error
		out, err = consentsIn(ctx, tx, patientID)
		return err
	})
	return out, err
}

// SignInput is a patient's signature in the portal.
type SignInput struct {
	DocumentID string // the version shown
	TextHash   string // the hash of the text shown (clinic.ConsentTextHash)
	TypedName  string
	Agreed     bool
}

// Messages of signing.
const (
	msgConsentNewer   = "A newer version of this document was published while you were reading. Please read the new version below and sign it."
	msgConsentName    = "Type your full name as we have it on record"
	msgConsentAgree   = "Tick the box to say you agree, or leave this page if you do not want to sign."
	msgConsentSigned  = "You have already signed this version."
	msgConsentRevoked = "This signature has already been revoked."
)

// SignConsent records the patient's own signature in the portal on the
// version in.DocumentID: the patient only (never staff on their behalf:
// that is RecordPaperConsent), with their typed full name matching the
// name on record (the legal name or the name they go by, ignoring case and
// spaces), an explicit agreement, the time, the client address and the
// hash of the exact text shown. A version that is no longer its kind's
// newest, or whose text is not the one shown, is refused (EConflict) so the
// patient reads the current text first. Signing a version whose signature
// already holds records nothing and says so (EConflict). Audited
// (consent.sign).
func (s *Store) SignConsent(ctx context.Context, actor Actor, patientID string, in SignInput) (*ConsentSignature, error) {
	in.TypedName = strings.TrimSpace(in.TypedName)
	var out *ConsentSignature
	err := s.patientAccess(ctx, actor, patientID, auth.PermConsent, "consent.sign", func(tx *Tx, a Access, e *Entry) error {
		if a.Relation != auth.RelSelf { // only the patient signs as themself
			return errDenied{patientID: patientID, perm: auth.PermConsent, exists: true}
		}
		if err := s.d.lockPatientConsent(ctx, tx.tx, patientID); err != nil {
			return err
		}
		doc, err := consentDocumentIn(ctx, tx, in.DocumentID)
		if err != nil {
			return err
		}
		latest, err := latestConsentIn(ctx, tx, doc.Kind)
		if err != nil {
			return err
		}
		if latest.ID != doc.ID || in.TextHash != doc.Hash() {
			return &clinic.Error{Code: clinic.EConflict, Message: msgConsentNewer, Fields: map[string]string{"consent": msgConsentNewer}}
		}
		fe := clinic.FieldErrors{}
		if msg, err := nameProblem(ctx, tx, patientID, in.TypedName, msgConsentName, " (your legal name, or the name you go by)"); err != nil {
			return err
		} else if msg != "" {
			fe.Add("typed_name", msg)
		}
		if utf8.RuneCountInString(in.TypedName) > ConsentNameMax {
			fe["typed_name"] = "Use at most " + strconv.Itoa(ConsentNameMax) + " characters."
		}
		if !in.Agreed {
			fe.Add("agree", msgConsentAgree)
		}
		if err := fe.Err(); err != nil {
			return err
		}
		c, err := consentIn(ctx, tx, patientID, doc.Kind)
		if err != nil {
			return err
		}
		if c.SignedLatest() {
			return &clinic.Error{Code: clinic.EConflict, Message: msgConsentSigned, Fields: map[string]string{"consent": msgConsentSigned}}
		}
		id := NewID()
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO consent_signatures (id, patient_id, document_id, method, typed_name, agreed, signed_at, client_addr, text_hash, recorded_by, scan_id, recorded_at)
			VALUES ($1, $2, $3, 'portal', $4, TRUE, $5, $6, $7, $8, NULL, $5)`, id, patientID, doc.ID, in.TypedName, now, actor.Addr, doc.Hash(), actor.UserID); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "consent_signature", id, "kind="+doc.Kind+" version="+strconv.Itoa(doc.Version)+" method=portal"
		out, err = consentSignatureIn(ctx, tx, patientID, id)
		return err
	})
	return out, err
}

// nameProblem says, when typed is neither patientID's legal name nor the
// name they go by (ignoring case and spaces: clinic.SameName), msg plus
// both (naming both when they differ), or "".
func nameProblem(ctx context.Context, tx *Tx, patientID, typed, msg, both string) (string, error) {
	var legal, display string
	if err := tx.QueryRow(ctx, `SELECT legal_name, display_name FROM patients WHERE id = $1`, patientID).Scan(&legal, &display); err != nil {
		return "", err
	}
	if clinic.SameName(typed, legal) || clinic.SameName(typed, display) {
		return "", nil
	}
	if legal != "" && !clinic.SameName(legal, display) {
		msg += both
	}
	return msg + ".", nil
}

func consentSignatureIn(ctx context.Context, tx *Tx, patientID, id string) (*ConsentSignature, error) {
	g, err := scanConsentSig(tx.QueryRow(ctx, consentSigSelect+` WHERE g.id = $1 AND g.patient_id = $2`, id, patientID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that signature.")
	}
	if err != nil {
		return nil, err
	}
	gs := []ConsentSignature{g}
	datePaper(ctx, tx, gs)
	return &gs[0], nil
}

// PaperInput is a paper signature recorded by staff.
type PaperInput struct {
	DocumentID string // the version the patient signed on paper
	TypedName  string // the name as signed on paper
	// SignedOn is the date written on the paper: only its year, month and
	// day count, read as a day in the practice's zone.
	SignedOn time.Time
	// AfterWithdrawal is the staff member's confirmation that a paper dated
	// the day the patient withdrew consent was signed after withdrawing.
	AfterWithdrawal bool
	Scan            []byte // the signed page(s): a PDF, or a JPEG, PNG or GIF photo
}

// checkScan says what is wrong with a scan, or returns its content type
// and the bytes to keep: a PDF is kept as sent (it starts with "%PDF-" and
// ends with "%%EOF", at most ConsentScanMaxBytes); an image is checked and
// written again by media.CleanContext (its limits), which drops anything
// but the picture.
func checkScan(ctx context.Context, data []byte) (string, []byte, error) {
	switch {
	case len(data) == 0:
		return "", nil, media.Problem("Choose the scan of the signed paper: a PDF, or a photo (JPEG or PNG).")
	case len(data) > ConsentScanMaxBytes:
		return "", nil, media.Problem("This file is larger than 5 MB. Scan at a lower resolution, or in black and white, and upload that.")
	case bytes.HasPrefix(data, []byte("%PDF-")):
		if !bytes.Contains(data[max(0, len(data)-1024):], []byte("%%EOF")) {
			return "", nil, media.Problem("This PDF looks cut short: save or scan it again, and upload the whole file.")
		}
		return "application/pdf", data, nil
	}
	pic, err := media.CleanContext(ctx, data)
	if err != nil {
		if media.IsProblem(err) && errors.Is(err, media.ErrNotImage) {
			return "", nil, media.Problem("This file is not a PDF or a picture we can read: upload a PDF, JPEG or PNG.")
		}
		return "", nil, err
	}
	return pic.ContentType, pic.Bytes, nil
}

// Messages of paper signatures.
const (
	msgPaperName = "Enter the patient's full name as we have it on record, as they signed it"
	msgPaperBoth = " (their legal name, or the name they go by)"
)

// RecordPaperConsent records a signature the patient made on paper, with
// the scan of the signed paper, by a therapist or prescriber on the care
// team (auth.PermConsent; not the patient, not emergency access). The
// version may be any published version of its kind (the paper may have
// been printed before a newer one); the rule then says whether it holds.
// The name signed must be the patient's (as SignConsent checks it). The
// signature's time is the date written on the paper (required, not in the
// future, in the practice's zone); when it was recorded is kept apart.
// A paper dated before the patient's latest withdrawal of consent of the
// kind is refused (it was signed before they withdrew: the patient signs
// again); one dated that same day only with the staff member's explicit
// confirmation that the patient signed it after withdrawing
// (in.AfterWithdrawal, kept and audited). Audited (consent.paper).
func (s *Store) RecordPaperConsent(ctx context.Context, actor Actor, patientID string, in PaperInput) (*ConsentSignature, error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	in.TypedName = strings.TrimSpace(in.TypedName)
	fe := clinic.FieldErrors{}
	if in.TypedName == "" {
		fe.Add("typed_name", "Enter the name the patient signed with.")
	} else if msg := textProblem(in.TypedName, ConsentNameMax, false); msg != "" {
		fe.Add("typed_name", msg)
	}
	ct, scan, err := checkScan(ctx, in.Scan)
	if err != nil && !media.IsProblem(err) {
		return nil, err
	} else if err != nil {
		fe.Add("scan", err.Error())
	}
	var out *ConsentSignature
	err = s.patientAccess(ctx, actor, patientID, auth.PermConsent, "consent.paper", func(tx *Tx, a Access, e *Entry) error {
		if err := s.d.lockPatientConsent(ctx, tx.tx, patientID); err != nil {
			return err
		}
		doc, err := consentDocumentIn(ctx, tx, in.DocumentID)
		if err != nil {
			fe.Add("document", "Choose the version the patient signed.")
			return fe.Err()
		}
		if fe["typed_name"] == "" {
			if msg, err := nameProblem(ctx, tx, patientID, in.TypedName, msgPaperName, msgPaperBoth); err != nil {
				return err
			} else if msg != "" {
				fe.Add("typed_name", msg)
			}
		}
		now, loc := s.now(), practiceLocation(ctx, tx)
		var dated time.Time
		if !in.SignedOn.IsZero() {
			y, m, d := in.SignedOn.Date()
			dated = time.Date(y, m, d, 0, 0, 0, 0, loc)
		}
		afterWithdrawal := false
		if msg := clinic.PaperDateProblem(dated, now, loc); msg != "" {
			fe.Add("signed_on", msg)
		} else {
			c, err := consentIn(ctx, tx, patientID, doc.Kind)
			if err != nil {
				return err
			}
			if w := c.LastRevoked(); w != nil {
				withdrew, on := w.RevokedAt.In(loc).Format("2 January 2006"), dated.Format("2 January 2006")
				switch clinic.PaperDating(dated, *w.RevokedAt, loc) {
				case clinic.PaperBeforeWithdrawal:
					fe.Add("signed_on", "The patient withdrew this consent on "+withdrew+"; a paper dated "+on+
						" was signed before that and does not bring it back. Ask the patient to sign again: in the portal, or on a new paper.")
				case clinic.PaperSameDay:
					if !in.AfterWithdrawal {
						fe.Add("after_withdrawal", "The paper is dated "+on+", the day the patient withdrew this consent. Tick the box only if they signed it after withdrawing; otherwise ask them to sign again.")
					}
					afterWithdrawal = in.AfterWithdrawal
				}
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		scanID, id := NewID(), NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO consent_scans (id, patient_id, content_type, bytes, size, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			scanID, patientID, ct, scan, len(scan), actor.UserID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO consent_signatures (id, patient_id, document_id, method, typed_name, agreed, signed_at, client_addr, text_hash, recorded_by, scan_id, recorded_at, after_withdrawal)
			VALUES ($1, $2, $3, 'paper', $4, TRUE, $5, $6, $7, $8, $9, $10, $11)`, id, patientID, doc.ID, in.TypedName, dated, actor.Addr, doc.Hash(), actor.UserID, scanID, now, afterWithdrawal); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "consent_signature", id, "kind="+doc.Kind+" version="+strconv.Itoa(doc.Version)+" method=paper dated="+dated.Format("2006-01-02")
		if afterWithdrawal {
			e.Detail += " confirmed-signed-after-withdrawal"
		}
		out, err = consentSignatureIn(ctx, tx, patientID, id)
		return err
	})
	return out, err
}

// ConsentScan is a paper signature's scan, for the patient themself and
// anyone who may read the chart (auth.PermChart). Audited (consent.scan).
func (s *Store) ConsentScan(ctx context.Context, actor Actor, patientID, signatureID string) (contentType string, data []byte, err error) {
	err = s.patientAccess(ctx, actor, patientID, auth.PermChart, "consent.scan", func(tx *Tx, a Access, e *Entry) error {
		err := tx.QueryRow(ctx, `SELECT sc.content_type, sc.bytes FROM consent_signatures g JOIN consent_scans sc ON sc.id = g.scan_id
			WHERE g.id = $1 AND g.patient_id = $2`, signatureID, patientID).Scan(&contentType, &data)
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that scan.")
		}
		e.ObjectType, e.ObjectID = "consent_signature", signatureID
		return err
	})
	return contentType, data, err
}

// RevokeConsent records the revocation of signature signatureID of
// patientID, by the patient themself (in the portal) or a therapist or
// prescriber on the care team (auth.PermConsent), with a reason (required
// from staff; a patient may leave it out). Revoking withdraws the consent
// of the kind: an older signature does not count again
// (clinic.ConsentStandingOf). A signature already revoked is EConflict.
// Audited (consent.revoke).
func (s *Store) RevokeConsent(ctx context.Context, actor Actor, patientID, signatureID, reason string) error {
	reason = strings.TrimSpace(reason)
	if msg := textProblem(reason, ConsentReasonMax, true); msg != "" {
		return clinic.FieldErrors{"reason": msg}.Err()
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermConsent, "consent.revoke", func(tx *Tx, a Access, e *Entry) error {
		if err := s.d.lockPatientConsent(ctx, tx.tx, patientID); err != nil {
			return err
		}
		switch {
		case reason == "" && a.Relation != auth.RelSelf:
			return clinic.FieldErrors{"reason": "Say why the consent is revoked (for example: the patient asked by phone)."}.Err()
		case reason == "":
			reason = "Revoked by the patient in the portal."
		}
		g, err := consentSignatureIn(ctx, tx, patientID, signatureID)
		if err != nil {
			return err
		}
		if g.RevokedAt != nil {
			return &clinic.Error{Code: clinic.EConflict, Message: msgConsentRevoked, Fields: map[string]string{"consent": msgConsentRevoked}}
		}
		_, err = tx.Exec(ctx, `INSERT INTO consent_revocations (id, signature_id, revoked_by, revoked_at, reason) VALUES ($1, $2, $3, $4, $5)`,
			NewID(), g.ID, actor.UserID, s.now(), reason)
		if s.d.isUniqueViolation(err) {
			return &clinic.Error{Code: clinic.EConflict, Message: msgConsentRevoked, Fields: map[string]string{"consent": msgConsentRevoked}}
		}
		e.ObjectType, e.ObjectID, e.Detail = "consent_signature", g.ID, "kind="+g.Kind+" version="+strconv.Itoa(g.Version)
		return err
	})
}
