/* RuntimeClass (plugin/pkg/admission/runtimeclass): a new pod that names a
 * RuntimeClass (spec.runtimeClassName) takes the class's pod overhead
 * (overhead.podFixed -> spec.overhead) and its scheduling constraints
 * (scheduling.nodeSelector merged into spec.nodeSelector, scheduling.tolerations
 * merged with spec.tolerations). The validating half checks that a pod's
 * overhead is exactly its class's. A class that does not exist refuses the
 * pod in both phases. Pods only, on create, no subresources. */
#include <stdlib.h>
#include <string.h>

#include "admission.h"

#define PODSPEC "k8s.io.api.core.v1.PodSpec"

static bool present(const struct kapi_value *v)
{
    return v && v->type != KAPI_V_NULL;
}

static size_t obj_len(const struct kapi_value *v)
{
    return v && v->type == KAPI_V_OBJECT ? v->u.obj.len : 0;
}

/* Go's %q for the names that can appear here: quotes, with backslash,
 * double quote and control characters escaped. */
static const char *go_quote(struct kapi_pool *p, const char *s)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '"');
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '"': kapi_buf_puts(&b, "\\\""); break;
        case '\\': kapi_buf_puts(&b, "\\\\"); break;
        case '\n': kapi_buf_puts(&b, "\\n"); break;
        case '\t': kapi_buf_puts(&b, "\\t"); break;
        case '\r': kapi_buf_puts(&b, "\\r"); break;
        default:
            if (*c < 0x20 || *c == 0x7f)
                kapi_buf_printf(&b, "\\x%02x", *c);
            else
                kapi_buf_putc(&b, (char)*c);
        }
    }
    kapi_buf_putc(&b, '"');
    const char *out = kapi_pool_strdup(p, b.data);
    kapi_buf_dispose(&b);
    return out;
}

/* The pod's RuntimeClass into *rc (NULL when the pod names none). -1 with
 * *status when it names one that does not exist. */
static int lookup_class(const struct kapi_admission_attrs *at, const struct kapi_value **rc,
                        struct kapi_status **status)
{
    *rc = NULL;
    const struct kapi_value *n = kapi_value_path(at->obj, "spec", "runtimeClassName", NULL);
    if (!present(n))
        return 0;
    const char *name = kapi_value_cstr(n);
    if (!name)
        return 0; /* not a string: API validation refuses it */
    if (!*name) {
        /* upstream's live GET of an empty name fails in the client, an
         * error that is not an API status: a 500 with no reason */
        *status = kapi_status_new(at->pool, 500, NULL, "resource name may not be empty");
        return -1;
    }
    /* settle: upstream looks again with a live GET after a lister miss */
    *rc = kapi_adm_get(at, "node.k8s.io", "v1", "runtimeclasses", NULL, name, true);
    if (*rc)
        return 0;
    *status = kapi_adm_forbidden(
        at, kapi_pool_printf(at->pool, "pod rejected: RuntimeClass %s not found", go_quote(at->pool, name)));
    return -1;
}

/* Semantic equality of two ResourceLists: the same names, amounts equal
 * as quantities; absent and empty are the same. */
static bool resources_equal(const struct kapi_value *a, const struct kapi_value *b)
{
    size_t na = obj_len(a), nb = obj_len(b);
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        const struct kapi_member *m = &a->u.obj.members[i];
        const struct kapi_value *other = kapi_obj_get(b, m->key);
        if (!other)
            return false;
        const char *x = kapi_value_cstr(m->val), *y = kapi_value_cstr(other);
        if (!x || !y ? !kapi_value_equal(m->val, other) : kapi_adm_quantity_cmp(x, y) != 0)
            return false;
    }
    return true;
}

static int cmp_member(const void *x, const void *y)
{
    const struct kapi_member *a = x, *b = y;
    return strcmp(a->key, b->key);
}

/* A copy of map with its keys in Go's map order (sorted). */
static struct kapi_value *sorted_copy(struct kapi_pool *p, const struct kapi_value *map)
{
    struct kapi_value *out = kapi_value_clone(p, map);
    if (out->type == KAPI_V_OBJECT && out->u.obj.len > 1)
        qsort(out->u.obj.members, out->u.obj.len, sizeof(out->u.obj.members[0]), cmp_member);
    return out;
}

static const char *const OVERHEAD_MISMATCH = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";

static int set_overhead(const struct kapi_admission_attrs *at, struct kapi_value *spec,
                        const struct kapi_value *rc, struct kapi_status **status)
{
    const struct kapi_value *oh = kapi_obj_get(rc, "overhead");
    if (!present(oh))
        return 0;
    const struct kapi_value *fixed = kapi_obj_get(oh, "podFixed");
    const struct kapi_value *pod_oh = kapi_obj_get(spec, "overhead");
    if (obj_len(pod_oh) > 0 && !resources_equal(fixed, pod_oh)) {
        *status = kapi_adm_forbidden(at, OVERHEAD_MISMATCH);
        return -1;
    }
    if (obj_len(fixed) > 0)
        kapi_adm_put(at->pool, spec, PODSPEC, "overhead", sorted_copy(at->pool, fixed));
    else
        kapi_obj_del(spec, "overhead"); /* an empty map is omitted */
    return 0;
}

/* ---- tolerations, merged as upstream's pkg/util/tolerations ---- */

static const char *tstr(const struct kapi_value *t, const char *key)
{
    const char *s = kapi_obj_get_str(t, key);
    return s ? s : "";
}

static bool tsecs(const struct kapi_value *t, int64_t *out)
{
    const struct kapi_value *v = kapi_obj_get(t, "tolerationSeconds");
    if (!v || v->type != KAPI_V_INT)
        return false;
    *out = v->u.i;
    return true;
}

static bool tol_equal(const struct kapi_value *a, const struct kapi_value *b)
{
    static const char *const keys[] = {"key", "operator", "value", "effect"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(keys); i++)
        if (strcmp(tstr(a, keys[i]), tstr(b, keys[i])) != 0)
            return false;
    int64_t x = 0, y = 0;
    bool hx = tsecs(a, &x), hy = tsecs(b, &y);
    return hx == hy && (!hx || x == y);
}

/* Whether ss tolerates everything t does. */
static bool tol_superset(const struct kapi_value *ss, const struct kapi_value *t)
{
    if (tol_equal(ss, t))
        return true;
    const char *sop = tstr(ss, "operator");
    if (strcmp(tstr(t, "key"), tstr(ss, "key")) != 0 && (*tstr(ss, "key") || strcmp(sop, "Exists") != 0))
        return false;
    const char *seff = tstr(ss, "effect");
    if (strcmp(tstr(t, "effect"), seff) != 0 && *seff)
        return false;
    int64_t ssecs = 0, secs = 0;
    if (strcmp(seff, "NoExecute") == 0 && tsecs(ss, &ssecs) && (!tsecs(t, &secs) || secs > ssecs))
        return false;
    if (!*sop || strcmp(sop, "Equal") == 0)
        return strcmp(tstr(t, "operator"), "Equal") == 0 && strcmp(tstr(t, "value"), tstr(ss, "value")) == 0;
    return strcmp(sop, "Exists") == 0;
}

/* first then second, dropping every toleration another one covers (of
 * equal ones the first is kept). */
static struct kapi_value *merge_tolerations(struct kapi_pool *p, const struct kapi_value *first,
                                            const struct kapi_value *second)
{
    size_t n1 = first && first->type == KAPI_V_ARRAY ? first->u.arr.len : 0;
    size_t n2 = second && second->type == KAPI_V_ARRAY ? second->u.arr.len : 0;
    size_t n = n1 + n2;
    const struct kapi_value **all = kapi_pool_alloc(p, (n ? n : 1) * sizeof(*all));
    for (size_t i = 0; i < n1; i++)
        all[i] = first->u.arr.items[i];
    for (size_t i = 0; i < n2; i++)
        all[n1 + i] = second->u.arr.items[i];
    struct kapi_value *merged = kapi_value_array(p);
    for (size_t i = 0; i < n; i++) {
        bool redundant = false;
        for (size_t j = 0; j < merged->u.arr.len && !redundant; j++)
            redundant = tol_superset(merged->u.arr.items[j], all[i]);
        for (size_t j = i + 1; j < n && !redundant; j++)
            redundant = !tol_equal(all[i], all[j]) && tol_superset(all[j], all[i]);
        if (!redundant)
            kapi_arr_push(p, merged, kapi_value_clone(p, all[i]));
    }
    return merged;
}

static int set_scheduling(const struct kapi_admission_attrs *at, struct kapi_value *spec,
                          const struct kapi_value *rc, struct kapi_status **status)
{
    struct kapi_pool *p = at->pool;
    const struct kapi_value *sched = kapi_obj_get(rc, "scheduling");
    if (!present(sched))
        return 0;
    const struct kapi_value *rsel = kapi_obj_get(sched, "nodeSelector");
    struct kapi_value *psel = kapi_obj_get(spec, "nodeSelector");
    struct kapi_value *sel;
    if (!present(psel) || psel->type != KAPI_V_OBJECT) {
        sel = present(rsel) ? kapi_value_clone(p, rsel) : NULL;
    } else {
        /* keys in sorted order, so that of several conflicts the same one
         * is always reported (upstream walks a Go map) */
        sel = kapi_value_clone(p, psel);
        const struct kapi_value *rs = present(rsel) ? sorted_copy(p, rsel) : NULL;
        for (size_t i = 0; i < obj_len(rs); i++) {
            const struct kapi_member *m = &rs->u.obj.members[i];
            const char *rv = kapi_value_cstr(m->val);
            const char *pv = kapi_obj_get_str(sel, m->key);
            if (pv && rv && strcmp(pv, rv) != 0) {
                *status = kapi_adm_forbidden(
                    at, kapi_pool_printf(p,
                                         "conflict: runtimeClass.scheduling.nodeSelector[%s] = %s; "
                                         "pod.spec.nodeSelector[%s] = %s",
                                         m->key, rv, m->key, pv));
                return -1;
            }
            kapi_obj_set(p, sel, m->key, kapi_value_clone(p, m->val));
        }
    }
    struct kapi_value *tols = merge_tolerations(p, kapi_obj_get(spec, "tolerations"), kapi_obj_get(sched, "tolerations"));
    /* Go writes maps sorted and omits empty maps and slices */
    if (obj_len(sel) > 0)
        kapi_adm_put(p, spec, PODSPEC, "nodeSelector", sorted_copy(p, sel));
    else
        kapi_obj_del(spec, "nodeSelector");
    if (tols->u.arr.len > 0)
        kapi_adm_put(p, spec, PODSPEC, "tolerations", tols);
    else
        kapi_obj_del(spec, "tolerations");
    return 0;
}

static bool applies(const struct kapi_admission_attrs *at)
{
    return at->create && kapi_adm_is(at, "", "pods") && at->obj;
}

int kapi_adm_runtimeclass_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (!applies(at))
        return 0;
    const struct kapi_value *rc;
    if (lookup_class(at, &rc, status) < 0)
        return -1;
    if (!rc)
        return 0;
    struct kapi_value *spec = kapi_obj_ensure_obj(at->pool, at->obj, "spec");
    if (set_overhead(at, spec, rc, status) < 0 || set_scheduling(at, spec, rc, status) < 0)
        return -1;
    return 0;
}

int kapi_adm_runtimeclass_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (!applies(at))
        return 0;
    const struct kapi_value *rc;
    if (lookup_class(at, &rc, status) < 0)
        return -1;
    const struct kapi_value *pod_oh = kapi_value_path(at->obj, "spec", "overhead", NULL);
    if (obj_len(pod_oh) == 0)
        return 0;
    const struct kapi_value *oh = rc ? kapi_obj_get(rc, "overhead") : NULL;
    if (!present(oh)) {
        *status = kapi_adm_forbidden(at, "pod rejected: Pod Overhead set without corresponding RuntimeClass "
                                         "defined Overhead");
        return -1;
    }
    if (!resources_equal(kapi_obj_get(oh, "podFixed"), pod_oh)) {
        *status = kapi_adm_forbidden(at, OVERHEAD_MISMATCH);
        return -1;
    }
    return 0;
}
