package data

import "time"

type uploadModel struct {
	ID              string `gorm:"type:varchar(32);primaryKey"`
	OwnerID         int64  `gorm:"not null;index:idx_upload_resume,priority:1"`
	ContentHash     string `gorm:"type:char(64);not null;index:idx_upload_resume,priority:2"`
	ParentID        int64  `gorm:"not null"`
	Name            string `gorm:"type:varchar(255);not null"`
	Mime            string `gorm:"type:varchar(255);not null;default:''"`
	Size            int64  `gorm:"not null"`
	ChunkSize       int64  `gorm:"not null"`
	Rename          bool   `gorm:"not null;default:false"`
	Version         bool   `gorm:"not null;default:false"`
	State           int8   `gorm:"type:tinyint;not null"`
	NodeID          int64  `gorm:"not null;default:0"`
	Nonce           []byte `gorm:"type:varbinary(32);not null"`
	ChallengePeriod int64  `gorm:"not null;default:0"`
	// Retired with the single-range challenge (proofs now cover several
	// ranges, counted per user and content): kept so that databases made
	// before accept new rows.
	ChallengeOffset int64 `gorm:"not null;default:0"`
	ChallengeLength int64 `gorm:"not null;default:0"`
	ProofAttempts   int   `gorm:"not null;default:0"`
	// ChunkWrites counts BeginChunk calls: the conditional update that
	// admits a write always changes the row (MySQL reports changed rows).
	ChunkWrites int64  `gorm:"not null;default:0"`
	BackendRef  string `gorm:"type:varchar(1024);not null;default:''"`
	LeaseUntil  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ExpiresAt   time.Time `gorm:"index"`
}

func (uploadModel) TableName() string { return "uploads" }

type chunkModel struct {
	UploadID string `gorm:"type:varchar(32);primaryKey"`
	Idx      int64  `gorm:"primaryKey;autoIncrement:false"`
	OwnerID  int64  `gorm:"not null"`
	Size     int64  `gorm:"not null"`
	Digests  []byte `gorm:"type:blob;not null"`
	ETag     string `gorm:"type:varchar(255);not null;default:''"`
	// Writer is the token of the write under way ("" once held); the chunk
	// is held only when it is empty. WriteStarted dates the write.
	Writer       string `gorm:"type:varchar(32);not null;default:''"`
	WriteStarted *time.Time
	CreatedAt    time.Time
}

func (chunkModel) TableName() string { return "upload_chunks" }

type blobModel struct {
	Hash              string `gorm:"type:char(64);primaryKey"`
	Size              int64  `gorm:"not null"`
	Deleting          bool   `gorm:"not null;default:false"`
	UnreferencedSince *time.Time
	PinnedAt          *time.Time
	// Verified: published under the integrity invariant or re-hashed since.
	Verified      bool `gorm:"not null;default:false"`
	QuarantinedAt *time.Time
	CreatedAt     time.Time
}

func (blobModel) TableName() string { return "blobs" }

// proofModel counts the proofs of one user for one content in a challenge
// period: a new upload of the same content gets no new tries.
type proofModel struct {
	OwnerID     int64  `gorm:"primaryKey;autoIncrement:false"`
	ContentHash string `gorm:"type:char(64);primaryKey"`
	Period      int64  `gorm:"primaryKey;autoIncrement:false"`
	Attempts    int    `gorm:"not null;default:0"`
	CreatedAt   time.Time
}

func (proofModel) TableName() string { return "proof_attempts" }
