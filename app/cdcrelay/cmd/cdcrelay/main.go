// Command cdcrelay publishes the file service's binlog to Kafka as Flink CDC
// would, for hosts without Flink (pkg/skeleton: /healthz, /readyz, /metrics).
package main

import "clouddrive/app/cdcrelay"

func main() { cdcrelay.Main() }
