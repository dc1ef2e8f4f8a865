package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// userAdmin is what the users screen needs of the enrolled users: the
// store, and the in-memory matcher that finds another user's face at
// re-enrolment's first good frame (registeredFace).
type userAdmin interface {
	UserAdmin
	Identifier
}

// usersScreen lists the enrolled users and renames, deletes and re-enrols
// them. It reloads the list whenever a userEvent says the users changed.
type usersScreen struct {
	cap    *capture
	users  userAdmin
	guide  *guide // re-enrolment is a guided registration
	th     *threshold
	events *userEvents
	limits captureLimits
	win    fyne.Window // parent of the dialogs
	log    *slog.Logger

	rows     []UserInfo // UI goroutine only
	selected int        // index into rows, -1 for none

	list        *widget.List
	columns     userRowLayout // the list's rows: the last two columns as wide as their widest text
	rename      *widget.Button
	remove      *widget.Button
	reenrol     *widget.Button
	renameEntry *widget.Entry     // inside the rename dialog
	guidance    fyne.CanvasObject // the guide's, shown while re-enrolling
	message     *widget.Label
	content     fyne.CanvasObject
}

func newUsersScreen(c *capture, users userAdmin, gate QualityGate, th *threshold, events *userEvents, limits captureLimits, win fyne.Window, log *slog.Logger) *usersScreen {
	s := &usersScreen{cap: c, users: users, guide: newGuide(c, enrolmentAccept(gate, th), limits, log), th: th, events: events,
		limits: limits, win: win, log: log, selected: -1}
	s.list = widget.NewList(
		func() int { return len(s.rows) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateEllipsis
			last := &widget.Label{Truncation: fyne.TextTruncateEllipsis}
			return container.New(&s.columns, name, widget.NewLabel(""), last)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(s.rows) {
				return
			}
			cells := o.(*fyne.Container).Objects
			for i, text := range userColumns(s.rows[id]) {
				cells[i].(*widget.Label).SetText(text)
			}
		},
	)
	s.list.OnSelected = func(id widget.ListItemID) { s.selected = id; s.updateButtons() }
	s.list.OnUnselected = func(widget.ListItemID) { s.selected = -1; s.updateButtons() }
	s.rename = &widget.Button{Text: lang.L("Rename…"), OnTapped: s.onRename}
	s.remove = &widget.Button{Text: lang.L("Delete…"), Importance: widget.DangerImportance, OnTapped: s.onDelete}
	s.reenrol = &widget.Button{Text: lang.L("Re-enrol"), OnTapped: s.onReEnrol}
	s.renameEntry = widget.NewEntry()
	s.guidance = s.guide.content
	s.guidance.Hide()
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	refresh := &widget.Button{Text: lang.L("Refresh"), OnTapped: s.reload}
	s.updateButtons()
	bottom := container.NewVBox(
		buttonRow(s.rename, s.remove, s.reenrol, refresh),
		s.guidance, s.message,
	)
	s.content = container.NewBorder(nil, bottom, nil, nil, s.list)
	c.onBusy(func(bool) { s.updateButtons() })
	events.subscribe(func(userEvent) { s.reload() })
	return s
}

// userColumns are the texts of one row: name, templates, last login.
func userColumns(r UserInfo) [3]string {
	templates := lang.L("{{.N}} templates", map[string]any{"N": r.Templates})
	if r.Templates == 1 {
		templates = lang.L("1 template")
	}
	last := lang.L("never logged in")
	if !r.LastLogin.IsZero() {
		last = lang.L("last login {{.Time}}", map[string]any{"Time": r.LastLogin.Local().Format("2006-01-02 15:04")})
	}
	return [3]string{r.Name, templates, last}
}

func (s *usersScreen) selectedUser() (UserInfo, bool) {
	if s.selected < 0 || s.selected >= len(s.rows) {
		return UserInfo{}, false
	}
	return s.rows[s.selected], true
}

// updateButtons enables the row actions when a row is selected. UI goroutine.
func (s *usersScreen) updateButtons() {
	_, ok := s.selectedUser()
	for _, b := range []*widget.Button{s.rename, s.remove, s.reenrol} {
		if ok && (b != s.reenrol || !s.cap.busy) {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

func (s *usersScreen) say(msg string, imp widget.Importance) {
	s.message.Importance = imp
	s.message.SetText(msg)
}

// reload fetches the list. UI goroutine; the query runs in the background.
func (s *usersScreen) reload() {
	s.cap.spawn(func(ctx context.Context) {
		ctx, cancel := s.cap.timeout(ctx, s.limits.timeout)
		defer cancel()
		rows, err := s.users.List(ctx)
		s.cap.do(func() { s.show(rows, err) })
	})
}

// show puts rows on screen, keeping the selected user selected. UI
// goroutine.
func (s *usersScreen) show(rows []UserInfo, err error) {
	if err != nil {
		s.log.Error("list users", "err", err)
		s.say(nameAdvice("", err), widget.DangerImportance)
		return
	}
	prev, _ := s.selectedUser()
	s.rows = rows
	s.columns.fit(rows)
	s.selected = -1
	s.list.UnselectAll()
	for i, r := range rows {
		if prev.Name != "" && r.Name == prev.Name {
			s.list.Select(i)
		}
	}
	s.list.Refresh()
	s.updateButtons()
}

func (s *usersScreen) onRename() {
	user, ok := s.selectedUser()
	if !ok {
		return
	}
	s.renameEntry.SetText(user.Name)
	d := dialog.NewForm(lang.L("Rename “{{.Name}}”", map[string]any{"Name": user.Name}), lang.L("Rename"), lang.L("Cancel"),
		[]*widget.FormItem{widget.NewFormItem(lang.L("New name"), s.renameEntry)},
		func(ok bool) {
			newName := strings.TrimSpace(s.renameEntry.Text)
			if !ok || newName == "" || newName == user.Name {
				return
			}
			s.change("rename", userEvent{kind: userRenamed, user: newName}, user.Name, func(ctx context.Context) error {
				return s.users.Rename(ctx, user.Name, newName)
			}, lang.L("Renamed “{{.Old}}” to “{{.New}}”", map[string]any{"Old": user.Name, "New": newName}))
		}, s.win)
	d.Show()
}

func (s *usersScreen) onDelete() {
	user, ok := s.selectedUser()
	if !ok {
		return
	}
	d := dialog.NewConfirm(lang.L("Delete “{{.Name}}”?", map[string]any{"Name": user.Name}),
		lang.L("This removes {{.Name}} and their {{.Templates}}. It cannot be undone.", map[string]any{"Name": user.Name, "Templates": userColumns(user)[1]}),
		func(ok bool) {
			if !ok {
				return
			}
			s.change("delete", userEvent{kind: userDeleted, user: user.Name}, user.Name, func(ctx context.Context) error {
				return s.users.Delete(ctx, user.Name)
			}, lang.L("Deleted “{{.Name}}”", map[string]any{"Name": user.Name}))
		}, s.win)
	d.SetConfirmText(lang.L("Delete"))
	d.SetConfirmImportance(widget.DangerImportance)
	d.SetDismissText(lang.L("Cancel"))
	d.Show()
}

// change runs one user change in the background, reports it and tells the
// screens. UI goroutine. ev.user is also the name an ErrNameTaken or
// ErrInvalidName refers to.
func (s *usersScreen) change(what string, ev userEvent, user string, f func(ctx context.Context) error, done string) {
	s.cap.spawn(func(ctx context.Context) {
		ctx, cancel := s.cap.timeout(ctx, s.limits.timeout)
		defer cancel()
		err := f(ctx)
		if err != nil {
			s.log.Error(what+" failed", "user", user, "err", err)
		} else {
			s.log.Info(what, "user", user, "to", ev.user)
		}
		s.cap.do(func() {
			if err != nil {
				s.say(nameAdvice(ev.user, err), widget.DangerImportance)
				s.reload()
				return
			}
			s.say(done, widget.SuccessImportance)
			s.events.publish(ev)
		})
	})
}

func (s *usersScreen) onReEnrol() {
	user, ok := s.selectedUser()
	if !ok || !s.cap.begin() {
		return
	}
	s.guide.reset()
	s.guidance.Show()
	s.say(lang.L("Re-enrolling {{.Name}}: follow the prompt above", map[string]any{"Name": user.Name}), widget.MediumImportance)
	s.cap.spawn(func(ctx context.Context) { s.runReEnrol(ctx, user.Name) })
}

// runReEnrol replaces the templates of name with new ones. Background
// goroutine; ends the capture on every path.
func (s *usersScreen) runReEnrol(ctx context.Context, name string) {
	finish := func(msg string, imp widget.Importance, changed bool) {
		s.cap.do(func() {
			s.guidance.Hide()
			s.say(msg, imp)
			s.cap.end()
			if changed {
				s.events.publish(userEvent{kind: userReEnrolled, user: name})
			} else {
				s.reload()
			}
		})
	}
	// Each step is bounded by its own time limit (guide.run). Another
	// user's face is refused at the first good frame.
	s.guide.known = registeredFace(s.users, s.th.get, name)
	walk, err := s.guide.run(ctx, func(rejected error) {
		if rejected != nil {
			s.cap.do(func() { s.say(rejectionAdvice(rejected), widget.WarningImportance) })
		}
	})
	var dup *DuplicateFaceError
	if err != nil && !errors.As(err, &dup) {
		s.log.Info("re-enrol failed", "user", name, "err", err)
		finish(captureAdvice(err), widget.DangerImportance, false)
		return
	}
	var ds []recognition.Descriptor
	var qs []float32
	if err == nil {
		ds, qs = descriptors(walk.samples)
		ctx, cancel := s.cap.timeout(ctx, s.limits.timeout)
		defer cancel()
		// Re-enrolment is for the same person in new conditions; a face
		// that is another user's is refused, in the same step as the swap.
		err = s.users.ReEnroll(ctx, name, ds, qs, s.th.get())
	}
	switch {
	case errors.As(err, &dup):
		// The users list names everyone already: naming the other user
		// tells the person at this screen nothing new.
		s.log.Info("re-enrol refused: face of another user", "user", name, "near", dup.User, "distance", dup.Distance)
		finish(lang.L("Not saved: this face is registered as “{{.User}}” (distance {{.Distance}}). Is the right person in front of the camera?", map[string]any{"User": dup.User, "Distance": fmt.Sprintf("%.2f", dup.Distance)}), widget.DangerImportance, false)
		return
	case err != nil:
		s.log.Error("re-enrol failed", "user", name, "err", err)
		finish(nameAdvice(name, err), widget.DangerImportance, false)
		return
	}
	s.log.Info("re-enrolled", "user", name, "templates", len(ds))
	done := lang.L("Re-enrolled “{{.Name}}” with {{.N}} new face templates", map[string]any{"Name": name, "N": len(ds)})
	if len(ds) == 1 {
		done = lang.L("Re-enrolled “{{.Name}}” with 1 new face template", map[string]any{"Name": name})
	}
	finish(strings.TrimSpace(done+" "+walk.note()), widget.SuccessImportance, true)
}

// userRowLayout lays out a row of the user list: the templates and last
// login columns as wide as the widest of their texts (so a long Spanish
// "nunca ha iniciado sesión" is never cut), the name taking the rest of
// the line and cut with an ellipsis when it is too long. In a narrow pane
// (a 640×480 window) the names keep what the widest needs and the last
// login is cut instead: a list of "…" names tells nobody anything.
type userRowLayout struct {
	widths [2]float32
	name   float32 // the widest name's width
}

// fit sizes the columns to the texts of rows. UI goroutine.
func (l *userRowLayout) fit(rows []UserInfo) {
	l.widths, l.name = [2]float32{}, 0
	for _, r := range rows {
		cols := userColumns(r)
		// A pixel more: the ellipsis cut a name given exactly its width.
		l.name = max(l.name, widget.NewLabelWithStyle(cols[0], fyne.TextAlignLeading, fyne.TextStyle{Bold: true}).MinSize().Width+1)
		for i, text := range cols[1:] {
			l.widths[i] = max(l.widths[i], widget.NewLabel(text).MinSize().Width)
		}
	}
}

func (l *userRowLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) != 3 {
		return
	}
	gap := theme.Padding()
	name := max(size.Width-l.widths[0]-l.widths[1]-2*gap, min(l.name, size.Width-l.widths[0]-2*gap), 0)
	last := max(min(l.widths[1], size.Width-name-l.widths[0]-2*gap), 0)
	x := float32(0)
	for i, w := range []float32{name, l.widths[0], last} {
		objs[i].Move(fyne.NewPos(x, 0))
		objs[i].Resize(fyne.NewSize(w, size.Height))
		x += w + gap
	}
}

// MinSize is the name's: the list never widens the window's right pane.
func (l *userRowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(objs[0].MinSize().Width, h)
}

// buttonRow lays buttons out in a row, each as wide as the widest, and
// wraps them onto more rows in a pane too narrow for one.
func buttonRow(buttons ...fyne.CanvasObject) *fyne.Container {
	cell := fyne.Size{}
	for _, b := range buttons {
		cell = cell.Max(b.MinSize())
	}
	return container.NewGridWrap(cell, buttons...)
}
