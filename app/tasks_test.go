package app

import (
	"context"
	"sync/atomic"
	"testing"
)

// TestTasksStop: stop cancels and waits for every goroutine started by Go;
// afterwards Go starts nothing and do drops UI work, including work that
// was queued before stop and runs after it.
func TestTasksStop(t *testing.T) {
	var queue []func()
	tk := newTasks(func(f func()) { queue = append(queue, f) })
	var ended atomic.Int32
	started := make(chan struct{})
	for range 3 {
		tk.Go(func(ctx context.Context) {
			started <- struct{}{}
			<-ctx.Done()
			ended.Add(1)
		})
	}
	for range 3 {
		<-started
	}
	ran := 0
	tk.do(func() { ran++ })
	tk.stop()
	if ended.Load() != 3 {
		t.Fatalf("%d of 3 goroutines ended when stop returned", ended.Load())
	}
	tk.Go(func(context.Context) { t.Error("a goroutine started after stop") })
	tk.do(func() { ran++ })
	for _, f := range queue { // the UI goroutine gets to the queue late
		f()
	}
	if ran != 0 || len(queue) != 1 {
		t.Errorf("UI work ran %d times (%d queued): want none after stop", ran, len(queue))
	}
}

func TestUserEvents(t *testing.T) {
	var e userEvents
	var got []userEvent
	e.subscribe(func(ev userEvent) { got = append(got, ev) })
	e.subscribe(func(ev userEvent) { got = append(got, ev) })
	e.publish(userEvent{kind: userRenamed, user: "ann"})
	if len(got) != 2 || got[0] != (userEvent{kind: userRenamed, user: "ann"}) {
		t.Errorf("subscribers saw %+v", got)
	}
}
