// dlib's HOG face detector and shape predictor on raw pixels (no JPEG), for
// landmarker.go. See landmarks.h.
#include "landmarks.h"

#include <dlib/image_processing/shape_predictor.h>

#include "hogscan.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <malloc.h>
#include <string>
#include <vector>

namespace {

std::atomic<long> live_objects{0};

void set_err(char* err, size_t errlen, const char* what) {
	if (err && errlen > 0) {
		std::snprintf(err, errlen, "%s", what);
	}
}

// prefetch asks for the n floats at p to be brought into the cache.
inline void prefetch(const float* p, long n) {
	const char* b = reinterpret_cast<const char*>(p);
	for (long off = 0; off < n * long(sizeof(float)); off += 64) {
		__builtin_prefetch(b + off);
	}
}

// guarded runs f, turning a C++ exception into err and the result failed:
// no exception may cross into Go.
template <typename T, typename F>
T guarded(char* err, size_t errlen, T failed, F&& f) {
	try {
		return f();
	} catch (std::exception& e) {
		set_err(err, errlen, e.what());
	} catch (...) {
		set_err(err, errlen, "unknown error");
	}
	return failed;
}

// gray_view is a read-only 8-bit picture in caller memory, in dlib's generic
// image interface.
struct gray_view {
	const uint8_t* pix;
	long w, h, stride;
};

// Found by argument-dependent lookup from dlib's templates.
inline long num_rows(const gray_view& img) { return img.h; }
inline long num_columns(const gray_view& img) { return img.w; }
inline long width_step(const gray_view& img) { return img.stride; }
inline const void* image_data(const gray_view& img) { return img.pix; }

}  // namespace

namespace dlib {
template <>
struct image_traits<gray_view> {
	typedef unsigned char pixel_type;
};
}  // namespace dlib

// fl_shape holds the four members of dlib::shape_predictor, read in the
// same order as dlib's deserialize(shape_predictor&), so that fit can run
// dlib's algorithm (shape_predictor::operator()) with a fractional box and
// keep the landmarks' fractions, which dlib rounds to whole pixels.
//
// After loading, the regression trees move into flat arrays (flatten): the
// splits of all trees one after another, the leaves likewise. dlib keeps
// each tree's splits and each leaf in an allocation of its own, so a fit's
// 7,500 tree walks spent most of their time waiting for those scattered
// blocks; in the flat arrays the splits stream in order and a leaf's
// address is known without a load.
struct fl_shape {
	dlib::matrix<float, 0, 1> initial_shape;
	std::vector<std::vector<dlib::impl::regression_tree>> forests;  // emptied by flatten
	std::vector<std::vector<unsigned long>> anchor_idx;
	std::vector<std::vector<dlib::vector<float, 2>>> deltas;

	// A split as dlib's split_feature: go left when
	// values[idx1] - values[idx2] > thresh.
	struct split {
		uint32_t idx1, idx2;
		float thresh;
	};
	struct tree {
		size_t split0;  // its first split in splits
		size_t leaf0;   // its first leaf's first float in leaves
		uint32_t splits;
	};
	std::vector<split> splits;
	std::vector<float> leaves;              // every leaf: initial_shape.size() floats
	std::vector<tree> trees;                // all cascades' trees in order
	std::vector<size_t> cascade_tree0;      // cascade c's trees: [cascade_tree0[c], cascade_tree0[c+1])
};

// flatten moves s.forests into s.splits, s.leaves and s.trees, tree by
// tree, so the model is never held twice. check_shape must have passed.
static void flatten(fl_shape& s) {
	const size_t n = s.initial_shape.size();
	size_t nsplits = 0, nleaves = 0, ntrees = 0;
	for (const auto& forest : s.forests) {
		for (const auto& tree : forest) {
			nsplits += tree.splits.size();
			nleaves += tree.leaf_values.size();
			++ntrees;
		}
	}
	s.splits.reserve(nsplits);
	s.leaves.reserve(nleaves * n);
	s.trees.reserve(ntrees);
	for (auto& forest : s.forests) {
		s.cascade_tree0.push_back(s.trees.size());
		for (auto& tree : forest) {
			s.trees.push_back(fl_shape::tree{s.splits.size(), s.leaves.size(), uint32_t(tree.splits.size())});
			for (const auto& sp : tree.splits) {
				s.splits.push_back(fl_shape::split{uint32_t(sp.idx1), uint32_t(sp.idx2), sp.thresh});
			}
			for (const auto& leaf : tree.leaf_values) {
				s.leaves.insert(s.leaves.end(), &leaf(0), &leaf(0) + n);
			}
			std::vector<dlib::impl::split_feature>().swap(tree.splits);
			std::vector<dlib::matrix<float, 0, 1>>().swap(tree.leaf_values);
		}
	}
	s.cascade_tree0.push_back(s.trees.size());
	std::vector<std::vector<dlib::impl::regression_tree>>().swap(s.forests);
}

struct fl_hog {
	fl::hog_scanner scanner;
	std::vector<dlib::rect_detection> dets;  // reused
	bool reference = false;                  // fl_hog_use_reference
};

// check_shape refuses a predictor whose indexes would read out of bounds
// (a corrupt or foreign file that deserialized).
static void check_shape(const fl_shape& s) {
	const auto bad = [] { throw dlib::serialization_error("inconsistent shape_predictor"); };
	const size_t cascades = s.forests.size();
	if (s.initial_shape.size() < 2 || s.initial_shape.size() % 2 != 0 || cascades == 0 ||
	    s.anchor_idx.size() != cascades || s.deltas.size() != cascades) {
		bad();
	}
	const unsigned long parts = s.initial_shape.size() / 2;
	for (size_t c = 0; c < cascades; ++c) {
		if (s.anchor_idx[c].size() != s.deltas[c].size()) {
			bad();
		}
		for (unsigned long a : s.anchor_idx[c]) {
			if (a >= parts) {
				bad();
			}
		}
		for (const auto& tree : s.forests[c]) {
			if (tree.leaf_values.size() != tree.splits.size() + 1) {
				bad();
			}
			for (const auto& split : tree.splits) {
				if (split.idx1 >= s.deltas[c].size() || split.idx2 >= s.deltas[c].size()) {
					bad();
				}
			}
			for (const auto& leaf : tree.leaf_values) {
				if (leaf.size() != s.initial_shape.size()) {
					bad();
				}
			}
		}
	}
}

extern "C" {

fl_shape* fl_shape_load(const char* path, char* err, size_t errlen) {
	return guarded(err, errlen, (fl_shape*)nullptr, [&]() -> fl_shape* {
		std::ifstream in(path, std::ios::binary);
		if (!in) {
			throw std::runtime_error("cannot open the file");
		}
		std::unique_ptr<fl_shape> s(new fl_shape());
		int version = 0;
		dlib::deserialize(version, in);
		if (version != 1) {
			throw dlib::serialization_error("not a dlib shape_predictor (unexpected version)");
		}
		dlib::deserialize(s->initial_shape, in);
		dlib::deserialize(s->forests, in);
		dlib::deserialize(s->anchor_idx, in);
		dlib::deserialize(s->deltas, in);
		check_shape(*s);
		flatten(*s);
		++live_objects;
		return s.release();
	});
}

void fl_shape_free(fl_shape* s) {
	if (s) {
		delete s;
		--live_objects;
	}
}

int fl_shape_parts(const fl_shape* s) { return int(s->initial_shape.size() / 2); }

void fl_shape_mean(const fl_shape* s, float* xy) {
	for (long i = 0; i < s->initial_shape.size(); ++i) {
		xy[i] = s->initial_shape(i);
	}
}

int fl_shape_fit(const fl_shape* s, const uint8_t* pix, int w, int h, int stride, int channels,
                 const double box[4], float* xy, char* err, size_t errlen) {
	return guarded(err, errlen, -1, [&]() -> int {
		using namespace dlib;
		// unnormalizing_tform(rect) for a fractional rect: (0,0) → the
		// top-left corner, (1,1) → the bottom-right one; float corners as
		// in dlib's, so a whole-pixel box gives dlib's own landmarks
		// exactly.
		const float l = float(box[0]), t = float(box[1]), r = float(box[2]), b = float(box[3]);
		std::vector<dlib::vector<float, 2>> from{{0, 0}, {1, 0}, {1, 1}};
		std::vector<dlib::vector<float, 2>> to{{l, t}, {r, t}, {r, b}};
		const point_transform_affine tform_to_img = find_affine_transform(from, to);
		const rectangle area(0, 0, w - 1, h - 1);

		matrix<float, 0, 1> current = s->initial_shape;
		std::vector<float> values;
		std::vector<const float*> leaves;
		for (size_t c = 0; c + 1 < s->cascade_tree0.size(); ++c) {
			// impl::extract_feature_pixel_values, reading the pixels in place.
			const matrix<float, 2, 2> tform =
			    matrix_cast<float>(impl::find_tform_between_shapes(s->initial_shape, current).get_m());
			const auto& anchors = s->anchor_idx[c];
			const auto& deltas = s->deltas[c];
			values.resize(deltas.size());
			for (size_t i = 0; i < deltas.size(); ++i) {
				const point p = tform_to_img(tform * deltas[i] + impl::location(current, anchors[i]));
				if (!area.contains(p)) {
					values[i] = 0;
					continue;
				}
				const uint8_t* q = pix + p.y() * long(stride) + p.x() * long(channels);
				values[i] = channels == 1 ? q[0] : float((unsigned(q[0]) + q[1] + q[2]) / 3);
			}
			// current += tree(values) for every tree, as dlib does, in two
			// passes: the trees' walks first (the features are fixed within
			// a cascade), then the sums with the leaves fetched ahead. Each
			// leaf is a parts×2 vector picked at random from ~65 MB, so the
			// fit waits on memory unless many leaves are in flight; the
			// sums, in the same order, are dlib's to the bit.
			const fl_shape::tree* const first = s->trees.data() + s->cascade_tree0[c];
			const size_t trees = s->cascade_tree0[c + 1] - s->cascade_tree0[c];
			const long n = current.size();
			leaves.resize(trees);
			for (size_t i = 0; i < trees; ++i) {
				// regression_tree::operator(): left child 2i+1, right 2i+2.
				const fl_shape::tree& tree = first[i];
				const fl_shape::split* sp = s->splits.data() + tree.split0;
				uint32_t k = 0;
				while (k < tree.splits) {
					k = values[sp[k].idx1] - values[sp[k].idx2] > sp[k].thresh ? 2 * k + 1 : 2 * k + 2;
				}
				leaves[i] = s->leaves.data() + tree.leaf0 + size_t(k - tree.splits) * n;
			}
			constexpr size_t ahead = 8;
			for (size_t i = 0; i < ahead && i < leaves.size(); ++i) {
				prefetch(leaves[i], n);
			}
			float* cur = &current(0);
			for (size_t i = 0; i < leaves.size(); ++i) {
				if (i + ahead < leaves.size()) {
					prefetch(leaves[i + ahead], n);
				}
				const float* v = leaves[i];
				for (long j = 0; j < n; ++j) {
					cur[j] += v[j];
				}
			}
		}
		for (long i = 0; i < current.size() / 2; ++i) {
			const dlib::vector<double, 2> p = tform_to_img(impl::location(current, i));
			xy[2 * i] = float(p.x());
			xy[2 * i + 1] = float(p.y());
		}
		return 0;
	});
}

fl_hog* fl_hog_new(char* err, size_t errlen) {
	return guarded(err, errlen, (fl_hog*)nullptr, [&]() -> fl_hog* {
		std::unique_ptr<fl_hog> d(new fl_hog());
		if (d->scanner.num_filters() != FL_HOG_FILTERS) {
			throw std::runtime_error("unexpected number of filters in dlib's frontal face detector");
		}
		++live_objects;
		return d.release();
	});
}

void fl_hog_free(fl_hog* d) {
	if (d) {
		delete d;
		--live_objects;
	}
}

// write_detections copies up to max of dets into the caller's arrays and
// returns how many dets there are.
static int write_detections(const std::vector<dlib::rect_detection>& dets, long* rects, double* scores, int* filters,
                            int max) {
	for (int i = 0; i < int(dets.size()) && i < max; ++i) {
		rects[4 * i] = dets[i].rect.left();
		rects[4 * i + 1] = dets[i].rect.top();
		rects[4 * i + 2] = dets[i].rect.right();
		rects[4 * i + 3] = dets[i].rect.bottom();
		scores[i] = dets[i].detection_confidence;
		filters[i] = int(dets[i].weight_index);
	}
	return int(dets.size());
}

int fl_hog_detect(fl_hog* d, const uint8_t* gray, int w, int h, int stride, double adjust, int max_levels,
                  long* rects, double* scores, int* filters, int max, char* err, size_t errlen) {
	return guarded(err, errlen, -1, [&]() -> int {
		const fl::gray_image img{gray, w, h, stride};
		const unsigned long levels = max_levels > 0 ? unsigned(max_levels) : 0;
		if (d->reference) {
			d->scanner.detect_reference(img, adjust, levels, d->dets);
		} else {
			d->scanner.detect(img, adjust, levels, FL_HOG_ALL, d->dets);
		}
		return write_detections(d->dets, rects, scores, filters, max);
	});
}

void fl_hog_use_reference(fl_hog* d, int on) { d->reference = on != 0; }

void fl_gray_scaled(const uint8_t* pix, int channels, int w, int h, int stride, uint8_t* dst, int dw, int dh) {
	// Each destination pixel averages the source area it covers, with
	// fractional weights at the edges: the separable box filter that
	// OpenCV's INTER_AREA computes, so no aliasing reaches the detector.
	// The taps of destination pixel d are taps[d*k .. d*k+k): k per pixel,
	// padded with zero weights (which add nothing).
	struct tap {
		int src;
		float weight;
	};
	const auto taps = [](int n, int dn, int& k) {
		const double step = double(n) / dn;
		k = int(std::ceil(step)) + 1;
		std::vector<tap> out(size_t(dn) * k, tap{0, 0});
		for (int d = 0; d < dn; ++d) {
			const double a = d * step, b = std::min(double(n), (d + 1) * step);
			int used = 0;
			for (int s = int(a); s < n && s < b && used < k; ++s) {
				const double wgt = std::min(b, s + 1.0) - std::max(a, double(s));
				if (wgt > 1e-9) {
					out[size_t(d) * k + used++] = tap{s, float(wgt / step)};
				}
			}
			for (int u = used; u < k; ++u) {
				out[size_t(d) * k + u].src = out[size_t(d) * k].src;
			}
		}
		return out;
	};
	int kx = 0, ky = 0;
	const std::vector<tap> xt = taps(w, dw, kx), yt = taps(h, dh, ky);
	// The horizontal taps by rank: the u-th tap of every destination
	// column, so each rank is one pass over the row.
	std::vector<int> xsrc(size_t(kx) * dw);
	std::vector<float> xwgt(size_t(kx) * dw);
	for (int x = 0; x < dw; ++x) {
		for (int u = 0; u < kx; ++u) {
			xsrc[size_t(u) * dw + x] = xt[size_t(x) * kx + u].src;
			xwgt[size_t(u) * dw + x] = xt[size_t(x) * kx + u].weight;
		}
	}
	// The source rows scaled horizontally, as the vertical taps ask for
	// them: source row s is kept in ring[s % ky] (the rows one
	// destination row reads are fewer than ky and come in order).
	std::vector<float> ring(size_t(ky) * dw), line(w);
	std::vector<int> held(ky, -1);
	const auto row = [&](int y) -> const float* {
		float* r = &ring[size_t(y % ky) * dw];
		if (held[y % ky] == y) {
			return r;
		}
		held[y % ky] = y;
		const uint8_t* p = pix + size_t(y) * stride;
		float* l = line.data();
		if (channels == 1) {
			for (int x = 0; x < w; ++x) {
				l[x] = p[x];
			}
		} else if (channels == 4) {
			for (int x = 0; x < w; ++x) {
				l[x] = float((unsigned(p[4 * x]) + p[4 * x + 1] + p[4 * x + 2]) / 3);
			}
		} else {
			for (int x = 0; x < w; ++x) {
				l[x] = float((unsigned(p[channels * x]) + p[channels * x + 1] + p[channels * x + 2]) / 3);
			}
		}
		std::fill(r, r + dw, 0.0f);
		for (int u = 0; u < kx; ++u) {
			const int* src = &xsrc[size_t(u) * dw];
			const float* wgt = &xwgt[size_t(u) * dw];
			for (int x = 0; x < dw; ++x) {
				r[x] += wgt[x] * l[src[x]];
			}
		}
		return r;
	};
	std::vector<float> acc(dw);
	for (int y = 0; y < dh; ++y) {
		std::fill(acc.begin(), acc.end(), 0.0f);
		const tap* t = &yt[size_t(y) * ky];
		for (int u = 0; u < ky; ++u) {
			if (t[u].weight == 0) {
				continue;
			}
			const float* r = row(t[u].src);
			const float wgt = t[u].weight;
			for (int x = 0; x < dw; ++x) {
				acc[x] += wgt * r[x];
			}
		}
		uint8_t* out = dst + size_t(y) * dw;
		for (int x = 0; x < dw; ++x) {
			out[x] = uint8_t(std::min(255.0f, acc[x] + 0.5f));
		}
	}
}

int fl_shape_fit_reference(const char* path, const uint8_t* gray, int w, int h, int stride, const long box[4],
                           long* xy, int max, char* err, size_t errlen) {
	return guarded(err, errlen, -1, [&]() -> int {
		dlib::shape_predictor sp;
		dlib::deserialize(path) >> sp;
		const gray_view img{gray, w, h, stride};
		const dlib::full_object_detection shape = sp(img, dlib::rectangle(box[0], box[1], box[2], box[3]));
		for (unsigned long i = 0; i < shape.num_parts() && i < (unsigned long)max; ++i) {
			xy[2 * i] = shape.part(i).x();
			xy[2 * i + 1] = shape.part(i).y();
		}
		return int(shape.num_parts());
	});
}

long fl_pyramid_mismatches(const uint8_t* gray, int w, int h, int stride, int levels) {
	dlib::array2d<unsigned char> ref[2], fast[2];
	fl::pyramid_cols cols;
	const dlib::pyramid_down<6> pyr;
	long bad = 0;
	for (int l = 0; l < levels; ++l) {
		auto &r = ref[l & 1], &f = fast[l & 1];
		const auto &r0 = ref[(l + 1) & 1], &f0 = fast[(l + 1) & 1];
		const fl::gray_image in =
		    l == 0 ? fl::gray_image{gray, w, h, stride} : fl::gray_image{&f0[0][0], f0.nc(), f0.nr(), f0.nc()};
		fl::pyramid_down6(in, f, cols);
		if (l == 0) {
			pyr(gray_view{gray, w, h, stride}, r);
		} else {
			pyr(r0, r);
		}
		if (r.nr() != f.nr() || r.nc() != f.nc()) {
			return -1;
		}
		for (long y = 0; y < r.nr(); ++y) {
			for (long x = 0; x < r.nc(); ++x) {
				bad += r[y][x] != f[y][x];
			}
		}
		if (r.nr() < 2 || r.nc() < 2) {
			break;
		}
	}
	return bad;
}

long fl_live_objects(void) { return live_objects.load(); }

size_t fl_heap_in_use(void) {
	const struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}

}  // extern "C"
