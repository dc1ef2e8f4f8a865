package recognition

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/image/riff"
)

// webpLayout is what a WebP file's RIFF chunks say about decoding it, read
// from the chunk headers alone (WebP container specification, RFC 9649).
type webpLayout struct {
	extended      bool // a VP8X chunk gives the canvas size
	canvasW       int  // from VP8X
	canvasH       int
	frames        []webpFrame // every top-level VP8 and VP8L chunk, in order
	animated      bool        // an ANIM or ANMF chunk, whatever VP8X's flag says
	alphaLossless bool        // an ALPH chunk compressed with the lossless bitstream
}

// webpFrame is one image bitstream's own size, from its frame header.
type webpFrame struct {
	kind string // "VP8" (lossy) or "VP8L" (lossless)
	w, h int
}

// readWebPLayout walks the top-level chunks of a WebP file. x/image/webp's
// DecodeConfig reports the VP8X canvas, but Decode decodes the first VP8 or
// VP8L chunk at the size that chunk's own header declares: a 100×100 canvas
// around a 16383×16383 lossless frame passes a check of the config and
// then takes 1.4 GB. So the frames' own sizes are read here: the VP8L
// header (RFC 9649 §3.2: signature 0x2f, then 14-bit width−1 and
// height−1) and the VP8 key frame header (RFC 6386 §9.1: 3-byte frame tag,
// start code 9d 01 2a, 14-bit width and height, 2 bits of scaling each).
func readWebPLayout(data []byte) (webpLayout, error) {
	var l webpLayout
	form, r, err := riff.NewReader(bytes.NewReader(data))
	if err != nil || form != (riff.FourCC{'W', 'E', 'B', 'P'}) {
		return l, fmt.Errorf("%w: webp: not a RIFF WEBP file", ErrCorruptImage)
	}
	for {
		id, n, chunk, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A damaged tail after the frame is x/image/webp's to judge;
			// the frames read so far are what it decodes.
			if len(l.frames) > 0 {
				break
			}
			return l, fmt.Errorf("%w: webp: %v", ErrCorruptImage, err)
		}
		var head [10]byte
		got, _ := io.ReadFull(chunk, head[:min(int(n), len(head))])
		switch string(id[:]) {
		case "VP8X":
			if got < 10 {
				return l, fmt.Errorf("%w: webp: VP8X chunk of %d bytes", ErrCorruptImage, n)
			}
			l.extended = true
			l.canvasW = int(uint32(head[4])|uint32(head[5])<<8|uint32(head[6])<<16) + 1
			l.canvasH = int(uint32(head[7])|uint32(head[8])<<8|uint32(head[9])<<16) + 1
		case "ANIM", "ANMF":
			l.animated = true
		case "ALPH":
			l.alphaLossless = got >= 1 && head[0]&0x03 == 1
		case "VP8L":
			if got < 5 || head[0] != 0x2f {
				return l, fmt.Errorf("%w: webp: VP8L chunk without its header", ErrCorruptImage)
			}
			v := binary.LittleEndian.Uint32(head[1:5])
			l.frames = append(l.frames, webpFrame{"VP8L", int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1})
		case "VP8 ":
			if got < 10 || head[0]&1 != 0 || !bytes.Equal(head[3:6], []byte{0x9d, 0x01, 0x2a}) {
				return l, fmt.Errorf("%w: webp: VP8 chunk without a key frame header", ErrCorruptImage)
			}
			l.frames = append(l.frames, webpFrame{"VP8",
				int(binary.LittleEndian.Uint16(head[6:8]) & 0x3fff),
				int(binary.LittleEndian.Uint16(head[8:10]) & 0x3fff)})
		}
	}
	return l, nil
}

// size is the size decoding is bounded by: the largest frame (each frame
// is checked against the canvas, so in a sound file it is the canvas).
// A frame whose size differs from the VP8X canvas is refused as damaged:
// libwebp writes a still image's frame at the canvas size, and a mismatch
// is how a small canvas hides a large frame.
func (l webpLayout) size() (w, h int, err error) {
	if len(l.frames) == 0 {
		return 0, 0, fmt.Errorf("%w: webp: no VP8 or VP8L image chunk", ErrCorruptImage)
	}
	for _, f := range l.frames {
		if l.extended && (f.w != l.canvasW || f.h != l.canvasH) {
			return 0, 0, fmt.Errorf("%w: webp: its header (VP8X) says %d×%d pixels but its %s frame is %d×%d",
				ErrCorruptImage, l.canvasW, l.canvasH, f.kind, f.w, f.h)
		}
		w, h = max(w, f.w), max(h, f.h)
	}
	return w, h, nil
}

// doubled reports whether x/image/webp holds two full-size NRGBA buffers
// decoding this file: a lossless frame (its colour-indexing transform
// writes a new buffer), and a lossy frame's lossless-compressed alpha
// (decoded as NRGBA at the canvas size, then copied out).
func (l webpLayout) doubled() bool {
	return l.alphaLossless || (len(l.frames) > 0 && l.frames[0].kind == "VP8L")
}
