package camera

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"facelogin/internal/redact"
)

// Kind says how a Source is opened and how it behaves at its end.
type Kind int

const (
	// KindDevice is a local camera: a device index or a /dev/video path.
	// A missing or busy device is retried with backoff.
	KindDevice Kind = iota + 1
	// KindFile is a video file, played at its own frame rate and looped.
	KindFile
	// KindSequence is a numbered image sequence such as frames/%03d.jpg,
	// played like a video file.
	KindSequence
	// KindStream is a network stream (rtsp, http, ...). It is live: it is
	// not paced and not looped, and a broken stream is retried with backoff.
	KindStream
)

func (k Kind) String() string {
	switch k {
	case KindDevice:
		return "device"
	case KindFile:
		return "file"
	case KindSequence:
		return "sequence"
	case KindStream:
		return "stream"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Source is a parsed --camera value. Build it with ParseSource.
type Source struct {
	Kind Kind
	// Index is the device index for KindDevice when the device was given
	// as a number or as /dev/videoN; -1 for other device paths and other
	// kinds.
	Index int
	// Path is the device path, file path, sequence pattern or URL. It is
	// empty for a device given as a bare index.
	Path string
}

// String returns the source for logs and status lines: as written on the
// command line, with a stream URL's password and credential query
// parameters replaced by "xxxxx" (rtsp://admin:xxxxx@cam.lan/stream). Every
// %s, %v and slog value of a Source goes through it.
func (s Source) String() string { return redact.URL(s.CommandLine()) }

// CommandLine returns the source exactly as it would be written on the
// command line, credentials included; ParseSource(s.CommandLine()) gives s
// back. Never log it.
func (s Source) CommandLine() string {
	if s.Kind == KindDevice && s.Path == "" {
		return strconv.Itoa(s.Index)
	}
	return s.Path
}

// LogValue makes slog print the redacted form.
func (s Source) LogValue() slog.Value { return slog.StringValue(s.String()) }

// GoString keeps %#v from printing the URL's password.
func (s Source) GoString() string {
	return fmt.Sprintf("camera.Source{Kind:%v, Index:%d, Path:%q}", s.Kind, s.Index, s.String())
}

// live reports whether the source runs at its own pace (a camera or a
// network stream) rather than being read as fast as it decodes.
func (s Source) live() bool { return s.Kind == KindDevice || s.Kind == KindStream }

// ErrBadSource is wrapped by every error ParseSource returns.
var ErrBadSource = errors.New("camera: bad source")

// maxDeviceIndex bounds device indexes: OpenCV adds the backend id
// (multiples of 100) to an index, so larger values would select a backend.
const maxDeviceIndex = 99

// streamSchemes are the URL schemes FFmpeg reads as live streams.
var streamSchemes = map[string]bool{
	"rtsp": true, "rtsps": true, "rtmp": true, "rtmps": true,
	"http": true, "https": true, "udp": true, "tcp": true, "srt": true,
}

// ParseSource parses a --camera value:
//
//	0, 1, ...            a device index
//	/dev/video0          a device path (any path under /dev/)
//	clip.avi             a video file (anything else that is a path)
//	frames/%03d.jpg      an image sequence (one %d verb, optionally 0-padded)
//	rtsp://host/stream   a network stream (rtsp, rtsps, rtmp, rtmps, http,
//	                     https, udp, tcp, srt)
//	file:///tmp/a.avi    a video file given as a URL
//
// It checks only the syntax: whether a file exists is found out by Open.
func ParseSource(s string) (Source, error) {
	bad := func(why string) (Source, error) {
		return Source{}, fmt.Errorf("%w %q: %s", ErrBadSource, redact.URL(s), why)
	}
	if strings.TrimSpace(s) == "" {
		return bad("empty")
	}
	if s != strings.TrimSpace(s) {
		return bad("leading or trailing space")
	}
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			return bad("control character or invalid UTF-8")
		}
	}

	if isDigits(s) || (s[0] == '-' && isDigits(s[1:])) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxDeviceIndex {
			return bad(fmt.Sprintf("device index must be 0..%d", maxDeviceIndex))
		}
		// A canonical form keeps String round-trips exact ("007" → "7").
		if strconv.Itoa(n) != s {
			return bad("device index with leading zeros")
		}
		return Source{Kind: KindDevice, Index: n}, nil
	}

	if i := strings.Index(s, "://"); i > 0 && isScheme(s[:i]) {
		u, err := url.Parse(s)
		if err != nil {
			return bad(err.Error())
		}
		scheme := strings.ToLower(u.Scheme)
		switch {
		case scheme == "file":
			if u.Host != "" && u.Host != "localhost" {
				return bad("file URL with a remote host")
			}
			if u.Path == "" {
				return bad("file URL without a path")
			}
			if u.RawQuery != "" || u.Fragment != "" {
				return bad("file URL with a query or fragment")
			}
			src, err := parsePath(u.Path)
			if err != nil {
				return bad(err.Error())
			}
			return src, nil
		case streamSchemes[scheme]:
			if u.Host == "" {
				return bad("stream URL without a host")
			}
			return Source{Kind: KindStream, Index: -1, Path: s}, nil
		default:
			return bad(fmt.Sprintf("unsupported URL scheme %q", u.Scheme))
		}
	}
	src, err := parsePath(s)
	if err != nil {
		return bad(err.Error())
	}
	return src, nil
}

// parsePath classifies a file-system path. Its errors are reasons, to be
// wrapped by the caller.
func parsePath(p string) (Source, error) {
	if strings.HasPrefix(p, "/dev/") {
		if strings.Contains(p, "%") {
			return Source{}, errors.New("a device path cannot hold a % pattern")
		}
		idx := -1
		if n, ok := strings.CutPrefix(p, "/dev/video"); ok && isDigits(n) {
			if v, err := strconv.Atoi(n); err == nil && v <= maxDeviceIndex && strconv.Itoa(v) == n {
				idx = v
			}
		}
		return Source{Kind: KindDevice, Index: idx, Path: p}, nil
	}
	if strings.HasSuffix(p, "/") || strings.HasSuffix(p, string(filepath.Separator)) {
		return Source{}, errors.New("a directory, not a file")
	}
	if !strings.Contains(p, "%") {
		return Source{Kind: KindFile, Index: -1, Path: p}, nil
	}
	if err := checkPattern(p); err != nil {
		return Source{}, err
	}
	return Source{Kind: KindSequence, Index: -1, Path: p}, nil
}

// checkPattern accepts exactly one %d verb, optionally zero-padded to a
// width (%d, %3d, %03d), in the file name: the patterns OpenCV's image
// sequence reader and printf agree on.
func checkPattern(p string) error {
	if strings.Count(p, "%") != 1 {
		return errors.New("an image sequence needs exactly one % verb, like %03d")
	}
	i := strings.Index(p, "%")
	if strings.ContainsAny(p[i:], `/\`) {
		return errors.New("the % verb must be in the file name, not a directory")
	}
	j := i + 1
	for j < len(p) && p[j] >= '0' && p[j] <= '9' {
		j++
	}
	if j-(i+1) > 2 {
		return errors.New("the % verb's width is too large")
	}
	if j >= len(p) || p[j] != 'd' {
		return errors.New("the % verb must be %d, optionally zero-padded like %03d")
	}
	return nil
}

// isScheme reports whether s is a URL scheme (RFC 3986: a letter, then
// letters, digits, '+', '-' or '.').
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
