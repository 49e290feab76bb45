package events

import (
	"context"
	"encoding/json"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// injectTrace is ctx's trace context as headers (empty without a trace).
func injectTrace(ctx context.Context) map[string]string {
	if ctx == nil {
		return nil
	}
	c := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, c)
	return c
}

func encodeTrace(h map[string]string) string {
	if len(h) == 0 {
		return ""
	}
	b, _ := json.Marshal(h)
	return string(b)
}

func decodeTrace(s string) map[string]string {
	if s == "" {
		return nil
	}
	var h map[string]string
	_ = json.Unmarshal([]byte(s), &h) // a bad value only loses the link
	return h
}

// consume runs h on m in a consumer span, a child of the trace the event
// was written in: one upload is one trace, through the relay and Kafka.
func consume(ctx context.Context, consumer string, m Message, h Handler) error {
	ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(m.Trace))
	ctx, span := otel.Tracer("clouddrive/pkg/events").Start(ctx, "consume "+m.Topic,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.destination.name", m.Topic),
			attribute.String("messaging.message.id", m.ID), attribute.String("messaging.consumer.group.name", consumer)))
	defer span.End()
	err := h(ctx, m)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

// consumeBatch runs h over ms in one consumer span (a span a message would
// cost more than the batch saves); it links the traces the messages carry.
func consumeBatch(ctx context.Context, consumer string, ms []Message, h BatchHandler) error {
	links := make([]trace.Link, 0, len(ms))
	for _, m := range ms {
		if sc := trace.SpanContextFromContext(otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(m.Trace))); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	ctx, span := otel.Tracer("clouddrive/pkg/events").Start(ctx, "consume "+ms[0].Topic,
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithLinks(links...),
		trace.WithAttributes(attribute.String("messaging.destination.name", ms[0].Topic),
			attribute.Int("messaging.batch.message_count", len(ms)), attribute.String("messaging.consumer.group.name", consumer)))
	defer span.End()
	err := h(ctx, ms)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}
