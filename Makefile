# Two commands for a fresh machine: `make run` and `make test`.
# Both install what they need from Debian's apt (as root, or through sudo).

SWIFT ?= swift
CONFIG ?= config/dev.toml

# What building needs: SQLite for the store, libgpiod for the lights and buttons,
# libxkbcommon and its layouts for keyboard-wedge scanners.
BUILD_PACKAGES = libsqlite3-dev libgpiod-dev libxkbcommon-dev xkb-data libusb-1.0-0-dev libfreetype-dev fonts-wqy-microhei libqrencode-dev libpng-dev pkg-config
# What the tests need beyond the build: Python for independent checks (GBK bytes through its
# codecs, the OpenAPI document through openapi-spec-validator), systemd-analyze for the unit,
# runuser for the permission test, bash-completion to load the CLIs' Tab completion as a
# board's bash does, umockdev (with its Python bindings for the testbed that plugs and
# unplugs emulated scanners) for evdev and hidraw scanners.
# mmdebstrap and systemd-nspawn boot the installed package in a Debian root (make package-test).
TEST_PACKAGES = python3 python3-pip systemd util-linux bash-completion umockdev gir1.2-umockdev-1.0 python3-gi zbar-tools faketime openssl e2fsprogs \
	mmdebstrap systemd-container postgresql $(PACKAGING_PACKAGES)
# Debian's tooling for `make deb` (help2man writes the manual pages from --help).
PACKAGING_PACKAGES = debhelper dpkg-dev help2man lintian
# The baselines: nginx serving a file on a Unix socket (status), PostgreSQL (the district).
BENCH_PACKAGES = nginx-light postgresql

# Release builds carry the Swift runtime and Foundation inside the binary: the board needs
# no Swift libraries installed, and only the parts used are loaded (about 4 MB less
# resident memory than the shared libraries). Each function is compiled into a section of
# its own, and the linker puts those in HOT_CODE first: the functions yizhand entered in a
# traced morning at a station (scripts/hot-code), so that what a station runs sits
# together and little else is mapped around it (about 8 MB less; docs/benchmarks.md).
HOT_CODE = $(CURDIR)/.build/yizhand.hot-code
RELEASE = -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections
HOT_CODE_FIRST = -Xlinker --symbol-ordering-file=$(HOT_CODE) -Xlinker --no-warn-symbol-ordering
# Every product is linked with the ordering (in the other programs it puts first the few
# functions they share with yizhand): SwiftPM plans the whole build again, 10–50 s here,
# each time the flags differ from the last build's.
SHIPPED = $(RELEASE) $(HOT_CODE_FIRST)

SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The one version: VERSION, unless given (`make deb VERSION=1.2.3`). Written into
# .build/version.h, which the build compiles in (Sources/CVersion), only when it changes.
VERSION ?= $(shell cat VERSION)
ARCH = $(shell dpkg --print-architecture)

.PHONY: run test test-ready tests-beside-release devices-beside-fuzz test-runs device-tests deb package-test kernel-test \
	soak fuzz fuzz-build fuzz-run bench bench-compile build build-tests release release-compile deps test-deps lint format clean

run: build
	.build/debug/yizhand --config $(CONFIG)

# What the tests need besides the build is made while it compiles (the two at once): on a
# fresh machine mostly downloads and installs, which would otherwise leave the cores idle.
# The executors' tests, whose sleeps are timed to the millisecond, run first and alone.
# The other tests leave most of a core idle (they wait on their daemons and the kernel):
# the compiles still to do, the release build's (with the bench's after it) and the
# fuzzer's, run beside them at the lowest priority, so they take only what the tests leave.
# A test that fails is reported when the compile beside it has ended.
test: deps lint
	$(MAKE) -j2 build-tests test-ready
	$(TESTS) --filter YizhanExecutorsTests
	$(MAKE) -j2 tests-beside-release
	$(MAKE) -j2 devices-beside-fuzz
	$(MAKE) fuzz-run FUZZ_SEED=1

tests-beside-release: test-runs bench-compile
devices-beside-fuzz: device-tests fuzz-build
tests-beside-release devices-beside-fuzz: BESIDE = nice -n 19

# The test build, run as `swift test --skip-build` runs it off a terminal (all its tests
# are Swift Testing's), but without SwiftPM, which would wait for the release build's lock
# on .build.
TESTS = NO_COLOR=1 .build/debug/yizhanPackageTests.xctest --testing-library swift-testing
# The end-to-end tests wait for their daemons and commands by blocking a thread of the
# runtime's global pool, which has one thread a core: two of them can hold all of it for a
# minute, and every timer the other tests' services sleep on waits with it (a lights retry
# once missed a 60 s bound so). So the unit tests run in a process of their own first.
test-runs:
	$(TESTS) --parallel --skip YizhanExecutorsTests --skip EndToEndTests
	$(TESTS) --parallel --filter EndToEndTests

# The package and the kernel, each under a real init; the kernel test on the build the
# package test has just packaged: `make release` again could relink yizhand in another
# order (its trace of a morning can differ) and test other bytes than the package's. Last,
# the package itself on the emulated board, booted by systemd, its devices plugged in
# under the unit.
device-tests:
	$(MAKE) package-test
	scripts/kernel-test .build/release
	scripts/kernel-test --power-cut .build/release
	scripts/kernel-test --unit dist/yizhan_$(VERSION)_$(ARCH).deb

# The package under a real systemd: an older build and this one, as packages, installed,
# upgraded, removed and purged by apt in a Debian 12 root booted with systemd-nspawn (the
# root is made once and cached under .build/boot). The older build differs only in its
# version: a relink each, not a second build; its packages are not compressed. No
# debug-symbol packages here, to save time.
PREVIOUS = $(VERSION)~previous
package-test: export DEB_BUILD_OPTIONS = noautodbgsym
package-test: test-deps
	$(MAKE) deb VERSION='$(PREVIOUS)' DEB_COMPRESSION=none
	$(MAKE) deb
	scripts/package-test '$(VERSION)' '$(PREVIOUS)'

# The devices whose kernel drivers this machine lacks: the lights, buzzer and button through
# libgpiod on a GPIO chip, a keyboard-wedge scanner through evdev (uinput), HID POS and
# CDC-ACM scanners (usbhid, cdc_acm), a USB printer the kernel's usblp driver takes, the
# package's udev rules under Debian's udevd, and a wall clock set late (a board without a
# real-time clock).
# Debian 12's kernel booted in QEMU with gpio-sim built for it and the kernel's own USB
# gadgets, running the release build that `make deb` packages (scripts/kernel-test; the
# kernel and initramfs are kept in .build/kernel). Then the power cut: the state on a disk
# of the emulated machine's, QEMU killed mid-storm, three times (YIZHAN_POWER_CUTS). Last,
# the package on that machine booted by systemd, its devices plugged in under the unit.
kernel-test: test-deps deb
	scripts/kernel-test .build/release
	scripts/kernel-test --power-cut .build/release
	scripts/kernel-test --unit dist/yizhan_$(VERSION)_$(ARCH).deb

# Debian's packages for the tests, the kernel test's kernel and initramfs, and the package
# test's Debian root: each kept, and made again only when what it is made from changes.
test-ready: test-deps
	scripts/kernel-test --prepare
	scripts/package-test --prepare

# Longer: a hundred crash rounds, twenty power cuts and five minutes a fuzz target.
soak: test-deps build-tests release
	YIZHAN_CRASH_ROUNDS=100 YIZHAN_CRASH_SEED=$$(date +%s) $(SWIFT) test --skip-build --filter CrashTests
	YIZHAN_POWER_CUTS=20 scripts/kernel-test --power-cut .build/release
	$(MAKE) fuzz FUZZ_SECONDS=300

# libFuzzer through the toolchain's -sanitize=fuzzer, in a build folder of its own; each
# target runs from its committed corpus in Fuzz/corpus for FUZZ_SECONDS.
FUZZ_SECONDS = 10
FUZZ_SEED = 0
FUZZ_TARGETS = scan-code line-framer key-events hid-pos printer-status config request-body chunked-answer
fuzz: fuzz-build
	$(MAKE) fuzz-run

# The targets run on the fuzz build as it is: `make test` makes it beside the device tests.
fuzz-run:
	FUZZ_SEED=$(FUZZ_SEED) scripts/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# `make test` builds it beside the package and kernel tests (BESIDE).
fuzz-build: deps
	$(BESIDE) $(SWIFT) build --build-path .build/fuzz -c release -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING --product yizhan-fuzz

# Figures, not pass/fail: each printed beside its baseline from the same run.
# The memory part's baseline for the code layout is the same build linked in the linker's
# own order (yizhand-linker-order); the ordered yizhand is put back as it was.
bench: release
	@scripts/apt-ensure $(BENCH_PACKAGES)
	$(SWIFT) build $(SHIPPED) --product yizhan-bench
	cp -p .build/release/yizhand .build/yizhand.hot-code-first
	rm .build/release/yizhand && $(SWIFT) build $(RELEASE) --product yizhand
	mv .build/release/yizhand .build/release/yizhand-linker-order
	mv .build/yizhand.hot-code-first .build/release/yizhand
	stdbuf -oL .build/release/yizhan-bench

build: deps
	$(SWIFT) build

# With the compiler's index, which SwiftPM's test discovery reads: building without it (but
# for the test targets) took as long here, 11 min 56 s either way.
build-tests: deps
	$(SWIFT) build --build-tests

deps:
	@scripts/apt-ensure $(BUILD_PACKAGES)
	@scripts/stamp-version '$(VERSION)'

test-deps: deps
	@scripts/apt-ensure $(TEST_PACKAGES)
	@python3 -c 'import openapi_spec_validator' 2>/dev/null || python3 -m pip install --quiet openapi-spec-validator \
		|| python3 -m pip install --quiet --break-system-packages openapi-spec-validator

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

# The board's two programs only: the bench and the district office's CLI are built when wanted.
# yizhand is linked, traced through a morning at a station (which also checks the release
# build: a daemon that fails it fails the build), and linked again when the trace changed
# what it entered. A machine that cannot trace (not x86-64, or no ptrace) keeps the order it has.
release: release-compile
	$(SWIFT) build $(SHIPPED) --product yizhanctl
	@scripts/hot-code .build/release/yizhand .build/release/yizhanctl $(HOT_CODE) || [ $$? = 2 ]
	@if [ $(HOT_CODE) -nt .build/release/yizhand ]; then \
		rm .build/release/yizhand && $(SWIFT) build $(SHIPPED) --product yizhand; fi

# yizhand's compile: `make test` runs it beside the tests (BESIDE).
release-compile: deps
	@[ -e $(HOT_CODE) ] || : >$(HOT_CODE)
	$(BESIDE) $(SWIFT) build $(SHIPPED) --product yizhand

# The bench as `make bench` builds it, after yizhand, whose modules it shares: `make test`
# builds it so that a change that breaks it fails there (it once went a day unlinkable),
# though only `make bench` runs it.
bench-compile: release-compile
	$(BESIDE) $(SWIFT) build $(SHIPPED) --product yizhan-bench

# The packages a technician installs with `apt install ./dist/yizhan_<version>_<arch>.deb`:
# the board's two programs in one, the district office's in another (debian/).
deb: release
	@scripts/apt-ensure $(PACKAGING_PACKAGES)
	$(SWIFT) build $(SHIPPED) --product yizhan-district
	scripts/make-deb '$(VERSION)'

clean:
	rm -rf .build var dist
