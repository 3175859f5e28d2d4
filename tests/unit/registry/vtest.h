/* Shared by the registry unit tests: test objects are written (parse) and
 * shown (show) as JSON with ' in place of " to stay readable. Include after cmocka.h. */
#ifndef KAPI_TEST_REGISTRY_VTEST_H
#define KAPI_TEST_REGISTRY_VTEST_H

#include <string.h>

#include "codec/json.h"

static inline struct kapi_value *parse(struct kapi_pool *pool, const char *json)
{
    char *s = kapi_pool_strdup(pool, json);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, s, strlen(s), NULL, &err);
    if (!v)
        fail_msg("bad test JSON: %s in %s", err.msg, s);
    return v;
}

/* v written back as compact JSON with ' in place of " ("(none)" for NULL),
 * to compare with the test's expectations. */
static inline const char *show(struct kapi_pool *pool, const struct kapi_value *v)
{
    if (!v)
        return "(none)";
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, v);
    char *s = kapi_pool_strndup(pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    for (char *p = s; *p; p++)
        if (*p == '"')
            *p = '\'';
    return s;
}

#endif
