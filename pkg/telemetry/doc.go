// Package telemetry is what every process reports about itself: Prometheus
// metrics (registered here, once, under the names docs/METRICS.md lists),
// and OpenTelemetry traces exported over OTLP when an endpoint is set.
package telemetry
