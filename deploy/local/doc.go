// Package local holds the acceptance tests of `make cluster`
// (cluster_test.go); the cluster itself is cluster.sh, run by the Makefile.
package local
