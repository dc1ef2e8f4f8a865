#pragma once
#include <stddef.h>

// fl_jpeg_encode_rgbx compresses an RGBA/RGBX buffer (alpha ignored) into a
// JPEG held in malloc'd memory that the caller frees. Returns 0 on success;
// on failure writes libjpeg's message into err (errlen bytes).
int fl_jpeg_encode_rgbx(const unsigned char *pix, int width, int height, int stride,
                        int quality, unsigned char **out, unsigned long *outlen,
                        char *err, size_t errlen);
