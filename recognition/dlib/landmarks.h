// C interface to dlib's HOG face detector and shape predictor on raw
// pixels, for landmarker.go. Every function catches C++ exceptions; those
// that can fail write a message into err (errlen bytes, NUL-terminated).
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fl_shape fl_shape; // a loaded shape predictor, immutable
typedef struct fl_hog fl_hog;     // a HOG frontal face detector, one caller at a time

// The filters of dlib's frontal face detector, and the mask of them all.
#define FL_HOG_FILTERS 5
#define FL_HOG_ALL ((1u << FL_HOG_FILTERS) - 1)

// fl_shape_load reads a dlib shape_predictor file (5 or 68 points). NULL on
// failure.
fl_shape* fl_shape_load(const char* path, char* err, size_t errlen);
void fl_shape_free(fl_shape* s);
int fl_shape_parts(const fl_shape* s);
// fl_shape_mean writes the predictor's initial shape (2*parts floats, x
// then y): the mean landmarks in box coordinates, (0,0) the box's top-left
// corner and (1,1) its bottom-right one.
void fl_shape_mean(const fl_shape* s, float* xy);
// fl_shape_fit runs the predictor on an RGBA (gray = (r+g+b)/3, as dlib) or
// gray (channels 1) picture in the box l,t,r,b (dlib's corners: r,b are the
// last pixel column and row, fractions allowed) and writes 2*parts floats.
// It returns 0, or -1 with err.
int fl_shape_fit(const fl_shape* s, const uint8_t* pix, int w, int h, int stride, int channels,
                 const double box[4], float* xy, char* err, size_t errlen);

fl_hog* fl_hog_new(char* err, size_t errlen);
void fl_hog_free(fl_hog* d);
// fl_hog_detect scans a gray picture with dlib's frontal face detector
// (computed by hogscan.cc: the same features and filters, summed in
// another order). It writes up to max detections, best first after dlib's
// non-maximum suppression: rects (l,t,r,b each), scores
// (detection_confidence: above 0 is a face at dlib's own threshold) and
// filters (which of the 5 HOG filters fired: 0 front, 1 left, 2 right, 3
// front rotated left, 4 front rotated right). It returns the number of
// detections found (possibly more than max), or -1 with err. adjust lowers
// (negative) or raises dlib's threshold; max_levels > 0 bounds the
// pyramid levels scanned (level k finds faces of 80*(6/5)^k pixels).
int fl_hog_detect(fl_hog* d, const uint8_t* gray, int w, int h, int stride, double adjust, int max_levels,
                  long* rects, double* scores, int* filters, int max, char* err, size_t errlen);
// fl_hog_use_reference makes d's fl_hog_detect run dlib's own
// object_detector instead (on != 0), for the tests that compare the two.
void fl_hog_use_reference(fl_hog* d, int on);

// fl_gray_scaled writes the RGBA (channels 4; gray = (r+g+b)/3 as dlib's)
// or gray (channels 1) picture of w×h pixels as gray scaled to dw×dh into
// dst (stride dw): each output pixel averages the area it covers, or takes
// the nearest pixel when enlarging.
void fl_gray_scaled(const uint8_t* pix, int channels, int w, int h, int stride, uint8_t* dst, int dw, int dh);

// fl_shape_fit_reference loads the predictor at path into dlib's own
// shape_predictor and runs it on a gray picture in a whole-pixel box,
// writing up to max whole-pixel points: the reference fl_shape_fit must
// reproduce (tests). Returns the number of points, or -1 with err.
int fl_shape_fit_reference(const char* path, const uint8_t* gray, int w, int h, int stride, const long box[4],
                           long* xy, int max, char* err, size_t errlen);

// fl_pyramid_mismatches builds the image pyramid of a gray picture twice,
// levels times 5/6 smaller: with hogscan.cc's pyramid_down6 and with dlib's
// pyramid_down<6>, and returns the number of pixels that differ (tests).
long fl_pyramid_mismatches(const uint8_t* gray, int w, int h, int stride, int levels);

// fl_live_objects counts the fl_shape and fl_hog objects not yet freed.
long fl_live_objects(void);

// fl_heap_in_use is the C heap's allocated bytes, over all of glibc's
// arenas (mallinfo2): what a leak makes grow (tests). Freed memory that
// glibc keeps for reuse does not count, unlike resident memory.
size_t fl_heap_in_use(void);

#ifdef __cplusplus
}
#endif
