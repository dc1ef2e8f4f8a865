package app

import (
	"embed"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	live "facelogin/recognition/liveness"
)

// PrefLanguage is the preference key of the window's language: "" follows
// the system locale, "en" or "es" override it.
const PrefLanguage = "ui.language"

// The languages the window and the kiosk speak. The command line keeps
// English.
const (
	languageSystem  = ""
	languageEnglish = "en"
	languageSpanish = "es"
)

// translations are the window's strings: en.json and es.json, keyed by the
// English text the code passes to lang.L / lang.X (Go text/template fields
// for the variable parts). TestTranslationKeys keeps both files equal to
// the keys in the code.
//
//go:embed translations/*.json
var translations embed.FS

// useLanguage loads the translations and makes Fyne's lang package (its
// own dialog strings and ours) speak choice: "en", "es", or "" for the
// system locale's language when it is Spanish and English otherwise (a C
// or POSIX locale, or any language the app has no translation for). It
// changes process-wide state, so the window and the kiosk call it once, as
// they are built, before any widget takes its text.
//
// Fyne v2.7.1 picks its language only from the locale environment
// (lang.updateLocalizer, through github.com/jeandeaual/go-locale: LC_ALL,
// LC_MESSAGES, LANG, then LANGUAGE), so the choice is made by setting
// LC_ALL and LANGUAGE while the translations load and restoring them
// after: processes the app starts see the environment it was given. A
// language already in force is left alone, so a second window (tests) does
// not write Fyne's translator while the first one reads it.
func useLanguage(choice string) string {
	if choice != languageEnglish && choice != languageSpanish {
		choice = systemLanguage()
	}
	loaded.Lock()
	defer loaded.Unlock()
	if loaded.language == choice {
		return choice
	}
	loaded.language = choice
	restore := setenvs(map[string]string{"LC_ALL": choice, "LANGUAGE": choice})
	defer restore()
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		slog.Error("load translations", "err", err) // a broken embedded file: TestTranslationKeys fails on it
	}
	return choice
}

// loaded is the language useLanguage last loaded: Fyne's translator is
// process-wide.
var loaded struct {
	sync.Mutex
	language string
}

// systemLanguage is "es" when the system locale's language is Spanish and
// "en" otherwise.
func systemLanguage() string {
	if l, _, _ := strings.Cut(string(lang.SystemLocale()), "-"); l == languageSpanish {
		return languageSpanish
	}
	return languageEnglish
}

// setenvs sets the environment variables in vs and returns the function
// that puts back what was there before.
func setenvs(vs map[string]string) (restore func()) {
	type old struct {
		v  string
		ok bool
	}
	olds := map[string]old{}
	for k, v := range vs {
		o, ok := os.LookupEnv(k)
		olds[k] = old{o, ok}
		os.Setenv(k, v)
	}
	return func() {
		for k, o := range olds {
			if o.ok {
				os.Setenv(k, o.v)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}

// languageSetting is the Settings block that picks the language: System,
// English or Español, each named in its own language. It is saved at once
// and used from the next start (every screen takes its text when built).
type languageSetting struct {
	prefs   fyne.Preferences
	log     *slog.Logger
	choice  *widget.Select
	content fyne.CanvasObject
}

// languageNames are the choices of the language setting, in their own
// language (the system one in the window's).
func languageNames() map[string]string {
	return map[string]string{
		languageSystem:  lang.L("System"),
		languageEnglish: "English",
		languageSpanish: "Español",
	}
}

func newLanguageSetting(prefs fyne.Preferences, log *slog.Logger) *languageSetting {
	l := &languageSetting{prefs: prefs, log: log}
	names := languageNames()
	codes := []string{languageSystem, languageEnglish, languageSpanish}
	options := make([]string, len(codes))
	for i, c := range codes {
		options[i] = names[c]
	}
	l.choice = widget.NewSelect(options, nil)
	l.choice.SetSelected(names[prefs.String(PrefLanguage)])
	l.choice.OnChanged = func(name string) {
		for _, c := range codes {
			if names[c] == name {
				prefs.SetString(PrefLanguage, c)
				log.Info("settings saved", "language", c)
			}
		}
	}
	help := widget.NewLabel(lang.L("The window's language. Used from the next start."))
	help.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem(lang.L("Language"), l.choice))
	l.content = container.NewVBox(widget.NewSeparator(), form, help)
	return l
}

// liveReason is a liveness refusal or hint for people, in the window's
// language: live.ReasonText translated by the sentinel the reason wraps.
func liveReason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range liveReasons() {
		if errors.Is(err, r.sentinel) {
			return r.text
		}
	}
	return live.ReasonText(err)
}

// liveReasons are the reasons a liveness check gives, with their text for
// people.
func liveReasons() []liveReasonText {
	return []liveReasonText{
		{live.ErrTooSlow, lang.L("camera too slow for the liveness check")},
		{live.ErrNoMotion, lang.L("the picture does not move — a photo cannot log in")},
		{live.ErrTooSmall, lang.L("face too small for the liveness check: come closer")},
		{live.ErrNoLandmarks, lang.L("the face landmarks have no eye contours: the liveness check needs the 68-point model")},
		{live.ErrBadFrame, lang.L("frames out of order")},
		{live.ErrNoFace, lang.L("no face in view")},
		{live.ErrManyFaces, lang.L("more than one face: one person at a time")},
		{live.ErrFaceLost, lang.L("the face was lost during the check")},
		{live.ErrFaceJumped, lang.L("the face changed during the check")},
		{live.ErrNotFrontal, lang.L("look straight at the camera")},
		{live.ErrTimeout, lang.L("step not done in time")},
		{live.ErrWrongWay, lang.L("turned the other way")},
		{live.ErrFlat, lang.L("the head turn showed no depth, as a flat picture does")},
		{live.ErrNotBlink, lang.L("the eyes closed too long or not completely to count as a blink")},
		{live.ErrPhotoBlink, lang.L("the eyes changed without moving, as two alternated pictures do")},
		{live.ErrEyesUnchanged, lang.L("no blink seen: the eyes themselves did not close")},
		{live.ErrSlideshow, lang.L("the face came back to exactly a shape it had shown, as photos shown in turn do")},
		{live.ErrNotSamePerson, lang.L("a different face at the end of the check")},
		{live.ErrNoDescriptor, lang.L("no face descriptor to confirm the person")},
	}
}

type liveReasonText struct {
	sentinel error
	text     string
}

// livePrompt is a challenge's prompt (live.Status.Prompt: a step's
// instruction, "Look at the camera", "Done", or why the check failed) in
// the window's language.
func livePrompt(st live.Status) string {
	switch {
	case st.Step == live.Blink && st.Prompt == live.Blink.Prompt():
		return lang.L("Blink")
	case st.Step == live.TurnLeft && st.Prompt == live.TurnLeft.Prompt():
		return lang.L("Turn your head to your left")
	case st.Step == live.TurnRight && st.Prompt == live.TurnRight.Prompt():
		return lang.L("Turn your head to your right")
	case st.Prompt == live.PromptLook:
		return lang.L("Look at the camera")
	case st.Prompt == live.PromptDone:
		return lang.L("Done")
	case st.Prompt == live.PromptFailed:
		return lang.L("Liveness check failed")
	}
	// Why the check failed, as a prompt: a line of its own, capitalised
	// (the kiosk's heading showed "step not done in time").
	for _, r := range liveReasons() {
		if st.Prompt == r.sentinel.Error() {
			return capitalize(r.text)
		}
	}
	return capitalize(st.Prompt)
}

// columnTitle is the Activity table's header of an internal/activity
// column (whose titles stay English in the CSV export and the command
// line).
func columnTitle(title string) string {
	titles := map[string]string{
		"Time": lang.L("Time"), "Event": lang.L("Event"), "User": lang.L("User"), "Station": lang.L("Station"),
		"Distance": lang.L("Distance"), "Detail": lang.L("Detail"), "Day": lang.L("Day"),
		"First check-in": lang.L("First check-in"), "Last check-in": lang.L("Last check-in"),
		"Check-ins": lang.L("Check-ins"),
	}
	if t, ok := titles[title]; ok {
		return t
	}
	return title
}
