package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/activity"
	"facelogin/store"
)

// ActivityReader is what the Activity screen reads of the audit log, in
// the store's own types (store.Events has these methods; internal/appdir
// adapts it, turning store.ErrInvalidName into ErrInvalidName). Every
// method may touch the database and is called from background goroutines
// only.
type ActivityReader interface {
	// Page returns up to n events matching q that come after the cursor,
	// newest first (keyset paging: every page costs the same).
	Page(ctx context.Context, q store.EventQuery, after store.EventCursor, n int) (store.EventPage, error)
	// Count returns how many events match q.
	Count(ctx context.Context, q store.EventQuery) (int64, error)
	// DailySummary calls fn with each user's first and last check-in per
	// day, days in loc, newest day first; q's Kinds is ignored.
	DailySummary(ctx context.Context, q store.EventQuery, loc *time.Location, fn func(store.DaySummary) error) error
	// Each calls fn for every event matching q, newest first, streaming
	// them from the database.
	Each(ctx context.Context, q store.EventQuery, fn func(store.Event) error) error
}

// OnLoginRecorder writes what the on-login action did to the audit log
// (an on_login event; detail is onlogin.Result.Detail).
type OnLoginRecorder interface {
	RecordOnLogin(ctx context.Context, username, detail string) error
}

// KioskRecorder writes the kiosk's own events to the audit log.
type KioskRecorder interface {
	// RecordKioskStart notes that a kiosk started (a kiosk_start event)
	// with what an auditor must know of it: detail.
	RecordKioskStart(ctx context.Context, detail string) error
}

// ActivityLog is the audit log as the window and the kiosk use it: the
// Activity screen reads it, the on-login action and the kiosk write to it.
type ActivityLog interface {
	ActivityReader
	OnLoginRecorder
	KioskRecorder
}

// userLister names the enrolled users (the Activity screen offers them as
// filters).
type userLister interface {
	List(ctx context.Context) ([]UserInfo, error)
}

const (
	// activityPageSize is the number of events on one page of the table.
	activityPageSize = 50
	// maxSummaryRows bounds the per-day summary shown in the window; the
	// export writes all of it.
	maxSummaryRows = 5000
	// activityTimeout bounds one query of the screen.
	activityTimeout = 30 * time.Second
	// activityExportProgress is how many rows pass between two progress
	// messages of an export.
	activityExportProgress = 5000
)

// Choices of the screen's view.
const (
	viewEvents  = "Events"
	viewSummary = "Check-ins per day"
	allKinds    = "All events"
)

// kindTitles name the kinds of events in the kind filter.
func kindTitles() map[store.EventKind]string {
	return map[store.EventKind]string{
		store.EventRegister:         lang.L("Registrations"),
		store.EventTemplatesAdded:   lang.L("Templates added"),
		store.EventReRegister:       lang.L("Re-registrations"),
		store.EventLoginSuccess:     lang.L("Logins (check-ins)"),
		store.EventLoginFailure:     lang.L("Refused logins"),
		store.EventRename:           lang.L("Renames"),
		store.EventDisable:          lang.L("Users disabled"),
		store.EventEnable:           lang.L("Users enabled"),
		store.EventDelete:           lang.L("Deletions"),
		store.EventImport:           lang.L("Imports"),
		store.EventOnLogin:          lang.L("On-login actions"),
		store.EventDuplicateAllowed: lang.L("Look-alikes allowed"),
		store.EventTemplateAdapted:  lang.L("Templates adapted"),
		store.EventKioskStart:       lang.L("Kiosk starts"),
	}
}

// eventLabels name one event of each kind in the table's Event column (the
// CSV export and the command line keep the codes).
func eventLabels() map[store.EventKind]string {
	return map[store.EventKind]string{
		store.EventRegister:         lang.L("Registration"),
		store.EventTemplatesAdded:   lang.L("Templates added"),
		store.EventReRegister:       lang.L("Re-registration"),
		store.EventLoginSuccess:     lang.L("Login"),
		store.EventLoginFailure:     lang.L("Failed login"),
		store.EventRename:           lang.L("Name changed"),
		store.EventDisable:          lang.L("User disabled"),
		store.EventEnable:           lang.L("User enabled"),
		store.EventDelete:           lang.L("Deletion"),
		store.EventImport:           lang.L("Import"),
		store.EventOnLogin:          lang.L("On-login action"),
		store.EventDuplicateAllowed: lang.L("Look-alike allowed"),
		store.EventTemplateAdapted:  lang.L("Template adapted"),
		store.EventKioskStart:       lang.L("Kiosk started"),
	}
}

// cellText is the text of row's cell in column c: an event's kind by its
// label, the rest as the column shows it.
func cellText(c activity.Column, row any, loc *time.Location, labels map[store.EventKind]string) string {
	if e, ok := row.(store.Event); ok && c.Name == "kind" {
		if l, ok := labels[e.Kind]; ok {
			return l
		}
	}
	if d, ok := row.(store.DaySummary); ok && c.Name == "user" && d.Deleted {
		return lang.L("{{.User}} (deleted)", map[string]any{"User": d.User})
	}
	return c.Show(row, loc)
}

func kindTitle(k store.EventKind) string {
	if t, ok := kindTitles()[k]; ok {
		return t
	}
	return string(k)
}

// activityScreen shows the audit log: a table of events, newest first,
// filtered by day range, user, station and kind and read a page at a time,
// or each user's first and last check-in per day; the rows matching the
// filters export to CSV. Every query runs in the background; a newer one
// cancels the one before.
type activityScreen struct {
	tasks  *tasks
	events ActivityReader
	users  userLister
	win    fyne.Window // parent of the save dialog
	log    *slog.Logger
	// loc is the time zone times are shown and days counted in;
	// time.Local.
	loc      *time.Location
	now      func() time.Time
	pageSize int

	from, to *widget.DateEntry
	user     *widget.SelectEntry
	station  *widget.SelectEntry
	kind     *widget.Select
	view     *widget.RadioGroup
	table    *widget.Table
	newer    *widget.Button
	older    *widget.Button
	reload   *widget.Button
	export   *widget.Button
	position *widget.Label
	message  *widget.Label
	// dateError names the expected date format beside the day range
	// while a typed day is not a date (the filters are not applied).
	dateError *widget.Label
	busy      *widget.ProgressBarInfinite
	content   fyne.CanvasObject

	// UI goroutine only.
	opened    bool
	q         store.EventQuery // the filters of the rows shown
	summary   bool
	cols      []activity.Column
	width     float32                    // the table's width the columns were fitted to
	widths    []float32                  // the columns' widths
	rows      []any                      // store.Event or store.DaySummary
	labels    map[store.EventKind]string // eventLabels, taken once
	starts    []store.EventCursor        // where each page up to the one shown starts
	next      store.EventCursor          // where the page after the one shown starts
	more      bool                       // there are older events
	total     int64                      // events matching q; -1 while counting
	gen, qgen uint64                     // the newest load and the newest filters
	cancels   [2]context.CancelFunc      // of the loads in flight: rows, count
	exporting bool
	// invalid: the filters as typed are not a query (a day that is not a
	// date, the first day after the last); the rows shown are an older
	// query's, so Export is off until the filters are fixed.
	invalid bool
	// exported is the finished export's message, kept through the
	// reload that follows it (which would clear the message line).
	exported string
	stations map[string]bool
	// onNeed, if set, is told how many more pixels the table needs to
	// show every column whole (the window widens the tabs' side of its
	// split). UI goroutine.
	onNeed func(extra float32)
}

// newActivityScreen builds the screen; nothing is read until open.
// station is this station's name, offered in the station filter.
func newActivityScreen(t *tasks, events ActivityReader, users userLister, station string, win fyne.Window, log *slog.Logger) *activityScreen {
	s := &activityScreen{labels: eventLabels(), tasks: t, events: events, users: users, win: win, log: log, loc: time.Local, now: time.Now,
		pageSize: activityPageSize, total: -1, stations: map[string]bool{}}
	if station != "" {
		s.stations[station] = true
	}
	s.from = widget.NewDateEntry()
	s.to = widget.NewDateEntry()
	s.from.SetPlaceHolder(lang.L("First day"))
	s.to.SetPlaceHolder(lang.L("Last day"))
	s.user = widget.NewSelectEntry(nil)
	s.user.SetPlaceHolder(lang.L("Anyone"))
	s.station = widget.NewSelectEntry(s.stationNames())
	s.station.SetPlaceHolder(lang.L("Any station"))
	kinds := []string{lang.L(allKinds)}
	for _, k := range store.EventKinds() {
		kinds = append(kinds, kindTitle(k))
	}
	s.kind = widget.NewSelect(kinds, nil)
	s.kind.SetSelected(lang.L(allKinds))
	s.view = widget.NewRadioGroup([]string{lang.L(viewEvents), lang.L(viewSummary)}, nil)
	// One option a line: side by side they widened the pane past a
	// 640×480 window's (TestSmallWindowFits).
	s.view.Horizontal = false
	s.view.Required = true
	s.view.SetSelected(lang.L(viewEvents))
	s.showLastDays(7)

	s.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(s.rows), len(s.cols) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			if id.Row < len(s.rows) && id.Col < len(s.cols) {
				showCell(o.(*widget.Label), s.widths[id.Col], cellText(s.cols[id.Col], s.rows[id.Row], s.loc, s.labels))
			}
		})
	s.table.ShowHeaderColumn = false
	s.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	s.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(s.cols) {
			o.(*widget.Label).SetText(columnTitle(s.cols[id.Col].Title))
		}
	}
	// A selected row's last column (the detail) shows whole on the
	// message line: in a narrow pane it is cut at the edge ("livenes").
	s.table.OnSelected = s.showWhole
	s.setColumns(activity.EventColumns())

	s.newer = &widget.Button{Text: lang.L("Newer"), Icon: theme.NavigateBackIcon(), OnTapped: s.onNewer}
	s.older = &widget.Button{Text: lang.L("Older"), Icon: theme.NavigateNextIcon(), IconPlacement: widget.ButtonIconTrailingText, OnTapped: s.onOlder}
	s.reload = &widget.Button{Text: lang.L("Refresh"), Icon: theme.ViewRefreshIcon(), OnTapped: s.load}
	s.export = &widget.Button{Text: lang.L("Export CSV…"), Icon: theme.DocumentSaveIcon(), OnTapped: s.onExport}
	s.position = widget.NewLabel("")
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.dateError = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	s.dateError.Hide()
	s.busy = widget.NewProgressBarInfinite()
	s.busy.Hide()
	s.newer.Disable()
	s.older.Disable()

	// Filters apply as they change.
	s.from.OnChanged = func(*time.Time) { s.load() }
	s.to.OnChanged = func(*time.Time) { s.load() }
	// A day that is not a date changes no Date and calls no OnChanged:
	// its validity does change.
	s.from.SetOnValidationChanged(func(error) { s.load() })
	s.to.SetOnValidationChanged(func(error) { s.load() })
	s.user.OnChanged = func(string) { s.load() }
	s.station.OnChanged = func(string) { s.load() }
	s.kind.OnChanged = func(string) { s.load() }
	s.view.OnChanged = func(string) { s.load() }

	filters := container.New(layout.NewFormLayout(),
		widget.NewLabel(lang.L("Days")), container.NewVBox(container.NewGridWithColumns(2, s.from, s.to), s.dateError),
		widget.NewLabel(lang.L("User")), s.user,
		widget.NewLabel(lang.L("Station")), s.station,
		widget.NewLabel(lang.L("Kind")), s.kind,
		widget.NewLabel(lang.L("Show")), s.view,
	)
	// Narrow enough for the window's right pane (the tabs take the
	// widest screen's width).
	top := container.NewVBox(filters, container.NewHBox(layout.NewSpacer(), s.reload, s.export))
	// The position wraps beside the buttons rather than widening the
	// pane in a small window.
	s.position.Wrapping = fyne.TextWrapWord
	s.position.Alignment = fyne.TextAlignTrailing
	bottom := container.NewVBox(
		container.NewBorder(nil, nil, container.NewHBox(s.newer, s.older), nil, s.position),
		s.busy, s.message)
	// The filters scroll when the pane is short (a 640×480 window): their
	// rows, the table and the pager were taller than the window, and the
	// driver grew it past the screen's bottom edge (TestSmallWindowFits).
	filtersScroll := container.NewVScroll(top)
	s.content = container.New(paneLayout{filtersScroll}, filtersScroll, bottom,
		container.New(fitLayout{s}, container.NewThemeOverride(s.table, compactCells{theme.Current()})))
	return s
}

// showLastDays sets the day range to the last n days, today included,
// without loading. UI goroutine.
func (s *activityScreen) showLastDays(n int) {
	on, off := s.from.OnChanged, s.to.OnChanged
	s.from.OnChanged, s.to.OnChanged = nil, nil
	today := s.now().In(s.loc)
	first := today.AddDate(0, 0, 1-n)
	s.from.SetDate(&first)
	s.to.SetDate(&today)
	s.from.OnChanged, s.to.OnChanged = on, off
}

// showCell puts v in a cell of a column width pixels wide: cut with an
// ellipsis only when its text does not fit (a label that does not truncate
// draws its text over the next column). Text measurements are cached by
// Fyne, so a page of cells costs one shaping pass per new text.
func showCell(l *widget.Label, width float32, v string) {
	trunc := fyne.TextTruncateOff
	if cellWidth(v, fyne.TextStyle{}) > width {
		trunc = fyne.TextTruncateEllipsis
	}
	if l.Truncation != trunc {
		l.Truncation = trunc
	}
	l.SetText(v)
}

// cellWidth is the width of a table cell that shows v whole: its text and
// the cell label's padding, with a pixel for rounding.
func cellWidth(v string, style fyne.TextStyle) float32 {
	return fyne.MeasureText(v, theme.TextSize(), style).Width + 2*compactPadding + 1
}

// setColumns shows cols, fitted to the table's width. UI goroutine.
func (s *activityScreen) setColumns(cols []activity.Column) {
	s.cols = cols
	s.fitColumns(s.width)
}

// Widest a name column (user, station) grows for one long name, in
// digits: a longer name is cut with an ellipsis rather than pushing the
// other columns off the screen.
const maxNameChars = 24

// columnWants are the widths the columns need to show their cells whole:
// the heading, and the widest value of the rows shown — for the event
// column the widest label of any kind in the language in use, so that it
// does not change width from page to page, and for the last column (the
// detail, or the check-ins) only its heading, as it takes the rest of the
// line.
func (s *activityScreen) columnWants() []float32 {
	digit := fyne.MeasureText("0", theme.TextSize(), fyne.TextStyle{}).Width
	want := make([]float32, len(s.cols))
	for i, c := range s.cols {
		want[i] = cellWidth(columnTitle(c.Title), fyne.TextStyle{Bold: true})
		if i == len(s.cols)-1 {
			want[i] = max(want[i], cellWidth(strings.Repeat("0", 8), fyne.TextStyle{}))
			continue
		}
		if c.Name == "kind" {
			for _, l := range s.labels {
				want[i] = max(want[i], cellWidth(l, fyne.TextStyle{}))
			}
		}
		widest := float32(0)
		for _, r := range s.rows {
			widest = max(widest, cellWidth(cellText(c, r, s.loc, s.labels), fyne.TextStyle{}))
		}
		if c.Name == "user" || c.Name == "station" {
			widest = min(widest, maxNameChars*digit+2*compactPadding+1)
		}
		want[i] = max(want[i], widest)
	}
	return want
}

// need is the width of the table that shows every column whole (the last
// at its narrowest).
func (s *activityScreen) need() float32 {
	n := float32(0)
	for _, w := range s.columnWants() {
		n += w
	}
	return n
}

// fitColumns sizes the columns for a table width wide: each as wide as its
// widest cell (columnWants), the last taking the rest of the line. Columns
// are never narrowed below what their cells need: in a table narrower than
// that (a small window) the table scrolls sideways, and the window asks
// for more room first (onNeed). UI goroutine.
func (s *activityScreen) fitColumns(width float32) {
	s.width = width
	s.widths = s.columnWants()
	used := float32(0)
	for i, w := range s.widths {
		if i == len(s.widths)-1 && width > used+w {
			w = width - used // the last column to the edge
			s.widths[i] = w
		}
		used += w
		s.table.SetColumnWidth(i, w)
	}
}

// askRoom tells onNeed how wide the table would have to be to show every
// column whole, when it is narrower. It runs after the layout pass that
// found it too narrow, not inside it.
func (s *activityScreen) askRoom() {
	if s.onNeed == nil || s.width <= 0 {
		return
	}
	if need := s.need(); need > s.width+0.5 {
		s.tasks.do(func() { s.onNeed(need - s.width) })
	}
}

// compactPadding is the padding of the Activity table's cells' text, a
// quarter of the theme's: it leaves the columns room for more of their text.
const compactPadding = 2

// compactCells is the theme of the Activity table: the app's, with less
// padding around the text of its cells.
type compactCells struct{ fyne.Theme }

func (t compactCells) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameInnerPadding {
		return compactPadding
	}
	return t.Theme.Size(n)
}

// fitLayout lays out the Activity table, fitting its columns to the width
// it is given.
type fitLayout struct{ s *activityScreen }

func (l fitLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if size.Width != l.s.width {
		l.s.fitColumns(size.Width)
		l.s.askRoom()
	}
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l fitLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return l.s.table.MinSize() }

// The Activity pane's filters are never shorter than filtersLeast while
// they scroll, and they scroll only when the table would get less than
// tableRoom (its heading and a few rows).
const (
	filtersLeast = 96
	tableRoom    = 160
)

// paneLayout lays out the Activity pane: the filters (a vertical scroll)
// at the top, the pager and message at the bottom at their minimum
// height, and the table between them. The filters get their whole height
// unless the table would be left less than tableRoom; then they scroll,
// down to filtersLeast. Objects: filters, bottom, table.
type paneLayout struct{ filters *container.Scroll }

func (l paneLayout) filtersWant() fyne.Size { return l.filters.Content.MinSize() }

func (l paneLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	bottom, table := objs[1], objs[2]
	bottomH := bottom.MinSize().Height
	topH := min(l.filtersWant().Height, max(filtersLeast, size.Height-bottomH-2*pad-tableRoom))
	l.filters.Move(fyne.NewPos(0, 0))
	l.filters.Resize(fyne.NewSize(size.Width, topH))
	table.Move(fyne.NewPos(0, topH+pad))
	table.Resize(fyne.NewSize(size.Width, max(0, size.Height-topH-bottomH-2*pad)))
	bottom.Move(fyne.NewPos(0, size.Height-bottomH))
	bottom.Resize(fyne.NewSize(size.Width, bottomH))
}

func (l paneLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	want, bottom, table := l.filtersWant(), objs[1].MinSize(), objs[2].MinSize()
	return fyne.NewSize(max(want.Width, bottom.Width, table.Width),
		min(want.Height, filtersLeast)+bottom.Height+table.Height+2*theme.Padding())
}

// showWhole shows the last column of the row of cell id whole on the
// message line, after its heading ("Detail: liveness failed: …"). UI
// goroutine.
func (s *activityScreen) showWhole(id widget.TableCellID) {
	if id.Row < 0 || id.Row >= len(s.rows) || len(s.cols) == 0 {
		return
	}
	last := s.cols[len(s.cols)-1]
	v := cellText(last, s.rows[id.Row], s.loc, s.labels)
	if v == "" {
		v = "-"
	}
	s.say(columnTitle(last.Title)+": "+v, widget.MediumImportance)
}

func (s *activityScreen) say(msg string, imp widget.Importance) {
	s.message.Importance = imp
	s.message.SetText(msg)
}

// sayExported clears the message line, or shows the message of the
// export the rows were reloaded after (once). UI goroutine.
func (s *activityScreen) sayExported() {
	if s.exported != "" {
		s.say(s.exported, widget.SuccessImportance)
		s.exported = ""
		return
	}
	s.say("", widget.MediumImportance)
}

// open loads the screen when it is shown. UI goroutine.
func (s *activityScreen) open() {
	if !s.opened {
		s.opened = true
		s.loadUsers()
	}
	s.load()
}

// changed reloads the first page after a user or login changed, if the
// screen has been opened and shows it. UI goroutine.
func (s *activityScreen) changed(userEvent) {
	if s.opened && (s.summary || len(s.starts) <= 1) {
		s.load()
	}
}

// loadUsers offers the enrolled users' names in the user filter.
func (s *activityScreen) loadUsers() {
	if s.users == nil {
		return
	}
	s.tasks.Go(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, activityTimeout)
		defer cancel()
		us, err := s.users.List(ctx)
		if err != nil {
			s.log.Error("activity: list users", "err", err)
			return
		}
		names := make([]string, len(us))
		for i, u := range us {
			names[i] = u.Name
		}
		s.tasks.do(func() { s.user.SetOptions(names) })
	})
}

// query reads the filters: the day range in s.loc, the last day included.
func (s *activityScreen) query() (store.EventQuery, bool, error) {
	var q store.EventQuery
	day := func(d *time.Time) time.Time {
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, s.loc)
	}
	if s.from.Date != nil {
		q.From = day(s.from.Date)
	}
	if s.to.Date != nil {
		q.To = day(s.to.Date).AddDate(0, 0, 1)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, false, advice(lang.L("The first day is after the last day — change one of them."))
	}
	q.User = strings.TrimSpace(s.user.Text)
	q.Station = strings.TrimSpace(s.station.Text)
	for k, title := range kindTitles() {
		if s.kind.Selected == title {
			q.Kinds = []store.EventKind{k}
		}
	}
	return q, s.view.Selected == lang.L(viewSummary), nil
}

// badDate says what is wrong with a typed day that is not a date (the
// date entries keep their last good date then, and call no OnChanged),
// naming the format the entries read; "" if both are dates or empty.
func (s *activityScreen) badDate() string {
	for _, e := range []*widget.DateEntry{s.from, s.to} {
		// e.Validator, not e.Validate: that calls back OnValidationChanged.
		if txt := strings.TrimSpace(e.Text); txt != "" && e.Validator != nil && e.Validator(e.Text) != nil {
			format, example := dateFormat()
			return lang.L("“{{.Date}}” is not a date — type it as {{.Format}} (for example {{.Example}}) or pick it with the calendar button.",
				map[string]any{"Date": txt, "Format": format, "Example": example})
		}
	}
	return ""
}

// dateFormat is the format the date entries read in this locale ("MM/DD/YYYY")
// and the last day of 2026 in it. Fyne keeps the layout to itself; a date
// entry shows it.
func dateFormat() (format, example string) {
	e := widget.NewDateEntry()
	d := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	e.SetDate(&d)
	example = e.Text
	format = strings.NewReplacer("2026", lang.L("YYYY"), "31", lang.L("DD"), "12", lang.L("MM")).Replace(example)
	return format, example
}

// load shows the first page (or the summary) for the filters as they are.
// UI goroutine.
func (s *activityScreen) load() {
	if msg := s.badDate(); msg != "" {
		s.cancelLoads()
		s.setInvalid(true)
		s.dateError.SetText(msg + " " + lang.L(exportOff))
		s.dateError.Show()
		return
	}
	s.dateError.Hide()
	q, summary, err := s.query()
	if err != nil {
		s.cancelLoads()
		s.setInvalid(true)
		s.say(err.Error()+" "+lang.L(exportOff), widget.WarningImportance)
		return
	}
	s.setInvalid(false)
	if summary != s.summary {
		// The rows on screen are of the other view's type.
		s.rows = nil
		if summary {
			s.setColumns(activity.SummaryColumns())
		} else {
			s.setColumns(activity.EventColumns())
		}
	}
	s.q, s.summary = q, summary
	s.starts = []store.EventCursor{{}}
	s.total = -1
	if summary {
		s.kind.Disable()
		s.loadSummary()
		return
	}
	s.kind.Enable()
	s.loadPage()
	s.loadCount()
}

// exportOff ends the message of filters that are not a query.
const exportOff = "Export CSV is off until the filters are valid."

// setInvalid records whether the filters as typed are a query, and turns
// Export off while they are not (and while an export runs). UI goroutine.
func (s *activityScreen) setInvalid(invalid bool) {
	s.invalid = invalid
	if invalid || s.exporting {
		s.export.Disable()
	} else {
		s.export.Enable()
	}
}

func (s *activityScreen) cancelLoads() {
	s.gen++ // whatever is still on its way is not shown
	s.qgen++
	for i, c := range s.cancels {
		if c != nil {
			c()
			s.cancels[i] = nil
		}
	}
	s.busy.Hide()
}

// fetch runs get on a tracked goroutine with a fresh context (cancelling
// the previous fetch of the same slot) and then, on the UI goroutine, the
// function get returned, unless a newer fetch has started. UI goroutine.
func (s *activityScreen) fetch(slot int, gen *uint64, get func(ctx context.Context) func()) {
	if c := s.cancels[slot]; c != nil {
		c()
	}
	*gen++
	mine := *gen
	ctx, cancel := context.WithTimeout(s.tasks.ctx, activityTimeout)
	s.cancels[slot] = cancel
	s.tasks.Go(func(context.Context) {
		defer cancel()
		show := get(ctx)
		s.tasks.do(func() {
			if *gen == mine {
				s.cancels[slot] = nil
				show()
			}
		})
	})
}

// loadPage reads the page that starts at the last of s.starts. UI goroutine.
func (s *activityScreen) loadPage() {
	q, after, n := s.q, s.starts[len(s.starts)-1], s.pageSize
	s.busy.Show()
	s.newer.Disable()
	s.older.Disable()
	s.fetch(0, &s.gen, func(ctx context.Context) func() {
		page, err := s.events.Page(ctx, q, after, n)
		return func() { s.showPage(page, err) }
	})
}

// loadCount counts the events matching the filters. UI goroutine.
func (s *activityScreen) loadCount() {
	q := s.q
	s.fetch(1, &s.qgen, func(ctx context.Context) func() {
		n, err := s.events.Count(ctx, q)
		return func() {
			if err != nil {
				s.log.Error("activity: count events", "err", err)
				return
			}
			s.total = n
			s.showPosition()
		}
	})
}

// showPage puts a page of events on screen. UI goroutine.
func (s *activityScreen) showPage(page store.EventPage, err error) {
	s.busy.Hide()
	if err != nil {
		s.failed("read events", err)
		return
	}
	s.rows = s.rows[:0]
	for _, ev := range page.Events {
		s.rows = append(s.rows, ev)
		s.addStation(ev.Station)
	}
	s.next, s.more = page.Next, page.More
	s.fitColumns(s.width)
	s.askRoom()
	s.table.UnselectAll()
	s.table.ScrollToTop() // refreshes the cells (once the table is on screen)
	setEnabled(len(s.starts) > 1, s.newer)
	setEnabled(page.More, s.older)
	s.showPosition()
	if len(s.rows) == 0 {
		s.say(lang.L("No events match these filters."), widget.MediumImportance)
	} else {
		s.sayExported()
	}
}

// showPosition says which events are on screen: "Events 51–100 of 1,234".
func (s *activityScreen) showPosition() {
	if s.summary {
		return
	}
	first := (len(s.starts)-1)*s.pageSize + 1
	switch {
	case len(s.rows) == 0:
		s.position.SetText(lang.L("No events"))
	case s.total >= 0:
		s.position.SetText(lang.L("Events {{.First}}–{{.Last}} of {{.Total}}", map[string]any{"First": thousands(int64(first)),
			"Last": thousands(int64(first + len(s.rows) - 1)), "Total": thousands(s.total)}))
	default:
		s.position.SetText(lang.L("Events {{.First}}–{{.Last}}", map[string]any{"First": thousands(int64(first)), "Last": thousands(int64(first + len(s.rows) - 1))}))
	}
}

func (s *activityScreen) onOlder() {
	if !s.more || s.summary {
		return
	}
	s.starts = append(s.starts, s.next)
	s.loadPage()
}

func (s *activityScreen) onNewer() {
	if len(s.starts) < 2 || s.summary {
		return
	}
	s.starts = s.starts[:len(s.starts)-1]
	s.loadPage()
}

// loadSummary reads each user's first and last check-in per day, at most
// maxSummaryRows of them. UI goroutine.
func (s *activityScreen) loadSummary() {
	q, loc := s.q, s.loc
	s.busy.Show()
	s.newer.Disable()
	s.older.Disable()
	s.fetch(0, &s.gen, func(ctx context.Context) func() {
		var rows []any
		full := errors.New("enough")
		err := s.events.DailySummary(ctx, q, loc, func(d store.DaySummary) error {
			if len(rows) == maxSummaryRows {
				return full
			}
			rows = append(rows, d)
			return nil
		})
		more := errors.Is(err, full)
		if more {
			err = nil
		}
		return func() { s.showSummary(rows, more, err) }
	})
}

// showSummary puts the per-day summary on screen. UI goroutine.
func (s *activityScreen) showSummary(rows []any, more bool, err error) {
	s.busy.Hide()
	if err != nil {
		s.failed("read the daily summary", err)
		return
	}
	s.rows = rows
	s.fitColumns(s.width)
	s.askRoom()
	s.table.ScrollToTop() // refreshes the cells (once the table is on screen)
	days := map[time.Time]bool{}
	for _, r := range rows {
		days[r.(store.DaySummary).Day] = true
	}
	switch {
	case len(rows) == 0:
		s.position.SetText(lang.L("No check-ins"))
		s.say(lang.L("Nobody checked in on these days."), widget.MediumImportance)
	case more:
		s.position.SetText(lang.L("The newest {{.N}} check-in days", map[string]any{"N": thousands(int64(len(rows)))}))
		s.say(lang.L("Only the newest rows are shown here; narrow the days or export CSV for all of them."), widget.MediumImportance)
	default:
		s.position.SetText(peopleDays(len(rows), len(days)))
		s.sayExported()
	}
}

// failed explains a query that failed. UI goroutine.
func (s *activityScreen) failed(what string, err error) {
	if errors.Is(err, context.Canceled) {
		return // a newer query replaced it
	}
	s.rows = s.rows[:0]
	s.table.Refresh()
	s.position.SetText("")
	s.say(activityAdvice(s.q.User, err), widget.DangerImportance)
	if !errors.Is(err, ErrInvalidName) && !errors.Is(err, store.ErrInvalidName) {
		s.log.Error("activity: "+what, "err", err)
	}
}

// activityAdvice explains a failed read of the audit log.
func activityAdvice(user string, err error) string {
	switch {
	case errors.Is(err, ErrInvalidName), errors.Is(err, store.ErrInvalidName):
		return lang.L("“{{.User}}” is not a user name — pick one from the list or clear the user filter.", map[string]any{"User": user})
	case errors.Is(err, context.DeadlineExceeded):
		return lang.L("The activity log took too long to read — try fewer days, or try again.")
	default:
		return lang.L("The activity log could not be read — see the log.")
	}
}

// addStation offers a station seen in the log in the station filter.
func (s *activityScreen) addStation(name string) {
	if name == "" || s.stations[name] {
		return
	}
	s.stations[name] = true
	s.station.SetOptions(s.stationNames())
}

func (s *activityScreen) stationNames() []string {
	names := make([]string, 0, len(s.stations))
	for n := range s.stations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// onExport asks where to save the rows matching the filters. UI goroutine.
func (s *activityScreen) onExport() {
	if s.exporting || s.invalid {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			s.say(lang.L("The file could not be opened for writing:")+" "+err.Error(), widget.DangerImportance)
			return
		}
		if w != nil { // nil: cancelled
			s.exportTo(w)
		}
	}, s.win)
	name := "activity-" + s.now().In(s.loc).Format(time.DateOnly) + ".csv"
	if s.summary {
		name = "check-ins-" + s.now().In(s.loc).Format(time.DateOnly) + ".csv"
	}
	d.SetFileName(name)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv"}))
	d.Show()
	translatePlaces(s.win.Canvas())
}

// exportTo writes the rows matching the filters in force to w as CSV,
// streaming them from the database, and closes w. A failed export removes
// what it wrote. UI goroutine; the writing runs in the background.
func (s *activityScreen) exportTo(w fyne.URIWriteCloser) {
	if s.exporting {
		w.Close()
		return
	}
	if s.invalid {
		// The filters went bad while the file was chosen: the rows of the
		// last good ones are not what the screen asks for.
		w.Close()
		if err := storage.Delete(w.URI()); err != nil {
			s.log.Error("activity: remove the refused export", "file", w.URI().String(), "err", err)
		}
		s.say(lang.L(exportOff)+" "+lang.L("Nothing was saved."), widget.WarningImportance)
		return
	}
	q, summary, loc, name := s.q, s.summary, s.loc, w.URI().Name()
	s.exporting = true
	s.export.Disable()
	s.busy.Show()
	s.say(lang.L("Exporting to {{.File}}…", map[string]any{"File": name}), widget.MediumImportance)
	s.tasks.Go(func(ctx context.Context) {
		n, err := exportCSV(ctx, s.events, q, summary, loc, w, func(n int) {
			s.tasks.do(func() {
				s.say(lang.L("Exporting to {{.File}}… {{.N}} {{.What}}", map[string]any{"File": name, "N": thousands(int64(n)), "What": exportUnit(summary, n)}), widget.MediumImportance)
			})
		})
		if cerr := w.Close(); err == nil && cerr != nil {
			err = &exportWriteError{cerr}
		}
		if err != nil {
			s.log.Error("activity: export", "file", w.URI().String(), "rows", n, "err", err)
			if derr := storage.Delete(w.URI()); derr != nil {
				s.log.Error("activity: remove the failed export", "file", w.URI().String(), "err", derr)
			}
		} else {
			s.log.Info("activity exported", "file", w.URI().String(), "rows", n, "summary", summary)
		}
		s.tasks.do(func() {
			s.exporting = false
			s.setInvalid(s.invalid)
			s.busy.Hide()
			if err != nil {
				s.say(exportAdvice(name, q.User, err), widget.DangerImportance)
				return
			}
			msg := lang.L("Exported {{.N}} {{.What}} to {{.File}}.", map[string]any{"N": thousands(int64(n)), "What": exportUnit(summary, n), "File": name})
			s.say(msg, widget.SuccessImportance)
			// The log went on while the file was chosen and written (logins
			// here, at a kiosk, their on-login results): show it as it is
			// now, as after a login, keeping this message.
			if s.summary || len(s.starts) <= 1 {
				s.exported = msg
				s.load()
			}
		})
	})
}

// exportWriteError is a failure to write the export file, told apart from
// a failure to read the log.
type exportWriteError struct{ err error }

func (e *exportWriteError) Error() string { return "write: " + e.err.Error() }
func (e *exportWriteError) Unwrap() error { return e.err }

func exportAdvice(name, user string, err error) string {
	var we *exportWriteError
	if errors.As(err, &we) {
		return lang.L("{{.File}} could not be written ({{.Err}}). Nothing was saved — try another place.", map[string]any{"File": name, "Err": we.err.Error()})
	}
	return activityAdvice(user, err) + " " + lang.L("Nothing was saved.")
}

// exportCSV streams the events matching q (or, with summary, each user's
// first and last check-in per day) to w as CSV with internal/activity's
// columns, times in loc, and returns the number of rows written. progress,
// if set, is called every activityExportProgress rows. Errors writing w are
// *exportWriteError; errors reading the log are the reader's.
func exportCSV(ctx context.Context, r ActivityReader, q store.EventQuery, summary bool, loc *time.Location, w io.Writer, progress func(rows int)) (int, error) {
	cols := activity.EventColumns()
	if summary {
		cols = activity.SummaryColumns()
	}
	cw, err := activity.NewWriter(w, cols, activity.CSV, loc)
	if err != nil {
		return 0, &exportWriteError{err}
	}
	write := func(row any) error {
		if err := cw.Write(row); err != nil {
			return &exportWriteError{err}
		}
		if n := cw.Rows(); progress != nil && n%activityExportProgress == 0 {
			progress(n)
		}
		return nil
	}
	if summary {
		err = r.DailySummary(ctx, q, loc, func(d store.DaySummary) error { return write(d) })
	} else {
		err = r.Each(ctx, q, func(ev store.Event) error { return write(ev) })
	}
	if cerr := cw.Close(); err == nil && cerr != nil {
		err = &exportWriteError{cerr}
	}
	return cw.Rows(), err
}

// thousands writes n with comma separators: 100,000.
func thousands(n int64) string {
	// In the window's language: 8,706 in English, 8.706 in Spanish.
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var parts []string
	for len(s) > 3 {
		parts = append(parts, s[len(s)-3:])
		s = s[:len(s)-3]
	}
	parts = append(parts, s)
	slices.Reverse(parts)
	out := strings.Join(parts, thousandsSeparator())
	if neg {
		out = "-" + out
	}
	return out
}

// thousandsSeparator groups the digits of counts in the window's
// language: "." in Spanish, "," in English.
func thousandsSeparator() string {
	loaded.Lock()
	defer loaded.Unlock()
	if loaded.language == languageSpanish {
		return "."
	}
	return ","
}

// exportUnit is what an export counts, agreeing with n: event or events,
// row or rows.
func exportUnit(summary bool, n int) string {
	switch {
	case summary && n == 1:
		return lang.L("row")
	case summary:
		return lang.L("rows")
	case n == 1:
		return lang.L("event")
	}
	return lang.L("events")
}

// peopleDays is the summary's size, each count agreeing with its noun
// (there are at least as many people-days as days).
func peopleDays(rows, days int) string {
	data := map[string]any{"Rows": thousands(int64(rows)), "Days": thousands(int64(days))}
	switch {
	case rows == 1 && days == 1:
		return lang.L("1 person-day over 1 day")
	case days == 1:
		return lang.L("{{.Rows}} people-days over 1 day", data)
	case rows == 1:
		return lang.L("1 person-day over {{.Days}} days", data)
	}
	return lang.L("{{.Rows}} people-days over {{.Days}} days", data)
}
