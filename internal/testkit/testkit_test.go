package testkit

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLockedBufferConcurrentWriters(t *testing.T) {
	var b LockedBuffer
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 100 {
				fmt.Fprintf(&b, "w%d-%d\n", i, j)
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 400 {
		t.Fatalf("%d lines, want 400", n)
	}
}

func TestProcWaitLogAndStop(t *testing.T) {
	RequireTools(t, "sh")
	// The trap is set before the line the test waits for: a TERM that
	// came between the two would kill the shell outright.
	p := Start(t, "sh", exec.Command("sh", "-c", `trap 'echo bye; exit 3' TERM; echo "ready port=4242"; while :; do sleep 0.05; done`), "")
	m := p.WaitLog(regexp.MustCompile(`ready port=(\d+)`), time.Minute)
	if m[1] != "4242" {
		t.Fatalf("submatch %q", m[1])
	}
	if !p.Running() {
		t.Fatal("not running after its first line")
	}
	if code := p.Stop(); code != 3 {
		t.Fatalf("exit code %d, want 3 (the TERM trap)", code)
	}
	if _, err := p.PollLog(regexp.MustCompile(`bye`), 0, time.Second); err != nil {
		t.Fatalf("the last line: %v", err)
	}
	if _, err := p.PollLog(regexp.MustCompile(`never`), 0, time.Minute); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("a line after the exit: %v, want an exited error at once", err)
	}
}

func TestRunAndRepoRoot(t *testing.T) {
	if got := Run(t, nil, "abc\n", "cat"); got != "abc\n" {
		t.Fatalf("Run = %q", got)
	}
	if mod := Run(t, nil, "", "head", "-1", filepath.Join(RepoRoot(t), "go.mod")); mod != "module facelogin\n" {
		t.Fatalf("RepoRoot's go.mod starts %q", mod)
	}
}

func TestWaitFor(t *testing.T) {
	n := 0
	WaitFor(t, "three polls", time.Minute, func() bool { n++; return n == 3 })
	if n != 3 {
		t.Fatalf("%d polls", n)
	}
}
