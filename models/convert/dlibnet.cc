// Rebuilds dlib's face ResNet (go-face's anet_type) from plain float weights
// and inspects the three dlib model files go-face loads. Every entry point
// catches every exception: callers only ever see an FL_* code.

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <new>
#include <vector>

#include <dlib/dnn.h>
#include <dlib/image_processing.h>

#include "dlibnet.h"

using namespace dlib;

namespace {

// The network types below are copied from go-face's facerec.cc
// (github.com/Kagami/go-face v0.0.0-20210630145111-0c14797b4d0e), which in
// turn copied them from dlib's dnn_face_recognition_ex.cpp. They must stay
// identical or go-face cannot deserialize what we write.
template <template <int,template<typename>class,int,typename> class block, int N, template<typename>class BN, typename SUBNET>
using residual = add_prev1<block<N,BN,1,tag1<SUBNET>>>;

template <template <int,template<typename>class,int,typename> class block, int N, template<typename>class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,BN,2,tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET>
using block  = BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>;

template <int N, typename SUBNET> using ares      = relu<residual<block,N,affine,SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block,N,affine,SUBNET>>;

template <typename SUBNET> using alevel0 = ares_down<256,SUBNET>;
template <typename SUBNET> using alevel1 = ares<256,ares<256,ares_down<256,SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128,ares<128,ares_down<128,SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64,ares<64,ares<64,ares_down<64,SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32,ares<32,ares<32,SUBNET>>>;

template <long num_filters, typename SUBNET> using con5d = con<num_filters,5,5,2,2,SUBNET>;
template <long num_filters, typename SUBNET> using con5  = con<num_filters,5,5,1,1,SUBNET>;

template <typename SUBNET> using downsampler  = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16,SUBNET>>>>>>>>>;
template <typename SUBNET> using rcon5  = relu<affine<con5<45,SUBNET>>>;

using cnn_anet_type = loss_mmod<con<1,9,9,1,1,rcon5<rcon5<rcon5<downsampler<input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;

using anet_type = loss_metric<fc_no_bias<128,avg_pool_everything<
                            alevel0<
                            alevel1<
                            alevel2<
                            alevel3<
                            alevel4<
                            max_pool<3,3,2,2,relu<affine<con<32,7,7,2,2,
                            input_rgb_image_sized<150>
                            >>>>>>>>>>>>;

// A parameter tensor to fill, or the gamma/beta pair of an affine layer.
struct slot {
	tensor *whole = nullptr;   // con_ and fc_: all of get_layer_params()
	affine_ *aff = nullptr;    // affine_: gamma then beta
};

// collector records the parameterised layers. visit_computational_layers
// walks from the loss (output) side; the caller reverses the list.
struct collector {
	std::vector<slot> *slots;

	template <long nf, long nr, long nc, int sy, int sx, int py, int px>
	void operator()(con_<nf, nr, nc, sy, sx, py, px> &l) const {
		slot s;
		s.whole = &l.get_layer_params();
		slots->push_back(s);
	}
	void operator()(affine_ &l) const {
		slot s;
		s.aff = &l;
		slots->push_back(s);
	}
	template <unsigned long no, fc_bias_mode bm>
	void operator()(fc_<no, bm> &l) const {
		slot s;
		s.whole = &l.get_layer_params();
		slots->push_back(s);
	}
};

struct conv_mode_setter {
	void operator()(affine_ &l) const { l = affine_(CONV_MODE); }
};

// Creates the parameters of a fresh anet_type: affine layers in CONV_MODE
// (one gamma/beta per channel, as the weights were trained) and one forward
// pass, because dlib allocates parameters only on the first pass.
void setup_resnet(anet_type &net) {
	visit_computational_layers(net, conv_mode_setter{});
	matrix<rgb_pixel> img(150, 150);
	for (long r = 0; r < img.nr(); r++)
		for (long c = 0; c < img.nc(); c++)
			img(r, c) = rgb_pixel(128, 128, 128);
	net(img);
}

std::vector<slot> input_side_first(anet_type &net) {
	std::vector<slot> slots;
	visit_computational_layers(net, collector{&slots});
	std::reverse(slots.begin(), slots.end());
	return slots;
}

size_t slot_size(const slot &s) {
	if (s.whole)
		return s.whole->size();
	return s.aff->get_gamma().size() + s.aff->get_beta().size();
}

template <typename F>
int guarded(F f) {
	try {
		return f();
	} catch (const std::bad_alloc &) {
		return FL_NOMEM;
	} catch (const serialization_error &) {
		return FL_FORMAT;
	} catch (const std::length_error &) {
		// vector/string sizes read from a damaged file
		return FL_FORMAT;
	} catch (...) {
		return FL_INTERNAL;
	}
}

// deserialize_file opens path itself so that "cannot open" is told apart
// from "not a model".
template <typename T>
int deserialize_file(const char *path, T &item) {
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return FL_OPEN;
	deserialize(item, in);
	return FL_OK;
}

} // namespace

extern "C" long fl_resnet_param_count(void) {
	try {
		anet_type net;
		setup_resnet(net);
		size_t n = 0;
		for (const slot &s : input_side_first(net))
			n += slot_size(s);
		return (long)n;
	} catch (...) {
		return -1;
	}
}

extern "C" int fl_resnet_build(const float *params, size_t n, const char *out_path) {
	return guarded([&]() -> int {
		anet_type net;
		setup_resnet(net);
		std::vector<slot> slots = input_side_first(net);
		size_t need = 0;
		for (const slot &s : slots)
			need += slot_size(s);
		if (need != n)
			return FL_PARAMS;

		const float *p = params;
		for (slot &s : slots) {
			if (s.whole) {
				std::copy(p, p + s.whole->size(), s.whole->host());
				p += s.whole->size();
				continue;
			}
			auto g = s.aff->get_gamma();
			std::copy(p, p + g.size(), g.host());
			p += g.size();
			auto b = s.aff->get_beta();
			std::copy(p, p + b.size(), b.host());
			p += b.size();
		}

		std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
		if (!out)
			return FL_WRITE;
		serialize(net, out);
		out.flush();
		if (!out)
			return FL_WRITE;
		return FL_OK;
	});
}

extern "C" int fl_resnet_describe(const char *path, const unsigned char *rgb, float *out128) {
	return guarded([&]() -> int {
		anet_type net;
		int rc = deserialize_file(path, net);
		if (rc != FL_OK)
			return rc;
		matrix<rgb_pixel> img(150, 150);
		for (long r = 0; r < 150; r++)
			for (long c = 0; c < 150; c++) {
				const unsigned char *px = rgb + (r * 150 + c) * 3;
				img(r, c) = rgb_pixel(px[0], px[1], px[2]);
			}
		matrix<float, 0, 1> d = net(img);
		if (d.size() != 128)
			return FL_FORMAT;
		for (long i = 0; i < 128; i++)
			out128[i] = d(i);
		return FL_OK;
	});
}

extern "C" int fl_shape_predictor_parts(const char *path, long *parts) {
	return guarded([&]() -> int {
		shape_predictor sp;
		int rc = deserialize_file(path, sp);
		if (rc != FL_OK)
			return rc;
		*parts = (long)sp.num_parts();
		return FL_OK;
	});
}

extern "C" int fl_cnn_detector_check(const char *path) {
	return guarded([&]() -> int {
		cnn_anet_type net;
		return deserialize_file(path, net);
	});
}
