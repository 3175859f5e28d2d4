/* Implementation of src/storage/encrypt.h.
 *
 * Three parts: the configuration (decoding, upstream's validation and its
 * messages, building per-resource provider lists), the value transforms
 * (one function per provider, same bytes as upstream), and the store wrapper
 * (a vtable that transforms values and otherwise forwards to the inner
 * store). */
#include "encrypt.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/b64.h"
#include "../codec/json.h"
#include "../codec/yaml.h"
#include "../registry/resources.h"

#define ENC_MARK "k8s:enc:"
#define MAX_CONFIG_BYTES (4u << 20)

/* ------------------------------------------------------------------ */
/* error lists: upstream joins several errors as "[a, b]" (duplicates once) */

struct errlist {
    char **msg;
    size_t n, cap;
};

static void errlist_add(struct errlist *l, char *msg) /* takes msg */
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->msg[i], msg) == 0) {
            free(msg);
            return;
        }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->msg = kapi_xrealloc(l->msg, l->cap * sizeof(*l->msg));
    }
    l->msg[l->n++] = msg;
}

static void errlist_dispose(struct errlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->msg[i]);
    free(l->msg);
    memset(l, 0, sizeof(*l));
}

/* The aggregate text; heap. */
static char *errlist_text(const struct errlist *l)
{
    if (l->n == 1)
        return kapi_xstrdup(l->msg[0]);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '[');
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            kapi_buf_puts(&b, ", ");
        kapi_buf_puts(&b, l->msg[i]);
    }
    kapi_buf_putc(&b, ']');
    return kapi_buf_steal(&b, NULL);
}

/* ------------------------------------------------------------------ */
/* configuration model */

enum prov_type { P_NONE, P_IDENTITY, P_AESCBC, P_AESGCM, P_SECRETBOX, P_KMS };

struct enc_key {
    char *name;
    size_t name_len;
    unsigned char secret[32];
    size_t secret_len;
};

struct enc_provider {
    enum prov_type type;
    const char *prefix; /* "k8s:enc:aescbc:v1:", "" for identity */
    struct enc_key *keys;
    size_t nkeys;
};

/* One group/resource of the configuration and its providers in order (a
 * resource named in several entries gets their providers concatenated). */
struct enc_rule {
    char *group, *resource; /* "*" wildcards */
    struct enc_provider **provs;
    size_t nprovs;
};

/* Storage path segment -> group/resource, for keys laid out as
 * /registry/<segment>/... */
struct path_res {
    const char *seg;
    const char *group, *resource;
};

struct enc_watch;

struct enc_store {
    struct kapi_store base;
    struct kapi_store_ops ops;
    struct kapi_store *inner;
    struct enc_provider **provs; /* owned */
    size_t nprovs;
    struct enc_rule *rules;
    size_t nrules;
    struct path_res *paths; /* sorted by seg */
    size_t npaths;
    char *storage_prefix; /* NULL = keys are etcd keys as they are */
    pthread_mutex_t mu;
    struct enc_watch *watches;
};

static void provider_free(struct enc_provider *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nkeys; i++) {
        free(p->keys[i].name);
        sodium_memzero(p->keys[i].secret, sizeof(p->keys[i].secret));
    }
    free(p->keys);
    free(p);
}

static void config_free(struct enc_store *s)
{
    for (size_t i = 0; i < s->nprovs; i++)
        provider_free(s->provs[i]);
    free(s->provs);
    for (size_t i = 0; i < s->nrules; i++) {
        free(s->rules[i].group);
        free(s->rules[i].resource);
        free(s->rules[i].provs);
    }
    free(s->rules);
    free(s->paths);
    free(s->storage_prefix);
}

/* ------------------------------------------------------------------ */
/* A key's secret: Go's StdEncoding (padding required, CR/LF skipped)
 * into out, which keeps at most outcap bytes; *outlen is the full decoded
 * length. The scratch copy is wiped. Returns 0, or -1 on malformed input. */
static int secret_decode(const char *in, size_t len, unsigned char *out, size_t outcap, size_t *outlen)
{
    size_t size = kapi_b64_decode_size(len), n = 0;
    unsigned char *buf = kapi_xmalloc(size);
    int rc = kapi_b64_decode(buf, in, len, 0, &n, NULL);
    if (rc == 0) {
        memcpy(out, buf, n < outcap ? n : outcap);
        *outlen = n;
    }
    sodium_memzero(buf, size);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ */
/* decoding the file */

struct decode_ctx {
    struct errlist unknown; /* strict decoding: unknown fields */
    char *type_err;         /* first type mismatch, upstream's json wording */
};

static void unknown_fields(struct decode_ctx *d, const struct kapi_value *obj, const char *path,
                           const char *const *known)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return;
    for (size_t i = 0; i < obj->u.obj.len; i++) {
        const char *k = obj->u.obj.members[i].key;
        bool ok = false;
        for (const char *const *p = known; *p; p++)
            if (strcmp(*p, k) == 0)
                ok = true;
        if (!ok)
            errlist_add(&d->unknown, kapi_xasprintf("unknown field \"%s%s%s\"", path, path[0] ? "." : "", k));
    }
}

static const char *json_kind(const struct kapi_value *v)
{
    switch (v->type) {
    case KAPI_V_NULL: return "null";
    case KAPI_V_BOOL: return "bool";
    case KAPI_V_INT:
    case KAPI_V_FLOAT: return "number";
    case KAPI_V_STRING: return "string";
    case KAPI_V_ARRAY: return "array";
    case KAPI_V_OBJECT: return "object";
    }
    return "value";
}

/* Records the first type error the way encoding/json words it. */
static bool want_type(struct decode_ctx *d, const struct kapi_value *v, enum kapi_vtype t, const char *field,
                      const char *gotype)
{
    if (!v || v->type == KAPI_V_NULL || v->type == t)
        return v && v->type == t;
    if (!d->type_err)
        d->type_err = kapi_xasprintf("json: cannot unmarshal %s into Go struct field %s of type %s", json_kind(v),
                                     field, gotype);
    return false;
}

/* ------------------------------------------------------------------ */
/* validation, upstream's rules and texts */

/* Group/resource of a configured name, both heap strings. */
static void split_gr(const char *s, char **group, char **resource)
{
    const char *dot = strchr(s, '.');
    if (dot) {
        *resource = kapi_xstrndup(s, (size_t)(dot - s));
        *group = kapi_xstrdup(dot + 1);
    } else {
        *resource = kapi_xstrdup(s);
        *group = kapi_xstrdup("");
    }
}

static char *gr_string(const char *group, const char *resource)
{
    if (!group[0] && strcmp(resource, "*") == 0)
        return kapi_xstrdup("*.");
    if (!group[0])
        return kapi_xstrdup(resource);
    return kapi_xasprintf("%s.%s", resource, group);
}

/* Go's %#v of a []string. */
static char *go_string_slice(const struct kapi_value *arr)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "[]string{");
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const char *s = kapi_value_cstr(arr->u.arr.items[i]);
        if (i)
            kapi_buf_puts(&b, ", ");
        kapi_json_write_string(&b, s ? s : "", s ? strlen(s) : 0);
    }
    kapi_buf_putc(&b, '}');
    return kapi_buf_steal(&b, NULL);
}

static bool has_capital(const char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            return true;
    return false;
}

static const char *prov_field(enum prov_type t)
{
    switch (t) {
    case P_AESGCM: return "aesgcm";
    case P_AESCBC: return "aescbc";
    case P_SECRETBOX: return "secretbox";
    case P_IDENTITY: return "identity";
    case P_KMS: return "kms";
    default: return "";
    }
}

static const enum prov_type prov_order[] = {P_AESGCM, P_AESCBC, P_SECRETBOX, P_IDENTITY, P_KMS};

/* Go's %#v of the internal ProviderConfiguration (pointer fields; the
 * addresses of set ones are not reproducible and shown as 0xc000000000). */
static char *go_provider(const struct kapi_value *p)
{
    static const char *const fields[] = {"AESGCM", "AESCBC", "Secretbox", "Identity", "KMS"};
    static const char *const types[] = {"AESConfiguration", "AESConfiguration", "SecretboxConfiguration",
                                        "IdentityConfiguration", "KMSConfiguration"};
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "apiserver.ProviderConfiguration{");
    for (size_t i = 0; i < KAPI_ARRAY_LEN(prov_order); i++) {
        const struct kapi_value *v = p && p->type == KAPI_V_OBJECT ? kapi_obj_get(p, prov_field(prov_order[i])) : NULL;
        bool set = v && v->type != KAPI_V_NULL;
        kapi_buf_printf(&b, "%s%s:(*apiserver.%s)(%s)", i ? ", " : "", fields[i], types[i],
                        set ? "0xc000000000" : "nil");
    }
    kapi_buf_putc(&b, '}');
    return kapi_buf_steal(&b, NULL);
}

static void validate_keys(struct errlist *errs, const struct kapi_value *keys, const char *path, const int *sizes,
                          size_t nsizes)
{
    size_t n = keys && keys->type == KAPI_V_ARRAY ? keys->u.arr.len : 0;
    if (n == 0) {
        errlist_add(errs, kapi_xasprintf("%s: Required value: at least one keys is required", path));
        return;
    }
    char sizes_txt[32] = "[";
    for (size_t i = 0; i < nsizes; i++)
        snprintf(sizes_txt + strlen(sizes_txt), sizeof(sizes_txt) - strlen(sizes_txt), "%s%d", i ? " " : "",
                 sizes[i]);
    strcat(sizes_txt, "]");
    for (size_t i = 0; i < n; i++) {
        const struct kapi_value *k = keys->u.arr.items[i];
        const char *name = k->type == KAPI_V_OBJECT ? kapi_obj_get_str(k, "name") : NULL;
        const char *secret = k->type == KAPI_V_OBJECT ? kapi_obj_get_str(k, "secret") : NULL;
        if (!name || !*name)
            errlist_add(errs, kapi_xasprintf("%s[%zu].name: Required value: name is a mandatory field for a key",
                                             path, i));
        if (!secret || !*secret) {
            errlist_add(errs, kapi_xasprintf(
                                  "%s[%zu].secret: Required value: secret is a mandatory field for a key", path, i));
            continue;
        }
        unsigned char tmp[64];
        size_t got = 0;
        if (secret_decode(secret, strlen(secret), tmp, sizeof(tmp), &got) < 0) {
            errlist_add(errs, kapi_xasprintf("%s[%zu].secret: Invalid value: \"REDACTED\": secrets must be base64 "
                                             "encoded",
                                             path, i));
            continue;
        }
        sodium_memzero(tmp, sizeof(tmp));
        bool ok = false;
        for (size_t j = 0; j < nsizes; j++)
            if ((int)got == sizes[j])
                ok = true;
        if (!ok)
            errlist_add(errs, kapi_xasprintf("%s[%zu].secret: Invalid value: \"REDACTED\": secret is not of the "
                                             "expected length, got %zu, expected one of %s",
                                             path, i, got, sizes_txt));
    }
}

static void validate_resources(struct errlist *errs, const struct kapi_value *res, const char *path)
{
    size_t n = res && res->type == KAPI_V_ARRAY ? res->u.arr.len : 0;
    if (n == 0) {
        errlist_add(errs, kapi_xasprintf("%s: Required value: at least one %s is required", path, path));
        return;
    }
    /* overlap and duplicates, in upstream's loop order */
    if (n >= 2) {
        char **g = kapi_xcalloc(n, sizeof(char *)), **r = kapi_xcalloc(n, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            const char *s = kapi_value_cstr(res->u.arr.items[i]);
            split_gr(s ? s : "", &g[i], &r[i]);
        }
        bool overlap = false, dup = false;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                if (i == j)
                    continue;
                bool same = strcmp(g[i], g[j]) == 0 && strcmp(r[i], r[j]) == 0;
                if (same && !dup) {
                    dup = true;
                    continue;
                }
                if (overlap)
                    continue;
                if (strcmp(g[i], "*") == 0 && strcmp(r[i], "*") == 0) {
                    overlap = true;
                    continue;
                }
                if (strcmp(g[i], g[j]) != 0)
                    continue;
                if (strcmp(r[i], "*") == 0 || strcmp(r[j], "*") == 0)
                    overlap = true;
            }
        char *v = go_string_slice(res);
        if (dup)
            errlist_add(errs, kapi_xasprintf("%s: Invalid value: %s: the same resource cannot be specified multiple "
                                             "times",
                                             path, v));
        if (overlap)
            errlist_add(errs, kapi_xasprintf("%s: Invalid value: %s: using overlapping resources such as 'secrets' "
                                             "and '*.' in the same resource list is not allowed as they will be "
                                             "masked",
                                             path, v));
        free(v);
        for (size_t i = 0; i < n; i++) {
            free(g[i]);
            free(r[i]);
        }
        free(g);
        free(r);
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = kapi_value_cstr(res->u.arr.items[i]);
        if (!s)
            s = "";
        const char *why = NULL;
        char *g, *r;
        split_gr(s, &g, &r);
        if (has_capital(s))
            why = "resource name should not contain capital letters";
        else if (strcmp(s, "*") == 0)
            why = "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources";
        else if (!strcmp(s, "apiserveripinfo") || !strcmp(s, "serviceipallocations") ||
                 !strcmp(s, "servicenodeportallocations"))
            why = "resources which do not have REST API/s cannot be encrypted";
        else if (strcmp(g, "events.k8s.io") == 0)
            why = "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead "
                  "in the config file";
        else if (strcmp(g, "extensions") == 0)
            why = "'extensions' group has been removed and cannot be used for encryption";
        else if (strcmp(g, "*") == 0 && strcmp(r, "*") != 0)
            why = "encrypting the same resource across groups is not supported";
        free(g);
        free(r);
        if (why) {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_json_write_string(&b, s, strlen(s));
            char *q = kapi_buf_steal(&b, NULL);
            errlist_add(errs, kapi_xasprintf("%s[%zu]: Invalid value: %s: %s", path, i, q, why));
            free(q);
        }
    }
}

static enum prov_type provider_kind(const struct kapi_value *p, int *count)
{
    enum prov_type t = P_NONE;
    *count = 0;
    if (!p || p->type != KAPI_V_OBJECT)
        return P_NONE;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(prov_order); i++) {
        const struct kapi_value *v = kapi_obj_get(p, prov_field(prov_order[i]));
        if (v && v->type != KAPI_V_NULL) {
            if (!*count)
                t = prov_order[i];
            (*count)++;
        }
    }
    return t;
}

static void validate_config(struct errlist *errs, const struct kapi_value *cfg)
{
    const struct kapi_value *res = kapi_obj_get(cfg, "resources");
    size_t n = res && res->type == KAPI_V_ARRAY ? res->u.arr.len : 0;
    if (n == 0) {
        errlist_add(errs, kapi_xstrdup("resources: Required value: at least one resources is required"));
        return;
    }
    static const int aes_sizes[] = {16, 24, 32}, box_sizes[] = {32};
    for (size_t i = 0; i < n; i++) {
        const struct kapi_value *rc = res->u.arr.items[i];
        char rpath[64], ppath[64];
        snprintf(rpath, sizeof(rpath), "resources[%zu].resources", i);
        snprintf(ppath, sizeof(ppath), "resources[%zu].providers", i);
        validate_resources(errs, kapi_obj_get(rc, "resources"), rpath);
        const struct kapi_value *provs = kapi_obj_get(rc, "providers");
        size_t np = provs && provs->type == KAPI_V_ARRAY ? provs->u.arr.len : 0;
        if (np == 0)
            errlist_add(errs, kapi_xasprintf("%s: Required value: at least one %s is required", ppath, ppath));
        for (size_t j = 0; j < np; j++) {
            const struct kapi_value *p = provs->u.arr.items[j];
            int count;
            enum prov_type t = provider_kind(p, &count);
            if (count != 1) {
                char *v = go_provider(p);
                errlist_add(errs, kapi_xasprintf("%s[%zu]: Invalid value: %s: %s", ppath, j, v,
                                                 count == 0 ? "provider does not contain any of the expected "
                                                              "providers: KMS, AESGCM, AESCBC, Secretbox, Identity"
                                                            : "more than one provider specified in a single "
                                                              "element, should split into different list "
                                                              "elements"));
                free(v);
            }
            char kpath[160];
            snprintf(kpath, sizeof(kpath), "%s[%zu].%s.keys", ppath, j, prov_field(t));
            const struct kapi_value *pc = kapi_obj_get(p, prov_field(t));
            if (t == P_AESGCM || t == P_AESCBC)
                validate_keys(errs, kapi_obj_get(pc, "keys"), kpath, aes_sizes, 3);
            else if (t == P_SECRETBOX)
                validate_keys(errs, kapi_obj_get(pc, "keys"), kpath, box_sizes, 1);
        }
    }
}

/* Strict decode of the document's shape: unknown fields and wrong types. */
static void check_shape(struct decode_ctx *d, const struct kapi_value *cfg)
{
    static const char *const top[] = {"apiVersion", "kind", "resources", NULL};
    static const char *const rc_known[] = {"resources", "providers", NULL};
    static const char *const pv_known[] = {"aesgcm", "aescbc", "secretbox", "identity", "kms", NULL};
    static const char *const keys_known[] = {"keys", NULL};
    static const char *const key_known[] = {"name", "secret", NULL};
    static const char *const kms_known[] = {"apiVersion", "name", "cachesize", "endpoint", "timeout", NULL};
    unknown_fields(d, cfg, "", top);
    const struct kapi_value *res = kapi_obj_get(cfg, "resources");
    if (!want_type(d, res, KAPI_V_ARRAY, "EncryptionConfiguration.resources", "[]v1.ResourceConfiguration"))
        return;
    for (size_t i = 0; i < res->u.arr.len; i++) {
        const struct kapi_value *rc = res->u.arr.items[i];
        if (!want_type(d, rc, KAPI_V_OBJECT, "EncryptionConfiguration.resources", "v1.ResourceConfiguration"))
            continue;
        char path[64];
        snprintf(path, sizeof(path), "resources[%zu]", i);
        unknown_fields(d, rc, path, rc_known);
        const struct kapi_value *names = kapi_obj_get(rc, "resources");
        if (want_type(d, names, KAPI_V_ARRAY, "EncryptionConfiguration.resources.resources", "[]string"))
            for (size_t j = 0; j < names->u.arr.len; j++)
                want_type(d, names->u.arr.items[j], KAPI_V_STRING, "EncryptionConfiguration.resources.resources",
                          "string");
        const struct kapi_value *provs = kapi_obj_get(rc, "providers");
        if (!want_type(d, provs, KAPI_V_ARRAY, "EncryptionConfiguration.resources.providers",
                       "[]v1.ProviderConfiguration"))
            continue;
        for (size_t j = 0; j < provs->u.arr.len; j++) {
            const struct kapi_value *p = provs->u.arr.items[j];
            if (!want_type(d, p, KAPI_V_OBJECT, "EncryptionConfiguration.resources.providers",
                           "v1.ProviderConfiguration"))
                continue;
            char ppath[96];
            snprintf(ppath, sizeof(ppath), "%s.providers[%zu]", path, j);
            unknown_fields(d, p, ppath, pv_known);
            for (size_t t = 0; t < KAPI_ARRAY_LEN(prov_order); t++) {
                const char *f = prov_field(prov_order[t]);
                const struct kapi_value *pc = kapi_obj_get(p, f);
                char field[128], fpath[160];
                snprintf(field, sizeof(field), "EncryptionConfiguration.resources.providers.%s", f);
                snprintf(fpath, sizeof(fpath), "%s.%s", ppath, f);
                static const char *const gotypes[] = {"v1.AESConfiguration", "v1.AESConfiguration",
                                                      "v1.SecretboxConfiguration", "v1.IdentityConfiguration",
                                                      "v1.KMSConfiguration"};
                if (!want_type(d, pc, KAPI_V_OBJECT, field, gotypes[t]))
                    continue;
                if (prov_order[t] == P_IDENTITY) {
                    static const char *const none[] = {NULL};
                    unknown_fields(d, pc, fpath, none);
                    continue;
                }
                if (prov_order[t] == P_KMS) {
                    unknown_fields(d, pc, fpath, kms_known);
                    continue;
                }
                unknown_fields(d, pc, fpath, keys_known);
                const struct kapi_value *keys = kapi_obj_get(pc, "keys");
                char kfield[160];
                snprintf(kfield, sizeof(kfield), "%s.keys", field);
                if (!want_type(d, keys, KAPI_V_ARRAY, kfield, "[]v1.Key"))
                    continue;
                for (size_t k = 0; k < keys->u.arr.len; k++) {
                    const struct kapi_value *key = keys->u.arr.items[k];
                    if (!want_type(d, key, KAPI_V_OBJECT, kfield, "v1.Key"))
                        continue;
                    char kpath[200], nfield[200];
                    snprintf(kpath, sizeof(kpath), "%s.keys[%zu]", fpath, k);
                    unknown_fields(d, key, kpath, key_known);
                    snprintf(nfield, sizeof(nfield), "%s.name", kfield);
                    want_type(d, kapi_obj_get(key, "name"), KAPI_V_STRING, nfield, "string");
                    snprintf(nfield, sizeof(nfield), "%s.secret", kfield);
                    want_type(d, kapi_obj_get(key, "secret"), KAPI_V_STRING, nfield, "string");
                }
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* building providers and rules */

static struct enc_provider *build_provider(const struct kapi_value *p)
{
    int count;
    enum prov_type t = provider_kind(p, &count);
    struct enc_provider *pv = kapi_xcalloc(1, sizeof(*pv));
    pv->type = t;
    switch (t) {
    case P_AESCBC: pv->prefix = "k8s:enc:aescbc:v1:"; break;
    case P_AESGCM: pv->prefix = "k8s:enc:aesgcm:v1:"; break;
    case P_SECRETBOX: pv->prefix = "k8s:enc:secretbox:v1:"; break;
    default: pv->prefix = ""; break;
    }
    if (t == P_AESCBC || t == P_AESGCM || t == P_SECRETBOX) {
        const struct kapi_value *keys = kapi_obj_get(kapi_obj_get(p, prov_field(t)), "keys");
        pv->nkeys = keys->u.arr.len;
        pv->keys = kapi_xcalloc(pv->nkeys, sizeof(*pv->keys));
        for (size_t i = 0; i < pv->nkeys; i++) {
            const struct kapi_value *k = keys->u.arr.items[i];
            const char *secret = kapi_obj_get_str(k, "secret");
            pv->keys[i].name = kapi_xstrdup(kapi_obj_get_str(k, "name"));
            pv->keys[i].name_len = strlen(pv->keys[i].name);
            secret_decode(secret, strlen(secret), pv->keys[i].secret, sizeof(pv->keys[i].secret),
                       &pv->keys[i].secret_len);
        }
    }
    return pv;
}

static struct enc_rule *find_rule(struct enc_store *s, const char *group, const char *resource)
{
    for (size_t i = 0; i < s->nrules; i++)
        if (strcmp(s->rules[i].group, group) == 0 && strcmp(s->rules[i].resource, resource) == 0)
            return &s->rules[i];
    return NULL;
}

static int build_rules(struct enc_store *s, const struct kapi_value *cfg, char **err)
{
    const struct kapi_value *res = kapi_obj_get(cfg, "resources");
    for (size_t i = 0; i < res->u.arr.len; i++) {
        const struct kapi_value *rc = res->u.arr.items[i];
        const struct kapi_value *provs = kapi_obj_get(rc, "providers");
        size_t first = s->nprovs;
        for (size_t j = 0; j < provs->u.arr.len; j++) {
            int count;
            if (provider_kind(provs->u.arr.items[j], &count) == P_KMS) {
                *err = kapi_xstrdup("kms providers are not supported by kapi (use aescbc, aesgcm, secretbox or "
                                    "identity)");
                return -1;
            }
            s->provs = kapi_xrealloc(s->provs, (s->nprovs + 1) * sizeof(*s->provs));
            s->provs[s->nprovs++] = build_provider(provs->u.arr.items[j]);
        }
        const struct kapi_value *names = kapi_obj_get(rc, "resources");
        for (size_t j = 0; j < names->u.arr.len; j++) {
            char *g, *r;
            split_gr(kapi_value_cstr(names->u.arr.items[j]), &g, &r);
            const char *mask = find_rule(s, g, "*") ? g : find_rule(s, "*", "*") ? "*" : NULL;
            if (mask) {
                char *a = gr_string(g, r), *b = gr_string(mask, "*");
                *err = kapi_xasprintf("resource \"%s\" is masked by earlier rule \"%s\"", a, b);
                free(a);
                free(b);
                free(g);
                free(r);
                return -1;
            }
            struct enc_rule *rule = find_rule(s, g, r);
            if (!rule) {
                s->rules = kapi_xrealloc(s->rules, (s->nrules + 1) * sizeof(*s->rules));
                rule = &s->rules[s->nrules++];
                memset(rule, 0, sizeof(*rule));
                rule->group = g;
                rule->resource = r;
            } else {
                free(g);
                free(r);
            }
            size_t add = s->nprovs - first;
            rule->provs = kapi_xrealloc(rule->provs, (rule->nprovs + add) * sizeof(*rule->provs));
            for (size_t k = 0; k < add; k++)
                rule->provs[rule->nprovs++] = s->provs[first + k];
        }
    }
    return 0;
}

static int load_config(struct enc_store *s, const char *path, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = kapi_xasprintf("error while parsing file: error while loading file: error reading encryption provider "
                              "configuration file \"%s\": open %s: %s",
                              path, path, strerror(errno));
        return -1;
    }
    char *data = kapi_xmalloc(MAX_CONFIG_BYTES + 1);
    size_t len = fread(data, 1, MAX_CONFIG_BYTES + 1, f);
    fclose(f);
    if (len == 0) {
        free(data);
        *err = kapi_xasprintf("error while parsing file: error while loading file: encryption provider configuration "
                              "file \"%s\" is empty",
                              path);
        return -1;
    }
    if (len > MAX_CONFIG_BYTES) {
        free(data);
        *err = kapi_xasprintf("error while parsing file: error while loading file: encryption provider configuration "
                              "file \"%s\" is larger than %u bytes",
                              path, MAX_CONFIG_BYTES);
        return -1;
    }
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_yaml_error yerr;
    memset(&yerr, 0, sizeof(yerr));
    struct kapi_value *cfg = kapi_yaml_parse(pool, data, len, &yerr);
    sodium_memzero(data, len);
    free(data);
    int rc = -1;
    char *why = NULL;
    struct decode_ctx d;
    memset(&d, 0, sizeof(d));
    if (!cfg) {
        why = kapi_xasprintf("error converting YAML to JSON: %s", yerr.msg);
        goto decode_failed;
    }
    if (cfg->type != KAPI_V_OBJECT) {
        why = kapi_xasprintf("couldn't get version/kind; json parse error: json: cannot unmarshal %s into Go value "
                             "of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
                             "\"json:\\\"kind,omitempty\\\"\" }",
                             json_kind(cfg));
        goto decode_failed;
    }
    const char *kind = kapi_obj_get_str(cfg, "kind");
    const char *apiv = kapi_obj_get_str(cfg, "apiVersion");
    if (!kind || !*kind || !apiv || !*apiv) {
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_json_write(&b, cfg);
        char *js = kapi_buf_steal(&b, NULL);
        why = kapi_xasprintf("Object '%s' is missing in '%s'", !kind || !*kind ? "Kind" : "apiVersion", js);
        free(js);
        goto decode_failed;
    }
    if (strcmp(apiv, "apiserver.config.k8s.io/v1") != 0 || strcmp(kind, "EncryptionConfiguration") != 0) {
        why = kapi_xasprintf("no kind \"%s\" is registered for version \"%s\" in scheme "
                             "\"k8s.io/apiserver/pkg/server/options/encryptionconfig/config.go\"",
                             kind, apiv);
        goto decode_failed;
    }
    check_shape(&d, cfg);
    if (d.type_err) {
        why = d.type_err;
        d.type_err = NULL;
        goto decode_failed;
    }
    if (d.unknown.n) {
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_buf_puts(&b, "strict decoding error: ");
        for (size_t i = 0; i < d.unknown.n; i++)
            kapi_buf_printf(&b, "%s%s", i ? ", " : "", d.unknown.msg[i]);
        why = kapi_buf_steal(&b, NULL);
        goto decode_failed;
    }
    struct errlist verrs;
    memset(&verrs, 0, sizeof(verrs));
    validate_config(&verrs, cfg);
    if (verrs.n) {
        char *t = errlist_text(&verrs);
        *err = kapi_xasprintf("error while parsing file: %s", t);
        free(t);
        errlist_dispose(&verrs);
        goto out;
    }
    char *berr = NULL;
    if (build_rules(s, cfg, &berr) < 0) {
        *err = kapi_xasprintf("error while building transformers: %s", berr);
        free(berr);
        goto out;
    }
    rc = 0;
    goto out;
decode_failed:
    *err = kapi_xasprintf("error while parsing file: error decoding encryption provider configuration file \"%s\": %s",
                          path, why);
    free(why);
out:
    errlist_dispose(&d.unknown);
    free(d.type_err);
    kapi_pool_free(pool);
    return rc;
}

/* ------------------------------------------------------------------ */
/* key -> group/resource, following kapi's storage layout */

static const struct path_res special_paths[] = {
    {"controllers", "", "replicationcontrollers"},
    {"events", "", "events"},
    {"ingress", "networking.k8s.io", "ingresses"},
    {"masterleases", "", "apiserveripinfo"},
    {"minions", "", "nodes"},
};

static int path_cmp(const void *a, const void *b)
{
    return strcmp(((const struct path_res *)a)->seg, ((const struct path_res *)b)->seg);
}

static void build_paths(struct enc_store *s)
{
    size_t n = 0;
    const struct kapi_resource *all = kapi_resources_all(&n);
    s->paths = kapi_xcalloc(n + KAPI_ARRAY_LEN(special_paths) + 1, sizeof(*s->paths));
    for (size_t i = 0; i < KAPI_ARRAY_LEN(special_paths); i++)
        s->paths[s->npaths++] = special_paths[i];
    for (size_t i = 0; i < n; i++) {
        if (kapi_resource_is_sub(&all[i]))
            continue;
        bool seen = false;
        for (size_t j = 0; j < s->npaths && !seen; j++)
            seen = strcmp(s->paths[j].seg, all[i].name) == 0 ||
                   (strcmp(s->paths[j].resource, all[i].name) == 0 && strcmp(s->paths[j].group, all[i].group) == 0);
        if (!seen)
            s->paths[s->npaths++] = (struct path_res){all[i].name, all[i].group, all[i].name};
    }
    qsort(s->paths, s->npaths, sizeof(*s->paths), path_cmp);
}

/* The group/resource a storage key belongs to; false for keys outside any
 * resource (the compaction mark and the like). gbuf/rbuf receive
 * custom-resource names. */
static bool key_resource(const struct enc_store *s, const char *key, const char **group, const char **resource,
                         char *gbuf, size_t glen, char *rbuf, size_t rlen)
{
    static const char reg[] = "/registry/";
    if (strncmp(key, reg, sizeof(reg) - 1) != 0)
        return false;
    const char *seg = key + sizeof(reg) - 1;
    const char *slash = strchr(seg, '/');
    size_t sl = slash ? (size_t)(slash - seg) : strlen(seg);
    if (strcmp(seg, "ranges/serviceips") == 0) {
        *group = "";
        *resource = "serviceipallocations";
        return true;
    }
    if (strcmp(seg, "ranges/servicenodeports") == 0) {
        *group = "";
        *resource = "servicenodeportallocations";
        return true;
    }
    if (!slash)
        return false;
    if (memchr(seg, '.', sl)) {
        /* /registry/<group>/<plural>/...: custom resources and the two
         * built-ins upstream keeps the same way */
        const char *r = slash + 1;
        const char *rs = strchr(r, '/');
        if (!rs || sl >= glen || (size_t)(rs - r) >= rlen)
            return false;
        memcpy(gbuf, seg, sl);
        gbuf[sl] = 0;
        memcpy(rbuf, r, (size_t)(rs - r));
        rbuf[rs - r] = 0;
        *group = gbuf;
        *resource = rbuf;
        return true;
    }
    if (sl == 8 && strncmp(seg, "services", 8) == 0) {
        *group = "";
        if (strncmp(slash, "/specs/", 7) == 0)
            *resource = "services";
        else if (strncmp(slash, "/endpoints/", 11) == 0)
            *resource = "endpoints";
        else
            return false;
        return true;
    }
    if (sl >= rlen)
        return false;
    memcpy(rbuf, seg, sl);
    rbuf[sl] = 0;
    struct path_res k = {.seg = rbuf};
    const struct path_res *p = bsearch(&k, s->paths, s->npaths, sizeof(*s->paths), path_cmp);
    if (!p)
        return false;
    *group = p->group;
    *resource = p->resource;
    return true;
}

/* What applies to a key: *rule NULL with true = a resource nobody
 * configured (identity that refuses encrypted data); false = not a
 * resource key at all (passed through untouched). */
static bool rule_for_key(const struct enc_store *s, const char *key, const struct enc_rule **rule)
{
    *rule = NULL;
    if (!s->nrules)
        return false;
    const char *g, *r;
    char gbuf[256], rbuf[256];
    if (!key_resource(s, key, &g, &r, gbuf, sizeof(gbuf), rbuf, sizeof(rbuf)))
        return false;
    const struct enc_rule *best[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < s->nrules; i++) {
        const struct enc_rule *x = &s->rules[i];
        if (strcmp(x->group, g) == 0 && strcmp(x->resource, r) == 0)
            best[0] = x;
        else if (strcmp(x->group, g) == 0 && strcmp(x->resource, "*") == 0)
            best[1] = x;
        else if (strcmp(x->group, "*") == 0 && strcmp(x->resource, "*") == 0)
            best[2] = x;
    }
    *rule = best[0] ? best[0] : best[1] ? best[1] : best[2];
    return true;
}

/* ------------------------------------------------------------------ */
/* the transforms */

static const EVP_CIPHER *aes_cipher(size_t keylen, bool gcm)
{
    switch (keylen) {
    case 16: return gcm ? EVP_aes_128_gcm() : EVP_aes_128_cbc();
    case 24: return gcm ? EVP_aes_192_gcm() : EVP_aes_192_cbc();
    default: return gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc();
    }
}

/* out receives prefix-less provider bytes; returns 0 or -1. */
static int seal(const struct enc_key *k, enum prov_type t, const unsigned char *in, size_t len, const char *aad,
                struct kapi_buf *out)
{
    if (t == P_SECRETBOX) {
        size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
        unsigned char *buf = kapi_xmalloc(n);
        kapi_random(buf, crypto_secretbox_NONCEBYTES);
        crypto_secretbox_easy(buf + crypto_secretbox_NONCEBYTES, in, len, buf, k->secret);
        int rc = kapi_buf_append(out, buf, n);
        free(buf);
        return rc;
    }
    bool gcm = t == P_AESGCM;
    size_t ivlen = gcm ? 12 : 16;
    size_t pad = gcm ? 0 : 16 - len % 16;
    unsigned char *buf = kapi_xmalloc(ivlen + len + pad + 16);
    kapi_random(buf, ivlen);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = c && EVP_EncryptInit_ex(c, aes_cipher(k->secret_len, gcm), NULL, k->secret, buf) == 1;
    int n1 = 0, n2 = 0;
    size_t total = ivlen;
    if (ok && gcm) {
        int an = 0;
        ok = EVP_EncryptUpdate(c, NULL, &an, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
             EVP_EncryptUpdate(c, buf + ivlen, &n1, in, (int)len) == 1 &&
             EVP_EncryptFinal_ex(c, buf + ivlen + n1, &n2) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, buf + ivlen + n1 + n2) == 1;
        total += (size_t)n1 + (size_t)n2 + 16;
    } else if (ok) {
        /* PKCS#7 padding (OpenSSL's own, which is the same) */
        ok = EVP_EncryptUpdate(c, buf + ivlen, &n1, in, (int)len) == 1 &&
             EVP_EncryptFinal_ex(c, buf + ivlen + n1, &n2) == 1;
        total += (size_t)n1 + (size_t)n2;
    }
    EVP_CIPHER_CTX_free(c);
    int rc = ok ? kapi_buf_append(out, buf, total) : -1;
    free(buf);
    return rc;
}

/* Decrypts one provider's bytes (after "<prefix><key>:"). Returns a heap
 * plaintext or NULL with *why set to upstream's error text. */
static unsigned char *open_value(const struct enc_key *k, enum prov_type t, const unsigned char *in, size_t len,
                                 const char *aad, size_t *outlen, const char **why)
{
    if (t == P_SECRETBOX) {
        if (len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
            *why = "the stored data was shorter than the required size";
            return NULL;
        }
        size_t n = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
        unsigned char *out = kapi_xmalloc(n + 1);
        if (crypto_secretbox_open_easy(out, in + crypto_secretbox_NONCEBYTES, len - crypto_secretbox_NONCEBYTES, in,
                                       k->secret) != 0) {
            free(out);
            *why = "output array was not large enough for encryption"; /* upstream's wording */
            return NULL;
        }
        *outlen = n;
        return out;
    }
    if (t == P_AESGCM) {
        if (len < 12) {
            *why = "the stored data was shorter than the required size";
            return NULL;
        }
        if (len < 12 + 16) {
            *why = "cipher: message authentication failed";
            return NULL;
        }
        size_t n = len - 12 - 16;
        unsigned char *out = kapi_xmalloc(n + 16);
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int n1 = 0, n2 = 0, an = 0;
        int ok = c && EVP_DecryptInit_ex(c, aes_cipher(k->secret_len, true), NULL, k->secret, in) == 1 &&
                 EVP_DecryptUpdate(c, NULL, &an, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
                 EVP_DecryptUpdate(c, out, &n1, in + 12, (int)n) == 1 &&
                 EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(in + 12 + n)) == 1 &&
                 EVP_DecryptFinal_ex(c, out + n1, &n2) == 1;
        EVP_CIPHER_CTX_free(c);
        if (!ok) {
            free(out);
            *why = "cipher: message authentication failed";
            return NULL;
        }
        *outlen = (size_t)n1 + (size_t)n2;
        return out;
    }
    /* AES-CBC: padding checked by hand for upstream's error texts */
    if (len < 16) {
        *why = "the stored data was shorter than the required size";
        return NULL;
    }
    size_t n = len - 16;
    if (n % 16 != 0) {
        *why = "the stored data is not a multiple of the block size";
        return NULL;
    }
    if (n == 0) {
        *why = "invalid PKCS7 data (empty or not padded)";
        return NULL;
    }
    unsigned char *out = kapi_xmalloc(n + 16);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    int ok = c && EVP_DecryptInit_ex(c, aes_cipher(k->secret_len, false), NULL, k->secret, in) == 1 &&
             EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_DecryptUpdate(c, out, &n1, in + 16, (int)n) == 1 &&
             EVP_DecryptFinal_ex(c, out + n1, &n2) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        free(out);
        *why = "the stored data is not a multiple of the block size";
        return NULL;
    }
    unsigned pad = out[n - 1];
    if (pad == 0 || pad > n) {
        free(out);
        *why = "invalid PKCS7 data (empty or not padded)";
        return NULL;
    }
    for (size_t i = n - pad; i < n; i++)
        if (out[i] != pad) {
            free(out);
            *why = "invalid padding on input";
            return NULL;
        }
    *outlen = n - pad;
    return out;
}

static bool has_prefix(const struct kapi_blob *v, const char *p, size_t pl)
{
    return v->len >= pl && memcmp(v->data, p, pl) == 0;
}

/* The AAD upstream binds AES-GCM values to: the key as etcd stores it. */
static char *aad_for(const struct enc_store *s, const char *key)
{
    if (s->storage_prefix && strncmp(key, "/registry", 9) == 0)
        return kapi_xasprintf("%s%s", s->storage_prefix, key + 9);
    return kapi_xstrdup(key);
}

/* Storage bytes -> plaintext through the providers of rule (NULL: the
 * identity that refuses encrypted data). Returns a referenced blob, or NULL
 * with *err (heap) set to upstream's message. */
static struct kapi_blob *from_storage(const struct enc_store *s, const struct enc_rule *rule, const char *key,
                                      struct kapi_blob *v, char **err)
{
    static const char mark[] = ENC_MARK;
    bool encrypted = has_prefix(v, mark, sizeof(mark) - 1);
    if (!rule) {
        if (!encrypted)
            return kapi_blob_ref(v);
        *err = kapi_xstrdup("identity transformer tried to read encrypted data");
        return NULL;
    }
    struct errlist errs;
    memset(&errs, 0, sizeof(errs));
    char *aad = NULL;
    struct kapi_blob *out = NULL;
    for (size_t i = 0; i < rule->nprovs && !out; i++) {
        const struct enc_provider *p = rule->provs[i];
        if (p->type == P_IDENTITY) {
            if (!encrypted)
                out = kapi_blob_ref(v);
            continue; /* its error never hides a later provider */
        }
        size_t pl = strlen(p->prefix);
        if (!has_prefix(v, p->prefix, pl))
            continue;
        const char *rest = v->data + pl;
        size_t rlen = v->len - pl;
        size_t before = errs.n;
        for (size_t j = 0; j < p->nkeys && !out; j++) {
            const struct enc_key *k = &p->keys[j];
            if (rlen <= k->name_len || memcmp(rest, k->name, k->name_len) != 0 || rest[k->name_len] != ':')
                continue;
            if (!aad)
                aad = aad_for(s, key);
            const char *why = NULL;
            size_t plen = 0;
            unsigned char *plain = open_value(k, p->type, (const unsigned char *)rest + k->name_len + 1,
                                              rlen - k->name_len - 1, aad, &plen, &why);
            if (plain) {
                out = kapi_blob_new(plain, plen);
                sodium_memzero(plain, plen);
                free(plain);
            } else {
                errlist_add(&errs, kapi_xstrdup(why));
            }
        }
        if (!out && errs.n == before)
            errlist_add(&errs, kapi_xstrdup(p->type == P_SECRETBOX
                                                ? "no matching key was found for the provided Secretbox transformer"
                                                : "no matching key was found for the provided AES transformer"));
    }
    free(aad);
    if (!out)
        *err = errs.n ? errlist_text(&errs) : kapi_xstrdup("no matching prefix found");
    errlist_dispose(&errs);
    return out;
}

/* Plaintext -> storage bytes with the rule's first provider. Returns a heap
 * buffer (*out_len) or NULL when nothing is to be transformed. */
static char *to_storage(const struct enc_store *s, const struct enc_rule *rule, const char *key, const void *val,
                        size_t len, size_t *out_len, int *failed)
{
    *failed = 0;
    if (!rule || !rule->nprovs || rule->provs[0]->type == P_IDENTITY)
        return NULL;
    const struct enc_provider *p = rule->provs[0];
    const struct enc_key *k = &p->keys[0];
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, p->prefix);
    kapi_buf_append(&b, k->name, k->name_len);
    kapi_buf_putc(&b, ':');
    char *aad = aad_for(s, key);
    int rc = seal(k, p->type, val, len, aad, &b);
    free(aad);
    if (rc < 0) {
        kapi_buf_dispose(&b);
        *failed = 1;
        return NULL;
    }
    return kapi_buf_steal(&b, out_len);
}

/* Replaces kv->value by its plaintext. Returns 0, or -1 after logging
 * upstream's internal error text (the value is then released). */
static int untransform_kv(const struct enc_store *s, struct kapi_kv *kv)
{
    if (!kv->value || !kv->key)
        return 0;
    const struct enc_rule *rule;
    if (!rule_for_key(s, kv->key, &rule))
        return 0;
    char *why = NULL;
    struct kapi_blob *plain = from_storage(s, rule, kv->key, kv->value, &why);
    if (!plain) {
        kapi_log(0, "Internal error occurred: unable to transform key \"%s\": %s", kv->key, why);
        free(why);
        kapi_blob_unref(kv->value);
        kv->value = NULL;
        return -1;
    }
    kapi_blob_unref(kv->value);
    kv->value = plain;
    return 0;
}

/* ------------------------------------------------------------------ */
/* the wrapper's vtable */

#define ES(st) ((struct enc_store *)(st))

static int enc_write(struct kapi_store *st, const struct kapi_write *w, struct kapi_write_result *res)
{
    struct enc_store *s = ES(st);
    struct kapi_write ww = *w;
    char *stored = NULL;
    if (w->op != KAPI_WRITE_DELETE) {
        const struct enc_rule *rule;
        if (rule_for_key(s, w->key, &rule)) {
            size_t n = 0;
            int failed;
            stored = to_storage(s, rule, w->key, w->value, w->len, &n, &failed);
            if (failed) {
                kapi_log(0, "Internal error occurred: unable to transform key \"%s\": encryption failed", w->key);
                memset(res, 0, sizeof(*res));
                return KAPI_STORE_IO;
            }
            if (stored) {
                ww.value = stored;
                ww.len = n;
            }
        }
    }
    memset(res, 0, sizeof(*res));
    int err = s->inner->ops->write(s->inner, &ww, res);
    if (stored) {
        sodium_memzero(stored, ww.len);
        free(stored);
    }
    /* prev after a successful write: the write happened; an unreadable
     * previous value is logged and left out. current (on conflicts) must be
     * readable for the caller to retry. */
    untransform_kv(s, &res->prev);
    if (untransform_kv(s, &res->current) < 0 && err != KAPI_STORE_OK) {
        kapi_write_result_dispose(res);
        return KAPI_STORE_IO;
    }
    return err;
}

static int enc_get(struct kapi_store *st, const char *key, struct kapi_kv *out)
{
    struct enc_store *s = ES(st);
    int err = s->inner->ops->get(s->inner, key, out);
    if (err == KAPI_STORE_OK && untransform_kv(s, out) < 0) {
        kapi_kv_dispose(out);
        return KAPI_STORE_IO;
    }
    return err;
}

static int enc_range(struct kapi_store *st, const char *start, const char *end, size_t limit, struct kapi_kv **out,
                     size_t *n, int64_t *rev, bool *more)
{
    struct enc_store *s = ES(st);
    int err = s->inner->ops->range(s->inner, start, end, limit, out, n, rev, more);
    if (err != KAPI_STORE_OK)
        return err;
    for (size_t i = 0; i < *n; i++)
        if (untransform_kv(s, &(*out)[i]) < 0) {
            /* like upstream's list: the first unreadable value fails it */
            for (size_t j = 0; j < *n; j++)
                kapi_kv_dispose(&(*out)[j]);
            free(*out);
            *out = NULL;
            *n = 0;
            return KAPI_STORE_IO;
        }
    return KAPI_STORE_OK;
}

static int enc_revisions(struct kapi_store *st, int64_t *current, int64_t *compacted)
{
    struct enc_store *s = ES(st);
    return s->inner->ops->revisions(s->inner, current, compacted);
}

struct enc_watch {
    struct enc_watch *next;
    struct enc_store *s;
    long id;
    kapi_store_watch_fn fn;
    void *ctx;
    bool ended;
};

static int enc_watch_cb(void *ctx, const struct kapi_event *ev, int err)
{
    struct enc_watch *w = ctx;
    if (w->ended)
        return 1;
    if (!ev || ev->type == KAPI_EVENT_PROGRESS) {
        if (!ev)
            w->ended = true;
        return w->fn(w->ctx, ev, err);
    }
    const struct enc_rule *rule;
    if (!rule_for_key(w->s, ev->kv.key ? ev->kv.key : "", &rule))
        return w->fn(w->ctx, ev, err);
    struct kapi_event e = *ev;
    e.kv.value = kapi_blob_ref(ev->kv.value);
    e.prev_kv.value = kapi_blob_ref(ev->prev_kv.value);
    int bad = untransform_kv(w->s, &e.kv);
    if (!bad)
        bad = untransform_kv(w->s, &e.prev_kv);
    int rc;
    if (bad) {
        /* upstream's watch sends an error and ends; so does this one */
        w->ended = true;
        w->fn(w->ctx, NULL, KAPI_STORE_IO);
        rc = 1;
    } else {
        rc = w->fn(w->ctx, &e, err);
    }
    kapi_blob_unref(e.kv.value);
    kapi_blob_unref(e.prev_kv.value);
    return rc;
}

static long enc_watch(struct kapi_store *st, const char *start, const char *end, int64_t after_rev,
                      kapi_store_watch_fn fn, void *ctx)
{
    struct enc_store *s = ES(st);
    struct enc_watch *w = kapi_xcalloc(1, sizeof(*w));
    w->s = s;
    w->fn = fn;
    w->ctx = ctx;
    /* registered before the inner watch starts: the callback may run at once */
    pthread_mutex_lock(&s->mu);
    w->next = s->watches;
    s->watches = w;
    pthread_mutex_unlock(&s->mu);
    long id = s->inner->ops->watch(s->inner, start, end, after_rev, enc_watch_cb, w);
    pthread_mutex_lock(&s->mu);
    if (id < 0) {
        for (struct enc_watch **pp = &s->watches; *pp; pp = &(*pp)->next)
            if (*pp == w) {
                *pp = w->next;
                break;
            }
        free(w);
    } else {
        w->id = id;
    }
    pthread_mutex_unlock(&s->mu);
    return id;
}

static void enc_request_progress(struct kapi_store *st, long id)
{
    struct enc_store *s = ES(st);
    if (s->inner->ops->request_progress)
        s->inner->ops->request_progress(s->inner, id);
}

static void enc_unwatch(struct kapi_store *st, long id)
{
    struct enc_store *s = ES(st);
    s->inner->ops->unwatch(s->inner, id);
    /* the callback is not running and will not run again: free its context */
    pthread_mutex_lock(&s->mu);
    for (struct enc_watch **pp = &s->watches; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            struct enc_watch *w = *pp;
            *pp = w->next;
            free(w);
            break;
        }
    pthread_mutex_unlock(&s->mu);
}

static int enc_compact(struct kapi_store *st, int64_t rev)
{
    struct enc_store *s = ES(st);
    return s->inner->ops->compact(s->inner, rev);
}

static void enc_close(struct kapi_store *st)
{
    struct enc_store *s = ES(st);
    kapi_store_close(s->inner);
    while (s->watches) {
        struct enc_watch *w = s->watches;
        s->watches = w->next;
        free(w);
    }
    pthread_mutex_destroy(&s->mu);
    config_free(s);
    free(s);
}

struct kapi_store *kapi_encrypt_wrap_opts(struct kapi_store *inner, const char *config_path,
                                          const struct kapi_encrypt_opts *o, char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        if (errlen)
            snprintf(err, errlen, "libsodium could not be initialised");
        return NULL;
    }
    struct enc_store *s = kapi_xcalloc(1, sizeof(*s));
    char *why = NULL;
    if (load_config(s, config_path, &why) < 0) {
        if (errlen)
            snprintf(err, errlen, "%s", why);
        free(why);
        config_free(s);
        free(s);
        return NULL;
    }
    build_paths(s);
    if (o && o->storage_prefix && o->storage_prefix[0] && strcmp(o->storage_prefix, "/registry") != 0)
        s->storage_prefix = kapi_xstrdup(o->storage_prefix);
    s->inner = inner;
    s->ops = (struct kapi_store_ops){
        .name = inner->ops->name,
        .write = enc_write,
        .get = enc_get,
        .range = enc_range,
        .revisions = enc_revisions,
        .watch = enc_watch,
        .request_progress = inner->ops->request_progress ? enc_request_progress : NULL,
        .unwatch = enc_unwatch,
        .compact = enc_compact,
        .close = enc_close,
    };
    s->base.ops = &s->ops;
    pthread_mutex_init(&s->mu, NULL);
    return &s->base;
}

struct kapi_store *kapi_encrypt_wrap(struct kapi_store *inner, const char *config_path, char *err, size_t errlen)
{
    return kapi_encrypt_wrap_opts(inner, config_path, NULL, err, errlen);
}
