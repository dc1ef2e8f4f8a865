package app

// userEventKind is what happened to a user.
type userEventKind int

const (
	userRegistered userEventKind = iota + 1
	userReEnrolled
	userRenamed
	userDeleted
	userLoggedIn // a login attempt was recorded (success or not)
)

// userEvent tells the screens that the enrolled users or their logins
// changed. A screen that changes users publishes one; screens that show
// users (the users list, an activity view) subscribe. Screens never call
// into each other.
type userEvent struct {
	kind userEventKind
	user string // the user concerned; the new name after a rename
}

// userEvents delivers userEvents to subscribers. UI goroutine only: publish
// runs every subscriber before it returns.
type userEvents struct {
	subs []func(userEvent)
}

func (e *userEvents) subscribe(f func(userEvent)) { e.subs = append(e.subs, f) }

func (e *userEvents) publish(ev userEvent) {
	for _, f := range e.subs {
		f(ev)
	}
}
