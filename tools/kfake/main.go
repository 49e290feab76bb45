// Command kfake runs a Kafka-protocol broker (franz-go's kfake) as a process
// of its own: `make cluster` needs a broker and Kafka itself (Java) cannot be
// installed here. Topics are created on first use, as the services'
// producers and consumers expect. It stops on SIGINT or SIGTERM.
//
// With -data, the broker keeps its log, topics and the consumer groups'
// committed offsets in that folder and reloads them when it starts again, as
// a Kafka broker does: events published and not yet consumed survive a
// restart, even a SIGKILL (writes reach the page cache at once). Without it
// the broker keeps everything in memory and comes back empty.
//
// The drive's topics (-topics) are created at start: kfake writes down a
// topic it auto-creates only when it stops cleanly, so after a SIGKILL the
// log of such a topic would be on disk but not loaded.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"

	"clouddrive/pkg/cdc"
	"clouddrive/pkg/events"
)

func main() {
	port := flag.Int("port", 9092, "port of the broker on 127.0.0.1")
	partitions := flag.Int("partitions", 3, "partitions of an auto-created topic")
	data := flag.String("data", "", "folder to keep the log and offsets in across restarts (empty: memory only)")
	topics := flag.String("topics", strings.Join(driveTopics, ","), "topics to create at start (comma-separated)")
	flag.Parse()
	c, err := newBroker(*port, *partitions, *data, strings.Split(*topics, ","))
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake:", err)
		os.Exit(1)
	}
	fmt.Println("kfake: listening on", c.ListenAddrs())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	c.Close()
	fmt.Println("kfake: stopped")
}

// driveTopics are the topics the services publish to.
var driveTopics = []string{events.TopicFile, events.TopicShare, events.TopicUser, cdc.TopicNodes, cdc.TopicQuotas}

// newBroker starts the broker on port (0: any), persisted in data unless
// empty, with topics created.
func newBroker(port, partitions int, data string, topics []string) (*kfake.Cluster, error) {
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(partitions),
	}
	if data != "" {
		opts = append(opts, kfake.DataDir(data))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, err
	}
	for _, t := range topics {
		if t == "" {
			continue
		}
		// Created anew, or loaded from data already.
		if err := c.CreateTopic(t, int32(partitions), nil); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			c.Close()
			return nil, fmt.Errorf("creating topic %s: %w", t, err)
		}
	}
	return c, nil
}
