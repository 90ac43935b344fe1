// Package store is voxguard's persistence layer: an embedded Badger (v4) key-value store,
// always encrypted at rest with AES-256, holding subjects, consents, voiceprints, the
// fraudster watchlist, call records and API keys, together with a tamper-evident,
// SHA-256 hash-chained audit log.
//
// Every mutating method takes an actor (the API key id of whoever acts, or "system") and
// appends its audit entry in the same Badger transaction as the change, so the audit trail
// and the data can never disagree. Subject ids never appear in audit entries: they are
// replaced by a keyed pseudonym (HMAC-SHA-256 under a key kept inside the encrypted store),
// so erasing a subject needs no audit rewriting and the chain stays verifiable.
//
// The rules the engine relies on are enforced here as transactions:
//   - a voiceprint is written only for a subject with an active consent for the purpose
//     PurposeVoiceVerification; withdrawing that consent deletes the subject's voiceprints
//     in the same transaction;
//   - erasing a subject removes every record naming it (subject, consents, voiceprints,
//     call records that claimed it, phone index);
//   - Export returns everything held about a subject as one JSON document;
//   - watchlist entries need no consent but must carry a legal basis and a case reference.
//
// Writes are synchronous (fsync before a method returns), so an acknowledged write survives
// a crash of the process.
//
// Personal data (names, phone numbers) is only ever shown through the Mask helpers; the
// String and LogValue methods of Subject return masked values.
package store
