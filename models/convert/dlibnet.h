// C interface of dlibnet.cc. Every function catches all C++ exceptions and
// returns one of the FL_* codes; no dlib message crosses into Go.
#ifndef FACELOGIN_DLIBNET_H
#define FACELOGIN_DLIBNET_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	FL_OK = 0,
	FL_OPEN = 1,        // the file cannot be opened
	FL_FORMAT = 2,      // the file is not (a whole) model of the expected kind
	FL_NOMEM = 3,       // out of memory (also from garbage sizes in a damaged file)
	FL_PARAMS = 4,      // the weight count does not match the network
	FL_WRITE = 5,       // the output file cannot be written
	FL_INTERNAL = 6,    // anything else
};

// fl_resnet_param_count returns the number of parameters fl_resnet_build
// expects, or -1 on failure.
long fl_resnet_param_count(void);

// fl_resnet_build fills go-face's anet_type with params (input side first:
// per con layer its filters [out][in][row][col] then biases; per affine layer
// gamma then beta; then the fc_no_bias matrix [256][128]) and serializes it
// to out_path.
int fl_resnet_build(const float *params, size_t n, const char *out_path);

// fl_resnet_describe loads a ResNet file and computes the descriptor of one
// 150x150 RGB chip (rgb: 150*150*3 bytes, row-major, R G B).
int fl_resnet_describe(const char *path, const unsigned char *rgb, float *out128);

// fl_shape_predictor_parts loads a shape predictor and stores its number of
// landmarks in *parts.
int fl_shape_predictor_parts(const char *path, long *parts);

// fl_cnn_detector_check loads go-face's CNN face detector.
int fl_cnn_detector_check(const char *path);

#ifdef __cplusplus
}
#endif

#endif
