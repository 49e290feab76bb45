package data

import (
	"strings"
	"testing"
)

// A simulated reboot changes the store's boot, and keeps the kernel's id in
// it: the variable can add suspicion, never take away a real reboot's.
func TestSimulatedBoot(t *testing.T) {
	t.Setenv(simulatedBootEnv, "")
	plain := bootID()
	t.Setenv(simulatedBootEnv, "second")
	second := bootID()
	if second == plain || !strings.HasSuffix(second, "+second") {
		t.Fatalf("boot with %s=second is %q (without: %q)", simulatedBootEnv, second, plain)
	}
	if !strings.HasPrefix(plain, "process-") && !strings.HasPrefix(second, plain) {
		t.Fatalf("the kernel's boot id %q is not kept in %q", plain, second)
	}
	s, err := NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(s.bootTag(), "+second") {
		t.Fatalf("the store's chunk tag %q does not name the simulated boot", s.bootTag())
	}
}
