package livenesstest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"facelogin/internal/directory"
	"facelogin/internal/testkit/dirtest"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
	"facelogin/recognition/liveness"
	"facelogin/store"
)

// people are the seven people of the shared videos, one each.
var people = []string{"d0", "d6", "d10", "d11", "d12", "d18", "d20"}

// enrolGap keeps a clip's own person's templates this many frames (1 s)
// away from the clip, so the descriptor before the challenge is not
// compared with a near copy of itself.
const enrolGap = 25

// enrolFrames are 3 frames spread evenly over [0, count) outside
// [from, to) widened by enrolGap (from = to = 0: the whole video), as an
// enrolment takes a few pictures of a person at another time.
func enrolFrames(count, from, to int) []int {
	var allowed []int
	for n := range count {
		if to > from && n >= from-enrolGap && n < to+enrolGap {
			continue
		}
		allowed = append(allowed, n)
	}
	var out []int
	for k := range 3 {
		out = append(out, allowed[(2*k+1)*len(allowed)/6])
	}
	return out
}

// beforeRun is one challenge run for its Before descriptor: a genuine
// clip, or (genuine false) only the settling of a person who has no clip,
// for the attack side.
type beforeRun struct {
	c       clip
	genuine bool
	ch      *liveness.Challenge
	res     liveness.Result
	// collecting: the challenge ended; after holds the descriptors of the
	// frames a login decides from (cmd/facelogin liveLogin.collect).
	collecting bool
	after      []recognition.Descriptor
}

// decideFrames is cmd/facelogin's: the frames after the challenge a login
// decides from. afterFrames is how far past a clip's end they may be read
// (the camera goes on after the challenge).
const decideFrames, afterFrames = 3, 30

func (r *beforeRun) name() string {
	if !r.genuine {
		return fmt.Sprintf("%s [%d,%d) settling only", r.c.Video, r.c.From, r.c.To)
	}
	return r.c.String()
}

// TestBeforeCheckOnClips measures the rule that refuses a login whose
// descriptor taken before the challenge (liveness.Result.Before) lies
// farther than liveness.BeforeUserDistance from the templates of the user
// decided after it, or nearer another user's by more than δ (cmd/facelogin
// sameUserBefore, app confirmBefore: Directory.Decide(user, [before]),
// Decision.SameFaceWithin; else liveness.ErrNotSamePerson).
//
// Genuine side: each of the 25 genuine clips runs as the app runs a
// challenge (Tracker frame by frame, MaxDescriptorDistance =
// SamePersonDistance, the engine describing the tracked face when the
// challenge asks: Status.NeedDescriptor), in an installation (a real
// Directory on SQLite, default policy, no background set) with all seven
// people enrolled, 3 templates each: the clip's person from frames
// spread over the same video outside the clip (± enrolGap; mirrored like
// the clip, as one camera would show them), the six others from frames
// spread over their whole videos. The login itself is identified (1:N)
// from the 3 frames after the challenge ends, as cmd/facelogin collects
// them; the rule matters only for a live login accepted as the clip's
// person. It must accept every genuine clip's Before against its own
// person (knownRefused: 0).
//
// Attack side: the Before of person A's clip against every other person
// B (the swap the rule stops: A settles, B answers and is decided). d20
// has no clip; its settling (frames [0,40)) gives its Before. Logged as
// counts per ordered pair; the rule has to refuse them all — the test
// fails if more pass than measured when it was written (0).
func TestBeforeCheckOnClips(t *testing.T) {
	eng := engine(t)
	var runs []*beforeRun
	for _, c := range genuineClips(frameCount) {
		runs = append(runs, &beforeRun{c: c, genuine: true})
	}
	runs = append(runs, &beforeRun{c: clip{Video: "d20", From: 0, To: 40, Step: liveness.Blink}})
	if n := len(runs) - 1; n != 25 {
		t.Fatalf("%d genuine clips, want 25", n)
	}

	// The Before descriptor of each run, as TestSamePersonOnClips takes it.
	groups := map[[2]string][]*beforeRun{}
	var keys [][2]string
	for _, r := range runs {
		ch, err := liveness.New(liveness.Config{Steps: []liveness.Step{r.c.Step}, MaxDescriptorDistance: liveness.SamePersonDistance})
		if err != nil {
			t.Fatal(err)
		}
		r.ch = ch
		k := [2]string{r.c.Video, fmt.Sprint(r.c.Mirrored)}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, k := range keys {
		rs := groups[k]
		end := 0
		for _, r := range rs {
			end = max(end, min(frameCount(k[0]), r.c.To+afterFrames))
		}
		tr, err := landmarker(t).NewTracker(dlib.TrackerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var verr error
		n := 0
		for at, img := range videoFrames(videoPath(t, k[0]), 0, end, k[1] == "true", &verr) {
			lf, err := tr.Track(img, at)
			if err != nil {
				t.Fatal(err)
			}
			fr := liveness.FromLandmarkFrame(lf, img)
			for _, r := range rs {
				if n < r.c.From {
					continue
				}
				if r.collecting {
					// As liveLogin.collect: the next frames where the face is
					// the only one, described.
					if len(r.after) < decideFrames && len(lf.Faces) == 1 {
						if d, err := eng.Describe(img, lf.Faces[0]); err == nil {
							r.after = append(r.after, d.Descriptor)
						}
					}
					continue
				}
				if n >= r.c.To || r.ch.Status().Done {
					continue
				}
				f := fr
				if st := r.ch.Status(); st.NeedDescriptor && len(lf.Faces) == 1 {
					f.Faces = slices.Clone(fr.Faces)
					if d, err := eng.Describe(img, lf.Faces[0]); err == nil {
						f.Faces[0].Descriptor = d.Descriptor[:]
					}
				}
				r.ch.Feed(f)
				r.collecting = r.ch.Status().Done
			}
			n++
		}
		tr.Close()
		if verr != nil {
			t.Fatal(verr)
		}
		for _, r := range rs {
			r.res = r.ch.End()
			if len(r.res.Before) != recognition.DescriptorLen {
				t.Fatalf("%s: no descriptor taken before the challenge (%v: %v)", r.name(), r.res.Outcome, r.res.Reason)
			}
		}
	}

	// Enrolment descriptors: every frame any directory needs, each video
	// decoded once (mirrored too for the videos with mirrored clips).
	type frameKey struct {
		video    string
		n        int
		mirrored bool
	}
	need := map[[2]string]map[int]bool{}
	want := func(video string, mirrored bool, ns []int) {
		k := [2]string{video, fmt.Sprint(mirrored)}
		if need[k] == nil {
			need[k] = map[int]bool{}
		}
		for _, n := range ns {
			need[k][n] = true
		}
	}
	for _, p := range people {
		want(p, false, enrolFrames(frameCount(p), 0, 0))
	}
	for _, r := range runs {
		want(r.c.Video, r.c.Mirrored, enrolFrames(frameCount(r.c.Video), r.c.From, r.c.To))
	}
	desc := map[frameKey]recognition.Descriptor{}
	for k, ns := range need {
		last := 0
		for n := range ns {
			last = max(last, n)
		}
		var verr error
		n := 0
		for _, img := range videoFrames(videoPath(t, k[0]), 0, last+1, k[1] == "true", &verr) {
			if ns[n] {
				name := fmt.Sprintf("%s@%d", k[0], n)
				f, err := eng.Describe(img, recognition.TrackedFace{ID: 1, Rect: faceBox(t, name, img)})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				desc[frameKey{k[0], n, k[1] == "true"}] = f.Descriptor
			}
			n++
		}
		if verr != nil {
			t.Fatal(verr)
		}
	}
	templates := func(video string, mirrored bool, ns []int) []recognition.Descriptor {
		var ds []recognition.Descriptor
		for _, n := range ns {
			ds = append(ds, desc[frameKey{video, n, mirrored}])
		}
		return ds
	}

	// before is the rule as sameUserBefore applies it.
	before := func(dir *directory.Directory, user string, b []float32) (ok bool, dist, thr, margin float32, reason string) {
		dec, err := dir.Decide(user, []recognition.Descriptor{recognition.Descriptor(b)})
		ok = err == nil && dec.Candidate == user && dec.SameFaceWithin(liveness.BeforeUserDistance, dir.Policy().Delta)
		return ok, dec.Distance, dec.Threshold.Value, dec.Margin, dec.Reason.String()
	}

	ctx := context.Background()
	var gen strings.Builder
	refused, genuine := 0, 0
	refusedLogins, logins := 0, 0 // among the clips whose login was live and accepted as their person
	singleAfter, singleAfterRefused := 0, 0
	var worstSlack float32 = 1e9
	attempts, passes := map[[2]string]int{}, map[[2]string]int{}
	var passed []string
	var minAttack float32 = 1e9
	unenrolledTried, unenrolledPassed := 0, []string(nil)
	for _, r := range runs {
		_, dir := dirtest.Open(t, store.Config{})
		for _, p := range people {
			ns, mirrored := enrolFrames(frameCount(p), 0, 0), false
			if p == r.c.Video {
				ns, mirrored = enrolFrames(frameCount(p), r.c.From, r.c.To), r.c.Mirrored
			}
			if _, err := dir.Enroll(ctx, p, templates(p, mirrored, ns), nil); err != nil {
				t.Fatal(err)
			}
		}
		a := r.c.Video
		if r.genuine {
			genuine++
			ok, d, thr, m, why := before(dir, a, r.res.Before)
			// The login itself: identify (1:N) from the frames after the
			// challenge. The rule applies only to a live, accepted login.
			// A video that ends before decideFrames frames after the
			// challenge is a login nothing decided (errDecideEnded).
			login, _ := dir.Decide("", r.after)
			applies := r.res.Live && len(r.after) == decideFrames && login.OK() && login.User == a
			verdict := "accepted"
			if !ok {
				verdict = "REFUSED (" + why + ")"
				refused++
				if applies {
					refusedLogins++
				}
			}
			if applies {
				logins++
			}
			worstSlack = min(worstSlack, thr-d)
			// Each frame after alone, as the before-check judges its one
			// frame: how often one frame of the login's own would fail.
			var each []string
			for _, f := range r.after {
				ok1, d1, _, _, _ := before(dir, a, f[:])
				if !ok1 {
					singleAfterRefused++
				}
				each = append(each, fmt.Sprintf("%.3f", d1))
			}
			singleAfter += len(r.after)
			fmt.Fprintf(&gen, "  %-43s live %-5v login %-8v %-3s after %.3f %v | before %.3f threshold %.3f margin %+.3f (before–closing %.3f): %s; enrolled from %v\n",
				r.name(), r.res.Live, login.Reason, login.User, login.Distance, each, d, thr, m, r.res.DescriptorDistance, verdict, enrolFrames(frameCount(a), r.c.From, r.c.To))
		}
		// The same swaps when A is not enrolled: only the distance bound
		// can refuse them (no margin to A's templates).
		_, dirNoA := dirtest.Open(t, store.Config{})
		for _, p := range people {
			if p == a {
				continue
			}
			if _, err := dirNoA.Enroll(ctx, p, templates(p, false, enrolFrames(frameCount(p), 0, 0)), nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, b := range people {
			if b == a {
				continue
			}
			unenrolledTried++
			if ok, d, thr, _, _ := before(dirNoA, b, r.res.Before); ok {
				unenrolledPassed = append(unenrolledPassed, fmt.Sprintf("%s as %s: %.3f (threshold %.3f)", r.name(), b, d, thr))
			}
		}
		for _, b := range people {
			if b == a {
				continue
			}
			k := [2]string{a, b}
			attempts[k]++
			ok, d, thr, m, why := before(dir, b, r.res.Before)
			minAttack = min(minAttack, d)
			if ok {
				passes[k]++
				passed = append(passed, fmt.Sprintf("%s as %s: %.3f ≤ %.3f, margin %+.3f (%s)", r.name(), b, d, thr, m, why))
			}
		}
	}
	t.Logf("genuine clips, Before against their own person (3 templates each, 7 people enrolled):\n%s", gen.String())
	t.Logf("genuine Before refused against its own person: %d of %d clips; smallest threshold − distance %.3f", refused, genuine, worstSlack)
	t.Logf("genuine logins (live, identified as their person from the %d frames after) the before-check turns into refusals: %d of %d", decideFrames, refusedLogins, logins)
	t.Logf("for comparison, single frames after the challenge the same 1:1 rule would refuse: %d of %d", singleAfterRefused, singleAfter)

	var pairs strings.Builder
	total, totalPass := 0, 0
	var ks [][2]string
	for k := range attempts {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		return slices.Index(people, ks[i][0])*10+slices.Index(people, ks[i][1]) < slices.Index(people, ks[j][0])*10+slices.Index(people, ks[j][1])
	})
	for _, k := range ks {
		total += attempts[k]
		totalPass += passes[k]
		fmt.Fprintf(&pairs, "  %s's Before as %s: %d of %d pass\n", k[0], k[1], passes[k], attempts[k])
	}
	t.Logf("swaps (A settles, B is decided), %d ordered pairs:\n%s", len(ks), pairs.String())
	t.Logf("swaps passing the before-check: %d of %d attempts; nearest other person's distance %.3f; passed: %v", totalPass, total, minAttack, passed)
	t.Logf("swaps from a person who is not enrolled passing the before-check (the distance bound alone): %d of %d attempts: %v", len(unenrolledPassed), unenrolledTried, unenrolledPassed)

	// Measured (2 December, default policy, 7 people, Base 0.375, Min
	// 0.35): with the user's own threshold as the rule, 6 of the 25
	// genuine Befores were refused against their own person (5 of d6's 7
	// clips at 0.387–0.450, d0's at 0.358 against 0.350), 6 of the 21
	// logins that were live and accepted from the frames after. With
	// liveness.BeforeUserDistance (0.5) and the margin rule: none, and no
	// swap passes (the seven within 0.5, d12 and d0, are nearer their own
	// person by 0.125–0.238, more than δ).
	const knownRefused, knownRefusedLogins = 0, 0
	if refused > knownRefused {
		t.Errorf("%d of %d genuine clips refused by the before-check, more than the %d measured", refused, genuine, knownRefused)
	}
	if refusedLogins > knownRefusedLogins {
		t.Errorf("%d of %d genuine logins turned into refusals by the before-check, more than the %d measured", refusedLogins, logins, knownRefusedLogins)
	}
	// Not enrolled, the swapper can only be refused by the distance
	// bound: the seven Befores of d12 and d0 as each other lie 0.469–0.492
	// from the other's templates, within 0.5 (README, "what it does not
	// stop"). Bounded at what was measured.
	const knownUnenrolled = 7
	if len(unenrolledPassed) > knownUnenrolled {
		t.Errorf("%d of %d swaps from people who are not enrolled pass the before-check, more than the %d measured: %v", len(unenrolledPassed), unenrolledTried, knownUnenrolled, unenrolledPassed)
	}
	if totalPass > 0 {
		t.Errorf("%d of %d swaps between different people pass the before-check: %v", totalPass, total, passed)
	}
}
