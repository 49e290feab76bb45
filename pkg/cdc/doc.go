// Package cdc is the change stream of the file service's tables as Flink CDC
// writes it to Kafka (debezium-json, keyed by primary key), and the Redis
// layout of the caches that stream keeps: cdcrelay produces the messages,
// cachesync applies them, and the file service reads through the same keys.
package cdc
