# Face Login. On a fresh Debian 12 machine `make run` and `make test` are the
# only commands to type: each installs what is missing first.

SHELL := /bin/bash
GO ?= go
BIN := bin/facelogin

# Where the three dlib models live (the app's default is the same XDG path).
XDG_DATA_HOME ?= $(HOME)/.local/share
MODELS_DIR ?= $(XDG_DATA_HOME)/facelogin/models
# The CNN face detector is the one model no Debian or npm package ships:
# copied from here when present (tests use the shared test data); online
# users get it from dlib.net instead (`facelogin models install --online`).
CNN_MODEL ?= $(wildcard $(CURDIR)/../shared/testdata/models/mmod_human_face_detector.dat)
# A known photo for `models verify --image` (the whole pipeline), when present.
VERIFY_IMAGE ?= $(wildcard $(CURDIR)/../shared/testdata/faces/elkie.jpg)

# Debian packages the build, the tests and the app need.
APT_PACKAGES := pkg-config libopencv-dev libdlib-dev libdlib-data libatlas-base-dev \
	libopenblas0-pthread libjpeg62-turbo-dev libgl1-mesa-dev xorg-dev xvfb xauth \
	mariadb-server xdotool imagemagick ffmpeg ca-certificates dpkg-dev

export LANG := en_US.UTF-8
export OPENCV_LOG_LEVEL := ERROR
export FACELOGIN_MODELS := $(MODELS_DIR)

FUZZTIME ?= 20s

.PHONY: all deps models build run test test-unit test-race fuzz bench bench-window test-e2e vet clean

all: build

# deps: install the Debian packages that are missing (idempotent; a no-op
# when all are present) and make OpenBLAS the BLAS dlib resolves at run time.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done; \
		command -v npm >/dev/null || echo nodejs npm); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing:" $$missing; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	else echo "deps: all Debian packages present"; fi
	@blas=$$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3); \
	case "$$blas" in *openblas*) ;; *) \
		echo "deps: selecting OpenBLAS for libblas.so.3 (was $$blas)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu \
			/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ;; esac
	@command -v $(GO) >/dev/null || { echo "deps: Go is missing: install Go 1.21 or newer from go.dev (go.mod then fetches Go 1.26 itself)"; exit 1; }

build: deps
	$(GO) build -o $(BIN) ./cmd/facelogin

# models: install the three dlib models into MODELS_DIR without dlib.net
# (68-point predictor from libdlib-data, ResNet rebuilt from the face-api
# npm package, CNN detector copied from CNN_MODEL), then verify them.
models: build
	$(BIN) models install --dir "$(MODELS_DIR)" $(if $(CNN_MODEL),--cnn-model "$(CNN_MODEL)")
	$(BIN) models verify --dir "$(MODELS_DIR)" $(if $(VERIFY_IMAGE),--image "$(VERIFY_IMAGE)")

run: models
	$(BIN) --models "$(MODELS_DIR)" $(ARGS)

vet:
	$(GO) vet ./...

# test: every test, with the real models, MariaDB and Xvfb. CI=true turns
# every would-be skip into a failure.
test: models vet test-unit test-race fuzz test-package

test-unit:
	$(GO) test -count=1 -timeout 40m ./...

test-race:
	$(GO) test -count=1 -race -timeout 20m ./app/ ./camera/ ./recognition/

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeImage$$' -fuzztime $(FUZZTIME) ./recognition/

bench: models
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 60m ./...

# bench-window: the window's README figures, measured on the real binary in a
# real window on Xvfb: cold start, displayed fps, overlay Hz, login decision time.
bench-window: models
	$(GO) test -count=1 -run '^$$' -bench '^BenchmarkWindow' -benchtime 10x -timeout 20m ./cmd/facelogin/

# test-e2e: only the real-window end-to-end tests (screenshots and logs in testoutput/).
test-e2e: models
	$(GO) test -count=1 -v -run '^TestWindow(EndToEnd|UnreadableModels)$$|^TestKioskEndToEnd$$' -timeout 10m ./cmd/facelogin/

clean:
	rm -rf bin

# --- packaging ---
# package: dist/facelogin_VERSION_amd64.deb (nfpm) and Fyne's
# dist/facelogin-VERSION-linux-amd64.tar.xz, from a binary built for any
# x86-64-v2 CPU: packaging/portable-gcc and portable-g++ turn go-face's
# -march=native into -march=x86-64-v2. A different CC/CXX misses every cgo
# entry of the Go cache, so the package build keeps its own cache, outside
# the repository and between runs (cold: minutes; warm: seconds).
# fyne package rewrites FyneApp.toml (Build+1, comments dropped) every run:
# the recipe puts the committed file back.
# The staged predictor is a link to libdlib-data's file, as in the .deb, so
# `models install` keeps it instead of copying 100 MB.
# test-package: inspect, install (root), run, purge; see packaging/deb_test.go.
PKG_VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
PKG_STAGE := build/package
PKG_BIN := $(PKG_STAGE)/facelogin
PKG_MODELS := $(PKG_STAGE)/models
PKG_DEB := dist/facelogin_$(PKG_VERSION)_amd64.deb
PKG_TARXZ := dist/facelogin-$(PKG_VERSION)-linux-amd64.tar.xz
PKG_GOCACHE ?= $(HOME)/.cache/facelogin-pkg-gocache
# The wrappers are copied to a fixed path first: the Go cache keys cgo
# entries on CC/CXX as written, so a path inside each fresh clone would make
# every CI run a cold ~11-minute build.
PKG_CCDIR ?= $(HOME)/.cache/facelogin-pkg-cc
PKG_CC := $(PKG_CCDIR)/portable-gcc
PKG_CXX := $(PKG_CCDIR)/portable-g++
NFPM := $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
FYNE := $(GO) run fyne.io/tools/cmd/fyne@v1.7.4

.PHONY: package test-package

package: deps
	@test -n "$(PKG_VERSION)" || { echo "package: no Version in FyneApp.toml"; exit 1; }
	@test -n "$(CNN_MODEL)" || { echo "package: set CNN_MODEL=/path/to/mmod_human_face_detector.dat (shipped in the .deb)"; exit 1; }
	mkdir -p $(PKG_MODELS) dist
	mkdir -p $(PKG_CCDIR)
	cmp -s packaging/portable-gcc $(PKG_CC) || install -m 755 packaging/portable-gcc $(PKG_CC)
	ln -sfn portable-gcc $(PKG_CXX)
	GOCACHE="$(PKG_GOCACHE)" CC="$(PKG_CC)" CXX="$(PKG_CXX)" \
		$(GO) build -trimpath -ldflags "-X main.version=$(PKG_VERSION)" -o $(PKG_BIN) ./cmd/facelogin
	ln -sfn /usr/share/dlib/shape_predictor_68_face_landmarks.dat $(PKG_MODELS)/shape_predictor_5_face_landmarks.dat
	$(PKG_BIN) models install --dir "$(PKG_MODELS)" --cnn-model "$(CNN_MODEL)"
	$(PKG_BIN) models verify --dir "$(PKG_MODELS)"
	rm -f dist/facelogin_*.deb dist/facelogin-*.tar.xz
	FACELOGIN_VERSION=$(PKG_VERSION) $(NFPM) package --config packaging/nfpm.yaml --packager deb --target $(PKG_DEB)
	rm -f "Face Login.tar.xz"
	cp FyneApp.toml $(PKG_STAGE)/FyneApp.toml.orig
	$(FYNE) package -os linux --exe $(PKG_BIN); rc=$$?; \
		cp $(PKG_STAGE)/FyneApp.toml.orig FyneApp.toml; exit $$rc
	mv "Face Login.tar.xz" $(PKG_TARXZ)
	@ls -l $(PKG_DEB) $(PKG_TARXZ)

test-package: package build
	$(GO) vet -tags debpackage ./packaging/
	FACELOGIN_DEB="$(CURDIR)/$(PKG_DEB)" FACELOGIN_TARXZ="$(CURDIR)/$(PKG_TARXZ)" \
	FACELOGIN_NATIVE_BIN="$(CURDIR)/$(BIN)" FACELOGIN_VERSION=$(PKG_VERSION) \
		$(GO) test -tags debpackage -count=1 -v -timeout 20m ./packaging/
