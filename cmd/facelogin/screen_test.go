package main

import (
	"testing"

	"fyne.io/fyne/v2"
)

// TestWindowSize: the start size is 90% of the screen in Fyne units, never
// below the smallest size the window lays out in.
func TestWindowSize(t *testing.T) {
	for _, tc := range []struct {
		w, h  int
		scale float32
		want  fyne.Size
	}{
		{1280, 800, 1, fyne.NewSize(1152, 720)},
		{1920, 1080, 1, fyne.NewSize(1728, 972)},
		{3840, 2160, 2, fyne.NewSize(1728, 972)},
		{1024, 640, 1, fyne.NewSize(921.6, 576)},
		{1000, 600, 1, fyne.NewSize(900, 560)}, // small: the minimum
		{800, 600, 1, fyne.NewSize(800, 560)},  // narrower than the minimum: the screen's width
		{640, 480, 1, fyne.NewSize(640, 480)},  // smaller than the minimum: the whole screen
		{1280, 960, 2, fyne.NewSize(640, 480)},
		{1280, 800, 0, fyne.NewSize(1152, 720)},
	} {
		if got := windowSize(tc.w, tc.h, tc.scale); got != tc.want {
			t.Errorf("windowSize(%d, %d, %v) = %v, want %v", tc.w, tc.h, tc.scale, got, tc.want)
		}
	}
}
