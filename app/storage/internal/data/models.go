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
	State           int8   `gorm:"type:tinyint;not null"`
	NodeID          int64  `gorm:"not null;default:0"`
	Nonce           []byte `gorm:"type:varbinary(32);not null"`
	ChallengeOffset int64  `gorm:"not null"`
	ChallengeLength int64  `gorm:"not null"`
	ProofAttempts   int    `gorm:"not null;default:0"`
	BackendRef      string `gorm:"type:varchar(1024);not null;default:''"`
	LeaseUntil      *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ExpiresAt       time.Time `gorm:"index"`
}

func (uploadModel) TableName() string { return "uploads" }

type chunkModel struct {
	UploadID  string `gorm:"type:varchar(32);primaryKey"`
	Idx       int64  `gorm:"primaryKey;autoIncrement:false"`
	OwnerID   int64  `gorm:"not null"`
	Size      int64  `gorm:"not null"`
	Digests   []byte `gorm:"type:blob;not null"`
	ETag      string `gorm:"type:varchar(255);not null;default:''"`
	CreatedAt time.Time
}

func (chunkModel) TableName() string { return "upload_chunks" }

type blobModel struct {
	Hash              string `gorm:"type:char(64);primaryKey"`
	Size              int64  `gorm:"not null"`
	Deleting          bool   `gorm:"not null;default:false"`
	UnreferencedSince *time.Time
	PinnedAt          *time.Time
	CreatedAt         time.Time
}

func (blobModel) TableName() string { return "blobs" }
