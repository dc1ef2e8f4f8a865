// dlib's HOG frontal face detector, computed faster. See hogscan.h.
//
// extract_fhog follows dlib's impl_extract_fhog_features (dlib/image_transforms/fhog.h,
// Copyright (C) 2013 Davis E. King, Boost Software License 1.0), which is derived from
// features.cc of the voc-release code by Ross Girshick, Pedro Felzenszwalb, David
// McAllester and Deva Ramanan (P. Felzenszwalb et al., "Object Detection with
// Discriminatively Trained Part Based Models", IEEE TPAMI 32(9), 2010), under this
// licence:
//
//   Copyright (C) 2011, 2012 Ross Girshick, Pedro Felzenszwalb
//   Copyright (C) 2008, 2009, 2010 Pedro Felzenszwalb, Ross Girshick
//   Copyright (C) 2007 Pedro Felzenszwalb, Deva Ramanan
//
//   Permission is hereby granted, free of charge, to any person obtaining a copy of this
//   software and associated documentation files (the "Software"), to deal in the Software
//   without restriction, including without limitation the rights to use, copy, modify,
//   merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
//   permit persons to whom the Software is furnished to do so, subject to the following
//   conditions:
//
//   The above copyright notice and this permission notice shall be included in all copies
//   or substantial portions of the Software.
//
//   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
//   INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
//   PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT
//   HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
//   CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR
//   THE USE OR OTHER DEALINGS IN THE SOFTWARE.
#include "hogscan.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace fl {

// gray_image in dlib's generic image interface, found by argument-dependent
// lookup from dlib's templates.
inline long num_rows(const gray_image& img) { return img.h; }
inline long num_columns(const gray_image& img) { return img.w; }
inline long width_step(const gray_image& img) { return img.stride; }
inline const void* image_data(const gray_image& img) { return img.pix; }

}  // namespace fl

namespace dlib {
template <>
struct image_traits<fl::gray_image> {
	typedef unsigned char pixel_type;
};
}  // namespace dlib

namespace fl {

namespace {

// GCC/Clang vectors: compiled to whatever the target has (AVX-512, AVX2,
// SSE), element by element the same arithmetic.
typedef float v16f __attribute__((vector_size(64)));
typedef float v4f __attribute__((vector_size(16)));

template <typename V>
inline V load(const float* p) {
	V v;
	std::memcpy(&v, p, sizeof v);
	return v;
}

template <typename V>
inline void store(float* p, V v) {
	std::memcpy(p, &v, sizeof v);
}

}  // namespace

void hog_planes::reset(long rows, long cols) {
	nr = rows;
	nc = cols;
	stride = (cols + 16 + 15) / 16 * 16;
	data.assign(size_t(31) * nr * stride, 0.0f);
}

namespace {

// best_orientations snaps 8 gradients to the orientation (of 18) each
// projects onto most: dlib's vector code in impl_extract_fhog_features,
// which its whole vectors of 8 pixels run.
__attribute__((noinline)) void best_orientations(const dlib::int32* gx, const dlib::int32* gy, dlib::int32* bin) {
	using dlib::simd8f;
	using dlib::simd8f_bool;
	using dlib::simd8i;
	// Unit vectors of the 9 orientations (dlib's, to 4 digits).
	static const float dir_x[9] = {1.0000, 0.9397, 0.7660, 0.500, 0.1736, -0.1736, -0.5000, -0.7660, -0.9397};
	static const float dir_y[9] = {0.0000, 0.3420, 0.6428, 0.8660, 0.9848, 0.9848, 0.8660, 0.6428, 0.3420};
	simd8i xi, yi;
	xi.load(gx);
	yi.load(gy);
	const simd8f grad_x = xi;
	const simd8f grad_y = yi;
	simd8f best_dot = 0;
	simd8f best_o = 0;
	for (int o = 0; o < 9; o++) {
		simd8f dot = grad_x * dir_x[o] + grad_y * dir_y[o];
		simd8f_bool cmp = dot > best_dot;
		best_dot = select(cmp, dot, best_dot);
		dot *= -1;
		best_o = select(cmp, o, best_o);
		cmp = dot > best_dot;
		best_dot = select(cmp, dot, best_dot);
		best_o = select(cmp, o + 9, best_o);
	}
	simd8i(best_o).store(bin);
}

// orientation_table is best_orientations for every gradient of 8-bit
// pixels (-255..255 each way): entry (gx+255)*511 + gy+255. Looking the
// orientation up costs a load per pixel instead of 9 projections and
// gives the same bins, since it is the same computation done ahead.
const uint8_t* orientation_table() {
	static const std::vector<uint8_t> table = [] {
		std::vector<uint8_t> t(511 * 511);
		dlib::int32 gx[8], gy[8], bin[8];
		for (int x = -255; x <= 255; ++x) {
			for (int y0 = -255; y0 <= 255; y0 += 8) {
				for (int j = 0; j < 8; ++j) {
					gx[j] = x;
					gy[j] = std::min(y0 + j, 255);
				}
				best_orientations(gx, gy, bin);
				for (int j = 0; j < 8 && y0 + j <= 255; ++j) {
					t[size_t(x + 255) * 511 + y0 + j + 255] = uint8_t(bin[j]);
				}
			}
		}
		return t;
	}();
	return table.data();
}

}  // namespace

// pyramid_down6 computes dlib::pyramid_down<6>()(in, out): out gets 5/6 of
// in's size and dlib's resize_image(in, out) with bilinear interpolation,
// the vector version for gray pictures (dlib/image_transforms/
// interpolation.h, Copyright (C) 2012 Davis E. King, Boost Software
// License 1.0), to the bit: the same float operations in the same order.
// dlib works out each column's source pixels and weights again on every
// row and gathers the pixels one by one into vectors; here they are worked
// out once per picture (cols), each source row is gathered once for the
// two output rows that read it, and the rows are then plain vector
// arithmetic.
void pyramid_down6(const gray_image& in, dlib::array2d<unsigned char>& out, pyramid_cols& cols) {
	using dlib::simd4f;
	using dlib::simd4i;
	out.set_size(long((5 * in.h) / 6 + 0.5), long((5 * in.w) / 6 + 0.5));
	const long onr = out.nr(), onc = out.nc();
	if (onr == 0 || onc == 0 || in.w == 0 || in.h == 0) {
		return;
	}
	const double x_scale = (in.w - 1) / (double)std::max<long>(onc - 1, 1);
	const double y_scale = (in.h - 1) / (double)std::max<long>(onr - 1, 1);
	// The columns of dlib's vector loop, 4 at a time while the right
	// pixel of the 4th is inside: their left pixels and weights.
	cols.left.clear();
	cols.frac.clear();
	cols.inv.clear();
	{
		const double x = -4 * x_scale;
		const simd4f step = 4 * x_scale;
		simd4f vx(x, x + x_scale, x + 2 * x_scale, x + 3 * x_scale);
		for (;;) {
			vx += step;
			const simd4i left = simd4i(vx);
			const simd4f frac = vx - left;
			const simd4f inv = 1 - frac;
			dlib::int32 l[4];
			left.store(l);
			if (l[3] + 1 >= in.w) {
				break;
			}
			float f[4], v[4];
			frac.store(f);
			inv.store(v);
			cols.left.insert(cols.left.end(), l, l + 4);
			cols.frac.insert(cols.frac.end(), f, f + 4);
			cols.inv.insert(cols.inv.end(), v, v + 4);
		}
	}
	const long vec = long(cols.left.size());
	const dlib::int32* L = cols.left.data();
	const float* F = cols.frac.data();
	const float* V = cols.inv.data();
	// Each source row's pixels at the columns' left and right positions,
	// as floats, for the rows in use (a row serves at most two output
	// rows, as top then bottom): then the output rows are plain vector
	// arithmetic.
	cols.rows.resize(size_t(4) * vec);
	long held[2] = {-1, -1};
	const auto gathered = [&](long y) -> const float* {
		float* g = cols.rows.data() + size_t(y & 1) * 2 * vec;
		if (held[y & 1] != y) {
			held[y & 1] = y;
			const uint8_t* p = in.pix + y * in.stride;
			for (long c = 0; c < vec; ++c) {
				g[c] = float(p[L[c]]);
				g[vec + c] = float(p[L[c] + 1]);
			}
		}
		return g;
	};
	double y = -y_scale;
	for (long r = 0; r < onr; ++r) {
		y += y_scale;
		const long top = static_cast<long>(std::floor(y));
		const long bottom = std::min(top + 1, in.h - 1);
		const double tb_frac = y - top;
		const float tb = float(tb_frac), itb = float(1 - tb_frac);
		const uint8_t* T = in.pix + top * in.stride;
		const uint8_t* B = in.pix + bottom * in.stride;
		const float* T0 = gathered(top);
		const float* B0 = gathered(bottom);
		const float *T1 = T0 + vec, *B1 = B0 + vec;
		unsigned char* o = &out[r][0];
		for (long c = 0; c < vec; ++c) {
			const float tlf = itb * V[c], trf = itb * F[c], blf = tb * V[c], brf = tb * F[c];
#ifdef __FMA__
			// GCC contracts dlib's tlf*tl + trf*tr + blf*bl + brf*br
			// (-ffp-contract=fast, its default) into these FMAs.
			const float v = std::fma(brf, B1[c], std::fma(blf, B0[c], std::fma(trf, T1[c], tlf * T0[c])));
#else
			const float v = tlf * T0[c] + trf * T1[c] + blf * B0[c] + brf * B1[c];
#endif
			o[c] = static_cast<unsigned char>(v + 0.5);
		}
		// dlib's loop for the last columns.
		double x = -x_scale + vec * x_scale;
		for (long c = vec; c < onc; ++c) {
			x += x_scale;
			const long left = static_cast<long>(std::floor(x));
			const long right = std::min(left + 1, in.w - 1);
			const float lr_frac = x - left;
			float tl = 0, tr = 0, bl = 0, br = 0;
			dlib::assign_pixel(tl, T[left]);
			dlib::assign_pixel(tr, T[right]);
			dlib::assign_pixel(bl, B[left]);
			dlib::assign_pixel(br, B[right]);
			float temp = (1 - tb_frac) * ((1 - lr_frac) * tl + lr_frac * tr) + tb_frac * ((1 - lr_frac) * bl + lr_frac * br);
			dlib::assign_pixel(o[c], temp);
		}
	}
}

void extract_fhog(const gray_image& img, int cell_size, int pad_rows, int pad_cols, hog_planes& out, fhog_scratch& s) {
	using dlib::int32;
	using dlib::simd4f;
	using dlib::simd8f;
	using dlib::simd8i;
	// Unit vectors of the 9 orientations (dlib's, to 4 digits).
	static const float dir_x[9] = {1.0000, 0.9397, 0.7660, 0.500, 0.1736, -0.1736, -0.5000, -0.7660, -0.9397};
	static const float dir_y[9] = {0.0000, 0.3420, 0.6428, 0.8660, 0.9848, 0.9848, 0.8660, 0.6428, 0.3420};

	const uint8_t* const orient = orientation_table();
	const int cells_nr = (int)((float)img.h / (float)cell_size + 0.5);
	const int cells_nc = (int)((float)img.w / (float)cell_size + 0.5);
	const int hog_nr = std::max(cells_nr - 2, 0);
	const int hog_nc = std::max(cells_nc - 2, 0);
	if (cells_nr == 0 || cells_nc == 0 || hog_nr == 0 || hog_nc == 0) {
		out.reset(0, 0);
		return;
	}
	out.reset(hog_nr + pad_rows - 1, hog_nc + pad_cols - 1);

	// The orientation histograms of the cells, 18 bins each, with a border
	// of one cell all around (as dlib's hist).
	const int hnc = cells_nc + 2;
	s.hist.assign(size_t(cells_nr + 2) * hnc * 18, 0.0f);
	float* const hist = s.hist.data();
	const auto cell_hist = [&](int r, int c) { return hist + (size_t(r) * hnc + c) * 18; };

	const int visible_nr = std::min((long)cells_nr * cell_size, img.h) - 1;
	const int visible_nc = std::min((long)cells_nc * cell_size, img.w) - 1;

	// Each pixel votes with its gradient's magnitude into its orientation's
	// bin of the four cells around it, weighted bilinearly. The votes of
	// one band of image rows (those between the same two rows of cell
	// centres) gather in band: band[(bin*hnc + c)*4 + k] holds, for the
	// pixels whose left cell is column c, the votes for (top row, c),
	// (bottom row, c), (top row, c+1) and (bottom row, c+1), so a pixel's
	// four votes are one 4-float add; the band is added to the two rows of
	// hist when it ends. The column weights are the same on every row.
	//
	// Neighbouring pixels often vote into the same bin of the same cell,
	// and each vote then waits for the one before it to be stored; the
	// pixels at even and odd positions of a vector gather in two copies of
	// the band (band and band + half), summed when the band ends, so that
	// two chains of votes run at once.
	const size_t half = size_t(18) * hnc * 4;
	s.band.assign(2 * half, 0.0f);
	float* const band = s.band.data();
	const int blocks = std::max(0, (visible_nc - 1) / 8);  // whole vectors of 8 pixels from x = 1
	s.cell.resize(size_t(blocks) * 8);
	s.vx.resize(size_t(blocks) * 8 * 2);
	for (int k = 0; k < blocks * 8; ++k) {
		const float xp = (float(1 + k) + 0.5f) / (float)cell_size + 0.5f;
		const int ixp = int(xp);
		s.cell[k] = ixp * 4;
		s.vx[2 * k] = xp - ixp;
		s.vx[2 * k + 1] = 1.0f - (xp - ixp);
	}
	int band_top = -1;  // hist row of the band's top cells
	const auto flush = [&]() {
		if (band_top < 0) {
			return;
		}
		float* top = cell_hist(band_top, 0);
		float* bottom = cell_hist(band_top + 1, 0);
		for (int c = 0; c < hnc; ++c) {
			for (int o = 0; o < 18; ++o) {
				float* b = band + (o * hnc + c) * 4;
				float* b2 = b + half;
				top[c * 18 + o] += b[0] + b2[0];
				bottom[c * 18 + o] += b[1] + b2[1];
				if (c + 1 < hnc) {
					top[(c + 1) * 18 + o] += b[2] + b2[2];
					bottom[(c + 1) * 18 + o] += b[3] + b2[3];
				}
				b[0] = b[1] = b[2] = b[3] = 0;
				b2[0] = b2[1] = b2[2] = b2[3] = 0;
			}
		}
	};

	for (int y = 1; y < visible_nr; y++) {
		const float yp = ((float)y + 0.5) / (float)cell_size - 0.5;
		const int iyp = (int)std::floor(yp);
		const float vy0 = yp - iyp;
		const float vy1 = 1.0 - vy0;
		if (iyp + 1 != band_top) {
			flush();
			band_top = iyp + 1;
		}
		const uint8_t* up = img.pix + (y - 1) * img.stride;
		const uint8_t* mid = img.pix + y * img.stride;
		const uint8_t* down = img.pix + (y + 1) * img.stride;
		int x = 1;
		for (int k = 0; k < blocks; ++k, x += 8) {
			int32 l[8], r[8], t[8], b[8];
			for (int j = 0; j < 8; ++j) {
				l[j] = mid[x + j - 1];
				r[j] = mid[x + j + 1];
				t[j] = up[x + j];
				b[j] = down[x + j];
			}
			simd8i left, right, top, bottom;
			left.load(l);
			right.load(r);
			top.load(t);
			bottom.load(b);
			const simd8i grad_xi = right - left;
			const simd8i grad_yi = bottom - top;
			const simd8f grad_x = grad_xi;
			const simd8f grad_y = grad_yi;
			const simd8f v = sqrt(simd8f(grad_x * grad_x + grad_y * grad_y));
			int32 gx[8], gy[8], bin[8];
			grad_xi.store(gx);
			grad_yi.store(gy);
			for (int j = 0; j < 8; ++j) {
				bin[j] = orient[(gx[j] + 255) * 511 + gy[j] + 255];
			}
			float mag[8];
			v.store(mag);
			const int32* cell = &s.cell[size_t(k) * 8];
			const float* vx = &s.vx[size_t(k) * 16];
			for (int j = 0; j < 8; ++j) {
				// A vote of 0 (a flat patch) adds 0: cheaper than a branch
				// that guesses wrong at every edge.
				const float vx0 = vx[2 * j] * mag[j], vx1 = vx[2 * j + 1] * mag[j];
				const v4f w = {vy1 * vx1, vy0 * vx1, vy1 * vx0, vy0 * vx0};
				float* dst = band + (j & 1) * half + bin[j] * hnc * 4 + cell[j];
				store(dst, load<v4f>(dst) + w);
			}
		}
		for (; x < visible_nc; x++) {
			const int gx = int(mid[x + 1]) - int(mid[x - 1]);
			const int gy = int(down[x]) - int(up[x]);
			float best_dot = 0;
			int best_o = 0;
			for (int o = 0; o < 9; o++) {
				const float dot = dir_x[o] * gx + dir_y[o] * gy;
				if (dot > best_dot) {
					best_dot = dot;
					best_o = o;
				} else if (-dot > best_dot) {
					best_dot = -dot;
					best_o = o + 9;
				}
			}
			const float v = std::sqrt(float(gx * gx + gy * gy));
			const float xp = ((double)x + 0.5) / (double)cell_size - 0.5;
			const int ixp = (int)std::floor(xp);
			const float vx0 = xp - ixp;
			const float vx1 = 1.0 - vx0;
			float* dst = band + best_o * hnc * 4 + (ixp + 1) * 4;
			dst[0] += vy1 * vx1 * v;
			dst[1] += vy0 * vx1 * v;
			dst[2] += vy1 * vx0 * v;
			dst[3] += vy0 * vx0 * v;
		}
	}
	flush();

	// The energy of each cell, summed over the orientations.
	s.norm.assign(size_t(cells_nr) * cells_nc, 0.0f);
	float* const norm = s.norm.data();
	for (int r = 0; r < cells_nr; ++r) {
		for (int c = 0; c < cells_nc; ++c) {
			const float* h = cell_hist(r + 1, c + 1);
			float& n = norm[size_t(r) * cells_nc + c];
			for (int o = 0; o < 9; o++) {
				n += (h[o] + h[o + 9]) * (h[o] + h[o + 9]);
			}
		}
	}
	const auto N = [&](int r, int c) { return norm[size_t(r) * cells_nc + c]; };

	// The 31 features of each cell, normalised by the energy of the four
	// 2×2 blocks of cells around it (dlib's code as it is).
	const int row0 = (pad_rows - 1) / 2, col0 = (pad_cols - 1) / 2;
	float* planes[31];
	for (int i = 0; i < 31; ++i) {
		planes[i] = out.plane(i);
	}
	const float eps = 0.0001;
	for (int y = 0; y < hog_nr; y++) {
		const long at = (y + row0) * out.stride + col0;
		for (int x = 0; x < hog_nc; x++) {
			const simd4f z1(N(y + 1, x + 1), N(y, x + 1), N(y + 1, x), N(y, x));
			const simd4f z2(N(y + 1, x + 2), N(y, x + 2), N(y + 1, x + 1), N(y, x + 1));
			const simd4f z3(N(y + 2, x + 1), N(y + 1, x + 1), N(y + 2, x), N(y + 1, x));
			const simd4f z4(N(y + 2, x + 2), N(y + 1, x + 2), N(y + 2, x + 1), N(y + 1, x + 1));
			const simd4f nn = 0.2 * sqrt(z1 + z2 + z3 + z4 + eps);
			const simd4f n = 0.1 / nn;
			simd4f t = 0;
			const float* h = cell_hist(y + 2, x + 2);
			// contrast-sensitive features
			for (int o = 0; o < 18; o += 3) {
				const simd4f h0 = min(simd4f(h[o]), nn) * n;
				const simd4f h1 = min(simd4f(h[o + 1]), nn) * n;
				const simd4f h2 = min(simd4f(h[o + 2]), nn) * n;
				planes[o][at + x] = sum(h0);
				planes[o + 1][at + x] = sum(h1);
				planes[o + 2][at + x] = sum(h2);
				t += h0 + h1 + h2;
			}
			t *= 2 * 0.2357;
			// contrast-insensitive features
			for (int o = 0; o < 9; o += 3) {
				const simd4f h0 = min(simd4f(h[o] + h[o + 9]), nn) * n;
				const simd4f h1 = min(simd4f(h[o + 1] + h[o + 10]), nn) * n;
				const simd4f h2 = min(simd4f(h[o + 2] + h[o + 11]), nn) * n;
				planes[o + 18][at + x] = sum(h0);
				planes[o + 19][at + x] = sum(h1);
				planes[o + 20][at + x] = sum(h2);
			}
			// texture features
			float temp[4];
			t.store(temp);
			planes[27][at + x] = temp[0];
			planes[28][at + x] = temp[1];
			planes[29][at + x] = temp[2];
			planes[30][at + x] = temp[3];
		}
	}
}

hog_scanner::hog_scanner() : det_(dlib::get_frontal_face_detector()) {
	const auto& scanner = det_.get_scanner();
	if (scanner.get_fhog_window_width() != taps || scanner.get_fhog_window_height() != taps) {
		throw std::runtime_error("unexpected window size in dlib's frontal face detector");
	}
	bank_.assign(31, {});
	for (unsigned long f = 0; f < det_.num_detectors(); ++f) {
		const auto& fb = det_.get_processed_w(f).get_detect_argument();
		// dlib convolves with the whole filters when that is cheaper
		// than with their separable parts (apply_filters_to_fhog); this
		// detector's are low-rank, and only the separable way is here.
		if (fb.num_separable_filters() > fb.filters.size() * std::min(fb.filters[0].nr(), fb.filters[0].nc()) / 3.0 ||
		    fb.row_filters.size() != bank_.size()) {
			throw std::runtime_error("unexpected filters in dlib's frontal face detector");
		}
		for (size_t i = 0; i < fb.row_filters.size(); ++i) {
			for (size_t j = 0; j < fb.row_filters[i].size(); ++j) {
				const auto& row = fb.row_filters[i][j];
				const auto& col = fb.col_filters[i][j];
				if (row.size() != taps || col.size() != taps) {
					throw std::runtime_error("unexpected filter size in dlib's frontal face detector");
				}
				component c;
				for (int n = 0; n < taps; ++n) {
					c.row[n] = row(n);
					c.col[n] = col(n);
				}
				c.filter = int(f);
				bank_[i].push_back(c);
			}
		}
		thresh_.push_back(det_.get_processed_w(f).w(scanner.get_num_dimensions()));
	}
}

// filter_level computes the saliency of every filter in filter_mask over
// one level's features: dlib's apply_filters_to_fhog with the separable
// filters (float_spatially_filter_image_separable), in another order. The
// row pass of each plane runs the parts of all filters together, 8 at a
// time, so each shifted load of the plane serves all of them; the column
// pass computes 4 output rows together from 13 loaded rows.
void hog_scanner::filter_level(const hog_planes& p, unsigned filter_mask) {
	constexpr int group = 8;
	constexpr long first = taps / 2;  // first row and column where a whole filter fits
	const long nr = p.nr, nc = p.nc, S = p.stride;
	const long last_row = nr - (taps - 1) / 2, last_col = nc - (taps - 1) / 2;
	saliency_.resize(num_filters());
	for (unsigned long f = 0; f < num_filters(); ++f) {
		if (filter_mask & (1u << f)) {
			saliency_[f].assign(size_t(nr) * S, 0.0f);
		}
	}
	rowpass_.resize(size_t(group) * nr * S);  // every float read is written first
	const component* parts[group];
	for (size_t i = 0; i < bank_.size(); ++i) {
		const float* in = p.plane(int(i));
		const auto& all = bank_[i];
		for (size_t g = 0; g < all.size();) {
			int k = 0;
			for (; g < all.size() && k < group; ++g) {
				if (filter_mask & (1u << all[g].filter)) {
					parts[k++] = &all[g];
				}
			}
			if (k == 0) {
				continue;
			}
			// Row pass over every row (the column pass reads them all).
			for (long r = 0; r < nr; ++r) {
				const float* src = in + r * S - first;
				float* dst = rowpass_.data() + r * S;
				for (long c = first; c < last_col; c += 16) {
					v16f x[taps];
					for (int n = 0; n < taps; ++n) {
						x[n] = load<v16f>(src + c + n);
					}
					int j = 0;
					for (; j + 4 <= k; j += 4) {
						const float *r0 = parts[j]->row, *r1 = parts[j + 1]->row, *r2 = parts[j + 2]->row,
						            *r3 = parts[j + 3]->row;
						v16f a0 = x[0] * r0[0], a1 = x[0] * r1[0], a2 = x[0] * r2[0], a3 = x[0] * r3[0];
						for (int n = 1; n < taps; ++n) {
							a0 += x[n] * r0[n];
							a1 += x[n] * r1[n];
							a2 += x[n] * r2[n];
							a3 += x[n] * r3[n];
						}
						store(dst + c + size_t(j) * nr * S, a0);
						store(dst + c + size_t(j + 1) * nr * S, a1);
						store(dst + c + size_t(j + 2) * nr * S, a2);
						store(dst + c + size_t(j + 3) * nr * S, a3);
					}
					for (; j < k; ++j) {
						const float* r0 = parts[j]->row;
						v16f a0 = x[0] * r0[0];
						for (int n = 1; n < taps; ++n) {
							a0 += x[n] * r0[n];
						}
						store(dst + c + size_t(j) * nr * S, a0);
					}
				}
			}
			// Column pass, added to the filter's saliency.
			for (int j = 0; j < k; ++j) {
				const float* rows = rowpass_.data() + size_t(j) * nr * S;
				const float* C = parts[j]->col;
				float* sal = saliency_[parts[j]->filter].data();
				long r = first;
				for (; r + 4 <= last_row; r += 4) {
					for (long c = first; c < last_col; c += 16) {
						const float* s0 = rows + (r - first) * S + c;
						v16f a0 = {}, a1 = {}, a2 = {}, a3 = {};
						for (int m = 0; m < taps + 3; ++m) {
							const v16f x = load<v16f>(s0 + m * S);
							if (m < taps) {
								a0 += x * C[m];
							}
							if (m >= 1 && m < taps + 1) {
								a1 += x * C[m - 1];
							}
							if (m >= 2 && m < taps + 2) {
								a2 += x * C[m - 2];
							}
							if (m >= 3) {
								a3 += x * C[m - 3];
							}
						}
						float* o = sal + r * S + c;
						store(o, load<v16f>(o) + a0);
						store(o + S, load<v16f>(o + S) + a1);
						store(o + 2 * S, load<v16f>(o + 2 * S) + a2);
						store(o + 3 * S, load<v16f>(o + 3 * S) + a3);
					}
				}
				for (; r < last_row; ++r) {
					for (long c = first; c < last_col; c += 16) {
						const float* s0 = rows + (r - first) * S + c;
						v16f a0 = {};
						for (int m = 0; m < taps; ++m) {
							a0 += load<v16f>(s0 + m * S) * C[m];
						}
						float* o = sal + r * S + c;
						store(o, load<v16f>(o) + a0);
					}
				}
			}
		}
	}
}

void hog_scanner::detect(const gray_image& img, double adjust, unsigned long max_levels, unsigned filter_mask,
                         std::vector<dlib::rect_detection>& out) {
	typedef dlib::pyramid_down<6> pyramid_type;
	const auto& scanner = det_.get_scanner();
	const auto& fe = scanner.get_feature_extractor();
	const int cell = int(scanner.get_cell_size());
	const long fw = long(scanner.get_fhog_window_width()), fh = long(scanner.get_fhog_window_height());
	const long pad = long(scanner.get_padding());
	if (max_levels == 0) {
		max_levels = scanner.get_max_pyramid_levels();
	}
	// The levels create_fhog_pyramid makes.
	pyramid_type pyr;
	unsigned long levels = 0;
	dlib::rectangle rect = dlib::get_rect(img);
	do {
		rect = pyr.rect_down(rect);
		++levels;
	} while (rect.width() >= scanner.get_min_pyramid_layer_width() &&
	         rect.height() >= scanner.get_min_pyramid_layer_height() && levels < max_levels);
	if (levels_.size() < levels) {
		levels_.resize(levels);
	}
	if (pyramid_.size() < levels) {
		pyramid_.resize(levels);
	}
	all_.clear();
	std::vector<std::vector<std::pair<double, dlib::rectangle>>> per_filter(num_filters());
	for (unsigned long l = 0; l < levels; ++l) {
		gray_image level = img;
		if (l > 0) {
			if (l == 1) {
				pyramid_down6(img, pyramid_[l], cols_);
			} else {
				const auto& a = pyramid_[l - 1];
				pyramid_down6(gray_image{a.size() ? &a[0][0] : nullptr, a.nc(), a.nr(), a.nc()}, pyramid_[l], cols_);
			}
			const auto& a = pyramid_[l];
			level = gray_image{a.size() ? &a[0][0] : nullptr, a.nc(), a.nr(), a.nc()};
		}
		hog_planes& p = levels_[l];
		extract_fhog(level, cell, int(fh), int(fw), p, fhog_);
		if (p.nr < taps || p.nc < taps) {
			continue;
		}
		filter_level(p, filter_mask);
		// detect_from_fhog_pyramid's search of the saliency images.
		const long first = taps / 2, last_row = p.nr - (taps - 1) / 2, last_col = p.nc - (taps - 1) / 2;
		for (unsigned long f = 0; f < num_filters(); ++f) {
			if (!(filter_mask & (1u << f))) {
				continue;
			}
			const double thresh = thresh_[f] + adjust;
			const float* sal = saliency_[f].data();
			for (long r = first; r < last_row; ++r) {
				for (long c = first; c < last_col; ++c) {
					if (sal[r * p.stride + c] >= thresh) {
						dlib::rectangle box = fe.feats_to_image(
						    dlib::centered_rect(dlib::point(c, r), fw - 2 * pad, fh - 2 * pad), cell, fh, fw);
						box = pyr.rect_up(box, l);
						per_filter[f].push_back(std::make_pair(double(sal[r * p.stride + c]), box));
					}
				}
			}
		}
	}
	// object_detector's operator(): each filter's hits best first, then
	// all of them best first, each kept unless it overlaps one kept
	// before.
	for (unsigned long f = 0; f < num_filters(); ++f) {
		auto& hits = per_filter[f];
		std::sort(hits.rbegin(), hits.rend(), dlib::impl::compare_pair_rect);
		for (const auto& hit : hits) {
			all_.push_back(dlib::rect_detection{hit.first - thresh_[f], f, hit.second});
		}
	}
	std::sort(all_.rbegin(), all_.rend());
	const dlib::test_box_overlap& overlaps = det_.get_overlap_tester();
	out.clear();
	for (const auto& cand : all_) {
		if (std::none_of(out.begin(), out.end(),
		                 [&](const dlib::rect_detection& kept) { return overlaps(kept.rect, cand.rect); })) {
			out.push_back(cand);
		}
	}
}

void hog_scanner::detect_reference(const gray_image& img, double adjust, unsigned long max_levels,
                                   std::vector<dlib::rect_detection>& out) {
	// object_detector keeps its scanner private; a copy would rebuild the
	// filters, so the level bound goes through the const accessor and is
	// restored after.
	auto& scanner = const_cast<dlib::scan_fhog_pyramid<dlib::pyramid_down<6>>&>(det_.get_scanner());
	const unsigned long all = scanner.get_max_pyramid_levels();
	scanner.set_max_pyramid_levels(max_levels > 0 ? max_levels : all);
	try {
		det_(img, out, adjust);
	} catch (...) {
		scanner.set_max_pyramid_levels(all);
		throw;
	}
	scanner.set_max_pyramid_levels(all);
}

}  // namespace fl
