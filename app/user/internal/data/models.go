package data

import "time"

// Every key a person types is also stored folded (lower case) in a *_key
// column, so uniqueness and lookups ignore case the same way on MySQL and SQLite.

type userModel struct {
	ID          int64  `gorm:"primaryKey;autoIncrement"`
	Username    string `gorm:"type:varchar(64);not null"`
	UsernameKey string `gorm:"type:varchar(64);not null;uniqueIndex"`
	Nickname    string `gorm:"type:varchar(64);not null;default:''"`
	// SQLite's LOWER() folds ASCII only: search the Go-folded copy.
	NicknameKey   string  `gorm:"type:varchar(64);not null;default:''"`
	Email         string  `gorm:"type:varchar(254);not null;default:''"`
	EmailKey      *string `gorm:"type:varchar(254);uniqueIndex"`
	Phone         *string `gorm:"type:varchar(20);uniqueIndex"`
	Role          string  `gorm:"type:varchar(16);not null"`
	Disabled      bool    `gorm:"not null;default:false"`
	EmailVerified bool    `gorm:"not null;default:false"`
	// On by default, for new rows and for rows from before the column.
	// gorm inserts a false bool that has a default as that default (true):
	// turn it off with an update by map, never with Create or Save.
	EmailNotifications bool   `gorm:"not null;default:true"`
	PasswordHash       string `gorm:"type:varchar(100);not null;default:''"`
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (userModel) TableName() string { return "users" }

type sessionModel struct {
	ID         string `gorm:"type:varchar(24);primaryKey"`
	UserID     int64  `gorm:"not null;index"`
	UserAgent  string `gorm:"type:varchar(255);not null;default:''"`
	IP         string `gorm:"type:varchar(64);not null;default:''"`
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

func (sessionModel) TableName() string { return "sessions" }

type refreshTokenModel struct {
	Hash      string `gorm:"type:char(64);primaryKey"`
	SessionID string `gorm:"type:varchar(24);not null;index"`
	UserID    int64  `gorm:"not null"`
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (refreshTokenModel) TableName() string { return "refresh_tokens" }

type loginCodeModel struct {
	ID         int64  `gorm:"primaryKey;autoIncrement"`
	Target     string `gorm:"type:varchar(254);not null;index:idx_login_codes_target,priority:1"`
	Hash       string `gorm:"type:char(64);not null"`
	Attempts   int    `gorm:"not null;default:0"`
	ExpiresAt  time.Time
	ConsumedAt *time.Time
	CreatedAt  time.Time `gorm:"index:idx_login_codes_target,priority:2"`
}

func (loginCodeModel) TableName() string { return "login_codes" }

type oauthLinkModel struct {
	ID        int64  `gorm:"primaryKey;autoIncrement"`
	Provider  string `gorm:"type:varchar(32);not null;uniqueIndex:idx_oauth_subject,priority:1"`
	Subject   string `gorm:"type:varchar(128);not null;uniqueIndex:idx_oauth_subject,priority:2"`
	UserID    int64  `gorm:"not null;index"`
	Login     string `gorm:"type:varchar(128);not null;default:''"`
	CreatedAt time.Time
}

func (oauthLinkModel) TableName() string { return "oauth_links" }

type oauthTicketModel struct {
	Hash   string `gorm:"type:char(64);primaryKey"`
	UserID int64  `gorm:"not null"`
	// A pending link carries the identity to attach; a sign-in leaves these empty.
	LinkProvider string `gorm:"type:varchar(32);not null;default:''"`
	LinkSubject  string `gorm:"type:varchar(128);not null;default:''"`
	LinkLogin    string `gorm:"type:varchar(128);not null;default:''"`
	ExpiresAt    time.Time
	UsedAt       *time.Time
}

func (oauthTicketModel) TableName() string { return "oauth_tickets" }

type appPasswordModel struct {
	ID         int64  `gorm:"primaryKey;autoIncrement"`
	UserID     int64  `gorm:"not null;index"`
	Name       string `gorm:"type:varchar(64);not null"`
	Hash       string `gorm:"type:char(64);not null;uniqueIndex"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

func (appPasswordModel) TableName() string { return "app_passwords" }
