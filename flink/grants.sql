-- The account the change readers log in with: Flink CDC's mysql-cdc source
-- (flink/jobs) and, on one host, app/cdcrelay. They read the binlog as a
-- replica would (REPLICATION SLAVE, REPLICATION CLIENT), look up the tables'
-- columns and the binlog position (SELECT, SHOW DATABASES, RELOAD for the
-- snapshot's FLUSH), and nothing else: no write privilege at all.
-- The password here is the local default; a deployment sets its own with
-- ALTER USER from its secret store before the jobs start.
CREATE USER IF NOT EXISTS 'cdc'@'%' IDENTIFIED BY 'cdc-local-only';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'cdc'@'%';
FLUSH PRIVILEGES;
