package camera_test

import (
	"context"
	"fmt"
	"log/slog"

	"facelogin/camera"
)

// A preview loop: take each new frame once, skip what it was too slow for,
// and show the camera's status while there are none.
func Example() {
	src, err := camera.ParseSource("0") // or "demo.avi", "frames/%03d.jpg", "rtsp://..."
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	cam, err := camera.Open(ctx, src, camera.Options{
		Width: 640, Height: 480,
		Logger: slog.Default(),
		OnStatus: func(s camera.Status) {
			// On the capture goroutine: hand it to the UI (fyne.Do) and return.
			fmt.Println("camera:", s)
		},
	})
	if err != nil {
		fmt.Println(err) // a missing file; a missing device is retried instead
		return
	}
	defer cam.Close()

	var seq uint64
	for {
		f, err := cam.Wait(ctx, seq)
		if err != nil {
			return // closed, ended, failed or ctx done
		}
		seq = f.Seq
		_ = f.Image // *image.RGBA: show it, or hand it to recognition
	}
}
