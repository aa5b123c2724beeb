# tinydbg — `make` builds build/tinydbg; `make check` runs every test.
PKGS     := libdw libelf libpcre2-8 capstone json-c libbpf libseccomp
comma    := ,
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ifdef CI
WARN     += -Werror
endif
CPPFLAGS := -Isrc -D_GNU_SOURCE $(shell pkg-config --cflags $(PKGS))
LDLIBS   := $(shell pkg-config --libs $(PKGS)) -ldl -lpthread -lstdc++ -lm
# The tinydbg binary itself: position-dependent, with capstone linked in.
# capstone's shared library carries 1.3 MB of pointer tables for every
# architecture, relocated (so made private) at each start, and a PIE copy
# of them is relocated too: linked statically into a non-PIE binary they
# stay on disk, and only the x86 pages we touch are read. That is ~3 MB of
# tinydbg's peak memory (bench/go.sh measures it against Delve's).
BIN_LDFLAGS := -no-pie
# libstdc++ likewise: we use its demangler only, and the shared library's
# relocations and start-up cost another MB.
BIN_LDLIBS  := $(subst -lstdc++,-Wl$(comma)-Bstatic -lstdc++ -Wl$(comma)-Bdynamic,$(subst -lcapstone,-Wl$(comma)-Bstatic -lcapstone -Wl$(comma)-Bdynamic,$(LDLIBS)))
B        := build
# SAN=1: a separate build with AddressSanitizer and UBSan, for tests.
ifdef SAN
B        := build-san
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
LDLIBS   += -fsanitize=address,undefined
endif

SRCS     := $(filter-out %.bpf.c src/engine/inproc/agent/%,$(shell find src -name '*.c' | sort))
LIB_SRCS := $(filter-out src/cli/%,$(SRCS))
CLI_SRCS := $(filter src/cli/%,$(SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/obj/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/%)

.PHONY: all check check-all check-san unit test-bins e2e clean fixtures bench install
all: $(B)/tinydbg

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c $< -o $@

# The eBPF engine's program: compiled for BPF, embedded in bpfobj.c through
# a bpftool skeleton (generated in the build directory, never committed).
BPF_CLANG  ?= clang
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Isrc \
	-idirafter /usr/include/$(shell $(CC) -dumpmachine)
$(B)/bpf/%.bpf.o: src/engine/ebpf/bpf/%.bpf.c
	@mkdir -p $(dir $@)
	$(BPF_CLANG) $(BPF_CFLAGS) -MMD -MP -MT $@ -c $< -o $@
$(B)/gen/%.skel.h: $(B)/bpf/%.bpf.o
	@mkdir -p $(dir $@)
	bpftool gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@
.PRECIOUS: $(B)/bpf/%.bpf.o $(B)/gen/%.skel.h
$(B)/obj/src/engine/ebpf/bpfobj.o: $(B)/gen/capture.skel.h
$(B)/obj/src/engine/ebpf/bpfobj.o: CPPFLAGS += -I$(B)/gen

# The in-process engine's agent: freestanding code that runs inside the
# target, linked into one flat blob and embedded in inproc.c through a
# generated header. No vector registers (the trampolines save only what
# the plan reads), no libc, no absolute addresses (scripts/agent-blob.sh).
AGENT_OBJS   := $(B)/agent/engine/inproc/agent/agent.o $(B)/agent/capture/run.o
AGENT_CFLAGS := -O2 -fPIC -fvisibility=hidden -ffreestanding -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-stack-protector \
	-mgeneral-regs-only -fcf-protection=none -fno-jump-tables \
	-fno-asynchronous-unwind-tables -D_GNU_SOURCE -Isrc
$(B)/agent/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(AGENT_CFLAGS) $(WARN) -MMD -MP -c $< -o $@
$(B)/agent/agent.elf: $(AGENT_OBJS) src/engine/inproc/agent/agent.ld
	ld -static -nostdlib --no-warn-rwx-segments -T src/engine/inproc/agent/agent.ld -o $@ $(AGENT_OBJS)
$(B)/gen/agent_blob.h: $(B)/agent/agent.elf scripts/agent-blob.sh
	@mkdir -p $(dir $@)
	sh scripts/agent-blob.sh $< $@ $(AGENT_OBJS)
$(B)/obj/src/engine/inproc/setup.o: $(B)/gen/agent_blob.h
$(B)/obj/src/engine/inproc/setup.o: CPPFLAGS += -I$(B)/gen

$(B)/libtinydbg.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/tinydbg: $(CLI_OBJS) $(B)/libtinydbg.a
	$(CC) $(CFLAGS) $(BIN_LDFLAGS) -o $@ $(CLI_OBJS) $(B)/libtinydbg.a $(BIN_LDLIBS)

$(B)/unit/%: tests/unit/%.c tests/unit/check.h $(B)/libtinydbg.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(WARN) -o $@ $< $(B)/libtinydbg.a $(LDLIBS)

# The JSON-RPC transcript driver (tests/rpc/), against the real debugger.
$(B)/replay: tests/rpc/replay.c $(B)/libtinydbg.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(B)/libtinydbg.a $(LDLIBS)

unit: $(UNIT_BINS) $(B)/tinydbg

check: all $(UNIT_BINS) $(B)/replay
	bash tests/run.sh

bench: all
	bash bench/run.sh

# Everything: the unit tests on the plain build and the sanitizer build;
# the end-to-end cases on the plain build under each engine; on the
# sanitizer build the end-to-end files that reach the most code
# (SAN_E2E; the rest are the timing-heavy ones: attach loops, Ctrl-C on a
# terminal, builds, thousands of functions). PARALLEL: the other engines'
# pass runs alongside ptrace's and then the sanitizer build's (tests wait
# on children and pipes much of the time). CI runs this, in 15 minutes.
SAN_E2E := values govalues go gogen rpc fuzz input faults threads signals \
	syscalls forks formats summary stripped protos libs ifunc tailcall \
	stack stackfmt follow depth clones verbose process traceout
check-all:
	$(MAKE) test-bins
	$(MAKE) SAN=1 test-bins
	PARALLEL=1 BUILDS="build build-san" ENGINES="ptrace ebpf inproc" \
		LATER_E2E="$(SAN_E2E)" bash tests/run.sh

# The sanitizer build's end-to-end pass in full.
check-san:
	$(MAKE) SAN=1 test-bins
	BUILD=build-san bash tests/run.sh

test-bins: all $(UNIT_BINS) $(B)/replay

# make install [PREFIX=/usr/local] [DESTDIR=...]: the binary, its man page
# and its bash completion.
PREFIX ?= /usr/local
install: $(B)/tinydbg
	install -D -m 755 $(B)/tinydbg $(DESTDIR)$(PREFIX)/bin/tinydbg
	install -D -m 644 man/tinydbg.1 $(DESTDIR)$(PREFIX)/share/man/man1/tinydbg.1
	install -D -m 644 completion/tinydbg.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tinydbg

clean:
	rm -rf build build-san

-include $(shell find $(B)/obj $(B)/bpf $(B)/agent -name '*.d' 2>/dev/null)

# Fuzzing (libFuzzer, clang): its rules live beside the harnesses.
-include tests/fuzz/fuzz.mk
