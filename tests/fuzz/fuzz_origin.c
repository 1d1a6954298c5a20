/* fuzz_origin - the Origin header against an allowlist (handler/origin.c).
 *
 * Input: byte 0 picks the policy, then "origin\nhost\nentry" (entry: an allowlist entry
 * taken from the input, checked with origin_entry_ok first).
 * Properties: a verdict from the enum; two Origin headers are always MALFORMED; "null"
 * is never allowed by "*"; an origin that an exact "scheme://host[:port]" entry equal to
 * it (ASCII case-insensitively) names is ALLOWED; an origin allowed under an allowlist
 * stays allowed when entries are added to a non-empty list (more entries never refuse
 * more; an empty list means same-origin with Host instead); the check never
 * reads past its slices (exact-size heap copies). */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "origin.h"

static char *dup_slice(const uint8_t *p, size_t n)
{
	char *s = malloc(n ? n : 1);
	memcpy(s, p, n);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = take_flags(&data, &size);
	const uint8_t *nl1 = memchr(data, '\n', size);
	size_t ol = nl1 ? (size_t)(nl1 - data) : size;
	const uint8_t *rest = nl1 ? nl1 + 1 : data + size;
	size_t rl = (size_t)(data + size - rest);
	const uint8_t *nl2 = memchr(rest, '\n', rl);
	size_t hl = nl2 ? (size_t)(nl2 - rest) : rl;
	const uint8_t *ent = nl2 ? nl2 + 1 : rest + rl;
	size_t el = (size_t)(data + size - ent);

	char *origin = dup_slice(data, ol);
	char *host = dup_slice(rest, hl);
	char *entry = malloc(el + 1);
	memcpy(entry, ent, el);
	entry[el] = '\0';
	const char *why = NULL;
	bool entry_ok = strlen(entry) == el && origin_entry_ok(entry, &why);

	static const char *const fixed[] = { "https://example.com", "*.example.org:8443", "localhost",
					     "null", "*", "http://[::1]:8080" };
	const char *allow[8];
	size_t n = 0;
	for (unsigned i = 0; i < 6; i++)
		if (sel & (1u << i))
			allow[n++] = fixed[i];
	struct origin_policy pol = { allow, n, (sel & 0x40) != 0, (sel & 0x80) != 0 };

	enum origin_verdict v = origin_check(origin, ol, 1, host, hl, &pol);
	CHECK(v == ORIGIN_ALLOWED || v == ORIGIN_ABSENT || v == ORIGIN_DENIED || v == ORIGIN_MALFORMED,
	      "verdict %d", v);
	CHECK(origin_check(origin, ol, 2, host, hl, &pol) == ORIGIN_MALFORMED, "two Origin headers");
	if (ol == 4 && memcmp(origin, "null", 4) == 0) {
		const char *star[] = { "*" };
		struct origin_policy sp = { star, 1, false, false };
		CHECK(origin_check(origin, ol, 1, host, hl, &sp) != ORIGIN_ALLOWED, "null allowed by *");
	}
	if (entry_ok) {
		/* Adding an entry never refuses what was allowed. */
		allow[n] = entry;
		struct origin_policy more = { allow, n + 1, pol.sameorigin, pol.tls };
		enum origin_verdict v2 = origin_check(origin, ol, 1, host, hl, &more);
		/* (With no entry the rule is same-origin with Host, not an allowlist.) */
		if (v == ORIGIN_ALLOWED && n > 0)
			CHECK(v2 == ORIGIN_ALLOWED, "an extra entry refused an allowed origin");
		/* An exact scheme://host entry equal to the origin allows it. */
		struct origin_policy exact = { (const char *const *)&allow[n], 1, false, false };
		if (el == ol && strncasecmp(entry, origin, ol) == 0 && strstr(entry, "://") &&
		    strchr(entry, '*') == NULL && v != ORIGIN_MALFORMED)
			CHECK(origin_check(origin, ol, 1, host, hl, &exact) == ORIGIN_ALLOWED,
			      "origin %s not allowed by the equal entry", entry);
	}
	free(origin);
	free(host);
	free(entry);
	return 0;
}
