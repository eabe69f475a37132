# tests/fuzz/fuzz.mk — libFuzzer harnesses; included by the top Makefile.
#
#   make fuzz                 build the harnesses and run each target for
#                             FUZZ_SECONDS (default 300); findings go to
#                             $(BUILD)/fuzz/crashes/<target>/
#   make fuzz-build           only build $(BUILD)/fuzz/fuzz_<target>
#   make fuzz FUZZ_TARGETS="listing config" FUZZ_SECONDS=60
#
# The harnesses (tests/fuzz/fuzz_<target>.c) and the src/ files they need are
# compiled with clang (FUZZ_CC), -fsanitize=fuzzer,address,undefined, into
# $(BUILD)/fuzz/obj/ (not the gcc objects); the src/ objects go into one
# archive, so each harness links only what it uses. Corpora: the seeds in
# tests/fuzz/corpus/<target>/ (read only) plus $(BUILD)/fuzz/corpus/<target>/
# (what the runs found). tests/fuzz/regress/<target>/ holds inputs that once
# crashed: tests/fuzz/run-short replays them.
# Needs clang with its libFuzzer runtime (Debian: clang-14, libclang-rt-14-dev).

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= repodata listing pep440 pep508 wheelname matchspec reqfile config
FUZZ_DIR      = $(BUILD)/fuzz
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -O1 -g $(filter-out -Werror,$(WARN)) $(FUZZ_SAN) -MMD -MP
# libFuzzer's own flags for every run
FUZZ_RUNFLAGS = -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1

# the engine's library without its commands (src/cmd/): no harness needs them
FUZZ_LIB_OBJS = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(filter-out src/cmd/%,$(LIB_SRCS)))
FUZZ_UTIL_OBJ = $(FUZZ_DIR)/obj/tests/fuzz/fuzz_util.o
FUZZ_BINS     = $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))

$(FUZZ_LIB_OBJS): $(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(ENGINE_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/obj/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(ENGINE_CFLAGS) \
	    -DTORCHSHIM_FUZZ_DEFAULTS='"$(CURDIR)/config/torchshim.ini"' -c -o $@ $<

$(FUZZ_DIR)/libtorchshim-fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_UTIL_OBJ) $(FUZZ_DIR)/libtorchshim-fuzz.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(ENGINE_LIBS) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# Every target runs (a finding in one does not stop the others); the exit
# status says whether any found something.
fuzz: fuzz-build
	@failed=""; \
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crashes/$$t; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_DIR)/fuzz_$$t $(FUZZ_RUNFLAGS) -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix=$(FUZZ_DIR)/crashes/$$t/ \
	        $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t 2>&1 | tail -n 40 \
	        >$(FUZZ_DIR)/$$t.log; \
	    if grep -qE '^(==[0-9]+==ERROR|SUMMARY:|.*ALARM|.*libFuzzer: (deadly|out-of-memory|fuzz target exited|timeout))' \
	        $(FUZZ_DIR)/$$t.log || ! grep -q '^Done [0-9]* runs' $(FUZZ_DIR)/$$t.log; then \
	        failed="$$failed $$t"; echo "fuzz: $$t: FINDING (see $(FUZZ_DIR)/$$t.log, $(FUZZ_DIR)/crashes/$$t/)"; \
	    else \
	        grep -E '^stat::number_of_executed_units|^Done' $(FUZZ_DIR)/$$t.log | sed "s/^/fuzz: $$t: /"; \
	    fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: findings in:$$failed"; exit 1; fi

.PHONY: fuzz fuzz-build
