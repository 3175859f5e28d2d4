/* apply/ssa: server-side apply and managedFields tracking, as kube-apiserver
 * v1.33's field manager chain does it (k8s.io/apimachinery/pkg/util/
 * managedfields/internal) on top of structured-merge-diff's merge.Updater:
 *
 *   version check -> last-applied updater -> last-applied manager ->
 *   skip-non-applied ("before-first-apply") -> cap managers (10 updaters,
 *   "ancient-changes") -> manager identity -> managed-fields updater
 *   (timestamps, "current-operation") -> strip metadata -> merge.Updater
 *
 * Managers are kept as upstream keys them: by the JSON of their entry
 * without time and fields (and without apiVersion for appliers). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/names.h"
#include "../codec/json.h"
#include "ssa_int.h"

#define MAX_UPDATE_MANAGERS 10
#define FIELD_MANAGER_MAX_LEN 128
#define MAX_SUBRESOURCE_LEN 256
#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"
#define CURRENT_OP "current-operation"

struct mgr {
    const char *id;       /* identifier (JSON), or CURRENT_OP */
    const char *name;
    bool apply;
    const char *api_version;
    const char *subresource;
    const char *time;     /* RFC 3339, NULL when none */
    struct ssa_set *set;
};

struct mgrs {
    struct mgr *v;
    size_t n, cap;
};

struct ctx {
    struct kapi_pool *pool;
    struct kapi_ssa_type type;
    const char *version;
    const char *subresource;
    const char *now;
    struct ssa_set *ignored; /* may be empty */
};

/* ------------------------------------------------------------------ */
/* managers                                                            */

static const char *build_id(struct kapi_pool *pool, const char *name, bool apply, const char *api_version,
                            const char *subresource)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    bool first = true;
    kapi_buf_putc(&b, '{');
    if (name && name[0]) {
        kapi_buf_puts(&b, "\"manager\":");
        kapi_json_write_string(&b, name, strlen(name));
        first = false;
    }
    kapi_buf_puts(&b, first ? "\"operation\":" : ",\"operation\":");
    kapi_buf_puts(&b, apply ? "\"Apply\"" : "\"Update\"");
    if (!apply && api_version && api_version[0]) {
        kapi_buf_puts(&b, ",\"apiVersion\":");
        kapi_json_write_string(&b, api_version, strlen(api_version));
    }
    if (subresource && subresource[0]) {
        kapi_buf_puts(&b, ",\"subresource\":");
        kapi_json_write_string(&b, subresource, strlen(subresource));
    }
    kapi_buf_putc(&b, '}');
    char *s = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

static struct mgr *mgr_find(struct mgrs *m, const char *id)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].id, id) == 0)
            return &m->v[i];
    return NULL;
}

static struct mgr *mgr_put(struct kapi_pool *pool, struct mgrs *m, const struct mgr *e)
{
    struct mgr *x = mgr_find(m, e->id);
    if (x) {
        *x = *e;
        return x;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        struct mgr *nv = kapi_pool_alloc(pool, cap * sizeof(*nv));
        if (m->n)
            memcpy(nv, m->v, m->n * sizeof(*nv));
        m->v = nv;
        m->cap = cap;
    }
    m->v[m->n] = *e;
    return &m->v[m->n++];
}

static void mgr_del(struct mgrs *m, const char *id)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].id, id) == 0) {
            memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
            m->n--;
            return;
        }
}

static struct mgrs mgrs_copy(struct kapi_pool *pool, const struct mgrs *m)
{
    struct mgrs c = {0};
    if (m->n) {
        c.v = kapi_pool_alloc(pool, m->n * sizeof(*c.v));
        memcpy(c.v, m->v, m->n * sizeof(*c.v));
        c.n = c.cap = m->n;
    }
    return c;
}

/* ---- time ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* RFC 3339 to Unix seconds; false when not parseable. */
static bool parse_time(const char *s, int64_t *out)
{
    int Y, M, D, h, mi, se;
    size_t n = strlen(s);
    if (n < 20 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
        !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
        return false;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    *out = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + mi * 60 + se - off;
    return true;
}

static int64_t time_secs(const char *t)
{
    int64_t s;
    return t && parse_time(t, &s) ? s : 0;
}

/* ---- decode / encode managedFields ---- */

static const char *entry_str(const struct kapi_value *e, const char *k, bool *bad)
{
    const struct kapi_value *v = kapi_obj_get(e, k);
    if (!v || v->type == KAPI_V_NULL)
        return "";
    if (v->type != KAPI_V_STRING) {
        *bad = true;
        return "";
    }
    return v->u.str.s;
}

/* DecodeManagedFields. Returns 0 or -1 with *err. */
static int decode_managed(struct kapi_pool *pool, const struct kapi_value *mf, struct mgrs *out, const char **err)
{
    memset(out, 0, sizeof(*out));
    if (!mf || mf->type == KAPI_V_NULL)
        return 0;
    if (mf->type != KAPI_V_ARRAY) {
        *err = "managedFields must be a list";
        return -1;
    }
    for (size_t i = 0; i < mf->u.arr.len; i++) {
        const struct kapi_value *e = mf->u.arr.items[i];
        if (e->type != KAPI_V_OBJECT) {
            *err = kapi_pool_printf(pool, "managed fields entry %zu is not an object", i);
            return -1;
        }
        bool bad = false;
        const char *op = entry_str(e, "operation", &bad);
        const char *av = entry_str(e, "apiVersion", &bad);
        const char *ft = entry_str(e, "fieldsType", &bad);
        const char *name = entry_str(e, "manager", &bad);
        const char *sub = entry_str(e, "subresource", &bad);
        const char *tm = entry_str(e, "time", &bad);
        if (bad) {
            *err = kapi_pool_printf(pool, "managed fields entry %zu has a field of the wrong type", i);
            return -1;
        }
        bool apply = strcmp(op, "Apply") == 0;
        if (!apply && strcmp(op, "Update") != 0) {
            *err = "operation must be `Apply` or `Update`";
            return -1;
        }
        if (!av[0]) {
            *err = "apiVersion must not be empty";
            return -1;
        }
        if (!ft[0]) {
            *err = kapi_pool_printf(pool, "missing fieldsType in managed fields entry %zu", i);
            return -1;
        }
        if (strcmp(ft, "FieldsV1") != 0) {
            *err = kapi_pool_printf(pool, "invalid fieldsType %s in managed fields entry %zu",
                                    kapi_go_quote(pool, ft, strlen(ft)), i);
            return -1;
        }
        const char *serr = NULL;
        struct ssa_set *set = ssa_set_from_value(pool, kapi_obj_get(e, "fieldsV1"), &serr);
        if (!set) {
            *err = kapi_pool_printf(pool, "error decoding versioned set from entry %zu: error decoding set: %s", i,
                                    serr);
            return -1;
        }
        struct mgr m = {
            .id = build_id(pool, name, apply, av, sub),
            .name = name,
            .apply = apply,
            .api_version = av,
            .subresource = sub,
            .set = set,
        };
        int64_t secs;
        if (tm[0]) {
            if (parse_time(tm, &secs)) {
                char buf[21];
                kapi_time_rfc3339(secs, buf);
                m.time = kapi_pool_strdup(pool, buf);
            } else {
                m.time = tm;
            }
        }
        mgr_put(pool, out, &m);
    }
    return 0;
}

static int entry_cmp(const void *x, const void *y)
{
    const struct mgr *p = x, *q = y;
    if (p->apply != q->apply)
        return p->apply ? -1 : 1; /* "Apply" < "Update" */
    int64_t ps = time_secs(p->time), qs = time_secs(q->time);
    if (ps != qs)
        return ps < qs ? -1 : 1;
    int c = strcmp(p->name, q->name);
    if (c)
        return c;
    c = strcmp(p->api_version, q->api_version);
    if (c)
        return c;
    return strcmp(p->subresource, q->subresource);
}

static struct kapi_value *str(struct kapi_pool *pool, const char *s)
{
    return kapi_value_str(pool, s);
}

/* Sets metadata.managedFields of obj from m (removes it when empty). */
static void encode_managed(struct kapi_pool *pool, struct kapi_value *obj, struct mgrs *m)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return;
    if (m->n == 0) {
        struct kapi_value *md = kapi_obj_get(obj, "metadata");
        if (md && md->type == KAPI_V_OBJECT)
            kapi_obj_del(md, "managedFields");
        return;
    }
    struct mgr *v = kapi_pool_alloc(pool, m->n * sizeof(*v));
    memcpy(v, m->v, m->n * sizeof(*v));
    qsort(v, m->n, sizeof(*v), entry_cmp);
    struct kapi_value *arr = kapi_value_array(pool);
    for (size_t i = 0; i < m->n; i++) {
        /* distinct literal keys: appended as they are */
        struct kapi_value *e = kapi_value_object(pool);
        if (v[i].name[0])
            kapi_obj_append(pool, e, "manager", 7, str(pool, v[i].name));
        kapi_obj_append(pool, e, "operation", 9, str(pool, v[i].apply ? "Apply" : "Update"));
        if (v[i].api_version[0])
            kapi_obj_append(pool, e, "apiVersion", 10, str(pool, v[i].api_version));
        if (v[i].time)
            kapi_obj_append(pool, e, "time", 4, str(pool, v[i].time));
        kapi_obj_append(pool, e, "fieldsType", 10, str(pool, "FieldsV1"));
        kapi_obj_append(pool, e, "fieldsV1", 8, ssa_set_to_value(pool, v[i].set));
        if (v[i].subresource[0])
            kapi_obj_append(pool, e, "subresource", 11, str(pool, v[i].subresource));
        kapi_arr_push(pool, arr, e);
    }
    struct kapi_value *md = kapi_obj_ensure_obj(pool, obj, "metadata");
    kapi_obj_set(pool, md, "managedFields", arr);
}

/* ------------------------------------------------------------------ */
/* merge.Updater                                                       */

/* A set of simple dotted paths ("status", "metadata.labels"). */
static struct ssa_set *paths_set(struct kapi_pool *pool, const char *const *paths)
{
    struct ssa_set *s = ssa_set_new(pool);
    for (size_t i = 0; paths && paths[i]; i++) {
        struct ssa_pe pe[32];
        size_t n = 0;
        const char *p = paths[i];
        while (*p && n < 32) {
            const char *d = strchr(p, '.');
            size_t l = d ? (size_t)(d - p) : strlen(p);
            if (l)
                pe[n++] = ssa_pe_field(kapi_pool_strndup(pool, p, l), l);
            p += l + (d ? 1 : 0);
        }
        ssa_set_insert(pool, s, pe, n);
    }
    return s;
}

static void exclude(struct kapi_pool *pool, struct ssa_cmp *c, const struct ssa_set *ign)
{
    if (ssa_set_empty(ign))
        return;
    c->added = ssa_set_rdiff(pool, c->added, ign);
    c->removed = ssa_set_rdiff(pool, c->removed, ign);
    c->modified = ssa_set_rdiff(pool, c->modified, ign);
}

/* Updater.update: takes fields changed by the write away from the other
 * managers; with !force, changed fields others own are conflicts (collected
 * into *conf, nothing changed). */
static bool smd_update(struct ctx *c, struct mgrs *m, const struct kapi_value *oldv, const struct kapi_value *newv,
                       const char *workflow, bool force, struct ssa_cmp *cmp, struct mgrs *conf)
{
    ssa_compare(c->pool, c->type, oldv, newv, cmp);
    exclude(c->pool, cmp, c->ignored);
    struct ssa_set *changed = ssa_set_union(c->pool, cmp->modified, cmp->added);
    struct mgrs conflicts = {0};
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->v[i].id, workflow) == 0)
            continue;
        struct ssa_set *cs = ssa_set_inter(c->pool, m->v[i].set, changed);
        if (!ssa_set_empty(cs)) {
            struct mgr e = m->v[i];
            e.set = cs;
            mgr_put(c->pool, &conflicts, &e);
        }
    }
    if (!force && conflicts.n) {
        *conf = conflicts;
        return false;
    }
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->v[i].id, workflow) == 0)
            continue;
        struct mgr *cf = mgr_find(&conflicts, m->v[i].id);
        if (cf)
            m->v[i].set = ssa_set_diff(c->pool, m->v[i].set, cf->set);
        if (!ssa_set_empty(cmp->removed))
            m->v[i].set = ssa_set_diff(c->pool, m->v[i].set, cmp->removed);
    }
    for (size_t i = 0; i < m->n;) {
        if (ssa_set_empty(m->v[i].set)) {
            memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
            m->n--;
        } else {
            i++;
        }
    }
    return true;
}

/* Updater.Update for manager `id` (entry fields from tmpl). */
static void smd_Update(struct ctx *c, struct mgrs *m, const struct kapi_value *oldv, const struct kapi_value *newv,
                       const struct mgr *tmpl)
{
    struct ssa_cmp cmp;
    struct mgrs none;
    smd_update(c, m, oldv, newv, tmpl->id, true, &cmp, &none);
    struct mgr *cur = mgr_find(m, tmpl->id);
    struct ssa_set *base = cur ? cur->set : ssa_set_new(c->pool);
    struct ssa_set *s = ssa_set_union(c->pool, base, cmp.modified);
    s = ssa_set_union(c->pool, s, cmp.added);
    s = ssa_set_diff(c->pool, s, cmp.removed);
    s = ssa_set_rdiff(c->pool, s, c->ignored);
    struct mgr e = *tmpl;
    e.set = s;
    e.apply = false;
    e.api_version = c->version;
    if (cur)
        e.time = cur->time;
    if (ssa_set_empty(s))
        mgr_del(m, tmpl->id);
    else
        mgr_put(c->pool, m, &e);
}

static struct kapi_value *prune(struct ctx *c, struct kapi_value *merged, struct mgrs *m, const struct mgr *last)
{
    if (!last || ssa_set_empty(last->set))
        return merged;
    struct kapi_value *pruned = ssa_remove(c->pool, c->type, merged, last->set);
    /* add back what any manager (or this applier's new config) owns */
    struct ssa_set *managed = ssa_set_new(c->pool);
    for (size_t i = 0; i < m->n; i++)
        managed = ssa_set_union(c->pool, managed, m->v[i].set);
    struct ssa_set *merged_set = ssa_to_set(c->pool, c->type, merged, NULL);
    struct ssa_set *pruned_set = ssa_to_set(c->pool, c->type, pruned, NULL);
    pruned = ssa_remove(c->pool, c->type, merged,
                        ssa_set_diff(c->pool, merged_set, ssa_set_union(c->pool, pruned_set, managed)));
    /* only remove what this applier owned before */
    pruned_set = ssa_to_set(c->pool, c->type, pruned, NULL);
    return ssa_remove(c->pool, c->type, merged,
                      ssa_set_inter(c->pool, ssa_set_diff(c->pool, merged_set, pruned_set), last->set));
}

/* Updater.Apply. Returns the new object (NULL when nothing changed), or
 * NULL with conflicts in *conf (conf->n > 0). */
static struct kapi_value *smd_Apply(struct ctx *c, struct mgrs *m, const struct kapi_value *live,
                                    const struct kapi_value *config, const struct mgr *tmpl, bool force,
                                    struct mgrs *conf)
{
    struct kapi_value *merged = ssa_merge(c->pool, c->type, live, config);
    struct mgr *lastp = mgr_find(m, tmpl->id);
    struct mgr last = lastp ? *lastp : (struct mgr){0};
    struct ssa_set *set = ssa_to_set(c->pool, c->type, config, NULL);
    set = ssa_set_rdiff(c->pool, set, c->ignored);
    struct mgr e = *tmpl;
    e.set = set;
    e.apply = true;
    e.api_version = c->version;
    e.time = lastp ? lastp->time : NULL;
    mgr_put(c->pool, m, &e);
    merged = prune(c, merged, m, lastp ? &last : NULL);
    struct ssa_cmp cmp;
    if (!smd_update(c, m, live, merged, tmpl->id, force, &cmp, conf))
        return NULL;
    if (ssa_set_empty(cmp.added) && ssa_set_empty(cmp.removed) && ssa_set_empty(cmp.modified))
        return NULL;
    return merged;
}

/* ------------------------------------------------------------------ */
/* the manager chain                                                   */

static const struct ssa_set *strip_paths;
static pthread_once_t strip_once = PTHREAD_ONCE_INIT;

static void strip_init(void)
{
    static const char *const paths[] = {
        "apiVersion",        "kind",          "metadata",          "metadata.name",
        "metadata.namespace", "metadata.creationTimestamp", "metadata.selfLink", "metadata.uid",
        "metadata.clusterName", "metadata.generation", "metadata.managedFields", "metadata.resourceVersion",
        NULL,
    };
    /* built once, in a pool kept for the process: sets are never changed
     * in place, and results of set operations never point into it */
    strip_paths = paths_set(kapi_pool_new(), paths);
}

static const struct ssa_set *strip_set(void)
{
    pthread_once(&strip_once, strip_init);
    return strip_paths;
}

static void strip_meta(struct ctx *c, struct mgrs *m, const char *id)
{
    struct mgr *e = mgr_find(m, id);
    if (!e)
        return;
    struct ssa_set *s = ssa_set_diff(c->pool, e->set, strip_set());
    if (ssa_set_empty(s))
        mgr_del(m, id);
    else
        e->set = s;
}

static int upd_cmp(const void *x, const void *y)
{
    const struct mgr *p = *(const struct mgr *const *)x, *q = *(const struct mgr *const *)y;
    int64_t ps = time_secs(p->time), qs = time_secs(q->time);
    if (ps != qs)
        return ps < qs ? -1 : 1;
    return strcmp(p->id, q->id);
}

/* capManagersManager: at most 10 Update entries; the oldest are merged
 * into "ancient-changes" buckets per apiVersion. */
static void cap_managers(struct ctx *c, struct mgrs *m)
{
    size_t nu = 0;
    for (size_t i = 0; i < m->n; i++)
        if (!m->v[i].apply)
            nu++;
    if (nu <= MAX_UPDATE_MANAGERS)
        return;
    struct mgr **u = kapi_pool_alloc(c->pool, nu * sizeof(*u));
    struct mgr *copy = kapi_pool_alloc(c->pool, m->n * sizeof(*copy));
    memcpy(copy, m->v, m->n * sizeof(*copy));
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (!copy[i].apply)
            u[k++] = &copy[i];
    qsort(u, nu, sizeof(*u), upd_cmp);
    const char **first_ver = kapi_pool_calloc(c->pool, nu * sizeof(*first_ver));
    const char **first_id = kapi_pool_calloc(c->pool, nu * sizeof(*first_id));
    size_t nfirst = 0;
    size_t length = nu;
    for (size_t i = 0; i < nu && length > MAX_UPDATE_MANAGERS; i++) {
        const struct mgr *cur = mgr_find(m, u[i]->id);
        if (!cur)
            continue;
        struct mgr vs = *cur;
        const char *bucket = build_id(c->pool, "ancient-changes", false, vs.api_version, "");
        size_t f;
        for (f = 0; f < nfirst; f++)
            if (strcmp(first_ver[f], vs.api_version) == 0)
                break;
        if (f < nfirst) {
            struct mgr *b = mgr_find(m, bucket);
            if (!b) {
                struct mgr *fm = mgr_find(m, first_id[f]);
                struct mgr nb = fm ? *fm : vs;
                if (fm)
                    mgr_del(m, first_id[f]);
                nb.id = bucket;
                nb.name = "ancient-changes";
                nb.subresource = "";
                nb.apply = false;
                b = mgr_put(c->pool, m, &nb);
            }
            struct mgr nb = *b;
            nb.set = ssa_set_union(c->pool, vs.set, b->set);
            nb.api_version = vs.api_version;
            nb.time = vs.time;
            mgr_put(c->pool, m, &nb);
            mgr_del(m, vs.id);
            length--;
        } else {
            first_ver[nfirst] = vs.api_version;
            first_id[nfirst++] = vs.id;
        }
    }
}

/* BuildManagerInfo -> ManagedFieldsUpdater -> StripMeta -> Updater.Update,
 * then CapManagers. */
static void update_chain(struct ctx *c, struct mgrs *m, const struct kapi_value *oldv,
                         const struct kapi_value *newv, const char *name)
{
    if (!name || !name[0])
        name = "unknown";
    struct mgr cur = {.id = CURRENT_OP, .name = name, .api_version = c->version, .subresource = c->subresource};
    smd_Update(c, m, oldv, newv, &cur);
    strip_meta(c, m, CURRENT_OP);
    struct mgr *op = mgr_find(m, CURRENT_OP);
    if (op) {
        struct mgr vs = *op;
        mgr_del(m, CURRENT_OP);
        const char *id = build_id(c->pool, name, false, c->version, c->subresource);
        struct mgr *prev = mgr_find(m, id);
        struct mgr e = {.id = id,
                        .name = name,
                        .apply = false,
                        .api_version = vs.api_version,
                        .subresource = c->subresource,
                        .set = prev ? ssa_set_union(c->pool, vs.set, prev->set) : vs.set,
                        .time = c->now};
        mgr_put(c->pool, m, &e);
    }
    cap_managers(c, m);
}

static bool uid_empty(const struct kapi_value *obj)
{
    const char *uid = kapi_value_cstr(kapi_value_path(obj, "metadata", "uid", NULL));
    return !uid || !uid[0];
}

static struct ssa_set *ctx_ignored(struct kapi_pool *pool, const struct kapi_ssa_opts *opts)
{
    return paths_set(pool, opts ? opts->reset_fields : NULL);
}

static struct kapi_value *strip_managed_copy(struct kapi_pool *pool, const struct kapi_value *obj)
{
    struct kapi_value *o = kapi_value_clone(pool, obj);
    struct kapi_value *md = kapi_obj_get(o, "metadata");
    if (md && md->type == KAPI_V_OBJECT)
        kapi_obj_del(md, "managedFields");
    return o;
}

/* ------------------------------------------------------------------ */
/* Update                                                              */

static bool is_reset(const struct kapi_value *mf)
{
    if (!mf || mf->type != KAPI_V_ARRAY)
        return false;
    if (mf->u.arr.len == 0)
        return true;
    if (mf->u.arr.len == 1) {
        const struct kapi_value *e = mf->u.arr.items[0];
        if (e->type != KAPI_V_OBJECT)
            return false;
        for (size_t i = 0; i < e->u.obj.len; i++) {
            const struct kapi_value *v = e->u.obj.members[i].val;
            if (v->type == KAPI_V_NULL)
                continue;
            if (v->type == KAPI_V_STRING && v->u.str.len == 0)
                continue;
            return false;
        }
        return true;
    }
    return false;
}

static int update_impl(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                       const struct kapi_value *old, struct kapi_value *new_obj, const char *manager,
                       const char *subresource, const char *now, const struct kapi_ssa_opts *opts,
                       const char **error, bool fast)
{
    if (error)
        *error = NULL;
    if (!new_obj || new_obj->type != KAPI_V_OBJECT)
        return 0;
    struct ctx c = {
        .pool = pool,
        .type = type,
        .version = api_version ? api_version : "",
        .subresource = subresource ? subresource : "",
        .now = now,
        .ignored = ctx_ignored(pool, opts),
    };
    const struct kapi_value *live = old;
    if (!live) /* only read below */
        live = ssa_zero_object_shared(pool, type);
    const struct kapi_value *live_mf = kapi_value_path(live, "metadata", "managedFields", NULL);
    struct kapi_value *md = kapi_obj_get(new_obj, "metadata");
    const struct kapi_value *new_mf = md && md->type == KAPI_V_OBJECT ? kapi_obj_get(md, "managedFields") : NULL;
    struct mgrs m = {0};
    const char *err = NULL;
    if (c.subresource[0]) {
        if (decode_managed(pool, live_mf, &m, &err) < 0)
            memset(&m, 0, sizeof(m));
    } else if (is_reset(new_mf)) {
        memset(&m, 0, sizeof(m));
    } else if (decode_managed(pool, new_mf, &m, &err) < 0 || m.n == 0) {
        if (decode_managed(pool, live_mf, &m, &err) < 0)
            memset(&m, 0, sizeof(m));
    }
    if (md && md->type == KAPI_V_OBJECT)
        kapi_obj_del(md, "managedFields");
    /* skip-non-applied: an object that is not tracked stays untracked,
     * except on create */
    if (m.n == 0 && !uid_empty(live))
        return 0;
    if (fast && !old && m.n == 0) {
        /* A create with nobody's fields: the chain below reduces to one
         * Update entry owning what the new object adds to or changes from
         * the zero object, without the reset and the stripped fields. */
        struct mgr e = {.name = manager && manager[0] ? manager : "unknown",
                        .api_version = c.version,
                        .subresource = c.subresource,
                        .time = c.now,
                        .set = ssa_changed_set(pool, type, live, new_obj, c.ignored, strip_set())};
        if (!ssa_set_empty(e.set)) {
            m.v = &e;
            m.n = m.cap = 1;
        }
        encode_managed(pool, new_obj, &m);
        return 0;
    }
    update_chain(&c, &m, live, new_obj, manager);
    encode_managed(pool, new_obj, &m);
    return 0;
}

int kapi_ssa_update_ex(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                       const struct kapi_value *old, struct kapi_value *new_obj, const char *manager,
                       const char *subresource, const char *now, const struct kapi_ssa_opts *opts,
                       const char **error)
{
    return update_impl(pool, type, api_version, old, new_obj, manager, subresource, now, opts, error, true);
}

int ssa_update_general(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                       const struct kapi_value *old, struct kapi_value *new_obj, const char *manager,
                       const char *subresource, const char *now, const struct kapi_ssa_opts *opts,
                       const char **error)
{
    return update_impl(pool, type, api_version, old, new_obj, manager, subresource, now, opts, error, false);
}

int kapi_ssa_update(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                    const struct kapi_value *old, struct kapi_value *new_obj, const char *manager,
                    const char *subresource, const char *now, const char **error)
{
    return kapi_ssa_update_ex(pool, type, api_version, old, new_obj, manager, subresource, now, NULL, error);
}

/* ------------------------------------------------------------------ */
/* Apply                                                               */

static const char *print_manager(struct kapi_pool *pool, const char *name, bool applied, const char *api_version,
                                 const char *subresource)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_go_quote_buf(&b, name ? name : "", name ? strlen(name) : 0);
    if (subresource && subresource[0]) {
        kapi_buf_puts(&b, " with subresource ");
        kapi_go_quote_buf(&b, subresource, strlen(subresource));
    }
    if (!applied)
        kapi_buf_printf(&b, " using %s", api_version ? api_version : "");
    char *s = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

struct conf_collect {
    struct kapi_pool *pool;
    const struct mgr *m;
    struct kapi_ssa_conflict *v;
    size_t n, cap;
};

static void collect_conflict(void *ctx, const struct ssa_pe *path, size_t n)
{
    struct conf_collect *cc = ctx;
    if (cc->n == cc->cap) {
        size_t cap = cc->cap ? cc->cap * 2 : 8;
        struct kapi_ssa_conflict *nv = kapi_pool_alloc(cc->pool, cap * sizeof(*nv));
        if (cc->n)
            memcpy(nv, cc->v, cc->n * sizeof(*nv));
        cc->v = nv;
        cc->cap = cap;
    }
    struct kapi_ssa_conflict *k = &cc->v[cc->n++];
    k->manager = cc->m->name;
    k->api_version = cc->m->api_version;
    k->subresource = cc->m->subresource;
    k->applied = cc->m->apply;
    k->field = ssa_path_string(cc->pool, path, n);
    k->message = kapi_pool_printf(
        cc->pool, "conflict with %s",
        print_manager(cc->pool, cc->m->name, cc->m->apply, cc->m->api_version, cc->m->subresource));
}

static int id_cmp(const void *x, const void *y)
{
    return strcmp(((const struct mgr *)x)->id, ((const struct mgr *)y)->id);
}

static void conflicts_out(struct kapi_pool *pool, struct mgrs *conf, struct kapi_ssa_result *out)
{
    qsort(conf->v, conf->n, sizeof(*conf->v), id_cmp);
    struct conf_collect cc = {.pool = pool};
    for (size_t i = 0; i < conf->n; i++) {
        cc.m = &conf->v[i];
        ssa_set_iterate(conf->v[i].set, collect_conflict, &cc);
    }
    out->conflicts = cc.v;
    out->nconflicts = cc.n;
    out->status = 409;
    out->message = kapi_ssa_conflict_message(pool, cc.v, cc.n);
}

/* JSON with object keys sorted (Go's encoding of map[string]interface{}). */
static void json_sorted(struct kapi_buf *b, const struct kapi_value *v, int depth)
{
    if (depth > SSA_MAX_DEPTH) {
        kapi_buf_puts(b, "null");
        return;
    }
    if (v->type == KAPI_V_ARRAY) {
        kapi_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.arr.len; i++) {
            if (i)
                kapi_buf_putc(b, ',');
            json_sorted(b, v->u.arr.items[i], depth + 1);
        }
        kapi_buf_putc(b, ']');
        return;
    }
    if (v->type != KAPI_V_OBJECT) {
        kapi_json_write(b, v);
        return;
    }
    size_t n = v->u.obj.len;
    size_t *ix = kapi_xmalloc((n + 1) * sizeof(*ix));
    for (size_t i = 0; i < n; i++)
        ix[i] = i;
    /* insertion sort by key bytes (objects are small) */
    for (size_t i = 1; i < n; i++) {
        size_t x = ix[i], j = i;
        while (j > 0) {
            const struct kapi_member *a = &v->u.obj.members[ix[j - 1]], *bm = &v->u.obj.members[x];
            size_t l = a->klen < bm->klen ? a->klen : bm->klen;
            int c = memcmp(a->key, bm->key, l);
            if (c < 0 || (c == 0 && a->klen <= bm->klen))
                break;
            ix[j] = ix[j - 1];
            j--;
        }
        ix[j] = x;
    }
    kapi_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        const struct kapi_member *m = &v->u.obj.members[ix[i]];
        if (i)
            kapi_buf_putc(b, ',');
        kapi_json_write_string(b, m->key, m->klen);
        kapi_buf_putc(b, ':');
        json_sorted(b, m->val, depth + 1);
    }
    kapi_buf_putc(b, '}');
    free(ix);
}

/* lastAppliedUpdater: kubectl's server-side apply keeps an existing
 * client-side last-applied annotation in step with what it applied. */
static void update_last_applied(struct kapi_pool *pool, struct kapi_value *obj, const struct kapi_value *config)
{
    const char *cur = kapi_value_cstr(kapi_value_path(obj, "metadata", "annotations", LAST_APPLIED, NULL));
    if (!cur || !cur[0])
        return;
    struct kapi_value *cfg = kapi_value_clone(pool, config);
    struct kapi_value *ann = kapi_value_path(cfg, "metadata", "annotations", NULL);
    if (ann && ann->type == KAPI_V_OBJECT)
        kapi_obj_del(ann, LAST_APPLIED);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    json_sorted(&b, cfg, 0);
    kapi_buf_putc(&b, '\n');
    struct kapi_value *oann = kapi_value_path(obj, "metadata", "annotations", NULL);
    if (oann && oann->type == KAPI_V_OBJECT)
        kapi_obj_set(pool, oann, LAST_APPLIED, kapi_value_strn(pool, b.data, b.len));
    kapi_buf_dispose(&b);
}

/* lastAppliedManager: conflicts on fields whose live value still equals the
 * client-side last-applied configuration are allowed (the upgrade path from
 * client-side to server-side apply). Returns the allowed set or NULL. */
static struct ssa_set *allowed_from_last_applied(struct ctx *c, const struct kapi_value *live)
{
    const char *la = kapi_value_cstr(kapi_value_path(live, "metadata", "annotations", LAST_APPLIED, NULL));
    if (!la || !la[0])
        return NULL;
    struct kapi_json_error je;
    struct kapi_value *lv = kapi_json_parse(c->pool, la, strlen(la), NULL, &je);
    if (!lv || lv->type != KAPI_V_OBJECT)
        return NULL;
    struct ssa_verr ve = {0};
    struct kapi_buf eb;
    kapi_buf_init(&eb, 1 << 16);
    ve.b = &eb;
    struct ssa_set *las = ssa_to_set(c->pool, c->type, lv, &ve);
    size_t nerr = ve.n;
    kapi_buf_dispose(&eb);
    if (nerr)
        return NULL;
    struct ssa_cmp cmp;
    ssa_compare(c->pool, c->type, lv, live, &cmp);
    return ssa_set_diff(c->pool, las, cmp.modified);
}

static const char *gvk_text(struct kapi_pool *pool, const struct kapi_value *obj)
{
    const char *av = kapi_obj_get_str(obj, "apiVersion");
    const char *kind = kapi_obj_get_str(obj, "kind");
    if (!av)
        av = "";
    const char *slash = strchr(av, '/');
    if (slash)
        return kapi_pool_printf(pool, "%.*s/%s, Kind=%s", (int)(slash - av), av, slash + 1, kind ? kind : "");
    return kapi_pool_printf(pool, "/%s, Kind=%s", av, kind ? kind : "");
}

static int fail(struct kapi_ssa_result *out, int status, const char *msg)
{
    out->status = status;
    out->error = msg;
    out->obj = NULL;
    return -1;
}

int kapi_ssa_apply_ex(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                      const struct kapi_value *live, const struct kapi_value *config, const char *manager,
                      bool force, const char *subresource, const char *now, const struct kapi_ssa_opts *opts,
                      struct kapi_ssa_result *out)
{
    memset(out, 0, sizeof(*out));
    struct ctx c = {
        .pool = pool,
        .type = type,
        .version = api_version ? api_version : "",
        .subresource = subresource ? subresource : "",
        .now = now,
        .ignored = ctx_ignored(pool, opts),
    };
    if (!config || config->type != KAPI_V_OBJECT)
        return fail(out, 400, "apply patch must be an object");
    /* version check */
    const char *cav = kapi_obj_get_str(config, "apiVersion");
    if (!cav || strcmp(cav, c.version) != 0)
        return fail(out, 400, kapi_pool_printf(pool, "invalid object type: %s", gvk_text(pool, config)));
    const struct kapi_value *cmf = kapi_value_path(config, "metadata", "managedFields", NULL);
    if (cmf && cmf->type == KAPI_V_ARRAY)
        return fail(out, 400, "metadata.managedFields must be nil");
    /* the configuration must be a valid typed object */
    struct kapi_buf eb;
    kapi_buf_init(&eb, 1 << 16);
    struct ssa_verr ve = {.b = &eb};
    ssa_to_set(pool, type, config, &ve);
    if (ve.n) {
        const char *ns = kapi_value_cstr(kapi_value_path(config, "metadata", "namespace", NULL));
        const char *nm = kapi_value_cstr(kapi_value_path(config, "metadata", "name", NULL));
        struct kapi_buf t;
        kapi_buf_init(&t, 0);
        if (ve.n > 1)
            kapi_buf_puts(&t, "errors:\n  ");
        for (size_t i = 0; i < eb.len; i++) {
            kapi_buf_putc(&t, eb.data[i]);
            if (eb.data[i] == '\n')
                kapi_buf_puts(&t, "  ");
        }
        const char *text = kapi_pool_strndup(pool, t.data ? t.data : "", t.len);
        kapi_buf_dispose(&t);
        kapi_buf_dispose(&eb);
        return fail(out, 500,
                    kapi_pool_printf(pool, "failed to create typed patch object (%s/%s; %s): %s", ns ? ns : "",
                                     nm ? nm : "", gvk_text(pool, config), text));
    }
    kapi_buf_dispose(&eb);

    const struct kapi_value *lv = live ? live : ssa_zero_object(pool, type);
    struct mgrs m0;
    const char *err = NULL;
    if (decode_managed(pool, kapi_value_path(lv, "metadata", "managedFields", NULL), &m0, &err) < 0)
        return fail(out, 500, kapi_pool_printf(pool, "failed to decode managed fields: %s", err));

    const char *name = manager && manager[0] ? manager : "unknown";
    for (int attempt = 0; attempt < 2; attempt++) {
        bool f = force || attempt == 1;
        struct mgrs m = mgrs_copy(pool, &m0);
        const struct kapi_value *base = lv;
        /* skip-non-applied: before the first apply, existing fields go to
         * "before-first-apply" */
        if (m.n == 0) {
            const struct kapi_value *zero = ssa_zero_object(pool, type);
            update_chain(&c, &m, zero, base, "before-first-apply");
        }
        const char *id = build_id(pool, name, true, c.version, c.subresource);
        struct mgr tmpl = {.id = id, .name = name, .apply = true, .api_version = c.version,
                           .subresource = c.subresource};
        struct mgrs conf = {0};
        struct kapi_value *obj = smd_Apply(&c, &m, base, config, &tmpl, f, &conf);
        if (!obj && conf.n) {
            /* kubectl may take over fields it set with client-side apply */
            if (attempt == 0 && strcmp(name, "kubectl") == 0) {
                struct ssa_set *allowed = allowed_from_last_applied(&c, base);
                if (allowed) {
                    struct mgrs rest = {0};
                    for (size_t i = 0; i < conf.n; i++) {
                        struct mgr e = conf.v[i];
                        e.set = ssa_set_diff(pool, e.set, allowed);
                        if (!ssa_set_empty(e.set))
                            mgr_put(pool, &rest, &e);
                    }
                    if (rest.n == 0)
                        continue; /* all allowed: apply again with force */
                    conflicts_out(pool, &rest, out);
                    return 0;
                }
            }
            conflicts_out(pool, &conf, out);
            return 0;
        }
        strip_meta(&c, &m, id);
        if (obj) {
            struct mgr *e = mgr_find(&m, id);
            if (e)
                e->time = c.now;
            obj = kapi_value_clone(pool, obj);
            ssa_drop_nulls(type, obj, 0);
        } else {
            obj = strip_managed_copy(pool, base);
        }
        if (strcmp(name, "kubectl") == 0)
            update_last_applied(pool, obj, config);
        encode_managed(pool, obj, &m);
        out->obj = obj;
        out->status = 200;
        return 0;
    }
    return fail(out, 500, "apply did not converge");
}

int kapi_ssa_apply(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                   const struct kapi_value *live, const struct kapi_value *config, const char *manager, bool force,
                   const char *subresource, const char *now, struct kapi_ssa_result *out)
{
    return kapi_ssa_apply_ex(pool, type, api_version, live, config, manager, force, subresource, now, NULL, out);
}

/* ------------------------------------------------------------------ */
/* messages, names, helpers                                            */

const char *kapi_ssa_conflict_message(struct kapi_pool *pool, const struct kapi_ssa_conflict *c, size_t n)
{
    if (n == 0)
        return kapi_pool_strdup(pool, "Apply failed with 0 conflicts: ");
    if (n == 1)
        return kapi_pool_printf(pool, "Apply failed with 1 conflict: conflict with %s: %s",
                                print_manager(pool, c[0].manager, c[0].applied, c[0].api_version, c[0].subresource),
                                c[0].field ? c[0].field : "");
    /* group by manager identity, managers sorted, paths in given order */
    const char **ids = kapi_pool_alloc(pool, n * sizeof(*ids));
    size_t *order = kapi_pool_alloc(pool, n * sizeof(*order));
    for (size_t i = 0; i < n; i++) {
        ids[i] = build_id(pool, c[i].manager, c[i].applied, c[i].api_version, c[i].subresource);
        order[i] = i;
    }
    for (size_t i = 1; i < n; i++) { /* stable insertion sort by identity */
        size_t x = order[i], j = i;
        while (j > 0 && strcmp(ids[order[j - 1]], ids[x]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    size_t no = n;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_printf(&b, "Apply failed with %zu conflicts: ", n);
    const struct kapi_ssa_conflict *prev = NULL;
    for (size_t k = 0; k < no; k++) {
        const struct kapi_ssa_conflict *x = &c[order[k]];
        if (!prev || strcmp(ids[prev - c], ids[order[k]]) != 0) {
            if (prev)
                kapi_buf_putc(&b, '\n');
            kapi_buf_printf(&b, "conflicts with %s:",
                            print_manager(pool, x->manager, x->applied, x->api_version, x->subresource));
        }
        kapi_buf_printf(&b, "\n- %s", x->field ? x->field : "");
        prev = x;
    }
    char *s = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

/* Decodes one UTF-8 sequence; returns its length, *r = U+FFFD for bad input
 * (advancing one byte), as Go's range over a string does. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *r)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *r = c;
        return 1;
    }
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (len == 0 || len > n) {
        *r = 0xFFFD;
        return 1;
    }
    uint32_t v = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *r = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) || (len == 4 && (v < 0x10000 || v > 0x10FFFF))) {
        *r = 0xFFFD;
        return 1;
    }
    *r = v;
    return len;
}

/* unicode.IsPrint, approximately: graphic characters and U+0020, without
 * controls, other spaces, format characters, surrogates and noncharacters. */
static bool go_is_print(uint32_t r)
{
    if (r < 0x20 || (r >= 0x7F && r <= 0xA0) || r == 0xAD)
        return false;
    if (r == 0x1680 || (r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F) ||
        r == 0x3000 || r == 0xFEFF || (r >= 0xFFF0 && r <= 0xFFFB) || r == 0xFFFE || r == 0xFFFF)
        return false;
    if (r >= 0xD800 && r <= 0xDFFF)
        return false;
    if (r >= 0xE000 && r <= 0xF8FF) /* private use is not graphic */
        return false;
    if (r >= 0xF0000)
        return false;
    return true;
}

static size_t utf8_len(uint32_t r)
{
    return r < 0x80 ? 1 : r < 0x800 ? 2 : r < 0x10000 ? 3 : 4;
}

static void utf8_put(struct kapi_buf *b, uint32_t r)
{
    char o[4];
    size_t n = utf8_len(r);
    if (n == 1) {
        o[0] = (char)r;
    } else if (n == 2) {
        o[0] = (char)(0xC0 | (r >> 6));
        o[1] = (char)(0x80 | (r & 0x3F));
    } else if (n == 3) {
        o[0] = (char)(0xE0 | (r >> 12));
        o[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        o[2] = (char)(0x80 | (r & 0x3F));
    } else {
        o[0] = (char)(0xF0 | (r >> 18));
        o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((r >> 6) & 0x3F));
        o[3] = (char)(0x80 | (r & 0x3F));
    }
    kapi_buf_append(b, o, n);
}

const char *kapi_ssa_manager_from_user_agent(struct kapi_pool *pool, const char *user_agent)
{
    if (!user_agent)
        return kapi_pool_strdup(pool, "");
    const char *slash = strchr(user_agent, '/');
    size_t n = slash ? (size_t)(slash - user_agent) : strlen(user_agent);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    const unsigned char *s = (const unsigned char *)user_agent;
    for (size_t i = 0; i < n;) {
        uint32_t r;
        size_t l = utf8_next(s + i, n - i, &r);
        i += l;
        if (!go_is_print(r))
            continue;
        if (b.len + utf8_len(r) > FIELD_MANAGER_MAX_LEN)
            break;
        utf8_put(&b, r);
    }
    char *out = kapi_pool_strndup(pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return out;
}

static char *value_json(struct kapi_pool *pool, const struct kapi_value *v)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, v);
    char *s = kapi_pool_strndup(pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
}

const char *kapi_ssa_fields_of(struct kapi_pool *pool, struct kapi_ssa_type type, const struct kapi_value *obj)
{
    return value_json(pool, ssa_set_to_value(pool, ssa_to_set(pool, type, obj, NULL)));
}

const char *kapi_ssa_fields_canonical(struct kapi_pool *pool, const struct kapi_value *fields_v1,
                                      const char **error)
{
    const char *err = NULL;
    struct ssa_set *s = ssa_set_from_value(pool, fields_v1, &err);
    if (error)
        *error = err;
    if (!s)
        return NULL;
    return value_json(pool, ssa_set_to_value(pool, s));
}

void kapi_ssa_validate_managed_fields(struct kapi_pool *pool, const struct kapi_value *mf,
                                      struct kapi_field_errors *errs)
{
    if (!mf || mf->type != KAPI_V_ARRAY)
        return;
    for (size_t i = 0; i < mf->u.arr.len; i++) {
        const struct kapi_value *e = mf->u.arr.items[i];
        if (e->type != KAPI_V_OBJECT)
            continue;
        const char *base = kapi_pool_printf(pool, "metadata.managedFields[%zu]", i);
        const char *op = kapi_obj_get_str(e, "operation");
        if (!op || (strcmp(op, "Apply") != 0 && strcmp(op, "Update") != 0))
            kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "%s.operation", base), op ? op : "",
                              "must be `Apply` or `Update`");
        const char *ft = kapi_obj_get_str(e, "fieldsType");
        if (ft && ft[0] && strcmp(ft, "FieldsV1") != 0)
            kapi_ferr_invalid(pool, errs, kapi_pool_printf(pool, "%s.fieldsType", base), ft, "must be `FieldsV1`");
        const char *mg = kapi_obj_get_str(e, "manager");
        if (mg) {
            const char *fld = kapi_pool_printf(pool, "%s.manager", base);
            size_t ml = strlen(mg);
            if (ml > FIELD_MANAGER_MAX_LEN)
                kapi_ferr_too_long(pool, errs, fld, FIELD_MANAGER_MAX_LEN);
            const unsigned char *s = (const unsigned char *)mg;
            for (size_t k = 0; k < ml;) {
                uint32_t r;
                size_t l = utf8_next(s + k, ml - k, &r);
                if (!go_is_print(r))
                    kapi_ferr_invalid(pool, errs, fld, mg,
                                      kapi_pool_printf(pool, "invalid character U+%04X (at position %zu)",
                                                       (unsigned)r, k));
                k += l;
            }
        }
        const char *sub = kapi_obj_get_str(e, "subresource");
        if (sub && strlen(sub) > MAX_SUBRESOURCE_LEN)
            kapi_ferr_too_long(pool, errs, kapi_pool_printf(pool, "%s.subresource", base), MAX_SUBRESOURCE_LEN);
    }
}
