/* Webhook token authentication, after upstream's
 * k8s.io/apiserver/plugin/pkg/authenticator/token/webhook, its generic
 * webhook client (kubeconfig loading, ?timeout=30s) and the token cache
 * kube-apiserver wraps it in (success and failure TTL both the cache TTL). */
#include "webhook_token.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "../base/b64.h"
#include "../codec/json.h"
#include "../codec/value.h"
#include "../codec/yaml.h"
#include "../http/client.h"

#define CACHE_SLOTS 4096u

struct centry {
    unsigned char key[32];
    bool used;
    int64_t expires_ms;
    int result;          /* 1 ok, 0 not authenticated, -1 error */
    char *name, *uid;
    char **groups;
    size_t ngroups;
    char **ekeys, **evals;
    size_t nextra;
};

struct kapi_webhook_token {
    char *url;           /* with ?timeout=30s */
    char *ca_pem, *cert_pem, *key_pem, *server_name, *bearer;
    bool v1beta1, allow_http;
    int ttl_ms, timeout_ms;
    char **auds;
    size_t naud;
    pthread_mutex_t mu;
    struct centry *cache;
    _Atomic uint64_t calls;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...) KAPI_PRINTF(3, 4);
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        seterr(err, errlen, "open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 16u << 20);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        kapi_buf_append(&b, chunk, n);
    fclose(f);
    kapi_buf_putc(&b, 0);
    *len = b.len - 1;
    return b.data; /* the buffer's heap memory now belongs to the caller */
}

/* A kubeconfig *-data field: a []byte, so Go's StdEncoding. Heap bytes,
 * NUL-terminated; NULL when malformed. */
static char *b64_decode_heap(const char *s)
{
    size_t n = strlen(s), len = 0;
    char *out = kapi_xmalloc(kapi_b64_decode_size(n));
    if (kapi_b64_decode(out, s, n, 0, &len, NULL) < 0) {
        free(out);
        return NULL;
    }
    return out;
}

static const struct kapi_value *named(const struct kapi_value *list, const char *name, const char *inner)
{
    if (!list || list->type != KAPI_V_ARRAY || !list->u.arr.len)
        return NULL;
    for (size_t i = 0; name && i < list->u.arr.len; i++) {
        const char *n = kapi_obj_get_str(list->u.arr.items[i], "name");
        if (n && strcmp(n, name) == 0)
            return kapi_obj_get(list->u.arr.items[i], inner);
    }
    return name ? NULL : kapi_obj_get(list->u.arr.items[0], inner);
}

/* data field wins over the file field; file paths are relative to the
 * kubeconfig's directory. Returns heap PEM, NULL when neither is set, or
 * sets *bad. */
static char *data_or_file(const struct kapi_value *o, const char *data_key, const char *file_key, const char *dir,
                          bool *bad, char *err, size_t errlen)
{
    const char *d = kapi_obj_get_str(o, data_key);
    if (d && *d) {
        char *r = b64_decode_heap(d);
        if (!r) {
            seterr(err, errlen, "%s: illegal base64 data", data_key);
            *bad = true;
        }
        return r;
    }
    const char *f = kapi_obj_get_str(o, file_key);
    if (!f || !*f)
        return NULL;
    char *path = f[0] == '/' || !dir ? kapi_xstrdup(f) : kapi_xasprintf("%s/%s", dir, f);
    size_t len;
    char *r = read_all(path, &len, err, errlen);
    free(path);
    if (!r)
        *bad = true;
    return r;
}

void kapi_webhook_token_free(struct kapi_webhook_token *w);

static void centry_clear(struct centry *e)
{
    free(e->name);
    free(e->uid);
    for (size_t i = 0; i < e->ngroups; i++)
        free(e->groups[i]);
    free(e->groups);
    for (size_t i = 0; i < e->nextra; i++) {
        free(e->ekeys[i]);
        free(e->evals[i]);
    }
    free(e->ekeys);
    free(e->evals);
    memset(e, 0, sizeof *e);
}

struct kapi_webhook_token *kapi_webhook_token_new(const struct kapi_webhook_token_opts *o, char *err,
                                                  size_t errlen)
{
    const char *version = o->version && *o->version ? o->version : "v1";
    if (strcmp(version, "v1") != 0 && strcmp(version, "v1beta1") != 0) {
        seterr(err, errlen,
               "unsupported authentication webhook version \"%s\", supported versions are \"v1\", \"v1beta1\"",
               version);
        return NULL;
    }
    char *data = NULL, *dir = NULL;
    size_t len;
    if (o->config_data) {
        data = kapi_xstrdup(o->config_data);
        len = strlen(data);
    } else {
        data = read_all(o->config_file ? o->config_file : "", &len, err, errlen);
        if (!data)
            return NULL;
        const char *slash = strrchr(o->config_file, '/');
        dir = slash ? kapi_xstrndup(o->config_file, (size_t)(slash - o->config_file)) : NULL;
    }
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_yaml_error yerr;
    struct kapi_value *cfg = kapi_yaml_parse(pool, data, len, &yerr);
    struct kapi_webhook_token *w = kapi_xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    bool bad = false;
    if (!cfg || cfg->type != KAPI_V_OBJECT) {
        seterr(err, errlen, "invalid kubeconfig: %s", cfg ? "not a mapping" : yerr.msg);
        bad = true;
    }
    const struct kapi_value *cluster = NULL, *user = NULL;
    if (!bad) {
        const char *cur = kapi_obj_get_str(cfg, "current-context");
        const struct kapi_value *ctx = cur && *cur ? named(kapi_obj_get(cfg, "contexts"), cur, "context") : NULL;
        if (cur && *cur && !ctx) {
            seterr(err, errlen, "invalid kubeconfig: context was not found for specified context: %s", cur);
            bad = true;
        } else if (ctx) {
            cluster = named(kapi_obj_get(cfg, "clusters"), kapi_obj_get_str(ctx, "cluster"), "cluster");
            const char *un = kapi_obj_get_str(ctx, "user");
            user = un && *un ? named(kapi_obj_get(cfg, "users"), un, "user") : NULL;
        } else {
            cluster = named(kapi_obj_get(cfg, "clusters"), NULL, "cluster");
            user = named(kapi_obj_get(cfg, "users"), NULL, "user");
        }
    }
    const char *server = cluster ? kapi_obj_get_str(cluster, "server") : NULL;
    if (!bad && (!server || !*server)) {
        seterr(err, errlen, "invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable");
        bad = true;
    }
    if (!bad) {
        w->ca_pem = data_or_file(cluster, "certificate-authority-data", "certificate-authority", dir, &bad, err, errlen);
        const char *sn = kapi_obj_get_str(cluster, "tls-server-name");
        w->server_name = sn && *sn ? kapi_xstrdup(sn) : NULL;
    }
    if (!bad && user) {
        w->cert_pem = data_or_file(user, "client-certificate-data", "client-certificate", dir, &bad, err, errlen);
        if (!bad)
            w->key_pem = data_or_file(user, "client-key-data", "client-key", dir, &bad, err, errlen);
        const char *tok = kapi_obj_get_str(user, "token");
        if (tok && *tok)
            w->bearer = kapi_xasprintf("Bearer %s", tok);
    }
    if (!bad) {
        struct kapi_http_client_url u;
        char uerr[256];
        if (kapi_http_client_parse_url(server, &u, uerr, sizeof uerr) < 0 || (!u.https && !o->allow_http)) {
            seterr(err, errlen, "invalid webhook server URL %s: %s", server, u.https ? uerr : "must be https");
            bad = true;
        } else {
            /* the generic webhook client asks for its 30 s deadline in the query */
            w->url = kapi_xasprintf("%s%stimeout=30s", server, strchr(server, '?') ? "&" : "?");
        }
    }
    kapi_pool_free(pool);
    free(data);
    free(dir);
    if (bad) {
        kapi_webhook_token_free(w);
        return NULL;
    }
    w->v1beta1 = strcmp(version, "v1beta1") == 0;
    w->allow_http = o->allow_http;
    w->ttl_ms = o->cache_ttl_s < 0 ? 0 : (o->cache_ttl_s ? o->cache_ttl_s : KAPI_WEBHOOK_TOKEN_DEFAULT_TTL_S) * 1000;
    w->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : KAPI_WEBHOOK_TOKEN_TIMEOUT_MS;
    w->auds = kapi_xcalloc(o->naud ? o->naud : 1, sizeof *w->auds);
    for (size_t i = 0; i < o->naud; i++)
        w->auds[w->naud++] = kapi_xstrdup(o->audiences[i]);
    if (w->ttl_ms)
        w->cache = kapi_xcalloc(CACHE_SLOTS, sizeof *w->cache);
    return w;
}

void kapi_webhook_token_free(struct kapi_webhook_token *w)
{
    if (!w)
        return;
    free(w->url);
    free(w->ca_pem);
    free(w->cert_pem);
    free(w->key_pem);
    free(w->server_name);
    free(w->bearer);
    for (size_t i = 0; i < w->naud; i++)
        free(w->auds[i]);
    free(w->auds);
    if (w->cache)
        for (size_t i = 0; i < CACHE_SLOTS; i++)
            centry_clear(&w->cache[i]);
    free(w->cache);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

uint64_t kapi_webhook_token_calls(const struct kapi_webhook_token *w)
{
    return atomic_load(&((struct kapi_webhook_token *)w)->calls);
}

static bool has_str(const struct kapi_value *arr, const char *s)
{
    for (size_t i = 0; arr && arr->type == KAPI_V_ARRAY && i < arr->u.arr.len; i++) {
        const char *v = kapi_value_cstr(arr->u.arr.items[i]);
        if (v && strcmp(v, s) == 0)
            return true;
    }
    return false;
}

/* One TokenReview round trip. Returns 1/0/-1 like the authenticator. */
static int review(struct kapi_webhook_token *w, struct kapi_pool *pool, const char *token, struct kapi_user *out,
                  const char **why)
{
    struct kapi_buf body;
    kapi_buf_init(&body, 0);
    kapi_buf_printf(&body, "{\"kind\":\"TokenReview\",\"apiVersion\":\"authentication.k8s.io/%s\","
                           "\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"token\":",
                    w->v1beta1 ? "v1beta1" : "v1");
    kapi_json_write_string(&body, token, strlen(token));
    if (w->naud) {
        kapi_buf_puts(&body, ",\"audiences\":[");
        for (size_t i = 0; i < w->naud; i++) {
            if (i)
                kapi_buf_putc(&body, ',');
            kapi_json_write_string(&body, w->auds[i], strlen(w->auds[i]));
        }
        kapi_buf_putc(&body, ']');
    }
    kapi_buf_puts(&body, "},\"status\":{\"user\":{}}}");
    struct kapi_http_header hdrs[2] = {{"Accept", "application/json, */*"}};
    size_t nh = 1;
    if (w->bearer)
        hdrs[nh++] = (struct kapi_http_header){"Authorization", w->bearer};
    struct kapi_http_client_req req = {
        .url = w->url,
        .method = "POST",
        .body = body.data,
        .body_len = body.len,
        .headers = hdrs,
        .nheaders = nh,
        .user_agent = "kube-apiserver/v1.33.0 (linux/amd64) kubernetes/kapi",
        .ca_pem = w->ca_pem,
        .client_cert_pem = w->cert_pem,
        .client_key_pem = w->key_pem,
        .server_name = w->server_name,
        .timeout_ms = w->timeout_ms,
        .allow_http = w->allow_http,
    };
    struct kapi_http_client_resp resp;
    atomic_fetch_add(&w->calls, 1);
    int rc = kapi_http_client_do(&req, &resp);
    kapi_buf_dispose(&body);
    if (rc < 0) {
        *why = kapi_pool_strdup(pool, resp.err);
        kapi_http_client_resp_dispose(&resp);
        return -1;
    }
    if (resp.status < 200 || resp.status > 299) {
        *why = kapi_pool_printf(pool, "the server responded with the status code %d", resp.status);
        kapi_http_client_resp_dispose(&resp);
        return -1;
    }
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(pool, resp.body, resp.body_len, NULL, &jerr);
    kapi_http_client_resp_dispose(&resp);
    if (!v || v->type != KAPI_V_OBJECT) {
        *why = "malformed TokenReview response";
        return -1;
    }
    const struct kapi_value *st = kapi_obj_get(v, "status");
    if (w->naud) {
        /* the audiences the answer is good for: its own, else ours; they must
         * meet the ones this request is for (ours) */
        const struct kapi_value *got = kapi_obj_get(st, "audiences");
        if (got && got->type == KAPI_V_ARRAY && got->u.arr.len) {
            bool meet = false;
            for (size_t i = 0; i < w->naud && !meet; i++)
                meet = has_str(got, w->auds[i]);
            if (!meet) {
                *why = "token audiences do not match";
                return 0;
            }
        }
    }
    const struct kapi_value *auth = kapi_obj_get(st, "authenticated");
    if (!auth || auth->type != KAPI_V_BOOL || !auth->u.b) {
        const char *e = kapi_obj_get_str(st, "error");
        if (e && *e) {
            *why = e;
            return -1;
        }
        *why = "token not authenticated by the webhook";
        return 0;
    }
    const struct kapi_value *u = kapi_obj_get(st, "user");
    memset(out, 0, sizeof *out);
    const char *name = kapi_obj_get_str(u, "username");
    out->name = name ? name : "";
    const char *uid = kapi_obj_get_str(u, "uid");
    out->uid = uid ? uid : "";
    const struct kapi_value *g = kapi_obj_get(u, "groups");
    if (g && g->type == KAPI_V_ARRAY && g->u.arr.len) {
        out->groups = kapi_pool_alloc(pool, g->u.arr.len * sizeof *out->groups);
        for (size_t i = 0; i < g->u.arr.len; i++) {
            const char *s = kapi_value_cstr(g->u.arr.items[i]);
            if (s)
                out->groups[out->ngroups++] = s;
        }
    }
    const struct kapi_value *ex = kapi_obj_get(u, "extra");
    if (ex && ex->type == KAPI_V_OBJECT) {
        size_t n = 0;
        for (size_t i = 0; i < ex->u.obj.len; i++) {
            const struct kapi_value *a = ex->u.obj.members[i].val;
            n += a && a->type == KAPI_V_ARRAY ? a->u.arr.len : 0;
        }
        out->extra_keys = kapi_pool_alloc(pool, (n + 1) * sizeof(char *));
        out->extra_values = kapi_pool_alloc(pool, (n + 1) * sizeof(char *));
        for (size_t i = 0; i < ex->u.obj.len; i++) {
            const struct kapi_value *a = ex->u.obj.members[i].val;
            for (size_t j = 0; a && a->type == KAPI_V_ARRAY && j < a->u.arr.len; j++) {
                const char *s = kapi_value_cstr(a->u.arr.items[j]);
                if (!s)
                    continue;
                out->extra_keys[out->nextra] = ex->u.obj.members[i].key;
                out->extra_values[out->nextra++] = s;
            }
        }
    }
    return 1;
}

static char **dup_list(const char *const *v, size_t n)
{
    char **r = kapi_xcalloc(n ? n : 1, sizeof *r);
    for (size_t i = 0; i < n; i++)
        r[i] = kapi_xstrdup(v[i]);
    return r;
}

int kapi_webhook_token_authenticate(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out,
                                    const char **why)
{
    struct kapi_webhook_token *w = ctx;
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    unsigned char key[32];
    kapi_sha256(token, strlen(token), key);
    struct centry *slot = NULL;
    if (w->cache) {
        uint32_t h;
        memcpy(&h, key, sizeof h);
        slot = &w->cache[h % CACHE_SLOTS];
        pthread_mutex_lock(&w->mu);
        if (slot->used && memcmp(slot->key, key, 32) == 0 && slot->expires_ms > kapi_now_ms()) {
            int r = slot->result;
            if (r == 1) {
                memset(out, 0, sizeof *out);
                out->name = kapi_pool_strdup(pool, slot->name);
                out->uid = kapi_pool_strdup(pool, slot->uid);
                out->groups = kapi_pool_alloc(pool, (slot->ngroups + 1) * sizeof(char *));
                for (size_t i = 0; i < slot->ngroups; i++)
                    out->groups[i] = kapi_pool_strdup(pool, slot->groups[i]);
                out->ngroups = slot->ngroups;
                out->extra_keys = kapi_pool_alloc(pool, (slot->nextra + 1) * sizeof(char *));
                out->extra_values = kapi_pool_alloc(pool, (slot->nextra + 1) * sizeof(char *));
                for (size_t i = 0; i < slot->nextra; i++) {
                    out->extra_keys[i] = kapi_pool_strdup(pool, slot->ekeys[i]);
                    out->extra_values[i] = kapi_pool_strdup(pool, slot->evals[i]);
                }
                out->nextra = slot->nextra;
            } else {
                *why = "cached: not authenticated";
            }
            pthread_mutex_unlock(&w->mu);
            return r;
        }
        pthread_mutex_unlock(&w->mu);
    }
    struct kapi_user u = {0};
    int r = review(w, pool, token, &u, why);
    if (r == 1)
        *out = u;
    if (slot) {
        pthread_mutex_lock(&w->mu);
        centry_clear(slot);
        slot->used = true;
        memcpy(slot->key, key, 32);
        slot->expires_ms = kapi_now_ms() + w->ttl_ms;
        slot->result = r;
        if (r == 1) {
            slot->name = kapi_xstrdup(u.name);
            slot->uid = kapi_xstrdup(u.uid);
            slot->groups = dup_list(u.groups, u.ngroups);
            slot->ngroups = u.ngroups;
            slot->ekeys = dup_list(u.extra_keys, u.nextra);
            slot->evals = dup_list(u.extra_values, u.nextra);
            slot->nextra = u.nextra;
        }
        pthread_mutex_unlock(&w->mu);
    }
    return r;
}
