package camera

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"unsafe"
)

// fakeSysfs writes a video4linux class directory like a laptop's: the
// built-in UVC camera (video0, and its metadata node video1), a USB webcam
// numbered 10 (with its metadata node 11), a v4l2loopback node with no
// index, a sub-device and a node without a name.
func fakeSysfs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	nodes := map[string]map[string]string{
		"video0":      {"name": "Integrated Camera: Integrated C\n", "index": "0\n"},
		"video1":      {"name": "Integrated Camera: Integrated C\n", "index": "1\n"},
		"video10":     {"name": "USB2.0 HD UVC WebCam: USB2.0 HD\n", "index": "0\n"},
		"video11":     {"name": "USB2.0 HD UVC WebCam: USB2.0 HD\n", "index": "1\n"},
		"video2":      {"name": "Dummy video device (0x0000)\n"},
		"video3":      {"index": "0\n"},
		"v4l-subdev0": {"name": "ov5640 1-003c\n", "index": "0\n"},
		"video01":     {"name": "not a kernel name\n", "index": "0\n"},
	}
	for node, attrs := range nodes {
		if err := os.Mkdir(filepath.Join(dir, node), 0o755); err != nil {
			t.Fatal(err)
		}
		for k, v := range attrs {
			if err := os.WriteFile(filepath.Join(dir, node, k), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func TestListDevices(t *testing.T) {
	class := fakeSysfs(t)
	cantAsk := func(string) (bool, error) { return false, syscall.EACCES }
	// What VIDIOC_QUERYCAP says on the real hardware: metadata nodes and
	// the loopback (set up as an output) do not capture.
	asked := map[string]bool{"/dev/video0": true, "/dev/video1": false, "/dev/video2": false, "/dev/video3": true, "/dev/video10": true, "/dev/video11": false}
	ask := func(p string) (bool, error) {
		c, ok := asked[p]
		if !ok {
			t.Errorf("asked about %s", p)
		}
		return c, nil
	}
	for _, c := range []struct {
		name      string
		isCapture func(string) (bool, error)
		want      []Device
	}{
		{"devices answer", ask, []Device{
			{"/dev/video0", 0, "Integrated Camera: Integrated C"},
			{"/dev/video3", 3, "Video device 3"},
			{"/dev/video10", 10, "USB2.0 HD UVC WebCam: USB2.0 HD"},
		}},
		{"no permission: sysfs index 0", cantAsk, []Device{
			{"/dev/video0", 0, "Integrated Camera: Integrated C"},
			{"/dev/video3", 3, "Video device 3"},
			{"/dev/video10", 10, "USB2.0 HD UVC WebCam: USB2.0 HD"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := listDevices(class, "/dev", c.isCapture)
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("listDevices = %+v, %v\nwant %+v", got, err, c.want)
			}
		})
	}

	got, err := listDevices(filepath.Join(t.TempDir(), "missing"), "/dev", cantAsk)
	if err != nil || len(got) != 0 {
		t.Fatalf("no video4linux class: %v, %v; want none and no error", got, err)
	}
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o644)
	if _, err := listDevices(notDir, "/dev", cantAsk); err == nil {
		t.Fatal("unreadable class directory: no error")
	}
}

func TestDeviceSource(t *testing.T) {
	d := Device{Path: "/dev/video10", Number: 10, Name: "USB2.0 HD UVC WebCam: USB2.0 HD"}
	if src := d.Source(); src.Kind != KindDevice || src.Index != 10 || src.String() != "/dev/video10" {
		t.Fatalf("Source() = %+v", src)
	}
	if s := d.String(); s != "USB2.0 HD UVC WebCam: USB2.0 HD (/dev/video10)" {
		t.Fatalf("String() = %q", s)
	}
}

// TestIsCaptureDevice asks real files: the machine has no camera, so the
// ioctl's refusal (a character device that is not V4L2) and a missing node
// are what can be checked; both send Devices to the sysfs fallback.
func TestIsCaptureDevice(t *testing.T) {
	if n := unsafe.Sizeof(v4l2Capability{}); n != 104 {
		t.Fatalf("struct v4l2_capability is %d bytes, want 104", n)
	}
	if _, err := isCaptureDevice("/dev/null"); !errors.Is(err, syscall.ENOTTY) {
		t.Fatalf("/dev/null: %v, want ENOTTY", err)
	}
	if _, err := isCaptureDevice(filepath.Join(t.TempDir(), "video0")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing node: %v", err)
	}
	if devs, err := Devices(); err != nil {
		t.Fatalf("Devices() on this machine: %v, %v", devs, err)
	}
}
