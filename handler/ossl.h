/* ossl.h - what needs shared libraries lives in a second executable, wsinetd-openssl.
 *
 * Under inetd / Accept=yes wsinetd is exec'd once per connection, so what an exec costs
 * is what a connection costs. wsinetd itself is a static PIE linked against musl
 * (Makefile, STATIC=1): no dynamic loader, no libc.so to map and relocate, and no
 * glibc start-up probing the CPU (README, Performance). Linked in statically, OpenSSL
 * would cost more than it saves (its 19,000 relocations at every exec), and a static
 * program cannot load it as a plugin. So the few features that need shared libraries are
 * built into wsinetd-openssl, the same program linked dynamically against OpenSSL and
 * the system's resolver:
 *   --ssl, --jwt-key            OpenSSL (tls.c, jwt.c)
 *   --address HOST by name      getaddrinfo(3) with the system's NSS modules
 * main() asks ossl_needed() right after parsing the command line; wsinetd then execs
 * wsinetd-openssl with the same arguments and environment (ossl_load), before any other
 * descriptor is opened, any signal touched or any byte of the connection read: the
 * process keeps its PID (LISTEN_PID still matches) and its descriptors. A --config file
 * is read by both (documented: not a pipe). wsinetd-openssl's ossl_load() starts
 * OpenSSL instead.
 *
 * Where: next to the executable (the build tree: ./wsinetd-openssl beside ./wsinetd),
 * then ../lib/wsinetd/ from it (make install: PREFIX/bin/wsinetd and
 * PREFIX/lib/wsinetd/wsinetd-openssl). Both paths are relative to the resolved
 * executable, so they are as trusted as the executable itself; no environment variable
 * can redirect them. wsinetd passes its version in OSSL_HANDOFF_ENV; wsinetd-openssl
 * refuses to run for another version, and a wsinetd started with it set (a copy of
 * wsinetd installed under the other name) refuses rather than exec itself again. Both
 * unset it first thing, so no program ever sees it. */
#ifndef WSINETD_OSSL_H
#define WSINETD_OSSL_H

#include <stdbool.h>

#include "config.h"

#define OSSL_EXE "wsinetd-openssl"
#define OSSL_HANDOFF_ENV "WSINETD_OPENSSL_FOR"

/* First thing in main(): read and unset OSSL_HANDOFF_ENV. wsinetd-openssl: -1 (logged)
 * when it names another version. */
int ossl_start(void);
/* Does this configuration need wsinetd-openssl (the list above)? */
bool ossl_needed(const struct config *c);
/* wsinetd: exec wsinetd-openssl with argv; returns -1 (logged) when that cannot be done.
 * wsinetd-openssl: start OpenSSL (tls_server: as a TLS server does, the system's
 * openssl.cnf honoured, rather than as a JWT verifier only); returns 0. */
int ossl_load(char **argv, bool tls_server);

#endif
