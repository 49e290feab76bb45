#!/bin/sh
# The account Flink CDC reads the binlog with (flink/grants.sql's privileges:
# a replica's reads, no write), made at MySQL's first start by the image's
# initdb step with the password docker-compose passes as CDC_PASSWORD.
set -eu
mysql -uroot -p"$MYSQL_ROOT_PASSWORD" <<SQL
CREATE USER IF NOT EXISTS 'cdc'@'%' IDENTIFIED BY '${CDC_PASSWORD}';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'cdc'@'%';
FLUSH PRIVILEGES;
SQL
