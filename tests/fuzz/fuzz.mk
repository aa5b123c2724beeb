# Fuzzing: libFuzzer harnesses for the entry points that read untrusted input
# (tests/fuzz/fuzz_{elf,dwarf,json}.c). Included by the Makefile.
#
#   make fuzz-build                 the three harnesses, in build-fuzz/
#   make fuzz-smoke                 each for FUZZ_SMOKE_TIME s (10) from its
#                                   seeds: one line "fuzz NAME: ok" each
#   make fuzz FUZZ_TIME=600         each for FUZZ_TIME s, keeping the corpus
#                                   it grows in build-fuzz/work/NAME/
#   make fuzz-NAME / fuzz-smoke-NAME   one harness
#
# The library is built again with clang, ASan, UBSan and libFuzzer's
# coverage into build-fuzz/obj/. Seeds are generated from the fixtures into
# build-fuzz/corpus/NAME/ (tests/fuzz/seeds.sh). A crash leaves its input
# in build-fuzz/crash/; once fixed, keep it in tests/fuzz/regress/NAME/ (a
# seed from then on). Needs libFuzzer: Debian's libclang-rt-dev.
FZ           := build-fuzz
FUZZ_CC      ?= clang
FUZZ_CFLAGS  ?= -O1 -g -fno-omit-frame-pointer
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_NAMES   := elf dwarf json
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FZ)/fuzz_%)
# The modules the harnesses reach (the debugger, engine, server and client
# are not linked in): less to build, and no sanitizer build of the rest.
FUZZ_LIB_DIRS := src/base src/sym src/proto src/arch src/value src/api src/rpc
FUZZ_LIB_SRCS := $(filter $(FUZZ_LIB_DIRS:%=%/%),$(LIB_SRCS))
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FZ)/obj/%.o)
FUZZ_TIME    ?= 600
FUZZ_SMOKE_TIME ?= 10
# What every run gets: a unit slower than this is a failure (a hang).
FUZZ_ARGS    ?= -timeout=25 -rss_limit_mb=2560 -print_final_stats=0
FUZZ_DWARF_BASE := $(FZ)/seed/dwarf-base
FUZZ_FIXTURES := $(wildcard tests/fixtures/c/* tests/fixtures/sym/*) \
		 $(wildcard tests/rpc/*.rpc tests/fuzz/seeds/json/*) \
		 $(shell find tests/fuzz/regress -type f 2>/dev/null)

.PHONY: fuzz-build fuzz-smoke fuzz fuzz-clean fuzz-seeds \
	$(FUZZ_NAMES:%=fuzz-%) $(FUZZ_NAMES:%=fuzz-smoke-%)

fuzz-build: $(FUZZ_BINS) $(FZ)/corpus/.stamp

# Other people's code: their warnings are not -Werror'd by clang here.
$(FZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		$(filter-out -Werror,$(WARN)) -MMD -MP -c $< -o $@

$(FZ)/libtinydbg.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FZ)/fuzz_%.o: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_sym.h tests/fuzz/dwsec.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) $(FUZZ_SAN) \
		-fsanitize=fuzzer-no-link $(WARN) \
		-DFUZZ_DWARF_BASE='"$(FUZZ_DWARF_BASE)"' -MMD -MP -c $< -o $@

# The executable fuzz_dwarf puts its inputs' DWARF into (.incbin'd).
$(FZ)/fuzz_dwarf.o: $(FUZZ_DWARF_BASE)
$(FUZZ_DWARF_BASE): tests/fixtures/sym/symfix.c
	@mkdir -p $(dir $@)
	gcc -g -O2 -fPIE -pie -o $@ $<

$(FZ)/fuzz_%: $(FZ)/fuzz_%.o $(FZ)/libtinydbg.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

$(FZ)/dwseed: tests/fuzz/dwseed.c tests/fuzz/dwsec.h
	@mkdir -p $(dir $@)
	$(CC) -O2 $(WARN) -o $@ $<

fuzz-seeds: $(FZ)/corpus/.stamp
$(FZ)/corpus/.stamp: tests/fuzz/seeds.sh $(FZ)/dwseed $(FUZZ_FIXTURES)
	bash tests/fuzz/seeds.sh $(FZ) $(FZ)/dwseed
	@touch $@

# fuzz_run NAME SECONDS WORKDIR: fuzzes from the seeds (and WORKDIR, where
# new inputs go); prints one line; on a crash, the log's end and the input.
define fuzz_run
	@mkdir -p $(3) $(FZ)/crash $(FZ)/log
	@if timeout -k 5 $$(($(2) + 60)) $(FZ)/fuzz_$(1) $(FUZZ_ARGS) \
		-max_total_time=$(2) -artifact_prefix=$(FZ)/crash/$(1)- \
		$(if $(wildcard tests/fuzz/$(1).dict),-dict=tests/fuzz/$(1).dict) \
		$(3) $(FZ)/corpus/$(1) >$(FZ)/log/$(1).log 2>&1; then \
		echo "fuzz $(1): ok ($$(grep -Eo '^#[0-9]+' $(FZ)/log/$(1).log | tail -1 | tr -d '#') runs)"; \
	else \
		tail -40 $(FZ)/log/$(1).log >&2; \
		echo "fuzz $(1): FAILED (log: $(FZ)/log/$(1).log; input: $$(ls -t $(FZ)/crash/$(1)-* 2>/dev/null | head -1))" >&2; \
		exit 1; \
	fi
endef

fuzz-smoke: $(FUZZ_NAMES:%=fuzz-smoke-%)
fuzz: $(FUZZ_NAMES:%=fuzz-%)

$(FUZZ_NAMES:%=fuzz-smoke-%): fuzz-smoke-%: $(FZ)/fuzz_% $(FZ)/corpus/.stamp
	@rm -rf $(FZ)/smoke/$*
	$(call fuzz_run,$*,$(FUZZ_SMOKE_TIME),$(FZ)/smoke/$*)

$(FUZZ_NAMES:%=fuzz-%): fuzz-%: $(FZ)/fuzz_% $(FZ)/corpus/.stamp
	$(call fuzz_run,$*,$(FUZZ_TIME),$(FZ)/work/$*)

fuzz-clean:
	rm -rf $(FZ)
clean: fuzz-clean

-include $(shell find $(FZ) -name '*.d' 2>/dev/null)
.SECONDARY: $(FUZZ_NAMES:%=$(FZ)/fuzz_%.o)
