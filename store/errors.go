package store

import "errors"

var (
	// ErrNoKey is returned when no encryption key was supplied (no key file, no
	// VOXGUARD_ENCRYPTION_KEY). The store is never opened unencrypted.
	ErrNoKey = errors.New("store: no encryption key (set VOXGUARD_ENCRYPTION_KEY or give a key file)")
	// ErrBadKey is returned when a key is not 64 hex characters or base64 of 32 bytes.
	ErrBadKey = errors.New("store: malformed encryption key (want 64 hex characters or base64 of 32 bytes)")
	// ErrWrongKey is returned by Open when the data directory was encrypted with another key.
	ErrWrongKey = errors.New("store: wrong encryption key for this data directory")
	// ErrNoStore is returned by Open with Options.MustExist when the directory holds no store.
	ErrNoStore = errors.New("store: no voxguard store in data directory")
	// ErrSchemaTooNew is returned by Open when the store was written by a newer voxguard.
	ErrSchemaTooNew = errors.New("store: schema version is newer than this voxguard supports")
	// ErrNotFound is returned when a requested record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists is returned when creating a record whose id is already taken.
	ErrExists = errors.New("store: already exists")
	// ErrInvalid is returned (wrapped, with details) when a record fails validation.
	ErrInvalid = errors.New("store: invalid record")
	// ErrNoConsent is returned when writing a voiceprint for a subject without an active
	// consent for PurposeVoiceVerification.
	ErrNoConsent = errors.New("store: no active consent for voice verification")
	// ErrRevoked is returned by Authenticate for a revoked API key.
	ErrRevoked = errors.New("store: API key revoked")
	// ErrBadSecret is returned by Authenticate when the secret does not match.
	ErrBadSecret = errors.New("store: API key secret does not match")
	// ErrAuditBroken is returned (wrapped in an *AuditProblem) when the audit chain fails
	// verification.
	ErrAuditBroken = errors.New("store: audit chain broken")
	// ErrNotEmpty is returned by Restore when the target directory already holds files.
	ErrNotEmpty = errors.New("store: target data directory is not empty")
	// ErrBadBackup is returned by Restore when a backup file is corrupt, truncated or was
	// made with another key.
	ErrBadBackup = errors.New("store: backup file corrupt, truncated or made with another key")
)
