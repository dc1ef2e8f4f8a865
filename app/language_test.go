package app

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/uitest"
	live "facelogin/recognition/liveness"
	"facelogin/store"
)

// sameInBothLanguages are the translations that are rightly the English
// text: words Spanish spells the same way, and the day and month of a
// date format (DD/MM/AAAA).
var sameInBothLanguages = map[string]bool{
	"Error": true, "PIN": true, "CSV": true, "Total": true, "OK": true, "DD": true, "MM": true,
}

// codeKeys returns every translation key the window's code uses (this
// package and cmd/facelogin's window parts), with the English text it
// stands for: lang.L("text", ...) is keyed by its text,
// lang.X("key", "text", ...) by its key. A key that is not a constant
// string fails the test: it could not be checked.
func codeKeys(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := filepath.Glob("../cmd/facelogin/*.go")
	if err != nil || len(cmd) == 0 {
		t.Fatalf("cmd/facelogin's files: %v", err)
	}
	files = append(files, cmd...)
	keys := map[string]string{}
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}
	consts := stringConsts(parsed)
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "lang" {
				return true
			}
			switch sel.Sel.Name {
			case "L", "X":
			case "SystemLocale", "AddTranslationsFS":
				return true
			default:
				t.Errorf("%s: lang.%s: only lang.L and lang.X are checked", fset.Position(call.Pos()), sel.Sel.Name)
				return true
			}
			var args []string
			for _, a := range call.Args[:min(len(call.Args), map[string]int{"L": 1, "X": 2}[sel.Sel.Name])] {
				s, ok := constString(a, consts)
				if !ok {
					t.Errorf("%s: lang.%s with a key or text that is not a constant string", fset.Position(a.Pos()), sel.Sel.Name)
					return true
				}
				args = append(args, s)
			}
			keys[args[0]] = args[len(args)-1]
			return true
		})
	}
	return keys
}

// stringConsts are the package's constants whose value is a string
// literal, by name.
func stringConsts(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := constString(vs.Values[i], nil); ok {
							out[name.Name] = s
						}
					}
				}
			}
		}
	}
	return out
}

// constString evaluates a string literal, a string constant of consts or
// a + of them.
func constString(e ast.Expr, consts map[string]string) (string, bool) {
	switch e := e.(type) {
	case *ast.Ident:
		s, ok := consts[e.Name]
		return s, ok
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok := constString(e.X, consts)
		b, ok2 := constString(e.Y, consts)
		return a + b, ok && ok2
	case *ast.ParenExpr:
		return constString(e.X, consts)
	}
	return "", false
}

func readTranslations(t *testing.T, name string) map[string]string {
	t.Helper()
	data, err := translations.ReadFile("translations/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

var templateField = regexp.MustCompile(`\{\{[^}]*\}\}`)

// TestTranslationKeys: every string the code passes to lang.L or lang.X
// has an English and a Spanish translation, neither file holds a key the
// code does not use, the English one is the code's text, the Spanish one
// differs from it (but for words spelt alike) and keeps its template
// fields.
func TestTranslationKeys(t *testing.T) {
	code := codeKeys(t)
	if len(code) < 50 {
		t.Fatalf("found only %d keys in the code: the scan is broken", len(code))
	}
	en, es := readTranslations(t, "en.json"), readTranslations(t, "es.json")
	for key, text := range code {
		if got, ok := en[key]; !ok {
			t.Errorf("en.json lacks %q", key)
		} else if got != text {
			t.Errorf("en.json: %q is %q, the code says %q", key, got, text)
		}
		sp, ok := es[key]
		switch {
		case !ok:
			t.Errorf("es.json lacks %q", key)
		case strings.TrimSpace(sp) == "":
			t.Errorf("es.json: %q is empty", key)
		case sp == text && !sameInBothLanguages[text]:
			t.Errorf("es.json: %q is not translated", key)
		}
		a, b := templateField.FindAllString(text, -1), templateField.FindAllString(sp, -1)
		sort.Strings(a)
		sort.Strings(b)
		if ok && !slices.Equal(a, b) {
			t.Errorf("es.json: %q has the fields %v, the English text %v", key, b, a)
		}
	}
	for name, m := range map[string]map[string]string{"en.json": en, "es.json": es} {
		for key := range m {
			if _, ok := code[key]; !ok {
				t.Errorf("%s: %q is used nowhere in the code", name, key)
			}
		}
	}
	t.Logf("%d strings translated", len(code))
}

// TestUseLanguage: the setting picks the language, and "System" follows
// the locale (Spanish for any Spanish locale, English for C and any
// language the app does not speak).
func TestUseLanguage(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	for _, c := range []struct {
		choice, lcAll, language, want string
	}{
		{languageSpanish, "", "", "es"},
		{languageEnglish, "es_ES.UTF-8", "", "en"},
		{languageSystem, "es_MX.UTF-8", "", "es"},
		{languageSystem, "C", "", "en"},
		{languageSystem, "", "fr_FR", "en"},
		{languageSystem, "", "es_AR:en", "es"},
		{languageSpanish, "C", "", "es"},
	} {
		t.Setenv("LC_ALL", c.lcAll)
		t.Setenv("LANGUAGE", c.language)
		if got := useLanguage(c.choice); got != c.want {
			t.Errorf("choice %q, LC_ALL=%q LANGUAGE=%q: %q, want %q", c.choice, c.lcAll, c.language, got, c.want)
		}
		if got, want := lang.L("Language"), map[string]string{"en": "Language", "es": "Idioma"}[c.want]; got != want {
			t.Errorf("choice %q, LC_ALL=%q LANGUAGE=%q: Language is %q, want %q", c.choice, c.lcAll, c.language, got, want)
		}
	}
}

// stopNow stops the harness's goroutines in the middle of a test (its
// queued UI work is dropped): the next window's useLanguage then changes
// Fyne's translator while nothing of this one reads it.
func (h *harness) stopNow() {
	stopped := make(chan struct{})
	go func() {
		for {
			select {
			case <-h.q:
			case <-stopped:
				return
			}
		}
	}()
	h.u.stop()
	close(stopped)
}

// shownTexts paints the window and returns every text on it, dialogs
// included.
func shownTexts(w fyne.Window) []string {
	uitest.Paint(w.Canvas())
	objs := uitest.Shown(w.Canvas().Content())
	for _, o := range w.Canvas().Overlays().List() {
		objs = append(objs, uitest.Shown(o)...)
	}
	var out []string
	for _, o := range objs {
		if txt, ok := o.(*canvas.Text); ok && strings.TrimSpace(txt.Text) != "" {
			out = append(out, txt.Text)
		}
	}
	return out
}

// hasWords: the text has a letter (not only numbers, dates and signs).
func hasWords(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }

// screenTexts renders every tab of the window (Login, Register, Users,
// Activity, Settings) with the language setting at choice, and the Users
// tab's delete dialog, and returns their texts by screen.
func screenTexts(t *testing.T, choice string) map[string][]string {
	t.Helper()
	h, evs := languageWindow(t, choice)
	h.u.win.Resize(fyne.NewSize(1600, 1000))
	out := map[string][]string{}
	for i := range h.u.tabs.Items {
		h.u.tabs.SelectIndex(i)
		h.settle(0)
		out[strconv.Itoa(i)] = shownTexts(h.u.win)
	}
	out["kind filter"] = h.u.activity.kind.Options
	h.openActivity(len(evs))
	out["activity"] = shownTexts(h.u.win)
	h.u.tabs.SelectIndex(2)
	h.waitFor("the user list", func() bool { return len(h.u.users.rows) == 1 })
	h.selectUser("elkie")
	test.Tap(h.u.users.remove)
	h.waitFor("the delete dialog", func() bool { return h.u.win.Canvas().Overlays().Top() != nil })
	out["delete dialog"] = shownTexts(h.u.win)
	h.tapDialogButton(lang.L("Cancel"))
	h.stopNow()
	return out
}

// languageWindow is the window with the language setting at choice, one
// user (elkie) and one event of each kind in its activity log.
// languageWindowAt is languageWindow resized to size, stopped and the
// language set back to English when the test ends.
func languageWindowAt(t *testing.T, choice string, size fyne.Size) (*harness, []store.Event) {
	t.Helper()
	t.Cleanup(func() { useLanguage(languageEnglish) })
	h, evs := languageWindow(t, choice)
	t.Cleanup(h.stopNow)
	h.u.win.Resize(size)
	return h, evs
}

func languageWindow(t *testing.T, choice string) (*harness, []store.Event) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Preferences().SetString(PrefLanguage, choice)
	st, path := activityStore(t)
	var evs []store.Event
	for i, k := range store.EventKinds() { // one event of each kind, in the last hour
		evs = append(evs, store.Event{ID: int64(i + 1), At: time.Now().Add(-time.Duration(60-i) * time.Minute), Kind: k,
			Username: "elkie", Station: "hall", Distance: 0.3125, HasDistance: true}) // data the allowed texts of checkNoEnglish
	}
	seedEvents(t, path, evs)
	h := newHarnessWith(t, a, image.NewRGBA(image.Rect(0, 0, 640, 480)), newFakeEngine(), newFakeDirectory(),
		Options{Station: "hall"}, func(d *Deps) { d.Activity = storeLog{st.Events} })
	h.dir.add("elkie", idol(t, loadIdols(t), "Elkie (CLC)")[:1]...)
	return h, evs
}

// TestColumnsFitInSpanish: in the tester's 1280×800 window, in Spanish,
// the Users list's columns show their whole text and the Activity table
// shows every column without scrolling sideways.
func TestColumnsFitInSpanish(t *testing.T) {
	h, evs := languageWindowAt(t, languageSpanish, fyne.NewSize(1280, 800))
	h.u.tabs.SelectIndex(2)
	h.waitFor("the user list", func() bool { return len(h.u.users.rows) == 1 })
	h.settle(0)
	uitest.Paint(h.u.win.Canvas())
	cut := 0
	for _, o := range test.LaidOutObjects(h.u.users.list) {
		c, ok := o.(*fyne.Container)
		if !ok || len(c.Objects) != 3 {
			continue
		}
		for _, cell := range c.Objects[1:] {
			l := cell.(*widget.Label)
			if l.Text != "" && l.MinSize().Width > l.Size().Width+0.5 {
				cut++
				t.Errorf("the Users list cuts %q: %.0f px of %.0f", l.Text, l.Size().Width, l.MinSize().Width)
			}
		}
	}
	h.openActivity(len(evs))
	h.layOut() // the table asks the window for room
	texts := shownTexts(h.u.win)
	for _, want := range []string{"#", "Hora", "Evento", "Usuario", "Puesto", "Distancia", "Detalle"} {
		if !slices.Contains(texts, want) {
			t.Errorf("the Activity table does not show the column %q at 1280 px: %q", want, texts)
		}
	}
	s := h.u.activity
	var sum float32
	for i := range s.cols {
		sum += s.widths[i]
	}
	if sum > s.table.Size().Width+0.5 {
		t.Errorf("the columns take %.0f px, the table has %.0f", sum, s.table.Size().Width)
	}
	if at := evs[len(evs)-1].At.Local().Format("2006-01-02 15:04:05"); !slices.Contains(texts, at) {
		t.Errorf("the Activity table does not show the whole time %q: %q", at, texts)
	}
	t.Logf("Activity columns at %.0f px: %.0f; shown: %q", s.table.Size().Width, s.widths, texts)
}

// TestScreensInSpanish renders each screen in English and in Spanish: the
// Spanish one shows no English text (names, numbers and the language
// names aside).
func TestScreensInSpanish(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	en := screenTexts(t, languageEnglish)
	es := screenTexts(t, languageSpanish)
	checkNoEnglish(t, en, es)
	for screen, texts := range es {
		for _, k := range store.EventKinds() {
			if slices.Contains(texts, string(k)) {
				t.Errorf("the Spanish %s screen shows the code %q", screen, k)
			}
		}
	}
	for screen, want := range map[string]string{"0": "Iniciar sesión", "delete dialog": "¿Eliminar a «elkie»?",
		"activity": "Plantilla adaptada", "kind filter": "Plantillas adaptadas"} {
		if !slices.Contains(es[screen], want) {
			t.Errorf("the Spanish %s screen lacks %q: %q", screen, want, es[screen])
		}
	}
}

func checkNoEnglish(t *testing.T, en, es map[string][]string) {
	t.Helper()
	english := map[string]bool{}
	for _, texts := range en {
		for _, s := range texts {
			english[s] = true
		}
	}
	allowed := map[string]bool{"Face Login": true, "English": true, "Español": true, "elkie": true,
		"fake directory (memory)": true, "hall": true, "fake camera 640×480": true, "Face Login · hall": true}
	n := 0
	for screen, texts := range es {
		for _, s := range texts {
			n++
			if english[s] && hasWords(s) && !allowed[s] && !sameInBothLanguages[s] {
				t.Errorf("screen %s shows %q in Spanish too", screen, s)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d texts found on the Spanish screens: the walk is broken", n)
	}
}

// kioskTexts renders the kiosk with the system locale lcAll: the scanning
// screen, a welcome, the PIN panel after a wrong PIN, and the
// administrator's view after the right one.
func kioskTexts(t *testing.T, lcAll string) map[string][]string {
	t.Helper()
	t.Setenv("LC_ALL", lcAll)
	t.Setenv("LANGUAGE", "")
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{Station: "hall", ResultFor: 300 * time.Millisecond}, false)
	k, p := kh.k, kh.k.pin
	w := k.s.win
	w.Resize(fyne.NewSize(1600, 1000))
	out := map[string][]string{"scanning": shownTexts(w)}
	elkie, _, _ := kh.probes()
	kh.cam.show(elkie)
	kh.waitFor("the welcome screen", kh.resultShown)
	out["welcome"] = shownTexts(w)
	kh.cam.show(image.NewRGBA(image.Rect(0, 0, 640, 480)))
	kh.waitFor("the scanning screen", func() bool { return !kh.resultShown() })
	test.Tap(k.adminButton)
	test.Type(p.entry, "1111")
	test.Tap(p.ok)
	kh.waitFor("the PIN check", func() bool { return !k.pinChecking })
	out["wrong PIN"] = shownTexts(w)
	k.pinWaitUntil = time.Time{}
	k.updatePINWait()
	test.Type(p.entry, testPIN)
	test.Tap(p.ok)
	kh.waitFor("the administrator's view", func() bool { return k.unlocked })
	out["administrator"] = shownTexts(w)
	kh.stopNow()
	return out
}

// TestKioskInSpanish renders the kiosk under an English and a Spanish
// system locale (the kiosk has no settings of its own before the PIN): the
// Spanish one shows no English text.
func TestKioskInSpanish(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	en := kioskTexts(t, "en_GB.UTF-8")
	es := kioskTexts(t, "es_ES.UTF-8")
	checkNoEnglish(t, en, es)
	// The kiosk harness has the liveness check off: its notice is shown.
	if !slices.Contains(es["scanning"], "Prueba de vida desactivada") {
		t.Errorf("the Spanish scanning screen lacks the liveness notice: %q", es["scanning"])
	}
	for screen, want := range map[string]string{"scanning": "Mira a la cámara", "welcome": "Te damos la bienvenida, elkie"} {
		if !slices.Contains(es[screen], want) {
			t.Errorf("the Spanish kiosk's %s screen lacks %q: %q", screen, want, es[screen])
		}
	}
}

// TestLanguageSettingPersists: choosing Español in the Settings keeps it
// in the preferences, and the window built next on them speaks Spanish;
// choosing System again follows the locale (English here).
func TestLanguageSettingPersists(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	t.Setenv("LC_ALL", "en_US.UTF-8")
	t.Setenv("LANGUAGE", "")
	a := test.NewTempApp(t)
	frame := image.NewRGBA(image.Rect(0, 0, 640, 480))
	h := newHarnessOn(t, a, frame, newFakeEngine(), newFakeDirectory(), Options{})
	h.u.tabs.SelectIndex(len(h.u.tabs.Items) - 1)
	uitest.Paint(h.u.win.Canvas())
	var choice *widget.Select
	for _, o := range uitest.Shown(h.u.win.Canvas().Content()) {
		if s, ok := o.(*widget.Select); ok && slices.Contains(s.Options, "Español") {
			choice = s
		}
	}
	if choice == nil {
		t.Fatal("no language choice on the Settings tab")
	}
	if choice.Selected != "System" || !slices.Equal(choice.Options, []string{"System", "English", "Español"}) {
		t.Fatalf("language choice %q of %q", choice.Selected, choice.Options)
	}
	choice.SetSelected("Español")
	if got := a.Preferences().String(PrefLanguage); got != "es" {
		t.Fatalf("saved language %q, want es", got)
	}
	h.stopNow()
	next := newHarnessOn(t, a, frame, newFakeEngine(), newFakeDirectory(), Options{})
	if got := next.u.login.button.Text; got != "Iniciar sesión" {
		t.Errorf("the next window's login button says %q", got)
	}
	next.stopNow()
	a.Preferences().SetString(PrefLanguage, languageSystem)
	again := newHarnessOn(t, a, frame, newFakeEngine(), newFakeDirectory(), Options{})
	if got := again.u.login.button.Text; got != "Log in" {
		t.Errorf("with the system language (English) the login button says %q", got)
	}
}

// TestLivenessInSpanish: every prompt a real challenge shows (settling,
// each step, the failure) and every reason it can give comes out in
// Spanish: the liveness package's English wording is matched, and a
// change there fails here.
func TestLivenessInSpanish(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	// In English each reason reads as the liveness package words it: a
	// reason reworded there and not here fails.
	useLanguage(languageEnglish)
	worded := map[error]bool{}
	for _, r := range liveReasons() {
		worded[r.sentinel] = true
		if r.text != r.sentinel.Error() {
			t.Errorf("liveReasons has %q for the liveness package's %q", r.text, r.sentinel)
		}
	}
	for _, r := range live.Reasons {
		if !worded[r] {
			t.Errorf("the liveness reason %q has no text in liveReasons (it would show in English)", r)
		}
	}
	useLanguage(languageSpanish)
	c, err := live.New(challengeConfig())
	if err != nil {
		t.Fatal(err)
	}
	statuses := []live.Status{c.Status()}
	for _, s := range live.AllSteps {
		statuses = append(statuses, live.Status{Step: s, Prompt: s.Prompt(), Arrow: s.Arrow()})
	}
	c.End()
	statuses = append(statuses, c.Status(), live.Status{Done: true, Prompt: "Done"}, live.Status{Done: true, Prompt: "Liveness check failed"})
	for _, st := range statuses {
		if got := livePrompt(st); got == st.Prompt || !hasWords(got) {
			t.Errorf("prompt %q shows as %q in Spanish", st.Prompt, got)
		}
	}
	for _, r := range liveReasons() {
		if got := liveReason(fmt.Errorf("wrapped: %w", r.sentinel)); got == live.ReasonText(r.sentinel) {
			t.Errorf("reason %q is not translated", got)
		}
	}
}

// TestEventKindLabels: every kind of event the store defines has a label
// in the Activity table and a title in its kind filter, in English and in
// Spanish, none of them the raw code, and no two kinds alike.
func TestEventKindLabels(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	for _, l := range []string{languageEnglish, languageSpanish} {
		useLanguage(l)
		for name, m := range map[string]map[store.EventKind]string{"label": eventLabels(), "filter title": kindTitles()} {
			seen := map[string]bool{}
			for _, k := range store.EventKinds() {
				text, ok := m[k]
				switch {
				case !ok || text == "" || text == string(k):
					t.Errorf("%s: %q has no %s (%q)", l, k, name, text)
				case seen[text]:
					t.Errorf("%s: two kinds have the %s %q", l, name, text)
				}
				seen[text] = true
			}
		}
	}
}

// TestCountsInSpanish: counts group thousands with "." in Spanish and ","
// in English, and every count sentence agrees with its number.
func TestCountsInSpanish(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	cases := map[string][]string{
		languageEnglish: {"8,706", "1 person-day over 1 day", "2 people-days over 1 day", "1 person-day over 2 days", "1,200 people-days over 30 days",
			"event", "events", "row", "rows", "1 template", "2 templates",
			"Registered “ann” with 1 face template. You can log in now.", "Registered “ann” with 5 face templates. You can log in now."},
		languageSpanish: {"8.706", "1 día-persona en 1 día", "2 días-persona en 1 día", "1 día-persona en 2 días", "1.200 días-persona en 30 días",
			"evento", "eventos", "fila", "filas", "1 plantilla", "2 plantillas",
			"Registro de «ann» completado con 1 plantilla facial. Ya puedes iniciar sesión.", "Registro de «ann» completado con 5 plantillas faciales. Ya puedes iniciar sesión."},
	}
	for l, want := range cases {
		useLanguage(l)
		got := []string{thousands(8706), peopleDays(1, 1), peopleDays(2, 1), peopleDays(1, 2), peopleDays(1200, 30),
			exportUnit(false, 1), exportUnit(false, 2), exportUnit(true, 1), exportUnit(true, 0),
			userColumns(UserInfo{Name: "a", Templates: 1})[1], userColumns(UserInfo{Name: "a", Templates: 2})[1],
			registeredText("ann", 1), registeredText("ann", 5)}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", l, got, want)
		}
	}
}

// TestExportDialogInSpanish: the Activity screen's save dialog (Fyne's)
// names its places in Spanish in the Spanish window: Fyne v2.7.1 shows
// "Home" and "Computer" in English (translatePlaces).
func TestExportDialogInSpanish(t *testing.T) {
	h, evs := languageWindowAt(t, languageSpanish, fyne.NewSize(1280, 800))
	h.openActivity(len(evs))
	test.Tap(h.u.activity.export)
	h.waitFor("the save dialog", func() bool { return h.u.win.Canvas().Overlays().Top() != nil })
	texts := shownTexts(h.u.win)
	for _, want := range []string{"Carpeta personal", "Equipo", "Guardar", "Cancelar"} {
		if !slices.Contains(texts, want) {
			t.Errorf("the save dialog lacks %q: %q", want, texts)
		}
	}
	for _, english := range []string{"Home", "Computer", "Save", "Cancel"} {
		if slices.Contains(texts, english) {
			t.Errorf("the Spanish save dialog shows %q: %q", english, texts)
		}
	}
}
