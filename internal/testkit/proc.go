package testkit

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// Proc is a program a test started, with its output (stdout and stderr
// together) collected for polling and copied to a log file.
type Proc struct {
	t       testing.TB
	Name    string
	Cmd     *exec.Cmd
	Log     *LockedBuffer
	Started time.Time

	exited  chan struct{}
	waitErr error
}

// Start starts cmd, tees its output to logPath ("" for none), and kills it
// if it still runs when the test ends.
func Start(t testing.TB, name string, cmd *exec.Cmd, logPath string) *Proc {
	t.Helper()
	p := &Proc{t: t, Name: name, Cmd: cmd, Log: &LockedBuffer{}, exited: make(chan struct{})}
	var out io.Writer = p.Log
	var f *os.File
	if logPath != "" {
		var err error
		if f, err = os.Create(logPath); err != nil {
			t.Fatal(err)
		}
		out = io.MultiWriter(p.Log, f)
	}
	cmd.Stdout, cmd.Stderr = out, out
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		if f != nil {
			f.Close()
		}
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		if f != nil {
			f.Close()
		}
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// Exited is closed when the program has ended; Err then says how.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Err is the program's exit error, once Exited is closed.
func (p *Proc) Err() error {
	<-p.exited
	return p.waitErr
}

// Running reports whether the program has not ended yet.
func (p *Proc) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// WaitLog waits for a line of output matching re and returns its
// submatches; the test fails after timeout or if the program ends first.
func (p *Proc) WaitLog(re *regexp.Regexp, timeout time.Duration) []string {
	p.t.Helper()
	m, err := p.PollLog(re, 0, timeout)
	if err != nil {
		p.t.Fatalf("%s: %v\nlog:\n%s", p.Name, err, p.Log.String())
	}
	return m
}

// PollLog waits for the (skip+1)-th match of re in the output.
func (p *Proc) PollLog(re *regexp.Regexp, skip int, timeout time.Duration) ([]string, error) {
	deadline := time.Now().Add(timeout)
	for {
		ms := re.FindAllStringSubmatch(p.Log.String(), -1)
		if len(ms) > skip {
			return ms[skip], nil
		}
		select {
		case <-p.exited:
			// Output written just before the exit is in the buffer now.
			if ms := re.FindAllStringSubmatch(p.Log.String(), -1); len(ms) > skip {
				return ms[skip], nil
			}
			return nil, fmt.Errorf("exited (%v) before a log line matching %q", p.waitErr, re)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no log line matching %q in %s", re, timeout)
		}
	}
}

// Stop sends SIGTERM unless the program has ended, waits for it (killing
// it after 30 s, which fails the test), and returns its exit code.
func (p *Proc) Stop() int {
	p.t.Helper()
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.Cmd.Process.Kill()
		<-p.exited
		p.t.Fatalf("%s: still running 30 s after SIGTERM\nlog:\n%s", p.Name, p.Log.String())
	}
	return p.Cmd.ProcessState.ExitCode()
}
