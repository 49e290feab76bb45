package data

import (
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// nodeModel is a row of the tree. live is 1 for a live node and NULL in the
// trash, so the unique index on (owner, parent, name_key, live) holds only
// among live siblings: NULLs never collide, on MySQL and SQLite alike.
// name_key is the case-folded name, compared as bytes (varbinary), so MySQL
// collations cannot make "café" and "cafe" collide.
type nodeModel struct {
	ID          int64     `gorm:"primaryKey;autoIncrement"`
	OwnerID     int64     `gorm:"not null;uniqueIndex:uniq_live_name,priority:1;index:idx_list_name,priority:1;index:idx_list_size,priority:1;index:idx_list_updated,priority:1;index:idx_trash,priority:1"`
	ParentID    int64     `gorm:"not null;uniqueIndex:uniq_live_name,priority:2;index:idx_list_name,priority:2;index:idx_list_size,priority:2;index:idx_list_updated,priority:2"`
	NameKey     nameKey   `gorm:"not null;uniqueIndex:uniq_live_name,priority:3;index:idx_list_name,priority:5"`
	Live        *int8     `gorm:"type:tinyint;uniqueIndex:uniq_live_name,priority:4;index:idx_list_name,priority:3;index:idx_list_size,priority:3;index:idx_list_updated,priority:3"`
	Kind        int8      `gorm:"type:tinyint;not null;index:idx_list_name,priority:4;index:idx_list_size,priority:4;index:idx_list_updated,priority:4"`
	Size        int64     `gorm:"not null;default:0;index:idx_list_size,priority:5"`
	UpdatedAt   time.Time `gorm:"index:idx_list_updated,priority:5"`
	Name        string    `gorm:"type:varchar(255);not null"`
	ContentHash string    `gorm:"type:varchar(64);not null;default:'';index:idx_hash"`
	Mime        string    `gorm:"type:varchar(255);not null;default:''"`
	CreatedAt   time.Time
	TrashedAt   *time.Time `gorm:"index:idx_trashed_at"`
	TrashRoot   int64      `gorm:"not null;default:0;index:idx_trash,priority:2"`
	Version     int64      `gorm:"not null;default:1"`
}

func (nodeModel) TableName() string { return "nodes" }

type quotaModel struct {
	OwnerID    int64 `gorm:"primaryKey;autoIncrement:false"`
	UsedBytes  int64 `gorm:"not null;default:0"`
	LimitBytes int64 `gorm:"not null"`
	UpdatedAt  time.Time
	Version    int64 `gorm:"not null;default:1"`
}

func (quotaModel) TableName() string { return "quotas" }

// nameKey is a folded name compared byte by byte: varbinary on MySQL, and
// blob on SQLite, whose "varbinary" would get numeric affinity and store
// "007" as the number 7, equal to "7".
type nameKey string

// GormDBDataType implements gorm's schema.GormDataTypeInterface per dialect.
func (nameKey) GormDBDataType(db *gorm.DB, _ *schema.Field) string {
	if db.Dialector.Name() == "sqlite" {
		return "blob"
	}
	return "varbinary(1020)"
}
