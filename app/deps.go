package app

import (
	"context"
	"errors"
	"image"
	"time"

	"facelogin/recognition"
	"facelogin/recognition/decision"
)

// FrameSource is the camera as the window sees it: the newest frame and a
// status line. Latest must not block; Frame.Seq grows by one or more with
// every new frame, so a consumer can tell a new frame from one it already
// has. An image once returned must never change (the preview copies it, the
// tracker and the engine read it on other goroutines, a decision keeps it):
// hand out a fresh image per frame, never a reused buffer. *image.RGBA is
// copied fastest. Status is called about ten times a second and must be
// cheap.
type FrameSource interface {
	Latest() (f Frame, ok bool)
	Status() CameraStatus
}

// Frame is one camera picture.
type Frame struct {
	Image image.Image
	// Seq numbers the frames of the source, increasing.
	Seq uint64
	// Time is when the frame was captured (camera.Frame.Time: when the
	// capture goroutine had read and converted it, or a file's paced
	// presentation time). The landmark track is timed by it, so a
	// liveness check sees the camera's rhythm, not the tracker's.
	Time time.Time
}

// CameraStatus is what the window shows about the camera, written for
// people: "camera unplugged — retrying in 2s" with OK false, or a short
// description of the live source ("/dev/video0 640×480 30 fps") with OK true.
type CameraStatus struct {
	OK      bool
	Message string
	// Starting: the camera is being opened for the first time. Final: it
	// failed, ended or was closed and is not retried. Neither: it is
	// retrying. Only meaningful with OK false.
	Starting, Final bool
}

// Tracker is the fast per-frame call: every face of the next frame of one
// video stream, with its box, 68 landmarks (5 with dlib's 5-point model)
// and a track ID that stays the same while the face stays in view
// (recognition/dlib's Tracker). at is the frame's time as an offset from
// the stream's first frame (recognition.LandmarkFrame.Time). It costs a few
// milliseconds per frame, so the window calls it on every frame — from one
// goroutine only (the detector's), in the order of the frames: a Tracker
// keeps state from frame to frame and is not safe for concurrent use.
type Tracker interface {
	Track(img image.Image, at time.Duration) (recognition.LandmarkFrame, error)
}

// Engine is the slow on-demand call: the descriptor of one tracked face,
// computed from the frame it was tracked in (recognition/dlib's
// Engine.Describe; ~15–35 ms). The result is the engine's own view of that
// face (box, landmarks, 128-d descriptor) in img's coordinates. An error
// wrapping ErrNoFace means the engine did not find the tracked face (a
// turned or blurred face): ask again on a later frame; any other error is
// a failure of the engine. Safe for concurrent use: the label goroutine,
// a login and a registration may ask at the same time.
type Engine interface {
	Describe(img image.Image, face recognition.TrackedFace) (recognition.Face, error)
}

// ErrStopping, wrapped, is what a Tracker or Engine returns when it gave up
// waiting for its models because the program is ending (the window closed
// or a signal came while dlib was still reading them): not a failure to
// report.
var ErrStopping = errors.New("stopping")

// QualityGate decides whether a frame is good enough to become an enrolled
// template, from the tracker's faces of that frame (TrackedFace.Face: box and
// rounded landmarks, no descriptor). It returns a score (higher is better, stored with the template)
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
// and fast: registration looks for the face among the users with it.
type Identifier interface {
	Identify(d *recognition.Descriptor) Match
}

// Decider makes the login decision on the descriptors of a few frames of
// one face, in memory and fast: who is this (claimed == "", 1:N), or is
// this the user claimed (1:1), under the per-user thresholds and the
// lookalike margin of recognition/decision, with base as the policy's Base
// threshold (the settings' slider; decision.Policy.WithBase). An unknown
// claimed name, and a recognised or claimed user who is disabled, give the
// decision with an error wrapping ErrUnknownUser. The overlay labels every
// detected face with a one-frame decision.
type Decider interface {
	Decide(claimed string, frames []recognition.Descriptor, base float32) (decision.Decision, error)
}

// Adapter keeps a user recognisable while their face slowly changes.
type Adapter interface {
	// Adapt stores the frame of an accepted login as an adaptive
	// template when the rules allow (decision.AdaptPolicy: a live login
	// only, distance and margin, drift from the enrolment templates, a
	// daily limit). frames are those dec was decided from; live says they
	// passed liveness. nil: stored. A rule's refusal wraps
	// decision.ErrNotAdapted and is no failure; anything else is the
	// database's.
	Adapt(ctx context.Context, dec decision.Decision, frames []recognition.Descriptor, live bool) error
}

// LoginRecorder writes login attempts to the audit log.
type LoginRecorder interface {
	// RecordLogin notes a login attempt. username is "" when nobody was
	// recognised. reason is why a refused attempt was refused when it was
	// not the face's distance (a failed liveness check: "liveness failed:
	// the head turn showed no depth, …"); "" otherwise. check is what the
	// liveness check said of a decided login ("liveness passed:
	// blink,left", "liveness not checked"); "" when reason says it.
	RecordLogin(ctx context.Context, username string, distance float32, success bool, reason, check string) error
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
	Decider
	Adapter
	LoginRecorder
	Enroller
	UserAdmin
	BackendNamer
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
	// ErrFaceUnclear: the tracker follows a face, but the engine did not
	// find it again to compute its descriptor (Engine.Describe's
	// ErrNoFace): a strongly turned, blurred or half-hidden face.
	ErrFaceUnclear = errors.New("app: face not clear enough for a descriptor")
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
