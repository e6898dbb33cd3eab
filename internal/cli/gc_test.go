package cli

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	current := func() int { p := debug.SetGCPercent(100); debug.SetGCPercent(p); return p }
	unset := func(string) string { return "" }
	if p, ok := tuneGC(unset); !ok || p != serverGCPercent || current() != serverGCPercent {
		t.Errorf("GOGC unset: set %d (%v), collector at %d; want %d", p, ok, current(), serverGCPercent)
	}
	debug.SetGCPercent(150) // as the runtime does for GOGC=150
	operator := func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	}
	if _, ok := tuneGC(operator); ok || current() != 150 {
		t.Errorf("GOGC=150: tuneGC set it (%v), collector at %d; want the operator's 150", ok, current())
	}
}
