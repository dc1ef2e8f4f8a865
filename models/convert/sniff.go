package convert

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// Kind is what a model file is, judged from its first bytes.
type Kind int

const (
	KindUnknown        Kind = iota
	KindEmpty               // a zero-length file
	KindResNet              // dlib's face recognition ResNet (loss_metric)
	KindShapePredictor      // a dlib shape predictor (landmarks)
	KindCNNDetector         // dlib's CNN face detector (loss_mmod)
	KindBzip2               // a .bz2 file, e.g. an undecompressed dlib.net download
	KindGzip                // a .gz file
)

func (k Kind) String() string {
	switch k {
	case KindEmpty:
		return "empty file"
	case KindResNet:
		return "face recognition ResNet"
	case KindShapePredictor:
		return "landmark shape predictor"
	case KindCNNDetector:
		return "CNN face detector"
	case KindBzip2:
		return "bzip2 archive"
	case KindGzip:
		return "gzip archive"
	}
	return "unknown file"
}

// Header is what the first bytes of a file say.
type Header struct {
	Kind      Kind
	Landmarks int // for KindShapePredictor: landmarks per face
}

func (h Header) String() string {
	if h.Kind == KindShapePredictor && h.Landmarks > 0 {
		return fmt.Sprintf("%s (%d landmarks)", h.Kind, h.Landmarks)
	}
	return h.Kind.String()
}

// Sniff tells the dlib model kinds apart from a file's first bytes, without
// dlib. It cannot tell a whole file from a truncated one.
func Sniff(head []byte) Header {
	switch {
	case len(head) == 0:
		return Header{Kind: KindEmpty}
	case bytes.HasPrefix(head, []byte("BZh")):
		return Header{Kind: KindBzip2}
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return Header{Kind: KindGzip}
	}
	// dlib nets start with the loss layer's version string.
	top := head[:min(len(head), 64)]
	switch {
	case bytes.Contains(top, []byte("loss_metric_")):
		return Header{Kind: KindResNet}
	case bytes.Contains(top, []byte("loss_mmod_")):
		return Header{Kind: KindCNNDetector}
	}
	// shape_predictor: version 1, then initial_shape as a column matrix
	// serialized as (-rows, -cols) (old dlib: positive): rows = 2 *
	// landmarks, cols = 1.
	version, rest, ok := dlibInt(head)
	if !ok || version != 1 {
		return Header{}
	}
	rows, rest, ok := dlibInt(rest)
	if rows < 0 {
		rows = -rows
	}
	if !ok || rows == 0 || rows%2 != 0 || rows > 1<<20 {
		return Header{}
	}
	cols, _, ok := dlibInt(rest)
	if !ok || (cols != -1 && cols != 1) {
		return Header{}
	}
	return Header{Kind: KindShapePredictor, Landmarks: int(rows / 2)}
}

// dlibInt decodes one integer in dlib's serialization: a control byte whose
// low nibble is the byte count and whose top bit is the sign, then the
// magnitude little endian.
func dlibInt(b []byte) (int64, []byte, bool) {
	if len(b) == 0 {
		return 0, nil, false
	}
	n := int(b[0] & 0x0f)
	if n == 0 || n > 8 || len(b) < 1+n || b[0]&0x70 != 0 {
		return 0, nil, false
	}
	var v int64
	for i := n; i >= 1; i-- {
		v = v<<8 | int64(b[i])
	}
	if b[0]&0x80 != 0 {
		v = -v
	}
	return v, b[1+n:], true
}

func sniffFile(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	head := make([]byte, 64)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Header{}, err
	}
	return Sniff(head[:n]), nil
}

// SniffFile reads the first bytes of path and says what model it looks like.
func SniffFile(path string) (Header, error) {
	h, err := sniffFile(path)
	if err != nil {
		return Header{}, fmt.Errorf("convert: sniff %s: %w", path, err)
	}
	return h, nil
}
