package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// usersFixture is the login fixture (elkie and sejeong, 3 templates each)
// with the users tab open.
func usersFixture(t *testing.T) (*loginFixture, map[string][]recognition.Descriptor) {
	f := newLoginFixture(t, Options{})
	h := f.h
	h.u.tabs.SelectIndex(2)
	h.waitFor("the user list", func() bool { return len(h.u.users.rows) == 2 })
	return f, loadIdols(t)
}

func (h *harness) selectUser(name string) {
	h.t.Helper()
	for i, r := range h.u.users.rows {
		if r.Name == name {
			h.u.users.list.Select(i)
			return
		}
	}
	h.t.Fatalf("%s not in the list %+v", name, h.u.users.rows)
}

func TestUsersListShowsTemplatesAndLastLogin(t *testing.T) {
	f, _ := usersFixture(t)
	h := f.h
	if got := userColumns(h.u.users.rows[0]); got != [3]string{"elkie", "3 templates", "never logged in"} {
		t.Errorf("row 0 %q", got)
	}
	if h.u.users.rename.Disabled() == false {
		t.Error("rename enabled with no row selected")
	}
	h.login("")
	h.waitFor("the last login", func() bool {
		return len(h.u.users.rows) == 2 && !h.u.users.rows[0].LastLogin.IsZero()
	})
	want := "last login " + time.Now().Format("2006-01-02 ")
	if got := userColumns(h.u.users.rows[0])[2]; !strings.HasPrefix(got, want) {
		t.Errorf("last login column %q, want %q…", got, want)
	}
	// The list on screen shows the row's texts.
	var shown []string
	for _, o := range test.LaidOutObjects(h.u.users.list) {
		if l, ok := o.(*widget.Label); ok {
			shown = append(shown, l.Text)
		}
	}
	if s := strings.Join(shown, "|"); !strings.Contains(s, "elkie|3 templates|"+want) || !strings.Contains(s, "sejeong|3 templates|never logged in") {
		t.Errorf("list shows %q", s)
	}
}

func TestUsersRename(t *testing.T) {
	f, _ := usersFixture(t)
	h := f.h
	h.selectUser("elkie")
	test.Tap(h.u.users.rename)
	h.u.users.renameEntry.SetText("elkie.chong")
	h.tapDialogButton("Rename")
	h.waitFor("the rename", func() bool { return strings.HasPrefix(h.u.users.message.Text, "Renamed") })
	if h.dir.user("elkie.chong") == nil || h.dir.user("elkie") != nil {
		t.Error("directory not renamed")
	}
	h.waitFor("the new name in the list", func() bool {
		return len(h.u.users.rows) == 2 && h.u.users.rows[0].Name == "elkie.chong"
	})

	// Renaming onto a taken name is refused in people-words.
	h.selectUser("elkie.chong")
	test.Tap(h.u.users.rename)
	h.u.users.renameEntry.SetText("Sejeong")
	h.tapDialogButton("Rename")
	h.waitFor("the refusal", func() bool { return h.u.users.message.Text == "The name “Sejeong” is taken — choose another" })
	if h.dir.user("elkie.chong") == nil {
		t.Error("user lost by a refused rename")
	}
}

func TestUsersDelete(t *testing.T) {
	f, _ := usersFixture(t)
	h := f.h
	h.selectUser("sejeong")
	test.Tap(h.u.users.remove)
	if txt := h.dialogText(); !strings.Contains(txt, "3 templates") || !strings.Contains(txt, "cannot be undone") {
		t.Errorf("confirm dialog says %q", txt)
	}
	h.tapDialogButton("Cancel")
	h.settle(50 * time.Millisecond)
	if h.dir.user("sejeong") == nil {
		t.Fatal("deleted although cancelled")
	}

	test.Tap(h.u.users.remove)
	h.tapDialogButton("Delete")
	h.waitFor("the deletion", func() bool { return h.u.users.message.Text == "Deleted “sejeong”" })
	if h.dir.user("sejeong") != nil {
		t.Error("sejeong still in the directory")
	}
	h.waitFor("the list to shrink", func() bool { return len(h.u.users.rows) == 1 })
	if h.u.users.remove.Disabled() == false {
		t.Error("delete still enabled with the deleted row gone")
	}
}

func TestUsersReEnrol(t *testing.T) {
	f, _ := usersFixture(t)
	h := f.h
	probe := f.elkieProbe
	old := append([]recognition.Descriptor(nil), h.dir.user("elkie").templates...)
	h.selectUser("elkie")
	test.Tap(h.u.users.reenrol)
	if !h.u.login.button.Disabled() {
		t.Error("login possible during re-enrolment")
	}
	h.waitFor("the re-enrolment", func() bool { return !h.u.capture.busy })
	if got, want := h.u.users.message.Text, "Re-enrolled “elkie” with 1 new face template "+stillText; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	u := h.dir.user("elkie")
	if len(u.templates) != 1 { // a still photo: the other frames are near-copies
		t.Fatalf("%d templates", len(u.templates))
	}
	for i := range u.templates {
		if recognition.Distance(&u.templates[i], &probe) > 0.1 {
			t.Errorf("template %d is not the face in front of the camera", i)
		}
		for j := range old {
			if u.templates[i] == old[j] {
				t.Errorf("old template %d kept", j)
			}
		}
	}
	h.waitFor("the new count", func() bool { return h.u.users.rows[0].Templates == 1 })
}

// TestUsersReEnrolRefusesSomeoneElse: re-enrolling elkie with another
// user's face is refused at the first good frame when the in-memory
// matcher knows that user, and by the directory's check at the swap when
// it has not seen them (blind).
func TestUsersReEnrolRefusesSomeoneElse(t *testing.T) {
	for _, blind := range []bool{false, true} {
		t.Run(fmt.Sprintf("blind=%v", blind), func(t *testing.T) {
			f, idols := usersFixture(t)
			h := f.h
			h.dir.blind = blind
			// sejeong's own face in front of the camera while re-enrolling elkie.
			h.eng.script(h.cam.frame, idol(t, idols, "Sejeong (Gugudan)")[0])
			h.selectUser("elkie")
			test.Tap(h.u.users.reenrol)
			h.waitFor("the refusal", func() bool { return !h.u.capture.busy })
			if got := h.u.users.message.Text; !strings.HasPrefix(got, "Not saved: this face is registered as “sejeong”") {
				t.Errorf("message %q", got)
			}
			if n := len(h.dir.user("elkie").templates); n != 3 {
				t.Errorf("elkie has %d templates, want her 3 old ones", n)
			}
			if got := !strings.Contains(h.log.String(), `msg="registration step"`); got == blind {
				t.Errorf("refused before the first step ended: %v, want %v\n%s", got, !blind, h.log.String())
			}
		})
	}
}
