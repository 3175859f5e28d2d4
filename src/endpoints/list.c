/* LIST: from the watch cache, with label/field selectors, limit/continue
 * paging and upstream's resourceVersion / resourceVersionMatch rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/continue.h"
#include "../api/names.h"
#include "../api/status.h"
#include "../codec/json.h"
#include "../schema/protobuf.h"
#include "endpoints_int.h"

/* Parses a resourceVersion parameter: 0 ok, -1 malformed. "" -> -1 in *rv. */
static int parse_rv(const char *s, int64_t *rv)
{
    if (!s || !*s) {
        *rv = -1;
        return 0;
    }
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 0 || s[0] == '+' || s[0] == '-')
        return -1;
    *rv = v;
    return 0;
}

int kapi_list_params(struct kapi_req *r, int64_t *rv, int64_t *limit)
{
    const char *rvs = kapi_req_param(r, "resourceVersion");
    if (parse_rv(rvs, rv) < 0) {
        struct kapi_field_errors errs = {0};
        kapi_ferr_invalid(r->pool, &errs, "resourceVersion", rvs,
                          kapi_pool_printf(r->pool, "strconv.ParseUint: parsing %s: invalid syntax",
                                           kapi_go_quote(r->pool, rvs, strlen(rvs))));
        kapi_respond_error(r, 400, "BadRequest", kapi_field_errors_aggregate(r->pool, &errs));
        return -1;
    }
    *limit = 0;
    const char *ls = kapi_req_param(r, "limit");
    if (ls && *ls) {
        char *end;
        long long v = strtoll(ls, &end, 10);
        if (*end) {
            kapi_respond_error(r, 400, "BadRequest",
                               kapi_pool_printf(r->pool, "limit: Invalid value: \"%s\": must be a valid integer", ls));
            return -1;
        }
        *limit = v > 0 ? v : 0;
    }
    return 0;
}

/* 422 for ListOptions that break upstream's rules. */
static void list_options_invalid(struct kapi_req *r, const char *field, const char *bad, const char *detail)
{
    struct kapi_field_errors errs = {0};
    if (bad)
        kapi_ferr_invalid(r->pool, &errs, field, bad, detail);
    else
        kapi_ferr_forbidden(r->pool, &errs, field, detail);
    kapi_respond_status(r, kapi_status_invalid(r->pool, "meta.k8s.io", "ListOptions", "", &errs));
}

/* A page read from storage at revision at (continue pages and
 * resourceVersionMatch=Exact): keys after `after` within the list's range,
 * filtered, at most limit. Returns 0 or a KAPI_STORE_* error. */
static int list_from_store(struct kapi_req *r, const struct kapi_cache_filter *f, const char *after, int64_t at,
                           size_t limit, struct kapi_cache_list *out)
{
    memset(out, 0, sizeof(*out));
    out->rev = at;
    out->remaining = -1;
    const char *lo = f->ns && f->ns[0] ? kapi_pool_printf(r->pool, "%s%s/", r->kind->prefix, f->ns) : r->kind->prefix;
    char *end = kapi_store_prefix_end(lo);
    char *from = kapi_xstrdup(after && strcmp(after, lo) > 0 ? after : lo);
    const char *skip = after;
    size_t cap = 0, chunk = limit ? limit + 1 : 0;
    if (chunk && chunk < 256)
        chunk = 256;
    int err = 0;
    for (;;) {
        struct kapi_kv *kvs = NULL;
        size_t n = 0;
        int64_t rev = at;
        bool more = false;
        err = r->srv->store->ops->range(r->srv->store, from, end, chunk, &kvs, &n, &rev, &more);
        if (err)
            break;
        bool full = false;
        for (size_t i = 0; i < n; i++) {
            struct kapi_kv *kv = &kvs[i];
            if (full || (skip && strcmp(kv->key, skip) == 0) || !kv->value)
                continue;
            struct kapi_cobj *o = kapi_cobj_from_kv(r->kind->rc, kv->key, kv->value->data, kv->value->len, kv->mod_rev, kv->create_rev);
            if (!kapi_cache_filter_pass(f, o)) {
                kapi_cobj_unref(o);
                continue;
            }
            if (limit && out->n == limit) {
                out->more = true;
                full = true;
                kapi_cobj_unref(o);
                continue;
            }
            if (out->n == cap) {
                cap = cap ? cap * 2 : 64;
                out->items = kapi_xrealloc(out->items, cap * sizeof(*out->items));
            }
            out->items[out->n++] = o;
        }
        if (n) {
            free(from);
            from = kapi_xstrdup(kvs[n - 1].key);
            skip = NULL;
        }
        for (size_t i = 0; i < n; i++)
            kapi_kv_dispose(&kvs[i]);
        free(kvs);
        if (full || !more)
            break;
        /* the next chunk starts at the last key read, which is skipped */
        skip = from;
    }
    if (out->more && out->n)
        out->last_key = kapi_xstrdup(out->items[out->n - 1]->key);
    free(end);
    free(from);
    return err;
}

static void write_list(struct kapi_req *r, struct kapi_cache_list *l, const char *cont, int64_t remaining)
{
    char rvbuf[24];
    snprintf(rvbuf, sizeof(rvbuf), "%lld", (long long)l->rev);
    if (r->fmt == KAPI_FMT_JSON && r->as == KAPI_AS_OBJECT && !r->pretty && !r->kind->view_out) {
        /* Items are the shared object bytes, copied as they are. */
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_buf_printf(&b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%s\"",
                        r->kind->list_kind, r->kind->api_version, rvbuf);
        if (cont && *cont) {
            kapi_buf_puts(&b, ",\"continue\":");
            kapi_json_write_string(&b, cont, strlen(cont));
        }
        if (remaining > 0)
            kapi_buf_printf(&b, ",\"remainingItemCount\":%lld", (long long)remaining);
        kapi_buf_puts(&b, "},\"items\":[");
        for (size_t i = 0; i < l->n; i++) {
            if (i)
                kapi_buf_putc(&b, ',');
            kapi_buf_append(&b, l->items[i]->json->data, l->items[i]->json->len);
        }
        kapi_buf_puts(&b, "]}\n");
        kapi_respond_raw(r, 200, "application/json", b.data, b.len, NULL, 0);
        kapi_buf_dispose(&b);
        return;
    }
    if (r->fmt == KAPI_FMT_PROTOBUF && r->as == KAPI_AS_OBJECT && r->kind->msg) {
        /* ListMeta, then each item's once-encoded message bytes. */
        struct kapi_buf meta, raw;
        kapi_buf_init(&meta, 0);
        kapi_buf_init(&raw, 0);
        kapi_pb_put_field(&meta, 1, "", 0);
        kapi_pb_put_field(&meta, 2, rvbuf, strlen(rvbuf));
        kapi_pb_put_field(&meta, 3, cont ? cont : "", cont ? strlen(cont) : 0);
        if (remaining > 0)
            kapi_pb_put_varint_field(&meta, 4, (uint64_t)remaining);
        kapi_pb_put_field(&raw, 1, meta.data ? meta.data : "", meta.len);
        bool ok = true;
        for (size_t i = 0; i < l->n && ok; i++) {
            struct kapi_blob *pb = kapi_cobj_protobuf(l->items[i], r->kind->msg);
            ok = pb && kapi_pb_put_field(&raw, 2, pb->data, pb->len) == 0;
        }
        if (ok) {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_pb_envelope(&b, r->kind->api_version, r->kind->list_kind, raw.data ? raw.data : "", raw.len);
            kapi_respond_raw(r, 200, "application/vnd.kubernetes.protobuf", b.data, b.len, NULL, 0);
            kapi_buf_dispose(&b);
        }
        kapi_buf_dispose(&meta);
        kapi_buf_dispose(&raw);
        if (ok)
            return;
        r->fmt = KAPI_FMT_JSON;
        write_list(r, l, cont, remaining);
        return;
    }
    struct kapi_value **objs = kapi_pool_alloc(r->pool, (l->n ? l->n : 1) * sizeof(*objs));
    for (size_t i = 0; i < l->n; i++) {
        objs[i] = kapi_cobj_value(l->items[i], r->pool);
        if (r->kind->view_out && !(objs[i] = kapi_rest_view(r, r->pool, objs[i], true)))
            return;
    }
    struct kapi_value *out;
    if (r->as == KAPI_AS_TABLE) {
        out = kapi_table_for_objects(r, objs, l->n, rvbuf, cont, remaining);
    } else {
        struct kapi_pool *p = r->pool;
        bool partial = r->as == KAPI_AS_PARTIAL;
        out = kapi_value_object(p);
        kapi_obj_set(p, out, "kind", kapi_value_str(p, partial ? "PartialObjectMetadataList" : r->kind->list_kind));
        kapi_obj_set(p, out, "apiVersion", kapi_value_str(p, partial ? r->partial_version : r->kind->api_version));
        if (partial)
            for (size_t i = 0; i < l->n; i++)
                objs[i] = kapi_partial_object(r, objs[i]);
        struct kapi_value *md = kapi_obj_ensure_obj(p, out, "metadata");
        kapi_obj_set(p, md, "resourceVersion", kapi_value_str(p, rvbuf));
        if (cont && *cont)
            kapi_obj_set(p, md, "continue", kapi_value_str(p, cont));
        if (remaining > 0)
            kapi_obj_set(p, md, "remainingItemCount", kapi_value_int(p, remaining));
        struct kapi_value *items = kapi_value_array(p);
        for (size_t i = 0; i < l->n; i++)
            kapi_arr_push(p, items, objs[i]);
        kapi_obj_set(p, out, "items", items);
    }
    kapi_respond_value(r, 200, out);
}

void kapi_handle_list(struct kapi_req *r)
{
    int64_t rv, limit;
    if (kapi_list_params(r, &rv, &limit) < 0)
        return;
    const char *match = kapi_req_param(r, "resourceVersionMatch");
    const char *cont = kapi_req_param(r, "continue");
    const char *rvs = kapi_req_param(r, "resourceVersion");
    if (match && *match) {
        if (strcmp(match, "NotOlderThan") != 0 && strcmp(match, "Exact") != 0) {
            struct kapi_field_errors errs = {0};
            static const char *const valid[] = {"Exact", "NotOlderThan", ""};
            kapi_ferr_not_supported(r->pool, &errs, "resourceVersionMatch", match, valid, 3);
            kapi_respond_status(r, kapi_status_invalid(r->pool, "meta.k8s.io", "ListOptions", "", &errs));
            return;
        }
        if (rv < 0) {
            list_options_invalid(r, "resourceVersionMatch", NULL, "resourceVersionMatch is forbidden unless resourceVersion is provided");
            return;
        }
        if (cont && *cont) {
            list_options_invalid(r, "resourceVersionMatch", NULL, "resourceVersionMatch is forbidden when continue is provided");
            return;
        }
        if (strcmp(match, "Exact") == 0 && rv == 0) {
            list_options_invalid(r, "resourceVersionMatch", NULL, "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
            return;
        }
    }
    struct kapi_rest_filter *rf = kapi_rest_filter_new(r);
    if (!rf)
        return;
    struct kapi_cache_filter f = {.ns = r->kind->res->namespaced ? r->ns : ""};
    kapi_rest_filter_apply(rf, &f);

    const char *after = NULL;
    int64_t token_rv = 0;
    if (cont && *cont) {
        if (rvs && *rvs && strcmp(rvs, "0") != 0) {
            kapi_respond_error(r, 400, "BadRequest", "specifying resource version is not allowed when using continue");
            return;
        }
        const char *start = NULL, *err = NULL;
        if (kapi_continue_decode(r->pool, cont, &token_rv, &start, &err) < 0) {
            kapi_respond_error(r, 400, "BadRequest", kapi_pool_printf(r->pool, "continue: Invalid value: %s: %s",
                                                                     kapi_go_quote(r->pool, cont, strlen(cont)), err ? err : "invalid"));
            return;
        }
        /* The token holds the last key returned; the next page starts after it. */
        after = kapi_pool_printf(r->pool, "%s%s", r->kind->prefix, start);
    }
    struct kapi_cache_list l;
    if (token_rv > 0 || (rv > 0 && match && strcmp(match, "Exact") == 0 && rv != kapi_cache_rev(r->srv->cache))) {
        /* A consistent page at the token's (or the asked) revision. */
        int64_t at = token_rv > 0 ? token_rv : rv;
        int err = list_from_store(r, &f, after, at, (size_t)limit, &l);
        if (err) {
            kapi_cache_list_dispose(&l);
            int64_t cur = 0, compacted = 0;
            r->srv->store->ops->revisions(r->srv->store, &cur, &compacted);
            if (err == KAPI_STORE_COMPACTED && token_rv > 0)
                kapi_respond_status(r, kapi_status_expired(r->pool, KAPI_CONTINUE_EXPIRED_MESSAGE));
            else if (err == KAPI_STORE_COMPACTED)
                kapi_respond_status(r, kapi_status_too_old_rv(r->pool, at, compacted));
            else if (err == KAPI_STORE_FUTURE_REV)
                kapi_respond_status(r, kapi_status_too_large_rv(r->pool, at, cur, 1));
            else
                kapi_rest_store_error(r, err, "");
            return;
        }
    } else {
        if (rv > 0) {
            if (kapi_cache_wait_rev(r->srv->cache, rv, 3000) < 0) {
                kapi_respond_status(r, kapi_status_too_large_rv(r->pool, rv, kapi_cache_rev(r->srv->cache), 1));
                return;
            }
        } else if (rv < 0) {
            if (kapi_rest_sync(r) < 0)
                return;
        }
        kapi_rcache_list(r->kind->rc, &f, after, (size_t)limit, &l);
    }
    char *next = NULL;
    int64_t remaining = 0;
    if (l.remaining < 0)
        l.remaining = 0; /* not counted on the storage path */
    if (l.more && l.last_key) {
        /* Upstream's token names the key just after the last one returned. */
        const char *rel = l.last_key + strlen(r->kind->prefix);
        next = kapi_continue_encode_n(r->pool, l.rev, rel, strlen(rel) + 1);
        if (!kapi_rest_filter_selects(rf))
            remaining = l.remaining;
    }
    write_list(r, &l, next, remaining);
    kapi_cache_list_dispose(&l);
}
