package camera

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Device is a V4L2 video capture device present on this machine.
type Device struct {
	Path   string // /dev/video0
	Number int    // 0 for /dev/video0
	Name   string // what the driver calls it: "Integrated Camera: Integrated C"
}

// String names the device for a picker: "Integrated Camera (/dev/video0)".
// Two cameras of one model have the same name; the path tells them apart.
func (d Device) String() string { return fmt.Sprintf("%s (%s)", d.Name, d.Path) }

// Source is the device as --camera and Open take it.
func (d Device) Source() Source {
	src, err := ParseSource(d.Path)
	if err != nil { // not a /dev path: listDevices makes only those
		return Source{Kind: KindDevice, Index: -1, Path: d.Path}
	}
	return src
}

// Devices lists the V4L2 video capture devices present, by number, from
// /sys/class/video4linux (names) and the devices themselves (what they do:
// a UVC webcam also makes a metadata node, which cannot give pictures). A
// machine without V4L2 has none, and that is not an error.
//
// When a device cannot be asked (no permission: the user is not in the
// "video" group), it is listed when sysfs says it is the first node of its
// hardware (attribute "index" 0), which is where UVC puts the picture.
func Devices() ([]Device, error) {
	return listDevices("/sys/class/video4linux", "/dev", isCaptureDevice)
}

// listDevices reads classDir (sysfs's video4linux class) and asks each node
// under devDir through isCapture.
func listDevices(classDir, devDir string, isCapture func(path string) (bool, error)) ([]Device, error) {
	entries, err := os.ReadDir(classDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("camera: list devices: %w", err)
	}
	var devs []Device
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "video")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 || strconv.Itoa(n) != num {
			continue // v4l-subdev*, vbi*, radio*, swradio*, v4l-touch*
		}
		dir := filepath.Join(classDir, e.Name())
		path := filepath.Join(devDir, e.Name())
		capture, err := isCapture(path)
		if err != nil {
			capture = sysfsAttr(dir, "index") == "0"
		}
		if !capture {
			continue
		}
		name := sysfsAttr(dir, "name")
		if name == "" {
			name = "Video device " + num
		}
		devs = append(devs, Device{Path: path, Number: n, Name: name})
	}
	sort.Slice(devs, func(i, j int) bool { return devs[i].Number < devs[j].Number })
	return devs, nil
}

// sysfsAttr reads one sysfs attribute, "" when it is missing.
func sysfsAttr(dir, attr string) string {
	b, err := os.ReadFile(filepath.Join(dir, attr))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// V4L2 (linux/videodev2.h).
const (
	vidiocQuerycap        = 0x80685600 // _IOR('V', 0, struct v4l2_capability)
	capVideoCapture       = 0x00000001
	capVideoCaptureMplane = 0x00001000
	capDeviceCaps         = 0x80000000
)

// v4l2Capability is struct v4l2_capability (104 bytes).
type v4l2Capability struct {
	driver       [16]byte
	card         [32]byte
	busInfo      [32]byte
	version      uint32
	capabilities uint32
	deviceCaps   uint32
	reserved     [3]uint32
}

// isCaptureDevice asks a V4L2 node (VIDIOC_QUERYCAP) whether it captures
// video. Opening a node does not start it, and a node in use by another
// program still answers.
func isCaptureDevice(path string) (bool, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var c v4l2Capability
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), vidiocQuerycap, uintptr(unsafe.Pointer(&c))); errno != 0 {
		return false, &os.PathError{Op: "VIDIOC_QUERYCAP", Path: path, Err: errno}
	}
	caps := c.capabilities
	if caps&capDeviceCaps != 0 {
		caps = c.deviceCaps // this node's, not the whole device's
	}
	return caps&(capVideoCapture|capVideoCaptureMplane) != 0, nil
}
