/* WATCH: a chunked stream of {"type":..,"object":..} lines from the watch
 * cache, with replay from a resourceVersion, selector filtering, bookmarks
 * and timeouts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/status.h"
#include "../codec/json.h"
#include "../schema/protobuf.h"
#include "endpoints_int.h"
#include "../apiext/crd.h"

/* A watch on one named object (legacy /watch/.../{name} paths). */
struct name_filter {
    struct kapi_cache_filter inner;
    const char *name;
};

static bool name_match(void *ctx, const struct kapi_cobj *o)
{
    const struct name_filter *n = ctx;
    if (strcmp(o->name, n->name) != 0)
        return false;
    return !n->inner.match || n->inner.match(n->inner.ctx, o);
}

/* Protobuf watch framing: a 4-byte big-endian length, then a WatchEvent
 * message {type, object: RawExtension{raw: the object's envelope}}. */
static int send_pb_event(struct kapi_req *r, const char *type, const void *env, size_t envlen)
{
    struct kapi_buf ext, ev, frame;
    kapi_buf_init(&ext, 0);
    kapi_buf_init(&ev, 0);
    kapi_buf_init(&frame, 0);
    kapi_pb_put_field(&ext, 1, env, envlen);
    kapi_pb_put_field(&ev, 1, type, strlen(type));
    kapi_pb_put_field(&ev, 2, ext.data ? ext.data : "", ext.len);
    unsigned char len[4] = {(unsigned char)(ev.len >> 24), (unsigned char)(ev.len >> 16), (unsigned char)(ev.len >> 8),
                            (unsigned char)ev.len};
    kapi_buf_append(&frame, len, 4);
    kapi_buf_append(&frame, ev.data ? ev.data : "", ev.len);
    int rc = kapi_http_stream_write(r->http, frame.data, frame.len);
    kapi_buf_dispose(&ext);
    kapi_buf_dispose(&ev);
    kapi_buf_dispose(&frame);
    return rc;
}

/* A value (Status, bookmark object) as a protobuf watch event. */
static int send_pb_value_event(struct kapi_req *r, const char *type, const struct kapi_value *v)
{
    struct kapi_buf env;
    kapi_buf_init(&env, 0);
    char err[128];
    int rc = kapi_pb_encode_object(&env, v, err, sizeof(err)) == 0 ? send_pb_event(r, type, env.data, env.len) : -1;
    kapi_buf_dispose(&env);
    return rc;
}

static int send_pb_item(struct kapi_req *r, const struct kapi_watch_item *it)
{
    struct kapi_blob *raw = kapi_cobj_protobuf(it->obj, r->kind->msg);
    if (!raw)
        return -1;
    struct kapi_buf env;
    kapi_buf_init(&env, 0);
    kapi_pb_envelope(&env, r->kind->api_version, r->kind->kind, raw->data, raw->len);
    int rc = send_pb_event(r, kapi_watch_type_name(it->type), env.data, env.len);
    kapi_buf_dispose(&env);
    return rc;
}

static int send_status_event(struct kapi_req *r, const struct kapi_status *st)
{
    if (r->fmt == KAPI_FMT_PROTOBUF)
        return send_pb_value_event(r, "ERROR", kapi_status_to_value(r->pool, st));
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "{\"type\":\"ERROR\",\"object\":");
    kapi_json_write(&b, kapi_status_to_value(r->pool, st));
    kapi_buf_puts(&b, "}\n");
    int rc = kapi_http_stream_write(r->http, b.data, b.len);
    kapi_buf_dispose(&b);
    return rc;
}

static int send_bookmark(struct kapi_req *r, int64_t rev)
{
    if (r->fmt == KAPI_FMT_PROTOBUF) {
        struct kapi_pool *p = r->pool;
        struct kapi_value *o = kapi_value_object(p);
        kapi_obj_set(p, o, "kind", kapi_value_str(p, r->kind->kind));
        kapi_obj_set(p, o, "apiVersion", kapi_value_str(p, r->kind->api_version));
        struct kapi_value *md = kapi_obj_ensure_obj(p, o, "metadata");
        kapi_obj_set(p, md, "resourceVersion", kapi_value_str(p, kapi_pool_printf(p, "%lld", (long long)rev)));
        return send_pb_value_event(r, "BOOKMARK", o);
    }
    char buf[512];
    int n = snprintf(buf, sizeof(buf),
                     "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%lld\",\"creationTimestamp\":null}}}\n",
                     r->kind->kind, r->kind->api_version, (long long)rev);
    return kapi_http_stream_write(r->http, buf, (size_t)n);
}

/* A Table holding one row for obj, as watch events carry when a Table was
 * asked for; column definitions only in the first event. */
static int send_table_event(struct kapi_req *r, const struct kapi_watch_item *it, bool first)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_value *obj = kapi_cobj_value(it->obj, p);
    struct kapi_pool *saved = r->pool;
    r->pool = p;
    struct kapi_value *t = kapi_table_for_objects(r, &obj, 1,
                                                  kapi_value_cstr(kapi_value_path(obj, "metadata", "resourceVersion", NULL)),
                                                  NULL, 0);
    r->pool = saved;
    if (!first)
        kapi_obj_set(p, t, "columnDefinitions", kapi_value_null(p));
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_printf(&b, "{\"type\":\"%s\",\"object\":", kapi_watch_type_name(it->type));
    kapi_json_write(&b, t);
    kapi_buf_puts(&b, "}\n");
    int rc = kapi_http_stream_write(r->http, b.data, b.len);
    kapi_buf_dispose(&b);
    kapi_pool_free(p);
    return rc;
}

static int send_partial_event(struct kapi_req *r, const struct kapi_watch_item *it)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_pool *saved = r->pool;
    r->pool = p;
    struct kapi_value *obj = kapi_partial_object(r, kapi_cobj_value(it->obj, p));
    r->pool = saved;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_printf(&b, "{\"type\":\"%s\",\"object\":", kapi_watch_type_name(it->type));
    kapi_json_write(&b, obj);
    kapi_buf_puts(&b, "}\n");
    int rc = kapi_http_stream_write(r->http, b.data, b.len);
    kapi_buf_dispose(&b);
    kapi_pool_free(p);
    return rc;
}

/* An event of a kind served as a view of another (events.k8s.io). */
static int send_view_event(struct kapi_req *r, const struct kapi_watch_item *it)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_value *obj = kapi_rest_view(r, p, kapi_cobj_value(it->obj, p), false);
    if (!obj) { /* not convertible: the watcher gets an ERROR event and the stream ends */
        struct kapi_buf eb;
        kapi_buf_init(&eb, 0);
        kapi_buf_puts(&eb, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                           "\"status\":\"Failure\",\"message\":");
        const char *m = kapi_crd_view_error();
        kapi_json_write_string(&eb, m, strlen(m));
        kapi_buf_puts(&eb, ",\"reason\":\"InternalError\",\"code\":500}}\n");
        (void)kapi_http_stream_write(r->http, eb.data, eb.len);
        kapi_buf_dispose(&eb);
        kapi_pool_free(p);
        return -1;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_printf(&b, "{\"type\":\"%s\",\"object\":", kapi_watch_type_name(it->type));
    kapi_json_write(&b, obj);
    kapi_buf_puts(&b, "}\n");
    int rc = kapi_http_stream_write(r->http, b.data, b.len);
    kapi_buf_dispose(&b);
    kapi_pool_free(p);
    return rc;
}

void kapi_handle_watch(struct kapi_req *r)
{
    if (r->fmt == KAPI_FMT_YAML) {
        kapi_respond_error(r, 406, "NotAcceptable", "only the following media types are accepted: application/json");
        return;
    }
    int64_t rv, limit;
    if (kapi_list_params(r, &rv, &limit) < 0)
        return;
    struct kapi_rest_filter *rf = kapi_rest_filter_new(r);
    if (!rf)
        return;
    /* A legacy /watch/.../name path watches one object. */
    struct kapi_cache_filter f = {.ns = r->kind->res->namespaced ? r->ns : ""};
    kapi_rest_filter_apply(rf, &f);
    struct kapi_cache_filter named = f;
    if (r->name) {
        struct name_filter *nctx = kapi_pool_calloc(r->pool, sizeof(*nctx));
        nctx->inner = f;
        nctx->name = r->name;
        named.match = name_match;
        named.ctx = nctx;
    }

    int64_t timeout_ms;
    const char *ts = kapi_req_param(r, "timeoutSeconds");
    if (ts && *ts) {
        char *end;
        long long v = strtoll(ts, &end, 10);
        if (*end || v < 0) {
            kapi_respond_error(r, 400, "BadRequest",
                               kapi_pool_printf(r->pool, "timeoutSeconds: Invalid value: \"%s\": must be a valid integer", ts));
            return;
        }
        timeout_ms = v * 1000;
    } else {
        int min = r->srv->min_request_timeout;
        unsigned rnd;
        kapi_random(&rnd, sizeof(rnd));
        timeout_ms = (int64_t)(min + (min > 0 ? rnd % (unsigned)min : 0)) * 1000;
    }
    const char *bm = kapi_req_param(r, "allowWatchBookmarks");
    bool bookmarks = bm && kapi_parse_bool(bm) == 1;

    int err = 0;
    /* "" and "0" both start with the current state as ADDED events. */
    struct kapi_watcher *w = kapi_rcache_watch(r->srv->cache, r->kind->rc, &named, rv > 0 ? rv : -1,
                                               r->kind->api_version, &err);
    const char *ctype = r->fmt == KAPI_FMT_PROTOBUF ? "application/vnd.kubernetes.protobuf;stream=watch"
                        : r->as == KAPI_AS_TABLE     ? "application/json;as=Table;v=v1;g=meta.k8s.io"
                        : r->as == KAPI_AS_PARTIAL ? "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
                                                   : "application/json";
    struct kapi_http_header hdrs[3] = {{"Content-Type", ctype}, {"Cache-Control", "no-cache, private"},
                                       {"Audit-Id", kapi_req_audit_id(r)}};
    if (!w && err == KAPI_STORE_FUTURE_REV) {
        kapi_respond_status(r, kapi_status_too_large_rv(r->pool, rv, kapi_cache_rev(r->srv->cache), 1));
        return;
    }
    kapi_audit_response_started(r, 200);
    if (kapi_http_stream_begin(r->http, 200, hdrs, 3) < 0) {
        kapi_watcher_free(w);
        return;
    }
    if (!w) {
        int64_t cur = 0, compacted = 0;
        r->srv->store->ops->revisions(r->srv->store, &cur, &compacted);
        send_status_event(r, kapi_status_too_old_rv(r->pool, rv, compacted));
        kapi_http_stream_end(r->http);
        return;
    }
    int64_t deadline = kapi_now_ms() + timeout_ms;
    int64_t next_bookmark = kapi_now_ms() + r->srv->bookmark_interval_ms;
    bool first = true;
    for (;;) {
        int64_t now = kapi_now_ms();
        if (now >= deadline || kapi_http_client_gone(r->http))
            break;
        int64_t wait = deadline - now;
        if (wait > 1000)
            wait = 1000;
        if (bookmarks && next_bookmark - now < wait)
            wait = next_bookmark - now > 0 ? next_bookmark - now : 0;
        struct kapi_watch_item it;
        int got = kapi_watcher_next(w, &it, (int)wait);
        if (got < 0)
            break;
        if (got == 0) {
            if (bookmarks && kapi_now_ms() >= next_bookmark) {
                if (send_bookmark(r, kapi_watcher_rev(w)) < 0)
                    break;
                next_bookmark = kapi_now_ms() + r->srv->bookmark_interval_ms;
            }
            continue;
        }
        int rc;
        if (r->fmt == KAPI_FMT_PROTOBUF)
            rc = send_pb_item(r, &it);
        else if (r->as == KAPI_AS_TABLE)
            rc = send_table_event(r, &it, first);
        else if (r->as == KAPI_AS_PARTIAL)
            rc = send_partial_event(r, &it);
        else if (r->kind->view_out)
            rc = send_view_event(r, &it);
        else
            rc = kapi_http_stream_write(r->http, it.frame->data, it.frame->len);
        first = false;
        kapi_blob_unref(it.frame);
        kapi_cobj_unref(it.obj);
        if (rc < 0)
            break;
    }
    kapi_watcher_free(w);
    kapi_http_stream_end(r->http);
}
