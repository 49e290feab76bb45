-- Streams the file service's nodes table to Kafka as debezium-json: one
-- message per row change ({before, after, op}; an update is "d" with the old
-- row then "c" with the new one), keyed {"id": …} so that one node's changes
-- stay in order on one partition. cachesync keeps the Redis caches from it;
-- app/cdcrelay publishes the very same messages where Flink does not run.
-- submit.sh fills the ${…} placeholders from the environment.
-- The columns are the gorm model's (app/file/internal/data/models.go), in
-- its order; a test fails when they disagree.

SET 'pipeline.name' = 'clouddrive-cdc-file-nodes';
SET 'execution.checkpointing.interval' = '10s';

CREATE TABLE nodes_binlog (
  id            BIGINT NOT NULL,
  owner_id      BIGINT NOT NULL,
  parent_id     BIGINT NOT NULL,
  name_key      VARBINARY(1020) NOT NULL,
  live          TINYINT,
  kind          TINYINT NOT NULL,
  size          BIGINT NOT NULL,
  updated_at    TIMESTAMP(3),
  name          VARCHAR(255) NOT NULL,
  content_hash  VARCHAR(64) NOT NULL,
  mime          VARCHAR(255) NOT NULL,
  created_at    TIMESTAMP(3),
  trashed_at    TIMESTAMP(3),
  trash_root    BIGINT NOT NULL,
  version       BIGINT NOT NULL,
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = '${MYSQL_HOST}',
  'port' = '${MYSQL_PORT}',
  'username' = '${CDC_USER}',
  'password' = '${CDC_PASSWORD}',
  'database-name' = 'clouddrive_file',
  'table-name' = 'nodes',
  'server-id' = '5401-5404',
  'server-time-zone' = 'UTC',
  -- The caches fill by read-through: no snapshot of the table is needed,
  -- only what changes from now on (a restored job resumes from its
  -- checkpoint, not from here).
  'scan.startup.mode' = 'latest-offset'
);

CREATE TABLE nodes_changes (
  id            BIGINT NOT NULL,
  owner_id      BIGINT NOT NULL,
  parent_id     BIGINT NOT NULL,
  name_key      VARBINARY(1020) NOT NULL,
  live          TINYINT,
  kind          TINYINT NOT NULL,
  size          BIGINT NOT NULL,
  updated_at    TIMESTAMP(3),
  name          VARCHAR(255) NOT NULL,
  content_hash  VARCHAR(64) NOT NULL,
  mime          VARCHAR(255) NOT NULL,
  created_at    TIMESTAMP(3),
  trashed_at    TIMESTAMP(3),
  trash_root    BIGINT NOT NULL,
  version       BIGINT NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = 'cdc.file.nodes',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'key.format' = 'json',
  'key.fields' = 'id',
  'value.format' = 'debezium-json',
  'value.debezium-json.timestamp-format.standard' = 'SQL',
  'sink.delivery-guarantee' = 'at-least-once'
);

INSERT INTO nodes_changes SELECT * FROM nodes_binlog;
