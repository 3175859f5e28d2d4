/* Unit tests for the HTTP/1.1 request parser (src/http/parser.c): table-driven
 * head cases, incremental head scanning and chunked body decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "http/http_int.h"

/* The tables list only the fields a case checks. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct head_case {
    const char *in;
    int rc;
    const char *method, *target, *path, *raw_path, *query;
    int keep_alive;         /* -1 = don't check */
    const char *hname, *hval; /* one header to look up, or NULL */
};

#define H(...) ((struct head_case){__VA_ARGS__})

static const struct head_case head_cases[] = {
    H("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, "GET", "/", "/", "/", "", 1),
    H("GET /api/v1/pods?limit=5 HTTP/1.1\r\nHost: a\r\n\r\n", 0, "GET", "/api/v1/pods?limit=5", "/api/v1/pods",
      "/api/v1/pods", "limit=5", 1),
    H("GET /a%20b/%2Fc?x=%20&y HTTP/1.1\r\nHost: a\r\n\r\n", 0, "GET", "/a%20b/%2Fc?x=%20&y", "/a b//c",
      "/a%20b/%2Fc", "x=%20&y", 1),
    H("GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET /a%zzb HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    /* absolute-form is reduced to origin-form */
    H("GET http://example.com:80/x/y?z=1 HTTP/1.1\r\nHost: a\r\n\r\n", 0, "GET", "/x/y?z=1", "/x/y", "/x/y", "z=1",
      1),
    H("GET https://example.com HTTP/1.1\r\nHost: a\r\n\r\n", 0, "GET", "/", "/", "/", "", 1),
    H("GET https://example.com?q HTTP/1.1\r\nHost: a\r\n\r\n", 0, "GET", "/?q", "/", "/", "q", 1),
    H("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("CONNECT example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET ftp://x/ HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    /* versions */
    H("GET / HTTP/1.0\r\n\r\n", 0, "GET", "/", "/", "/", "", 0),
    H("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, "GET", "/", "/", "/", "", 1),
    H("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", 0, "GET", "/", "/", "/", "", 0),
    H("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 0, "GET", "/", "/", "/", "", 1),
    H("GET / HTTP/2.0\r\nHost: a\r\n\r\n", KAPI_HTTP_E_VERSION),
    H("GET / HTTP/0.9\r\nHost: a\r\n\r\n", KAPI_HTTP_E_VERSION),
    H("GET / http/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET / HTTP/11\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET /\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    /* request line shape */
    H("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GE@T / HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GARBAGE\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, "GET", "/", "/", "/", "", 1),
    H("GET / HTTP/1.1\nHost: a\n\n", 0, "GET", "/", "/", "/", "", 1, "host", "a"),
    /* Host */
    H("GET / HTTP/1.1\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    /* header syntax */
    H("GET / HTTP/1.1\r\nHost: a\r\nX-A:   padded value \t \r\n\r\n", 0, "GET", "/", "/", "/", "", 1, "x-a",
      "padded value"),
    H("GET / HTTP/1.1\r\nHost: a\r\nX-A:\r\n\r\n", 0, "GET", "/", "/", "/", "", 1, "X-A", ""),
    H("GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xc3\xa9\r\n\r\n", 0, "GET", "/", "/", "/", "", 1, "x-a",
      "caf\xc3\xa9"),
    H("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7f\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    /* framing */
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 0, "POST", "/", "/", "/", "", 1),
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 0, "POST"),
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 0, "POST"),
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5a\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "POST"),
    H("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n", 0, "POST"),
    H("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", KAPI_HTTP_E_NOT_IMPLEMENTED),
    H("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
    H("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
      KAPI_HTTP_E_BAD_REQUEST),
    H("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", KAPI_HTTP_E_BAD_REQUEST),
};

static void test_head_table(void **state)
{
    for (size_t i = 0; i < KAPI_ARRAY_LEN(head_cases); i++) {
        const struct head_case *tc = &head_cases[i];
        struct kapi_pool *pool = kapi_pool_new();
        struct kapi_http_head h;
        size_t len = strlen(tc->in);
        size_t scan = 0;
        size_t skip = kapi_http_skip_empty_lines(tc->in, len);
        size_t end = kapi_http_find_head_end(tc->in + skip, len - skip, &scan);
        if (end != len - skip) {
            print_error("case %zu: head end %zu, want %zu\n", i, end, len - skip);
            fail();
        }
        int rc = kapi_http_parse_head(pool, tc->in, len, &h);
        if (rc != tc->rc) {
            print_error("case %zu (%s): rc %d, want %d\n", i, tc->in, rc, tc->rc);
            fail();
        }
        if (rc == 0) {
            if (tc->method)
                assert_string_equal(h.method, tc->method);
            if (tc->target)
                assert_string_equal(h.target, tc->target);
            if (tc->path)
                assert_string_equal(h.path, tc->path);
            if (tc->raw_path)
                assert_string_equal(h.raw_path, tc->raw_path);
            if (tc->query)
                assert_string_equal(h.query, tc->query);
            if (tc->method && tc->target)
                assert_int_equal(h.keep_alive, tc->keep_alive);
            if (tc->hname) {
                struct kapi_http_request req = {.headers = h.headers, .nheaders = h.nheaders};
                const char *v = kapi_http_header(&req, tc->hname);
                assert_non_null(v);
                assert_string_equal(v, tc->hval);
            }
        }
        kapi_pool_free(pool);
    }
}

static void test_head_fields(void **state)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_http_head h;
    const char *in = "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nExpect: 100-Continue\r\n"
                     "Accept: a\r\naccept: b\r\n\r\n";
    assert_int_equal(kapi_http_parse_head(pool, in, strlen(in), &h), 0);
    assert_true(h.has_length);
    assert_int_equal(h.content_length, 12);
    assert_false(h.chunked);
    assert_true(h.expect_continue);
    assert_int_equal(h.minor, 1);
    assert_int_equal(h.nheaders, 5);
    assert_string_equal(h.headers[3].name, "Accept");
    assert_string_equal(h.headers[4].name, "accept");
    struct kapi_http_request req = {.headers = h.headers, .nheaders = h.nheaders};
    assert_string_equal(kapi_http_header(&req, "ACCEPT"), "a");
    assert_null(kapi_http_header(&req, "missing"));

    in = "POST /y HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_int_equal(kapi_http_parse_head(pool, in, strlen(in), &h), 0);
    assert_true(h.chunked);
    assert_false(h.has_length);
    assert_false(h.expect_continue);
    kapi_pool_free(pool);
}

static void test_find_head_end_incremental(void **state)
{
    const char *msgs[] = {"GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY", "GET / HTTP/1.1\nHost: a\n\nBODY",
                          "GET / HTTP/1.1\r\nHost: a\n\r\nBODY"};
    for (size_t m = 0; m < KAPI_ARRAY_LEN(msgs); m++) {
        const char *s = msgs[m];
        size_t want = (size_t)(strstr(s, "BODY") - s);
        size_t scan = 0, got = 0;
        for (size_t n = 1; n <= strlen(s) && !got; n++) {
            got = kapi_http_find_head_end(s, n, &scan);
            if (!got)
                assert_true(n < want);
        }
        assert_int_equal(got, want);
    }
    size_t scan = 0;
    assert_int_equal(kapi_http_find_head_end("GET / HTTP/1.1\r\nHost: a\r\n", 26, &scan), 0);
}

static void test_percent_decode(void **state)
{
    struct kapi_pool *pool = kapi_pool_new();
    assert_string_equal(kapi_http_percent_decode(pool, "a%2fb%41", 8), "a/bA");
    assert_string_equal(kapi_http_percent_decode(pool, "plain", 5), "plain");
    assert_null(kapi_http_percent_decode(pool, "%00", 3));
    assert_null(kapi_http_percent_decode(pool, "%g0", 3));
    assert_null(kapi_http_percent_decode(pool, "ab%", 3));
    kapi_pool_free(pool);
}

struct chunk_case {
    const char *in;
    size_t max;
    int rc;
    const char *body;   /* when rc == DONE */
    size_t used;        /* when rc == DONE; 0 = all of in */
};

static const struct chunk_case chunk_cases[] = {
    {"5\r\nhello\r\n0\r\n\r\n", 100, KAPI_HTTP_CHUNK_DONE, "hello"},
    {"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 100, KAPI_HTTP_CHUNK_DONE, "hello world"},
    {"0\r\n\r\n", 100, KAPI_HTTP_CHUNK_DONE, ""},
    {"A\r\n0123456789\r\n0\r\n\r\n", 100, KAPI_HTTP_CHUNK_DONE, "0123456789"},
    {"a\r\n0123456789\r\n000\r\n\r\n", 100, KAPI_HTTP_CHUNK_DONE, "0123456789"},
    {"5;name=value;x\r\nhello\r\n0;last\r\n\r\n", 100, KAPI_HTTP_CHUNK_DONE, "hello"},
    {"5 ;ext\r\nhello\r\n0\r\n\r\n", 100, KAPI_HTTP_CHUNK_DONE, "hello"},
    {"5\r\nhello\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n", 100, KAPI_HTTP_CHUNK_DONE, "hello"},
    {"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1", 100, KAPI_HTTP_CHUNK_DONE, "hello", 15},
    {"5\r\nhello\r\n", 100, KAPI_HTTP_CHUNK_MORE},
    {"5\r\nhel", 100, KAPI_HTTP_CHUNK_MORE},
    {"5\r\nhelloX\r\n0\r\n\r\n", 100, KAPI_HTTP_CHUNK_BAD},
    {"5\nhello\r\n0\r\n\r\n", 100, KAPI_HTTP_CHUNK_BAD},
    {"5\r\nhello\n0\r\n\r\n", 100, KAPI_HTTP_CHUNK_BAD},
    {"\r\nhello\r\n", 100, KAPI_HTTP_CHUNK_BAD},
    {"g\r\n", 100, KAPI_HTTP_CHUNK_BAD},
    {"-5\r\n", 100, KAPI_HTTP_CHUNK_BAD},
    {"5x\r\n", 100, KAPI_HTTP_CHUNK_BAD},
    {"5;a\x01\r\n", 100, KAPI_HTTP_CHUNK_BAD},
    {"0\r\nX: 1\nY\r\n\r\n", 100, KAPI_HTTP_CHUNK_BAD},
    {"5\r\nhello\r\n", 4, KAPI_HTTP_CHUNK_TOO_LARGE},
    {"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 5, KAPI_HTTP_CHUNK_TOO_LARGE},
    {"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 5, KAPI_HTTP_CHUNK_DONE, "abcde"},
    {"ffffffffffffffffffffffff\r\n", 1 << 20, KAPI_HTTP_CHUNK_TOO_LARGE},
};

/* Feeds in whole or in pieces of `step` bytes, as a server reading a socket would. */
static int feed(const char *in, size_t len, size_t step, size_t max, struct kapi_buf *out, size_t *used_total)
{
    struct kapi_http_chunked d = {0};
    kapi_buf_init(out, max);
    size_t off = 0;
    int rc = KAPI_HTTP_CHUNK_MORE;
    while (off < len) {
        size_t n = len - off < step ? len - off : step;
        size_t used = 0;
        rc = kapi_http_chunked_feed(&d, in + off, n, &used, out);
        off += used;
        if (rc != KAPI_HTTP_CHUNK_MORE)
            break;
        assert_int_equal(used, n);
    }
    *used_total = off;
    return rc;
}

static void test_chunked_table(void **state)
{
    for (size_t i = 0; i < KAPI_ARRAY_LEN(chunk_cases); i++) {
        const struct chunk_case *tc = &chunk_cases[i];
        size_t steps[] = {SIZE_MAX, 1, 3};
        for (size_t s = 0; s < KAPI_ARRAY_LEN(steps); s++) {
            struct kapi_buf out;
            size_t used;
            int rc = feed(tc->in, strlen(tc->in), steps[s], tc->max, &out, &used);
            if (rc != tc->rc) {
                print_error("chunk case %zu step %zu: rc %d want %d\n", i, steps[s], rc, tc->rc);
                fail();
            }
            if (rc == KAPI_HTTP_CHUNK_DONE) {
                assert_int_equal(out.len, strlen(tc->body));
                assert_memory_equal(out.len ? out.data : "", tc->body, out.len);
                assert_int_equal(used, tc->used ? tc->used : strlen(tc->in));
            }
            kapi_buf_dispose(&out);
        }
    }
}

static void test_chunked_bounds(void **state)
{
    /* An endless chunk extension or trailer is cut off. */
    struct kapi_buf out;
    size_t used;
    char *big = kapi_xmalloc(200000);
    memcpy(big, "5;", 2);
    memset(big + 2, 'x', 199998);
    assert_int_equal(feed(big, 200000, 1000, 100, &out, &used), KAPI_HTTP_CHUNK_BAD);
    kapi_buf_dispose(&out);
    memcpy(big, "0\r\nX: ", 6);
    memset(big + 6, 'y', 199994);
    assert_int_equal(feed(big, 200000, 1000, 100, &out, &used), KAPI_HTTP_CHUNK_BAD);
    kapi_buf_dispose(&out);
    free(big);
}

static void test_reason(void **state)
{
    assert_string_equal(kapi_http_reason(200), "OK");
    assert_string_equal(kapi_http_reason(404), "Not Found");
    assert_string_equal(kapi_http_reason(431), "Request Header Fields Too Large");
    assert_string_equal(kapi_http_reason(799), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_table),
        cmocka_unit_test(test_head_fields),
        cmocka_unit_test(test_find_head_end_incremental),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_chunked_table),
        cmocka_unit_test(test_chunked_bounds),
        cmocka_unit_test(test_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
