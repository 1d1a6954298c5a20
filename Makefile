# wsinetd - turn any program into a WebSocket endpoint, one process per connection.
#   make          build ./wsinetd (static, musl: the first build fetches and builds Debian's zlib
#                 and jansson sources, scripts/musl-libs), ./wsinetd-openssl, the bench client
#   make STATIC=0 the same linked against the system's shared libraries (no download)
#   make deps     apt-get install what is missing (build + tests), npm ci for tests
#   make check    deps, build, ASan/UBSan build, unit + integration tests (TAP via prove)
#   make run      deps, build, serve scripts/greeter.sh on http://127.0.0.1:8080/
#   make install  PREFIX=/usr/local DESTDIR=
#   make fuzz     run each libFuzzer target in tests/fuzz/ for FUZZ_SECONDS (default 60)
#   make bench    deps + websocketd, build, compare wsinetd with websocketd (bench/run.py; TLS: bench/tls.py)
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
# libsystemd is not linked: wsinetd speaks the LISTEN_FDS protocol itself (conn.c) and the
# journal's native protocol (journal.c, log.c), which saves every per-connection exec
# mapping seven more libraries (about 0.7 ms here; a dlopen of libsystemd.so.0 alone added
# 0.5-0.7 ms, perf stat -r 200).
# OpenSSL is not linked either: TLS and JWT (tls.c, jwt.c) are built into a second
# executable, wsinetd-openssl (the same program, linked dynamically against OpenSSL and
# the system's resolver), which wsinetd execs when --ssl, --jwt-key or a host name in
# --address needs it (handler/ossl.h); the Accept hash is handler/sha1.c.
PKGS := openssl jansson zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lssl -lcrypto -ljansson -lz)
# STATIC=1 (the default): wsinetd is a static PIE linked against musl, with zlib and
# jansson built for musl from Debian's source packages (scripts/musl-libs, into
# build/musl). No dynamic loader runs at its exec, and no glibc start-up either: glibc
# probes the CPU with 43 `cpuid` instructions in every process (in the static libc as in
# ld.so), and each traps to the hypervisor on a virtual machine, about 5 us here. wsinetd
# --version runs 12,700 instructions and no cpuid with musl, 60,800 and 43 cpuid with
# static glibc (a ptrace single-step count). Under systemd-socket-activate --inetd at
# concurrency 1 that took connections/s against websocketd from 0.56-0.62x (static glibc)
# to 0.61-0.72x (four interleaved rounds; README, Performance). wsinetd-openssl stays
# glibc, linked dynamically, with jansson and zlib linked in statically. The price:
# security updates of musl, zlib and jansson need a rebuild of wsinetd (OpenSSL's and
# glibc's do not), and the build fetches two source packages. `make STATIC=0` links
# everything against the system's shared libraries: no download, for packagers.
STATIC ?= 1
MUSL := build/musl
# musl-dev's start files and libc.a: /usr/lib/x86_64-linux-musl on amd64.
MUSL_LIB := /usr/lib/$(subst -linux-gnu,-linux-musl,$(shell $(CC) -print-multiarch 2>/dev/null))
ifeq ($(STATIC),1)
CORE_OBJ := build/musl/obj
CORE_BUILT := $(MUSL)/built
# gcc's -static-pie with musl's start files (musl-gcc's own link spec always names the
# dynamic loader).
CORE_LINK := -static-pie -nostdlib -nostartfiles $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o \
	$(shell $(CC) -print-file-name=crtbeginS.o)
CORE_LIBS := $(MUSL)/lib/libjansson.a $(MUSL)/lib/libz.a -L$(MUSL_LIB) -lc \
	$(shell $(CC) -print-libgcc-file-name) $(shell $(CC) -print-file-name=crtendS.o) $(MUSL_LIB)/crtn.o
TWIN_LIBS := -Wl,-Bstatic -ljansson -lz -Wl,-Bdynamic
else
CORE_OBJ := build
CORE_BUILT :=
CORE_LINK := -pie
CORE_LIBS := $(shell pkg-config --libs jansson zlib 2>/dev/null || echo -ljansson -lz)
TWIN_LIBS := $(CORE_LIBS)
endif
OSSL_LIBS := $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)
VERSION := 0.1.0

# -Wconversion without -Wsign-conversion: the sign warnings fire on every size_t/ssize_t
# round trip of read(2)/write(2) and add casts that hide real bugs instead of finding them.
WARN := -Wall -Wextra -Werror -Wshadow -Wconversion -Wno-sign-conversion -Wformat=2 -Wvla
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DWSINETD_VERSION='"$(VERSION)"' $(WARN) -g $(PKG_CFLAGS)
CFLAGS ?= -O2
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
RELRO := -Wl,-z,relro,-z,now
LDHARDEN := -pie $(RELRO)
SAN := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

PURE := err buf b64 sha1 hdr http_req handshake utf8 frame msg cgienv jsonmode origin cookie jwt pmd deflate
PURE += urlpath mime httpdate http_resp cgiresp devconsole journal addr
IO := log config conn child relay listener main
IO += route http_plain
IO += auth
IO += ossl
CORE_PURE := $(filter-out jwt,$(PURE))
CORE := $(CORE_PURE) $(IO)
# wsinetd-openssl: the same modules, listener and ossl built with WSINETD_OPENSSL (the
# resolver; OpenSSL's start instead of the hand-over), plus tls and jwt.
TWIN_ONLY := listener ossl
TWIN := $(filter-out $(TWIN_ONLY),$(CORE)) tls jwt
SRC_PURE := $(PURE:%=handler/%.c)
HDRS := $(wildcard handler/*.h)
UNIT := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

all: wsinetd wsinetd-openssl build/bench/wsbench

# Each rule makes its own directory: `build/` may already exist for other reasons
# (install-deps unpacks into build/superservers), so an order-only `| build` is not enough.
build/%.o: handler/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(HARDEN) $(CFLAGS) -c -o $@ $<
# wsinetd's own objects with STATIC=1: musl's headers, and the musl builds of zlib and
# jansson (made first; wsinetd is relinked when they are made again).
build/musl/obj/%.o: handler/%.c $(HDRS) | $(MUSL)/built
	@mkdir -p $(@D)
	musl-gcc $(filter-out $(PKG_CFLAGS),$(BASE_CFLAGS)) -isystem $(MUSL)/include $(HARDEN) $(CFLAGS) -c -o $@ $<
$(MUSL)/built: scripts/musl-libs
	scripts/musl-libs $(MUSL)
	touch $@
build/asan/%.o: handler/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN) -c -o $@ $<
build/twin/%.o: handler/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(HARDEN) $(CFLAGS) -DWSINETD_OPENSSL -c -o $@ $<
build/asan/twin/%.o: handler/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN) -DWSINETD_OPENSSL -c -o $@ $<

# The dev console page, embedded in the binary as a C array (od + sed: coreutils only).
build/devconsole_html.h: handler/devconsole.html
	@mkdir -p $(@D)
	{ echo '/* generated from handler/devconsole.html by the Makefile: do not edit */'; \
	  echo 'static const unsigned char devconsole_html[] = {'; \
	  od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '};'; } > $@
build/devconsole.o build/musl/obj/devconsole.o build/asan/devconsole.o build/fuzz/obj/devconsole.o: build/devconsole_html.h

# Another STATIC relinks: the executables depend on a file named after its value.
LINKED := build/linked-STATIC-$(STATIC)
$(LINKED):
	@mkdir -p build && rm -f build/linked-STATIC-* && touch $@
wsinetd: $(CORE:%=$(CORE_OBJ)/%.o) $(LINKED) $(CORE_BUILT)
	$(CC) $(CORE_LINK) $(RELRO) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CORE_LIBS)
wsinetd-openssl: $(TWIN:%=build/%.o) $(TWIN_ONLY:%=build/twin/%.o) $(LINKED)
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $(filter %.o,$^) $(TWIN_LIBS) $(OSSL_LIBS)
# The sanitizer builds are dynamic (ASan has no static runtime for glibc).
build/asan/wsinetd: $(CORE:%=build/asan/%.o) $(LINKED)
	$(CC) $(SAN) -o $@ $(filter %.o,$^) $(TWIN_LIBS)
build/asan/wsinetd-openssl: $(TWIN:%=build/asan/%.o) $(TWIN_ONLY:%=build/asan/twin/%.o) $(LINKED)
	$(CC) $(SAN) -o $@ $(filter %.o,$^) $(TWIN_LIBS) $(OSSL_LIBS)

build/tests/%: tests/unit/%.c tests/unit/tap.h $(PURE:%=build/%.o)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -iquote handler $(CFLAGS) -o $@ $< $(PURE:%=build/%.o) $(PKG_LIBS)
build/asan/tests/%: tests/unit/%.c tests/unit/tap.h $(PURE:%=build/asan/%.o)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -iquote handler $(SAN) -o $@ $< $(PURE:%=build/asan/%.o) $(PKG_LIBS)

unit-bins: $(UNIT:%=build/tests/%) $(UNIT:%=build/asan/tests/%)

# Fuzzing (tests/fuzz/): clang libFuzzer targets linking the real handler/ modules.
# `make fuzz FUZZ_SECONDS=120` runs each target that long (new inputs go to
# build/fuzz/corpus/, crashes to build/fuzz/artifacts/); `make check` runs each briefly.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Besides the pure modules: route (files beneath a directory) and auth with the I/O it
# calls (child, conn), whose harnesses build their own fixtures.
FUZZ_OBJ := $(PURE:%=build/fuzz/obj/%.o) build/fuzz/obj/log.o build/fuzz/obj/config.o \
	build/fuzz/obj/route.o build/fuzz/obj/auth.o build/fuzz/obj/child.o build/fuzz/obj/conn.o
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
build/fuzz/obj/%.o: handler/%.c $(HDRS)
	@mkdir -p build/fuzz/obj
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(BASE_CFLAGS) -iquote handler $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)
fuzz-bins: $(FUZZ_BINS)
.SECONDARY: $(FUZZ_OBJ)
fuzz: fuzz-bins
	tests/fuzz/fuzz.sh $(FUZZ_SECONDS)

deps:
	@scripts/install-deps

# Everything `make check` runs ends in prove's summary line ("Result: PASS").
check: deps
	$(MAKE) wsinetd wsinetd-openssl build/asan/wsinetd build/asan/wsinetd-openssl unit-bins
	WSINETD=$(CURDIR)/wsinetd WSINETD_ASAN=$(CURDIR)/build/asan/wsinetd WSINETD_STATIC=$(STATIC) \
	  prove --timer -e '' $(UNIT:%=build/tests/%) $(UNIT:%=build/asan/tests/%) \
	  $(sort $(wildcard tests/*/t_*))

# The load generator (libc + OpenSSL only). Built by `make` so warnings fail early; run
# only by `make bench`, never by `make check`.
build/bench/wsbench: bench/wsbench.c
	@mkdir -p build/bench
	$(CC) $(BASE_CFLAGS) $(HARDEN) $(CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $< -lcrypto

bench: deps wsinetd wsinetd-openssl build/bench/wsbench
	bench/install-deps
	/usr/bin/python3 bench/run.py
	/usr/bin/python3 bench/tls.py

# Refresh the README's dev console picture (docs/devconsole.png) from the browser test.
screenshot: deps wsinetd wsinetd-openssl
	WSINETD=$(CURDIR)/wsinetd WSINETD_UPDATE_DOCS=1 tests/browser/t_80_devconsole.js

run: deps wsinetd wsinetd-openssl
	@echo "wsinetd: serving scripts/greeter.sh with the dev console"
	@echo "wsinetd: open http://127.0.0.1:8080/ in a browser, Connect, type hi (Ctrl-C here stops it)"
	./wsinetd --port=8080 --address=127.0.0.1 --devconsole scripts/greeter.sh

install: wsinetd wsinetd-openssl
	install -D -m 0755 wsinetd $(DESTDIR)$(PREFIX)/bin/wsinetd
	install -D -m 0755 wsinetd-openssl $(DESTDIR)$(PREFIX)/lib/wsinetd/wsinetd-openssl
	install -m 0755 scripts/wsinetd-enable scripts/wsinetd-disable $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/wsinetd/scripts $(DESTDIR)$(PREFIX)/share/wsinetd/units/accept-no
	install -m 0755 $(wildcard scripts/*.sh scripts/*.py) $(DESTDIR)$(PREFIX)/share/wsinetd/scripts/
	# The unit templates name the installed paths: /usr/local becomes $(PREFIX).
	for f in $(patsubst units/%,%,$(wildcard units/*.* units/accept-no/*.*)); do \
	  sed 's|/usr/local/|$(PREFIX)/|g' units/$$f > $(DESTDIR)$(PREFIX)/share/wsinetd/units/$$f && \
	  chmod 0644 $(DESTDIR)$(PREFIX)/share/wsinetd/units/$$f || exit 1; done
	install -D -m 0644 wsinetd.1 $(DESTDIR)$(PREFIX)/share/man/man1/wsinetd.1

clean:
	rm -rf build wsinetd wsinetd-openssl

.PHONY: all deps check run install clean unit-bins bench fuzz fuzz-bins screenshot
.DELETE_ON_ERROR:
