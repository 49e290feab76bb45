// Command probe is the healthcheck of the drive's images: they are
// distroless (no shell, no curl), so docker-compose's healthchecks run
// `/app/probe http://127.0.0.1:8000/readyz`, which exits 0 when the URL
// answers 2xx within the timeout and 1 otherwise.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: probe URL")
		os.Exit(2)
	}
	os.Exit(check(os.Args[1], 3*time.Second))
}

// check returns the exit status for one GET of url.
func check(url string, timeout time.Duration) int {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintln(os.Stderr, url+": "+resp.Status)
		return 1
	}
	return 0
}
