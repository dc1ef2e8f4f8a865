#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include "jpegenc.h"

struct fl_err {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
};

static void fl_error_exit(j_common_ptr cinfo) {
	struct fl_err *e = (struct fl_err *)cinfo->err;
	longjmp(e->jump, 1);
}

int fl_jpeg_encode_rgbx(const unsigned char *pix, int width, int height, int stride,
                        int quality, unsigned char **out, unsigned long *outlen,
                        char *err, size_t errlen) {
	struct jpeg_compress_struct cinfo;
	struct fl_err jerr;
	*out = NULL;
	*outlen = 0;
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = fl_error_exit;
	if (setjmp(jerr.jump)) {
		char msg[JMSG_LENGTH_MAX];
		(*cinfo.err->format_message)((j_common_ptr)&cinfo, msg);
		snprintf(err, errlen, "%s", msg);
		jpeg_destroy_compress(&cinfo);
		free(*out);
		*out = NULL;
		return -1;
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, out, outlen);
	cinfo.image_width = width;
	cinfo.image_height = height;
	cinfo.input_components = 4;
	cinfo.in_color_space = JCS_EXT_RGBX; // libjpeg-turbo: no Go-side RGB copy
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, quality, TRUE);
	cinfo.dct_method = JDCT_ISLOW;
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < cinfo.image_height) {
		JSAMPROW row = (JSAMPROW)(pix + (size_t)cinfo.next_scanline * stride);
		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	return 0;
}
