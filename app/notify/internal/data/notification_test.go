package data

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"clouddrive/app/notify/internal/biz"
)

func TestCreateIsIdempotentPerEventAndRecipient(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		n, created := f.add(alice, "e1", biz.MailNone)
		if !created || n.ID == 0 {
			t.Fatalf("first insert: created %v id %d", created, n.ID)
		}
		dup, created := f.add(alice, "e1", biz.MailPending)
		if created || dup.ID != 0 {
			t.Fatalf("duplicate insert: created %v id %d, want nothing", created, dup.ID)
		}
		// The same event for another recipient is another notification.
		if _, created := f.add(bob, "e1", biz.MailNone); !created {
			t.Fatal("the same event for bob was taken for a duplicate")
		}
		if got := f.rows("event_id = ?", "e1"); got != 2 {
			t.Fatalf("%d rows for e1, want 2", got)
		}
		// The duplicate changed nothing of the first row.
		got, err := f.repo.List(f.ctx, biz.ListQuery{Recipient: alice, Limit: 10})
		if err != nil || len(got) != 1 {
			t.Fatalf("List = %v, %v", got, err)
		}
		if got[0].MailState != biz.MailNone || got[0].Data[biz.DataName] != "photos e1" || !got[0].CreatedAt.Equal(t0) {
			t.Errorf("stored %+v", got[0])
		}
	})
}

func TestConcurrentDuplicateDeliveriesMakeOneRow(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		const workers, events = 8, 20
		var wg sync.WaitGroup
		var mu sync.Mutex
		created := map[string]int{}
		errs := make(chan error, workers*events)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < events; i++ {
					n := &biz.Notification{Recipient: alice, EventID: eventName(i), Kind: biz.KindQuotaWarning, CreatedAt: t0}
					ok, err := f.repo.Create(f.ctx, n)
					if err != nil {
						errs <- err
						return
					}
					if ok {
						mu.Lock()
						created[n.EventID]++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for i := 0; i < events; i++ {
			if created[eventName(i)] != 1 {
				t.Errorf("%s reported created %d times, want once", eventName(i), created[eventName(i)])
			}
		}
		if got := f.rows("recipient_id = ?", alice); got != events {
			t.Errorf("%d rows, want %d", got, events)
		}
	})
}

func TestListPagesNewestFirstAndFiltersUnread(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		var mine []int64
		for i := 0; i < 7; i++ {
			n, _ := f.add(alice, eventName(i), biz.MailNone)
			mine = append(mine, n.ID)
			f.add(bob, eventName(i), biz.MailNone) // interleaved: never listed for alice
		}
		slices.Reverse(mine)
		var got []int64
		q := biz.ListQuery{Recipient: alice, Limit: 3}
		for {
			page, err := f.repo.List(f.ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(page)...)
			if len(page) < q.Limit {
				break
			}
			q.Before = page[len(page)-1].ID
		}
		if !slices.Equal(got, mine) {
			t.Fatalf("pages %v, want %v", got, mine)
		}
		// Read two; unread_only skips them, the count drops.
		if n, err := f.repo.MarkRead(f.ctx, alice, []int64{mine[0], mine[3]}, t0); err != nil || n != 2 {
			t.Fatalf("MarkRead = %d, %v", n, err)
		}
		unread, err := f.repo.List(f.ctx, biz.ListQuery{Recipient: alice, UnreadOnly: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Concat(mine[1:3], mine[4:])
		if !slices.Equal(ids(unread), want) {
			t.Errorf("unread %v, want %v", ids(unread), want)
		}
		if c, err := f.repo.UnreadCount(f.ctx, alice); err != nil || c != 5 {
			t.Errorf("UnreadCount(alice) = %d, %v; want 5", c, err)
		}
		if c, err := f.repo.UnreadCount(f.ctx, bob); err != nil || c != 7 {
			t.Errorf("UnreadCount(bob) = %d, %v; want 7", c, err)
		}
		all, _ := f.repo.List(f.ctx, biz.ListQuery{Recipient: alice, Limit: 1})
		if !all[0].Read() || !all[0].ReadAt.Equal(t0) {
			t.Errorf("newest read at %v, want %v", all[0].ReadAt, t0)
		}
	})
}

func TestMarkReadIsOwnerFiltered(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		a1, _ := f.add(alice, "a1", biz.MailNone)
		a2, _ := f.add(alice, "a2", biz.MailNone)
		b1, _ := f.add(bob, "b1", biz.MailNone)
		if n, err := f.repo.CountOwned(f.ctx, bob, []int64{a1.ID, b1.ID}); err != nil || n != 1 {
			t.Fatalf("CountOwned(bob, a1 b1) = %d, %v; want 1", n, err)
		}
		if n, err := f.repo.MarkRead(f.ctx, bob, []int64{a1.ID, a2.ID}, t0); err != nil || n != 0 {
			t.Fatalf("bob marked %d of alice's (%v)", n, err)
		}
		if n, err := f.repo.MarkRead(f.ctx, bob, nil, t0); err != nil || n != 1 {
			t.Fatalf("bob marked all: %d, %v; want his 1", n, err)
		}
		if c, _ := f.repo.UnreadCount(f.ctx, alice); c != 2 {
			t.Fatalf("alice has %d unread after bob's calls, want 2", c)
		}
		// Marking again changes nothing and counts nothing.
		if n, _ := f.repo.MarkRead(f.ctx, alice, []int64{a1.ID}, t0); n != 1 {
			t.Fatalf("alice marked %d, want 1", n)
		}
		if n, _ := f.repo.MarkRead(f.ctx, alice, []int64{a1.ID}, t0.Add(time.Hour)); n != 0 {
			t.Fatalf("marking a read one again counted %d", n)
		}
		if n, _ := f.repo.MarkRead(f.ctx, alice, nil, t0); n != 1 {
			t.Fatalf("alice marked all: %d, want the 1 left", n)
		}
	})
}

func TestMarkReadManyIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		var all []int64
		for i := 0; i < 1100; i++ { // more than one IN chunk
			all = append(all, int64(i+1))
		}
		rows := make([]notificationModel, 600)
		for i := range rows {
			rows[i] = notificationModel{RecipientID: alice, EventID: fmt.Sprint("m", i), Kind: "quota_warning", Data: "{}", CreatedAt: t0}
		}
		if err := f.db.CreateInBatches(rows, 200).Error; err != nil {
			t.Fatal(err)
		}
		if n, err := f.repo.CountOwned(f.ctx, alice, all); err != nil || n != 600 {
			t.Fatalf("CountOwned = %d, %v", n, err)
		}
		if n, err := f.repo.MarkRead(f.ctx, alice, all, t0); err != nil || n != 600 {
			t.Fatalf("MarkRead = %d, %v", n, err)
		}
	})
}

func TestMailQueueClaimsOnceAndRetries(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		p1, _ := f.add(alice, "p1", biz.MailPending)
		p2, _ := f.add(bob, "p2", biz.MailPending)
		f.add(alice, "none", biz.MailNone)
		lease := t0.Add(2 * time.Minute)

		// Two senders race for the queue: each email goes to one of them.
		var wg sync.WaitGroup
		got := make([][]*biz.Notification, 4)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ns, err := f.queue.ClaimMail(f.ctx, t0, lease, 10)
				if err != nil {
					t.Error(err)
				}
				got[i] = ns
			}()
		}
		wg.Wait()
		var claimed []int64
		for _, ns := range got {
			for _, n := range ns {
				claimed = append(claimed, n.ID)
				if n.MailAttempts != 1 || !n.MailAfter.Equal(lease) {
					t.Errorf("claimed %d: attempts %d after %v", n.ID, n.MailAttempts, n.MailAfter)
				}
			}
		}
		slices.Sort(claimed)
		if !slices.Equal(claimed, []int64{p1.ID, p2.ID}) {
			t.Fatalf("claimed %v, want each of %d %d once", claimed, p1.ID, p2.ID)
		}
		// Leased: nothing due until the lease ends.
		if ns, _ := f.queue.ClaimMail(f.ctx, t0.Add(time.Minute), lease, 10); len(ns) != 0 {
			t.Fatalf("claimed %v during the lease", ids(ns))
		}
		// p1 sent; p2 failed and is retried later.
		if err := f.queue.FinishMail(f.ctx, p1.ID, biz.MailSent, time.Time{}); err != nil {
			t.Fatal(err)
		}
		retry := t0.Add(5 * time.Minute)
		if err := f.queue.FinishMail(f.ctx, p2.ID, biz.MailPending, retry); err != nil {
			t.Fatal(err)
		}
		if ns, _ := f.queue.ClaimMail(f.ctx, retry.Add(-time.Second), retry.Add(time.Hour), 10); len(ns) != 0 {
			t.Fatalf("claimed %v before the retry time", ids(ns))
		}
		ns, err := f.queue.ClaimMail(f.ctx, retry, retry.Add(time.Hour), 10)
		if err != nil || len(ns) != 1 || ns[0].ID != p2.ID || ns[0].MailAttempts != 2 {
			t.Fatalf("retry claim = %+v, %v; want p2 on its 2nd attempt", ns, err)
		}
		if f.rows("mail_state = ? AND mail_after IS NULL", int8(biz.MailSent)) != 1 {
			t.Error("the sent email is not recorded as sent")
		}
		// The in-app side never moved.
		if c, _ := f.repo.UnreadCount(f.ctx, alice); c != 2 {
			t.Errorf("alice has %d unread, want 2", c)
		}
	})
}
