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

// ReadBackground reads a background set (the format of backgroundFile)
// made by the model modelID. A file without a licence, of another model,
// without faces, or with a descriptor that is not 128 finite numbers
// fails with ErrBadBackground naming what is wrong.
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
	}
	return decision.NewBackground(ts), nil
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
func (d *Directory) UseBackgroundFile(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	bg, err := ReadBackground(f, d.modelID)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return bg.Identities(), d.SetPolicy(d.Policy(), bg)
}
