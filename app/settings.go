package app

import (
	"fmt"
	"log/slog"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/redact"
)

// Settings are what the person may change and keep between runs.
type Settings struct {
	// CameraSource is what --camera takes: a device index, a /dev/videoN
	// path, a video file, an image-sequence pattern or a stream URL.
	CameraSource string
	// Threshold is the decision policy's base threshold: the largest
	// descriptor distance accepted as the same person while no lookalike
	// tightens a user's own threshold (decision.Policy.WithBase).
	Threshold float32
	// ModelsDir holds the dlib model files.
	ModelsDir string
}

// Preference keys of Settings.
const (
	PrefCameraSource = "camera.source"
	PrefThreshold    = "recognition.threshold"
	PrefModelsDir    = "models.dir"
)

// Threshold range offered by the settings screen.
const (
	MinThreshold = 0.30
	MaxThreshold = 0.80
)

// LoadSettings returns the saved settings, taking def for any not saved.
// cmd/ calls it to pick the camera and models before the window exists.
func LoadSettings(p fyne.Preferences, def Settings) Settings {
	s := Settings{
		CameraSource: p.StringWithFallback(PrefCameraSource, def.CameraSource),
		Threshold:    float32(p.FloatWithFallback(PrefThreshold, float64(def.Threshold))),
		ModelsDir:    p.StringWithFallback(PrefModelsDir, def.ModelsDir),
	}
	if s.Threshold < MinThreshold || s.Threshold > MaxThreshold {
		s.Threshold = def.Threshold
	}
	return s
}

// SaveSettings keeps s in p.
func SaveSettings(p fyne.Preferences, s Settings) {
	p.SetString(PrefCameraSource, s.CameraSource)
	p.SetFloat(PrefThreshold, float64(s.Threshold))
	p.SetString(PrefModelsDir, s.ModelsDir)
}

// settingsScreen edits Settings. The threshold applies at once; the camera
// and models are opened at start, so their changes apply at the next start.
type settingsScreen struct {
	prefs    fyne.Preferences
	defaults Settings
	th       *threshold
	onSaved  func(Settings) // nil: nobody to tell
	log      *slog.Logger

	camera         *widget.Entry
	threshold      *widget.Slider
	thresholdLabel *widget.Label
	database       *widget.Label
	models         *widget.Entry
	save           *widget.Button
	message        *widget.Label
	content        fyne.CanvasObject
}

// newSettingsScreen shows s, the settings in force; saving writes prefs
// and sets th.
func newSettingsScreen(prefs fyne.Preferences, s, defaults Settings, backend BackendNamer, th *threshold, onSaved func(Settings), log *slog.Logger) *settingsScreen {
	st := &settingsScreen{prefs: prefs, defaults: defaults, th: th, onSaved: onSaved, log: log}
	st.camera = widget.NewEntry()
	st.camera.SetText(s.CameraSource)
	st.camera.SetPlaceHolder("0, /dev/video0, video.mp4, frames/%03d.jpg or rtsp://…")
	st.thresholdLabel = widget.NewLabel("")
	st.threshold = widget.NewSlider(MinThreshold, MaxThreshold)
	// Steps of 0.005 so the measured default (0.375) is a slider position.
	st.threshold.Step = 0.005
	st.threshold.OnChanged = func(v float64) { st.showThreshold(v) }
	st.threshold.SetValue(float64(s.Threshold))
	st.showThreshold(st.threshold.Value)
	st.database = widget.NewLabel(backend.Backend())
	st.database.Wrapping = fyne.TextWrapBreak
	st.database.Selectable = true
	st.models = widget.NewEntry()
	st.models.SetText(s.ModelsDir)
	st.save = &widget.Button{Text: "Save", Importance: widget.HighImportance, OnTapped: st.onSave}
	st.message = widget.NewLabel("")
	st.message.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem("Camera source", st.camera),
		widget.NewFormItem("Base threshold", container.NewBorder(nil, nil, nil, st.thresholdLabel, st.threshold)),
		widget.NewFormItem("Database", st.database),
		widget.NewFormItem("Models directory", st.models),
	)
	help := widget.NewLabel("Lower thresholds refuse more lookalikes and more bad frames of the right person. " +
		"Each user's own threshold follows from this one and from who else is registered: a lookalike tightens it.")
	help.Wrapping = fyne.TextWrapWord
	st.content = container.NewVBox(form, help, st.save, st.message)
	return st
}

func (st *settingsScreen) showThreshold(v float64) {
	st.thresholdLabel.SetText(fmt.Sprintf("%.3f", v))
}

// current reads the form.
func (st *settingsScreen) current() Settings {
	return Settings{
		CameraSource: strings.TrimSpace(st.camera.Text),
		Threshold:    float32(math.Round(st.threshold.Value*1000) / 1000),
		ModelsDir:    strings.TrimSpace(st.models.Text),
	}
}

func (st *settingsScreen) onSave() {
	s := st.current()
	old := LoadSettings(st.prefs, st.defaults)
	SaveSettings(st.prefs, s)
	st.th.set(s.Threshold)
	st.log.Info("settings saved", "camera", redact.URL(s.CameraSource), "threshold", s.Threshold, "models", s.ModelsDir)
	msg := "Saved."
	if s.CameraSource != old.CameraSource || s.ModelsDir != old.ModelsDir {
		msg = "Saved. The new camera source and models directory are used from the next start."
	}
	st.message.Importance = widget.SuccessImportance
	st.message.SetText(msg)
	if st.onSaved != nil {
		st.onSaved(s)
	}
}
