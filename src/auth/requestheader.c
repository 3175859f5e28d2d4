/* Front-proxy (request header) authentication, after upstream's
 * k8s.io/apiserver/pkg/authentication/request/headerrequest and the
 * verifying wrapper in request/x509. */
#include "requestheader.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct list {
    char **v;
    size_t n;
};

struct kapi_requestheader {
    struct kapi_x509_pool *ca;
    struct list allowed, user, uid, group, extra;
};

static void list_copy(struct list *l, const char *const *src, size_t n, bool trim)
{
    l->v = kapi_xcalloc(n ? n : 1, sizeof *l->v);
    l->n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = src[i] ? src[i] : "";
        size_t len = strlen(s);
        if (trim) {
            while (len && (*s == ' ' || *s == '\t'))
                s++, len--;
            while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
            if (!len)
                continue;
        }
        l->v[l->n++] = kapi_xstrndup(s, len);
    }
}

static void list_free(struct list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

struct kapi_requestheader *kapi_requestheader_new(const struct kapi_requestheader_opts *o, char *err,
                                                  size_t errlen)
{
    struct kapi_x509_pool *ca = o->ca_pem ? kapi_x509_pool_from_pem(o->ca_pem, o->ca_len ? o->ca_len : strlen(o->ca_pem),
                                                                     err, errlen)
                                          : kapi_x509_pool_load(o->client_ca_file ? o->client_ca_file : "", err, errlen);
    if (!ca)
        return NULL;
    struct kapi_requestheader *rh = kapi_xcalloc(1, sizeof *rh);
    rh->ca = ca;
    list_copy(&rh->allowed, o->allowed_names, o->nallowed, false);
    list_copy(&rh->user, o->username_headers, o->nusername, true);
    list_copy(&rh->uid, o->uid_headers, o->nuid, true);
    list_copy(&rh->group, o->group_headers, o->ngroup, true);
    list_copy(&rh->extra, o->extra_prefixes, o->nextra, true);
    return rh;
}

void kapi_requestheader_free(struct kapi_requestheader *rh)
{
    if (!rh)
        return;
    kapi_x509_pool_free(rh->ca);
    list_free(&rh->allowed);
    list_free(&rh->user);
    list_free(&rh->uid);
    list_free(&rh->group);
    list_free(&rh->extra);
    free(rh);
}

/* The first non-empty value among the named headers, in the order the
 * names are configured (and, for one name, the order received). */
static const char *first_value(const struct list *names, const struct kapi_http_header *h, size_t nh)
{
    for (size_t i = 0; i < names->n; i++)
        for (size_t j = 0; j < nh; j++)
            if (strcasecmp(h[j].name, names->v[i]) == 0 && h[j].value && h[j].value[0])
                return h[j].value;
    return NULL;
}

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

/* Extra keys travel lower-cased and percent-encoded; a malformed escape
 * leaves the key as it came (upstream's rule). */
static char *extra_key(struct kapi_pool *pool, const char *s)
{
    size_t n = strlen(s);
    char *low = kapi_pool_alloc(pool, n + 1);
    for (size_t i = 0; i <= n; i++)
        low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    char *out = kapi_pool_alloc(pool, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (low[i] == '%') {
            int a = i + 1 < n ? hexval(low[i + 1]) : -1, b = i + 2 < n ? hexval(low[i + 2]) : -1;
            if (a < 0 || b < 0)
                return low;
            out[o++] = (char)(a * 16 + b);
            i += 2;
        } else {
            out[o++] = low[i];
        }
    }
    out[o] = 0;
    return out;
}

int kapi_requestheader_authenticate_headers(struct kapi_requestheader *rh, struct kapi_pool *pool,
                                            const struct kapi_http_peer *peer,
                                            const struct kapi_http_header *h, size_t nh, struct kapi_user *out,
                                            const char **why)
{
    if (!peer || !peer->has_cert || !peer->cert_der)
        return 0;
    char err[160];
    if (kapi_x509_pool_verify_peer(rh->ca, peer, err, sizeof err) < 0) {
        if (why)
            *why = kapi_pool_strdup(pool, err);
        return -1;
    }
    if (rh->allowed.n) {
        bool ok = false;
        for (size_t i = 0; i < rh->allowed.n && !ok; i++)
            ok = peer->cn && strcmp(peer->cn, rh->allowed.v[i]) == 0;
        if (!ok) {
            if (why)
                *why = kapi_pool_printf(pool, "x509: subject with cn=%s is not in the allowed list",
                                        peer->cn ? peer->cn : "");
            return -1;
        }
    }
    const char *name = first_value(&rh->user, h, nh);
    if (!name)
        return 0;
    memset(out, 0, sizeof *out);
    out->name = kapi_pool_strdup(pool, name);
    const char *uid = first_value(&rh->uid, h, nh);
    out->uid = uid ? kapi_pool_strdup(pool, uid) : "";
    out->groups = kapi_pool_alloc(pool, (nh + 1) * sizeof *out->groups);
    for (size_t i = 0; i < rh->group.n; i++)
        for (size_t j = 0; j < nh; j++)
            if (strcasecmp(h[j].name, rh->group.v[i]) == 0 && h[j].value && h[j].value[0])
                out->groups[out->ngroups++] = kapi_pool_strdup(pool, h[j].value);
    /* Extra: every header under a prefix; values of one key stay together. */
    out->extra_keys = kapi_pool_alloc(pool, (nh + 1) * sizeof *out->extra_keys);
    out->extra_values = kapi_pool_alloc(pool, (nh + 1) * sizeof *out->extra_values);
    for (size_t i = 0; i < rh->extra.n; i++) {
        size_t pl = strlen(rh->extra.v[i]);
        for (size_t j = 0; j < nh; j++) {
            if (strlen(h[j].name) <= pl || strncasecmp(h[j].name, rh->extra.v[i], pl) != 0)
                continue;
            const char *key = extra_key(pool, h[j].name + pl);
            /* insert after the last pair with the same key */
            size_t at = out->nextra;
            for (size_t k = 0; k < out->nextra; k++)
                if (strcmp(out->extra_keys[k], key) == 0)
                    at = k + 1;
            memmove(out->extra_keys + at + 1, out->extra_keys + at, (out->nextra - at) * sizeof(char *));
            memmove(out->extra_values + at + 1, out->extra_values + at, (out->nextra - at) * sizeof(char *));
            out->extra_keys[at] = key;
            out->extra_values[at] = kapi_pool_strdup(pool, h[j].value ? h[j].value : "");
            out->nextra++;
        }
    }
    return 1;
}

int kapi_requestheader_authenticate(void *ctx, struct kapi_pool *pool, const struct kapi_http_peer *peer,
                                    struct kapi_user *out, const char **why)
{
    if (!peer || !peer->request)
        return 0;
    return kapi_requestheader_authenticate_headers(ctx, pool, peer, peer->request->headers, peer->request->nheaders,
                                                   out, why);
}
