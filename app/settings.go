package app

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/onlogin"
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
	// OnLogin is the on-login command as --on-login takes it
	// (internal/onlogin: a JSON array, program first, or a program path);
	// "" for none.
	OnLogin string
	// OnLoginTimeout bounds one run of the on-login command;
	// onlogin.DefaultTimeout where none is saved.
	OnLoginTimeout time.Duration
}

// Preference keys of Settings.
const (
	PrefCameraSource = "camera.source"
	PrefThreshold    = "recognition.threshold"
	PrefModelsDir    = "models.dir"
	PrefOnLogin      = "onlogin.command"
	// PrefOnLoginTimeout is in seconds.
	PrefOnLoginTimeout = "onlogin.timeout_seconds"
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
		OnLogin:      p.StringWithFallback(PrefOnLogin, def.OnLogin),
		OnLoginTimeout: time.Duration(math.Round(p.FloatWithFallback(PrefOnLoginTimeout, def.OnLoginTimeout.Seconds())*1000)) *
			time.Millisecond,
	}
	if s.Threshold < MinThreshold || s.Threshold > MaxThreshold {
		s.Threshold = def.Threshold
	}
	if s.OnLoginTimeout < minOnLoginTimeout || s.OnLoginTimeout > maxOnLoginTimeout {
		s.OnLoginTimeout = def.OnLoginTimeout
	}
	if s.OnLoginTimeout <= 0 {
		s.OnLoginTimeout = onlogin.DefaultTimeout
	}
	return s
}

// SaveSettings keeps s in p.
func SaveSettings(p fyne.Preferences, s Settings) {
	p.SetString(PrefCameraSource, s.CameraSource)
	p.SetFloat(PrefThreshold, float64(s.Threshold))
	p.SetString(PrefModelsDir, s.ModelsDir)
	p.SetString(PrefOnLogin, s.OnLogin)
	p.SetFloat(PrefOnLoginTimeout, s.OnLoginTimeout.Seconds())
}

// settingsScreen edits Settings. The threshold and the on-login command
// apply at once; the camera too when a CameraSwitcher is given (else at the
// next start, like the models directory).
type settingsScreen struct {
	tasks    *tasks
	prefs    fyne.Preferences
	defaults Settings
	th       *threshold
	switcher CameraSwitcher // nil: camera changes apply at the next start
	action   *onLoginAction
	onSaved  func(Settings) // nil: nobody to tell
	log      *slog.Logger

	// inForce are the settings in use (UI goroutine only): the camera
	// changes only once the switch worked.
	inForce   Settings
	switching bool
	// forRun: the on-login command in force came from the command line;
	// it is shown, not edited, and a save keeps the saved one.
	forRun bool

	camera         *cameraPicker
	threshold      *widget.Slider
	thresholdLabel *widget.Label
	database       *widget.Label
	models         *widget.Entry
	onLogin        *onLoginField
	save           *widget.Button
	message        *widget.Label
	content        fyne.CanvasObject
}

// switchTimeout bounds opening a new camera.
const switchTimeout = 30 * time.Second

// newSettingsScreen shows s, the settings in force; saving writes prefs,
// sets th and the on-login action, and switches the camera through
// switcher.
func newSettingsScreen(t *tasks, prefs fyne.Preferences, s, defaults Settings, backend BackendNamer, th *threshold,
	switcher CameraSwitcher, action *onLoginAction, onSaved func(Settings), log *slog.Logger) *settingsScreen {
	st := &settingsScreen{tasks: t, prefs: prefs, defaults: defaults, th: th, switcher: switcher, action: action,
		onSaved: onSaved, log: log, inForce: s}
	st.camera = newCameraPicker(s.CameraSource, st.loadCameras)
	if switcher == nil {
		st.camera.refresh.Hide()
	}
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
	st.onLogin = newOnLoginField(s)
	st.save = &widget.Button{Text: lang.L("Save"), Importance: widget.HighImportance, OnTapped: st.onSave}
	st.message = widget.NewLabel("")
	st.message.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(lang.L("Camera"), st.camera.content),
		widget.NewFormItem(lang.L("Base threshold"), container.NewBorder(nil, nil, nil, st.thresholdLabel, st.threshold)),
		widget.NewFormItem(lang.L("Database"), st.database),
		widget.NewFormItem(lang.L("Models directory"), st.models),
	)
	for _, it := range st.onLogin.items {
		form.AppendItem(it)
	}
	help := widget.NewLabel(lang.L("Lower thresholds refuse more lookalikes and more bad frames of the right person. " +
		"Each user's own threshold follows from this one and from who else is registered: a lookalike tightens it."))
	help.Wrapping = fyne.TextWrapWord
	st.content = container.NewVBox(form, help, st.onLogin.help, st.save, st.message)
	if s.OnLogin != "" && action.get() == nil {
		st.say(lang.L("The saved on-login command could not be started and is off — see the log, then correct it and save."),
			widget.WarningImportance)
	}
	return st
}

// onLoginForRun marks the on-login command in force as given on the
// command line for this run: read-only here, never saved.
func (st *settingsScreen) onLoginForRun() {
	st.forRun = true
	st.onLogin.command.Disable()
	st.onLogin.timeout.Disable()
	st.onLogin.help.SetText(lang.L("Given with --on-login for this run only: it is not saved, and the next start without it uses the saved command.") +
		" " + st.onLogin.help.Text)
}

// open lists the cameras present when the screen is shown. UI goroutine.
func (st *settingsScreen) open() { st.loadCameras() }

// loadCameras offers the cameras present in the picker. UI goroutine; the
// listing runs in the background.
func (st *settingsScreen) loadCameras() {
	if st.switcher == nil {
		return
	}
	st.tasks.Go(func(context.Context) {
		ds, err := st.switcher.Cameras()
		if err != nil {
			st.log.Error("list cameras", "err", err)
		}
		st.tasks.do(func() { st.camera.setDevices(ds) })
	})
}

func (st *settingsScreen) showThreshold(v float64) {
	st.thresholdLabel.SetText(fmt.Sprintf("%.3f", v))
}

func (st *settingsScreen) say(msg string, imp widget.Importance) {
	st.message.Importance = imp
	st.message.SetText(msg)
}

// current reads the form, except the on-login command (onLoginField.read).
func (st *settingsScreen) current() Settings {
	return Settings{
		CameraSource:   st.camera.source(),
		Threshold:      float32(math.Round(st.threshold.Value*1000) / 1000),
		ModelsDir:      strings.TrimSpace(st.models.Text),
		OnLogin:        st.inForce.OnLogin,
		OnLoginTimeout: st.inForce.OnLoginTimeout,
	}
}

func (st *settingsScreen) onSave() {
	if st.switching {
		return
	}
	s := st.current()
	if s.CameraSource == "" && st.inForce.CameraSource != "" {
		st.say(lang.L("Choose a camera, or type the video file or stream URL to use."), widget.DangerImportance)
		return
	}
	command, timeout := s.OnLogin, s.OnLoginTimeout
	toSave := s
	if st.forRun {
		saved := LoadSettings(st.prefs, st.defaults)
		toSave.OnLogin, toSave.OnLoginTimeout = saved.OnLogin, saved.OnLoginTimeout
	} else {
		var runner *onlogin.Runner
		var err error
		command, timeout, runner, err = st.onLogin.read()
		if err != nil {
			st.say(lang.L("Not saved.")+" "+err.Error(), widget.DangerImportance)
			return
		}
		s.OnLogin, s.OnLoginTimeout = command, timeout
		toSave = s
		st.action.set(runner)
		st.onLogin.command.SetText(command)
	}
	old := st.inForce
	switchTo := ""
	if st.switcher != nil && s.CameraSource != old.CameraSource {
		// The camera is saved once it is in use.
		switchTo, s.CameraSource = s.CameraSource, old.CameraSource
		toSave.CameraSource = s.CameraSource
	}
	SaveSettings(st.prefs, toSave)
	st.inForce = s
	st.th.set(s.Threshold)
	st.log.Info("settings saved", "camera", redact.URL(s.CameraSource), "threshold", s.Threshold, "models", s.ModelsDir,
		"on_login", command, "on_login_timeout", timeout)
	msg := lang.L("Saved.")
	if (st.switcher == nil && s.CameraSource != old.CameraSource) || s.ModelsDir != old.ModelsDir {
		msg = lang.L("Saved. The new camera source and models directory are used from the next start.")
	}
	st.say(msg, widget.SuccessImportance)
	if st.onSaved != nil {
		st.onSaved(s)
	}
	if switchTo != "" {
		st.switchCamera(switchTo)
	}
}

// switchCamera asks the switcher for the camera source and saves it once
// it is in use. UI goroutine; the switch runs in the background.
func (st *settingsScreen) switchCamera(source string) {
	st.switching = true
	st.save.Disable()
	st.say(lang.L("Saved. Opening the camera “{{.Camera}}”…", map[string]any{"Camera": redact.URL(source)}), widget.MediumImportance)
	st.tasks.Go(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, switchTimeout)
		defer cancel()
		err := st.switcher.SwitchCamera(ctx, source)
		if err != nil {
			st.log.Error("switch camera", "to", redact.URL(source), "err", err)
		} else {
			st.log.Info("camera switched", "to", redact.URL(source))
		}
		st.tasks.do(func() {
			st.switching = false
			st.save.Enable()
			if err != nil {
				st.say(cameraAdvice(source, err), widget.DangerImportance)
				return
			}
			st.inForce.CameraSource = source
			st.say(lang.L("Saved. Now using the camera “{{.Camera}}”.", map[string]any{"Camera": redact.URL(source)}), widget.SuccessImportance)
			if st.onSaved != nil {
				st.onSaved(st.inForce)
			}
			// Last: whoever sees the saved camera sees the rest done.
			st.prefs.SetString(PrefCameraSource, source)
		})
	})
}
