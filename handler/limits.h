/* limits.h - every input wsinetd accepts has a named limit here.
 *
 * Defaults are what a fresh `wsinetd` uses; the *_MAX values are the hard caps an
 * option may raise a limit to (so a typo cannot ask for terabytes). Each limit has a
 * defined outcome when hit: an HTTP status before the upgrade, a close code after it. */
#ifndef WSINETD_LIMITS_H
#define WSINETD_LIMITS_H

/* Request head (request line + headers + blank line). Past it: 431. --max-request */
#define WS_REQUEST_BYTES_DEFAULT   (16u * 1024u)
#define WS_REQUEST_BYTES_MAX       (1024u * 1024u)
/* Header lines in the request head. Past it: 431. --max-headers */
#define WS_HEADERS_DEFAULT         100u
#define WS_HEADERS_MAX             1000u
/* Seconds to receive the whole request head. Past it: 408. --request-timeout */
#define WS_REQUEST_TIMEOUT_DEFAULT 10u
#define WS_REQUEST_TIMEOUT_MAX     3600u

/* One WebSocket message (after reassembly; after inflating once deflate lands). Past it:
 * close 1009. Also the longest line the program may print in lines/JSON mode (past it:
 * close 1011 "output line too long"). --max-message */
#define WS_MESSAGE_DEFAULT         (1024u * 1024u)
#define WS_MESSAGE_MAX             (1024u * 1024u * 1024u)
/* Control frame payload (RFC 6455 5.5). Past it: close 1002. */
#define WS_CONTROL_MAX             125u
/* Close reason we send: 125 - 2 bytes of code. */
#define WS_CLOSE_REASON_MAX        123u

/* Keepalive ping interval in seconds (0 = off); the peer silent for two intervals is
 * dropped. --ping-interval */
#define WS_PING_INTERVAL_DEFAULT   30u
#define WS_PING_INTERVAL_MAX       86400u
/* Extra grace (ms) before the termination signals; websocketd's --closems. Signals go
 * out at closems+100, closems+250 and closems+500 ms after the program's stdin is
 * closed (websocketd's ladder). */
#define WS_CLOSEMS_DEFAULT         0u
#define WS_CLOSEMS_MAX             600000u
/* Milliseconds we wait for the peer's Close reply after sending ours. */
#define WS_CLOSE_WAIT_MS           2000u

/* Relay buffers: one socket read, the queue towards the program, the queue towards the
 * socket. A side whose queue is above its high-water mark is not read from. */
#define WS_IO_CHUNK                (64u * 1024u)
#define WS_QUEUE_HIGH              (256u * 1024u)

/* Free heap a process keeps rather than hands back to the kernel: a handler that serves
 * another connection (--handler-reuse) finds its relay buffers' pages still mapped, no
 * mmap, brk and page faults per connection. The buffers' blocks are kept by buf.c (any
 * allocator); with glibc the rest of the heap too (mallopt M_TRIM_THRESHOLD; glibc's
 * default trims past 128 KiB, and the relay's buffers take about 200 KiB). */
#define WS_HEAP_KEEP               (1024u * 1024u)
/* Released buffer blocks a process keeps for its next connection (buf.c), within
 * WS_HEAP_KEEP bytes. */
#define WS_BUF_KEEP_BLOCKS         16u

/* Child environment: number of entries and total bytes. Past it: 431 (the request
 * headers made it too large) before the upgrade. */
#define WS_ENV_ENTRIES_MAX         256u
#define WS_ENV_BYTES_MAX           (64u * 1024u)

/* Listener: concurrent handlers (0 = unlimited). Past it: 429. --maxforks */
#define WS_MAXFORKS_DEFAULT        0u
#define WS_MAXFORKS_MAX            100000u

/* Listener: connections one handler process serves one after another, one at a time,
 * each with a fresh program. 1 is a fresh process per connection, which a fork, exit and
 * reap per connection pays for: about 0.35 ms of CPU here, a quarter of wsinetd's
 * connection rate at 16 concurrent (perf record, bench/run.py). With --ssl always 1.
 * --handler-reuse */
#define WS_HANDLER_REUSE_DEFAULT   100u
#define WS_HANDLER_REUSE_MAX       100000u

/* Subprotocols in --protocol, extra response headers, --passenv names. */
#define WS_PROTOCOLS_MAX           32u
#define WS_EXTRA_HEADERS_MAX       32u
#define WS_PASSENV_MAX             64u
/* --config file size. */
#define WS_CONFIG_BYTES_MAX        (256u * 1024u)

/* Plain HTTP, --cgidir: a request body (POST, Content-Length) larger than this is
 * refused with 413 before the script starts; the body is streamed to the script, never
 * held whole. --max-cgi-body */
#define WS_CGI_BODY_DEFAULT        (1024u * 1024u)
#define WS_CGI_BODY_MAX            (1024u * 1024u * 1024u)
/* The header block a CGI script prints before its body: bytes and lines. Past either
 * (or EOF before the block ends): 502. */
#define WS_CGI_RESPONSE_HEAD_MAX   (16u * 1024u)
#define WS_CGI_HEADERS_MAX         100u
/* Seconds a CGI script has to answer in full. Past it: 504 if nothing was sent yet,
 * else the connection is cut; either way the termination ladder ends the script. */
#define WS_CGI_TIMEOUT             300u
/* Milliseconds to write one chunk of a plain HTTP answer to a slow client. */
#define WS_HTTP_WRITE_TIMEOUT_MS   30000u

/* The access record as a journal entry (journal.h): one value (the request path, say)
 * is cut at WS_JOURNAL_VALUE_MAX bytes, and the whole entry, one datagram, is at most
 * WS_JOURNAL_ENTRY_MAX bytes (well under the 208 KiB default socket send buffer). */
#define WS_JOURNAL_VALUE_MAX       (16u * 1024u)
#define WS_JOURNAL_ENTRY_MAX       (32u * 1024u)

#endif
