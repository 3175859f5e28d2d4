/* http internals: the I/O-free HTTP/1.1 request parser (request head and
 * chunked body decoding) shared by server.c, the unit tests and the fuzz
 * target. Nothing here touches sockets or TLS. */
#ifndef KAPI_HTTP_INT_H
#define KAPI_HTTP_INT_H

#include "http.h"

/* Parse results below zero are the HTTP status the server answers with. */
#define KAPI_HTTP_E_BAD_REQUEST (-400)
#define KAPI_HTTP_E_TOO_LARGE_HEAD (-431)
#define KAPI_HTTP_E_VERSION (-505)
#define KAPI_HTTP_E_NOT_IMPLEMENTED (-501)

/* A parsed request head. Strings live in the pool given to the parser. */
struct kapi_http_head {
    const char *method;
    const char *target;   /* origin-form target (absolute-form is reduced to it) */
    const char *path;     /* percent-decoded */
    const char *raw_path;
    const char *query;    /* "" when none */
    struct kapi_http_header *headers;
    size_t nheaders;
    int minor;            /* HTTP/1.<minor>: 0 or 1 */
    bool keep_alive;      /* what the client asked for (version + Connection) */
    bool chunked;         /* Transfer-Encoding: chunked */
    bool has_length;      /* Content-Length present */
    bool expect_continue; /* Expect: 100-continue */
    uint64_t content_length;
};

/* Number of bytes at the start of buf that are CR or LF (ignored before a
 * request line, RFC 9112 section 2.2). */
size_t kapi_http_skip_empty_lines(const char *buf, size_t len);

/* Looks for the blank line ending a head in buf[0..len). *scan carries the
 * search position between calls (start it at 0) so a head arriving in many
 * small reads is scanned once. Returns the head length including the final
 * line break, or 0 when not complete yet. */
size_t kapi_http_find_head_end(const char *buf, size_t len, size_t *scan);

/* Parses a complete head buf[0..len) (as delimited by kapi_http_find_head_end;
 * leading empty lines allowed). Returns 0 and fills *out, or one of the
 * KAPI_HTTP_E_* codes. Allocates only from pool. */
int kapi_http_parse_head(struct kapi_pool *pool, const char *buf, size_t len, struct kapi_http_head *out);

/* Percent-decodes s[0..len) into a pool string. Returns NULL on a bad escape
 * or an encoded NUL. */
char *kapi_http_percent_decode(struct kapi_pool *pool, const char *s, size_t len);

/* Incremental decoder for a chunked request body. Zero-initialise it. */
struct kapi_http_chunked {
    int state;
    uint64_t remaining;   /* bytes left in the current chunk (or the size being read) */
    size_t line_bytes;    /* size line / trailer bytes seen, for the bounds */
    int digits;
};

#define KAPI_HTTP_CHUNK_MORE 0
#define KAPI_HTTP_CHUNK_DONE 1
#define KAPI_HTTP_CHUNK_BAD (-1)
#define KAPI_HTTP_CHUNK_TOO_LARGE (-2)

/* Feeds in[0..len) to the decoder, appending body bytes to out (whose max is
 * the body limit). Sets *used to the bytes consumed. Returns CHUNK_DONE after
 * the last chunk and trailers (bytes after that are not consumed), CHUNK_MORE
 * when all of in was consumed without reaching the end, CHUNK_BAD for broken
 * framing, CHUNK_TOO_LARGE as soon as the body would pass out->max. */
int kapi_http_chunked_feed(struct kapi_http_chunked *d, const char *in, size_t len, size_t *used,
                           struct kapi_buf *out);

/* Standard reason phrase for a status code ("Unknown" when not known). */
const char *kapi_http_reason(int status);

#endif
