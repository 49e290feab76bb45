package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TracingConfig says where spans go; no endpoint: none are exported, but
// trace context still crosses processes.
type TracingConfig struct {
	Service string
	// Endpoint is an OTLP/gRPC collector (Jaeger takes it), "host:4317".
	Endpoint string
	// Ratio of new traces sampled (0: all of them).
	Ratio float64
}

func init() {
	// The W3C trace context travels in gRPC metadata, HTTP and event headers.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
}

// SetupTracing installs the process's tracer provider: batches spans to the
// OTLP endpoint when one is set. The returned function flushes and stops it.
func SetupTracing(ctx context.Context, c TracingConfig) (func(context.Context) error, error) {
	if c.Endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(c.Endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	sampler := sdktrace.AlwaysSample()
	if c.Ratio > 0 && c.Ratio < 1 {
		sampler = sdktrace.ParentBased(sdktrace.TraceIDRatioBased(c.Ratio))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithSampler(sampler),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", c.Service))))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}
