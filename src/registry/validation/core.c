/* registry/validation/core: the core group (PodSpec and Pod, Service,
 * ConfigMap, Secret, Namespace, PV/PVC, Event, Endpoints). */
#include "validation_int.h"
#include "../defaults.h"

#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const RESTART_POLICIES[] = {"Always", "OnFailure", "Never"};
static const char *const DNS_POLICIES[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"};
static const char *const PULL_POLICIES[] = {"Always", "IfNotPresent", "Never"};
static const char *const PROTOCOLS[] = {"SCTP", "TCP", "UDP"};
static const char *const TERM_MSG_POLICIES[] = {"File", "FallbackToLogsOnError"};
static const char *const PREEMPTION_POLICIES[] = {"PreemptLowerPriority", "Never"};

/* Whether list holds an object whose "name" is name. */
static bool has_name_before(const struct kapi_value *list, const char *name, size_t upto)
{
    for (size_t i = 0; i < kv_len(list) && i < upto; i++)
        if (!strcmp(kv_str0(kv_item(list, i), "name"), name))
            return true;
    return false;
}

static bool has_name(const struct kapi_value *list, const char *name) { return has_name_before(list, name, (size_t)-1); }

static void container_ports(struct kv_ctx *c, const struct kapi_value *ports, const char *fld)
{
    for (size_t i = 0; i < kv_len(ports); i++) {
        const struct kapi_value *p = kv_item(ports, i);
        const char *name = kv_str0(p, "name");
        if (*name) {
            const char *np = kv_path(c, "%s[%zu].name", fld, i);
            size_t before = c->errs->len;
            kv_port_name_msgs(c, np, name);
            if (before == c->errs->len)
                for (size_t j = 0; j < i; j++)
                    if (!strcmp(kv_str0(kv_item(ports, j), "name"), name)) {
                        kapi_ferr_duplicate(c->pool, c->errs, np, name);
                        break;
                    }
        }
        int64_t cp = 0, hp = 0;
        kv_int(p, "containerPort", &cp);
        if (cp == 0)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s[%zu].containerPort", fld, i), "");
        else
            kv_port_num(c, kv_path(c, "%s[%zu].containerPort", fld, i), cp);
        if (kv_int(p, "hostPort", &hp) && hp != 0)
            kv_port_num(c, kv_path(c, "%s[%zu].hostPort", fld, i), hp);
        const char *proto = kv_str0(p, "protocol");
        kv_enum(c, kv_path(c, "%s[%zu].protocol", fld, i), proto, PROTOCOLS, N(PROTOCOLS));
    }
}

static bool env_name_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '=')
            return false;
    return true;
}

/* ValidateNameFunc messages (DNS subdomain), as Invalid errors at field. */
static void subdomain_name(struct kv_ctx *c, const char *field, const char *name, bool prefix)
{
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t n = kapi_name_dns_subdomain(name, prefix, msgs);
    for (size_t i = 0; i < n; i++)
        kapi_ferr_invalid(c->pool, c->errs, field, name, msgs[i]);
}

/* validateConfigMapKeySelector / validateSecretKeySelector */
static void key_selector(struct kv_ctx *c, const struct kapi_value *sel, const char *fld)
{
    subdomain_name(c, kv_path(c, "%s.name", fld), kv_str0(sel, "name"), false);
    const char *key = kv_str0(sel, "key");
    if (!*key)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.key", fld), "");
    else
        kv_config_key(c, kv_path(c, "%s.key", fld), key);
}

/* validateEnvVarValueFrom */
static void env_value_from(struct kv_ctx *c, const struct kapi_value *ev, const char *fld)
{
    static const char *const ENV_FIELD_PATHS[] = {"metadata.name", "metadata.namespace", "metadata.uid",
                                                  "spec.nodeName", "spec.serviceAccountName", "status.hostIP",
                                                  "status.hostIPs", "status.podIP", "status.podIPs"};
    const struct kapi_value *vf = kv_get(ev, "valueFrom");
    if (!vf)
        return;
    int n = 0;
    const struct kapi_value *src;
    if ((src = kv_get(vf, "fieldRef"))) {
        n++;
        kv_object_field_selector(c, src, ENV_FIELD_PATHS, N(ENV_FIELD_PATHS), kv_path(c, "%s.fieldRef", fld));
    }
    if ((src = kv_get(vf, "resourceFieldRef"))) {
        n++;
        kv_resource_field_selector(c, src, kv_path(c, "%s.resourceFieldRef", fld), false);
    }
    if ((src = kv_get(vf, "configMapKeyRef"))) {
        n++;
        key_selector(c, src, kv_path(c, "%s.configMapKeyRef", fld));
    }
    if ((src = kv_get(vf, "secretKeyRef"))) {
        n++;
        key_selector(c, src, kv_path(c, "%s.secretKeyRef", fld));
    }
    if (n == 0)
        kapi_ferr_invalid(c->pool, c->errs, fld, "",
                          "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
    else if (*kv_str0(ev, "value"))
        kapi_ferr_invalid(c->pool, c->errs, fld, "", "may not be specified when `value` is not empty");
    else if (n > 1)
        kapi_ferr_invalid(c->pool, c->errs, fld, "", "may not have more than one field specified at a time");
}

static const char ENV_NAME_MSG[] =
    "a valid environment variable name must consist only of printable ASCII characters other than '='";

static void env(struct kv_ctx *c, const struct kapi_value *vars, const char *fld)
{
    for (size_t i = 0; i < kv_len(vars); i++) {
        const struct kapi_value *ev = kv_item(vars, i);
        const char *name = kv_str0(ev, "name");
        const char *p = kv_path(c, "%s[%zu].name", fld, i);
        /* 1.33 has RelaxedEnvironmentVariableValidation on: any printable ASCII but '='. */
        if (!*name) {
            kapi_ferr_required(c->pool, c->errs, p, "");
            kapi_ferr_invalid(c->pool, c->errs, p, name, "environment variable name must be non-empty");
        } else if (!env_name_ok(name)) {
            kapi_ferr_invalid(c->pool, c->errs, p, name, ENV_NAME_MSG);
        }
        env_value_from(c, ev, kv_path(c, "%s[%zu].valueFrom", fld, i));
    }
}

/* ValidateEnvFrom */
static void env_from(struct kv_ctx *c, const struct kapi_value *list, const char *fld)
{
    for (size_t i = 0; i < kv_len(list); i++) {
        const struct kapi_value *ef = kv_item(list, i);
        const char *p = kv_path(c, "%s[%zu]", fld, i);
        const char *prefix = kv_str0(ef, "prefix");
        if (*prefix && !env_name_ok(prefix))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.prefix", p), prefix, ENV_NAME_MSG);
        int n = 0;
        static const char *const refs[] = {"configMapRef", "secretRef"};
        for (size_t k = 0; k < N(refs); k++) {
            const struct kapi_value *ref = kv_get(ef, refs[k]);
            if (!ref)
                continue;
            n++;
            const char *name = kv_str0(ref, "name");
            const char *np = kv_path(c, "%s.%s.name", p, refs[k]);
            if (!*name)
                kapi_ferr_required(c->pool, c->errs, np, "");
            else
                subdomain_name(c, np, name, true);
        }
        if (n == 0)
            kapi_ferr_invalid(c->pool, c->errs, fld, "", "must specify one of: `configMapRef` or `secretRef`");
        else if (n > 1)
            kapi_ferr_invalid(c->pool, c->errs, fld, "", "may not have more than one field specified at a time");
    }
}

/* IsStandardResourceName's list (the hugepages prefixes are checked apart) */
static const char *const STANDARD_RESOURCES[] = {
    "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
    "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "resourcequotas", "services",
    "replicationcontrollers", "secrets", "configmaps", "persistentvolumeclaims", "storage", "requests.storage",
    "services.nodeports", "services.loadbalancers"};
static const char *const CONTAINER_RESOURCES[] = {"cpu", "memory", "ephemeral-storage"};

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }
static bool hugepages_name(const char *s) { return has_prefix(s, "hugepages-"); }
/* IsNativeResource: no domain, or a kubernetes.io one */
static bool native_resource(const char *s) { return !strchr(s, '/') || strstr(s, "kubernetes.io/"); }
/* IsOvercommitAllowed */
static bool overcommit_allowed(const char *s) { return native_resource(s) && !hugepages_name(s); }

/* validateContainerResourceName (validateResourceName first) */
static void container_resource_name(struct kv_ctx *c, const char *name, const char *fld)
{
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t n = kapi_is_qualified_name(name, msgs);
    for (size_t i = 0; i < n; i++)
        kapi_ferr_invalid(c->pool, c->errs, fld, name, msgs[i]);
    bool bare = !strchr(name, '/');
    if (n == 0 && bare && !kv_in(name, STANDARD_RESOURCES, N(STANDARD_RESOURCES)) && !hugepages_name(name) &&
        !has_prefix(name, "requests.hugepages-"))
        kapi_ferr_invalid(c->pool, c->errs, fld, name, "must be a standard resource type or fully qualified");
    if (bare) {
        if (!kv_in(name, CONTAINER_RESOURCES, N(CONTAINER_RESOURCES)) && !hugepages_name(name))
            kapi_ferr_invalid(c->pool, c->errs, fld, name, "must be a standard resource for containers");
    } else if (!native_resource(name) && !kv_extended_resource(c, name)) {
        kapi_ferr_invalid(c->pool, c->errs, fld, name, "doesn't follow extended resource name standard");
    }
}

/* validateResourceQuantityHugePageValue: a whole number of pages of the
 * size the name carries (IsHugePageResourceValueDivisible) */
static void hugepage_value(struct kv_ctx *c, const char *name, const char *q, const char *fld)
{
    long double page, v;
    bool ok = kv_quantity(name + strlen("hugepages-"), &page) && page > 0 && page == floorl(page) &&
              kv_quantity(q, &v) && fmodl(ceill(v), page) == 0;
    if (!ok)
        kapi_ferr_invalid(c->pool, c->errs, fld, kv_quantity_string(c, q),
                          kapi_pool_printf(c->pool, "%s is not positive integer multiple of %s",
                                           kv_quantity_string(c, q), name));
}

/* validateResourceRequirements with validateContainerResourceName (containers,
 * and a pod's overhead as limits only). */
static void resource_lists(struct kv_ctx *c, const struct kapi_value *lim, const struct kapi_value *req,
                           const char *fld)
{
    const char *lp = kv_path(c, "%s.limits", fld), *rp = kv_path(c, "%s.requests", fld);
    bool cpu_mem = false, huge = false;
    long double q, l;
    for (size_t i = 0; lim && lim->type == KAPI_V_OBJECT && i < lim->u.obj.len; i++) {
        const struct kapi_member *m = &lim->u.obj.members[i];
        const char *s = kapi_value_cstr(m->val);
        const char *p = kv_path(c, "%s[%s]", lp, m->key);
        container_resource_name(c, m->key, p);
        kv_resource_quantity_value(c, m->key, m->val, p);
        if (hugepages_name(m->key)) {
            huge = true;
            hugepage_value(c, m->key, s, p);
        }
        cpu_mem |= !strcmp(m->key, "cpu") || !strcmp(m->key, "memory");
    }
    for (size_t i = 0; req && req->type == KAPI_V_OBJECT && i < req->u.obj.len; i++) {
        const struct kapi_member *m = &req->u.obj.members[i];
        const char *s = kapi_value_cstr(m->val);
        const char *p = kv_path(c, "%s[%s]", rp, m->key);
        container_resource_name(c, m->key, p);
        kv_resource_quantity_value(c, m->key, m->val, p);
        const char *ls = kv_str(lim, m->key);
        if (ls && kv_quantity(s, &q) && kv_quantity(ls, &l)) {
            if (q != l && !overcommit_allowed(m->key))
                kapi_ferr_invalid(c->pool, c->errs, rp, kv_quantity_string(c, s),
                                  kapi_pool_printf(c->pool, "must be equal to %s limit of %s", m->key,
                                                   kv_quantity_string(c, ls)));
            else if (q > l)
                kapi_ferr_invalid(c->pool, c->errs, rp, kv_quantity_string(c, s),
                                  kapi_pool_printf(c->pool, "must be less than or equal to %s limit of %s", m->key,
                                                   kv_quantity_string(c, ls)));
        } else if (!ls && !overcommit_allowed(m->key)) {
            kapi_ferr_required(c->pool, c->errs, lp, "Limit must be set for non overcommitable resources");
        }
        if (hugepages_name(m->key)) {
            huge = true;
            hugepage_value(c, m->key, s, p);
        }
        cpu_mem |= !strcmp(m->key, "cpu") || !strcmp(m->key, "memory");
    }
    if (!cpu_mem && huge)
        kapi_ferr_forbidden(c->pool, c->errs, fld, "HugePages require cpu or memory");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* validateResourceClaimNames: each entry names a claim of spec.resourceClaims
 * (pod_claims), once, or once per request of it. */
static void resource_claims(struct kv_ctx *c, const struct kapi_value *claims, const struct kapi_value *pod_claims,
                            const char *fld)
{
    size_t n = kv_len(claims), np = 0;
    const char **seen = kapi_pool_alloc(c->pool, (n + 1) * sizeof(*seen));
    size_t nseen = 0;
    /* gatherPodResourceClaimNames: the non-empty names, sorted for the message */
    const char **names = kapi_pool_alloc(c->pool, (kv_len(pod_claims) + 1) * sizeof(*names));
    for (size_t i = 0; i < kv_len(pod_claims); i++) {
        const char *pn = kv_str0(kv_item(pod_claims, i), "name");
        bool dup = false;
        for (size_t j = 0; j < np && !dup; j++)
            dup = !strcmp(names[j], pn);
        if (*pn && !dup)
            names[np++] = pn;
    }
    qsort(names, np, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        const struct kapi_value *cl = kv_item(claims, i);
        const char *p = kv_path(c, "%s[%zu]", fld, i);
        const char *name = kv_str0(cl, "name"), *req = kv_str0(cl, "request");
        if (!*name) {
            kapi_ferr_required(c->pool, c->errs, p, "");
            continue;
        }
        bool had = false;
        for (size_t j = 0; j < nseen && !had; j++)
            had = !strcmp(seen[j], name);
        if (had) {
            kapi_ferr_duplicate(c->pool, c->errs, p, name);
        } else {
            const char *key = name;
            if (*req) {
                kv_name_msgs(c, kv_path(c, "%s.request", p), req, kapi_is_dns1123_label);
                key = kapi_pool_printf(c->pool, "%s/%s", name, req);
            }
            bool key_had = false;
            for (size_t j = 0; j < nseen && !key_had; j++)
                key_had = !strcmp(seen[j], key);
            if (key_had) {
                kapi_ferr_duplicate(c->pool, c->errs, p, key);
            } else if (!*req) {
                /* the whole claim after one of its requests */
                size_t nl = strlen(name);
                for (size_t j = 0; j < nseen; j++)
                    if (!strncmp(seen[j], name, nl) && seen[j][nl] == '/')
                        kapi_ferr_duplicate(c->pool, c->errs, p, name);
            }
            if (!key_had)
                seen[nseen++] = key;
        }
        bool found = false;
        for (size_t j = 0; j < np && !found; j++)
            found = !strcmp(names[j], name);
        if (!found) {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_buf_puts(&b, "must be one of the names in pod.spec.resourceClaims");
            if (np == 0)
                kapi_buf_puts(&b, " which is empty");
            for (size_t j = 0; j < np; j++)
                kapi_buf_printf(&b, "%s%s", j ? ", " : ": ", names[j]);
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_NOT_FOUND, p, kapi_go_quote(c->pool, name, strlen(name)),
                          kapi_pool_strndup(c->pool, b.data, b.len));
            kapi_buf_dispose(&b);
        }
    }
}

/* validatePodResourceClaims: each entry's name (required, unique, a DNS
 * label), then exactly one of resourceClaimName / resourceClaimTemplateName,
 * each a DNS subdomain. The bad value of the one-of rules is the whole
 * core.PodResourceClaim as Go's %#v prints it. */
static void pod_resource_claims(struct kv_ctx *c, const struct kapi_value *claims, const char *fld)
{
    size_t n = kv_len(claims), nseen = 0;
    const char **seen = kapi_pool_alloc(c->pool, (n + 1) * sizeof(*seen));
    for (size_t i = 0; i < n; i++) {
        const struct kapi_value *cl = kv_item(claims, i);
        const char *p = kv_path(c, "%s[%zu]", fld, i), *np = kv_path(c, "%s.name", p);
        const char *name = kv_str0(cl, "name");
        bool dup = false;
        for (size_t j = 0; j < nseen && !dup; j++)
            dup = !strcmp(seen[j], name);
        if (!*name) {
            kapi_ferr_required(c->pool, c->errs, np, "");
        } else if (dup) {
            kapi_ferr_duplicate(c->pool, c->errs, np, name);
        } else {
            kv_name_msgs(c, np, name, kapi_is_dns1123_label);
            seen[nseen++] = name;
        }
        const char *rcn = kv_str(cl, "resourceClaimName"), *rctn = kv_str(cl, "resourceClaimTemplateName");
        if ((rcn != NULL) == (rctn != NULL)) {
            const char *bad = kapi_pool_printf(
                c->pool, "core.PodResourceClaim{Name:%s, ResourceClaimName:(*string)(%s), "
                         "ResourceClaimTemplateName:(*string)(%s)}",
                kapi_go_quote(c->pool, name, strlen(name)), rcn ? "0xc000000000" : "nil",
                rctn ? "0xc000000000" : "nil");
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, p, bad,
                          rcn ? "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified"
                              : "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`");
        }
        if (rcn)
            kv_name_msgs(c, kv_path(c, "%s.resourceClaimName", p), rcn, kapi_is_dns1123_subdomain);
        if (rctn)
            kv_name_msgs(c, kv_path(c, "%s.resourceClaimTemplateName", p), rctn, kapi_is_dns1123_subdomain);
    }
}

/* ValidateContainerResourceRequirements: the resource lists, then the claims */
static void resources(struct kv_ctx *c, const struct kapi_value *res, const struct kapi_value *spec,
                      const char *fld)
{
    resource_lists(c, kv_get(res, "limits"), kv_get(res, "requests"), fld);
    resource_claims(c, kv_get(res, "claims"), kv_get(spec, "resourceClaims"), kv_path(c, "%s.claims", fld));
}

/* AccumulateUniqueHostPorts over ctrs (from index `from`, `count` of them):
 * a protocol/hostIP/hostPort triple may be used once. */
static void host_port_conflicts(struct kv_ctx *c, const struct kapi_value *ctrs, size_t from, size_t count,
                                const char *fld)
{
    const char **seen = kapi_pool_alloc(c->pool, sizeof(*seen) * 64);
    size_t n = 0, cap = 64;
    for (size_t ci = from; ci < from + count && ci < kv_len(ctrs); ci++) {
        const struct kapi_value *ports = kv_get(kv_item(ctrs, ci), "ports");
        for (size_t pi = 0; pi < kv_len(ports); pi++) {
            const struct kapi_value *p = kv_item(ports, pi);
            int64_t hp = 0;
            kv_int(p, "hostPort", &hp);
            if (!hp)
                continue;
            const char *key = kapi_pool_printf(c->pool, "%s/%s/%lld", kv_str0(p, "protocol"), kv_str0(p, "hostIP"),
                                               (long long)hp);
            bool dup = false;
            for (size_t k = 0; k < n && !dup; k++)
                dup = !strcmp(seen[k], key);
            if (dup) {
                kapi_ferr_duplicate(c->pool, c->errs, kv_path(c, "%s[%zu].ports[%zu].hostPort", fld, ci, pi), key);
                continue;
            }
            if (n == cap) {
                const char **more = kapi_pool_alloc(c->pool, sizeof(*more) * cap * 2);
                memcpy(more, seen, sizeof(*seen) * n);
                seen = more;
                cap *= 2;
            }
            seen[n++] = key;
        }
    }
}

enum ctr_kind { CT_REGULAR, CT_INIT, CT_EPHEMERAL };

/* EphemeralContainerCommon fields other than the allowed ones, in the
 * struct's order (validateFieldAllowList). */
static const char *const EPHEMERAL_FORBIDDEN[] = {"ports",         "resources",      "resizePolicy",
                                                   "restartPolicy", "livenessProbe",  "readinessProbe",
                                                   "startupProbe",  "lifecycle"};

/* a field set to something other than its Go zero value */
static bool non_zero(const struct kapi_value *v)
{
    if (!v)
        return false;
    switch (v->type) {
    case KAPI_V_OBJECT: {
        for (size_t i = 0; i < v->u.obj.len; i++)
            if (non_zero(v->u.obj.members[i].val))
                return true;
        return false;
    }
    case KAPI_V_ARRAY: return v->u.arr.len > 0;
    case KAPI_V_STRING: return v->u.str.len > 0;
    case KAPI_V_INT: return v->u.i != 0;
    case KAPI_V_BOOL: return v->u.b;
    default: return false;
    }
}

/* validateResizePolicy: per entry a resource name seen once, cpu or memory,
 * a known restart policy, NotRequired in a pod that never restarts. Except
 * for the duplicate the errors are reported at the list itself. For init
 * containers upstream also refuses the field unless AllowSidecarResizePolicy,
 * which follows InPlacePodVerticalScaling (beta, on in 1.33): no rule. */
static void resize_policy(struct kv_ctx *c, const struct kapi_value *list, const char *fld, const char *pod_restart)
{
    static const char *const names[] = {"cpu", "memory"};
    static const char *const policies[] = {"NotRequired", "RestartContainer"};
    for (size_t i = 0; i < kv_len(list); i++) {
        const struct kapi_value *e = kv_item(list, i);
        const char *name = kv_str0(e, "resourceName"), *rp = kv_str0(e, "restartPolicy");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(kv_str0(kv_item(list, j), "resourceName"), name)) {
                kapi_ferr_duplicate(c->pool, c->errs, kv_path(c, "%s[%zu]", fld, i), name);
                break;
            }
        kv_enum(c, fld, name, names, N(names));
        kv_enum(c, fld, rp, policies, N(policies));
        if (!strcmp(pod_restart, "Never") && strcmp(rp, "NotRequired"))
            kapi_ferr_invalid(c->pool, c->errs, fld, rp, "must be 'NotRequired' when `restartPolicy` is 'Never'");
    }
}

static void containers(struct kv_ctx *c, const struct kapi_value *ctrs, const struct kv_volumes *vols,
                       const char *fld, enum ctr_kind kind, const struct kapi_value *spec)
{
    int64_t grace_v;
    const int64_t *grace = kv_int(spec, "terminationGracePeriodSeconds", &grace_v) ? &grace_v : NULL;
    bool host_users = kv_host_users(spec);
    bool required = kind == CT_REGULAR;
    if (required && kv_len(ctrs) == 0)
        kapi_ferr_required(c->pool, c->errs, fld, "");
    for (size_t i = 0; i < kv_len(ctrs); i++) {
        const struct kapi_value *ct = kv_item(ctrs, i);
        const char *p = kv_path(c, "%s[%zu]", fld, i);
        const char *name = kv_str0(ct, "name");
        const char *np = kv_path(c, "%s.name", p);
        if (!*name)
            kapi_ferr_required(c->pool, c->errs, np, "");
        else
            kv_name_msgs(c, np, name, kapi_is_dns1123_label);
        if (!*kv_str0(ct, "image"))
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.image", p), "");
        kv_enum(c, kv_path(c, "%s.terminationMessagePolicy", p), kv_str(ct, "terminationMessagePolicy"),
                TERM_MSG_POLICIES, N(TERM_MSG_POLICIES));
        container_ports(c, kv_get(ct, "ports"), kv_path(c, "%s.ports", p));
        env(c, kv_get(ct, "env"), kv_path(c, "%s.env", p));
        env_from(c, kv_get(ct, "envFrom"), kv_path(c, "%s.envFrom", p));
        kv_volume_mounts(c, ct, vols, p);
        kv_enum(c, kv_path(c, "%s.imagePullPolicy", p), kv_str(ct, "imagePullPolicy"), PULL_POLICIES,
                N(PULL_POLICIES));
        resources(c, kv_get(ct, "resources"), spec, kv_path(c, "%s.resources", p));
        resize_policy(c, kv_get(ct, "resizePolicy"), kv_path(c, "%s.resizePolicy", p), kv_str0(spec, "restartPolicy"));
        kv_container_security_context(c, kv_get(ct, "securityContext"), kv_path(c, "%s.securityContext", p),
                                      host_users);
        if (kind == CT_EPHEMERAL) {
            /* validateContainerOnlyForPod, then the rules of validateEphemeralContainers */
            const char *img = kv_str0(ct, "image");
            size_t il = strlen(img);
            if (il && (img[0] == ' ' || img[0] == '\t' || img[0] == '\n' || img[0] == '\r' || img[0] == '\v' ||
                       img[0] == '\f' || img[il - 1] == ' ' || img[il - 1] == '\t' || img[il - 1] == '\n' ||
                       img[il - 1] == '\r' || img[il - 1] == '\v' || img[il - 1] == '\f'))
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.image", p), img,
                                  "must not have leading or trailing whitespace");
            const struct kapi_value *reg = kv_get(spec, "containers"), *init = kv_get(spec, "initContainers");
            if (has_name(reg, name) || has_name(init, name) || has_name_before(ctrs, name, i))
                kapi_ferr_duplicate(c->pool, c->errs, np, name);
            const char *target = kv_str0(ct, "targetContainerName");
            if (*target && !has_name(reg, target) && !has_name(init, target))
                kapi_ferr_not_found(c->pool, c->errs, kv_path(c, "%s.targetContainerName", p), target);
            for (size_t k = 0; k < N(EPHEMERAL_FORBIDDEN); k++)
                if (non_zero(kv_get(ct, EPHEMERAL_FORBIDDEN[k])))
                    kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.%s", p, EPHEMERAL_FORBIDDEN[k]),
                                        "cannot be set for an Ephemeral Container");
            const struct kapi_value *vms = kv_get(ct, "volumeMounts");
            for (size_t k = 0; k < kv_len(vms); k++) {
                if (*kv_str0(kv_item(vms, k), "subPath"))
                    kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.volumeMounts[%zu].subPath", p, k),
                                        "cannot be set for an Ephemeral Container");
                if (*kv_str0(kv_item(vms, k), "subPathExpr"))
                    kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.volumeMounts[%zu].subPathExpr", p, k),
                                        "cannot be set for an Ephemeral Container");
            }
            continue;
        }
        if (!required) /* init containers: restartPolicy and probes before the duplicate check */
            kv_container_probes(c, ct, p, true, grace);
        for (size_t j = 0; *name && j < i; j++)
            if (!strcmp(kv_str0(kv_item(ctrs, j), "name"), name)) {
                kapi_ferr_duplicate(c->pool, c->errs, np, name);
                break;
            }
        if (!required) /* init containers run one by one: conflicts within each */
            host_port_conflicts(c, ctrs, i, 1, fld);
        if (required)
            kv_container_probes(c, ct, p, false, grace);
    }
    if (required) /* regular containers: conflicts across all of them */
        host_port_conflicts(c, ctrs, 0, kv_len(ctrs), fld);
}

/* validatePodHostNetworkDeps: with hostNetwork a hostPort must equal the
 * containerPort (in a template it may also be left 0). */
static void host_network_deps(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    if (!kv_bool(spec, "hostNetwork"))
        return;
    const struct kapi_value *ctrs = kv_get(spec, "containers");
    for (size_t i = 0; i < kv_len(ctrs); i++) {
        const struct kapi_value *ports = kv_get(kv_item(ctrs, i), "ports");
        for (size_t j = 0; j < kv_len(ports); j++) {
            int64_t hp = 0, cp = 0;
            kv_int(kv_item(ports, j), "hostPort", &hp);
            kv_int(kv_item(ports, j), "containerPort", &cp);
            if ((c->is_pod || hp != 0) && hp != cp)
                kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.containers[%zu].ports[%zu].hostPort", fld, i, j),
                                      hp, "must match `containerPort` when `hostNetwork` is true");
        }
    }
}

/* RelaxedDNSSearchValidation (beta, on in 1.33): underscores allowed. The
 * 1.33 message quotes the plain subdomain regex (fixed upstream in 1.34). */
static void dns_search(struct kv_ctx *c, const char *s, const char *fld)
{
    size_t n = strlen(s);
    if (!strcmp(s, "."))
        return;
    char *v = kapi_pool_strndup(c->pool, s, n && s[n - 1] == '.' ? n - 1 : n);
    if (strlen(v) > 253)
        kapi_ferr_invalid(c->pool, c->errs, fld, v, "must be no more than 253 characters");
    regex_t re;
    if (regcomp(&re, "^_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$", REG_EXTENDED | REG_NOSUB))
        return;
    bool ok = regexec(&re, v, 0, NULL, 0) == 0;
    regfree(&re);
    if (!ok)
        kapi_ferr_invalid(c->pool, c->errs, fld, v,
                          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' "
                          "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
                          "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
}

static const char *str_slice(struct kv_ctx *c, const struct kapi_value *arr)
{
    size_t n = kv_len(arr);
    const char **v = kapi_pool_alloc(c->pool, (n ? n : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        const char *s = kapi_value_cstr(kv_item(arr, i));
        v[i] = s ? s : "";
    }
    return kapi_go_string_slice(c->pool, v, n);
}

/* validatePodDNSConfig, validateReadinessGates, validateSchedulingGates */
static void dns_config_and_gates(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    const struct kapi_value *dc = kv_get(spec, "dnsConfig");
    const char *dp = kv_path(c, "%s.dnsConfig", fld);
    const struct kapi_value *ns = kv_get(dc, "nameservers"), *search = kv_get(dc, "searches");
    bool stop = false;
    if (!strcmp(kv_str0(spec, "dnsPolicy"), "None")) {
        if (!dc) {
            kapi_ferr_required(c->pool, c->errs, dp, "must provide `dnsConfig` when `dnsPolicy` is None");
            stop = true;
        } else if (kv_len(ns) == 0) {
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.nameservers", dp),
                               "must provide at least one DNS nameserver when `dnsPolicy` is None");
            stop = true;
        }
    }
    if (dc && !stop) {
        if (kv_len(ns) > 3)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.nameservers", dp), str_slice(c, ns),
                          "must not have more than 3 nameservers");
        for (size_t i = 0; i < kv_len(ns); i++) {
            const char *ip = kapi_value_cstr(kv_item(ns, i));
            if (!ip || !kv_ip_sloppy(ip))
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.nameservers[%zu]", dp, i), ip ? ip : "",
                                  "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        }
        if (kv_len(search) > 32)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.searches", dp), str_slice(c, search),
                          "must not have more than 32 search paths");
        size_t chars = 0;
        for (size_t i = 0; i < kv_len(search); i++) {
            const char *s = kapi_value_cstr(kv_item(search, i));
            chars += (s ? strlen(s) : 0) + (i ? 1 : 0);
        }
        if (chars > 2048)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.searches", dp), str_slice(c, search),
                          "must not have more than 2048 characters (including spaces) in the search list");
        for (size_t i = 0; i < kv_len(search); i++) {
            const char *s = kapi_value_cstr(kv_item(search, i));
            dns_search(c, s ? s : "", kv_path(c, "%s.searches[%zu]", dp, i));
        }
        const struct kapi_value *opts = kv_get(dc, "options");
        for (size_t i = 0; i < kv_len(opts); i++)
            if (!*kv_str0(kv_item(opts, i), "name"))
                kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.options[%zu]", dp, i), "must not be empty");
    }
    const struct kapi_value *rg = kv_get(spec, "readinessGates");
    for (size_t i = 0; i < kv_len(rg); i++)
        kv_name_msgs(c, kv_path(c, "%s.readinessGates[%zu].conditionType", fld, i),
                     kv_str0(kv_item(rg, i), "conditionType"), kapi_is_qualified_name);
    const struct kapi_value *sg = kv_get(spec, "schedulingGates");
    for (size_t i = 0; i < kv_len(sg); i++) {
        const char *name = kv_str0(kv_item(sg, i), "name");
        const char *p = kv_path(c, "%s.schedulingGates[%zu]", fld, i);
        kv_name_msgs(c, p, name, kapi_is_qualified_name);
        if (has_name_before(sg, name, i))
            kapi_ferr_duplicate(c->pool, c->errs, p, name);
    }
}

/* ValidateHostAliases */
static void host_aliases(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    const struct kapi_value *ha = kv_get(spec, "hostAliases");
    for (size_t i = 0; i < kv_len(ha); i++) {
        const struct kapi_value *a = kv_item(ha, i);
        const char *ip = kv_str0(a, "ip");
        if (!kv_ip_sloppy(ip))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.hostAliases[%zu].ip", fld, i), ip,
                              "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        const struct kapi_value *hn = kv_get(a, "hostnames");
        for (size_t j = 0; j < kv_len(hn); j++) {
            const char *h = kapi_value_cstr(kv_item(hn, j));
            kv_name_msgs(c, kv_path(c, "%s.hostAliases[%zu].hostnames[%zu]", fld, i, j), h ? h : "",
                         kapi_is_dns1123_subdomain);
        }
    }
}

void kv_pod_spec(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    const struct kv_volumes *vols = kv_volumes(c, kv_get(spec, "volumes"), kv_path(c, "%s.volumes", fld));
    pod_resource_claims(c, kv_get(spec, "resourceClaims"), kv_path(c, "%s.resourceClaims", fld));
    containers(c, kv_get(spec, "containers"), vols, kv_path(c, "%s.containers", fld), CT_REGULAR, spec);
    containers(c, kv_get(spec, "initContainers"), vols, kv_path(c, "%s.initContainers", fld), CT_INIT, spec);
    /* init containers share the name space of regular ones */
    const struct kapi_value *init = kv_get(spec, "initContainers"), *ctrs = kv_get(spec, "containers");
    for (size_t i = 0; i < kv_len(init); i++) {
        const char *name = kv_str0(kv_item(init, i), "name");
        if (*name && has_name(ctrs, name))
            kapi_ferr_duplicate(c->pool, c->errs, kv_path(c, "%s.initContainers[%zu].name", fld, i), name);
    }
    containers(c, kv_get(spec, "ephemeralContainers"), vols, kv_path(c, "%s.ephemeralContainers", fld), CT_EPHEMERAL,
               spec);
    host_network_deps(c, spec, fld);
    kv_enum(c, kv_path(c, "%s.restartPolicy", fld), kv_str(spec, "restartPolicy"), RESTART_POLICIES,
            N(RESTART_POLICIES));
    kv_enum(c, kv_path(c, "%s.dnsPolicy", fld), kv_str(spec, "dnsPolicy"), DNS_POLICIES, N(DNS_POLICIES));
    kapi_validate_labels(c->pool, kv_get(spec, "nodeSelector"), kv_path(c, "%s.nodeSelector", fld), c->errs);
    kv_pod_spec_scheduling(c, spec, fld);
    dns_config_and_gates(c, spec, fld);
    kv_pod_spec_topology(c, spec, fld);
    kv_pod_spec_host_process(c, spec, fld);
    kv_pod_spec_host_users(c, spec, fld);
    const char *sa = kv_str0(spec, "serviceAccountName");
    if (*sa)
        kv_name_msgs(c, kv_path(c, "%s.serviceAccountName", fld), sa, kapi_is_dns1123_subdomain);
    const char *node = kv_str0(spec, "nodeName");
    if (*node)
        kv_name_msgs(c, kv_path(c, "%s.nodeName", fld), node, kapi_is_dns1123_subdomain);
    int64_t ads;
    if (kv_int(spec, "activeDeadlineSeconds", &ads) && (ads < 1 || ads > 2147483647))
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.activeDeadlineSeconds", fld), ads,
                              "must be between 1 and 2147483647, inclusive");
    const char *hn = kv_str0(spec, "hostname"), *sd = kv_str0(spec, "subdomain");
    if (*hn)
        kv_name_msgs(c, kv_path(c, "%s.hostname", fld), hn, kapi_is_dns1123_label);
    if (*sd)
        kv_name_msgs(c, kv_path(c, "%s.subdomain", fld), sd, kapi_is_dns1123_label);
    kv_pod_spec_tolerations(c, spec, fld);
    host_aliases(c, spec, fld);
    const char *pc = kv_str0(spec, "priorityClassName");
    if (*pc)
        kv_name_msgs(c, kv_path(c, "%s.priorityClassName", fld), pc, kapi_is_dns1123_subdomain);
    /* ValidateRuntimeClassName, ValidatePreemptionPolicy, validateOverhead:
     * checked whenever set, even to "" */
    const char *rc = kv_str(spec, "runtimeClassName");
    if (rc)
        kv_name_msgs(c, kv_path(c, "%s.runtimeClassName", fld), rc, kapi_is_dns1123_subdomain);
    const char *pp = kv_str(spec, "preemptionPolicy");
    if (pp)
        kv_enum(c, kv_path(c, "%s.preemptionPolicy", fld), pp, PREEMPTION_POLICIES, N(PREEMPTION_POLICIES));
    const struct kapi_value *oh = kv_get(spec, "overhead");
    if (oh)
        resource_lists(c, oh, NULL, kv_path(c, "%s.overhead", fld));
    kv_pod_spec_os(c, spec, fld);
}

void kv_pod_template(struct kv_ctx *c, const struct kapi_value *tmpl, const char *fld)
{
    /* ValidatePodTemplateSpec: the embedded ObjectMeta's fields are under
     * the template path itself (e.g. spec.template.labels) */
    const struct kapi_value *meta = kv_get(tmpl, "metadata"), *spec = kv_get(tmpl, "spec");
    const struct kapi_value *ann = kv_get(meta, "annotations");
    const char *sp = kv_path(c, "%s.spec", fld);
    kapi_validate_labels(c->pool, kv_get(meta, "labels"), kv_path(c, "%s.labels", fld), c->errs);
    kapi_validate_annotations(c->pool, ann, kv_path(c, "%s.annotations", fld), c->errs);
    kv_pod_annotations(c, ann, spec, kv_path(c, "%s.annotations", fld));
    kv_pod_spec(c, spec, sp);
    kv_pod_annotations_match(c, ann, spec, sp);
    if (kv_len(kv_get(kv_get(tmpl, "spec"), "ephemeralContainers")))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.spec.ephemeralContainers", fld),
                            "ephemeral containers not allowed in pod template");
}

/* ---- Pod update: only images, activeDeadlineSeconds, added tolerations
 * and terminationGracePeriodSeconds (negative -> 1) may change. */
static const char POD_UPDATE_MSG[] =
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

static void copy_images(struct kapi_pool *pool, struct kapi_value *dst, const struct kapi_value *src,
                        const char *key)
{
    struct kapi_value *d = kapi_obj_get(dst, key);
    const struct kapi_value *s = kv_get(src, key);
    if (!d || d->type != KAPI_V_ARRAY || kv_len(d) != kv_len(s))
        return;
    for (size_t i = 0; i < d->u.arr.len; i++) {
        struct kapi_value *dc = d->u.arr.items[i];
        const struct kapi_value *img = kv_get(kv_item(s, i), "image");
        if (dc && dc->type == KAPI_V_OBJECT && img)
            kapi_obj_set(pool, dc, "image", kapi_value_clone(pool, img));
    }
}

static void pod_update(struct kv_ctx *c, const struct kapi_value *spec, const struct kapi_value *ospec)
{
    if (!spec || !ospec)
        return;
    /* Munge a copy of the new spec with the old values of what may change,
     * then anything still different is a forbidden change. */
    struct kapi_value *m = kapi_value_clone(c->pool, spec);
    copy_images(c->pool, m, ospec, "containers");
    copy_images(c->pool, m, ospec, "initContainers");
    kapi_obj_del(m, "activeDeadlineSeconds");
    if (kv_get(ospec, "activeDeadlineSeconds"))
        kapi_obj_set(c->pool, m, "activeDeadlineSeconds", kapi_value_clone(c->pool, kv_get(ospec, "activeDeadlineSeconds")));
    /* tolerations: additions allowed, existing ones must stay */
    const struct kapi_value *nt = kv_get(spec, "tolerations"), *ot = kv_get(ospec, "tolerations");
    bool tol_ok = true;
    for (size_t i = 0; i < kv_len(ot); i++) {
        bool found = false;
        for (size_t j = 0; j < kv_len(nt) && !found; j++)
            found = kapi_value_equal(kv_item(ot, i), kv_item(nt, j));
        tol_ok = tol_ok && found;
    }
    if (tol_ok) {
        kapi_obj_del(m, "tolerations");
        if (ot)
            kapi_obj_set(c->pool, m, "tolerations", kapi_value_clone(c->pool, ot));
    }
    int64_t og, ng;
    if (kv_int(ospec, "terminationGracePeriodSeconds", &og) && og < 0 &&
        kv_int(spec, "terminationGracePeriodSeconds", &ng) && ng == 1)
        kapi_obj_set(c->pool, m, "terminationGracePeriodSeconds", kapi_value_int(c->pool, og));
    if (kapi_value_equal(m, ospec))
        return;
    /* Upstream appends a Go cmp.Diff of the internal PodSpec; we list the
     * changed top-level fields instead (see docs/internals/validation.md). */
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, POD_UPDATE_MSG);
    kapi_buf_puts(&b, "\n  core.PodSpec{\n");
    for (size_t i = 0; i < kv_len(m); i++) {
        const struct kapi_member *mm = &m->u.obj.members[i];
        if (!kapi_value_equal(mm->val, kapi_obj_get(ospec, mm->key)))
            kapi_buf_printf(&b, "  \t%s: changed,\n", mm->key);
    }
    for (size_t i = 0; i < kv_len(ospec); i++) {
        const struct kapi_member *om = &ospec->u.obj.members[i];
        if (!kapi_obj_get(m, om->key))
            kapi_buf_printf(&b, "  \t%s: removed,\n", om->key);
    }
    kapi_buf_puts(&b, "  }\n");
    char *msg = kapi_pool_strndup(c->pool, b.data, b.len);
    kapi_buf_dispose(&b);
    kapi_ferr_forbidden(c->pool, c->errs, "spec", msg);
}

/* ---- ConfigMap / Secret. */
#define MAX_DATA_BYTES 1048576

/* Whether kv_config_key would find nothing wrong with key (so that callers
 * need not format the field path of a valid key). */
static bool config_key_valid(const char *key)
{
    size_t n = 0;
    for (; key[n]; n++) {
        char ch = key[n];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_' || ch == '.'))
            return false;
    }
    return n > 0 && n <= 253 && !(key[0] == '.' && (key[1] == 0 || key[1] == '.'));
}

void kv_config_key(struct kv_ctx *c, const char *field, const char *key)
{
    size_t n = strlen(key);
    bool ok = n > 0;
    for (size_t i = 0; i < n; i++) {
        char ch = key[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_' || ch == '.'))
            ok = false;
    }
    if (n > 253)
        kapi_ferr_invalid(c->pool, c->errs, field, key, "must be no more than 253 characters");
    if (!ok)
        kapi_ferr_invalid(c->pool, c->errs, field, key,
                          "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                          "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
                          "'[-._a-zA-Z0-9]+')");
    if (!strcmp(key, "."))
        kapi_ferr_invalid(c->pool, c->errs, field, key, "must not be '.'");
    else if (!strcmp(key, ".."))
        kapi_ferr_invalid(c->pool, c->errs, field, key, "must not be '..'");
    else if (!strncmp(key, "..", 2))
        kapi_ferr_invalid(c->pool, c->errs, field, key, "must not start with '..'");
}

/* Base64 decoded length of a binaryData/Secret data string. */
static size_t b64_len(const struct kapi_value *v)
{
    if (!v || v->type != KAPI_V_STRING)
        return 0;
    size_t n = v->u.str.len, pad = 0;
    while (n > pad && v->u.str.s[n - 1 - pad] == '=')
        pad++;
    return (n / 4) * 3 - (pad > 2 ? 2 : pad);
}

static void immutable_data(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old,
                           const char *const *keys, size_t nkeys)
{
    if (!old)
        return;
    bool old_imm = kv_bool(old, "immutable");
    if (!old_imm)
        return;
    const struct kapi_value *ni = kv_get(obj, "immutable");
    if (!ni || ni->type != KAPI_V_BOOL || !ni->u.b)
        kapi_ferr_forbidden(c->pool, c->errs, "immutable", "field is immutable when `immutable` is set");
    for (size_t i = 0; i < nkeys; i++) {
        const struct kapi_value *a = kv_get(obj, keys[i]), *b = kv_get(old, keys[i]);
        bool same = (kv_len(a) == 0 && kv_len(b) == 0) || (a && b && kapi_value_equal(a, b));
        if (!same)
            kapi_ferr_forbidden(c->pool, c->errs, keys[i], "field is immutable when `immutable` is set");
    }
}

static void configmap(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *data = kv_get(obj, "data"), *bin = kv_get(obj, "binaryData");
    size_t total = 0;
    for (size_t i = 0; i < kv_len(data); i++) {
        const struct kapi_member *m = &data->u.obj.members[i];
        if (!config_key_valid(m->key))
            kv_config_key(c, kv_path(c, "data[%s]", m->key), m->key);
        if (kv_get(bin, m->key))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "data[%s]", m->key), m->key,
                              "duplicate of key present in binaryData");
        total += m->val && m->val->type == KAPI_V_STRING ? m->val->u.str.len : 0;
    }
    for (size_t i = 0; i < kv_len(bin); i++) {
        const struct kapi_member *m = &bin->u.obj.members[i];
        if (!config_key_valid(m->key))
            kv_config_key(c, kv_path(c, "binaryData[%s]", m->key), m->key);
        total += b64_len(m->val);
    }
    if (total > MAX_DATA_BYTES)
        kapi_ferr_too_long(c->pool, c->errs, "", MAX_DATA_BYTES);
    static const char *const keys[] = {"data", "binaryData"};
    immutable_data(c, obj, old, keys, 2);
}

static void secret(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *data = kv_get(obj, "data");
    size_t total = 0;
    for (size_t i = 0; i < kv_len(data); i++) {
        const struct kapi_member *m = &data->u.obj.members[i];
        if (!config_key_valid(m->key))
            kv_config_key(c, kv_path(c, "data[%s]", m->key), m->key);
        total += b64_len(m->val);
    }
    if (total > MAX_DATA_BYTES)
        kapi_ferr_too_long(c->pool, c->errs, "data", MAX_DATA_BYTES);
    const char *type = kv_str0(obj, "type");
    const struct kapi_value *ann = kv_get(kv_get(obj, "metadata"), "annotations");
    if (!strcmp(type, "kubernetes.io/service-account-token")) {
        if (!*kv_str0(ann, "kubernetes.io/service-account.name"))
            kapi_ferr_required(c->pool, c->errs, "metadata.annotations[kubernetes.io/service-account.name]", "");
    } else if (!strcmp(type, "kubernetes.io/dockercfg")) {
        if (!kv_get(data, ".dockercfg"))
            kapi_ferr_required(c->pool, c->errs, "data[.dockercfg]", "");
    } else if (!strcmp(type, "kubernetes.io/dockerconfigjson")) {
        if (!kv_get(data, ".dockerconfigjson"))
            kapi_ferr_required(c->pool, c->errs, "data[.dockerconfigjson]", "");
    } else if (!strcmp(type, "kubernetes.io/basic-auth")) {
        if (!kv_get(data, "username") && !kv_get(data, "password"))
            kapi_ferr_required(c->pool, c->errs, "data[username]", "");
    } else if (!strcmp(type, "kubernetes.io/ssh-auth")) {
        if (!kv_get(data, "ssh-privatekey"))
            kapi_ferr_required(c->pool, c->errs, "data[ssh-privatekey]", "");
    } else if (!strcmp(type, "kubernetes.io/tls")) {
        if (!kv_get(data, "tls.crt"))
            kapi_ferr_required(c->pool, c->errs, "data[tls.crt]", "");
        if (!kv_get(data, "tls.key"))
            kapi_ferr_required(c->pool, c->errs, "data[tls.key]", "");
    }
    if (old) {
        kv_immutable(c, kv_get(obj, "type"), kv_get(old, "type"), "type", NULL);
        static const char *const keys[] = {"data"};
        immutable_data(c, obj, old, keys, 1);
    }
}

/* ---- Smaller kinds. */
/* ValidatePersistentVolumeClaimUpdate after the spec rules: the spec is
 * immutable but for volumeName (set once), the storage class (upgraded from
 * the beta annotation or from nil) and, for a bound claim, the storage
 * request; a request may not go down to status.capacity
 * (RecoverVolumeExpansionFailure, on in 1.33). */
static const char SC_ANNOTATION[] = "volume.beta.kubernetes.io/storage-class";

static void pvc_update(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *ns = kv_get(obj, "spec"), *os = kv_get(old, "spec");
    const struct kapi_value *nann = kv_get(kv_get(obj, "metadata"), "annotations");
    const struct kapi_value *oann = kv_get(kv_get(old, "metadata"), "annotations");
    struct kapi_value *nclone = ns ? kapi_value_clone(c->pool, ns) : kapi_value_object(c->pool);
    struct kapi_value *oclone = os ? kapi_value_clone(c->pool, os) : kapi_value_object(c->pool);
    /* the strategy normalizes the stored claim's data sources too, so one
     * stored before they were kept in sync compares equal */
    kapi_prepare_pvc_normalize_data_sources(c->pool, oclone);
    if (!*kv_str0(os, "volumeName")) {
        if (kv_get(ns, "volumeName"))
            kapi_obj_set(c->pool, oclone, "volumeName", kapi_value_clone(c->pool, kv_get(ns, "volumeName")));
        else
            kapi_obj_del(oclone, "volumeName");
    }
    const char *osc_ann = kv_str(oann, SC_ANNOTATION), *nsc_ann = kv_str(nann, SC_ANNOTATION);
    const char *osc = kv_str(os, "storageClassName"), *nsc = kv_str(ns, "storageClassName");
    if (osc_ann && !osc && nsc && !strcmp(nsc, osc_ann) && (!nsc_ann || !strcmp(nsc_ann, osc_ann))) {
        /* validateStorageClassUpgradeFromAnnotation */
        kapi_obj_del(nclone, "storageClassName");
    } else {
        if (strcmp(nsc_ann ? nsc_ann : "", osc_ann ? osc_ann : ""))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "metadata.annotations.%s", SC_ANNOTATION),
                              nsc_ann ? nsc_ann : "", "field is immutable");
        /* validateStorageClassUpgradeFromNil */
        if (nsc && !osc && (!osc_ann || !strcmp(nsc, osc_ann)))
            kapi_obj_set(c->pool, nclone, "storageClassName", kapi_value_str(c->pool, nsc));
        if (nsc && !osc && (!osc_ann || !strcmp(nsc, osc_ann)))
            kapi_obj_set(c->pool, oclone, "storageClassName", kapi_value_str(c->pool, nsc));
    }
    bool bound = !strcmp(kv_str0(kv_get(obj, "status"), "phase"), "Bound");
    struct kapi_value *nreq = kapi_value_path(nclone, "resources", "requests", NULL);
    if (bound && nreq && nreq->type == KAPI_V_OBJECT) {
        const struct kapi_value *ostor = kv_get(kv_get(kv_get(os, "resources"), "requests"), "storage");
        if (ostor)
            kapi_obj_set(c->pool, nreq, "storage", kapi_value_clone(c->pool, ostor));
        else
            kapi_obj_del(nreq, "storage");
    }
    if (bound && kv_get(nclone, "volumeAttributesClassName")) {
        if (kv_get(oclone, "volumeAttributesClassName"))
            kapi_obj_set(c->pool, nclone, "volumeAttributesClassName",
                         kapi_value_clone(c->pool, kv_get(oclone, "volumeAttributesClassName")));
        else
            kapi_obj_del(nclone, "volumeAttributesClassName");
    }
    if (!kapi_value_equal(nclone, oclone)) {
        /* upstream appends a Go cmp.Diff of core.PersistentVolumeClaimSpec; kapi
         * names the changed fields (docs/internals/validation.md) */
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_buf_puts(&b, "spec is immutable after creation except resources.requests and volumeAttributesClassName "
                          "for bound claims\n  core.PersistentVolumeClaimSpec{\n");
        for (size_t i = 0; i < kv_len(nclone); i++)
            if (!kapi_value_equal(nclone->u.obj.members[i].val, kapi_obj_get(oclone, nclone->u.obj.members[i].key)))
                kapi_buf_printf(&b, "  \t%s: changed,\n", nclone->u.obj.members[i].key);
        for (size_t i = 0; i < kv_len(oclone); i++)
            if (!kapi_obj_get(nclone, oclone->u.obj.members[i].key))
                kapi_buf_printf(&b, "  \t%s: removed,\n", oclone->u.obj.members[i].key);
        kapi_buf_puts(&b, "  }\n");
        kapi_ferr_forbidden(c->pool, c->errs, "spec", kapi_pool_strndup(c->pool, b.data, b.len));
        kapi_buf_dispose(&b);
    }
    long double nsz = 0, osz = 0, ssz = 0;
    kv_quantity(kv_str(kv_get(kv_get(ns, "resources"), "requests"), "storage"), &nsz);
    kv_quantity(kv_str(kv_get(kv_get(os, "resources"), "requests"), "storage"), &osz);
    kv_quantity(kv_str(kv_get(kv_get(old, "status"), "capacity"), "storage"), &ssz);
    if (nsz < osz && nsz <= ssz)
        kapi_ferr_forbidden(c->pool, c->errs, "spec.resources.requests.storage",
                            "field can not be less than status.capacity");
    kv_immutable(c, kv_get(ns, "volumeMode"), kv_get(os, "volumeMode"), "volumeMode", NULL);
}

/* ValidatePersistentVolumeUpdate: the volume source is fixed at creation
 * (a CSI controllerExpandSecretRef may be added once), and so are
 * volumeMode and a nodeAffinity that was set. */
static void pv_update(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    static const char *const sources[] = {
        "gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "iscsi",
        "cinder", "cephfs", "fc", "flocker", "flexVolume", "azureFile", "vsphereVolume", "quobyte",
        "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "local", "storageos", "csi",
    };
    const struct kapi_value *ns = kv_get(obj, "spec"), *os = kv_get(old, "spec");
    struct kapi_value *nsrc = kapi_value_object(c->pool), *osrc = kapi_value_object(c->pool);
    for (size_t i = 0; i < KAPI_ARRAY_LEN(sources); i++) {
        if (kv_get(ns, sources[i]))
            kapi_obj_set(c->pool, nsrc, sources[i], kapi_value_clone(c->pool, kv_get(ns, sources[i])));
        if (kv_get(os, sources[i]))
            kapi_obj_set(c->pool, osrc, sources[i], (struct kapi_value *)kv_get(os, sources[i]));
    }
    struct kapi_value *ncsi = kapi_obj_get(nsrc, "csi");
    const struct kapi_value *ocsi = kv_get(osrc, "csi");
    if (ncsi && ncsi->type == KAPI_V_OBJECT && ocsi && !kv_get(ocsi, "controllerExpandSecretRef"))
        kapi_obj_del(ncsi, "controllerExpandSecretRef");
    if (!kapi_value_equal(nsrc, osrc)) {
        /* upstream appends a Go cmp.Diff of core.PersistentVolumeSource; kapi
         * names the changed sources (docs/internals/validation.md) */
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_buf_puts(&b, "spec.persistentvolumesource is immutable after creation\n  core.PersistentVolumeSource{\n");
        for (size_t i = 0; i < KAPI_ARRAY_LEN(sources); i++) {
            const struct kapi_value *a = kv_get(osrc, sources[i]), *z = kv_get(nsrc, sources[i]);
            if ((a || z) && !kapi_value_equal(a, z))
                kapi_buf_printf(&b, "  \t%s: %s,\n", sources[i], !a ? "added" : !z ? "removed" : "changed");
        }
        kapi_buf_puts(&b, "  }\n");
        kapi_ferr_forbidden(c->pool, c->errs, "spec.persistentvolumesource", kapi_pool_strndup(c->pool, b.data, b.len));
        kapi_buf_dispose(&b);
    }
    kv_immutable(c, kv_get(ns, "volumeMode"), kv_get(os, "volumeMode"), "volumeMode", NULL);
    if (kv_get(os, "nodeAffinity"))
        kv_immutable(c, kv_get(ns, "nodeAffinity"), kv_get(os, "nodeAffinity"), "nodeAffinity",
                     kv_get(ns, "nodeAffinity") ? "core.VolumeNodeAffinity{...}" : NULL);
}


static void namespace(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *fin = kv_get(kv_get(obj, "spec"), "finalizers");
    for (size_t i = 0; i < kv_len(fin); i++) {
        const char *f = kapi_value_cstr(kv_item(fin, i));
        const char *p = kv_path(c, "spec.finalizers[%zu]", i);
        size_t before = c->errs->len;
        kv_name_msgs(c, p, f ? f : "", kapi_is_qualified_name);
        /* standard finalizers are "kubernetes" or domain-prefixed */
        if (before == c->errs->len && f && !strchr(f, '/') && strcmp(f, "kubernetes"))
            kapi_ferr_invalid(c->pool, c->errs, p, f,
                              "name is neither a standard finalizer name nor is it fully qualified");
    }
}

static void event(struct kv_ctx *c, const struct kapi_value *obj)
{
    const char *ns = kv_str0(kv_get(obj, "metadata"), "namespace");
    const char *ins = kv_str0(kv_get(obj, "involvedObject"), "namespace");
    if (*ins && strcmp(ns, ins))
        kapi_ferr_invalid(c->pool, c->errs, "involvedObject.namespace", ins,
                          "does not match event.namespace");
}

static void endpoints(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *subsets = kv_get(obj, "subsets");
    for (size_t i = 0; i < kv_len(subsets); i++) {
        const struct kapi_value *ports = kv_get(kv_item(subsets, i), "ports");
        for (size_t j = 0; j < kv_len(ports); j++) {
            int64_t port = 0;
            kv_int(kv_item(ports, j), "port", &port);
            kv_port_num(c, kv_path(c, "subsets[%zu].ports[%zu].port", i, j), port);
            kv_enum(c, kv_path(c, "subsets[%zu].ports[%zu].protocol", i, j), kv_str(kv_item(ports, j), "protocol"),
                    PROTOCOLS, N(PROTOCOLS));
        }
    }
}

/* validatePodMetadataAndSpec without ValidateObjectMeta: the pod's own
 * annotation rules, then the spec */
static void pod_spec(struct kv_ctx *c, const struct kapi_value *obj)
{
    c->pod_name = kv_str0(kv_get(obj, "metadata"), "name");
    c->is_pod = true;
    kv_pod_annotations(c, kv_get(kv_get(obj, "metadata"), "annotations"), kv_get(obj, "spec"),
                       "metadata.annotations");
    kv_pod_spec(c, kv_get(obj, "spec"), "spec");
    c->pod_name = NULL;
    c->is_pod = false;
}

/* ValidatePodSpecificAnnotationUpdates */
static void pod_annotation_updates(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    kv_pod_annotation_updates(c, kv_get(kv_get(obj, "metadata"), "annotations"),
                              kv_get(kv_get(old, "metadata"), "annotations"), kv_get(obj, "spec"),
                              "metadata.annotations");
}

void kv_pod_ephemeral_update(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    pod_spec(c, obj);
    pod_annotation_updates(c, obj, old);
    if (kv_get(kv_get(kv_get(old, "metadata"), "annotations"), "kubernetes.io/config.mirror")) {
        /* upstream answers with this error alone */
        c->errs->len = 0;
        kapi_ferr_forbidden(c->pool, c->errs, "", "static pods do not support ephemeral containers");
        return;
    }
    const struct kapi_value *nec = kv_get(kv_get(obj, "spec"), "ephemeralContainers");
    const struct kapi_value *oec = kv_get(kv_get(old, "spec"), "ephemeralContainers");
    for (size_t i = 0; i < kv_len(oec); i++) {
        const struct kapi_value *o = kv_item(oec, i), *n = NULL;
        const char *name = kv_str0(o, "name");
        for (size_t j = 0; j < kv_len(nec) && !n; j++)
            if (!strcmp(kv_str0(kv_item(nec, j), "name"), name))
                n = kv_item(nec, j);
        const char *q = kapi_go_quote(c->pool, name, strlen(name));
        if (!n) {
            kapi_ferr_forbidden(c->pool, c->errs, "spec.ephemeralContainers",
                                kapi_pool_printf(c->pool, "existing ephemeral containers %s may not be removed\n", q));
        } else if (!kapi_value_equal(o, n)) {
            /* upstream appends a Go cmp.Diff of core.EphemeralContainer; kapi
             * names the changed fields (docs/internals/validation.md) */
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_buf_printf(&b, "existing ephemeral containers %s may not be changed\n  core.EphemeralContainer{\n", q);
            for (size_t k = 0; k < kv_len(n); k++)
                if (!kapi_value_equal(n->u.obj.members[k].val, kapi_obj_get(o, n->u.obj.members[k].key)))
                    kapi_buf_printf(&b, "  \t%s: changed,\n", n->u.obj.members[k].key);
            for (size_t k = 0; k < kv_len(o); k++)
                if (!kapi_obj_get(n, o->u.obj.members[k].key))
                    kapi_buf_printf(&b, "  \t%s: removed,\n", o->u.obj.members[k].key);
            kapi_buf_puts(&b, "  }\n");
            kapi_ferr_forbidden(c->pool, c->errs, "spec.ephemeralContainers", kapi_pool_strndup(c->pool, b.data, b.len));
            kapi_buf_dispose(&b);
        }
    }
}

bool kv_core(struct kv_ctx *c, const char *kind, const struct kapi_value *obj, const struct kapi_value *old)
{
    if (!strcmp(kind, "Pod")) {
        pod_spec(c, obj);
        const struct kapi_value *spec = kv_get(obj, "spec");
        if (!old) {
            /* ValidatePodCreate: only the ephemeralcontainers subresource adds
             * them; a node only once the gates are gone; annotations that
             * disagree with the seccomp/AppArmor fields */
            if (kv_len(kv_get(spec, "ephemeralContainers")))
                kapi_ferr_forbidden(c->pool, c->errs, "spec.ephemeralContainers", "cannot be set on create");
            if (*kv_str0(spec, "nodeName") && kv_len(kv_get(spec, "schedulingGates")))
                kapi_ferr_forbidden(c->pool, c->errs, "spec.nodeName",
                                    "cannot be set until all schedulingGates have been cleared");
            kv_pod_annotations_match(c, kv_get(kv_get(obj, "metadata"), "annotations"), spec, "spec");
        } else {
            pod_annotation_updates(c, obj, old);
            pod_update(c, spec, kv_get(old, "spec"));
        }
    } else if (!strcmp(kind, "PodTemplate")) {
        kv_pod_template(c, kv_get(obj, "template"), "template");
    } else if (!strcmp(kind, "ReplicationController")) {
        const struct kapi_value *spec = kv_get(obj, "spec");
        kv_nonneg(c, "spec", spec, "replicas");
        kv_nonneg(c, "spec", spec, "minReadySeconds");
        const struct kapi_value *sel = kv_get(spec, "selector");
        if (kv_len(sel) == 0)
            kapi_ferr_required(c->pool, c->errs, "spec.selector", "");
        const struct kapi_value *tmpl = kv_get(spec, "template");
        if (!tmpl) {
            kapi_ferr_required(c->pool, c->errs, "spec.template", "");
        } else {
            kv_pod_template(c, tmpl, "spec.template");
        }
    } else if (!strcmp(kind, "Service")) {
        kv_service(c, obj, old);
    } else if (!strcmp(kind, "ConfigMap")) {
        configmap(c, obj, old);
    } else if (!strcmp(kind, "Secret")) {
        secret(c, obj, old);
    } else if (!strcmp(kind, "Namespace")) {
        namespace(c, obj);
    } else if (!strcmp(kind, "PersistentVolumeClaim")) {
        kv_pvc_spec(c, kv_get(obj, "spec"), "spec");
        if (old)
            pvc_update(c, obj, old);
    } else if (!strcmp(kind, "PersistentVolume")) {
        kv_pv_spec(c, kv_get(obj, "spec"), kv_str0(kv_get(obj, "metadata"), "name"), "spec", false);
        if (old)
            pv_update(c, obj, old);
    } else if (!strcmp(kind, "Event")) {
        event(c, obj);
    } else if (!strcmp(kind, "Endpoints")) {
        endpoints(c, obj);
    } else if (!strcmp(kind, "Node")) {
        kv_node(c, obj, old);
    } else if (!strcmp(kind, "ResourceQuota")) {
        kv_resource_quota(c, obj, old);
    } else {
        return false;
    }
    return true;
}
