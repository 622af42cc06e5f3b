# Two commands for a fresh machine: `make run` and `make test`.
# Both install what they need from Debian's apt (as root, or through sudo).

SWIFT ?= swift
CONFIG ?= config/dev.toml
PREFIX ?= /usr/local
DESTDIR ?=

# What building needs: SQLite for the store.
BUILD_PACKAGES = libsqlite3-dev pkg-config
# What the tests need beyond the build: Python for the independent checks of slip bytes.
TEST_PACKAGES = python3

SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test build build-tests deps test-deps lint format clean

run: build
	.build/debug/yizhand --config $(CONFIG)

test: test-deps lint build-tests
	$(SWIFT) test --skip-build --parallel

build: deps
	$(SWIFT) build

build-tests: deps
	$(SWIFT) build --build-tests

deps:
	@scripts/apt-ensure $(BUILD_PACKAGES)

test-deps: deps
	@scripts/apt-ensure $(TEST_PACKAGES)

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build var
