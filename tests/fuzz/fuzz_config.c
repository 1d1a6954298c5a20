/* fuzz_config - the --config JSON file (handler/config.c, with handler/log.c), through
 * config_parse itself: the fuzz input is written to a temporary file and parsed as
 * `wsinetd --config FILE /bin/true` (and, when the input's first byte is odd, with no
 * PROGRAM on the command line, so the file's "program" list is used).
 *
 * config.c is the I/O side (it stats and reads the file and checks the program with
 * access(2)), so this target is slower than the pure ones; it is still deterministic.
 * config_parse keeps what it parsed for the process lifetime (the JSON tree, strdup'd
 * list items) and its error paths leave those behind on purpose (the process exits 2),
 * so this target runs with leak detection off (t_fuzz.sh and `make fuzz` pass
 * -detect_leaks=0) and frees what it can reach on success.
 * Properties: returns 0 or -1 (never 1: no --help here); on success every limit is
 * within its documented range, lists within their caps, the argv non-empty. */
#include <jansson.h>
#include <sanitizer/allocator_interface.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static char path[64];
static FILE *devnull;

static void cleanup(void) { unlink(path); }

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/wsinetd-fuzz-config-%ld.json", (long)getpid());
	devnull = fopen("/dev/null", "w");
	atexit(cleanup);
	return 0;
}

static void release(struct config *c)
{
	/* Heap-owned list items came from strndup in split_list; the defaults are literals. */
	for (size_t i = 0; i < c->nprotocols; i++)
		if (__sanitizer_get_ownership(c->protocols[i]))
			free((void *)c->protocols[i]);
	for (size_t i = 0; i < c->npassenv; i++)
		if (__sanitizer_get_ownership(c->passenv[i]))
			free((void *)c->passenv[i]);
	json_decref(c->tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int with_program = !(data[0] & 1);
	data++;
	size--;
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);

	char *argv[] = { "wsinetd", "--config", path, "/bin/true", NULL };
	int argc = with_program ? 4 : 3;
	if (!with_program)
		argv[3] = NULL;
	struct config c;
	/* config.c reports errors on stderr (one line each): silence that stream, not fd 2,
	 * which the sanitizers write their reports to. */
	FILE *saved = stderr;
	stderr = devnull;
	int r = config_parse(argc, argv, &c);
	stderr = saved;
	CHECK(r == 0 || r == -1, "config_parse %d", r);
	if (r == 0) {
		CHECK(c.max_message >= 1 && c.max_message <= WS_MESSAGE_MAX, "max_message");
		CHECK(c.max_request >= 64 && c.max_request <= WS_REQUEST_BYTES_MAX, "max_request");
		CHECK(c.max_headers >= 4 && c.max_headers <= WS_HEADERS_MAX, "max_headers");
		CHECK(c.request_timeout >= 1 && c.request_timeout <= WS_REQUEST_TIMEOUT_MAX, "timeout");
		CHECK(c.ping_interval <= WS_PING_INTERVAL_MAX, "ping");
		CHECK(c.closems <= WS_CLOSEMS_MAX, "closems");
		CHECK(c.maxforks <= WS_MAXFORKS_MAX, "maxforks");
		CHECK(c.nprotocols <= WS_PROTOCOLS_MAX && c.npassenv <= WS_PASSENV_MAX, "lists");
		CHECK(c.nheaders <= WS_EXTRA_HEADERS_MAX && c.nheaders_ws <= WS_EXTRA_HEADERS_MAX &&
		      c.nheaders_http <= WS_EXTRA_HEADERS_MAX, "headers");
		CHECK(c.naddresses <= CFG_ADDRESSES_MAX && c.ntrust_proxy <= CFG_TRUST_MAX, "lists");
		CHECK(c.argv && c.argv[0] && c.program, "program");
		CHECK(!c.naddresses || c.port, "--address without --port");
		CHECK(!c.require_protocol || c.nprotocols, "--require-protocol without --protocol");
		for (size_t i = 0; i < c.nheaders; i++)
			CHECK(strpbrk(c.headers[i], "\r\n") == NULL, "CR/LF in --header");
		for (size_t i = 0; i < c.ntrust_proxy; i++)
			CHECK(c.trust_proxy[i].prefix <=
				      (c.trust_proxy[i].family == AF_INET ? 32u : 128u), "prefix");
		if (!with_program) {
			if (c.program != c.argv[0] && __sanitizer_get_ownership(c.program))
				free((void *)c.program);
			free(c.argv);
		}
		release(&c);
	}
	return 0;
}
