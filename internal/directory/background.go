package directory

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"facelogin/recognition"
	"facelogin/recognition/decision"
)

// BackgroundEnv names the environment variable with the path of a
// background set (ReadBackground's format) for the window, the kiosk and
// the command line. None ships: see README, "Accuracy".
const BackgroundEnv = "FACELOGIN_BACKGROUND"

// backgroundFile is the format of a background set: descriptors of people
// who are not users (strangers of the population the site serves), made by
// the model the templates are made by, and the licence under which the
// photos they come from may be used for this.
//
//	{"model": "dlib_resnet_v1",
//	 "licence": "CC BY 4.0, consent for biometric use: …",
//	 "faces": [{"person": "p0001", "descriptor": "<base64 of 128 little-endian float32>"}, …]}
type backgroundFile struct {
	Model   string `json:"model"`
	Licence string `json:"licence"`
	Faces   []struct {
		Person     string `json:"person"`
		Descriptor string `json:"descriptor"`
	} `json:"faces"`
}

// ErrBadBackground: a background set that cannot be used.
var ErrBadBackground = errors.New("directory: bad background set")

// Plausibility bounds of dlib ResNet descriptors (model dlib_resnet_v1).
// A background set changes every user's threshold (a cohort of ≥ 100
// people far from a user raises it up to Policy.Max), so descriptors that
// are not real faces of this model — random numbers, huge values — must
// not be taken for strangers. Measured on real descriptors (README,
// "Accuracy and the decision rules"): the 1,286 of faces/idols.json
// (original dlib model; 552 people) have norms 1.23–1.54 (1st–99th
// percentile 1.33–1.52), components within ±0.44, and a median distance
// between different people of 0.497 (1st percentile 0.36, maximum 0.90);
// this model's descriptors of faces/*.jpg have norms 1.32–1.50, and of one
// photo each of the 122 people of lfw/ norms 1.27–1.67, components within
// ±0.50 and a median different-person distance of 0.815 (1st–99th
// percentile 0.61–1.01, maximum 1.08). Random Gaussian vectors scaled to a
// real norm lie ~2.0 apart. The bounds leave room for other populations.
const (
	bgMinNorm, bgMaxNorm             = 1.0, 2.0
	bgMaxComponent                   = 0.8
	bgMinMedianDist, bgMaxMedianDist = 0.35, 1.1
	// bgSample bounds the descriptors whose pairwise distances are
	// measured (evenly spaced), so a large set is checked in ~2 M distances.
	bgSample = 2000
)

// ReadBackground reads a background set (the format of backgroundFile)
// made by the model modelID. A file without a licence, of another model,
// without faces, with a descriptor that is not 128 finite numbers, or with
// descriptors unlike real faces of the model (a norm outside [1.0, 2.0], a
// component beyond ±0.8, a median distance between different people
// outside [0.35, 1.1]; bounds measured on real dlib descriptors, see the
// constants' comment) fails with ErrBadBackground naming what is wrong.
func ReadBackground(r io.Reader, modelID string) (*decision.Background, error) {
	var f backgroundFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBackground, err)
	}
	switch {
	case strings.TrimSpace(f.Licence) == "":
		return nil, fmt.Errorf("%w: no licence: say under which licence the photos may be used", ErrBadBackground)
	case f.Model != modelID:
		return nil, fmt.Errorf("%w: made by model %q, the templates by %q", ErrBadBackground, f.Model, modelID)
	case len(f.Faces) == 0:
		return nil, fmt.Errorf("%w: no faces", ErrBadBackground)
	}
	ts := make([]recognition.Template, len(f.Faces))
	for i, face := range f.Faces {
		b, err := base64.StdEncoding.DecodeString(face.Descriptor)
		if err != nil || len(b) != 4*len(ts[i].Descriptor) || face.Person == "" {
			return nil, fmt.Errorf("%w: face %d: want a person and the base64 of 128 little-endian float32", ErrBadBackground, i+1)
		}
		for k := range ts[i].Descriptor {
			v := math.Float32frombits(binary.LittleEndian.Uint32(b[4*k:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("%w: face %d: not a finite descriptor", ErrBadBackground, i+1)
			}
			ts[i].Descriptor[k] = v
		}
		ts[i].User = face.Person
		if err := plausibleDescriptor(&ts[i].Descriptor); err != nil {
			return nil, fmt.Errorf("%w: face %d: %v", ErrBadBackground, i+1, err)
		}
	}
	if err := plausiblePopulation(ts); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBackground, err)
	}
	return decision.NewBackground(ts), nil
}

// plausibleDescriptor reports a descriptor whose norm or components lie
// outside what the model produces for a face.
func plausibleDescriptor(d *recognition.Descriptor) error {
	var sq float64
	for k, v := range d {
		if math.Abs(float64(v)) > bgMaxComponent {
			return fmt.Errorf("component %d is %.3g, beyond ±%.1f (real dlib descriptors stay within ±0.50): not a face descriptor of this model", k+1, v, bgMaxComponent)
		}
		sq += float64(v) * float64(v)
	}
	if n := math.Sqrt(sq); n < bgMinNorm || n > bgMaxNorm {
		return fmt.Errorf("norm %.3f outside [%.1f, %.1f] (real dlib descriptors: 1.23–1.67): not a face descriptor of this model", n, bgMinNorm, bgMaxNorm)
	}
	return nil
}

// plausiblePopulation reports a set whose different people are not as far
// apart as real faces are: the median distance between descriptors of
// different people (at most bgSample descriptors, evenly spaced) must lie
// in [bgMinMedianDist, bgMaxMedianDist].
func plausiblePopulation(ts []recognition.Template) error {
	step := max(1, len(ts)/bgSample)
	var ds []float32
	for i := 0; i < len(ts); i += step {
		for j := 0; j < i; j += step {
			if ts[i].User != ts[j].User {
				ds = append(ds, recognition.Distance(&ts[i].Descriptor, &ts[j].Descriptor))
			}
		}
	}
	if len(ds) == 0 {
		return nil // one person: nothing to compare
	}
	slices.Sort(ds)
	if m := ds[len(ds)/2]; m < bgMinMedianDist || m > bgMaxMedianDist {
		return fmt.Errorf("the median distance between different people of the set is %.3f, outside [%.2f, %.2f] where real faces of this model lie (%s): not descriptors of real faces, or of another model",
			m, bgMinMedianDist, bgMaxMedianDist, "0.50 among K-pop idols, 0.82 in LFW")
	}
	return nil
}

// WriteBackground writes ts (Template.User naming each person) as a
// background set of the model modelID in ReadBackground's format, with the
// licence under which the photos they come from may be used: how an
// administrator builds one from the descriptors of consenting strangers.
func WriteBackground(w io.Writer, modelID, licence string, ts []recognition.Template) error {
	f := backgroundFile{Model: modelID, Licence: licence}
	f.Faces = make([]struct {
		Person     string `json:"person"`
		Descriptor string `json:"descriptor"`
	}, len(ts))
	b := make([]byte, 4*len(recognition.Descriptor{}))
	for i, t := range ts {
		for k, v := range t.Descriptor {
			binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(v))
		}
		f.Faces[i].Person, f.Faces[i].Descriptor = t.User, base64.StdEncoding.EncodeToString(b)
	}
	return json.NewEncoder(w).Encode(f)
}

// UseBackgroundFile reads the background set at path (ReadBackground) and
// makes it the cohort's background, keeping the policy in force. It
// returns the number of people in it.
//
// The file is trusted configuration, like the database: its descriptors
// move every user's acceptance distance, and ReadBackground's plausibility
// checks catch mistakes, not a crafted set (descriptors of real norm and
// spread placed far from the users loosen every threshold to the policy's
// Max). A file that users other than its owner may change is refused
// (ErrBadBackground), as the template key file is.
func (d *Directory) UseBackgroundFile(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return 0, err
	} else if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return 0, fmt.Errorf("%w: %s can be changed by other users (mode %04o): a background set moves every user's acceptance distance, so only its owner may write it — run chmod go-w %s",
			ErrBadBackground, path, perm, path)
	}
	bg, err := ReadBackground(f, d.modelID)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return bg.Identities(), d.SetPolicy(d.Policy(), bg)
}
