package data

import "time"

// shareModel is a row of shares. The token is unique (and compared as
// bytes: MySQL tables here are utf8mb4_bin, and base64url is
// case-sensitive); owners list theirs by owner_id and recipients theirs by
// recipient_id, both newest first through the primary key each index
// carries.
type shareModel struct {
	ID            int64  `gorm:"primaryKey;autoIncrement"`
	Token         string `gorm:"type:varchar(64);not null;uniqueIndex:uniq_share_token"`
	OwnerID       int64  `gorm:"not null;index:idx_share_owner"`
	RecipientID   int64  `gorm:"not null;default:0;index:idx_share_recipient"`
	RecipientName string `gorm:"type:varchar(64);not null;default:''"`
	NodeID        int64  `gorm:"not null"`
	Name          string `gorm:"type:varchar(255);not null"`
	Folder        bool   `gorm:"not null;default:false"`
	Size          int64  `gorm:"not null;default:0"`
	// CodeHash is HMAC-SHA256 (32 bytes); CodeSealed nonce‖AES-GCM(code).
	CodeHash     []byte `gorm:"type:blob"`
	CodeSealed   []byte `gorm:"type:blob"`
	ExpiresAt    *time.Time
	MaxDownloads int64 `gorm:"not null;default:0"`
	Views        int64 `gorm:"not null;default:0"`
	Downloads    int64 `gorm:"not null;default:0"`
	Saves        int64 `gorm:"not null;default:0"`
	CodeFailures int   `gorm:"not null;default:0"`
	LockedUntil  *time.Time
	RevokedAt    *time.Time
	CreatedAt    time.Time
}

func (shareModel) TableName() string { return "shares" }
