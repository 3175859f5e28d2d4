/* Unit tests for src/cache over the SQLite store: loading, consistent reads,
 * listing with filters and paging, and watches (replay, live, filter
 * transitions, expired starts). */
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>

#include "cache/cache.h"
#include "codec/json.h"
#include "registry/objectmeta.h"
#include "storage/sqlite/sqlite.h"

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_rcache *cms;
};

static int64_t put(struct fx *f, const char *ns, const char *name, const char *label, int op, int64_t expect)
{
    char key[256], json[512];
    snprintf(key, sizeof(key), "/registry/configmaps/%s/%s", ns, name);
    snprintf(json, sizeof(json),
             "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"u-%s\"%s%s%s}}",
             name, ns, name, label ? ",\"labels\":{\"app\":\"" : "", label ? label : "", label ? "\"}" : "");
    struct kapi_write w = {.op = op, .key = key, .value = json, .len = strlen(json), .expect_mod_rev = expect};
    struct kapi_write_result r = {0};
    int err = kapi_store_write(f->store, &w, &r);
    assert_int_equal(err, 0);
    int64_t rev = r.rev;
    kapi_write_result_dispose(&r);
    return rev;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-cache-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    f->store = kapi_sqlite_open(f->dir, err, sizeof(err));
    assert_non_null(f->store);
    /* Objects present before the cache starts are loaded. */
    put(f, "a", "pre", "web", KAPI_WRITE_CREATE, 0);
    put(f, "z", "pre2", NULL, KAPI_WRITE_CREATE, 0);
    f->cache = kapi_cache_new(f->store);
    f->cms = kapi_cache_register(f->cache, "/registry/configmaps/");
    kapi_cache_register(f->cache, "/registry/secrets/");
    assert_int_equal(kapi_cache_start(f->cache), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_cache_free(f->cache);
    kapi_store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static bool app_is(void *ctx, const struct kapi_cobj *o)
{
    const char *v = o->labels ? kapi_obj_get_str(o->labels, "app") : NULL;
    return v && strcmp(v, ctx) == 0;
}

static void test_get_is_consistent_after_write(void **state)
{
    struct fx *f = *state;
    struct kapi_cobj *o = kapi_rcache_get(f->cms, "/registry/configmaps/a/pre");
    assert_non_null(o);
    kapi_cobj_unref(o);
    int64_t rev = put(f, "a", "x", NULL, KAPI_WRITE_CREATE, 0);
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);
    assert_true(kapi_cache_rev(f->cache) >= rev);
    o = kapi_rcache_get(f->cms, "/registry/configmaps/a/x");
    assert_non_null(o);
    assert_int_equal(o->mod_rev, rev);
    assert_string_equal(o->name, "x");
    assert_string_equal(o->ns, "a");
    /* the served bytes carry the revision, right after uid */
    char want[64];
    snprintf(want, sizeof(want), "\"uid\":\"u-x\",\"resourceVersion\":\"%lld\"", (long long)rev);
    assert_non_null(strstr(o->json->data, want));
    kapi_cobj_unref(o);
}

/* What the garbage collector reads from a cached object without parsing it:
 * the owner uids in order (entries without a uid skipped) and the deletion
 * state with the two finalizers it acts on. */
static void test_cobj_gc_facts(void **state)
{
    (void)state;
    const char *dep = "{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u1\","
                      "\"ownerReferences\":[{\"uid\":\"o1\"},{\"name\":\"no-uid\"},{\"uid\":\"o2\"}]}}";
    struct kapi_cobj *o = kapi_cobj_from_kv(NULL, "/registry/x/n/a", dep, strlen(dep), 5, 5);
    assert_non_null(o->owner_uids);
    assert_string_equal(o->owner_uids[0], "o1");
    assert_string_equal(o->owner_uids[1], "o2");
    assert_null(o->owner_uids[2]);
    assert_int_equal(o->gc_flags, 0);
    kapi_cobj_unref(o);

    const char *del = "{\"metadata\":{\"name\":\"b\",\"uid\":\"u2\",\"ownerReferences\":[],"
                      "\"deletionTimestamp\":\"2026-01-01T00:00:00Z\","
                      "\"finalizers\":[\"example.com/x\",\"foregroundDeletion\"]}}";
    o = kapi_cobj_from_kv(NULL, "/registry/x/b", del, strlen(del), 6, 6);
    assert_null(o->owner_uids);
    assert_int_equal(o->gc_flags, KAPI_COBJ_DELETING | KAPI_COBJ_FIN_FG);
    kapi_cobj_unref(o);

    /* finalizers without a deletion mark are not a deletion */
    const char *fin = "{\"metadata\":{\"name\":\"c\",\"uid\":\"u3\",\"finalizers\":[\"orphan\"]}}";
    o = kapi_cobj_from_kv(NULL, "/registry/x/c", fin, strlen(fin), 7, 7);
    assert_int_equal(o->gc_flags, 0);
    kapi_cobj_unref(o);
}

/* Events go to the resource with the longest matching prefix, also when
 * consecutive events alternate between a resource and one nested in it
 * (the feed remembers the last resource it used). */
static void test_feed_longest_prefix(void **state)
{
    (void)state;
    struct fx f = {0};
    strcpy(f.dir, "/tmp/kapi-cache-test-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    char err[256];
    f.store = kapi_sqlite_open(f.dir, err, sizeof(err));
    assert_non_null(f.store);
    f.cache = kapi_cache_new(f.store);
    struct kapi_rcache *all = kapi_cache_register(f.cache, "/registry/configmaps/");
    struct kapi_rcache *one = kapi_cache_register(f.cache, "/registry/configmaps/inner/");
    assert_int_equal(kapi_cache_start(f.cache), 0);
    const char *order[][2] = {{"outer", "a"}, {"outer", "b"}, {"inner", "c"}, {"outer", "d"}, {"inner", "e"}, {"inner", "f"}};
    for (size_t i = 0; i < 6; i++)
        put(&f, order[i][0], order[i][1], NULL, KAPI_WRITE_CREATE, 0);
    assert_int_equal(kapi_cache_sync(f.cache, 5000), 0);
    for (size_t i = 0; i < 6; i++) {
        char key[128];
        snprintf(key, sizeof(key), "/registry/configmaps/%s/%s", order[i][0], order[i][1]);
        bool inner = strcmp(order[i][0], "inner") == 0;
        struct kapi_cobj *in_one = kapi_rcache_get(one, key), *in_all = kapi_rcache_get(all, key);
        assert_true(inner ? in_one != NULL : in_one == NULL);
        assert_true(inner ? in_all == NULL : in_all != NULL);
        kapi_cobj_unref(in_one);
        kapi_cobj_unref(in_all);
    }
    kapi_cache_free(f.cache);
    kapi_store_close(f.store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f.dir);
    assert_int_equal(system(cmd), 0);
}

/* A writer's prepared object serves the same JSON and facts as decoding
 * the stored bytes: for the objects below and, when ../shared is there,
 * every JSON fixture of v1.33 (its uid replaced by a UUID, since only
 * plain uids are spliced). Returns how many were spliced. */
static size_t check_prepared(const char *json, size_t len, bool expect_splice)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_json_error e;
    struct kapi_value *v = kapi_json_parse(p, json, len, NULL, &e);
    assert_non_null(v);
    kapi_meta_canonicalize(p, v);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(v, &b);
    const char *key = "/registry/things/ns/name";
    struct kapi_cobj_prep *prep = kapi_cache_prepare(NULL, key, b.data, b.len, v);
    size_t n = 0;
    if (expect_splice)
        assert_non_null(prep);
    if (prep) {
        struct kapi_blob *spliced = kapi_cobj_prep_json(prep, 987654321);
        struct kapi_cobj *o = kapi_cobj_from_kv(NULL, key, b.data, b.len, 987654321, 5);
        if (spliced->len != o->json->len || memcmp(spliced->data, o->json->data, spliced->len) != 0)
            fail_msg("spliced:\n%.*s\ndecoded:\n%.*s", (int)spliced->len, spliced->data, (int)o->json->len,
                     o->json->data);
        kapi_blob_unref(spliced);
        kapi_cobj_unref(o);
        kapi_cobj_prep_unref(prep);
        n = 1;
    }
    kapi_buf_dispose(&b);
    kapi_pool_free(p);
    return n;
}

static void test_prepared_objects(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        bool splice;
    } cases[] = {
        {"{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\",\"namespace\":\"n\","
         "\"uid\":\"0b7c1e2a-1111-4222-8333-944455556666\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\","
         "\"labels\":{\"x\":\"y\"}},\"data\":{\"k\":\"v\"}}", true},
        /* names that escape, a generateName holding the pattern itself */
        {"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"generateName\":\"\\\",\\\"uid\\\":\\\"u1\\\"<&>\","
         "\"name\":\"\\u00e9\",\"uid\":\"u1\",\"resourceVersion\":\"7\"},\"type\":\"Opaque\"}", true},
        /* members in the wrong order are put in order first; rv dropped */
        {"{\"data\":{\"uid\":\"u2\"},\"metadata\":{\"uid\":\"u2\",\"name\":\"b\",\"resourceVersion\":\"1\"},"
         "\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\"}", true},
        /* no uid, or one that would need escaping: decoded as before */
        {"{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"c\"}}", false},
        {"{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"c\",\"uid\":\"a<b\"}}", false},
    };
    size_t spliced = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = check_prepared(cases[i].json, strlen(cases[i].json), cases[i].splice);
        assert_int_equal(n, cases[i].splice ? 1 : 0);
        spliced += n;
    }
    const char *dir = getenv("KAPI_SHARED_DIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/k8s-api/v1.33/testdata", dir ? dir : "../shared");
    DIR *dh = opendir(path);
    if (!dh) {
        printf("note: %s is absent; the fixture corpus of this test did not run\n", path);
        return;
    }
    size_t fixtures = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char file[1024];
        snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
        FILE *f = fopen(file, "rb");
        assert_non_null(f);
        static char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        struct kapi_pool *p = kapi_pool_new();
        struct kapi_json_error e;
        struct kapi_value *v = kapi_json_parse(p, buf, n, NULL, &e);
        struct kapi_value *md = v ? kapi_obj_get(v, "metadata") : NULL;
        if (md && md->type == KAPI_V_OBJECT) {
            kapi_obj_set(p, md, "uid", kapi_value_str(p, "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5"));
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_json_write(&b, v);
            fixtures += check_prepared(b.data, b.len, false);
            kapi_buf_dispose(&b);
        }
        kapi_pool_free(p);
    }
    closedir(dh);
    printf("prepared objects: %zu cases and %zu fixtures spliced and equal to decoding\n", spliced, fixtures);
    assert_true(fixtures > 150); /* 161 of the 184 v1.33 JSON fixtures carry an object's metadata */
}

/* An offered object is taken by the feed when its write's event comes:
 * the cached object is the prepared one, complete with its revisions. */
static void test_offer_taken_by_feed(void **state)
{
    struct fx *f = *state;
    const char *json = "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"off\",\"namespace\":\"a\","
                       "\"uid\":\"6f1c2d3e-0000-4c6d-8e7f-8091a2b3c4d5\",\"labels\":{\"app\":\"web\"}}}";
    const char *key = "/registry/configmaps/a/off";
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_json_error e;
    struct kapi_value *v = kapi_json_parse(p, json, strlen(json), NULL, &e);
    struct kapi_cobj_prep *prep = kapi_cache_prepare(f->cms, key, json, strlen(json), v);
    assert_non_null(prep);
    kapi_cache_offer(f->cache, prep);
    assert_int_equal(kapi_cache_offered(f->cache), 1);
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = json, .len = strlen(json)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);
    assert_int_equal(kapi_cache_offered(f->cache), 0);
    struct kapi_cobj *o = kapi_rcache_get(f->cms, key);
    assert_non_null(o);
    assert_int_equal(o->mod_rev, r.rev);
    assert_string_equal(o->name, "off");
    assert_string_equal(kapi_obj_get_str(o->labels, "app"), "web");
    struct kapi_blob *want = kapi_cobj_prep_json(prep, r.rev);
    assert_int_equal(o->json->len, want->len);
    assert_memory_equal(o->json->data, want->data, want->len);
    kapi_blob_unref(want);
    kapi_cobj_unref(o);
    /* a withdrawn offer is gone; withdrawing twice is harmless */
    kapi_cache_offer(f->cache, prep);
    kapi_cache_withdraw(f->cache, prep);
    kapi_cache_withdraw(f->cache, prep);
    assert_int_equal(kapi_cache_offered(f->cache), 0);
    kapi_cobj_prep_unref(prep);
    kapi_write_result_dispose(&r);
    kapi_pool_free(p);
}

static void test_list_filters_and_pages(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof(name), "n%02d", i);
        put(f, i % 2 ? "b" : "c", name, i % 3 ? "web" : "db", KAPI_WRITE_CREATE, 0);
    }
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);
    struct kapi_cache_filter all = {0};
    struct kapi_cache_list l;
    kapi_rcache_list(f->cms, &all, NULL, 0, &l);
    assert_int_equal(l.n, 12);
    for (size_t i = 1; i < l.n; i++)
        assert_true(strcmp(l.items[i - 1]->key, l.items[i]->key) < 0);
    kapi_cache_list_dispose(&l);

    struct kapi_cache_filter nsb = {.ns = "b"};
    kapi_rcache_list(f->cms, &nsb, NULL, 0, &l);
    assert_int_equal(l.n, 5);
    kapi_cache_list_dispose(&l);

    struct kapi_cache_filter db = {.match = app_is, .ctx = "db"};
    kapi_rcache_list(f->cms, &db, NULL, 0, &l);
    assert_int_equal(l.n, 4); /* i = 0, 3, 6, 9 */
    kapi_cache_list_dispose(&l);

    /* pages of 4 over 12 objects */
    char *after = NULL;
    size_t seen = 0;
    for (int page = 0; page < 3; page++) {
        kapi_rcache_list(f->cms, &all, after, 4, &l);
        seen += l.n;
        free(after);
        after = l.last_key ? strdup(l.last_key) : NULL;
        if (page < 2) {
            assert_true(l.more);
            assert_int_equal(l.remaining, 12 - 4 * (page + 1));
        } else {
            assert_false(l.more);
        }
        kapi_cache_list_dispose(&l);
    }
    free(after);
    assert_int_equal(seen, 12);
}

static void test_watch_replay_live_and_transitions(void **state)
{
    struct fx *f = *state;
    int64_t r0 = put(f, "w", "obj", "web", KAPI_WRITE_CREATE, 0);
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);
    struct kapi_cache_filter web = {.match = app_is, .ctx = "web"};
    int err = 0;
    /* from r0 - 1: the create is replayed */
    struct kapi_watcher *w = kapi_rcache_watch(f->cache, f->cms, &web, r0 - 1, "v1", &err);
    assert_non_null(w);
    struct kapi_watch_item it;
    assert_int_equal(kapi_watcher_next(w, &it, 2000), 1);
    assert_int_equal(it.type, KAPI_WATCH_ADDED);
    assert_int_equal(it.rev, r0);
    assert_non_null(strstr(it.frame->data, "{\"type\":\"ADDED\",\"object\":{"));
    kapi_blob_unref(it.frame);
    kapi_cobj_unref(it.obj);
    /* relabel away from the filter: DELETED carrying the old object at the new revision */
    int64_t r1 = put(f, "w", "obj", "db", KAPI_WRITE_UPDATE, r0);
    assert_int_equal(kapi_watcher_next(w, &it, 2000), 1);
    assert_int_equal(it.type, KAPI_WATCH_DELETED);
    assert_int_equal(it.rev, r1);
    char rv[64];
    snprintf(rv, sizeof(rv), "\"resourceVersion\":\"%lld\"", (long long)r1);
    assert_non_null(strstr(it.frame->data, rv));
    assert_non_null(strstr(it.frame->data, "\"app\":\"web\""));
    kapi_blob_unref(it.frame);
    kapi_cobj_unref(it.obj);
    /* back into the filter: ADDED */
    int64_t r2 = put(f, "w", "obj", "web", KAPI_WRITE_UPDATE, r1);
    assert_int_equal(kapi_watcher_next(w, &it, 2000), 1);
    assert_int_equal(it.type, KAPI_WATCH_ADDED);
    kapi_blob_unref(it.frame);
    kapi_cobj_unref(it.obj);
    /* a real delete */
    struct kapi_write del = {.op = KAPI_WRITE_DELETE, .key = "/registry/configmaps/w/obj", .expect_mod_rev = r2};
    struct kapi_write_result res = {0};
    assert_int_equal(kapi_store_write(f->store, &del, &res), 0);
    kapi_write_result_dispose(&res);
    assert_int_equal(kapi_watcher_next(w, &it, 2000), 1);
    assert_int_equal(it.type, KAPI_WATCH_DELETED);
    kapi_blob_unref(it.frame);
    kapi_cobj_unref(it.obj);
    /* nothing else */
    assert_int_equal(kapi_watcher_next(w, &it, 100), 0);
    kapi_watcher_free(w);
}

static void test_watch_initial_state_and_expired_start(void **state)
{
    struct fx *f = *state;
    struct kapi_cache_filter nsa = {.ns = "a"};
    int err = 0;
    struct kapi_watcher *w = kapi_rcache_watch(f->cache, f->cms, &nsa, -1, "v1", &err);
    assert_non_null(w);
    struct kapi_watch_item it;
    assert_int_equal(kapi_watcher_next(w, &it, 1000), 1);
    assert_int_equal(it.type, KAPI_WATCH_ADDED);
    assert_string_equal(it.obj->name, "pre");
    kapi_blob_unref(it.frame);
    kapi_cobj_unref(it.obj);
    kapi_watcher_free(w);
    /* The cache started at the revision of the second write: a watch from
     * before it cannot be replayed (410 Expired for the client). */
    int64_t loaded = kapi_cache_rev(f->cache);
    w = kapi_rcache_watch(f->cache, f->cms, &nsa, loaded - 1, "v1", &err);
    assert_null(w);
    assert_int_equal(err, KAPI_STORE_COMPACTED);
    /* ...while a watch from the loaded revision itself is fine. */
    w = kapi_rcache_watch(f->cache, f->cms, &nsa, loaded, "v1", &err);
    assert_non_null(w);
    kapi_watcher_free(w);
    /* a revision far in the future times out as FUTURE_REV */
    w = kapi_rcache_watch(f->cache, f->cms, &nsa, kapi_cache_rev(f->cache) + 1000, "v1", &err);
    assert_null(w);
    assert_int_equal(err, KAPI_STORE_FUTURE_REV);
}


/* ---- re-list after compaction ----
 * A store wrapper whose watch can be ended as if the revision it was at had
 * been compacted (what an etcd outage plus a compaction does): the cache must
 * re-list, drop its watchers and serve the store's present state. */
struct breaking_store {
    struct kapi_store base;
    struct kapi_store *inner;
    kapi_store_watch_fn fn;
    void *ctx;
    long inner_id;
    atomic_bool refuse_next;  /* the next watch() says COMPACTED */
    atomic_int watches;
};

static int bs_write(struct kapi_store *s, const struct kapi_write *w, struct kapi_write_result *r)
{ return kapi_store_write(((struct breaking_store *)s)->inner, w, r); }
static int bs_get(struct kapi_store *s, const char *key, struct kapi_kv *out)
{ return kapi_store_get(((struct breaking_store *)s)->inner, key, out); }
static int bs_range(struct kapi_store *s, const char *start, const char *end, size_t limit, struct kapi_kv **out,
                    size_t *n, int64_t *rev, bool *more)
{
    struct kapi_store *in = ((struct breaking_store *)s)->inner;
    return in->ops->range(in, start, end, limit, out, n, rev, more);
}
static int bs_revisions(struct kapi_store *s, int64_t *cur, int64_t *comp)
{
    struct kapi_store *in = ((struct breaking_store *)s)->inner;
    return in->ops->revisions(in, cur, comp);
}
static long bs_watch(struct kapi_store *s, const char *start, const char *end, int64_t after, kapi_store_watch_fn fn,
                     void *ctx)
{
    struct breaking_store *b = (struct breaking_store *)s;
    if (atomic_exchange(&b->refuse_next, false)) {
        atomic_fetch_add(&b->watches, 1);
        return -KAPI_STORE_COMPACTED;
    }
    b->fn = fn;
    b->ctx = ctx;
    b->inner_id = b->inner->ops->watch(b->inner, start, end, after, fn, ctx);
    atomic_fetch_add(&b->watches, 1);
    return b->inner_id;
}
static void bs_unwatch(struct kapi_store *s, long id)
{
    struct breaking_store *b = (struct breaking_store *)s;
    if (b->inner_id > 0)
        b->inner->ops->unwatch(b->inner, b->inner_id);
    b->inner_id = 0;
    (void)id;
}
static int bs_compact(struct kapi_store *s, int64_t rev)
{
    struct kapi_store *in = ((struct breaking_store *)s)->inner;
    return in->ops->compact(in, rev);
}
static void bs_close(struct kapi_store *s) { (void)s; }

static const struct kapi_store_ops bs_ops = {
    .name = "breaking", .write = bs_write, .get = bs_get, .range = bs_range, .revisions = bs_revisions,
    .watch = bs_watch, .unwatch = bs_unwatch, .compact = bs_compact, .close = bs_close,
};

static void test_relist_after_compaction(void **state)
{
    struct fx *f = *state;
    /* on the heap: if an assertion ends the test early, the cache's threads
     * may still use it */
    struct breaking_store *bsp = kapi_xcalloc(1, sizeof(*bsp));
    struct breaking_store bs_init = {.base = {.ops = &bs_ops}, .inner = f->store};
    memcpy(bsp, &bs_init, sizeof(*bsp));
#define bs (*bsp)
    struct kapi_cache *c = kapi_cache_new(&bs.base);
    struct kapi_rcache *cms = kapi_cache_register(c, "/registry/configmaps/");
    assert_int_equal(kapi_cache_start(c), 0);
    struct kapi_cache_filter all = {.ns = ""};
    int err = 0;
    struct kapi_watcher *w = kapi_rcache_watch(c, cms, &all, kapi_cache_rev(c), "v1", &err);
    assert_non_null(w);
    /* the cache stops hearing from the store; meanwhile objects change and
     * history is compacted */
    bs.inner->ops->unwatch(bs.inner, bs.inner_id);
    bs.inner_id = 0;
    put(f, "a", "during", NULL, KAPI_WRITE_CREATE, 0);
    struct kapi_write del = {.op = KAPI_WRITE_DELETE, .key = "/registry/configmaps/a/pre"};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &del, &r), 0);
    kapi_write_result_dispose(&r);
    int64_t cur = 0, comp = 0;
    assert_int_equal(f->store->ops->revisions(f->store, &cur, &comp), 0);
    assert_int_equal(f->store->ops->compact(f->store, cur), 0);
    /* the watch ends as a compacted one would */
    atomic_store(&bs.refuse_next, true);
    int before = atomic_load(&bs.watches);
    bs.fn(bs.ctx, NULL, KAPI_STORE_COMPACTED);
    /* the cache re-lists and watches again: the first watch is refused (still
     * compacted), the next one taken */
    for (int i = 0; i < 500 && atomic_load(&bs.watches) < before + 2; i++)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    assert_int_equal(atomic_load(&bs.watches), before + 2);
    /* the new object is there, the deleted one gone */
    assert_int_equal(kapi_cache_sync(c, 5000), 0);
    struct kapi_cobj *o = kapi_rcache_get(cms, "/registry/configmaps/a/during");
    assert_non_null(o);
    kapi_cobj_unref(o);
    assert_null(kapi_rcache_get(cms, "/registry/configmaps/a/pre"));
    /* its client watchers were closed so they re-list too */
    struct kapi_watch_item it;
    int rc;
    while ((rc = kapi_watcher_next(w, &it, 2000)) == 1) {
        kapi_blob_unref(it.frame);
        kapi_cobj_unref(it.obj);
    }
    assert_int_equal(rc, -1);
    /* and it follows the store again */
    put(f, "a", "after", NULL, KAPI_WRITE_CREATE, 0);
    assert_int_equal(kapi_cache_sync(c, 5000), 0);
    o = kapi_rcache_get(cms, "/registry/configmaps/a/after");
    assert_non_null(o);
    kapi_cobj_unref(o);
    kapi_watcher_free(w);
    kapi_cache_free(c);
#undef bs
    free(bsp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_is_consistent_after_write, setup, teardown),
        cmocka_unit_test(test_cobj_gc_facts),
        cmocka_unit_test(test_feed_longest_prefix),
        cmocka_unit_test(test_prepared_objects),
        cmocka_unit_test_setup_teardown(test_offer_taken_by_feed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_replay_live_and_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_initial_state_and_expired_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relist_after_compaction, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
