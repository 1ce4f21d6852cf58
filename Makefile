# Thin wrappers around Meson + Ninja.  `make run` and `make check` are the
# two commands of the README; both install missing Debian packages first.
PREFIX ?= /usr/local
# /etc whatever the prefix: the commands read /etc/orthrus/kdc.conf.
SYSCONFDIR ?= /etc
DESTDIR ?=
BUILD := build
ASAN := build-asan
FUZZ := build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps build run check test-release test-asan test-fuzz fuzz bench install clean

all: build

deps:
	@sh tools/deps.sh

# -Werror only where we choose the compiler: `make check` (what CI runs)
# builds with werror=true; a user's `make` and `make install` do not (the
# meson default is werror=false), so that a newer compiler's new warning
# does not break their build.
WERROR := -Dwerror=true

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release --prefix=$(PREFIX) --sysconfdir=$(SYSCONFDIR)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(ASAN)/build.ninja:
	meson setup $(ASAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false $(WERROR)

$(FUZZ)/build.ninja:
	CC=clang meson setup $(FUZZ) --buildtype=debugoptimized -Dfuzz=true \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dinterop=false $(WERROR)

run: deps build
	@sh tools/demo.sh $(BUILD)/orthrus

# Every test in the release build, the unit and interop tests again under
# ASan+UBSan, and the fuzz corpus replay; then one summary line.
check: deps
	@rm -f $(BUILD)/meson-logs/testlog.json $(ASAN)/meson-logs/testlog.json $(FUZZ)/meson-logs/testlog.json
	-@$(MAKE) --no-print-directory test-release
	-@$(MAKE) --no-print-directory test-asan
	-@$(MAKE) --no-print-directory test-fuzz
	@python3 tools/summarize.py $(BUILD)/meson-logs/testlog.json \
	  $(ASAN)/meson-logs/testlog.json $(FUZZ)/meson-logs/testlog.json

test-release: $(BUILD)/build.ninja
	meson configure $(BUILD) $(WERROR)
	ninja -C $(BUILD)
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

test-asan: $(ASAN)/build.ninja
	meson configure $(ASAN) $(WERROR)
	ninja -C $(ASAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  meson test -C $(ASAN) --print-errorlogs --num-processes 2

# The replay of the committed corpora (fuzz/replay.sh), same sanitizer
# options as test-asan: every finding aborts, leaks included.
test-fuzz: $(FUZZ)/build.ninja
	meson configure $(FUZZ) $(WERROR)
	ninja -C $(FUZZ)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  meson test -C $(FUZZ) --print-errorlogs --suite fuzz --num-processes 2

# Long fuzzing: each harness FUZZ_SECONDS seconds.
fuzz: deps $(FUZZ)/build.ninja
	ninja -C $(FUZZ)
	@sh fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS)

bench: deps build
	@bash bench/run.sh $(BUILD)

# The command, liborthrus.so (+ headers, orthrus.pc), the manual, an
# example /etc/orthrus/kdc.conf (kept when one exists) and
# orthrus-kdc.service.  sysconfdir is given again with the prefix: meson
# resets it to PREFIX/etc when the prefix is set.  Into the live system (no DESTDIR, as root): the
# linker cache is refreshed so that applications find liborthrus.so.0.
install: $(BUILD)/build.ninja
	meson configure $(BUILD) -Dprefix=$(PREFIX) -Dsysconfdir=$(SYSCONFDIR)
	ninja -C $(BUILD)
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]; then ldconfig; fi

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
