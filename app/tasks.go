package app

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
)

// tasks owns the lifetime of a window's (or kiosk's) goroutines and guards
// its UI calls. Every goroutine a screen starts goes through Go, so stop
// can cancel and wait for all of them; every UI update from a goroutine
// goes through do, which drops the update once stopping began. The guard
// matters after Fyne's loop has ended (the app quit on SIGTERM or Quit):
// fyne.Do then runs functions at once on the calling goroutine, and a
// late update would touch widgets off the UI goroutine while Fyne tears
// the window down.
type tasks struct {
	ctx    context.Context
	cancel context.CancelFunc
	post   func(func()) // fyne.Do; tests queue the function themselves

	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

func newTasks(post func(func())) *tasks {
	t := &tasks{post: post}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// Go runs f on a new goroutine with a context that ends when stopping
// begins. After stop it does nothing.
func (t *tasks) Go(f func(ctx context.Context)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f(t.ctx)
	}()
}

// do runs f on the UI goroutine, unless stopping has begun (then, or by
// the time the UI goroutine gets to it, f is dropped).
func (t *tasks) do(f func()) {
	if t.ctx.Err() != nil {
		return
	}
	t.post(func() {
		if t.ctx.Err() == nil {
			f()
		}
	})
}

// interrupt begins stopping without waiting: goroutines see their context
// end and UI updates are dropped. Safe from any goroutine (a signal
// handler).
func (t *tasks) interrupt() { t.cancel() }

// stop cancels every goroutine started by Go and waits for them.
func (t *tasks) stop() {
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
	t.cancel()
	t.wg.Wait()
}

// threshold is the matching threshold in force: written by the settings
// screen, read by the detection goroutine and every decision.
type threshold struct{ bits atomic.Uint32 }

func newThreshold(v float32) *threshold {
	t := &threshold{}
	t.set(v)
	return t
}

func (t *threshold) set(v float32) { t.bits.Store(math.Float32bits(v)) }

// get is the threshold now. Any goroutine.
func (t *threshold) get() float32 { return math.Float32frombits(t.bits.Load()) }
