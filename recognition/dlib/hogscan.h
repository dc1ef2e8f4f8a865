// dlib's HOG frontal face detector, computed faster: the same fHOG feature
// pyramid and the same filters as dlib::object_detector with
// scan_fhog_pyramid<pyramid_down<6>>, with the feature extraction's
// histogram and the filters' convolutions arranged for the cache and the
// vector units. The sums run in another order than dlib's, so scores differ
// from dlib's in the last bits (tests: same boxes and filters, scores within
// 1e-4). Internal to landmarks.cc (C++ only, not for cgo).
#pragma once

#include <dlib/image_processing/frontal_face_detector.h>

#include <cstdint>
#include <vector>

namespace fl {

// gray_image is an 8-bit picture in caller memory.
struct gray_image {
	const uint8_t* pix;
	long w, h, stride;
};

// hog_planes holds the 31 fHOG feature planes of one picture as dlib's
// extract_fhog_features lays them out for a filter of pad_rows×pad_cols
// cells (a zero border around the cells), nr×nc floats each, rows stride
// floats apart. Columns from nc to stride are zero, so that loads of 16
// floats starting at any column below nc stay inside and read zeros.
struct hog_planes {
	long nr = 0, nc = 0, stride = 0;
	std::vector<float> data;

	void reset(long rows, long cols);
	float* plane(int i) { return data.data() + size_t(i) * nr * stride; }
	const float* plane(int i) const { return data.data() + size_t(i) * nr * stride; }
};

// fhog_scratch is extract_fhog's working memory, kept between calls.
struct fhog_scratch {
	std::vector<float> hist, band, norm, vx;
	std::vector<int32_t> cell;
};

// extract_fhog computes dlib::extract_fhog_features(img, hog, cell_size,
// pad_rows, pad_cols) into out.
void extract_fhog(const gray_image& img, int cell_size, int pad_rows, int pad_cols, hog_planes& out, fhog_scratch& s);

// pyramid_cols is pyramid_down6's working memory, kept between calls.
struct pyramid_cols {
	std::vector<dlib::int32> left;
	std::vector<float> frac, inv;
	std::vector<float> rows;
};

// pyramid_down6 computes dlib::pyramid_down<6>()(in, out) (5/6 of the
// size, bilinear), to the bit.
void pyramid_down6(const gray_image& in, dlib::array2d<unsigned char>& out, pyramid_cols& cols);

// hog_scanner runs dlib's frontal face detector: it builds the fHOG pyramid
// of a picture once, runs each chosen filter over every level and keeps the
// best of overlapping boxes across filters, as object_detector's operator()
// does. One caller at a time (it keeps its buffers).
class hog_scanner {
public:
	static constexpr int taps = 10;  // the filters' side in cells

	hog_scanner();
	unsigned long num_filters() const { return det_.num_detectors(); }
	// detect writes the faces found in img, best first; adjust moves dlib's
	// threshold, max_levels (0: all) bounds the pyramid's levels, bit i of
	// filter_mask runs filter i.
	void detect(const gray_image& img, double adjust, unsigned long max_levels, unsigned filter_mask,
	            std::vector<dlib::rect_detection>& out);
	// detect_reference is dlib's own object_detector on img with all
	// filters, adjust and max_levels as detect's (for the tests).
	void detect_reference(const gray_image& img, double adjust, unsigned long max_levels,
	                      std::vector<dlib::rect_detection>& out);

private:
	// component is one separable part of one filter's plane: row taps,
	// column taps, the filter it belongs to.
	struct component {
		float row[taps], col[taps];
		int filter;
	};

	void filter_level(const hog_planes& p, unsigned filter_mask);

	dlib::frontal_face_detector det_;
	std::vector<std::vector<component>> bank_;  // per feature plane
	std::vector<double> thresh_;                // per filter

	// Buffers kept between calls.
	std::vector<hog_planes> levels_;
	std::vector<dlib::array2d<unsigned char>> pyramid_;
	fhog_scratch fhog_;
	pyramid_cols cols_;
	std::vector<std::vector<float>> saliency_;  // per filter, for one level
	std::vector<float> rowpass_;
	std::vector<std::pair<double, dlib::rectangle>> hits_;
	std::vector<dlib::rect_detection> all_;
};

}  // namespace fl
