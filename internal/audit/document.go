package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// documentTag opens every document signature line, and the text it
// covers. That text (the tag, the kind, then the document) is always longer
// than 32 bytes and never starts with checkpointTag, so neither a row
// signature (over 32 hash bytes) nor a checkpoint signature passes for a
// document's, nor the other way round.
const documentTag = "kapstone-signed-document-v1"

// ErrDocumentSignature is wrapped by VerifyDocument's errors: the document
// was changed after it was signed, or the line is not its signature.
var ErrDocumentSignature = errors.New("the signature does not verify")

// SignDocument signs body, a document of kind (a short word such as
// "backup-manifest", so a signature of one kind of document never passes
// for another), and returns its signature line, without a newline:
//
//	kapstone-signed-document-v1 kind=backup-manifest key=1a2b3c4d sig=<base64>
func (k *Key) SignDocument(kind string, body []byte) string {
	sig := ed25519.Sign(k.priv, documentText(kind, body))
	return fmt.Sprintf("%s kind=%s key=%s sig=%s", documentTag, kind, k.id, base64.StdEncoding.EncodeToString(sig))
}

// documentText is what a document signature covers.
func documentText(kind string, body []byte) []byte {
	return append([]byte(documentTag+" kind="+kind+"\n"), body...)
}

// VerifyDocument returns nil if line is SignDocument's signature of body as
// a document of kind by the key whose public half is pub. Otherwise its
// error says why: a line that is not a signature line, of another kind, by
// another key (naming it), or (wrapping ErrDocumentSignature) a signature
// that does not verify because body or line was changed.
func VerifyDocument(pub ed25519.PublicKey, kind string, body []byte, line string) error {
	if len(pub) != ed25519.PublicKeySize {
		return errors.New("audit: the public key is not an Ed25519 public key")
	}
	f := strings.Split(strings.TrimSuffix(line, "\n"), " ")
	var v [3]string
	ok := len(f) == 4 && f[0] == documentTag
	for i, name := range [...]string{"kind", "key", "sig"} {
		if ok {
			v[i], ok = strings.CutPrefix(f[i+1], name+"=")
		}
	}
	if !ok {
		return fmt.Errorf("not a %s signature line", documentTag)
	}
	if v[0] != kind {
		return fmt.Errorf("the signature is of a %s, not a %s", v[0], kind)
	}
	if id := keyID(pub); v[1] != id {
		return fmt.Errorf("signed with audit key %s, not with key %s", v[1], id)
	}
	sig, err := base64.StdEncoding.DecodeString(v[2])
	if err != nil || !ed25519.Verify(pub, documentText(kind, body), sig) {
		return fmt.Errorf("%w under audit key %s", ErrDocumentSignature, v[1])
	}
	return nil
}
