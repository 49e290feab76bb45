package telemetry

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every metric of the process. The standalone binary runs
// all services in one process, so series carry a service label.
var Registry = prometheus.NewRegistry()

var (
	// RPCRequests counts calls by service, transport, operation and code
	// (HTTP-style status: 200, 400, 429, 500...).
	RPCRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clouddrive_rpc_requests_total", Help: "Calls served, by outcome."},
		[]string{"service", "kind", "operation", "code"})
	// RPCSeconds is the latency of calls.
	RPCSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "clouddrive_rpc_duration_seconds", Help: "Latency of calls served.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
		[]string{"service", "kind", "operation"})
	// UploadBytes counts bytes received on upload routes and streams.
	UploadBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clouddrive_upload_bytes_total", Help: "Bytes received by uploads."}, []string{"service"})
	// DownloadBytes counts bytes sent by download routes and streams.
	DownloadBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clouddrive_download_bytes_total", Help: "Bytes sent by downloads."}, []string{"service"})
	// OutboxBacklog is the number of events not yet relayed.
	OutboxBacklog = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "clouddrive_outbox_backlog", Help: "Outbox events waiting for the relay."}, []string{"outbox"})
	// ConsumerLag is how far a consumer group is behind a partition's end.
	ConsumerLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "clouddrive_consumer_lag", Help: "Messages between a consumer and the end of its partition."},
		[]string{"group", "topic", "partition"})
	// Refused counts calls the overload limiter turned away.
	Refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clouddrive_overload_refused_total", Help: "Calls refused by the adaptive limiter or a rate limit."},
		[]string{"service", "reason"})
	// CacheRequests counts reads of the Redis caches by outcome (hit, miss,
	// error): the hit ratio per cache.
	CacheRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clouddrive_cache_requests_total", Help: "Reads of a Redis cache, by outcome."},
		[]string{"cache", "result"})
	// CacheLag is the time from a change's commit to its Redis write.
	CacheLag = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "clouddrive_cache_commit_lag_seconds", Help: "Time from a change's commit to its cache update.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}},
		[]string{"table"})
	// CDCEvents counts the change messages the binlog relay published.
	CDCEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clouddrive_cdc_events_total", Help: "Change messages published from the binlog."},
		[]string{"topic", "op"})
)

func init() {
	Registry.MustRegister(RPCRequests, RPCSeconds, UploadBytes, DownloadBytes, OutboxBacklog, ConsumerLag, Refused,
		CacheRequests, CacheLag, CDCEvents,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Handler serves the registry in the Prometheus text format (/metrics).
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}
