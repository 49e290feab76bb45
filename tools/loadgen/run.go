package main

// The run: users signed up from addresses of their own (the user service
// caps sign-ups and sign-ins per address), the mix, the samplers, the
// report.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"clouddrive/tools/loadgen/drive"
)

type options struct {
	standalone, cluster string
	users               int
	duration, window    time.Duration
	bigSize             int64
	bigAtOnce           int
	faults              bool
	faultEvery          time.Duration
	report              string
	rnd                 *rand.Rand
}

// The operations of the mix, with their weights.
const (
	opList     = "list"
	opSmall    = "upload small"
	opBig      = "upload large"
	opDownload = "download"
	opShare    = "share"
	opOpen     = "open share"
)

var mix = []struct {
	op     string
	weight int
}{{opList, 30}, {opSmall, 20}, {opDownload, 20}, {opShare, 10}, {opOpen, 15}, {opBig, 5}}

type ownFile struct {
	id, name string
	ct       drive.Content
}

type user struct {
	c     *drive.Client
	tr    *http.Transport
	rnd   *rand.Rand
	files []ownFile
	// tried is every upload sent, acknowledged or not: a file listed at the
	// end must be one of them, whole.
	tried map[string]drive.Content
	acked map[string]bool
	seq   int
}

// stats gathers latencies and errors per operation.
type stats struct {
	mu      sync.Mutex
	lat     map[string][]time.Duration
	errs    map[string]int
	unclear map[string]int // errors without a reason (transport, timeout, bare 500)
	samples map[string][]string
	// unclearSamples: the first errors without a reason, whatever the op.
	unclearSamples []string
	bytes          atomic.Int64
}

func newStats() *stats {
	return &stats{lat: map[string][]time.Duration{}, errs: map[string]int{}, unclear: map[string]int{}, samples: map[string][]string{}}
}

func (s *stats) record(op string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.lat[op] = append(s.lat[op], d)
		return
	}
	s.errs[op]++
	if !drive.Clear(err) {
		s.unclear[op]++
	}
	if len(s.samples[op]) < 5 {
		s.samples[op] = append(s.samples[op], err.Error())
	}
	if !drive.Clear(err) && len(s.unclearSamples) < 20 {
		s.unclearSamples = append(s.unclearSamples, op+": "+err.Error())
	}
}

type shareRef struct{ token, code string }

type shared struct {
	mu     sync.Mutex
	shares []shareRef
}

func (s *shared) add(r shareRef) {
	s.mu.Lock()
	s.shares = append(s.shares, r)
	s.mu.Unlock()
}

func (s *shared) pick(rnd *rand.Rand) (shareRef, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.shares) == 0 {
		return shareRef{}, false
	}
	return s.shares[rnd.IntN(len(s.shares))], true
}

func run(ctx context.Context, o *options) (bool, error) {
	var (
		t   *target
		err error
	)
	if o.standalone != "" {
		t, err = startStandalone(o.standalone)
	} else {
		t, err = openCluster(o.cluster)
	}
	if err != nil {
		return false, err
	}
	defer t.stop()
	fmt.Fprintf(os.Stderr, "loadgen: %d users against %s for %v\n", o.users, t.base, o.duration)

	users, err := signUp(ctx, o, t.base)
	if err != nil {
		return false, err
	}
	closeIdle(users)
	time.Sleep(2 * time.Second)
	before := lookAll(t)

	st := newStats()
	var sh shared
	big := make(chan struct{}, o.bigAtOnce)
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	start := time.Now()

	rss := map[string][]rssAt{}
	var rssMu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // one look a second at every process
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
				for _, p := range t.procs {
					if s, err := look(p, t.ports); err == nil {
						rssMu.Lock()
						rss[p.name] = append(rss[p.name], rssAt{time.Since(start), s.rss})
						rssMu.Unlock()
					}
				}
			}
		}
	}()
	var fl *faultLog
	if o.faults {
		fl = &faultLog{}
		wg.Add(1)
		go func() { defer wg.Done(); injectFaults(runCtx, o, t, fl, st) }()
	}
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				u.step(runCtx, o, st, &sh, big)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var check []string
	if o.faults {
		check = verify(ctx, users)
	}
	closeIdle(users)
	time.Sleep(5 * time.Second) // connections and their goroutines wind down
	after := lookAll(t)
	rep := report(o, t, st, elapsed, before, after, rss, fl, check)
	fmt.Print(rep)
	if o.report != "" {
		if err := os.WriteFile(o.report, []byte(rep), 0o644); err != nil {
			return false, err
		}
	}
	total, unclear := 0, 0
	for op := range st.errs {
		total += st.errs[op]
		unclear += st.unclear[op]
	}
	// The binary's data folder goes with it: keep its log when there is
	// something to look into.
	if total > 0 && t.log != "" && o.report != "" {
		if b, err := os.ReadFile(t.log); err == nil {
			kept := strings.TrimSuffix(o.report, ".md") + ".server.log"
			if os.WriteFile(kept, b, 0o644) == nil {
				fmt.Fprintln(os.Stderr, "loadgen: errors; the server's log is kept in", kept)
			}
		}
	}
	if o.faults {
		return unclear == 0 && len(check) == 0, nil
	}
	return total == 0, nil
}

type rssAt struct {
	at  time.Duration
	rss int64
}

func lookAll(t *target) map[string]sample {
	out := map[string]sample{}
	for _, p := range t.procs {
		if s, err := look(p, t.ports); err == nil {
			out[p.name] = s
		}
	}
	return out
}

func closeIdle(users []*user) {
	for _, u := range users {
		u.tr.CloseIdleConnections()
	}
}

// signUp makes the users, each from a loopback address of its own (a
// random /16 of 127/8 per run, so runs within the hour do not meet the
// sign-up cap), with one small file each to download and share.
func signUp(ctx context.Context, o *options, base string) ([]*user, error) {
	net16 := 2 + o.rnd.IntN(250)
	run := o.rnd.Uint64()
	users := make([]*user, o.users)
	errc := make(chan error, o.users)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ip := net.IPv4(127, byte(net16), byte(i/250), byte(1+i%250))
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
			tr := &http.Transport{Proxy: nil, DialContext: d.DialContext, MaxIdleConnsPerHost: 4, DisableCompression: true}
			u := &user{c: drive.New(base, &http.Client{Transport: tr, Timeout: 5 * time.Minute}), tr: tr,
				rnd: rand.New(rand.NewPCG(run, uint64(i))), tried: map[string]drive.Content{}, acked: map[string]bool{}}
			name := fmt.Sprintf("load%x%d", run&0xffffff, i)
			cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			// Sign-up is set-up, not load: a call shed while bcrypt keeps
			// the cores busy is tried again.
			pw := fmt.Sprintf("Pw-%x-z9", u.rnd.Uint64())
			for try := 0; ; try++ {
				err := u.c.SignUp(cctx, name, pw)
				if err == nil {
					break
				}
				if r := drive.ReasonOf(err); (r != "RATELIMIT" && r != "UNAVAILABLE") || try == 20 {
					errc <- fmt.Errorf("sign up %s: %w", name, err)
					return
				}
				time.Sleep(time.Duration(500+u.rnd.IntN(1000)) * time.Millisecond)
			}
			if err := u.uploadSmall(cctx); err != nil {
				errc <- fmt.Errorf("first upload of %s: %w", name, err)
				return
			}
			users[i] = u
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	return users, nil
}

func (u *user) pick() string {
	total := 0
	for _, m := range mix {
		total += m.weight
	}
	n := u.rnd.IntN(total)
	for _, m := range mix {
		if n < m.weight {
			return m.op
		}
		n -= m.weight
	}
	return opList
}

// step does one operation of the mix and records it.
func (u *user) step(ctx context.Context, o *options, st *stats, sh *shared, big chan struct{}) {
	op := u.pick()
	if op == opBig {
		select {
		case big <- struct{}{}:
			defer func() { <-big }()
		default:
			op = opSmall
		}
	}
	began := time.Now()
	var err error
	switch op {
	case opList:
		_, _, err = u.c.List(ctx, "", 100, "")
	case opSmall:
		err = u.uploadSmall(ctx)
	case opBig:
		err = u.upload(ctx, drive.NewContent(u.rnd.Uint64(), o.bigSize))
		st.bytes.Add(o.bigSize)
	case opDownload:
		f := u.files[u.rnd.IntN(len(u.files))]
		var h string
		var n int64
		h, n, err = u.c.Download(ctx, f.id)
		if err == nil && (h != f.ct.Hash() || n != f.ct.Size) {
			err = fmt.Errorf("download of %s: %d bytes hash %s, want %d %s", f.name, n, h, f.ct.Size, f.ct.Hash())
		}
	case opShare:
		f := u.files[u.rnd.IntN(len(u.files))]
		var s drive.Share
		if s, err = u.c.CreateShare(ctx, f.id, ""); err == nil {
			sh.add(shareRef{s.Token, s.Code})
		}
	case opOpen:
		r, ok := sh.pick(u.rnd)
		if !ok {
			_, _, err = u.c.List(ctx, "", 100, "")
			op = opList
			break
		}
		err = u.c.OpenShare(ctx, r.token, r.code)
	}
	if err != nil && ctx.Err() != nil {
		return // cut by the end of the run, not a failure
	}
	st.record(op, time.Since(began), err)
}

func (u *user) uploadSmall(ctx context.Context) error {
	ct := drive.NewContent(u.rnd.Uint64(), int64(4<<10+u.rnd.IntN(1<<20)))
	u.seq++
	name := fmt.Sprintf("small-%d.bin", u.seq)
	u.tried[name] = ct
	n, err := u.c.PutFile(ctx, "", name, ct.Bytes(0, ct.Size))
	if err != nil {
		return err
	}
	u.acked[name] = true
	u.files = append(u.files, ownFile{n.ID, name, ct})
	return nil
}

func (u *user) upload(ctx context.Context, ct drive.Content) error {
	u.seq++
	name := fmt.Sprintf("big-%d.bin", u.seq)
	u.tried[name] = ct
	n, err := u.c.Upload(ctx, "", name, ct)
	if err != nil {
		return err
	}
	u.acked[name] = true
	u.files = append(u.files, ownFile{n.ID, name, ct})
	return nil
}

// verify checks, after a soak, that every acknowledged upload is listed
// whole, every listed file is one that was sent (whole), and each quota is
// the sum of the live files. It returns what is wrong.
func verify(ctx context.Context, users []*user) []string {
	var out []string
	for _, u := range users {
		var nodes []drive.Node
		var err error
		for try := 0; try < 20; try++ {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			nodes, err = u.c.ListAll(cctx, "")
			cancel()
			if err == nil {
				break
			}
			time.Sleep(3 * time.Second)
		}
		if err != nil {
			out = append(out, fmt.Sprintf("listing a user's files: %v", err))
			continue
		}
		seen := map[string]bool{}
		var sum int64
		for _, n := range nodes {
			seen[n.Name] = true
			sum += int64(n.Size)
			ct, ok := u.tried[n.Name]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%q listed but never sent", n.Name))
			case n.ContentHash != ct.Hash() || int64(n.Size) != ct.Size:
				out = append(out, fmt.Sprintf("%q listed with %d bytes hash %s, sent %d %s (partial?)", n.Name, n.Size, n.ContentHash, ct.Size, ct.Hash()))
			}
		}
		for name := range u.acked {
			if !seen[name] {
				out = append(out, fmt.Sprintf("acknowledged upload %q lost", name))
			}
		}
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		us, err := u.c.Usage(cctx)
		cancel()
		if err != nil {
			out = append(out, fmt.Sprintf("usage: %v", err))
		} else if int64(us.Used) != sum {
			out = append(out, fmt.Sprintf("quota used %d bytes, live files sum to %d", us.Used, sum))
		}
	}
	sort.Strings(out)
	return out
}
