/* registry/validation/other: the remaining groups (rbac, networking,
 * coordination, scheduling, policy, autoscaling, storage; VolumeAttachment's
 * rules are in storage.c). */
#include "validation_int.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void rbac_rules(struct kv_ctx *c, const struct kapi_value *obj, bool namespaced)
{
    const struct kapi_value *rules = kv_get(obj, "rules");
    for (size_t i = 0; i < kv_len(rules); i++) {
        const struct kapi_value *r = kv_item(rules, i);
        if (kv_len(kv_get(r, "verbs")) == 0)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "rules[%zu].verbs", i),
                               "verbs must contain at least one value");
        if (kv_len(kv_get(r, "nonResourceURLs")) > 0) {
            if (namespaced)
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "rules[%zu].nonResourceURLs", i),
                              NULL, "namespaced rules cannot apply to non-resource URLs");
            continue;
        }
        if (kv_len(kv_get(r, "apiGroups")) == 0)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "rules[%zu].apiGroups", i),
                               "resource rules must supply at least one api group");
        if (kv_len(kv_get(r, "resources")) == 0)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "rules[%zu].resources", i),
                               "resource rules must supply at least one resource");
    }
}

static const char *role_ref_repr(struct kv_ctx *c, const struct kapi_value *rr)
{
    const char *g = kv_str0(rr, "apiGroup"), *k = kv_str0(rr, "kind"), *n = kv_str0(rr, "name");
    return kapi_pool_printf(c->pool, "rbac.RoleRef{APIGroup:%s, Kind:%s, Name:%s}",
                            kapi_go_quote(c->pool, g, strlen(g)), kapi_go_quote(c->pool, k, strlen(k)),
                            kapi_go_quote(c->pool, n, strlen(n)));
}

static void rbac_binding(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old,
                         bool namespaced)
{
    const struct kapi_value *rr = kv_get(obj, "roleRef");
    static const char *const group[] = {"rbac.authorization.k8s.io"};
    static const char *const kinds_ns[] = {"Role", "ClusterRole"}, *const kinds_cl[] = {"ClusterRole"};
    const char *g = kv_str0(rr, "apiGroup"), *k = kv_str0(rr, "kind");
    if (strcmp(g, group[0]))
        kapi_ferr_not_supported(c->pool, c->errs, "roleRef.apiGroup", g, group, 1);
    if (namespaced ? !kv_in(k, kinds_ns, 2) : strcmp(k, "ClusterRole"))
        kapi_ferr_not_supported(c->pool, c->errs, "roleRef.kind", k, namespaced ? kinds_ns : kinds_cl,
                                namespaced ? 2 : 1);
    if (!*kv_str0(rr, "name"))
        kapi_ferr_required(c->pool, c->errs, "roleRef.name", "");
    const struct kapi_value *subs = kv_get(obj, "subjects");
    static const char *const skinds[] = {"ServiceAccount", "User", "Group"};
    for (size_t i = 0; i < kv_len(subs); i++) {
        const struct kapi_value *s = kv_item(subs, i);
        if (!*kv_str0(s, "name"))
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "subjects[%zu].name", i), "");
        const char *sk = kv_str0(s, "kind");
        if (!kv_in(sk, skinds, 3))
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "subjects[%zu].kind", i), sk, skinds, 3);
    }
    if (old && !kapi_value_equal(rr, kv_get(old, "roleRef")))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "roleRef", role_ref_repr(c, rr), "cannot change roleRef");
}

static void ingress(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    const struct kapi_value *rules = kv_get(spec, "rules");
    static const char *const types[] = {"Exact", "ImplementationSpecific", "Prefix"};
    for (size_t i = 0; i < kv_len(rules); i++) {
        const struct kapi_value *http = kv_get(kv_item(rules, i), "http");
        if (!http)
            continue;
        const struct kapi_value *paths = kv_get(http, "paths");
        if (kv_len(paths) == 0)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "spec.rules[%zu].http.paths", i), "");
        for (size_t j = 0; j < kv_len(paths); j++) {
            const struct kapi_value *p = kv_item(paths, j);
            const char *base = kv_path(c, "spec.rules[%zu].http.paths[%zu]", i, j);
            const char *pt = kv_str(p, "pathType");
            const char *path = kv_str0(p, "path");
            if (!pt)
                kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.pathType", base), "pathType must be specified");
            else if (!kv_in(pt, types, 3))
                kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.pathType", base), pt, types, 3);
            else if (strcmp(pt, "ImplementationSpecific") && path[0] != '/')
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.path", base), path, "must be an absolute path");
            const struct kapi_value *be = kv_get(p, "backend");
            if (!kv_get(be, "service") && !kv_get(be, "resource"))
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.backend", base), "",
                                  "one backend type must be specified");
        }
    }
}

/* kube-aggregator's ValidateAPIService (create and update alike). The name
 * must also read `<version>.<group>`; the path-segment rules come first,
 * from the generic ObjectMeta check (kapi_kind_name_fn). */
static void api_service(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    const char *group = kv_str0(spec, "group"), *version = kv_str0(spec, "version");
    const char *name = kv_str0(kv_get(obj, "metadata"), "name");
    const char *msgs[KAPI_NAME_MSGS_MAX];
    const char *want = kv_path(c, "%s.%s", version, group);
    if (*name && kapi_name_path_segment(name, false, msgs) == 0 && strcmp(name, want) != 0)
        kapi_ferr_invalid(c->pool, c->errs, "metadata.name", name,
                          kv_path(c, "must be `spec.version+\".\"+spec.group`: %s", kapi_go_quote(c->pool, want, strlen(want))));
    if (!*group && strcmp(version, "v1") != 0)
        kapi_ferr_required(c->pool, c->errs, "spec.group", "only v1 may have an empty group and it better be legacy kube");
    size_t n;
    if (*group) {
        n = kapi_is_dns1123_subdomain(group, msgs);
        for (size_t i = 0; i < n; i++)
            kapi_ferr_invalid(c->pool, c->errs, "spec.group", group, msgs[i]);
    }
    n = kapi_is_dns1035_label(version, msgs);
    for (size_t i = 0; i < n; i++)
        kapi_ferr_invalid(c->pool, c->errs, "spec.version", version, msgs[i]);
    int64_t v = 0;
    kv_int(spec, "groupPriorityMinimum", &v);
    if (v <= 0 || v > 20000)
        kapi_ferr_invalid_int(c->pool, c->errs, "spec.groupPriorityMinimum", v, "must be positive and less than 20000");
    v = 0;
    kv_int(spec, "versionPriority", &v);
    if (v <= 0 || v > 1000)
        kapi_ferr_invalid_int(c->pool, c->errs, "spec.versionPriority", v, "must be positive and less than 1000");
    char *ca = NULL;
    size_t ca_len = *kv_str0(spec, "caBundle") ? kv_b64_decode(c, kv_str0(spec, "caBundle"), &ca) : 0;
    const struct kapi_value *skip = kv_get(spec, "insecureSkipTLSVerify");
    bool insecure = skip && skip->type == KAPI_V_BOOL && skip->u.b;
    const struct kapi_value *svc = kv_get(spec, "service");
    if (!svc || svc->type != KAPI_V_OBJECT) {
        if (ca_len)
            kapi_ferr_invalid(c->pool, c->errs, "spec.caBundle", kv_path(c, "%zu bytes", ca_len),
                              "local APIServices may not have a caBundle");
        if (insecure)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.insecureSkipTLSVerify", "true",
                          "local APIServices may not have insecureSkipTLSVerify");
        return;
    }
    if (!*kv_str0(svc, "namespace"))
        kapi_ferr_required(c->pool, c->errs, "spec.service.namespace", "");
    if (!*kv_str0(svc, "name"))
        kapi_ferr_required(c->pool, c->errs, "spec.service.name", "");
    int64_t port = 0;
    kv_int(svc, "port", &port);
    if (port < 1 || port > 65535)
        kapi_ferr_invalid_int(c->pool, c->errs, "spec.service.port", port,
                              "port is not valid: must be between 1 and 65535, inclusive");
    if (insecure && ca_len)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.insecureSkipTLSVerify", "true",
                      "may not be true if caBundle is present");
}

bool kv_other(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
              const struct kapi_value *old)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    if (kv_net(c, group, kind, obj, old))
        return true;
    if (!strcmp(group, "rbac.authorization.k8s.io")) {
        if (!strcmp(kind, "Role"))
            rbac_rules(c, obj, true);
        else if (!strcmp(kind, "ClusterRole"))
            rbac_rules(c, obj, false);
        else if (!strcmp(kind, "RoleBinding"))
            rbac_binding(c, obj, old, true);
        else if (!strcmp(kind, "ClusterRoleBinding"))
            rbac_binding(c, obj, old, false);
        else
            return false;
    } else if (!strcmp(group, "networking.k8s.io") && !strcmp(kind, "Ingress")) {
        ingress(c, obj);
    } else if (!strcmp(group, "networking.k8s.io") && !strcmp(kind, "IngressClass")) {
        if (!*kv_str0(spec, "controller"))
            kapi_ferr_required(c->pool, c->errs, "spec.controller", "");
        else if (old)
            kv_immutable(c, kv_get(spec, "controller"), kv_get(kv_get(old, "spec"), "controller"),
                         "spec.controller", NULL);
    } else if (!strcmp(group, "coordination.k8s.io") && !strcmp(kind, "Lease")) {
        int64_t v;
        if (kv_int(spec, "leaseDurationSeconds", &v) && v <= 0)
            kapi_ferr_invalid_int(c->pool, c->errs, "spec.leaseDurationSeconds", v, "must be greater than 0");
        if (kv_int(spec, "leaseTransitions", &v) && v < 0)
            kapi_ferr_invalid_int(c->pool, c->errs, "spec.leaseTransitions", v, "must be greater than or equal to 0");
    } else if (!strcmp(group, "scheduling.k8s.io") && !strcmp(kind, "PriorityClass")) {
        static const char *const system[] = {"system-node-critical", "system-cluster-critical"};
        const char *name = kv_str0(kv_get(obj, "metadata"), "name");
        int64_t v = 0;
        kv_int(obj, "value", &v);
        if (!strncmp(name, "system-", 7) && !kv_in(name, system, 2))
            kapi_ferr_forbidden(c->pool, c->errs, "metadata.name",
                                "priority class names with 'system-' prefix are reserved for system use only");
        else if (!kv_in(name, system, 2) && v > 1000000000)
            kapi_ferr_forbidden(c->pool, c->errs, "value",
                                "maximum allowed value of a user defined priority is 1000000000");
        if (old && !kapi_value_equal(kv_get(obj, "value"), kv_get(old, "value")))
            kapi_ferr_forbidden(c->pool, c->errs, "value", "may not be changed in an update.");
    } else if (!strcmp(group, "policy") && !strcmp(kind, "PodDisruptionBudget")) {
        const struct kapi_value *mn = kv_get(spec, "minAvailable"), *mx = kv_get(spec, "maxUnavailable");
        if (mn && mx)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.minAvailable", kv_go_intstr(c, mn),
                          "minAvailable and maxUnavailable cannot be both set");
        kv_label_selector(c, kv_get(spec, "selector"), "spec.selector");
    } else if (!strcmp(group, "autoscaling") && !strcmp(kind, "HorizontalPodAutoscaler")) {
        int64_t mn = 1, mx = 0;
        bool has_min = kv_int(spec, "minReplicas", &mn);
        kv_int(spec, "maxReplicas", &mx);
        if (has_min && mn < 1)
            kapi_ferr_invalid_int(c->pool, c->errs, "spec.minReplicas", mn, "must be greater than or equal to 1");
        if (mx < 1)
            kapi_ferr_invalid_int(c->pool, c->errs, "spec.maxReplicas", mx, "must be greater than 0");
        if (mx >= 1 && mn > mx)
            kapi_ferr_invalid_int(c->pool, c->errs, "spec.maxReplicas", mx,
                                  "must be greater than or equal to `minReplicas`");
        const struct kapi_value *ref = kv_get(spec, "scaleTargetRef");
        if (!*kv_str0(ref, "kind"))
            kapi_ferr_required(c->pool, c->errs, "spec.scaleTargetRef.kind", "");
        if (!*kv_str0(ref, "name"))
            kapi_ferr_required(c->pool, c->errs, "spec.scaleTargetRef.name", "");
    } else if (!strcmp(group, "apiregistration.k8s.io") && !strcmp(kind, "APIService")) {
        api_service(c, obj);
    } else if (!strcmp(group, "apiextensions.k8s.io")) {
        return kv_apiext(c, kind, obj, old);
    } else if (!strcmp(group, "storage.k8s.io") && !strcmp(kind, "VolumeAttachment")) {
        kv_volume_attachment(c, obj, old);
    } else if (!strcmp(group, "storage.k8s.io") && !strcmp(kind, "StorageClass")) {
        const char *prov = kv_str0(obj, "provisioner");
        static const char *const policies[] = {"Delete", "Retain"};
        if (!*prov)
            kapi_ferr_required(c->pool, c->errs, "provisioner", "");
        const char *rp = kv_str(obj, "reclaimPolicy");
        if (rp && !kv_in(rp, policies, 2))
            kapi_ferr_not_supported(c->pool, c->errs, "reclaimPolicy", rp, policies, 2);
        if (old) {
            kv_immutable(c, kv_get(obj, "provisioner"), kv_get(old, "provisioner"), "provisioner", NULL);
        }
    } else {
        return false;
    }
    return true;
}
