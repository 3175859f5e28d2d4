/* Bootstrap token authentication (upstream:
 * plugin/pkg/auth/authenticator/token/bootstrap and the helpers in
 * k8s.io/cluster-bootstrap). Every way a token can fail here is reported as
 * "not mine", never as an error, which is what upstream does too: the
 * request then ends as an invalid bearer token (401). */
#include "bootstrap_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../base/b64.h"
#include "../cache/cache.h"
#include "../registry/registry.h"

#define SECRET_NS "kube-system"
#define SECRET_PREFIX "bootstrap-token-"
#define SECRET_TYPE "bootstrap.kubernetes.io/token"
#define USER_PREFIX "system:bootstrap:"
#define DEFAULT_GROUP "system:bootstrappers"

static bool lower_alnum(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* Secret data[key] as a string ("" when absent or undecodable, as Go's map
 * lookup gives an empty value). stringData is consulted first: upstream
 * merges it into data on write, which our Secret storage does not do yet. */
static const char *secret_data(struct kapi_pool *pool, const struct kapi_value *secret, const char *key)
{
    const char *sd = kapi_value_cstr(kapi_value_path(secret, "stringData", key, NULL));
    if (sd)
        return sd;
    const struct kapi_value *v = kapi_value_path(secret, "data", key, NULL);
    if (!v || v->type != KAPI_V_STRING)
        return "";
    size_t n = 0;
    unsigned char *out = kapi_b64_decode_pool(pool, v->u.str.s, v->u.str.len, 0, &n, NULL);
    if (!out || memchr(out, 0, n))
        return "";
    return (const char *)out;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int kapi_rfc3339_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se;
    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 ||
        se > 59)
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        off = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return 0;
}

/* cluster-bootstrap's group name rule: system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9] */
static bool valid_group(const char *g, size_t n)
{
    static const char pfx[] = "system:bootstrappers:";
    size_t pl = sizeof pfx - 1;
    if (n <= pl || n > pl + 256 || strncmp(g, pfx, pl) != 0)
        return false;
    for (size_t i = pl; i < n; i++) {
        char c = g[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == n - 1 || (c != ':' && c != '-')))
            return false;
    }
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#define NOT_MINE(msg)                                                                                           \
    do {                                                                                                        \
        if (why)                                                                                                \
            *why = (msg);                                                                                       \
        return 0;                                                                                               \
    } while (0)

int kapi_bootstrap_token_authenticate(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out,
                                      const char **why)
{
    struct kapi_bootstrap_token *bt = ctx;
    if (!token || strlen(token) != 23 || token[6] != '.' || !lower_alnum(token, 6) || !lower_alnum(token + 7, 16))
        NOT_MINE("not a bootstrap token");
    char id[7];
    memcpy(id, token, 6);
    id[6] = 0;
    const char *secret_part = token + 7;
    char name[32];
    snprintf(name, sizeof name, SECRET_PREFIX "%s", id);
    struct kapi_value *s = bt->get_secret(bt->ctx, pool, SECRET_NS, name);
    if (!s)
        NOT_MINE("no bootstrap token secret");
    if (kapi_value_path(s, "metadata", "deletionTimestamp", NULL) &&
        kapi_value_path(s, "metadata", "deletionTimestamp", NULL)->type != KAPI_V_NULL)
        NOT_MINE("bootstrap token secret is being deleted");
    const char *type = kapi_obj_get_str(s, "type");
    if (!type || strcmp(type, SECRET_TYPE) != 0)
        NOT_MINE("bootstrap token secret has the wrong type");
    const char *ts = secret_data(pool, s, "token-secret");
    if (strlen(ts) != 16 || CRYPTO_memcmp(ts, secret_part, 16) != 0)
        NOT_MINE("bootstrap token secret does not match");
    if (strcmp(secret_data(pool, s, "token-id"), id) != 0)
        NOT_MINE("bootstrap token id does not match its secret");
    const char *exp = secret_data(pool, s, "expiration");
    if (exp[0]) {
        int64_t t, now = bt->now_unix ? bt->now_unix : kapi_wall_ms() / 1000;
        if (kapi_rfc3339_parse(exp, &t) < 0 || t - now <= 0)
            NOT_MINE("bootstrap token has expired");
    }
    if (strcmp(secret_data(pool, s, "usage-bootstrap-authentication"), "true") != 0)
        NOT_MINE("bootstrap token is not usable for authentication");
    /* Groups: the default one plus auth-extra-groups (comma separated,
     * trimmed, each validated), sorted without duplicates. */
    const char *extra = secret_data(pool, s, "auth-extra-groups");
    size_t cap = 2;
    for (const char *p = extra; *p; p++)
        cap += *p == ',';
    const char **g = kapi_pool_alloc(pool, cap * sizeof *g);
    size_t ng = 0;
    g[ng++] = DEFAULT_GROUP;
    if (extra[0]) {
        const char *p = extra;
        for (;;) {
            size_t n = strcspn(p, ",");
            const char *a = p, *e = p + n;
            while (a < e && (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r' || *a == '\v' || *a == '\f'))
                a++;
            while (e > a && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r' || e[-1] == '\v' ||
                             e[-1] == '\f'))
                e--;
            if (!valid_group(a, (size_t)(e - a)))
                NOT_MINE("bootstrap token has an invalid auth-extra-groups entry");
            g[ng++] = kapi_pool_strndup(pool, a, (size_t)(e - a));
            if (!p[n])
                break;
            p += n + 1;
        }
    }
    qsort(g, ng, sizeof *g, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < ng; i++)
        if (!k || strcmp(g[k - 1], g[i]) != 0)
            g[k++] = g[i];
    memset(out, 0, sizeof *out);
    out->name = kapi_pool_printf(pool, USER_PREFIX "%s", id);
    out->uid = "";
    out->groups = g;
    out->ngroups = k;
    return 1;
}

struct kapi_value *kapi_bootstrap_secret_from_registry(void *registry, struct kapi_pool *pool, const char *ns,
                                                       const char *name)
{
    const struct kapi_kind *k = kapi_registry_find(registry, "", "v1", "secrets");
    if (!k || !k->rc)
        return NULL;
    struct kapi_cobj *o = kapi_rcache_get(k->rc, kapi_registry_key(pool, k, ns, name));
    if (!o)
        return NULL;
    struct kapi_value *v = kapi_cobj_value(o, pool);
    kapi_cobj_unref(o);
    return v;
}
