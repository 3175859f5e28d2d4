/* Implementation of controllers/sa_token_secrets.h. */
#include "sa_token_secrets.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "../auth/satoken.h"
#include "../base/b64.h"
#include "../cache/cache.h"
#include "../registry/objectmeta.h"
#include "../registry/registry.h"
#include "../storage/storage.h"

#define SA_NAME "kubernetes.io/service-account.name"
#define SA_UID "kubernetes.io/service-account.uid"
#define TOKEN_TYPE "kubernetes.io/service-account-token"

struct kapi_tokctl {
    struct kapi_store *store;
    struct kapi_cache *cache;
    const struct kapi_kind *secrets, *sas;
    _Atomic(struct kapi_satoken *) *satoken;
    char *ca_pem;
    pthread_t thread;
    atomic_bool stop;
};

static const char *b64(struct kapi_pool *p, const char *s)
{
    return kapi_b64_encode_pool(p, s, strlen(s), 0);
}

static void write_or_delete(struct kapi_tokctl *c, const struct kapi_cobj *o, struct kapi_value *obj)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    if (obj)
        kapi_meta_encode_for_store(obj, &b);
    struct kapi_write w = {.op = obj ? KAPI_WRITE_UPDATE : KAPI_WRITE_DELETE, .key = o->key, .value = b.data,
                           .len = b.len, .expect_mod_rev = o->mod_rev};
    struct kapi_write_result res = {0};
    int err = kapi_store_write(c->store, &w, &res);
    if (err && err != KAPI_STORE_CONFLICT && err != KAPI_STORE_NOT_FOUND)
        kapi_log(0, "tokens controller: %s: %s", o->key, kapi_store_strerror(err));
    kapi_write_result_dispose(&res);
    kapi_buf_dispose(&b);
}

static void sweep(struct kapi_tokctl *c)
{
    struct kapi_satoken *t = atomic_load(c->satoken);
    if (!t)
        return;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_cache_filter all = {.ns = ""};
    struct kapi_cache_list l;
    kapi_rcache_list(c->secrets->rc, &all, NULL, 0, &l);
    for (size_t i = 0; i < l.n && !atomic_load(&c->stop); i++) {
        struct kapi_cobj *o = l.items[i];
        if (!o->json || !memmem(o->json->data, o->json->len, TOKEN_TYPE, strlen(TOKEN_TYPE)))
            continue;
        struct kapi_value *sec = kapi_cobj_value(o, p);
        const char *type = kapi_obj_get_str(sec, "type");
        if (!type || strcmp(type, TOKEN_TYPE) != 0)
            continue;
        struct kapi_value *md = kapi_obj_get(sec, "metadata");
        if (kapi_obj_get(md, "deletionTimestamp"))
            continue;
        struct kapi_value *ann = kapi_obj_get(md, "annotations");
        const char *sa = kapi_obj_get_str(ann, SA_NAME);
        const char *want_uid = kapi_obj_get_str(ann, SA_UID);
        if (!sa || !*sa)
            continue;
        struct kapi_cobj *so = kapi_rcache_get(c->sas->rc, kapi_registry_key(p, c->sas, o->ns, sa));
        if (!so) {
            /* the account is gone (or never was): so is its token */
            write_or_delete(c, o, NULL);
            continue;
        }
        const char *uid = so->uid ? kapi_pool_strdup(p, so->uid) : "";
        kapi_cobj_unref(so);
        if (want_uid && *want_uid && strcmp(want_uid, uid) != 0) {
            write_or_delete(c, o, NULL); /* a token for an earlier account of that name */
            continue;
        }
        struct kapi_value *data = kapi_obj_get(sec, "data");
        if (data && data->type == KAPI_V_OBJECT && kapi_obj_get_str(data, "token") &&
            kapi_obj_get_str(data, "ca.crt") && kapi_obj_get_str(data, "namespace") && want_uid)
            continue; /* already filled */
        char err[256];
        const char *jwt = kapi_satoken_issue_legacy(t, p, o->ns, sa, uid, o->name, err, sizeof(err));
        if (!jwt) {
            kapi_log(0, "tokens controller: %s: %s", o->key, err);
            continue;
        }
        if (!ann || ann->type != KAPI_V_OBJECT) {
            ann = kapi_value_object(p);
            kapi_obj_set(p, md, "annotations", ann);
        }
        kapi_obj_set(p, ann, SA_UID, kapi_value_str(p, uid));
        if (!data || data->type != KAPI_V_OBJECT) {
            data = kapi_value_object(p);
            kapi_obj_set(p, sec, "data", data);
        }
        /* a Go map: keys in byte order */
        kapi_obj_set(p, data, "ca.crt", kapi_value_str(p, b64(p, c->ca_pem)));
        kapi_obj_set(p, data, "namespace", kapi_value_str(p, b64(p, o->ns)));
        kapi_obj_set(p, data, "token", kapi_value_str(p, b64(p, jwt)));
        struct kapi_value *sorted = kapi_value_object(p);
        const char *keys[64];
        size_t nk = 0;
        for (size_t k = 0; k < data->u.obj.len && nk < 64; k++)
            keys[nk++] = data->u.obj.members[k].key;
        for (size_t a = 1; a < nk; a++)
            for (size_t b2 = a; b2 > 0 && strcmp(keys[b2 - 1], keys[b2]) > 0; b2--) {
                const char *tmp = keys[b2];
                keys[b2] = keys[b2 - 1];
                keys[b2 - 1] = tmp;
            }
        for (size_t k = 0; k < nk; k++)
            kapi_obj_set(p, sorted, keys[k], kapi_obj_get(data, keys[k]));
        kapi_obj_set(p, sec, "data", sorted);
        write_or_delete(c, o, sec);
    }
    kapi_cache_list_dispose(&l);
    kapi_pool_free(p);
}

static void *tokctl_main(void *arg)
{
    kapi_thread_name("ctl-satokens");
    struct kapi_tokctl *c = arg;
    int64_t next = 0;
    while (!atomic_load(&c->stop)) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        if (kapi_now_ms() < next)
            continue;
        sweep(c);
        next = kapi_now_ms() + 300;
    }
    return NULL;
}

struct kapi_tokctl *kapi_tokctl_start(struct kapi_store *store, struct kapi_cache *cache,
                                      const struct kapi_registry *reg, _Atomic(struct kapi_satoken *) *satoken,
                                      const char *ca_pem)
{
    const struct kapi_kind *secrets = kapi_registry_find(reg, "", "v1", "secrets");
    const struct kapi_kind *sas = kapi_registry_find(reg, "", "v1", "serviceaccounts");
    if (!secrets || !secrets->rc || !sas || !sas->rc)
        return NULL;
    struct kapi_tokctl *c = kapi_xcalloc(1, sizeof(*c));
    c->store = store;
    c->cache = cache;
    c->secrets = secrets;
    c->sas = sas;
    c->satoken = satoken;
    c->ca_pem = kapi_xstrdup(ca_pem ? ca_pem : "");
    atomic_init(&c->stop, false);
    if (pthread_create(&c->thread, NULL, tokctl_main, c) != 0) {
        kapi_log(0, "tokens controller: cannot start thread");
        abort();
    }
    return c;
}

void kapi_tokctl_stop(struct kapi_tokctl *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    free(c->ca_pem);
    free(c);
}
