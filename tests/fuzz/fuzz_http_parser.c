/* libFuzzer target for the HTTP/1.1 request parser: finds the head the way
 * the server does (incrementally, in pieces), parses it under the head
 * limit, then decodes what follows as a chunked body under a body limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "http/http_int.h"

#define MAX_HEAD 8192
#define MAX_BODY 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* The first byte picks the read size the bytes arrive in. */
    size_t step = (size_t)(data[0] % 16) + 1;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;

    size_t skip = kapi_http_skip_empty_lines(in, len);
    in += skip;
    len -= skip;
    size_t scan = 0, end = 0;
    for (size_t have = step; !end; have += step) {
        if (have > len)
            have = len;
        end = kapi_http_find_head_end(in, have, &scan);
        if (end) {
            if (end > have)
                abort();
            break;
        }
        if (have == len || have >= MAX_HEAD)
            break;
    }
    /* Also parse incomplete or oversized input: the parser must cope. */
    size_t head_len = end ? end : (len < MAX_HEAD ? len : MAX_HEAD);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_http_head h;
    int rc = kapi_http_parse_head(pool, in, head_len, &h);
    if (rc == 0) {
        if (!h.method || !h.target || !h.path || !h.raw_path || !h.query || h.target[0] != '/')
            abort();
        if (h.chunked && h.has_length)
            abort();
        for (size_t i = 0; i < h.nheaders; i++)
            if (!h.headers[i].name[0] || strpbrk(h.headers[i].value, "\r\n"))
                abort();
    } else if (rc != KAPI_HTTP_E_BAD_REQUEST && rc != KAPI_HTTP_E_VERSION && rc != KAPI_HTTP_E_NOT_IMPLEMENTED) {
        abort();
    }

    /* Chunked decoding of the rest, fed in the same pieces. */
    const char *body = in + head_len;
    size_t blen = len - head_len;
    struct kapi_http_chunked d = {0};
    struct kapi_buf out;
    kapi_buf_init(&out, MAX_BODY);
    size_t off = 0;
    while (off < blen) {
        size_t n = blen - off < step ? blen - off : step;
        size_t used = 0;
        int crc = kapi_http_chunked_feed(&d, body + off, n, &used, &out);
        if (used > n || out.len > MAX_BODY)
            abort();
        off += used;
        if (crc != KAPI_HTTP_CHUNK_MORE)
            break;
        if (used != n)
            abort();
    }
    kapi_buf_dispose(&out);
    kapi_pool_free(pool);
    return 0;
}
