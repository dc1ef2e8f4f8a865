package app

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// usersScreen lists the enrolled users and renames, deletes and re-enrols
// them.
type usersScreen struct {
	u *UI

	rows     []UserInfo // UI goroutine only
	selected int        // index into rows, -1 for none

	list        *widget.List
	rename      *widget.Button
	remove      *widget.Button
	reenrol     *widget.Button
	renameEntry *widget.Entry // inside the rename dialog
	progress    *widget.ProgressBar
	message     *widget.Label
	content     fyne.CanvasObject
}

func newUsersScreen(u *UI) *usersScreen {
	s := &usersScreen{u: u, selected: -1}
	s.list = widget.NewList(
		func() int { return len(s.rows) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateEllipsis
			return container.NewGridWithColumns(3, name, widget.NewLabel(""), widget.NewLabel(""))
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
	s.rename = &widget.Button{Text: "Rename…", OnTapped: s.onRename}
	s.remove = &widget.Button{Text: "Delete…", Importance: widget.DangerImportance, OnTapped: s.onDelete}
	s.reenrol = &widget.Button{Text: "Re-enrol", OnTapped: s.onReEnrol}
	s.renameEntry = widget.NewEntry()
	s.progress = widget.NewProgressBar()
	s.progress.Max = float64(u.opts.RegisterFrames)
	s.progress.Hide()
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	refresh := &widget.Button{Text: "Refresh", OnTapped: s.reload}
	s.updateButtons()
	bottom := container.NewVBox(
		container.NewHBox(s.rename, s.remove, s.reenrol, refresh),
		s.progress, s.message,
	)
	s.content = container.NewBorder(nil, bottom, nil, nil, s.list)
	return s
}

// userColumns are the texts of one row: name, templates, last login.
func userColumns(r UserInfo) [3]string {
	templates := fmt.Sprintf("%d templates", r.Templates)
	if r.Templates == 1 {
		templates = "1 template"
	}
	last := "never logged in"
	if !r.LastLogin.IsZero() {
		last = "last login " + r.LastLogin.Local().Format("2006-01-02 15:04")
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
		if ok && (b != s.reenrol || !s.u.busy) {
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
	u := s.u
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, u.opts.CaptureTimeout)
		defer cancel()
		rows, err := u.deps.Users.List(ctx)
		u.do(func() {
			if err != nil {
				u.log.Error("list users", "err", err)
				s.say(nameAdvice("", err), widget.DangerImportance)
				return
			}
			prev, _ := s.selectedUser()
			s.rows = rows
			s.selected = -1
			s.list.UnselectAll()
			for i, r := range rows {
				if prev.Name != "" && r.Name == prev.Name {
					s.list.Select(i)
				}
			}
			s.list.Refresh()
			s.updateButtons()
		})
	}()
}

func (s *usersScreen) onRename() {
	user, ok := s.selectedUser()
	if !ok {
		return
	}
	s.renameEntry.SetText(user.Name)
	d := dialog.NewForm("Rename “"+user.Name+"”", "Rename", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("New name", s.renameEntry)},
		func(ok bool) {
			newName := strings.TrimSpace(s.renameEntry.Text)
			if !ok || newName == "" || newName == user.Name {
				return
			}
			go s.change("rename", user.Name, func(ctx context.Context) error {
				return s.u.deps.Users.Rename(ctx, user.Name, newName)
			}, fmt.Sprintf("Renamed “%s” to “%s”", user.Name, newName), newName)
		}, s.u.win)
	d.Show()
}

func (s *usersScreen) onDelete() {
	user, ok := s.selectedUser()
	if !ok {
		return
	}
	d := dialog.NewConfirm("Delete “"+user.Name+"”?",
		fmt.Sprintf("This removes %s and their %s. It cannot be undone.", user.Name, userColumns(user)[1]),
		func(ok bool) {
			if !ok {
				return
			}
			go s.change("delete", user.Name, func(ctx context.Context) error {
				return s.u.deps.Users.Delete(ctx, user.Name)
			}, fmt.Sprintf("Deleted “%s”", user.Name), user.Name)
		}, s.u.win)
	d.SetConfirmText("Delete")
	d.SetConfirmImportance(widget.DangerImportance)
	d.SetDismissText("Cancel")
	d.Show()
}

// change runs one user change and reports it. Background goroutine.
// errName is the name an ErrNameTaken or ErrInvalidName refers to.
func (s *usersScreen) change(what, user string, f func(ctx context.Context) error, done, errName string) {
	u := s.u
	ctx, cancel := context.WithTimeout(u.ctx, u.opts.CaptureTimeout)
	defer cancel()
	err := f(ctx)
	if err != nil {
		u.log.Error(what+" failed", "user", user, "err", err)
	} else {
		u.log.Info(what, "user", user, "to", errName)
	}
	u.do(func() {
		if err != nil {
			s.say(nameAdvice(errName, err), widget.DangerImportance)
		} else {
			s.say(done, widget.SuccessImportance)
		}
		s.reload()
	})
}

func (s *usersScreen) onReEnrol() {
	user, ok := s.selectedUser()
	if !ok || !s.u.beginCapture() {
		return
	}
	s.progress.SetValue(0)
	s.progress.Show()
	s.say("Re-enrolling "+user.Name+": look at the camera…", widget.MediumImportance)
	go s.runReEnrol(user.Name)
}

// runReEnrol replaces the templates of name with new ones. Background
// goroutine.
func (s *usersScreen) runReEnrol(name string) {
	u := s.u
	ctx, cancel := context.WithTimeout(u.ctx, u.opts.CaptureTimeout)
	defer cancel()
	finish := func(msg string, imp widget.Importance) {
		u.do(func() {
			s.progress.Hide()
			s.say(msg, imp)
			u.endCapture()
			s.reload()
		})
	}
	samples, err := u.collect(ctx, u.opts.RegisterFrames, u.gateSample, func(done int, rejected error) {
		u.do(func() {
			s.progress.SetValue(float64(done))
			if rejected != nil {
				s.say(rejectionAdvice(rejected), widget.WarningImportance)
			}
		})
	})
	if err != nil {
		u.log.Info("re-enrol failed", "user", name, "err", err)
		finish(captureAdvice(err), widget.DangerImportance)
		return
	}
	ds, qs := descriptors(samples)
	if m, ok := u.claimedByOther(ds, name, u.currentThreshold()); ok {
		// Re-enrolment is for the same person in new conditions; a face
		// nearer to someone else than to the old templates is refused.
		u.log.Info("re-enrol refused: lookalike", "user", name, "near", m.User, "distance", m.Distance)
		finish(fmt.Sprintf("Not saved: this face is close to “%s” (distance %.2f). Is the right person in front of the camera?", m.User, m.Distance), widget.DangerImportance)
		return
	}
	if err := u.deps.Users.ReEnroll(ctx, name, ds, qs); err != nil {
		u.log.Error("re-enrol failed", "user", name, "err", err)
		finish(nameAdvice(name, err), widget.DangerImportance)
		return
	}
	u.log.Info("re-enrolled", "user", name, "templates", len(ds))
	finish(fmt.Sprintf("Re-enrolled “%s” with %d new face templates", name, len(ds)), widget.SuccessImportance)
}
