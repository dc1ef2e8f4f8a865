package dlib_test

import (
	"fmt"
	"strings"
	"testing"

	"facelogin/recognition/decision"
	"facelogin/recognition/pose"
)

// statedGuidedFRR is the README's figure for the guided rule: false
// rejections per 3-frame login, default policy, 7 video users (36/114).
// It is as poor as the first 5 frames' because the people in the videos
// follow no prompts and the first halves last 1.3–17 s: the walk runs out
// of video during the first or second pose step, so most enrol from their
// 5 straight frames (the table's first lines show it, video by video).
const statedGuidedFRR = 0.32

// TestGuidedEnrolment: each video person enrolled by the guided rule —
// the first half of their video walked through the window's pose steps
// (recognition/pose), the frames the steps accept, 10 kept by
// farthest-point sampling — and by today's first 5 frames, then 3-frame
// logins from the second half: false rejections, and false accepts across
// all videos and the shared photos (faces/ and LFW), which must be 0.
// `go test -timeout 30m -run TestGuidedEnrolment -v ./recognition/dlib/`
// prints the table the README quotes.
func TestGuidedEnrolment(t *testing.T) {
	es := loadEval(t)
	var w strings.Builder
	fmt.Fprintf(&w, "guided steps on the first half of each video (frames accepted per step: %v; the people follow no prompts)\n", kindsOf(pose.Steps(5)))
	for _, v := range es.videos {
		steps, cands := guidedSteps(v)
		n := make([]int, len(steps))
		for i, s := range steps {
			n[i] = len(s)
		}
		fmt.Fprintf(&w, "%s: %v; %d frames walked, %d candidates, %d kept\n", v.name, n, len(v.first), len(cands), len(guided(v)))
	}
	rules := []enrolRule{enrolRules()[0], enrolRules()[2], enrolRules()[3]}
	fmt.Fprintf(&w, "| gallery | rule | enrolment | logins | false rejections (1:N) | of them ambiguous | wrong identifications | strangers accepted (1:N) | wrong name accepted (1:1) | photos taken for a video user |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, withPhotos := range []bool{false, true} {
		gname := "7 video users"
		if withPhotos {
			gname = "7 video users + 139 photo people"
		}
		for _, c := range configs()[:2] {
			for _, r := range rules {
				res := videoProtocol(t, es, c, r, withPhotos)
				fmt.Fprintf(&w, "| %s | %s | %s | %d | %s | %d | %d | %s | %s | %s |\n", gname, c.name, r.name, res.logins,
					pct(res.rejected, res.logins), res.ambiguous, res.wrong,
					pct(res.impostorFA, res.impostorLogins), pct(res.verifyFA, res.verifyImpostor), pct(res.photoFA, res.photoProbes))
				if res.wrong+res.impostorFA+res.verifyFA+res.photoFA != 0 {
					t.Errorf("%s, %s, %s: %d wrong identifications, %d strangers, %d wrong names, %d photos accepted; want 0",
						gname, c.name, r.name, res.wrong, res.impostorFA, res.verifyFA, res.photoFA)
				}
				if c.policy == decision.DefaultPolicy && r.name == rules[2].name && float64(res.rejected) > statedGuidedFRR*float64(res.logins) {
					t.Errorf("%s, guided: %d/%d logins rejected, stated ≤ %.0f%%", gname, res.rejected, res.logins, 100*statedGuidedFRR)
				}
			}
		}
	}
	t.Log("\n" + w.String())
}

func kindsOf(steps []pose.Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Kind.String())
	}
	return out
}
