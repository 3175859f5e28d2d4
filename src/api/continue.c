/* api/continue: continue-token encoding and validation. */
#include "continue.h"

#include <string.h>
#include <strings.h>

#include "../base/b64.h"
#include "../codec/json.h"

#define INVALID "continue key is not valid"

char *kapi_continue_encode_n(struct kapi_pool *pool, int64_t rv, const char *start, size_t start_len)
{
    struct kapi_buf json;
    kapi_buf_init(&json, 0);
    kapi_buf_printf(&json, "{\"v\":\"" KAPI_CONTINUE_VERSION "\",\"rv\":%lld,\"start\":", (long long)rv);
    kapi_json_write_string(&json, start ? start : "", start ? start_len : 0);
    kapi_buf_putc(&json, '}');
    char *token = kapi_b64_encode_pool(pool, json.data, json.len, KAPI_B64_URL | KAPI_B64_RAW);
    kapi_buf_dispose(&json);
    return token;
}

char *kapi_continue_encode(struct kapi_pool *pool, int64_t rv, const char *start)
{
    return kapi_continue_encode_n(pool, rv, start, start ? strlen(start) : 0);
}

char *kapi_continue_encode_key(struct kapi_pool *pool, const char *key, size_t key_len, const char *key_prefix,
                               int64_t rv, const char **err)
{
    size_t plen = key_prefix ? strlen(key_prefix) : 0;
    /* Upstream trims the prefix and fails when that changed nothing. */
    if (plen == 0 || key_len < plen || memcmp(key, key_prefix, plen) != 0) {
        if (err)
            *err = kapi_pool_printf(pool,
                                    "unable to encode next field: the key and key prefix do not match %s %.*s",
                                    key_prefix ? key_prefix : "", (int)key_len, key);
        return NULL;
    }
    return kapi_continue_encode_n(pool, rv, key + plen, key_len - plen);
}

/* Go's json.Unmarshal names JSON value kinds this way in type errors. */
static const char *json_kind(const struct kapi_value *v)
{
    switch (v->type) {
    case KAPI_V_BOOL: return "bool";
    case KAPI_V_INT:
    case KAPI_V_FLOAT: return "number";
    case KAPI_V_STRING: return "string";
    case KAPI_V_ARRAY: return "array";
    case KAPI_V_OBJECT: return "object";
    default: return "null";
    }
}

static bool key_is(const struct kapi_member *m, const char *name)
{
    return m->klen == strlen(name) && strncasecmp(m->key, name, m->klen) == 0;
}

/* A rooted path that path.Clean leaves unchanged: "/" or segments without
 * empty, "." or ".." parts and no trailing slash. */
static bool is_clean_rooted(const char *k, size_t n)
{
    if (n == 1)
        return true;
    if (k[n - 1] == '/')
        return false;
    size_t seg = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i == n || k[i] == '/') {
            size_t len = i - seg;
            if (len == 0 || (len == 1 && k[seg] == '.') || (len == 2 && k[seg] == '.' && k[seg + 1] == '.'))
                return false;
            seg = i + 1;
        }
    }
    return true;
}

int kapi_continue_decode_key(struct kapi_pool *pool, const char *token, size_t len, const char *key_prefix,
                             struct kapi_continue *out, const char **err)
{
    const char *e = NULL;
    size_t raw_len = 0, bad = 0;
    const char *raw = (const char *)kapi_b64_decode_pool(pool, token ? token : "", token ? len : 0,
                                                         KAPI_B64_URL | KAPI_B64_RAW, &raw_len, &bad);
    if (!raw) {
        e = kapi_pool_printf(pool, INVALID ": illegal base64 data at input byte %zu", bad);
        goto fail;
    }
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(pool, raw, raw_len, NULL, &jerr);
    if (!v) {
        e = kapi_pool_printf(pool, INVALID ": %s", jerr.msg);
        goto fail;
    }
    const char *version = "", *start = "";
    size_t version_len = 0, start_len = 0;
    int64_t rv = 0;
    const char *type_err = NULL;
    if (v->type == KAPI_V_OBJECT) {
        for (size_t i = 0; i < v->u.obj.len; i++) {
            const struct kapi_member *m = &v->u.obj.members[i];
            const struct kapi_value *mv = m->val;
            if (mv->type == KAPI_V_NULL)
                continue;
            if (key_is(m, "v") || key_is(m, "start")) {
                bool is_v = key_is(m, "v");
                if (mv->type != KAPI_V_STRING) {
                    if (!type_err)
                        type_err = kapi_pool_printf(pool,
                                                    "json: cannot unmarshal %s into Go struct field "
                                                    "continueToken.%s of type string",
                                                    json_kind(mv), is_v ? "v" : "start");
                } else if (is_v) {
                    version = mv->u.str.s;
                    version_len = mv->u.str.len;
                } else {
                    start = mv->u.str.s;
                    start_len = mv->u.str.len;
                }
            } else if (key_is(m, "rv")) {
                if (mv->type == KAPI_V_INT) {
                    rv = mv->u.i;
                } else if (!type_err) {
                    const char *what = json_kind(mv);
                    if (mv->type == KAPI_V_FLOAT) {
                        char num[40];
                        size_t n = kapi_json_format_float(mv->u.f, num);
                        what = kapi_pool_printf(pool, "number %.*s", (int)n, num);
                    }
                    type_err = kapi_pool_printf(pool,
                                                "json: cannot unmarshal %s into Go struct field "
                                                "continueToken.rv of type int64",
                                                what);
                }
            }
        }
    } else if (v->type != KAPI_V_NULL) {
        type_err = kapi_pool_printf(pool, "json: cannot unmarshal %s into Go value of type storage.continueToken",
                                    json_kind(v));
    }
    if (type_err) {
        e = kapi_pool_printf(pool, INVALID ": %s", type_err);
        goto fail;
    }
    if (version_len != strlen(KAPI_CONTINUE_VERSION) || memcmp(version, KAPI_CONTINUE_VERSION, version_len) != 0) {
        e = kapi_pool_printf(pool, INVALID ": server does not recognize this encoded version %s", version);
        goto fail;
    }
    if (rv == 0) {
        e = INVALID ": incorrect encoded start resourceVersion (version meta.k8s.io/v1)";
        goto fail;
    }
    if (start_len == 0) {
        e = INVALID ": encoded start key empty (version meta.k8s.io/v1)";
        goto fail;
    }
    /* Refuse any start that is not already a clean path, so a client cannot
     * climb above the listed prefix with "..". */
    const char *rooted = start;
    size_t rooted_len = start_len;
    if (start[0] != '/') {
        char *r = kapi_pool_alloc(pool, start_len + 2);
        r[0] = '/';
        memcpy(r + 1, start, start_len + 1);
        rooted = r;
        rooted_len = start_len + 1;
    }
    if (!is_clean_rooted(rooted, rooted_len)) {
        struct kapi_buf m;
        kapi_buf_init(&m, 0);
        kapi_buf_puts(&m, INVALID ": ");
        kapi_buf_append(&m, start, start_len);
        e = kapi_pool_strndup(pool, m.data, m.len);
        kapi_buf_dispose(&m);
        goto fail;
    }
    size_t plen = key_prefix ? strlen(key_prefix) : 0;
    char *key = kapi_pool_alloc(pool, plen + rooted_len);
    memcpy(key, key_prefix ? key_prefix : "", plen);
    memcpy(key + plen, rooted + 1, rooted_len - 1);
    key[plen + rooted_len - 1] = '\0';
    out->rv = rv;
    out->start = rooted + 1;
    out->start_len = rooted_len - 1;
    out->key = key;
    out->key_len = plen + rooted_len - 1;
    if (err)
        *err = NULL;
    return 0;
fail:
    if (err)
        *err = e;
    return -1;
}

int kapi_continue_decode(struct kapi_pool *pool, const char *token, int64_t *rv, const char **start,
                         const char **err)
{
    struct kapi_continue c;
    if (kapi_continue_decode_key(pool, token, token ? strlen(token) : 0, NULL, &c, err) < 0)
        return -1;
    if (rv)
        *rv = c.rv;
    if (start)
        *start = c.start;
    return 0;
}
