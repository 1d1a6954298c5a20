/* cgiresp.c - CGI response header block parser (see cgiresp.h). */
#include "cgiresp.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "err.h"

static bool is_tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool name_is(const struct cgi_header *h, const char *n)
{
	return h->name_len == strlen(n) && strncasecmp(h->name, n, h->name_len) == 0;
}

static int bad(struct cgiresp *out, const char *why)
{
	out->why = why;
	return WS_E_MALFORMED;
}

int cgiresp_parse(const uint8_t *buf, size_t len, struct cgiresp *out)
{
	memset(out, 0, offsetof(struct cgiresp, headers));
	out->status = 200;
	bool have_status = false;
	size_t pos = 0;
	for (;;) {
		const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
		if (nl == NULL)
			return WS_NEED_MORE;
		size_t end = (size_t)(nl - buf), next = end + 1;
		if (end > pos && buf[end - 1] == '\r')
			end--;
		if (end == pos) { /* the empty line */
			if (!have_status && out->has_location)
				out->status = 302;
			if (next > (size_t)INT32_MAX)
				return WS_E_LIMIT;
			return (int)next;
		}
		const uint8_t *line = buf + pos;
		size_t llen = end - pos;
		size_t n = 0;
		while (n < llen && is_tchar(line[n]))
			n++;
		if (n == 0 || n == llen || line[n] != ':')
			return bad(out, "a header line of the CGI script is not 'Name: value'");
		size_t vs = n + 1, ve = llen;
		while (vs < ve && (line[vs] == ' ' || line[vs] == '\t'))
			vs++;
		while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
			ve--;
		for (size_t i = vs; i < ve; i++)
			if ((line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
				return bad(out, "control character in a header of the CGI script");
		struct cgi_header h = { (const char *)line, n, (const char *)line + vs, ve - vs };
		if (name_is(&h, "Status")) {
			if (have_status)
				return bad(out, "the CGI script sent Status twice");
			const char *v = h.value;
			if (h.value_len < 3 || v[0] < '2' || v[0] > '5' || v[1] < '0' || v[1] > '9' ||
			    v[2] < '0' || v[2] > '9' || (h.value_len > 3 && v[3] != ' '))
				return bad(out, "the CGI script sent a bad Status");
			out->status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
			if (h.value_len > 4) {
				out->reason = v + 4;
				out->reason_len = h.value_len - 4;
			}
			have_status = true;
		} else {
			if (name_is(&h, "Location")) {
				if (h.value_len == 0)
					return bad(out, "the CGI script sent an empty Location");
				out->has_location = true;
			}
			if (name_is(&h, "Content-Type"))
				out->has_content_type = true;
			if (out->nheaders >= WS_CGI_HEADERS_MAX)
				return WS_E_LIMIT;
			out->headers[out->nheaders++] = h;
		}
		pos = next;
	}
}

bool cgiresp_hop_by_hop(const char *name, size_t len)
{
	static const char *const hop[] = { "Connection", "Transfer-Encoding", "Keep-Alive",
					   "Upgrade", "TE", "Trailer", "Proxy-Connection" };
	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (strlen(hop[i]) == len && strncasecmp(hop[i], name, len) == 0)
			return true;
	return false;
}
