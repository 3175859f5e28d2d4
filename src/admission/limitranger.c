/* LimitRanger: a new pod's containers take the default limits and requests
 * of the "Container" items of the LimitRange objects in their namespace
 * where they set none, and the pod records what was filled in under the
 * kubernetes.io/limit-ranger annotation. The min/max/ratio checks of the
 * validating half are not done yet (docs/internals/admission.md). */
#include <stdlib.h>
#include <string.h>

#include "admission.h"

#define ANNOTATION "kubernetes.io/limit-ranger"

static int cmp_member(const void *x, const void *y)
{
    const struct kapi_member *a = x, *b = y;
    return strcmp(a->key, b->key);
}

/* Go writes map keys sorted; keep maps we touch that way. */
static void sort_map(struct kapi_value *m)
{
    if (m && m->type == KAPI_V_OBJECT && m->u.obj.len > 1)
        qsort(m->u.obj.members, m->u.obj.len, sizeof(m->u.obj.members[0]), cmp_member);
}

static int cmp_cstr(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Merged defaults of every Container item of one LimitRange (later items win). */
static void container_defaults(struct kapi_pool *p, const struct kapi_value *lr, struct kapi_value *limits,
                               struct kapi_value *requests)
{
    struct kapi_value *items = kapi_value_path(lr, "spec", "limits", NULL);
    for (size_t i = 0; items && items->type == KAPI_V_ARRAY && i < items->u.arr.len; i++) {
        struct kapi_value *it = items->u.arr.items[i];
        const char *type = kapi_obj_get_str(it, "type");
        if (!type || strcmp(type, "Container") != 0)
            continue;
        static const char *const from[2] = {"default", "defaultRequest"};
        struct kapi_value *to[2] = {limits, requests};
        for (int k = 0; k < 2; k++) {
            struct kapi_value *src = kapi_obj_get(it, from[k]);
            for (size_t j = 0; src && src->type == KAPI_V_OBJECT && j < src->u.obj.len; j++)
                kapi_obj_set(p, to[k], src->u.obj.members[j].key,
                             kapi_value_clone(p, src->u.obj.members[j].val));
        }
    }
}

/* Fills what one container lacks from dflt into its resources[which];
 * returns how many names were set, with their names in names[] (sorted). */
static size_t fill(struct kapi_pool *p, struct kapi_value *res, const char *which, const struct kapi_value *dflt,
                   const char **names)
{
    if (!dflt->u.obj.len)
        return 0;
    struct kapi_value *have = kapi_obj_get(res, which);
    size_t n = 0;
    for (size_t j = 0; j < dflt->u.obj.len; j++) {
        const char *k = dflt->u.obj.members[j].key;
        if (have && have->type == KAPI_V_OBJECT && kapi_obj_get(have, k))
            continue;
        if (!have || have->type != KAPI_V_OBJECT) {
            have = kapi_value_object(p);
            kapi_adm_put(p, res, "k8s.io.api.core.v1.ResourceRequirements", which, have);
        }
        kapi_obj_set(p, have, k, kapi_value_clone(p, dflt->u.obj.members[j].val));
        names[n++] = k;
    }
    sort_map(have);
    qsort(names, n, sizeof(names[0]), cmp_cstr);
    return n;
}

static void join(struct kapi_buf *b, const char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kapi_buf_printf(b, "%s%s", i ? ", " : "", names[i]);
}

/* Applies one LimitRange's defaults to every container; appends the
 * annotation text to b ("" when nothing was set). */
static void apply(struct kapi_pool *p, struct kapi_value *spec, const struct kapi_value *limits,
                  const struct kapi_value *requests, struct kapi_buf *b)
{
    static const char *const lists[2] = {"containers", "initContainers"};
    static const char *const what[2] = {"container", "init container"};
    size_t cap = limits->u.obj.len + requests->u.obj.len + 1;
    const char **names = kapi_pool_alloc(p, cap * sizeof(*names));
    for (int l = 0; l < 2; l++) {
        struct kapi_value *cs = kapi_obj_get(spec, lists[l]);
        for (size_t i = 0; cs && cs->type == KAPI_V_ARRAY && i < cs->u.arr.len; i++) {
            struct kapi_value *c = cs->u.arr.items[i];
            if (c->type != KAPI_V_OBJECT)
                continue;
            const char *cname = kapi_obj_get_str(c, "name");
            struct kapi_value *res = kapi_obj_get(c, "resources");
            if (!res || res->type != KAPI_V_OBJECT) {
                res = kapi_value_object(p);
                kapi_adm_put(p, c, "k8s.io.api.core.v1.Container", "resources", res);
            }
            /* Upstream fills limits first but reports requests first. */
            size_t nl = fill(p, res, "limits", limits, names);
            const char **lnames = kapi_pool_memdup(p, names, (nl ? nl : 1) * sizeof(*names));
            size_t nr = fill(p, res, "requests", requests, names);
            if (nr) {
                kapi_buf_puts(b, b->len ? "; " : "");
                join(b, names, nr);
                kapi_buf_printf(b, " request for %s %s", what[l], cname ? cname : "");
            }
            if (nl) {
                kapi_buf_puts(b, b->len ? "; " : "");
                join(b, lnames, nl);
                kapi_buf_printf(b, " limit for %s %s", what[l], cname ? cname : "");
            }
        }
    }
}

int kapi_adm_limitranger_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    (void)status;
    /* Containers cannot change after create, so upstream skips pod updates. */
    if (!kapi_adm_is(at, "", "pods") || !at->create || kapi_adm_none(at->adm, KAPI_ADM_LIMITRANGES))
        return 0;
    size_t n;
    struct kapi_value **lrs = kapi_adm_list(at, "", "v1", "limitranges", at->ns, &n);
    struct kapi_pool *p = at->pool;
    struct kapi_value *spec = kapi_obj_get(at->obj, "spec");
    if (!n || !spec || spec->type != KAPI_V_OBJECT)
        return 0;
    for (size_t i = 0; i < n; i++) {
        struct kapi_value *limits = kapi_value_object(p), *requests = kapi_value_object(p);
        container_defaults(p, lrs[i], limits, requests);
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        apply(p, spec, limits, requests, &b);
        if (b.len) {
            /* Each LimitRange that set something rewrites the annotation. */
            struct kapi_value *md = kapi_obj_ensure_obj(p, at->obj, "metadata");
            struct kapi_value *ann = kapi_obj_get(md, "annotations");
            if (!ann || ann->type != KAPI_V_OBJECT) {
                ann = kapi_value_object(p);
                kapi_adm_put(p, md, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "annotations", ann);
            }
            kapi_obj_set(p, ann, ANNOTATION,
                         kapi_value_str(p, kapi_pool_printf(p, "LimitRanger plugin set: %s", b.data)));
            sort_map(ann);
        }
        kapi_buf_dispose(&b);
    }
    return 0;
}

int kapi_adm_limitranger_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    (void)at;
    (void)status;
    return 0;
}
