/* ResourceQuota: a create in a namespace is charged against every
 * ResourceQuota of that namespace whose spec.hard names something the object
 * consumes (object counts, pod cpu/memory, PVC storage, service node ports
 * and load balancers). Over the limit is upstream's 403 "exceeded quota";
 * otherwise the quota's status.used is raised with a compare-and-swap write,
 * so concurrent creates cannot overrun a limit. kapi_quota_release gives the
 * usage back after a delete. Amounts are kept in milli-units. */
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "quota.h"

#include "../cache/cache.h"
#include "../codec/json.h"
#include "../registry/registry.h"
#include "../registry/objectmeta.h"
#include "../schema/quantity.h"
#include "../storage/storage.h"

typedef __int128 qmilli;

#define QUOTA_TYPE "k8s.io.api.core.v1.ResourceQuota"
#define MAX_RETRIES 100

/* ---- quantities in milli-units ---- */

/* Parses a quantity into milli-units, rounding up as upstream's
 * MilliValue does; *binary tells whether it used a Ki..Ei suffix. */
static bool parse_milli(const char *s, qmilli *out, bool *binary)
{
    if (!s || !*s)
        return false;
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    qmilli mant = 0;
    int frac = 0, digits = 0;
    bool dot = false;
    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.') {
            if (dot)
                return false;
            dot = true;
            continue;
        }
        if (digits < 30) {
            mant = mant * 10 + (*p - '0');
            digits++;
            if (dot)
                frac++;
        } else if (!dot) {
            return false; /* beyond what quotas meaningfully hold */
        }
    }
    if (!digits)
        return false;
    int exp10 = 0, pow1024 = 0;
    if (binary)
        *binary = false;
    if (!*p) {
    } else if (p[1] == 'i' && !p[2]) {
        const char *bin = "KMGTPE";
        const char *b = strchr(bin, p[0]);
        if (!b || !*b)
            return false;
        pow1024 = (int)(b - bin) + 1;
        if (binary)
            *binary = true;
    } else if ((*p == 'e' || *p == 'E') && p[1]) {
        char *end;
        long e = strtol(p + 1, &end, 10);
        if (*end || e > 30 || e < -30)
            return false;
        exp10 = (int)e;
    } else if (!p[1]) {
        switch (*p) {
        case 'n': exp10 = -9; break;
        case 'u': exp10 = -6; break;
        case 'm': exp10 = -3; break;
        case 'k': exp10 = 3; break;
        case 'M': exp10 = 6; break;
        case 'G': exp10 = 9; break;
        case 'T': exp10 = 12; break;
        case 'P': exp10 = 15; break;
        case 'E': exp10 = 18; break;
        default: return false;
        }
    } else {
        return false;
    }
    for (int i = 0; i < pow1024; i++)
        mant *= 1024;
    int shift = exp10 + 3 - frac;
    for (; shift > 0; shift--)
        mant *= 10;
    if (shift < 0) {
        qmilli div = 1;
        for (; shift < 0; shift++)
            div *= 10;
        mant = (mant + div - 1) / div; /* round up */
    }
    *out = neg ? -mant : mant;
    return true;
}

static char *i128_str(struct kapi_pool *pool, qmilli v)
{
    char tmp[48];
    size_t n = sizeof(tmp);
    tmp[--n] = 0;
    bool neg = v < 0;
    if (neg)
        v = -v;
    do {
        tmp[--n] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    if (neg)
        tmp[--n] = '-';
    return kapi_pool_strdup(pool, tmp + n);
}

/* The string upstream would print for v: binary suffixes when the amount
 * came from binary quantities and divides evenly, else the decimal form. */
static const char *format_milli(struct kapi_pool *pool, qmilli v, bool binary)
{
    if (v % 1000 != 0)
        return kapi_pool_printf(pool, "%sm", i128_str(pool, v));
    qmilli n = v / 1000;
    if (binary && n != 0) {
        static const char *const suf[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
        int k = 0;
        qmilli m = n;
        while (k < 6 && m % 1024 == 0) {
            m /= 1024;
            k++;
        }
        if (k)
            return kapi_pool_printf(pool, "%s%s", i128_str(pool, m), suf[k - 1]);
    }
    const char *s = i128_str(pool, n), *out, *err;
    if (kapi_quantity_canonical(pool, s, strlen(s), &out, &err) == 0)
        return out;
    return s;
}

/* ---- what an object consumes ---- */

static int cmp_cstr(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static bool is_core(const char *group)
{
    return !group || !*group;
}

/* Sum of one pod's resources[which][rname] the way the scheduler sees it:
 * the app containers (and restartable init containers) together, or the
 * largest plain init container when bigger, plus the pod overhead. */
static bool pod_amount(const struct kapi_value *pod, const char *which, const char *rname, qmilli *out, bool *bin)
{
    const struct kapi_value *spec = kapi_obj_get(pod, "spec");
    bool found = false;
    qmilli sum = 0, init_max = 0;
    static const char *const lists[] = {"initContainers", "containers"};
    for (int l = 0; l < 2; l++) {
        const struct kapi_value *cs = kapi_obj_get(spec, lists[l]);
        for (size_t i = 0; cs && cs->type == KAPI_V_ARRAY && i < cs->u.arr.len; i++) {
            const struct kapi_value *c = cs->u.arr.items[i];
            const char *q = kapi_value_cstr(kapi_value_path(c, "resources", which, rname, NULL));
            qmilli v;
            bool b;
            if (!q || !parse_milli(q, &v, &b))
                continue;
            found = true;
            *bin = *bin || b;
            const char *rp = kapi_obj_get_str(c, "restartPolicy");
            if (l == 0 && !(rp && strcmp(rp, "Always") == 0)) {
                if (v > init_max)
                    init_max = v;
            } else {
                sum += v;
            }
        }
    }
    if (!found)
        return false;
    if (init_max > sum)
        sum = init_max;
    const char *oh = kapi_value_cstr(kapi_value_path(spec, "overhead", rname, NULL));
    qmilli ov;
    if (oh && parse_milli(oh, &ov, NULL))
        sum += ov;
    *out = sum;
    return true;
}

static bool pod_terminal(const struct kapi_value *pod)
{
    const char *phase = kapi_value_cstr(kapi_value_path(pod, "status", "phase", NULL));
    return phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0);
}

/* Whether obj (group/resource) consumes the quota resource name; *amount
 * and *bin receive how much. */
static bool consumes(const char *group, const char *resource, const struct kapi_value *obj, const char *name,
                     qmilli *amount, bool *bin)
{
    *bin = false;
    bool core = is_core(group);
    bool pod = core && strcmp(resource, "pods") == 0;
    /* count/pods counts every stored pod; the compute names only live ones. */
    if (pod && strncmp(name, "count/", 6) != 0 && pod_terminal(obj))
        return false;
    if (strncmp(name, "count/", 6) == 0) {
        const char *r = name + 6;
        size_t rl = strlen(resource);
        bool match = strncmp(r, resource, rl) == 0 &&
                     (core ? r[rl] == 0 : (r[rl] == '.' && strcmp(r + rl + 1, group) == 0));
        *amount = 1000;
        return match;
    }
    static const char *const legacy[] = {"pods", "services", "configmaps", "secrets", "persistentvolumeclaims",
                                         "replicationcontrollers", "resourcequotas"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(legacy); i++)
        if (strcmp(name, legacy[i]) == 0) {
            *amount = 1000;
            return core && strcmp(resource, name) == 0;
        }
    if (core && strcmp(resource, "services") == 0) {
        const char *type = kapi_value_cstr(kapi_value_path(obj, "spec", "type", NULL));
        bool lb = type && strcmp(type, "LoadBalancer") == 0;
        bool np = type && strcmp(type, "NodePort") == 0;
        if (strcmp(name, "services.loadbalancers") == 0) {
            *amount = lb ? 1000 : 0;
            return true;
        }
        if (strcmp(name, "services.nodeports") == 0) {
            const struct kapi_value *alloc = kapi_value_path(obj, "spec", "allocateLoadBalancerNodePorts", NULL);
            bool lb_ports = lb && !(alloc && alloc->type == KAPI_V_BOOL && !alloc->u.b);
            const struct kapi_value *ports = kapi_value_path(obj, "spec", "ports", NULL);
            size_t n = ports && ports->type == KAPI_V_ARRAY ? ports->u.arr.len : 0;
            *amount = (np || lb_ports) ? (qmilli)n * 1000 : 0;
            return true;
        }
        return false;
    }
    if (core && strcmp(resource, "persistentvolumeclaims") == 0) {
        if (strcmp(name, "requests.storage") != 0)
            return false;
        const char *q = kapi_value_cstr(kapi_value_path(obj, "spec", "resources", "requests", "storage", NULL));
        return q && parse_milli(q, amount, bin);
    }
    if (pod) {
        const char *which = "requests", *rname = name;
        if (strncmp(name, "requests.", 9) == 0) {
            rname = name + 9;
        } else if (strncmp(name, "limits.", 7) == 0) {
            which = "limits";
            rname = name + 7;
        } else if (strcmp(name, "cpu") != 0 && strcmp(name, "memory") != 0 &&
                   strcmp(name, "ephemeral-storage") != 0) {
            return false;
        }
        return pod_amount(obj, which, rname, amount, bin);
    }
    return false;
}

/* Upstream's old rule for pods: when a quota limits cpu or memory, every
 * container must state it. The "must specify ..." text for the names hard
 * limits that some containers leave out, or NULL. */
static const char *pod_missing(struct kapi_pool *p, const struct kapi_value *pod, const struct kapi_value *hard)
{
    /* Sorted, as the message lists them. */
    static const char *const checked[] = {"cpu", "limits.cpu", "limits.memory", "memory", "requests.cpu",
                                          "requests.memory"};
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (size_t r = 0; r < KAPI_ARRAY_LEN(checked); r++) {
        if (!kapi_obj_get(hard, checked[r]))
            continue;
        const char *which = strncmp(checked[r], "limits.", 7) == 0 ? "limits" : "requests";
        const char *dot = strchr(checked[r], '.'), *rname = dot ? dot + 1 : checked[r];
        const char *names[256];
        size_t n = 0;
        static const char *const lists[] = {"containers", "initContainers"};
        for (int l = 0; l < 2; l++) {
            const struct kapi_value *cs = kapi_value_path(pod, "spec", lists[l], NULL);
            for (size_t i = 0; cs && cs->type == KAPI_V_ARRAY && i < cs->u.arr.len && n < 256; i++) {
                const struct kapi_value *c = cs->u.arr.items[i];
                if (!kapi_value_path(c, "resources", which, rname, NULL)) {
                    const char *cn = kapi_obj_get_str(c, "name");
                    names[n++] = cn ? cn : "";
                }
            }
        }
        if (!n)
            continue;
        qsort(names, n, sizeof(names[0]), cmp_cstr);
        kapi_buf_printf(&b, "%s%s for: ", b.len ? "; " : "must specify ", checked[r]);
        for (size_t i = 0; i < n; i++)
            if (!i || strcmp(names[i], names[i - 1]) != 0)
                kapi_buf_printf(&b, "%s%s", i ? "," : "", names[i]);
    }
    const char *out = b.len ? kapi_pool_strdup(p, b.data) : NULL;
    kapi_buf_dispose(&b);
    return out;
}

/* The group/resource whose objects make up quota resource name, for
 * counting usage the quota's status does not hold yet. */
static bool counted_kind(struct kapi_pool *pool, const char *name, const char **group, const char **resource)
{
    *group = "";
    if (strncmp(name, "count/", 6) == 0) {
        const char *r = name + 6, *dot = strchr(r, '.');
        *resource = dot ? kapi_pool_printf(pool, "%.*s", (int)(dot - r), r) : r;
        *group = dot ? dot + 1 : "";
        return true;
    }
    if (strncmp(name, "services.", 9) == 0) {
        *resource = "services";
        return true;
    }
    if (strcmp(name, "requests.storage") == 0) {
        *resource = "persistentvolumeclaims";
        return true;
    }
    static const char *const legacy[] = {"pods", "services", "configmaps", "secrets", "persistentvolumeclaims",
                                         "replicationcontrollers", "resourcequotas"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(legacy); i++)
        if (strcmp(name, legacy[i]) == 0) {
            *resource = legacy[i];
            return true;
        }
    *resource = "pods"; /* cpu, memory, requests.*, limits.* */
    return true;
}

/* Present usage of quota resource name in ns, summed over the cache. The
 * registry is asked for the group under the versions kinds are served at. */
static qmilli count_usage(const struct kapi_admission_attrs *at, const char *ns, const char *name, bool *bin)
{
    const char *g, *r;
    *bin = false;
    if (!counted_kind(at->pool, name, &g, &r))
        return 0;
    static const char *const versions[] = {"v1", "v2", "v1beta1", "v1beta2", "v1alpha1", "v1alpha2", "v1alpha3"};
    for (size_t vi = 0; vi < KAPI_ARRAY_LEN(versions); vi++) {
        if (!kapi_adm_key(at, g, versions[vi], r, ns, "x"))
            continue;
        size_t n;
        struct kapi_value **objs = kapi_adm_list(at, g, versions[vi], r, ns, &n);
        qmilli sum = 0;
        for (size_t i = 0; i < n; i++) {
            qmilli v;
            bool b;
            if (consumes(g, r, objs[i], name, &v, &b)) {
                sum += v;
                *bin = *bin || b;
            }
        }
        return sum;
    }
    return 0;
}

/* ---- charging one quota ---- */

static int cmp_member(const void *x, const void *y)
{
    return strcmp(((const struct kapi_member *)x)->key, ((const struct kapi_member *)y)->key);
}

enum { CHARGE_OK = 0, CHARGE_DENIED = -1, CHARGE_ERROR = -2 };

/* Applies obj's consumption (sign +1 on create, -1 on release) to the quota
 * stored at key, re-reading on conflict. With check, refuses what goes over
 * spec.hard (*status). *changed tells whether anything was written. */
static int charge(const struct kapi_admission_attrs *at, const char *ns, const char *name, const char *group, const char *resource,
                  const struct kapi_value *obj, int sign, bool check, bool write, bool *changed,
                  struct kapi_status **status)
{
    struct kapi_store *store = kapi_adm_store(at->adm);
    struct kapi_pool *p = at->pool;
    const char *key = kapi_adm_key(at, "", "v1", "resourcequotas", ns, name);
    *changed = false;
    if (!key)
        return CHARGE_OK;
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        struct kapi_value *q = NULL;
        int64_t mod_rev = 0;
        if (store) {
            struct kapi_kv kv = {0};
            int rc = kapi_store_get(store, key, &kv);
            if (rc == KAPI_STORE_NOT_FOUND)
                return CHARGE_OK; /* deleted meanwhile */
            if (rc != KAPI_STORE_OK) {
                kapi_kv_dispose(&kv);
                if (status)
                    *status = kapi_status_internal(p, kapi_store_strerror(rc));
                return CHARGE_ERROR;
            }
            struct kapi_json_error jerr;
            q = kapi_json_parse(p, kv.value->data, kv.value->len, NULL, &jerr);
            mod_rev = kv.mod_rev;
            kapi_kv_dispose(&kv);
        } else {
            q = kapi_adm_get(at, "", "v1", "resourcequotas", ns, name, false); /* check only */
        }
        if (!q || q->type != KAPI_V_OBJECT)
            return CHARGE_OK;
        const char *qname = kapi_value_cstr(kapi_value_path(q, "metadata", "name", NULL));
        const char *qns = kapi_value_cstr(kapi_value_path(q, "metadata", "namespace", NULL));
        struct kapi_value *hard = kapi_value_path(q, "spec", "hard", NULL);
        if (!hard || hard->type != KAPI_V_OBJECT || !hard->u.obj.len)
            return CHARGE_OK;
        if (check && is_core(group) && strcmp(resource, "pods") == 0) {
            const char *miss = pod_missing(p, obj, hard);
            if (miss) {
                *status = kapi_adm_forbidden(at, kapi_pool_printf(p, "failed quota: %s: %s", qname ? qname : "",
                                                                  miss));
                return CHARGE_DENIED;
            }
        }
        const struct kapi_value *oldused = kapi_value_path(q, "status", "used", NULL);
        struct kapi_value *used = kapi_value_object(p);
        size_t nh = hard->u.obj.len, nover = 0;
        const char **over = kapi_pool_alloc(p, nh * sizeof(*over));
        const char **req_s = kapi_pool_alloc(p, nh * sizeof(*req_s));
        const char **used_s = kapi_pool_alloc(p, nh * sizeof(*used_s));
        bool touched = false;
        for (size_t i = 0; i < nh; i++) {
            const char *rn = hard->u.obj.members[i].key;
            const char *have_s = kapi_obj_get_str(oldused, rn);
            qmilli inc = 0, have = 0, limit = 0;
            bool ibin = false, hbin = false, lbin = false;
            bool uses = consumes(group, resource, obj, rn, &inc, &ibin);
            if (have_s && !parse_milli(have_s, &have, &hbin))
                have_s = NULL;
            if (!have_s) {
                if (sign < 0) /* nothing recorded to give back */
                    uses = false;
                have = count_usage(at, qns ? qns : at->ns, rn, &hbin);
            }
            const char *lim_s = kapi_value_cstr(hard->u.obj.members[i].val);
            bool lim_ok = lim_s && parse_milli(lim_s, &limit, &lbin);
            bool bin = hbin || ibin || lbin;
            qmilli now = have;
            if (uses) {
                now = have + sign * inc;
                if (now < 0)
                    now = 0;
                if (check && lim_ok && inc > 0 && now > limit) {
                    req_s[nover] = kapi_pool_printf(p, "%s=%s", rn, format_milli(p, inc, ibin));
                    used_s[nover] = kapi_pool_printf(p, "%s=%s", rn, have_s ? have_s : format_milli(p, have, bin));
                    over[nover++] = kapi_pool_printf(p, "%s=%s", rn, lim_s);
                }
            }
            if (uses || !have_s)
                touched = true;
            kapi_obj_set(p, used, rn, kapi_value_str(p, (!uses && have_s) ? have_s : format_milli(p, now, bin)));
        }
        if (nover) {
            /* "k=v" strings sort by resource name as the names do. */
            qsort(req_s, nover, sizeof(*req_s), cmp_cstr);
            qsort(used_s, nover, sizeof(*used_s), cmp_cstr);
            qsort(over, nover, sizeof(*over), cmp_cstr);
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_buf_printf(&b, "exceeded quota: %s, requested: ", qname ? qname : "");
            for (size_t i = 0; i < nover; i++)
                kapi_buf_printf(&b, "%s%s", i ? "," : "", req_s[i]);
            kapi_buf_puts(&b, ", used: ");
            for (size_t i = 0; i < nover; i++)
                kapi_buf_printf(&b, "%s%s", i ? "," : "", used_s[i]);
            kapi_buf_puts(&b, ", limited: ");
            for (size_t i = 0; i < nover; i++)
                kapi_buf_printf(&b, "%s%s", i ? "," : "", over[i]);
            *status = kapi_adm_forbidden(at, kapi_pool_strdup(p, b.data));
            kapi_buf_dispose(&b);
            return CHARGE_DENIED;
        }
        if (!touched || !write || !store)
            return CHARGE_OK;
        qsort(used->u.obj.members, used->u.obj.len, sizeof(used->u.obj.members[0]), cmp_member);
        struct kapi_value *st = kapi_value_object(p);
        struct kapi_value *h2 = kapi_value_clone(p, hard);
        qsort(h2->u.obj.members, h2->u.obj.len, sizeof(h2->u.obj.members[0]), cmp_member);
        kapi_obj_set(p, st, "hard", h2);
        kapi_obj_set(p, st, "used", used);
        kapi_adm_put(p, q, QUOTA_TYPE, "status", st);
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_meta_encode_for_store(q, &b);
        struct kapi_write w = {
            .op = KAPI_WRITE_UPDATE, .key = key, .value = b.data, .len = b.len, .expect_mod_rev = mod_rev};
        struct kapi_write_result res = {0};
        int rc = kapi_store_write(store, &w, &res);
        kapi_write_result_dispose(&res);
        kapi_buf_dispose(&b);
        if (rc == KAPI_STORE_OK) {
            *changed = true;
            return CHARGE_OK;
        }
        if (rc == KAPI_STORE_NOT_FOUND)
            return CHARGE_OK;
        if (rc != KAPI_STORE_CONFLICT) {
            if (status)
                *status = kapi_status_internal(p, kapi_store_strerror(rc));
            return CHARGE_ERROR;
        }
    }
    if (status)
        *status = kapi_status_internal(p, "too many conflicts updating quota usage");
    return CHARGE_ERROR;
}

/* Names of the namespace's quotas, sorted so that every request charges
 * them in the same order. */
static const char **quota_names(const struct kapi_admission_attrs *at, const char *ns, size_t *n)
{
    *n = 0;
    if (kapi_adm_none(at->adm, KAPI_ADM_RESOURCEQUOTAS))
        return NULL;
    size_t nq;
    struct kapi_value **qs = kapi_adm_list(at, "", "v1", "resourcequotas", ns, &nq);
    const char **names = kapi_pool_alloc(at->pool, (nq ? nq : 1) * sizeof(*names));
    size_t k = 0;
    for (size_t i = 0; i < nq; i++) {
        const char *nm = kapi_value_cstr(kapi_value_path(qs[i], "metadata", "name", NULL));
        if (nm)
            names[k++] = nm;
    }
    qsort(names, k, sizeof(*names), cmp_cstr);
    *n = k;
    return names;
}

int kapi_adm_resourcequota_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    /* Only creates of namespaced objects; updates do not change what kapi
     * charges for (pod resources are immutable in place here). */
    if (!at->create || at->subresource[0] || !at->ns[0])
        return 0;
    size_t nq;
    const char **keys = quota_names(at, at->ns, &nq);
    if (!nq)
        return 0;
    bool *done = kapi_pool_alloc(at->pool, nq * sizeof(*done));
    for (size_t i = 0; i < nq; i++) {
        done[i] = false;
        int rc = charge(at, at->ns, keys[i], at->group, at->resource, at->obj, +1, true, !at->dry_run, &done[i],
                        status);
        if (rc == CHARGE_OK)
            continue;
        /* Give back what earlier quotas were charged for this request. */
        for (size_t j = 0; j < i; j++) {
            bool ch;
            if (done[j])
                charge(at, at->ns, keys[j], at->group, at->resource, at->obj, -1, false, true, &ch, NULL);
        }
        return -1;
    }
    return 0;
}

void kapi_quota_release(struct kapi_admission *a, struct kapi_pool *pool, const char *group, const char *resource,
                        const char *ns, const struct kapi_value *obj)
{
    if (!a || !ns || !*ns || !obj || !kapi_admission_enabled(a, "ResourceQuota") || !kapi_adm_store(a))
        return;
    struct kapi_admission_attrs at = {
        .adm = a,
        .pool = pool,
        .group = group ? group : "",
        .resource = resource ? resource : "",
        .subresource = "",
        .ns = ns,
        .name = "",
        .create = false,
    };
    size_t nq;
    const char **keys = quota_names(&at, ns, &nq);
    for (size_t i = 0; i < nq; i++) {
        bool ch;
        charge(&at, ns, keys[i], at.group, at.resource, obj, -1, false, true, &ch, NULL);
    }
}

/* ---- the quota controller's recalculation ---- */

struct quota_seen {
    char *key;
    int64_t mod_rev;
};

struct kapi_quota_memo {
    struct quota_seen *v;
    size_t n;
};

struct kapi_quota_memo *kapi_quota_memo_new(void)
{
    return kapi_xcalloc(1, sizeof(struct kapi_quota_memo));
}

void kapi_quota_memo_free(struct kapi_quota_memo *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].key);
    free(m->v);
    free(m);
}

size_t kapi_quota_recompute(struct kapi_admission *a, struct kapi_pool *p, struct kapi_quota_memo *memo)
{
    struct kapi_store *store = kapi_adm_store(a);
    if (!a || !store || !kapi_admission_enabled(a, "ResourceQuota"))
        return 0;
    struct kapi_admission_attrs at = {.adm = a, .pool = p, .group = "", .resource = "", .subresource = "",
                                      .ns = "", .name = ""};
    const struct kapi_kind *k = kapi_registry_find(kapi_adm_registry(a), "", "v1", "resourcequotas");
    if (!k || !k->rc)
        return 0;
    struct kapi_cache_filter all = {.ns = ""};
    struct kapi_cache_list l;
    kapi_rcache_list(k->rc, &all, NULL, 0, &l);
    struct quota_seen *seen = kapi_xcalloc(l.n ? l.n : 1, sizeof(*seen));
    size_t written = 0;
    for (size_t i = 0; i < l.n; i++) {
        struct kapi_cobj *o = l.items[i];
        seen[i] = (struct quota_seen){kapi_xstrdup(o->key), o->mod_rev};
        /* A quota that moved since the last pass may carry a charge for an
         * object still on its way to the store: look again next time. */
        bool stable = false;
        for (size_t j = 0; j < memo->n && !stable; j++)
            stable = strcmp(memo->v[j].key, o->key) == 0 && memo->v[j].mod_rev == o->mod_rev;
        if (!stable)
            continue;
        struct kapi_value *q = kapi_cobj_value(o, p);
        const struct kapi_value *hard = kapi_value_path(q, "spec", "hard", NULL);
        if (!hard || hard->type != KAPI_V_OBJECT)
            continue;
        const char *ns = o->ns ? o->ns : "";
        struct kapi_value *used = kapi_value_object(p);
        for (size_t h = 0; h < hard->u.obj.len; h++) {
            bool bin = false;
            qmilli v = count_usage(&at, ns, hard->u.obj.members[h].key, &bin);
            kapi_obj_set(p, used, hard->u.obj.members[h].key, kapi_value_str(p, format_milli(p, v, bin)));
        }
        qsort(used->u.obj.members, used->u.obj.len, sizeof(used->u.obj.members[0]), cmp_member);
        struct kapi_value *h2 = kapi_value_clone(p, hard);
        qsort(h2->u.obj.members, h2->u.obj.len, sizeof(h2->u.obj.members[0]), cmp_member);
        const struct kapi_value *oldst = kapi_obj_get(q, "status");
        if (kapi_value_equal(kapi_obj_get(oldst, "used"), used) && kapi_value_equal(kapi_obj_get(oldst, "hard"), h2))
            continue;
        struct kapi_value *st = kapi_value_object(p);
        kapi_obj_set(p, st, "hard", h2);
        kapi_obj_set(p, st, "used", used);
        kapi_adm_put(p, q, QUOTA_TYPE, "status", st);
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_meta_encode_for_store(q, &b);
        struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = o->key, .value = b.data, .len = b.len,
                               .expect_mod_rev = o->mod_rev};
        struct kapi_write_result res = {0};
        if (kapi_store_write(store, &w, &res) == KAPI_STORE_OK)
            written++;
        kapi_write_result_dispose(&res);
        kapi_buf_dispose(&b);
    }
    size_t nseen = l.n;
    kapi_cache_list_dispose(&l);
    for (size_t j = 0; j < memo->n; j++)
        free(memo->v[j].key);
    free(memo->v);
    memo->v = seen;
    memo->n = nseen;
    return written;
}
