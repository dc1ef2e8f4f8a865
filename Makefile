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
	mariadb-server xdotool imagemagick webp ffmpeg time ca-certificates dpkg-dev

export LANG := en_US.UTF-8
export OPENCV_LOG_LEVEL := ERROR
export FACELOGIN_MODELS := $(MODELS_DIR)

# Each fuzz target runs this long in `make test` (every Fuzz* in the tree).
FUZZTIME ?= 10s

# Released linters, run through the module proxy at pinned versions: a
# fresh machine needs nothing installed (versions: go list -m -versions).
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOCYCLO := $(GO) run github.com/fzipp/gocyclo/cmd/gocyclo@v0.6.0
# Cyclomatic complexity allowed outside tests; .ci/complexity-exceptions
# lists the functions kept above it, each with its reason.
COMPLEXITY_LIMIT := 20

# Packages that must build and test without cgo (STYLE.md: app/, store/,
# the matcher, and the helpers they use): tested once more with
# CGO_ENABLED=0, their fuzz targets fuzzed that way too.
NOCGO_PKGS := ./app/ ./store/ ./recognition/ ./internal/adminpin/ ./internal/appdir/ \
	./internal/directory/ ./internal/testdata/ ./internal/testkit/
# Packages with goroutines (their own or their tests'), run under the race
# detector: every test of them but RACE_SKIP. No test skips itself there
# (no -short): the race stage chooses its tests here, each left out with
# its reason, and test-unit runs them all. recognition/decision, pose and
# liveness (and livenesstest) start no goroutine and are called from app/'s
# goroutines, which app/'s tests run under the detector.
RACE_PKGS := ./app/ ./camera/ ./cmd/facelogin/ ./internal/... ./recognition/ ./store/
# The real binary in its own process, built by `go build` without -race:
# the detector would watch only the test's side of the pipes (test-unit
# runs them; -race adds their minutes and finds nothing).
RACE_SKIP_BINARY := TestWindowEndToEnd|TestWindowUnreadableModels|TestKioskEndToEnd|TestSIGTERM|TestNoDisplay|TestEnrolAtOnce|TestPhotoPeakMemory|TestQuietLocale|TestWindowQuietLocale|TestDamagedVideoQuiet|TestInterruptedCheck
RACE_SKIP := ^($(RACE_SKIP_BINARY))$$
# recognition/dlib starts no goroutine; its tests that call one Engine or
# Landmarker from several goroutines (and Close against calls in flight) run
# under the detector. Its other tests are single-goroutine evaluations over
# every shared photo or video frame, mostly dlib (cgo, unseen by the
# detector) fed by Go pixel loops the detector slows 5-10x: together they ran
# past 30 minutes there (CI of 575ed4b). test-unit runs them all.
RACE_DLIB_RUN := ^(TestConcurrentRecognize|TestTrackDeterministic|TestClosedEngine|TestCloseFreesDlibObjects)$$

.PHONY: all deps models build run test test-unit test-nocgo test-race test-matprofile fuzz lint staticcheck complexity test-loaded bench bench-window test-e2e vet clean

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
	$(GO) vet -tags matprofile ./camera/
	$(GO) vet -tags debpackage ./packaging/

# lint: staticcheck (every build variant) and the complexity limit.
lint: staticcheck complexity

staticcheck:
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags matprofile ./camera/
	$(STATICCHECK) -tags debpackage ./packaging/

complexity:
	GOCYCLO="$(GOCYCLO)" bash .ci/complexity $(COMPLEXITY_LIMIT) .ci/complexity-exceptions

# test: every test, with the real models, MariaDB and Xvfb. CI=true turns
# every would-be skip into a failure.
test: models vet lint test-unit test-nocgo test-race test-matprofile fuzz test-package

# The unit stage's timeout is per package binary: recognition/dlib and
# cmd/facelogin take 20–35 min on a 2-core machine that other jobs load
# (load 20–40), 10–15 on a quiet one; 40 min was once not enough.
test-unit:
	$(GO) test -count=1 -timeout 70m ./...

test-nocgo:
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 20m $(NOCGO_PKGS)

test-race:
	$(GO) test -count=1 -race -skip '$(RACE_SKIP)' -timeout 40m $(RACE_PKGS)
	$(GO) test -count=1 -race -run '$(RACE_DLIB_RUN)' -timeout 15m ./recognition/dlib/

# test-matprofile: the camera with gocv's Mat profile on, so a leaked Mat fails.
test-matprofile:
	$(GO) test -count=1 -tags matprofile -timeout 10m ./camera/

# fuzz: every Fuzz* target in the tree for FUZZTIME each (cgo-free packages
# with CGO_ENABLED=0).
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		pkg=./$$(dirname $${f#./})/; \
		cgo=; case " $(NOCGO_PKGS) " in *" $$pkg "*) cgo=CGO_ENABLED=0;; esac; \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz: $$pkg $$t $$cgo"; \
			env $$cgo $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# test-loaded: `make test` while two CPU-bound processes keep both cores
# busy, as other jobs on a shared machine do; they are stopped however the
# tests end. Proves the suite does not depend on the machine's speed.
test-loaded:
	@pids=; for i in 1 2; do (while :; do :; done) & pids="$$pids $$!"; done; \
	trap 'kill $$pids 2>/dev/null' EXIT; \
	echo "test-loaded: CPU-bound processes$$pids running"; \
	start=$$(date +%s); rc=0; $(MAKE) test || rc=$$?; \
	echo "test-loaded: make test exited $$rc after $$(( $$(date +%s) - start )) s with both cores kept busy"; \
	exit $$rc

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
