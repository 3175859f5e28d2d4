/* Query-string parsing for API requests (Go's url.ParseQuery rules). */
#include <string.h>
#include <strings.h>

#include "endpoints_int.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char *unescape(struct kapi_pool *pool, const char *s, size_t n)
{
    char *out = kapi_pool_alloc(pool, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n)
                return NULL;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0)
                return NULL;
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (s[i] == '+') {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = 0;
    return out;
}

int kapi_parse_query(struct kapi_pool *pool, const char *q, struct kapi_qparam **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!q || !*q)
        return 0;
    size_t cap = 1;
    for (const char *p = q; *p; p++)
        cap += *p == '&';
    struct kapi_qparam *ps = kapi_pool_alloc(pool, cap * sizeof(*ps));
    size_t cnt = 0;
    const char *p = q;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            char *k = unescape(pool, p, klen);
            char *v = eq ? unescape(pool, eq + 1, len - klen - 1) : kapi_pool_strdup(pool, "");
            if (!k || !v)
                return -1;
            ps[cnt].name = k;
            ps[cnt].value = v;
            cnt++;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    *out = ps;
    *n = cnt;
    return 0;
}

const char *kapi_req_param(const struct kapi_req *r, const char *name)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return r->params[i].value;
    return NULL;
}

int kapi_parse_bool(const char *s)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(t); i++)
        if (strcmp(s, t[i]) == 0)
            return 1;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(f); i++)
        if (strcmp(s, f[i]) == 0)
            return 0;
    return -1;
}
