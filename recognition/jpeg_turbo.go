//go:build cgo

package recognition

/*
#cgo LDFLAGS: -ljpeg
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

struct fl_derr {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
	int truncated;
	int max_scans, too_many_scans;
};

static void fl_derror_exit(j_common_ptr cinfo) {
	longjmp(((struct fl_derr *)cinfo->err)->jump, 1);
}

// Warnings (level -1) are corrupt-data notes libjpeg decodes through; only
// a premature end of file is kept, as Go's decoder refuses it too.
static void fl_demit(j_common_ptr cinfo, int level) {
	if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF)
		((struct fl_derr *)cinfo->err)->truncated = 1;
}

typedef struct {
	int width, height, components, color_space, multiscan, adobe, adobe_transform;
	int h[4], v[4], wib[4], hib[4];
} fl_jpeg_info;

static void fl_errmsg(j_common_ptr cinfo, char *err, size_t errlen) {
	char msg[JMSG_LENGTH_MAX];
	(*cinfo->err->format_message)(cinfo, msg);
	snprintf(err, errlen, "%s", msg);
}

static void fl_derr_init(struct jpeg_decompress_struct *cinfo, struct fl_derr *jerr) {
	cinfo->err = jpeg_std_error(&jerr->pub);
	jerr->pub.error_exit = fl_derror_exit;
	jerr->pub.emit_message = fl_demit;
	jerr->truncated = 0;
	jerr->max_scans = 0;
	jerr->too_many_scans = 0;
}

// fl_progress stops decoding once the file has begun more than max_scans
// scans: libjpeg calls it between iMCU rows while it reads a multi-scan
// file, and input_scan_number counts the scans begun (as djpeg -maxscans
// and Skia's decoder do).
static void fl_progress(j_common_ptr cinfo) {
	struct fl_derr *jerr = (struct fl_derr *)cinfo->err;
	if (((j_decompress_ptr)cinfo)->input_scan_number > jerr->max_scans) {
		jerr->too_many_scans = 1;
		longjmp(jerr->jump, 1);
	}
}

// fl_jpeg_header reads the header up to the first scan.
static int fl_jpeg_header(const unsigned char *data, unsigned long n, fl_jpeg_info *info, char *err, size_t errlen) {
	struct jpeg_decompress_struct cinfo;
	struct fl_derr jerr;
	fl_derr_init(&cinfo, &jerr);
	if (setjmp(jerr.jump)) {
		fl_errmsg((j_common_ptr)&cinfo, err, errlen);
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, data, n);
	jpeg_read_header(&cinfo, TRUE);
	memset(info, 0, sizeof *info);
	info->width = cinfo.image_width;
	info->height = cinfo.image_height;
	info->components = cinfo.num_components;
	info->color_space = cinfo.jpeg_color_space;
	info->multiscan = jpeg_has_multiple_scans(&cinfo);
	info->adobe = cinfo.saw_Adobe_marker;
	info->adobe_transform = cinfo.Adobe_transform;
	for (int c = 0; c < cinfo.num_components && c < 4; c++) {
		jpeg_component_info *ci = &cinfo.comp_info[c];
		info->h[c] = ci->h_samp_factor;
		info->v[c] = ci->v_samp_factor;
		info->wib[c] = ci->width_in_blocks;
		info->hib[c] = ci->height_in_blocks;
	}
	jpeg_destroy_decompress(&cinfo);
	return 0;
}

enum { FL_GRAY = 0, FL_YCBCR = 1, FL_RGBA = 2, FL_CMYK = 3, FL_CMYK_INVERTED = 4 };

// fl_jpeg_decode decodes into buffers the caller sized from the header:
// FL_YCBCR writes the three planes as stored (raw data, no upsampling);
// the others write out[0] one row per scanline, FL_CMYK* converting each
// row to RGBA as Go's color.CMYK does. limit bounds libjpeg's own memory
// (its coefficient store): beyond it libjpeg fails instead of allocating.
static int fl_jpeg_decode(const unsigned char *data, unsigned long n, int mode,
                          unsigned char *out0, unsigned char *out1, unsigned char *out2,
                          const int *strides, const int *rows, long limit, int max_scans, char *err, size_t errlen) {
	struct jpeg_decompress_struct cinfo;
	struct fl_derr jerr;
	struct jpeg_progress_mgr progress = {.progress_monitor = fl_progress};
	unsigned char *volatile rowbuf = NULL; // volatile: set after setjmp, freed after longjmp
	JSAMPROW ptrs[3][4 * DCTSIZE];
	unsigned char *outs[3] = {out0, out1, out2};
	fl_derr_init(&cinfo, &jerr);
	jerr.max_scans = max_scans;
	if (setjmp(jerr.jump)) {
		int scans = cinfo.input_scan_number;
		fl_errmsg((j_common_ptr)&cinfo, err, errlen);
		jpeg_destroy_decompress(&cinfo);
		free(rowbuf);
		return jerr.too_many_scans ? -1 - scans : -1;
	}
	jpeg_create_decompress(&cinfo);
	cinfo.mem->max_memory_to_use = limit;
	cinfo.progress = &progress;
	jpeg_mem_src(&cinfo, data, n);
	jpeg_read_header(&cinfo, TRUE);
	cinfo.dct_method = JDCT_ISLOW;
	switch (mode) {
	case FL_GRAY:
		cinfo.out_color_space = JCS_GRAYSCALE;
		break;
	case FL_YCBCR:
		cinfo.raw_data_out = TRUE;
		break;
	case FL_RGBA:
		cinfo.out_color_space = JCS_EXT_RGBA; // alpha set to 255
		break;
	default:
		cinfo.out_color_space = JCS_CMYK;
		rowbuf = malloc((size_t)cinfo.image_width * 4);
		if (!rowbuf) {
			snprintf(err, errlen, "out of memory");
			jpeg_destroy_decompress(&cinfo);
			return -1;
		}
	}
	jpeg_start_decompress(&cinfo);
	if (mode == FL_YCBCR) {
		int mcu = cinfo.max_v_samp_factor * DCTSIZE;
		for (unsigned int y = 0; y < cinfo.output_height; y += mcu) {
			JSAMPARRAY planes[3];
			for (int c = 0; c < 3; c++) {
				int lines = cinfo.comp_info[c].v_samp_factor * DCTSIZE;
				int first = y / cinfo.max_v_samp_factor * cinfo.comp_info[c].v_samp_factor;
				for (int i = 0; i < lines; i++) {
					if (first + i >= rows[c]) {
						snprintf(err, errlen, "plane %d: row %d beyond %d", c, first + i, rows[c]);
						jpeg_destroy_decompress(&cinfo);
						return -1;
					}
					ptrs[c][i] = outs[c] + (size_t)(first + i) * strides[c];
				}
				planes[c] = ptrs[c];
			}
			if (jpeg_read_raw_data(&cinfo, planes, mcu) == 0)
				break;
		}
	} else {
		while (cinfo.output_scanline < cinfo.output_height) {
			unsigned char *dst = out0 + (size_t)cinfo.output_scanline * strides[0];
			JSAMPROW row = rowbuf ? rowbuf : dst;
			if (jpeg_read_scanlines(&cinfo, &row, 1) != 1)
				break;
			if (!rowbuf)
				continue;
			for (unsigned int x = 0; x < cinfo.output_width; x++) {
				unsigned int c = row[4 * x], m = row[4 * x + 1], yy = row[4 * x + 2], k = row[4 * x + 3];
				if (mode == FL_CMYK) { // ink amounts: invert to the Adobe convention
					c = 255 - c; m = 255 - m; yy = 255 - yy; k = 255 - k;
				}
				// color.CMYKToRGB on the inverted values (255 = no ink).
				unsigned int w = k * 0x101;
				dst[4 * x] = (c * 0x101 * w / 0xffff) >> 8;
				dst[4 * x + 1] = (m * 0x101 * w / 0xffff) >> 8;
				dst[4 * x + 2] = (yy * 0x101 * w / 0xffff) >> 8;
				dst[4 * x + 3] = 255;
			}
		}
	}
	if (jerr.truncated) {
		snprintf(err, errlen, "premature end of JPEG file");
		jpeg_destroy_decompress(&cinfo);
		free(rowbuf);
		return -1;
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	free(rowbuf);
	return 0;
}
*/
import "C"

import (
	"fmt"
	"image"
	"strings"
	"unsafe"
)

// jpegInfo is what a JPEG's header says about its decoding: the frame
// (SOF) and its components' sampling, whether it has more than one scan,
// and the Adobe APP14 marker.
type jpegInfo struct {
	width, height, components int
	colorSpace                int // libjpeg's J_COLOR_SPACE of the file
	multiScan                 bool
	adobe                     bool
	adobeTransform            int
	h, v, wib, hib            [4]int // sampling factors, size in 8×8 blocks
}

func readJPEGHeader(data []byte) (jpegInfo, error) {
	var ci C.fl_jpeg_info
	var msg [200]C.char
	if C.fl_jpeg_header((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), &ci, &msg[0], C.size_t(len(msg))) != 0 {
		return jpegInfo{}, fmt.Errorf("%w: jpeg: %s", ErrCorruptImage, C.GoString(&msg[0]))
	}
	info := jpegInfo{
		width: int(ci.width), height: int(ci.height), components: int(ci.components),
		colorSpace: int(ci.color_space), multiScan: ci.multiscan != 0,
		adobe: ci.adobe != 0, adobeTransform: int(ci.adobe_transform),
	}
	for c := range 4 {
		info.h[c], info.v[c], info.wib[c], info.hib[c] = int(ci.h[c]), int(ci.v[c]), int(ci.wib[c]), int(ci.hib[c])
	}
	return info, nil
}

// libjpeg's colour spaces (J_COLOR_SPACE in jpeglib.h).
const (
	jcsGrayscale = C.JCS_GRAYSCALE
	jcsYCbCr     = C.JCS_YCbCr
	jcsCMYK      = C.JCS_CMYK
	jcsYCCK      = C.JCS_YCCK
)

// decodeJPEG decodes a JPEG with libjpeg-turbo (jpeg_read_raw_data for
// YCbCr, so a 4:2:0 photo takes 1.5 bytes a pixel as with Go's decoder),
// after bounding from the header the memory decoding really takes: the
// decoded planes and, for a progressive or multi-scan file, the DCT
// coefficients kept until the last scan (2 bytes each in libjpeg, where
// Go's image/jpeg keeps 4 and CMYK conversion buffers besides: a 470 KB
// 40 MP progressive JPEG took Go's decoder 1.1 GB).
func decodeJPEG(data []byte) (image.Image, error) {
	info, err := readJPEGHeader(data)
	if err != nil {
		return nil, err
	}
	if err := checkSize(info.width, info.height); err != nil {
		return nil, err
	}
	plan := planJPEG(info)
	if err := plan.check(info); err != nil {
		return nil, err
	}
	buf := make([]byte, plan.bytes())
	var out [3]*C.uchar
	var strides, rows [3]C.int
	off := 0
	for c, p := range plan.planes {
		if p.rows == 0 {
			continue
		}
		out[c] = (*C.uchar)(unsafe.Pointer(&buf[off]))
		strides[c], rows[c] = C.int(p.stride), C.int(p.rows)
		off += p.stride * p.rows
	}
	var msg [200]C.char
	switch rc := C.fl_jpeg_decode((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), C.int(plan.mode),
		out[0], out[1], out[2], &strides[0], &rows[0], C.long(plan.coefficients+jpegWorkBytes),
		C.int(MaxJPEGScans), &msg[0], C.size_t(len(msg))); {
	case rc == 0:
	case rc < -1:
		return nil, fmt.Errorf("%w: a JPEG of more than %d scans (it began scan %d; a camera's or editor's progressive JPEG has about 10): save it again as a baseline (not progressive) JPEG",
			ErrTooManyScans, MaxJPEGScans, -1-rc)
	default:
		return nil, fmt.Errorf("%w: jpeg: %s", ErrCorruptImage, C.GoString(&msg[0]))
	}
	return plan.image(buf, info), nil
}

// libjpeg output modes of fl_jpeg_decode.
const (
	modeGray          = C.FL_GRAY
	modeYCbCr         = C.FL_YCBCR
	modeRGBA          = C.FL_RGBA
	modeCMYK          = C.FL_CMYK
	modeCMYKInverted  = C.FL_CMYK_INVERTED
	jpegWorkBytes     = 16 << 20 // libjpeg's own buffers beside the coefficients: a few MCU rows
	coefficientBytes  = 2        // JCOEF is a short
	coefficientsBlock = 64 * coefficientBytes
)

// jpegPlan is how a JPEG is decoded and what that takes: libjpeg's output
// mode, the planes it writes (stride and rows, padded to whole 8×8 blocks
// as libjpeg writes them), and the coefficient store it allocates itself.
type jpegPlan struct {
	mode         int
	kind         string // for people: "progressive 4:2:0", "CMYK", …
	planes       [3]struct{ stride, rows int }
	ratio        image.YCbCrSubsampleRatio
	coefficients int64
}

// ycbcrRatios maps luma-to-chroma sampling (horizontal, vertical) to Go's
// subsample ratios; other samplings are decoded to RGBA.
var ycbcrRatios = map[[2]int]image.YCbCrSubsampleRatio{
	{1, 1}: image.YCbCrSubsampleRatio444, {2, 1}: image.YCbCrSubsampleRatio422,
	{2, 2}: image.YCbCrSubsampleRatio420, {1, 2}: image.YCbCrSubsampleRatio440,
	{4, 1}: image.YCbCrSubsampleRatio411, {4, 2}: image.YCbCrSubsampleRatio410,
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

func planJPEG(info jpegInfo) jpegPlan {
	var p jpegPlan
	w, h := info.width, info.height
	p.planes[0].stride, p.planes[0].rows = 4*w, h
	switch {
	case info.components == 1 && info.colorSpace == jcsGrayscale:
		p.mode, p.kind = modeGray, "grey"
		p.planes[0].stride = w
	case info.components == 3 && info.colorSpace == jcsYCbCr && info.h[1] == info.h[2] && info.v[1] == info.v[2] &&
		info.h[0]%info.h[1] == 0 && info.v[0]%info.v[1] == 0:
		r, ok := ycbcrRatios[[2]int{info.h[0] / info.h[1], info.v[0] / info.v[1]}]
		if !ok {
			p.mode, p.kind = modeRGBA, "YCbCr"
			break
		}
		p.mode, p.ratio, p.kind = modeYCbCr, r, strings.TrimPrefix(r.String(), "YCbCrSubsampleRatio")
		p.kind = p.kind[:1] + ":" + p.kind[1:2] + ":" + p.kind[2:]
		for c := range 3 {
			p.planes[c].stride = 8 * info.wib[c]
			p.planes[c].rows = 8 * roundUp(info.hib[c], info.v[c])
		}
	case info.components == 4 && info.adobe:
		p.mode, p.kind = modeCMYKInverted, "CMYK"
	case info.components == 4:
		p.mode, p.kind = modeCMYK, "CMYK"
	default:
		p.mode, p.kind = modeRGBA, "RGB"
	}
	if info.multiScan {
		p.kind = "progressive " + p.kind
		for c := range min(info.components, 4) {
			p.coefficients += int64(roundUp(info.wib[c], info.h[c])) * int64(roundUp(info.hib[c], info.v[c])) * coefficientsBlock
		}
	}
	return p
}

// bytes is the size of the decoded planes.
func (p jpegPlan) bytes() int {
	n := 0
	for _, pl := range p.planes {
		n += pl.stride * pl.rows
	}
	return n
}

// check refuses a JPEG whose decoding would take more than
// MaxJPEGDecodeBytes.
func (p jpegPlan) check(info jpegInfo) error {
	need := int64(p.bytes()) + p.coefficients
	if need <= MaxJPEGDecodeBytes {
		return nil
	}
	pixels := int64(info.width) * int64(info.height)
	why := ""
	if p.coefficients > 0 {
		why = fmt.Sprintf(": %d MB of pixels and %d MB of coefficients, which a progressive JPEG keeps until its last scan; save it as a baseline (not progressive) JPEG or scale it down",
			inMB(int64(p.bytes())), inMB(p.coefficients))
	} else {
		why = "; scale it down or save it as an 8-bit YCbCr JPEG"
	}
	return fmt.Errorf("%w: %d×%d pixels at %.1f bytes per pixel (%s JPEG) would take %d MB to decode, at most %d MB%s",
		ErrImageTooLarge, info.width, info.height, float64(need)/float64(pixels), p.kind, inMB(need), MaxJPEGDecodeBytes/MB, why)
}

// image wraps the decoded planes in buf as a Go image of the JPEG's size.
func (p jpegPlan) image(buf []byte, info jpegInfo) image.Image {
	r := image.Rect(0, 0, info.width, info.height)
	switch p.mode {
	case modeGray:
		return &image.Gray{Pix: buf, Stride: p.planes[0].stride, Rect: r}
	case modeYCbCr:
		n0 := p.planes[0].stride * p.planes[0].rows
		n1 := p.planes[1].stride * p.planes[1].rows
		return &image.YCbCr{
			Y: buf[:n0:n0], Cb: buf[n0 : n0+n1 : n0+n1], Cr: buf[n0+n1:],
			YStride: p.planes[0].stride, CStride: p.planes[1].stride, SubsampleRatio: p.ratio, Rect: r,
		}
	}
	return &image.RGBA{Pix: buf, Stride: p.planes[0].stride, Rect: r}
}
