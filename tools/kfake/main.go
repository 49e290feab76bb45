// Command kfake runs a Kafka-protocol broker in memory (franz-go's kfake) as
// a process of its own: `make cluster` needs a broker and Kafka itself (Java)
// cannot be installed here. Topics are created on first use, as the
// services' producers and consumers expect. It stops on SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	port := flag.Int("port", 9092, "port of the broker on 127.0.0.1")
	partitions := flag.Int("partitions", 3, "partitions of an auto-created topic")
	flag.Parse()
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(*port),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(*partitions),
	)
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
