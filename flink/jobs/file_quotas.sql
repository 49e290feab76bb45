-- Streams the file service's quotas table to Kafka as debezium-json, keyed
-- {"owner_id": …}: the usage cache follows it. Same shape as
-- file_nodes.sql; submit.sh fills the ${…} placeholders. The columns are
-- the gorm model's (app/file/internal/data/models.go); a test holds them to it.

SET 'pipeline.name' = 'clouddrive-cdc-file-quotas';
SET 'execution.checkpointing.interval' = '10s';

CREATE TABLE quotas_binlog (
  owner_id     BIGINT NOT NULL,
  used_bytes   BIGINT NOT NULL,
  limit_bytes  BIGINT NOT NULL,
  updated_at   TIMESTAMP(3),
  version      BIGINT NOT NULL,
  PRIMARY KEY (owner_id) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = '${MYSQL_HOST}',
  'port' = '${MYSQL_PORT}',
  'username' = '${CDC_USER}',
  'password' = '${CDC_PASSWORD}',
  'database-name' = 'clouddrive_file',
  'table-name' = 'quotas',
  'server-id' = '5405-5406',
  'server-time-zone' = 'UTC',
  'scan.startup.mode' = 'latest-offset'
);

CREATE TABLE quotas_changes (
  owner_id     BIGINT NOT NULL,
  used_bytes   BIGINT NOT NULL,
  limit_bytes  BIGINT NOT NULL,
  updated_at   TIMESTAMP(3),
  version      BIGINT NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = 'cdc.file.quotas',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'key.format' = 'json',
  'key.fields' = 'owner_id',
  'value.format' = 'debezium-json',
  'value.debezium-json.timestamp-format.standard' = 'SQL',
  'sink.delivery-guarantee' = 'at-least-once'
);

INSERT INTO quotas_changes SELECT * FROM quotas_binlog;
