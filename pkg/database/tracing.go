package database

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
)

// tracing is a gorm plugin: one client span per statement, a child of the
// span in the statement's context (the call being served), so a trace
// goes on from gRPC into the database.
type tracing struct{}

func (tracing) Name() string { return "clouddrive:tracing" }

type spanKey struct{}

func (tracing) Initialize(db *gorm.DB) error {
	tracer := otel.Tracer("clouddrive/pkg/database")
	system := db.Dialector.Name()
	before := func(op string) func(*gorm.DB) {
		return func(tx *gorm.DB) {
			ctx := tx.Statement.Context
			if !trace.SpanFromContext(ctx).SpanContext().IsValid() {
				return // no trace to join: no orphan spans per statement
			}
			_, span := tracer.Start(ctx, "db."+op, trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("db.system", system)))
			tx.InstanceSet("clouddrive:span", span)
		}
	}
	after := func(tx *gorm.DB) {
		v, ok := tx.InstanceGet("clouddrive:span")
		if !ok {
			return
		}
		span := v.(trace.Span)
		span.SetAttributes(attribute.String("db.table", tx.Statement.Table), attribute.Int64("db.rows", tx.Statement.RowsAffected))
		if tx.Error != nil && tx.Error != gorm.ErrRecordNotFound {
			span.SetStatus(codes.Error, tx.Error.Error())
		}
		span.End()
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().Before("gorm:create").Register("trace:before_create", before("insert")),
		cb.Create().After("gorm:create").Register("trace:after_create", after),
		cb.Query().Before("gorm:query").Register("trace:before_query", before("select")),
		cb.Query().After("gorm:query").Register("trace:after_query", after),
		cb.Update().Before("gorm:update").Register("trace:before_update", before("update")),
		cb.Update().After("gorm:update").Register("trace:after_update", after),
		cb.Delete().Before("gorm:delete").Register("trace:before_delete", before("delete")),
		cb.Delete().After("gorm:delete").Register("trace:after_delete", after),
		cb.Row().Before("gorm:row").Register("trace:before_row", before("row")),
		cb.Row().After("gorm:row").Register("trace:after_row", after),
		cb.Raw().Before("gorm:raw").Register("trace:before_raw", before("raw")),
		cb.Raw().After("gorm:raw").Register("trace:after_raw", after),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
