/* libFuzzer target for the webhook client's HTTP/1.1 response parser
 * (src/http/client.c). The first byte picks a body limit and a read size;
 * the rest is what the server sent before closing. The response is parsed
 * whole and again in pieces of that size: both must agree, and a success
 * must respect the limit. The streaming variant (101 final, headers kept)
 * gets the same checks. The rest of the input is also tried as a URL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "http/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const size_t limits[] = {0, 1, 16, 100, 4096};
    size_t max_body = limits[(data[0] >> 4) % 5];
    size_t step = (size_t)(data[0] % 16) + 1;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;

    struct kapi_http_client_resp whole, pieces;
    int a = kapi_http_client_parse_response(in, len, max_body, &whole);
    int b = kapi_http_client_parse_response_pieces(in, len, max_body, step, &pieces);
    if (a != b)
        abort();
    if (a == 0) {
        size_t cap = max_body ? max_body : KAPI_HTTP_CLIENT_DEFAULT_MAX_RESPONSE;
        if (whole.status < 200 || whole.status > 599 || whole.status == 101)
            abort();
        if (!whole.body || whole.body_len > cap || whole.body[whole.body_len] != 0)
            abort();
        if (whole.status != pieces.status || whole.body_len != pieces.body_len ||
            memcmp(whole.body, pieces.body, whole.body_len) != 0)
            abort();
        if ((whole.content_type == NULL) != (pieces.content_type == NULL) ||
            (whole.content_type && strcmp(whole.content_type, pieces.content_type) != 0))
            abort();
        if (whole.content_type && strpbrk(whole.content_type, "\r\n"))
            abort();
        if (whole.err[0])
            abort();
    } else {
        if (whole.status != 0 || whole.body || !whole.err[0] || strcmp(whole.err, pieces.err) != 0)
            abort();
    }
    kapi_http_client_resp_dispose(&whole);
    kapi_http_client_resp_dispose(&pieces);

    /* The streaming parser (kapi_http_client_open): 101 is final and the
     * headers are kept. Whole and in pieces must agree too. */
    a = kapi_http_client_parse_stream_pieces(in, len, 0, &whole);
    b = kapi_http_client_parse_stream_pieces(in, len, step, &pieces);
    if (a != b)
        abort();
    if (a == 0) {
        if (whole.status < 101 || whole.status > 599 || (whole.status < 200 && whole.status != 101))
            abort();
        if (whole.status != pieces.status || whole.body_len != pieces.body_len ||
            memcmp(whole.body, pieces.body, whole.body_len) != 0 || whole.nheaders != pieces.nheaders)
            abort();
        for (size_t i = 0; i < whole.nheaders; i++) {
            if (strcmp(whole.headers[i].name, pieces.headers[i].name) != 0 ||
                strcmp(whole.headers[i].value, pieces.headers[i].value) != 0)
                abort();
            if (!whole.headers[i].name[0] || strpbrk(whole.headers[i].name, " :\r\n") ||
                strpbrk(whole.headers[i].value, "\r\n"))
                abort();
        }
    } else if (whole.headers || strcmp(whole.err, pieces.err) != 0) {
        abort();
    }
    kapi_http_client_resp_dispose(&whole);
    kapi_http_client_resp_dispose(&pieces);

    /* The same bytes as a URL (NUL-terminated copy). */
    if (len < 8192) {
        char *url = kapi_xstrndup(in, len);
        struct kapi_http_client_url u;
        char err[256];
        if (kapi_http_client_parse_url(url, &u, err, sizeof(err)) == 0) {
            if (u.target[0] != '/' || strpbrk(u.target, " \r\n#") || strpbrk(u.authority, " \r\n/") ||
                !u.host[0] || !u.port[0])
                abort();
        }
        free(url);
    }
    return 0;
}
