package apiserver

import "time"

// Limits bound what one client may hold on a server: bodies, headers,
// streams and stalled transfers. A zero field takes its default.
type Limits struct {
	// Body caps a transcoded call's JSON body; BodyFor overrides it per
	// operation ("/pkg.Service/Method") where a real request is larger.
	Body    int64
	BodyFor map[string]int64
	// HeaderBytes caps a request's headers (HTTP) or metadata (gRPC).
	HeaderBytes uint32
	// StreamsPerConn caps the concurrent gRPC streams of one connection;
	// StreamsPerUser those of one caller on this server (refused beyond
	// with RATE_LIMITED).
	StreamsPerConn uint32
	StreamsPerUser int
	// Stall ends a transfer whose peer stopped taking bytes: a gRPC send or
	// an HTTP write that cannot progress for this long. It never bounds a
	// transfer that keeps moving.
	Stall time.Duration
	// ReadHeaderTimeout closes an HTTP connection that does not finish its
	// headers in time; IdleTimeout one that sends no next request.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
}

// Defaults of Limits.
const (
	DefaultBody              = 1 << 20
	DefaultHeaderBytes       = 64 << 10
	DefaultStreamsPerConn    = 1000 // the gateway multiplexes many users on one connection
	DefaultStreamsPerUser    = 32   // the CLI runs 4 transfers at once by default
	DefaultStall             = time.Minute
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
)

func (l Limits) withDefaults() Limits {
	if l.Body <= 0 {
		l.Body = DefaultBody
	}
	if l.HeaderBytes == 0 {
		l.HeaderBytes = DefaultHeaderBytes
	}
	if l.StreamsPerConn == 0 {
		l.StreamsPerConn = DefaultStreamsPerConn
	}
	if l.StreamsPerUser <= 0 {
		l.StreamsPerUser = DefaultStreamsPerUser
	}
	if l.Stall <= 0 {
		l.Stall = DefaultStall
	}
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = DefaultIdleTimeout
	}
	return l
}

// bodyLimit is the body cap of operation.
func (l Limits) bodyLimit(operation string) int64 {
	if n, ok := l.BodyFor[operation]; ok && n > 0 {
		return n
	}
	return l.Body
}
