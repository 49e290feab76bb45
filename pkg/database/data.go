package database

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	confv1 "clouddrive/api/conf/v1"
)

// Data is what a service's data layer holds: its database, migrated, and
// Redis when configured.
type Data struct {
	DB    *gorm.DB
	Redis redis.UniversalClient // nil on one machine
	// Prefix of every Redis key.
	Prefix string
}

// OpenData is the one way a service opens its data layer: the database c
// names, migrated by migrate, and Redis when c has an address. The function
// returned closes both.
func OpenData(c *confv1.Data, migrate func(*gorm.DB) error, service string, logger log.Logger) (*Data, func(), error) {
	db, err := Open(Config{Driver: c.GetDatabase().GetDriver(), Source: c.GetDatabase().GetSource(), Name: service})
	if err != nil {
		return nil, nil, err
	}
	closeDB := func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}
	if err := migrate(db); err != nil {
		closeDB()
		return nil, nil, err
	}
	d := &Data{DB: db, Prefix: c.GetRedis().GetPrefix()}
	if addr := c.GetRedis().GetAddr(); addr != "" {
		d.Redis = redis.NewClient(&redis.Options{Addr: addr, Password: c.GetRedis().GetPassword(), DB: int(c.GetRedis().GetDb())})
	}
	return d, func() {
		closeDB()
		if d.Redis != nil {
			_ = d.Redis.Close()
		}
		log.NewHelper(logger).Info(service + " data closed")
	}, nil
}
