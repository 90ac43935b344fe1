package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Key layout (all keys ASCII; ids never contain '/'):
//
//	m/schema                 schema version, decimal
//	m/pseudonym_key          32 random bytes: HMAC key for audit pseudonyms and the phone index
//	m/audit_head             JSON {seq, hash} of the last audit entry
//	a/<seq: 8 bytes BE>      audit entry JSON
//	s/<subject>              Subject JSON
//	sp/<phone hmac>/<subject> phone index (empty value)
//	c/<subject>/<consent>    Consent JSON
//	v/<subject>/<voiceprint> Voiceprint, binary (schema 2) or JSON (schema 1)
//	w/<entry>                watchlist entry header and embedding, binary
//	ws/<entry>               watchlist entry Baum-Welch statistics N and F, binary
//	r/<call>                 CallRecord JSON, with TTL
//	rs/<subject>/<call>      calls claiming a subject (empty value), with the same TTL
//	k/<key id>               APIKey JSON
const (
	keySchema     = "m/schema"
	keyPseudonym  = "m/pseudonym_key"
	keyAuditHead  = "m/audit_head"
	pfxAudit      = "a/"
	pfxSubject    = "s/"
	pfxPhone      = "sp/"
	pfxConsent    = "c/"
	pfxVoiceprint = "v/"
	pfxWatch      = "w/"
	pfxWatchStats = "ws/"
	pfxCall       = "r/"
	pfxCallSubj   = "rs/"
	pfxAPIKey     = "k/"
)

func subjectKey(id string) []byte            { return []byte(pfxSubject + id) }
func consentPrefix(subject string) []byte    { return []byte(pfxConsent + subject + "/") }
func consentKey(subject, id string) []byte   { return []byte(pfxConsent + subject + "/" + id) }
func voiceprintPrefix(subject string) []byte { return []byte(pfxVoiceprint + subject + "/") }
func voiceprintKey(subject, id string) []byte {
	return []byte(pfxVoiceprint + subject + "/" + id)
}
func watchKey(id string) []byte                  { return []byte(pfxWatch + id) }
func watchStatsKey(id string) []byte             { return []byte(pfxWatchStats + id) }
func callKey(id string) []byte                   { return []byte(pfxCall + id) }
func callSubjectPrefix(subject string) []byte    { return []byte(pfxCallSubj + subject + "/") }
func callSubjectKey(subject, call string) []byte { return []byte(pfxCallSubj + subject + "/" + call) }
func apiKeyKey(id string) []byte                 { return []byte(pfxAPIKey + id) }

// validID reports whether id is usable as a record id: 1 to 128 characters from
// [A-Za-z0-9._:@-].
func validID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '_' || c == ':' || c == '@' || c == '-':
		default:
			return false
		}
	}
	return true
}

func checkID(kind, id string) error {
	if !validID(id) {
		return fmt.Errorf("%w: %s id must be 1-128 characters of [A-Za-z0-9._:@-]", ErrInvalid, kind)
	}
	return nil
}

// NewID returns a random record id: prefix followed by 24 hex digits (96 random bits),
// e.g. NewID("sub_").
func NewID(prefix string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + hex.EncodeToString(b[:])
}
