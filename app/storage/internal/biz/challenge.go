package biz

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"
)

// The proof of possession. A client that wants an instant upload proves it
// holds the file by hashing a nonce with several ranges of it. Two rules make
// a partial copy useless:
//   - the challenge cannot be re-rolled: nonce and ranges are an HMAC of
//     (user, content hash, size, period), so asking again in the same period
//     gives the same ranges, and proofs are counted per (user, content, period);
//   - the ranges are spread over the whole file: one window in each of
//     challengeRanges equal segments (the whole file when it is small), so
//     someone who holds a fraction f of the file, wherever it lies, passes
//     with a probability of about f^challengeRanges (2^-32 for half of it).
const (
	challengeRanges   = 32
	challengeRangeLen = 4 << 10
)

// Range is a part of a file: length bytes from offset.
type Range struct{ Offset, Length int64 }

func (p *Policy) challengePeriod(now time.Time) int64 {
	d := p.ProofPeriod
	if d <= 0 {
		d = 24 * time.Hour
	}
	return now.Unix() / int64(d/time.Second)
}

func (p *Policy) challengeNonce(owner int64, hash string, size, period int64) []byte {
	m := hmac.New(sha256.New, p.ProofKey)
	m.Write([]byte("proof-of-possession\x00"))
	m.Write([]byte(strconv.FormatInt(owner, 10) + "\x00" + hash + "\x00" +
		strconv.FormatInt(size, 10) + "\x00" + strconv.FormatInt(period, 10)))
	return m.Sum(nil)[:16]
}

// ChallengeRanges are the ranges of a file of size bytes that nonce selects.
func (p *Policy) ChallengeRanges(nonce []byte, size int64) []Range {
	if size <= challengeRanges*challengeRangeLen {
		return []Range{{0, size}}
	}
	out := make([]Range, challengeRanges)
	m := hmac.New(sha256.New, p.ProofKey)
	for i := int64(0); i < challengeRanges; i++ {
		start, end := i*size/challengeRanges, (i+1)*size/challengeRanges
		m.Reset()
		m.Write([]byte("range\x00"))
		m.Write(nonce)
		m.Write(binary.BigEndian.AppendUint64(nil, uint64(i)))
		span := uint64(end - start - challengeRangeLen + 1)
		out[i] = Range{Offset: start + int64(binary.BigEndian.Uint64(m.Sum(nil)[:8])%span), Length: challengeRangeLen}
	}
	return out
}
