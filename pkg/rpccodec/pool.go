package rpccodec

import "sync"

const (
	// Below minPooled a copy is cheap garbage: not worth a pool's trip.
	minPooled = 16 << 10
	// Above maxPooled a buffer is left to the collector: one such message
	// must not pin its size in the pool.
	maxPooled = 16 << 20
	// Capacities are rounded up to a multiple of step, so that messages
	// of slightly different sizes share buffers.
	step = 64 << 10
)

var buffers sync.Pool // of *[]byte, len == cap

// get returns a buffer of n bytes, pooled when n is worth it. Its contents
// are whatever it last held: the caller overwrites all of it.
func get(n int) []byte {
	if n < minPooled || n > maxPooled {
		return make([]byte, n)
	}
	if p, ok := buffers.Get().(*[]byte); ok {
		if cap(*p) >= n {
			return (*p)[:n]
		}
		// Too small for this one: the collector takes it. Messages of
		// one stream have one size, so this is rare.
	}
	return make([]byte, n, (n+step-1)/step*step)
}

// Release gives back a pooled field's buffer (a received message's, which
// its handler owns) once nothing uses its bytes any more; the caller must
// not touch b afterwards. Buffers the codec did not hand out are welcome
// too: they are the receiver's all the same.
func Release(b []byte) {
	if cap(b) < minPooled || cap(b) > maxPooled {
		return
	}
	b = b[:cap(b)]
	buffers.Put(&b)
}
