// Package skeleton is what every service binary is made of, written once:
// the shared configuration (api/conf/v1 Common, from the file, Nacos and
// the environment), the logger with a level that changes live, tracing,
// the gRPC and HTTP servers with the shared chain plus metrics, tracing and
// overload protection, /metrics, /healthz and /readyz, registration in etcd,
// and clients of the other services by discovery or fixed address. A
// service gives a Module; its cmd/<svc>/main.go is a call to Main.
package skeleton
