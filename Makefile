# torchshim — build, test, install.
#
#   make                 build build/torchshim (front end) and build/torchshim-engine
#   make check           build and run every test (unit, shell, end to end)
#   make SAN=1 check     the same with AddressSanitizer + UBSan (separate build dir)
#   make check-san       unit, shell and fault tests under ASan + UBSan (CI runs it)
#   make install PREFIX=~/.local DESTDIR=
#   make bench           hyperfine benchmarks, then the download comparison
#                        (bench/README.md; BENCH_DOWNLOAD=0 skips the latter)
#
# The front end (shim/) links libc only: it runs for every pip/conda call.
# The engine (src/) links libuv, cJSON, inih, libyaml, msgpack, zlib and
# libcrypto, loads libcurl and libarchive when it first needs them (LAZY_PKGS),
# and runs only when a command installs PyTorch packages or for torchshim's
# own commands.

PREFIX  ?= $(HOME)/.local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
LIBEXEC  = $(PREFIX)/libexec/torchshim
DATADIR  = $(PREFIX)/share/torchshim
MANDIR   = $(PREFIX)/share/man/man1
VERSION  = 0.1.0

CC      ?= cc
PKG_CONFIG ?= pkg-config
ENGINE_PKGS = libcurl libarchive libcjson libuv inih yaml-0.1 msgpack zlib libcrypto
TEST_PKGS   = cmocka

ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      = -O1 -g
else
BUILD   ?= build
SANFLAGS =
OPT      = -O2 -g
endif

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral -Wvla
CPPFLAGS += -D_GNU_SOURCE -DTORCHSHIM_VERSION='"$(VERSION)"' -DTORCHSHIM_DATADIR_FALLBACK='"$(DATADIR)"' \
            -Ishim $(addprefix -I,$(SRC_DIRS))
CFLAGS  ?= $(OPT)
CFLAGS  += -std=c11 $(WARN) $(SANFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)

# Loaded on first use (dlopen: src/net/curllib.h, archlib.h), not at the
# engine's start: compiled against, never linked (the unit tests link them
# for their own use).
LAZY_PKGS   = libcurl libarchive

ENGINE_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(ENGINE_PKGS) 2>/dev/null)
ENGINE_LIBS   := $(shell $(PKG_CONFIG) --libs $(filter-out $(LAZY_PKGS),$(ENGINE_PKGS)) 2>/dev/null)
TEST_CFLAGS   := $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS     := $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) $(LAZY_PKGS) 2>/dev/null)

# The layers, in the order data flows through them (README: How it works):
#   shim/        the front end: argv -> classify -> exec (libc only)
#   src/common/  libc-only code the front end and the engine share: messages,
#                argv vectors, files, the engine protocol, PATH lookup,
#                command-line scanning and pip's option table
#   src/cmd/     the engine's main and its commands (the only layer that prints
#                and decides what happens next)
#   src/core/    configuration, URL recognition, outcomes
#   src/plan/    the install plan: tool, platform, Python, variant, what the
#                mirror offers (torchshim install / resolve)
#   src/machine/ GPU, driver, Python detection and their tables
#   src/pip/     pip: command, requirements, PEP 440/508, wheels, listings, pins
#   src/conda/   conda: command, match specs, repodata, build selection
#   src/net/     fetch (libcurl multi on libuv), cache, decompression, probes
SRC_DIRS    = src/common src/cmd src/core src/plan src/machine src/pip src/conda src/net
FRONT_MAIN  = shim/main.c
FRONT_SRCS  = $(wildcard shim/*.c) $(wildcard src/common/*.c)
ENGINE_MAIN = src/cmd/engine.c
LIB_SRCS    = $(filter-out $(ENGINE_MAIN),$(wildcard $(addsuffix /*.c,$(SRC_DIRS))))
TEST_SRCS   = $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
FRONT_OBJS  = $(call obj,$(FRONT_SRCS))
LIB_OBJS    = $(call obj,$(LIB_SRCS))
TESTS       = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

FRONT  = $(BUILD)/torchshim
ENGINE = $(BUILD)/torchshim-engine

all: $(FRONT) $(ENGINE)

$(BUILD)/shim/%.o: shim/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/src/common/%.o: src/common/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(ENGINE_CFLAGS) -c -o $@ $<

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(ENGINE_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/libtorchshim.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FRONT): $(FRONT_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^

$(ENGINE): $(call obj,$(ENGINE_MAIN)) $(BUILD)/libtorchshim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(ENGINE_LIBS) $(LDLIBS)

# unit tests link the front end's modules too (classify.c)
$(BUILD)/libfront.a: $(call obj,$(filter-out $(FRONT_MAIN) src/common/%,$(FRONT_SRCS)))
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libfront.a $(BUILD)/libtorchshim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(ENGINE_LIBS) $(TEST_LIBS) $(LDLIBS)

tests: $(TESTS)

# The runner prints one closing line: "N passed, N failed".
check: all tests
	BUILD=$(BUILD) tests/run.sh

# The suite again under AddressSanitizer + UBSan (build-san/): the unit
# tests, the shell specs and the fault matrix (CI runs it after `make check`).
check-san:
	$(MAKE) SAN=1 all tests
	BUILD=build-san TESTS_ONLY="unit bats fault" tests/run.sh

BENCH_DOWNLOAD ?= 1
bench: all
	BUILD=$(BUILD) bench/run.sh
	BUILD=$(BUILD) bench/conda-forge.sh
ifneq ($(BENCH_DOWNLOAD),0)
	BUILD=$(BUILD) bench/download.sh
endif

# make fuzz: libFuzzer harnesses (tests/fuzz/), see tests/fuzz/fuzz.mk.
-include tests/fuzz/fuzz.mk

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(DATADIR) \
	           $(DESTDIR)$(DATADIR)/init $(DESTDIR)$(MANDIR)
	install -m 0755 $(FRONT) $(DESTDIR)$(BINDIR)/torchshim
	install -m 0755 $(ENGINE) $(DESTDIR)$(LIBEXEC)/torchshim-engine
	install -m 0644 $(wildcard config/*.ini config/*.tsv) $(DESTDIR)$(DATADIR)/
	$(if $(wildcard shim/init/*),install -m 0644 $(wildcard shim/init/*) $(DESTDIR)$(DATADIR)/init/)
	install -m 0644 doc/torchshim.1 $(DESTDIR)$(MANDIR)/torchshim.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/torchshim $(DESTDIR)$(LIBEXEC)/torchshim-engine \
	      $(DESTDIR)$(MANDIR)/torchshim.1
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(LIBEXEC)

clean:
	rm -rf build build-san

.PHONY: all tests check check-san bench install uninstall clean
# keep test objects: they are not throwaway intermediates
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
