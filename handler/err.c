#include "err.h"

const char *ws_strerror(int err)
{
	switch (err) {
	case WS_OK: return "success";
	case WS_NEED_MORE: return "incomplete input";
	case WS_E_MALFORMED: return "malformed input";
	case WS_E_LIMIT: return "limit exceeded";
	case WS_E_PROTO: return "protocol violation";
	case WS_E_UTF8: return "invalid UTF-8";
	case WS_E_UNSUPPORTED: return "not supported";
	case WS_E_NOMEM: return "out of memory";
	case WS_E_SYS: return "system error";
	case WS_E_REFUSED: return "refused by policy";
	}
	return "unknown error";
}
