package cachesync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"clouddrive/pkg/cdc"
	"clouddrive/pkg/events"
)

// WaitCaughtUp waits until the consumer group has applied every change on
// its topics when it was called: for each partition, the group's committed
// offset reaches the end the partition had then (offsets are committed only
// past applied changes, about once a second). With cdcrelay.WaitCaughtUp
// before it, everything the database had written has then reached Redis.
func WaitCaughtUp(ctx context.Context, c *Config) error {
	e := c.GetEvents()
	group := e.GetGroup()
	if group == "" {
		group = "cachesync"
	}
	client, err := sarama.NewClient(e.GetBrokers(), events.KafkaConfig("cachesync-caught-up"))
	if err != nil {
		return err
	}
	defer client.Close()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return err
	}
	// The ends to reach, taken once: later changes are not waited for.
	ends := map[string]map[int32]int64{}
	parts := map[string][]int32{}
	for _, topic := range []string{cdc.TopicNodes, cdc.TopicQuotas} {
		ps, err := client.Partitions(topic)
		if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			continue // nothing was ever published to it
		}
		if err != nil {
			return err
		}
		ends[topic] = map[int32]int64{}
		for _, p := range ps {
			end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
			if err != nil {
				return err
			}
			if end > 0 {
				ends[topic][p] = end
				parts[topic] = append(parts[topic], p)
			}
		}
	}
	for {
		behind := ""
		if len(parts) > 0 {
			resp, err := admin.ListConsumerGroupOffsets(group, parts)
			if err != nil {
				return err
			}
			for topic, ps := range ends {
				for p, end := range ps {
					b := resp.GetBlock(topic, p)
					if b == nil || b.Offset < end {
						at := int64(-1)
						if b != nil {
							at = b.Offset
						}
						behind += fmt.Sprintf(" %s/%d at %d of %d;", topic, p, at, end)
					}
				}
			}
		}
		if behind == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cachesync: group %s behind:%s %w", group, behind, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// CaughtUpMain is `cachesync caught-up [-conf FILE] [-wait D]`: WaitCaughtUp
// with cachesync's configuration, for scripts (deploy/local/cluster.sh empty).
func CaughtUpMain(args []string) int {
	return cdc.CaughtUpMain("cachesync", "its topics", args, LoadConfig, WaitCaughtUp)
}
