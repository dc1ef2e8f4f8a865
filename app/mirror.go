package app

import (
	"image"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"facelogin/recognition"
)

// The mirrored preview: like every webcam app, the window and the kiosk
// show people a mirror image of themselves (raise the right hand and the
// hand on the right of the screen moves), with the overlay flipped to
// match. Only the display is mirrored: the tracker, recognition and the
// liveness check get the camera's own frame. The liveness prompts name
// the person's own left and right, which for someone facing the screen is
// the screen's left and right (liveness.Arrow): on the mirrored preview
// the face turns the way the arrow points; on the raw one it turns the
// other way.

// PrefMirror is the preference key of the mirrored preview (on unless
// turned off; in the kiosk the Settings screen is behind the PIN).
const PrefMirror = "preview.mirror"

// newMirrorSetting is the Settings screen's block for the mirrored
// preview. It applies from the next frame shown.
func newMirrorSetting(prefs fyne.Preferences, log *slog.Logger) *checkSetting {
	return newCheckSetting(prefs, log, PrefMirror, "mirror_preview", lang.L("Mirror the preview (like a mirror)"),
		lang.L("Shows the camera picture flipped left to right, as people expect to see themselves: when you turn to "+
			"your left, your face on the screen turns left too. Recognition always uses the camera's own picture. "+
			"Applies at once."), false, "")
}

// mirrorFrame makes dst the mirror image of src, left and right swapped
// (dst must have src's bounds). Frames from the camera are *image.RGBA,
// flipped row by row in one pass.
func mirrorFrame(dst *image.RGBA, src image.Image) {
	s, ok := src.(*image.RGBA)
	if !ok || s.Rect != dst.Rect {
		copyFrame(dst, src)
		flipRows(dst)
		return
	}
	w := 4 * dst.Rect.Dx()
	for y := range dst.Rect.Dy() {
		in := s.Pix[y*s.Stride : y*s.Stride+w]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+w]
		for i, j := 0, w-4; j >= 0; i, j = i+4, j-4 {
			o, p := out[i:i+4:i+4], in[j:j+4:j+4]
			o[0], o[1], o[2], o[3] = p[0], p[1], p[2], p[3]
		}
	}
}

// flipRows mirrors img in place.
func flipRows(img *image.RGBA) {
	w := 4 * img.Rect.Dx()
	for y := range img.Rect.Dy() {
		row := img.Pix[y*img.Stride : y*img.Stride+w]
		for i, j := 0, w-4; i < j; i, j = i+4, j-4 {
			a, b := row[i:i+4:i+4], row[j:j+4:j+4]
			a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3] = b[0], b[1], b[2], b[3], a[0], a[1], a[2], a[3]
		}
	}
}

// mirrorFaces are faces as they lie on the mirror image of a frame of
// bounds b: pixel column x becomes b.Min.X+b.Max.X−1−x, for the landmarks
// and the box alike (the box keeps its size). Descriptors are left out:
// the overlay does not draw them.
func mirrorFaces(faces []recognition.Face, b image.Rectangle) []recognition.Face {
	sx := b.Min.X + b.Max.X
	out := make([]recognition.Face, len(faces))
	for i, f := range faces {
		out[i].Rect = image.Rect(sx-f.Rect.Max.X, f.Rect.Min.Y, sx-f.Rect.Min.X, f.Rect.Max.Y)
		out[i].Landmarks = make([]image.Point, len(f.Landmarks))
		for j, p := range f.Landmarks {
			out[i].Landmarks[j] = image.Pt(sx-1-p.X, p.Y)
		}
	}
	return out
}

// PrefPreviewNames is the preference key of the names on the window's
// preview (off unless turned on).
const PrefPreviewNames = "preview.names"

// newPreviewNamesSetting is the Settings screen's block for the names on
// the window's preview. Off by default: whoever stands at the desktop
// would learn who is enrolled (identities are biometric data, never shown
// to strangers). Off, the labeler computes no descriptors. The kiosk has
// no such setting: its preview names nobody. Applies at once.
func newPreviewNamesSetting(prefs fyne.Preferences, log *slog.Logger) *checkSetting {
	return newCheckSettingOr(false, prefs, log, PrefPreviewNames, "preview_names", lang.L("Show names on the preview"),
		lang.L("Writes the name of each registered face the camera sees beside its box. Anyone who can see the "+
			"screen learns who is registered, so leave it off unless only you use this computer. Off, the preview "+
			"shows boxes and landmarks only and spends no time on recognising faces. Applies at once."), false, "")
}
