/* Fuzz target: JSONPath templates. The first line of the input is the
 * template, the rest a JSON document (a fixed object when the rest does not
 * parse). The template is compiled in all three forms and checked as a CRD
 * printer column; whatever compiles is evaluated: it must either fail with a
 * message or return that many non-NULL values, and the column form must
 * agree with itself between eval and eval_first. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "codec/json.h"
#include "codec/jsonpath.h"

static const char FALLBACK[] =
    "{\"kind\":\"W\",\"metadata\":{\"name\":\"n\",\"labels\":{\"a\":\"b\"}},"
    "\"spec\":{\"n\":1,\"f\":1.5,\"t\":true,\"z\":null,\"s\":\"str\",\"e\":[],"
    "\"items\":[{\"name\":\"a\",\"n\":1},{\"name\":\"b\",\"n\":2,\"x\":[1,[2,[3]]]}]}}";

static void eval_checked(struct kapi_pool *pool, const struct kapi_jsonpath *p, const struct kapi_value *root)
{
    const struct kapi_value **out = NULL;
    char *err = NULL;
    long n = kapi_jsonpath_eval(pool, p, root, &out, &err);
    if (n < 0) {
        if (!err || !err[0])
            abort();
    } else {
        if (!out || n > 100000)
            abort();
        for (long i = 0; i < n; i++)
            if (!out[i])
                abort();
        /* Results are well-formed values. */
        struct kapi_buf b;
        kapi_buf_init(&b, 1 << 20);
        for (long i = 0; i < n && i < 64; i++)
            (void)kapi_json_write(&b, out[i]);
        kapi_buf_dispose(&b);
    }
    const struct kapi_value **first = NULL;
    char *err2 = NULL;
    long m = kapi_jsonpath_eval_first(pool, p, root, &first, &err2);
    /* The same evaluation runs: both fail or both succeed, and the first
     * piece is a prefix of the whole. */
    if ((n < 0) != (m < 0))
        abort();
    if (m >= 0) {
        if (m > n)
            abort();
        for (long i = 0; i < m; i++)
            if (!first[i] || !kapi_value_equal(first[i], out[i]))
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t tlen = nl ? (size_t)(nl - s) : size;
    if (memchr(s, 0, tlen))
        return 0; /* templates are C strings */
    char *tmpl = kapi_xstrndup(s, tlen);

    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error jerr;
    struct kapi_value *root = NULL;
    if (nl)
        root = kapi_json_parse(pool, nl + 1, size - tlen - 1, NULL, &jerr);
    if (!root)
        root = kapi_json_parse(pool, FALLBACK, sizeof(FALLBACK) - 1, NULL, &jerr);
    if (!root)
        abort();

    const char *detail = kapi_jsonpath_check_column(pool, tmpl);
    if (detail && tmpl[0] == '.')
        abort();

    struct kapi_jsonpath *(*const compilers[])(const char *, char **) = {
        kapi_jsonpath_compile, kapi_jsonpath_compile_column, kapi_jsonpath_compile_template};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(compilers); i++) {
        char *err = NULL;
        struct kapi_jsonpath *p = compilers[i](tmpl, &err);
        if (!p) {
            if (!err || !err[0])
                abort();
            free(err);
            continue;
        }
        if (err)
            abort();
        eval_checked(pool, p, root);
        kapi_jsonpath_free(p);
    }
    kapi_pool_free(pool);
    free(tmpl);
    return 0;
}
