package app

import (
	"context"
	"errors"
	"image"
	"time"

	"facelogin/recognition"
)

// FrameSource is the camera as the window sees it: the newest frame and a
// status line. Latest must not block; seq grows by one or more with every
// new frame, so a consumer can tell a new frame from one it already has.
// An image once returned must never change (the preview copies it and the
// engine reads it on other goroutines): hand out a fresh image per frame,
// never a reused buffer. *image.RGBA is copied fastest. Status is called
// about ten times a second and must be cheap.
type FrameSource interface {
	Latest() (img image.Image, seq uint64, ok bool)
	Status() CameraStatus
}

// CameraStatus is what the window shows about the camera, written for
// people: "camera unplugged — retrying in 2s" with OK false, or a short
// description of the live source ("/dev/video0 640×480 30 fps") with OK true.
type CameraStatus struct {
	OK      bool
	Message string
}

// Engine finds faces in one image: boxes, landmarks (68 points) and
// descriptors, in the image's coordinates, in one call. The window calls it
// from one goroutine only, never two calls at once.
type Engine interface {
	Recognize(img image.Image) ([]recognition.Face, error)
}

// QualityGate decides whether a frame is good enough to become an enrolled
// template. It returns a score (higher is better, stored with the template)
// or one of the rejection errors below (ErrNoFace, ErrSeveralFaces,
// ErrFaceTooSmall, ErrFaceBlurred, ErrFaceCutOff, ErrFaceTurned, ErrTooDark),
// possibly wrapped; the window tells people what to do about each. A nil
// gate is recognition.CheckQuality with recognition.DefaultQuality.
type QualityGate func(img image.Image, faces []recognition.Face) (score float32, err error)

// The enrolled users as each screen sees them: small interfaces, each
// screen given only the ones it uses. Methods that take a context may touch
// the database and are only called from background goroutines. Errors the
// window explains to people are ErrNameTaken, ErrInvalidName,
// ErrUnknownUser and *DuplicateFaceError (wrapping is fine); anything else
// is shown as a database failure and logged.

// Identifier finds the nearest enrolled user of a descriptor, in memory
// and fast: the overlay labels every detected face with it.
type Identifier interface {
	Identify(d *recognition.Descriptor) Match
}

// Verifier compares a descriptor with one named user (1:1).
type Verifier interface {
	// Verify returns the distance from d to the nearest template of
	// username, or ErrUnknownUser.
	Verify(ctx context.Context, username string, d *recognition.Descriptor) (float32, error)
}

// LoginRecorder writes login attempts to the audit log.
type LoginRecorder interface {
	// RecordLogin notes a login attempt. username is "" when nobody was
	// recognised.
	RecordLogin(ctx context.Context, username string, distance float32, success bool) error
}

// Enroller registers new users.
type Enroller interface {
	// CheckName reports whether username may be registered: nil, or
	// ErrInvalidName or ErrNameTaken. Called before the camera work starts.
	CheckName(ctx context.Context, username string) error
	// Enroll stores a new user with templates and their quality scores
	// (same length), unless the face is already registered under another
	// name: a template within dup.Threshold of another user's fails with
	// a *DuplicateFaceError (ErrDuplicateFace), the look and the insert
	// one step for every station sharing the database. With dup.Allow (an
	// administrator's choice) it registers anyway, logged and audited.
	Enroll(ctx context.Context, username string, templates []recognition.Descriptor, quality []float32, dup DuplicateCheck) error
}

// UserAdmin lists and changes the enrolled users.
type UserAdmin interface {
	// List returns every user, in the order to show them.
	List(ctx context.Context) ([]UserInfo, error)
	Rename(ctx context.Context, oldName, newName string) error
	Delete(ctx context.Context, username string) error
	// ReEnroll replaces all templates of an existing user, unless the new
	// face is within threshold of ANOTHER user's template: then it fails
	// with a *DuplicateFaceError, atomically as Enroll.
	ReEnroll(ctx context.Context, username string, templates []recognition.Descriptor, quality []float32, threshold float32) error
}

// BackendNamer names the database in use, for the settings screen
// ("SQLite /home/me/.local/share/facelogin/users.db").
type BackendNamer interface {
	Backend() string
}

// Directory is everything the window and the kiosk need of the enrolled
// users: the store plus the in-memory matcher (internal/appdir adapts
// internal/directory to it).
type Directory interface {
	Identifier
	Verifier
	LoginRecorder
	Enroller
	UserAdmin
	BackendNamer
}

// gallery is what a login decision reads: 1:N and 1:1 matching.
type gallery interface {
	Identifier
	Verifier
}

// Match is the nearest user of a descriptor. It has the same fields as
// recognition.Match, so an adapter converts with app.Match(m).
type Match struct {
	// User owns the nearest template ("" when nobody is enrolled);
	// Distance is the Euclidean distance to it.
	User     string
	Distance float32
	// SecondUser is the nearest other user, SecondDistance the distance to
	// that user's nearest template (+Inf when there is none).
	SecondUser     string
	SecondDistance float32
}

// UserInfo is one row of the users screen.
type UserInfo struct {
	Name      string
	Templates int
	LastLogin time.Time // zero: never logged in
}

// Errors a Directory returns for things people can fix.
var (
	ErrNameTaken   = errors.New("app: username already taken")
	ErrInvalidName = errors.New("app: invalid username")
	ErrUnknownUser = errors.New("app: unknown user")
)

// Rejections of a frame by the quality gate. All but ErrFaceTurned and
// ErrDifferentFace are recognition's, so recognition.CheckQuality's errors
// need no translation.
var (
	ErrNoFace       = recognition.ErrNoFace
	ErrSeveralFaces = recognition.ErrManyFaces
	ErrFaceTooSmall = recognition.ErrFaceTooSmall
	ErrFaceBlurred  = recognition.ErrBlurred
	ErrFaceCutOff   = recognition.ErrFaceCut
	ErrFaceTurned   = errors.New("app: face turned away")
	ErrTooDark      = recognition.ErrTooDark
	// ErrDifferentFace: a frame's face is far from the frames collected
	// before it in the same registration (someone else stepped in).
	ErrDifferentFace = errors.New("app: face differs from the previous frames")
)

// defaultGate is the gate used when Deps.Quality is nil: recognition's,
// with its calibrated defaults.
func defaultGate(img image.Image, faces []recognition.Face) (float32, error) {
	q, err := recognition.CheckQuality(img, faces, recognition.DefaultQuality)
	if err != nil {
		return 0, err
	}
	return q.Score(), nil
}
