# wsinetd - turn any program into a WebSocket endpoint, one process per connection.
#   make          build ./wsinetd
#   make deps     apt-get install what is missing (build + tests), npm ci for tests
#   make check    deps, build, ASan/UBSan build, unit + integration tests (TAP via prove)
#   make run      deps, build, serve scripts/greeter.sh on http://127.0.0.1:8080/
#   make install  PREFIX=/usr/local DESTDIR=
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKGS := libsystemd openssl jansson zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsystemd -lssl -lcrypto -ljansson -lz)
VERSION := 0.1.0

# -Wconversion without -Wsign-conversion: the sign warnings fire on every size_t/ssize_t
# round trip of read(2)/write(2) and add casts that hide real bugs instead of finding them.
WARN := -Wall -Wextra -Werror -Wshadow -Wconversion -Wno-sign-conversion -Wformat=2 -Wvla
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DWSINETD_VERSION='"$(VERSION)"' $(WARN) -g $(PKG_CFLAGS)
CFLAGS ?= -O2
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDHARDEN := -pie -Wl,-z,relro,-z,now
SAN := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

PURE := err buf b64 hdr http_req handshake utf8 frame msg cgienv jsonmode
IO := log config conn child relay listener main
SRC_PURE := $(PURE:%=handler/%.c)
HDRS := $(wildcard handler/*.h)
UNIT := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

all: wsinetd

build/%.o: handler/%.c $(HDRS) | build
	$(CC) $(BASE_CFLAGS) $(HARDEN) $(CFLAGS) -c -o $@ $<
build/asan/%.o: handler/%.c $(HDRS) | build
	$(CC) $(BASE_CFLAGS) $(SAN) -c -o $@ $<
build:
	mkdir -p build/asan build/tests build/asan/tests

wsinetd: $(PURE:%=build/%.o) $(IO:%=build/%.o)
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
build/asan/wsinetd: $(PURE:%=build/asan/%.o) $(IO:%=build/asan/%.o)
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

build/tests/%: tests/unit/%.c tests/unit/tap.h $(PURE:%=build/%.o)
	$(CC) $(BASE_CFLAGS) -iquote handler $(CFLAGS) -o $@ $< $(PURE:%=build/%.o) $(PKG_LIBS)
build/asan/tests/%: tests/unit/%.c tests/unit/tap.h $(PURE:%=build/asan/%.o)
	$(CC) $(BASE_CFLAGS) -iquote handler $(SAN) -o $@ $< $(PURE:%=build/asan/%.o) $(PKG_LIBS)

unit-bins: $(UNIT:%=build/tests/%) $(UNIT:%=build/asan/tests/%)

deps:
	@scripts/install-deps

# Everything `make check` runs ends in prove's summary line ("Result: PASS").
check: deps
	$(MAKE) wsinetd build/asan/wsinetd unit-bins
	WSINETD=$(CURDIR)/wsinetd WSINETD_ASAN=$(CURDIR)/build/asan/wsinetd \
	  prove --timer -e '' $(UNIT:%=build/tests/%) $(UNIT:%=build/asan/tests/%) \
	  $(sort $(wildcard tests/*/t_*))

run: deps wsinetd
	@echo "wsinetd: serving scripts/greeter.sh on ws://127.0.0.1:8080/ (Ctrl-C stops it)"
	@echo "wsinetd: try it from another terminal: /usr/bin/python3 -m websockets ws://127.0.0.1:8080/"
	./wsinetd --port=8080 --address=127.0.0.1 scripts/greeter.sh

install: wsinetd
	install -D -m 0755 wsinetd $(DESTDIR)$(PREFIX)/bin/wsinetd

clean:
	rm -rf build wsinetd

.PHONY: all deps check run install clean unit-bins
.DELETE_ON_ERROR:
