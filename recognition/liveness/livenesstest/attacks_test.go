package livenesstest

import (
	"errors"
	"fmt"
	"image"
	"iter"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testdata"
	"facelogin/recognition"
	"facelogin/recognition/liveness"
)

// Presentation attacks, rendered in the test: a flat picture of a face (a
// frame of a shared video, or a shared photo) in front of a simulated
// webcam (640×480, 60° field of view, 30 fps, sensor noise in every frame),
// for 4.5 s — settling plus the whole 4 s a step is given.

// attackFPS and attackLength: the webcam's rate and each attack's length.
const (
	attackFPS    = 30
	attackLength = 4500 * time.Millisecond
)

// picture is a flat picture of a face: the image, cropped around the face,
// and the face's width in it (pixels).
type picture struct {
	Name  string
	Img   *image.RGBA
	FaceW float64
}

// faceBox is the box of the largest face the detector finds in img.
func faceBox(t testing.TB, name string, img *image.RGBA) image.Rectangle {
	t.Helper()
	dets, err := landmarker(t).Detect(img, 60)
	if err != nil || len(dets) == 0 {
		t.Fatalf("attack source %s: no face (%v)", name, err)
	}
	best := dets[0].Rect
	for _, d := range dets {
		if d.Rect.Dx() > best.Dx() {
			best = d.Rect
		}
	}
	return best
}

// pictureOf crops img around its largest face (2.6 face widths square:
// the face with hair, neck and background, as a print would show it).
func pictureOf(t testing.TB, name string, img *image.RGBA) picture {
	t.Helper()
	box := faceBox(t, name, img)
	return picture{Name: name, Img: cropAround(img, box, 2.6), FaceW: float64(box.Dx())}
}

// cropAround cuts a k·side square centred on box (clipped to the image).
func cropAround(img *image.RGBA, box image.Rectangle, k float64) *image.RGBA {
	c := box.Min.Add(box.Max).Div(2)
	h := int(float64(max(box.Dx(), box.Dy())) * k / 2)
	r := image.Rect(c.X-h, c.Y-h, c.X+h, c.Y+h).Intersect(img.Bounds())
	return toRGBA(img.SubImage(r))
}

// videoPicture is frame n of a shared video, as a picture.
func videoPicture(t testing.TB, video string, n int) picture {
	return pictureOf(t, fmt.Sprintf("%s@%d", video, n), videoFrame(t, video, n))
}

// photoPicture is a shared photo (path under testdata), as a picture.
func photoPicture(t testing.TB, rel string) picture {
	img, err := recognition.LoadImageFile(filepath.Join(testdata.Dir(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return pictureOf(t, filepath.Base(rel), toRGBA(img))
}

// motion is where the picture is at time t (seconds).
type motion func(t float64) pose

// held is the picture held still, its face faceW pixels wide in the frame.
func held(p picture, faceW float64) motion {
	return func(float64) pose { return pose{X: 320, Y: 240, Scale: faceW / p.FaceW} }
}

// shaking is a hand moving the picture in its plane: ±25 px, ±10° of
// roll, ±12% of size, at 0.7–2.3 Hz.
func shaking(p picture, faceW float64) motion {
	return func(t float64) pose {
		return pose{
			X:     320 + 25*math.Sin(2*math.Pi*1.3*t) + 8*math.Sin(2*math.Pi*2.3*t+1),
			Y:     240 + 18*math.Sin(2*math.Pi*0.9*t+2),
			Scale: faceW / p.FaceW * (1 + 0.12*math.Sin(2*math.Pi*0.7*t+0.5)),
			Roll:  10 * math.Pi / 180 * math.Sin(2*math.Pi*1.1*t+0.3),
		}
	}
}

// tilting is the picture turned about its vertical axis to +40°, back,
// to −40° and back, every 2 s — what an attacker does to fake a head
// turn — with a light shake.
func tilting(p picture, faceW float64) motion {
	return func(t float64) pose {
		ps := shaking(p, faceW)(t)
		ps.X = 320 + 0.3*(ps.X-320)
		ps.Y = 240 + 0.3*(ps.Y-240)
		ps.Roll *= 0.3
		ps.Scale = faceW / p.FaceW
		// Start facing the camera for the settling, then sweep.
		ps.Yaw = 40 * math.Pi / 180 * math.Sin(2*math.Pi*math.Max(0, t-0.5)/2)
		return ps
	}
}

// attack is one rendered presentation attack.
type attack struct {
	Kind string // the attack type APCER is reported for
	Name string
	// frame renders the camera frame at time t (seconds); rng is the
	// frame's noise.
	frame func(t float64, rng *rand.Rand) *image.RGBA
}

// scene renders pictures (one, or a sequence chosen by pick) moving by m,
// with degradations of the print/screen (before the camera) and the
// camera's own noise.
func scene(pics []picture, pick func(t float64) int, m motion, print []degradation) func(float64, *rand.Rand) *image.RGBA {
	return func(t float64, rng *rand.Rand) *image.RGBA {
		p := pics[pick(t)]
		img := webcam.render(p.Img, m(t), nil)
		for _, d := range print {
			d(img, rng)
		}
		sensorNoise(2)(img, rng)
		return img
	}
}

func one(float64) int { return 0 }

// frames yields an attack's frames at the webcam's rate.
func (a attack) frames() iter.Seq2[time.Duration, *image.RGBA] {
	return func(yield func(time.Duration, *image.RGBA) bool) {
		rng := rand.New(rand.NewPCG(uint64(len(a.Name)), 7))
		n := int(attackLength.Seconds() * attackFPS)
		for i := range n {
			t := float64(i) / attackFPS
			if !yield(time.Duration(t*float64(time.Second)), a.frame(t, rng)) {
				return
			}
		}
	}
}

// attacks are the presentation attacks of the test, by type.
func attacks(t testing.TB) []attack {
	t.Helper()
	// Pictures of nine people: frames of the videos with open eyes and a
	// frontal face, and three frontal shared photos of people the videos
	// lack.
	vids := []picture{
		videoPicture(t, "d10", 50), videoPicture(t, "d12", 10), videoPicture(t, "d18", 50),
		videoPicture(t, "d6", 100), videoPicture(t, "d20", 50), videoPicture(t, "d0", 5),
	}
	photos := []picture{
		photoPicture(t, "faces/eunwoo.jpg"), photoPicture(t, "lfw/Aaron_Peirsol/Aaron_Peirsol_0001.jpg"),
		photoPicture(t, "lfw/Al_Sharpton/Al_Sharpton_0001.jpg"),
	}
	all := append(append([]picture(nil), vids...), photos...)

	var out []attack
	add := func(kind, name string, f func(float64, *rand.Rand) *image.RGBA) {
		out = append(out, attack{Kind: kind, Name: kind + "/" + name, frame: f})
	}
	for _, p := range []picture{all[0], all[4], all[6]} {
		add("still", p.Name, scene([]picture{p}, one, held(p, 200), nil))
	}
	for _, p := range []picture{all[1], all[3], all[7]} {
		add("shake", p.Name, scene([]picture{p}, one, shaking(p, 200), nil))
	}
	// Tilted at arm's length (face 200 px) and close to the camera (320 px,
	// ~25 cm: the strongest perspective a held picture gives).
	for _, p := range []picture{all[0], all[3], all[5], all[8]} {
		for _, w := range []float64{200, 320} {
			add("tilt", fmt.Sprintf("%s/%.0fpx", p.Name, w), scene([]picture{p}, one, tilting(p, w), nil))
		}
	}
	// A print or screen: blur, noise, tone curve, moiré, compression, each
	// on a picture tilted and shaken.
	degr := []struct {
		name string
		d    degradation
	}{
		{"blur", gaussianBlur(2)}, {"noise", sensorNoise(10)}, {"gamma", gamma(1.8)},
		{"moire", moire(3.1, 0.25)}, {"jpeg", jpegRoundTrip(15)},
	}
	for i, d := range degr {
		p := all[(i+2)%len(all)]
		add("degraded", d.name+"/"+p.Name, scene([]picture{p}, one, tilting(p, 260), []degradation{d.d}))
	}
	// The pictures and degradations a fresh tester of issue 10 faked a
	// blink with (on video files of their own making, 6 of 99): d12@20
	// (glasses, the frame itself blurred by motion) held under strong
	// noise, under moiré, shaken through blur and noise, tilted through
	// moiré and JPEG; d0@60 held under strong noise, twice (two noise
	// draws). These renders are refused, raw and as x264 files
	// (TestAttacksAsH264): the tester's passes are not reproduced.
	soft, d0 := videoPicture(t, "d12", 20), videoPicture(t, "d0", 60)
	add("degraded", "noise/"+soft.Name, scene([]picture{soft}, one, held(soft, 200), []degradation{sensorNoise(10)}))
	add("degraded", "moire/"+soft.Name+"/held", scene([]picture{soft}, one, held(soft, 200), []degradation{moire(3.1, 0.25)}))
	add("degraded", "blur+noise/"+soft.Name+"/shaken", scene([]picture{soft}, one, shaking(soft, 200), []degradation{gaussianBlur(1.5), sensorNoise(10)}))
	add("degraded", "moire+jpeg/"+soft.Name+"/tilted", scene([]picture{soft}, one, tilting(soft, 240), []degradation{moire(3.1, 0.25), jpegRoundTrip(30)}))
	add("degraded", "noise/"+d0.Name, scene([]picture{d0}, one, held(d0, 200), []degradation{sensorNoise(10)}))
	add("degraded", "noise/"+d0.Name+"/again", scene([]picture{d0}, one, held(d0, 200), []degradation{sensorNoise(10)}))
	// Two pictures of one person, eyes open and eyes closed (frames of a
	// blink in a video), swapped in place like a phone showing one then the
	// other: closed for 3, 5 or 8 frames (100–270 ms, a blink's length)
	// every 0.8 s, held in a shaking hand.
	pairs := []struct {
		video          string
		open, closedAt int
	}{{"d18", 91, 96}, {"d10", 218, 223}, {"d6", 928, 931}, {"d11", 144, 150}}
	for _, pr := range pairs {
		src := videoFrame(t, pr.video, pr.open)
		box := faceBox(t, fmt.Sprintf("%s@%d", pr.video, pr.open), src)
		open := picture{Name: fmt.Sprintf("%s@%d", pr.video, pr.open), Img: cropAround(src, box, 2.6), FaceW: float64(box.Dx())}
		closed := picture{Name: "closed", Img: cropAround(videoFrame(t, pr.video, pr.closedAt), box, 2.6), FaceW: open.FaceW}
		pick := func(t float64) int {
			i := int(t * attackFPS)
			cycle := 24
			k := []int{3, 5, 8}[(i/cycle)%3]
			if i >= 18 && i%cycle >= cycle-k {
				return 1
			}
			return 0
		}
		add("alternated", fmt.Sprintf("%s+%d", open.Name, pr.closedAt), scene([]picture{open, closed}, pick, shaking(open, 220), nil))
	}
	return out
}

// slideshows are a few still photos of one person shown in turn, as a
// phone's slideshow or a hand swapping prints: frames of a video with the
// eyes open, half-closed and closed (a blink) and with the head frontal,
// part-turned and turned (a turn), each held 2–5 frames, the open frontal
// one in between; held still, shaken, and shaken through a degraded
// screen (noise, JPEG).
func slideshows(t testing.TB) []attack {
	t.Helper()
	type show struct {
		video string
		blink []int // open, half-closed, closed
		turn  []int // frontal, part-turned …, turned
	}
	shows := []show{
		{"d6", []int{38, 44, 50}, nil},
		{"d12", []int{20, 46, 49}, []int{20, 40, 45, 48}},
		{"d11", []int{140, 145, 148}, []int{104, 112, 117, 121}},
		{"d12", []int{70, 46, 49}, []int{70, 80, 84, 89}},
		{"d18", []int{88, 93, 96}, nil},
	}
	var out []attack
	for i, sh := range shows {
		src := videoFrame(t, sh.video, sh.blink[0])
		box := faceBox(t, fmt.Sprintf("%s@%d", sh.video, sh.blink[0]), src)
		pic := func(n int) picture {
			return picture{Name: fmt.Sprintf("%s@%d", sh.video, n), Img: cropAround(videoFrame(t, sh.video, n), box, 2.6), FaceW: float64(box.Dx())}
		}
		pics := []picture{pic(sh.blink[0])}
		// The order shown, as indices into pics: open until 0.8 s, the
		// blink there and back, open, the turn there and back, open.
		order := []int{}
		hold := func(k, n int) {
			for range n {
				order = append(order, k)
			}
		}
		rng := rand.New(rand.NewPCG(uint64(i), 11))
		hold(0, 24)
		var blink []int
		for _, n := range sh.blink[1:] {
			pics = append(pics, pic(n))
			blink = append(blink, len(pics)-1)
		}
		for _, k := range append(blink, blink[len(blink)-2:len(blink)-1]...) {
			hold(k, 2+rng.IntN(4))
		}
		hold(0, 15)
		if sh.turn != nil {
			var turn []int
			for _, n := range sh.turn {
				pics = append(pics, pic(n))
				turn = append(turn, len(pics)-1)
			}
			for _, k := range turn {
				hold(k, 2+rng.IntN(4))
			}
			for j := len(turn) - 2; j >= 0; j-- {
				hold(turn[j], 2+rng.IntN(4))
			}
		}
		pick := func(t float64) int {
			f := int(t * attackFPS)
			if f < len(order) {
				return order[f]
			}
			return 0
		}
		name := fmt.Sprintf("%s/%d-stills", pics[0].Name, len(pics))
		m := []motion{held(pics[0], 220), shaking(pics[0], 220), shaking(pics[0], 220)}[i%3]
		var d []degradation
		if i%3 == 2 {
			d = []degradation{sensorNoise(6), jpegRoundTrip(40)}
		}
		out = append(out, attack{Kind: "slideshow", Name: "slideshow/" + name, frame: scene(pics, pick, m, d)})
		if i == 0 || i == 4 {
			// The same through a poor screen and a noisy camera: the
			// stills' landmarks differ frame to frame by more than
			// detector noise. (d12@70's copy is left out: the detector
			// finds a second face in its noise, so it would not test
			// the steps.)
			d = []degradation{sensorNoise(6), jpegRoundTrip(40)}
			out = append(out, attack{Kind: "slideshow", Name: "slideshow/" + name + "/degraded", frame: scene(pics, pick, m, d)})
		}
	}
	return out
}

// attackTrack is the landmark track of an attack, computed once per run.
func attackTrack(t testing.TB, a attack) []liveness.Frame {
	t.Helper()
	return cachedTrack(t, "attack/"+a.Name, func() ([]liveness.Frame, error) { return trackStream(t, a.frames()) })
}

// TestAttacks: every attack against every step. APCER (attack presentation
// classification error rate, ISO/IEC 30107-3) = attacks accepted /
// attacks, per attack type; it must be 0 for every type.
func TestAttacks(t *testing.T) {
	runAttacks(t, attacks(t), 0)
}

// TestSlideshowAttacks: a few still photos of one person shown in turn
// (slideshows), against every step. PARTLY DEFENDED (issue 10, open):
// liveness's recurrence rule (Thresholds.RecurMax) refuses a slideshow
// whose intermediate stills come back and are held on the way back; the
// test holds the line at what it achieves (slideshowAccepted): more
// accepted fails. Besides the five rendered slideshows and degraded
// copies of two, the tester's sequence of issue 10: d6's own frames 38,
// 44, 50 (a blink) and 428, 432, 436 (a turn to the right) held
// 30/3/3/3/30 and 4/4/8/4/4 frames at 30 fps, as an image sequence plays
// them (the same picture repeated) and re-encoded (fresh noise and JPEG
// in every frame, as an x264 file of it has); both are also run as the
// tester ran them, one challenge of blink then right, and the re-encoded
// one must be refused.
func TestSlideshowAttacks(t *testing.T) {
	list := append(slideshows(t), testerSlideshows(t)...)
	runAttacks(t, list, slideshowAccepted)
	for _, a := range list[len(list)-2:] {
		res, err := liveness.Run(liveness.Config{Steps: []liveness.Step{liveness.Blink, liveness.TurnRight}}, attackTrack(t, a))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s as blink,right: %v: %v", a.Name, res.Outcome, res.Reason)
		if !res.Settled {
			t.Errorf("%s as blink,right: refused before settling (%v): it does not test the steps", a.Name, res.Reason)
		}
		if res.Live && strings.HasSuffix(a.Name, "reencoded") {
			t.Errorf("%s as blink,right: accepted", a.Name)
		}
	}
}

// TestExactSlideshowWithPixels: the tester's exact sequence (the same
// d6 frames shown again in the same order, as an image sequence plays
// them) with each frame's pixels handed to the check, as the app and the
// CLI hand them: the way back shows exactly pictures the face had left
// (Result.ExactRepeats), refused as ErrSlideshow for blink, right, and
// blink then right. (TestSlideshowAttacks's cached tracks carry no
// pixels, so there it is judged on landmarks alone and passes.)
func TestExactSlideshowWithPixels(t *testing.T) {
	a := testerSlideshows(t)[0]
	fr, err := trackStreamKeep(t, a.frames(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, steps := range [][]liveness.Step{{liveness.Blink}, {liveness.TurnRight}, {liveness.Blink, liveness.TurnRight}} {
		res, err := liveness.Run(liveness.Config{Steps: steps}, fr)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s as %v: %v: %v (exact repeats %d)", a.Name, steps, res.Outcome, res.Reason, res.ExactRepeats)
		if !errors.Is(res.Reason, liveness.ErrSlideshow) || res.ExactRepeats < liveness.Default.RecurFrames {
			t.Errorf("%s as %v: %v: %v (exact repeats %d), want %v", a.Name, steps, res.Outcome, res.Reason, res.ExactRepeats, liveness.ErrSlideshow)
		}
	}
}

// slideshowAccepted is the number of slideshow attempts the check accepts
// on these pixel-less tracks (README, "Liveness: threat model": 4 of 27 —
// d18's blink, held and degraded, whose half-closed still returns for too
// few held frames, and the tester's exact sequence, blink and right, whose
// clean repeated frames settle with almost no landmark change; with its
// pixels the exact sequence is refused: TestExactSlideshowWithPixels).
const slideshowAccepted = 4

// testerSlideshows are the tester's slideshow of issue 10 (above), clean
// and re-encoded.
func testerSlideshows(t testing.TB) []attack {
	t.Helper()
	seq := []struct{ n, k int }{{38, 30}, {44, 3}, {50, 3}, {44, 3}, {38, 30}, {428, 4}, {432, 4}, {436, 8}, {432, 4}, {428, 4}, {38, 30}}
	imgs := map[int]*image.RGBA{}
	var order []int
	for _, h := range seq {
		if imgs[h.n] == nil {
			imgs[h.n] = videoFrame(t, "d6", h.n)
		}
		for range h.k {
			order = append(order, h.n)
		}
	}
	pick := func(at float64) *image.RGBA {
		return imgs[order[min(int(at*attackFPS+0.5), len(order)-1)]]
	}
	exact := func(at float64, _ *rand.Rand) *image.RGBA { return pick(at) }
	encoded := func(at float64, rng *rand.Rand) *image.RGBA {
		src := pick(at)
		img := image.NewRGBA(src.Rect)
		copy(img.Pix, src.Pix)
		sensorNoise(2)(img, rng)
		jpegRoundTrip(60)(img, rng)
		return img
	}
	return []attack{
		{Kind: "slideshow", Name: "slideshow/tester-d6-exact", frame: exact},
		{Kind: "slideshow", Name: "slideshow/tester-d6-reencoded", frame: encoded},
	}
}

// runAttacks runs every attack against every step, logs each verdict and
// the APCER per attack type, and fails on every attack accepted — or, for
// a kind not fully defended, when more than tolerated are accepted.
func runAttacks(t *testing.T, list []attack, tolerated int) {
	type tally struct{ accepted, tried int }
	perKind := map[string]*tally{}
	accepted := 0
	var kinds []string
	var w strings.Builder
	for _, a := range list {
		fr := attackTrack(t, a)
		faces := 0
		for _, f := range fr {
			if len(f.Faces) == 1 {
				faces++
			}
		}
		if faces < len(fr)/2 {
			t.Errorf("%s: a face in only %d of %d frames: the attack does not test the check", a.Name, faces, len(fr))
		}
		tl := perKind[a.Kind]
		if tl == nil {
			tl = &tally{}
			perKind[a.Kind] = tl
			kinds = append(kinds, a.Kind)
		}
		for _, step := range liveness.AllSteps {
			res, err := liveness.Run(liveness.Config{Steps: []liveness.Step{step}}, fr)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Settled || errors.Is(res.Reason, liveness.ErrManyFaces) {
				t.Errorf("%s refused before the %s step was judged (%v): the attack does not test it", a.Name, step, res.Reason)
			}
			tl.tried++
			verdict := "refused"
			if res.Live {
				tl.accepted++
				accepted++
				verdict = "ACCEPTED"
				if tolerated == 0 {
					t.Errorf("%s accepted as a %s", a.Name, step)
				}
			}
			fmt.Fprintf(&w, "  %-8s %-40s %-5s %s: %v\n", verdict, a.Name, step, res.Outcome, res.Reason)
		}
	}
	t.Logf("attacks:\n%s", w.String())
	if tolerated > 0 && accepted > tolerated {
		t.Errorf("%d attacks accepted, more than the %d the READMEs state", accepted, tolerated)
	}
	for _, k := range kinds {
		tl := perKind[k]
		t.Logf("APCER %-10s %.1f%% (%d of %d accepted)", k, 100*float64(tl.accepted)/float64(tl.tried), tl.accepted, tl.tried)
	}
}
