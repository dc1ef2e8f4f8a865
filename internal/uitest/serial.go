package uitest

import (
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// SerialApp is Fyne's test app (test.NewTempApp) with fyne.Do and
// fyne.DoAndWait run one at a time, in order, on one goroutine, as the real
// driver runs them on its UI goroutine. Fyne's test driver runs them at once
// on the caller's goroutine, so a running window whose goroutines update it
// while the test drives it is a data race; with SerialApp, a test that
// touches the window only inside fyne.DoAndWait runs clean under -race. It
// is the current app until the test ends; its goroutine ends with the test.
func SerialApp(t testing.TB) fyne.App {
	a := &serialApp{App: test.NewTempApp(t)}
	a.drv = &serialDriver{Driver: a.App.Driver(), work: make(chan func(), 1<<12), quit: make(chan struct{}), done: make(chan struct{})}
	go a.drv.loop()
	fyne.SetCurrentApp(a)
	t.Cleanup(a.drv.stop) // before NewTempApp's own clean-up
	return a
}

type serialApp struct {
	fyne.App
	drv *serialDriver
}

func (a *serialApp) Driver() fyne.Driver { return a.drv }

// serialDriver is the test driver with DoFromGoroutine queued to loop.
type serialDriver struct {
	fyne.Driver
	work       chan func()
	quit, done chan struct{}
	once       sync.Once
	mu         sync.Mutex // held by whatever runs UI work: the loop, or a caller once it ended
}

func (d *serialDriver) loop() {
	defer close(d.done)
	for {
		select {
		case f := <-d.work:
			d.run(f)
		case <-d.quit:
			return
		}
	}
}

func (d *serialDriver) run(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f()
}

func (d *serialDriver) stop() {
	d.once.Do(func() { close(d.quit) })
	<-d.done
}

// DoFromGoroutine queues f for the loop; with wait it returns once f ran.
// Work posted from inside f (fyne.Do from a handler) queues behind it;
// fyne.DoAndWait from inside f would wait for itself (the real driver
// refuses that too).
// After the test ended f runs at once, still one at a time.
func (d *serialDriver) DoFromGoroutine(f func(), wait bool) {
	job, ran := f, make(chan struct{})
	if wait {
		job = func() { defer close(ran); f() }
	}
	select {
	case d.work <- job:
	case <-d.quit:
		d.run(f)
		return
	}
	if wait {
		select {
		case <-ran:
		case <-d.done:
		}
	}
}
