package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// The test binary runs the broker itself when asked (KFAKE_MAIN), so the
// test can SIGKILL a real process.
func TestMain(m *testing.M) {
	if os.Getenv("KFAKE_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// broker runs this command on port with args, until killed.
func broker(t *testing.T, port int, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-port", fmt.Sprint(port)}, args...)...)
	cmd.Env = append(os.Environ(), "KFAKE_MAIN=1")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return cmd
		}
		if i == 300 {
			t.Fatalf("the broker never listened on %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond) // waiting for it to listen, not timing it
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func client(t *testing.T, port int) sarama.Client {
	t.Helper()
	c := sarama.NewConfig()
	c.Version = sarama.V2_8_0_0
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Return.Successes = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	cl, err := sarama.NewClient([]string{fmt.Sprintf("127.0.0.1:%d", port)}, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// With -data, what a consumer had not read yet and where its group stood
// survive a SIGKILL of the broker: the fault suite's broker restart is a
// restart, not a new empty broker.
func TestDataSurvivesSIGKILL(t *testing.T) {
	dir, port := t.TempDir(), freePort(t)
	const topic, group = "events", "notify"
	b := broker(t, port, "-partitions", "1", "-data", dir, "-topics", topic)
	cl := client(t, port)
	p, err := sarama.NewSyncProducerFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(fmt.Sprint("event ", i))}); err != nil {
			t.Fatal(err)
		}
	}
	consumeTwo(t, cl, topic, group) // the group has consumed events 0 and 1
	_ = p.Close()
	_ = cl.Close()

	if err := b.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = b.Wait()
	broker(t, port, "-partitions", "1", "-data", dir, "-topics", topic)
	cl = client(t, port)

	admin, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	offs, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0}})
	if err != nil {
		t.Fatal(err)
	}
	if got := offs.GetBlock(topic, 0); got == nil || got.Offset != 2 {
		t.Fatalf("the group's committed offset after the restart: %+v, want 2", got)
	}
	cons, err := sarama.NewConsumerFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := cons.ConsumePartition(topic, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for i := 2; i < 5; i++ {
		select {
		case m := <-pc.Messages():
			if string(m.Value) != fmt.Sprint("event ", i) {
				t.Fatalf("offset %d after the restart: %q, want %q", m.Offset, m.Value, fmt.Sprint("event ", i))
			}
		case err := <-pc.Errors():
			t.Fatal(err)
		case <-time.After(time.Minute): // only so a loss fails instead of hanging
			t.Fatalf("event %d, published before the SIGKILL and not consumed, is gone", i)
		}
	}
}

// consumeTwo has group consume the first two events of topic and commit.
func consumeTwo(t *testing.T, cl sarama.Client, topic, group string) {
	t.Helper()
	g, err := sarama.NewConsumerGroupFromClient(group, cl)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // only so a hang fails
	defer cancel()
	h := &firstTwo{done: cancel}
	if err := g.Consume(ctx, []string{topic}, h); err != nil {
		t.Fatal(err)
	}
	if h.n != 2 {
		t.Fatalf("the group consumed %d events before it stopped, want 2", h.n)
	}
}

// firstTwo marks the first two messages and ends the session, which commits.
type firstTwo struct {
	n    int
	done func()
}

func (*firstTwo) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (*firstTwo) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *firstTwo) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		s.MarkMessage(m, "")
		if h.n++; h.n == 2 {
			s.Commit()
			h.done()
			return nil
		}
	}
	return nil
}
