# minibt: a bpftrace-compatible tracer in C.
#   make            build ./minibt
#   make deps       install every Debian package the build, tests and demo need
#   make check      build and run every test (host and guest; guest: 6.1, and 6.12 for three case files)
#   make check-kernels  the same with every guest case on both kernels
#   make demo       build, then run scripts/tcpretrans.bt against a lossy link
#   make asan       build ./minibt-asan with ASan+UBSan
#   make bench      start-up / memory / per-event benchmarks against bpftrace
#   make difftest   N random programs (SEED) under minibt and bpftrace 0.17 in the guest, compared

LLVM_CONFIG ?= llvm-config-19
CC          ?= cc
PREFIX      ?= /usr/local
DESTDIR     ?=

LLVM_COMPONENTS := bpfcodegen bpfdesc bpfinfo bpfdisassembler passes
LLVM_CFLAGS  := $(shell $(LLVM_CONFIG) --cflags 2>/dev/null | sed 's/-W[a-z-]*//g')
LLVM_LIBS    := $(shell $(LLVM_CONFIG) --link-static --libs $(LLVM_COMPONENTS) 2>/dev/null)
LLVM_SYSLIBS := $(shell $(LLVM_CONFIG) --link-static --system-libs 2>/dev/null | sed 's|/usr/lib/x86_64-linux-gnu/libz3.so||')
LLVM_LDFLAGS := $(shell $(LLVM_CONFIG) --ldflags 2>/dev/null)
BPF_CFLAGS   := $(shell pkg-config --cflags libbpf libelf 2>/dev/null)
BPF_LIBS     := $(shell pkg-config --libs libbpf libelf 2>/dev/null)

WARN     := -Wall -Wextra -Wswitch
CFLAGS   ?= -O2 -g
CPPFLAGS += -I. -Ifrontend -Icodegen -Iruntime -Ibuild $(BPF_CFLAGS) -D_GNU_SOURCE
ALL_CFLAGS = $(CFLAGS) $(WARN) -std=gnu11
LDLIBS   = $(LLVM_LDFLAGS) $(LLVM_LIBS) $(BPF_LIBS) -lstdc++ $(LLVM_SYSLIBS) -lm

FRONTEND_SRC := frontend/arena.c frontend/diag.c frontend/pp.c frontend/ast.c frontend/lexstate.c \
                frontend/kernel.c frontend/types.c frontend/probes.c frontend/sema.c frontend/sema_call.c \
                frontend/fmtparse.c frontend/cdef.c frontend/uelf.c
CODEGEN_SRC  := codegen/cg.c codegen/cg_expr.c codegen/cg_build.c codegen/cg_layout.c codegen/cg_emit.c
RUNTIME_SRC  := runtime/main.c runtime/session.c runtime/attach.c runtime/events.c \
                runtime/fmt.c runtime/mapout.c
GEN_SRC      := build/parser.c build/lexer.c
SRC          := $(FRONTEND_SRC) $(CODEGEN_SRC) $(RUNTIME_SRC)
OBJ          := $(SRC:%.c=build/%.o) $(GEN_SRC:.c=.o)
ASAN_OBJ     := $(SRC:%.c=build/asan/%.o) $(GEN_SRC:build/%.c=build/asan/gen/%.o)
HDRS         := $(wildcard frontend/*.h codegen/*.h runtime/*.h frontend/*.def) build/parser.h

.PHONY: all deps check check-host check-kernels record-oracle check-vm demo asan bench difftest fuzz frontend-sources codegen-sources llvm-cflags llvm-libs clean install uninstall
all: minibt

build/parser.c build/parser.h: frontend/parser.y
	@mkdir -p build
	bison -Wall -Werror --defines=build/parser.h -o build/parser.c $<

build/lexer.c build/lexer.h: frontend/lexer.l build/parser.h
	@mkdir -p build
	flex --header-file=build/lexer.h -o build/lexer.c $<

build/%.o: %.c $(HDRS) build/lexer.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LLVM_CFLAGS) -c -o $@ $<

build/parser.o build/lexer.o: build/%.o: build/%.c $(HDRS) build/lexer.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -std=gnu11 -Wno-unused-function -c -o $@ $<

# no PIE: the static LLVM libraries then need no run-time relocation of
# their data (~4 MB less resident memory); unused sections are dropped
LINK_FLAGS := -no-pie -Wl,--gc-sections -Wl,-O1
minibt: $(OBJ)
	$(CC) $(LINK_FLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

# --- sanitizers -------------------------------------------------------------
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
build/asan/%.o: %.c $(HDRS) build/lexer.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ASAN_FLAGS) $(WARN) -std=gnu11 $(LLVM_CFLAGS) -c -o $@ $<
build/asan/gen/%.o: build/%.c $(HDRS) build/lexer.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ASAN_FLAGS) -std=gnu11 -Wno-unused-function -c -o $@ $<
minibt-asan: $(ASAN_OBJ)
	$(CC) -fsanitize=address,undefined -o $@ $(ASAN_OBJ) $(LDLIBS)
asan: minibt-asan

# --- dependencies -----------------------------------------------------------
DEPS_BUILD := build-essential llvm-19-dev libbpf-dev libelf-dev zlib1g-dev libzstd-dev \
              libxml2-dev flex bison pkg-config
DEPS_TEST  := python3 qemu-system-x86 busybox-static cpio kmod bpftrace bpftool iproute2 \
              iptables man-db clang-19 libclang-rt-19-dev xfsprogs mdadm
deps:
	@missing=$$(for p in $(DEPS_BUILD) $(DEPS_TEST); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing $$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

# --- tests ------------------------------------------------------------------
check: deps
	$(MAKE) all asan
	tests/run-all

check-host: all asan
	tests/run-all --host-only

# every guest case on both kernels (make check runs three case files on
# 6.12), bpftrace run live in the same boot for every DIFF case (make check
# compares with its recorded output, and runs it live on a difference)
check-kernels: deps
	$(MAKE) all asan
	MINIBT_ORACLE=live tests/run-all --all-kernels

# run bpftrace 0.17 live for every DIFF case on both kernels and record
# what it printed (tests/cases/oracle-record.json, used by make check)
record-oracle: deps
	$(MAKE) all
	tests/vm/runcases --oracle record --diff-only --kernel 6.1 tests/cases
	tests/vm/runcases --oracle record --diff-only --kernel 6.12 $$(tests/run-all --second-kernel-cases)
	tests/vm/runcases --oracle record --diff-only --native tests/host-cases

demo: deps
	$(MAKE) all
	tests/vm/demo

bench: deps
	$(MAKE) all
	tests/bench/run

# differential test against bpftrace 0.17 (tests/difftest/README.md)
N    ?= 500
SEED ?= $(shell date +%s)
difftest: deps
	$(MAKE) all
	tests/difftest/run --seed $(SEED) --count $(N)

# libFuzzer over the whole compiler, text to BPF object (FUZZ_SECONDS,
# default 60; TARGET=frontend for pp + parser + sema alone)
fuzz: deps
	tests/fuzz/run

frontend-sources: # for tests/fuzz/run
	@echo $(FRONTEND_SRC)
codegen-sources:
	@echo $(CODEGEN_SRC)
llvm-cflags:
	@echo $(LLVM_CFLAGS)
llvm-libs:
	@echo $(LLVM_LDFLAGS) $(LLVM_LIBS) -lstdc++ $(LLVM_SYSLIBS)

clean:
	rm -rf build minibt minibt-asan

# install: minibt in PREFIX/bin; the tools (scripts/*.bt) in PREFIX/sbin as
# executables whose #! line is the installed minibt (a path, not env: it works
# without PREFIX/bin in PATH, under sudo); man pages in PREFIX/share/man/man8;
# the tools' example files in PREFIX/share/doc/minibt. DESTDIR stages it all.
install: minibt
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
	  $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/doc/minibt
	install -m 755 minibt $(DESTDIR)$(PREFIX)/bin/minibt
	set -e; for s in scripts/*.bt; do \
	  sed '1s|^#!.*|#!$(PREFIX)/bin/minibt|' $$s > $(DESTDIR)$(PREFIX)/sbin/.$$(basename $$s).tmp; \
	  chmod 755 $(DESTDIR)$(PREFIX)/sbin/.$$(basename $$s).tmp; \
	  mv -f $(DESTDIR)$(PREFIX)/sbin/.$$(basename $$s).tmp $(DESTDIR)$(PREFIX)/sbin/$$(basename $$s); done
	install -m 644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 scripts/*_example.txt $(DESTDIR)$(PREFIX)/share/doc/minibt/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/minibt
	for s in scripts/*.bt; do rm -f $(DESTDIR)$(PREFIX)/sbin/$$(basename $$s); done
	for m in man/*.8; do rm -f $(DESTDIR)$(PREFIX)/share/man/man8/$$(basename $$m); done
	for e in scripts/*_example.txt; do rm -f $(DESTDIR)$(PREFIX)/share/doc/minibt/$$(basename $$e); done
	-rmdir $(DESTDIR)$(PREFIX)/share/doc/minibt 2>/dev/null
