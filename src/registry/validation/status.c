/* registry/validation/status: what kube-apiserver 1.33's status strategies
 * check on a write to /status (ValidatePodStatusUpdate,
 * ValidateServiceStatusUpdate, ValidatePersistentVolumeClaimStatusUpdate,
 * ValidateNamespaceStatusUpdate, the workload ValidateXStatusUpdate
 * functions, ValidateJobUpdateStatus, ValidateVolumeAttachmentUpdate,
 * ValidateValidatingAdmissionPolicyStatusUpdate, the flowcontrol
 * ValidateXStatusUpdate functions, ...). The ObjectMeta part of those
 * functions is the generic metadata update check; the spec is the stored one
 * and is not validated again, as upstream. */
#include "validation_int.h"

#include "../../base/b64.h"
#include "../../codec/jsonpath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char IP_MSG[] = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

const char *kv_go_time(struct kv_ctx *c, const char *t)
{
    /* "2006-01-02T15:04:05Z" (optionally with fractional seconds) */
    if (!t || strlen(t) < 20 || t[10] != 'T')
        return t ? kapi_go_quote(c->pool, t, strlen(t)) : "null";
    const char *frac = t + 19;
    const char *z = strchr(frac, 'Z');
    if (!z)
        return kapi_go_quote(c->pool, t, strlen(t));
    return kapi_pool_printf(c->pool, "%.10s %.8s%.*s +0000 UTC", t, t + 11, (int)(z - frac), frac);
}

/* Whether a condition list holds type with status "True". */
static bool cond_true(const struct kapi_value *obj, const char *type)
{
    const struct kapi_value *conds = kv_get(kv_get(obj, "status"), "conditions");
    for (size_t i = 0; i < kv_len(conds); i++) {
        const struct kapi_value *cd = kv_item(conds, i);
        if (!strcmp(kv_str0(cd, "type"), type) && !strcmp(kv_str0(cd, "status"), "True"))
            return true;
    }
    return false;
}

static int64_t ival(const struct kapi_value *o, const char *key)
{
    int64_t v = 0;
    kv_int(o, key, &v);
    return v;
}

/* Both absent, or equal. */
static bool same(const struct kapi_value *a, const struct kapi_value *b)
{
    if (!a || !b)
        return !a && !b;
    return kapi_value_equal(a, b);
}

/* ---- metav1.Condition lists (ValidateConditions). */

static bool reason_ok(const char *r)
{
    size_t n = strlen(r);
    if (!n || !((r[0] >= 'A' && r[0] <= 'Z') || (r[0] >= 'a' && r[0] <= 'z')))
        return false;
    for (size_t i = 1; i < n; i++) {
        char ch = r[i];
        bool alnum = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
        if (!alnum && !(i < n - 1 && (ch == ',' || ch == ':')))
            return false;
    }
    return true;
}

void kv_meta_conditions(struct kv_ctx *c, const struct kapi_value *conds, const char *fld)
{
    static const char *const STATUSES[] = {"False", "True", "Unknown"};
    for (size_t i = 0; i < kv_len(conds); i++) {
        const struct kapi_value *cd = kv_item(conds, i);
        const char *p = kv_path(c, "%s[%zu]", fld, i);
        const char *type = kv_str0(cd, "type");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(kv_str0(kv_item(conds, j), "type"), type)) {
                kapi_ferr_duplicate(c->pool, c->errs, kv_path(c, "%s.type", p), type);
                break;
            }
        kv_name_msgs(c, kv_path(c, "%s.type", p), type, kapi_is_qualified_name);
        const char *st = kv_str0(cd, "status");
        if (!kv_in(st, STATUSES, N(STATUSES)))
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.status", p), st, STATUSES, N(STATUSES));
        int64_t og;
        if (kv_int(cd, "observedGeneration", &og) && og < 0)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.observedGeneration", p), og,
                                  "must be greater than or equal to zero");
        if (!*kv_str0(cd, "lastTransitionTime"))
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.lastTransitionTime", p), "must be set");
        const char *reason = kv_str0(cd, "reason");
        if (!*reason) {
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.reason", p), "must be set");
        } else {
            if (!reason_ok(reason))
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.reason", p), reason,
                                  "a condition reason must start with alphabetic character, optionally followed by "
                                  "a string of alphanumeric characters or '_,:', and must end with an alphanumeric "
                                  "character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or "
                                  "'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is "
                                  "'[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')");
            if (strlen(reason) > 1024)
                kapi_ferr_too_long(c->pool, c->errs, kv_path(c, "%s.reason", p), 1024);
        }
        if (strlen(kv_str0(cd, "message")) > 32 * 1024)
            kapi_ferr_too_long(c->pool, c->errs, kv_path(c, "%s.message", p), 32 * 1024);
    }
}

/* ---- Pod (ValidatePodStatusUpdate). */

/* ValidateContainerStateTransition; init: restartable init containers of
 * spec may leave the terminated state. */
static void state_transitions(struct kv_ctx *c, const struct kapi_value *nst, const struct kapi_value *ost,
                              const char *fld, const char *restart, const struct kapi_value *init_spec)
{
    if (!strcmp(restart, "Always"))
        return;
    for (size_t i = 0; i < kv_len(ost); i++) {
        const struct kapi_value *os = kv_item(ost, i);
        const struct kapi_value *term = kv_get(kv_get(os, "state"), "terminated");
        if (!term)
            continue;
        if (ival(term, "exitCode") != 0 && !strcmp(restart, "OnFailure"))
            continue;
        const char *name = kv_str0(os, "name");
        bool restartable = false;
        for (size_t j = 0; init_spec && j < kv_len(init_spec); j++) {
            const struct kapi_value *ct = kv_item(init_spec, j);
            if (!strcmp(kv_str0(ct, "name"), name)) {
                restartable = !strcmp(kv_str0(ct, "restartPolicy"), "Always");
                break;
            }
        }
        if (restartable)
            continue;
        for (size_t j = 0; j < kv_len(nst); j++) {
            const struct kapi_value *ns = kv_item(nst, j);
            if (!strcmp(kv_str0(ns, "name"), name) && !kv_get(kv_get(ns, "state"), "terminated"))
                kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s[%zu].state", fld, i),
                                    "may not be transitioned to non-terminated state");
        }
    }
}

/* []core.PodIP{core.PodIP{IP:"..."}, ...} and the single element form. */
static const char *go_ip_list(struct kv_ctx *c, const struct kapi_value *ips, const char *type, long only)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    if (only < 0)
        kapi_buf_printf(&b, "[]core.%s{", type);
    for (size_t i = 0; i < kv_len(ips); i++) {
        if (only >= 0 && (size_t)only != i)
            continue;
        const char *ip = kv_str0(kv_item(ips, i), "ip");
        if (only < 0 && i)
            kapi_buf_puts(&b, ", ");
        kapi_buf_printf(&b, "core.%s{IP:", type);
        kapi_go_quote_buf(&b, ip, strlen(ip));
        kapi_buf_putc(&b, '}');
    }
    if (only < 0)
        kapi_buf_putc(&b, '}');
    const char *s = kapi_pool_strndup(c->pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
}

/* validatePodIPs / validateHostIPs */
static void pod_ips(struct kv_ctx *c, const struct kapi_value *st, bool host)
{
    const char *key = host ? "hostIPs" : "podIPs", *type = host ? "HostIP" : "PodIP";
    const struct kapi_value *ips = kv_get(st, key);
    size_t n = kv_len(ips);
    const char *fld = kv_path(c, "status.%s", key);
    if (host && n == 0)
        return;
    if (host && strcmp(kv_str0(st, "hostIP"), kv_str0(kv_item(ips, 0), "ip")))
        kapi_ferr_invalid(c->pool, c->errs, "status.hostIPs[0].ip", kv_str0(kv_item(ips, 0), "ip"),
                          "must be equal to `hostIP`");
    for (size_t i = 0; i < n; i++) {
        const char *ip = kv_str0(kv_item(ips, i), "ip");
        if (!kv_ip_sloppy(ip))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s[%zu]", fld, i), ip, IP_MSG);
    }
    if (n <= 1)
        return;
    int v4 = 0, v6 = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ip = kv_str0(kv_item(ips, i), "ip");
        if (kv_ip_sloppy(ip)) {
            if (strchr(ip, ':'))
                v6++;
            else
                v4++;
        }
    }
    bool dual = v4 > 0 && v6 > 0;
    const char *dual_msg = "may specify no more than one IP for each IP family";
    if (!host && (!dual || n > 2))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, go_ip_list(c, ips, type, -1), dual_msg);
    for (size_t i = 1; i < n; i++) {
        const char *ip = kv_str0(kv_item(ips, i), "ip");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(kv_str0(kv_item(ips, j), "ip"), ip)) {
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_DUPLICATE, kv_path(c, "%s[%zu]", fld, i),
                              go_ip_list(c, ips, type, (long)i), NULL);
                break;
            }
    }
    if (host && (!dual || n > 2))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, go_ip_list(c, ips, type, -1), dual_msg);
}

/* validateContainerStatusUsers */
static void status_users(struct kv_ctx *c, const struct kapi_value *sts, const char *fld, bool windows)
{
    static const char RANGE[] = "must be between 0 and 2147483647, inclusive";
    for (size_t i = 0; i < kv_len(sts); i++) {
        const struct kapi_value *user = kv_get(kv_item(sts, i), "user");
        if (!user)
            continue;
        const struct kapi_value *lx = kv_get(user, "linux");
        const char *p = kv_path(c, "%s[%zu].linux", fld, i);
        if (windows) {
            if (lx)
                kapi_ferr_forbidden(c->pool, c->errs, p, "cannot be set for a windows pod");
            continue;
        }
        if (!lx)
            continue;
        int64_t v = ival(lx, "uid");
        if (v < 0 || v > 2147483647)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.uid", p), v, RANGE);
        v = ival(lx, "gid");
        if (v < 0 || v > 2147483647)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.gid", p), v, RANGE);
        const struct kapi_value *sg = kv_get(lx, "supplementalGroups");
        for (size_t g = 0; g < kv_len(sg); g++) {
            const struct kapi_value *gv = kv_item(sg, g);
            v = gv && gv->type == KAPI_V_INT ? gv->u.i : 0;
            if (v < 0 || v > 2147483647)
                kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.supplementalGroups[%zu]", p, g), v, RANGE);
        }
    }
}

/* validateContainerStatusAllocatedResourcesStatus (ctrs NULL: ephemeral
 * containers, which may not report any). */
static void allocated_status(struct kv_ctx *c, const struct kapi_value *sts, const char *fld,
                             const struct kapi_value *ctrs, bool ephemeral)
{
    static const char *const HEALTH[] = {"Healthy", "Unhealthy", "Unknown"};
    for (size_t i = 0; i < kv_len(sts); i++) {
        const struct kapi_value *cs = kv_item(sts, i);
        const struct kapi_value *ars = kv_get(cs, "allocatedResourcesStatus");
        if (ephemeral) {
            if (kv_len(ars))
                kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s[%zu].allocatedResourcesStatus", fld, i),
                                    "must not be specified in container status");
            continue;
        }
        const struct kapi_value *ct = NULL;
        for (size_t k = 0; k < kv_len(ctrs) && !ct; k++)
            if (!strcmp(kv_str0(kv_item(ctrs, k), "name"), kv_str0(cs, "name")))
                ct = kv_item(ctrs, k);
        for (size_t j = 0; j < kv_len(ars); j++) {
            const struct kapi_value *ar = kv_item(ars, j);
            const char *name = kv_str0(ar, "name");
            const char *p = kv_path(c, "%s[%zu].allocatedResourcesStatus[%zu]", fld, i, j);
            if (ct) {
                bool found = false;
                const char *msg;
                const struct kapi_value *res = kv_get(ct, "resources");
                if (!strncmp(name, "claim:", 6)) {
                    msg = "must match one of the container's resource claims in a format "
                          "'claim:<claimName>/<request>' or 'claim:<claimName>' if request is empty";
                    const struct kapi_value *claims = kv_get(res, "claims");
                    for (size_t k = 0; k < kv_len(claims) && !found; k++) {
                        const struct kapi_value *cl = kv_item(claims, k);
                        const char *rq = kv_str0(cl, "request");
                        const char *want = *rq ? kv_path(c, "claim:%s/%s", kv_str0(cl, "name"), rq)
                                               : kv_path(c, "claim:%s", kv_str0(cl, "name"));
                        found = !strcmp(want, name);
                    }
                } else {
                    msg = "must match one of the container's resource requests";
                    found = kv_get(kv_get(res, "requests"), name) != NULL;
                }
                if (!found)
                    kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.name", p), name, msg);
            }
            const struct kapi_value *rs = kv_get(ar, "resources");
            for (size_t k = 0; k < kv_len(rs); k++) {
                const struct kapi_value *r = kv_item(rs, k);
                const char *h = kv_str0(r, "health");
                if (!kv_in(h, HEALTH, N(HEALTH)))
                    kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.resources[%zu].health", p, k), h,
                                            HEALTH, N(HEALTH));
                const char *id = kv_str0(r, "resourceID");
                for (size_t m = 0; m < k; m++)
                    if (!strcmp(kv_str0(kv_item(rs, m), "resourceID"), id)) {
                        kapi_ferr_duplicate(c->pool, c->errs, kv_path(c, "%s.resources[%zu].resourceID", p, k), id);
                        break;
                    }
            }
        }
    }
}

static void pod_status(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *st = kv_get(obj, "status"), *ost = kv_get(old, "status");
    const struct kapi_value *spec = kv_get(obj, "spec"), *ospec = kv_get(old, "spec");
    /* ValidatePodSpecificAnnotationUpdates, with the options of the stored pod */
    kv_options_from_old(c, "Pod", old);
    kv_pod_annotation_updates(c, kv_get(kv_get(obj, "metadata"), "annotations"),
                              kv_get(kv_get(old, "metadata"), "annotations"), spec, "metadata.annotations");
    /* validatePodConditions, reported under upstream's "metadata" prefix */
    static const char *const SYSTEM[] = {"PodScheduled", "Ready", "Initialized"};
    const struct kapi_value *conds = kv_get(st, "conditions");
    for (size_t i = 0; i < kv_len(conds); i++) {
        const char *t = kv_str0(kv_item(conds, i), "type");
        if (!kv_in(t, SYSTEM, N(SYSTEM)))
            kv_name_msgs(c, kv_path(c, "metadata.conditions[%zu].Type", i), t, kapi_is_qualified_name);
    }
    if (strcmp(kv_str0(spec, "nodeName"), kv_str0(ospec, "nodeName")))
        kapi_ferr_forbidden(c->pool, c->errs, "status.nodeName", "may not be changed directly");
    const char *nn = kv_str0(st, "nominatedNodeName");
    if (*nn && strcmp(nn, kv_str0(ost, "nominatedNodeName")))
        kv_name_msgs(c, "status.nominatedNodeName", nn, kapi_is_dns1123_subdomain);
    const char *q = kv_str0(st, "qosClass"), *oq = kv_str0(ost, "qosClass");
    if (strcmp(q, oq))
        kapi_ferr_invalid(c->pool, c->errs, "status.qosClass", q, "field is immutable");
    const char *restart = kv_str0(ospec, "restartPolicy");
    state_transitions(c, kv_get(st, "containerStatuses"), kv_get(ost, "containerStatuses"),
                      "status.containerStatuses", restart, NULL);
    state_transitions(c, kv_get(st, "initContainerStatuses"), kv_get(ost, "initContainerStatuses"),
                      "status.initContainerStatuses", restart, kv_get(ospec, "initContainers"));
    state_transitions(c, kv_get(st, "ephemeralContainerStatuses"), kv_get(ost, "ephemeralContainerStatuses"),
                      "status.ephemeralContainerStatuses", "Never", NULL);
    /* validatePodResourceClaimStatuses */
    const struct kapi_value *rcs = kv_get(st, "resourceClaimStatuses"), *claims = kv_get(spec, "resourceClaims");
    for (size_t i = 0; i < kv_len(rcs); i++) {
        const struct kapi_value *r = kv_item(rcs, i);
        const char *name = kv_str0(r, "name");
        const char *p = kv_path(c, "status.resourceClaimStatuses[%zu].name", i);
        bool found = false;
        for (size_t j = 0; j < kv_len(claims) && !found; j++)
            found = !strcmp(kv_str0(kv_item(claims, j), "name"), name);
        if (!found)
            kapi_ferr_invalid(c->pool, c->errs, p, name, "must match the name of an entry in `spec.resourceClaims`");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(kv_str0(kv_item(rcs, j), "name"), name)) {
                kapi_ferr_duplicate(c->pool, c->errs, p, name);
                break;
            }
        const char *rcn = kv_str(r, "resourceClaimName");
        if (rcn)
            kv_name_msgs(c, p, rcn, kapi_is_dns1123_subdomain);
    }
    pod_ips(c, st, false);
    pod_ips(c, st, true);
    bool windows = !strcmp(kv_str0(kv_get(spec, "os"), "name"), "windows");
    status_users(c, kv_get(st, "containerStatuses"), "status.containerStatuses", windows);
    status_users(c, kv_get(st, "initContainerStatuses"), "status.initContainerStatuses", windows);
    status_users(c, kv_get(st, "ephemeralContainerStatuses"), "status.ephemeralContainerStatuses", windows);
    allocated_status(c, kv_get(st, "containerStatuses"), "status.containerStatuses", kv_get(spec, "containers"),
                     false);
    allocated_status(c, kv_get(st, "initContainerStatuses"), "status.initContainerStatuses",
                     kv_get(spec, "initContainers"), false);
    allocated_status(c, kv_get(st, "ephemeralContainerStatuses"), "status.ephemeralContainerStatuses", NULL, true);
}

/* ---- Service (ValidateLoadBalancerStatus) and Ingress
 * (ValidateIngressLoadBalancerStatus): the same ip / hostname rules, ipMode
 * only for a Service. */

static void lb_ingress(struct kv_ctx *c, const struct kapi_value *ing, bool service)
{
    static const char *const MODES[] = {"Proxy", "VIP"};
    for (size_t i = 0; i < kv_len(ing); i++) {
        const struct kapi_value *in = kv_item(ing, i);
        const char *p = kv_path(c, "status.loadBalancer.ingress[%zu]", i);
        const char *ip = kv_str0(in, "ip"), *mode = kv_str(in, "ipMode"), *host = kv_str0(in, "hostname");
        if (*ip && !kv_ip_sloppy(ip))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.ip", p), ip, IP_MSG);
        const char *mp = kv_path(c, "%s.ipMode", p);
        if (service && !mode && *ip)
            kapi_ferr_required(c->pool, c->errs, mp, "must be specified when `ip` is set");
        else if (service && mode && !*ip)
            kapi_ferr_forbidden(c->pool, c->errs, mp, "may not be specified when `ip` is not set");
        else if (service && mode && !kv_in(mode, MODES, N(MODES)))
            kapi_ferr_not_supported(c->pool, c->errs, mp, mode, MODES, N(MODES));
        if (*host) {
            kv_name_msgs(c, kv_path(c, "%s.hostname", p), host, kapi_is_dns1123_subdomain);
            if (kv_ip_sloppy(host))
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.hostname", p), host,
                                  "must be a DNS name, not an IP address");
        }
    }
}

static void service_status(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *ing = kv_get(kv_get(kv_get(obj, "status"), "loadBalancer"), "ingress");
    if (strcmp(kv_str0(kv_get(obj, "spec"), "type"), "LoadBalancer") && kv_len(ing)) {
        kapi_ferr_forbidden(c->pool, c->errs, "status.loadBalancer.ingress",
                            "may only be used when `spec.type` is 'LoadBalancer'");
        return;
    }
    lb_ingress(c, ing, true);
}

/* ---- PersistentVolumeClaim (ValidatePersistentVolumeClaimStatusUpdate,
 * RecoverVolumeExpansionFailure on as in 1.33). */

/* validatePersistentVolumeClaimResourceKey; true when valid */
static bool pvc_resource_key(struct kv_ctx *c, const char *key, const char *fld)
{
    size_t before = c->errs->len;
    kv_name_msgs(c, fld, key, kapi_is_qualified_name);
    if (c->errs->len != before)
        return false;
    bool native = !strchr(key, '/') || strstr(key, "kubernetes.io/");
    if (native && strcmp(key, "storage")) {
        static const char *const STORAGE[] = {"storage"};
        kapi_ferr_not_supported(c->pool, c->errs, fld, key, STORAGE, 1);
        return false;
    }
    return true;
}

/* quantity.Value() (rounded up) of a quantity string */
static bool quantity_value(const char *s, int64_t *out)
{
    long double q;
    if (!kv_quantity(s, &q))
        return false;
    *out = (int64_t)ceill(q);
    return true;
}

static void pvc_status(struct kv_ctx *c, const struct kapi_value *obj)
{
    static const char *const RESIZE[] = {"ControllerResizeInProgress", "ControllerResizeInfeasible",
                                         "NodeResizeInProgress", "NodeResizeInfeasible", "NodeResizePending"};
    const struct kapi_value *st = kv_get(obj, "status");
    if (kv_len(kv_get(kv_get(obj, "spec"), "accessModes")) == 0)
        kapi_ferr_required(c->pool, c->errs, "Spec.accessModes", "");
    const struct kapi_value *cap = kv_get(st, "capacity");
    for (size_t i = 0; i < kv_len(cap); i++) {
        const struct kapi_member *m = &cap->u.obj.members[i];
        int64_t v;
        if (quantity_value(kapi_value_cstr(m->val), &v) && v < 0)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "status.capacity[%s]", m->key), v,
                                  "must be a valid resource quantity");
    }
    const struct kapi_value *ars = kv_get(st, "allocatedResourceStatuses");
    for (size_t i = 0; i < kv_len(ars); i++) {
        const struct kapi_member *m = &ars->u.obj.members[i];
        pvc_resource_key(c, m->key, "status.allocatedResourceStatus");
        if (!kv_in(kapi_value_cstr(m->val), RESIZE, N(RESIZE)))
            kapi_ferr_not_supported(c->pool, c->errs, "status.allocatedResourceStatus", m->key, RESIZE, N(RESIZE));
    }
    const struct kapi_value *alloc = kv_get(st, "allocatedResources");
    for (size_t i = 0; i < kv_len(alloc); i++) {
        const struct kapi_member *m = &alloc->u.obj.members[i];
        if (!pvc_resource_key(c, m->key, "status.allocatedResources"))
            continue;
        const char *s = kapi_value_cstr(m->val);
        const char *p = kv_path(c, "status.allocatedResources[%s]", m->key);
        int64_t v;
        if (quantity_value(s, &v) && v < 0)
            kapi_ferr_invalid_int(c->pool, c->errs, p, v, "must be a valid resource quantity");
        else /* upstream names the resource storage here, whatever the key */
            kv_resource_quantity_value(c, "storage", m->val, p);
    }
}

/* ---- Workload counters. */

/* ValidateNonnegativeField over keys, then the "cannot be greater than" pairs. */
static void nonneg_all(struct kv_ctx *c, const struct kapi_value *st, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kv_nonneg(c, "status", st, keys[i]);
}

static void not_above(struct kv_ctx *c, const struct kapi_value *st, const char *key, const char *limit,
                      const char *msg)
{
    int64_t v = ival(st, key);
    if (v > ival(st, limit))
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "status.%s", key), v, msg);
}

static void collision_not_decremented(struct kv_ctx *c, const struct kapi_value *st, const struct kapi_value *ost)
{
    int64_t nv, ov;
    bool has_n = kv_int(st, "collisionCount", &nv), has_o = kv_int(ost, "collisionCount", &ov);
    if ((!has_n && has_o) || (has_n && has_o && nv < ov))
        kapi_ferr_invalid_int(c->pool, c->errs, "status.collisionCount", has_n ? nv : 0, "cannot be decremented");
}

static const char GT_REPLICAS[] = "cannot be greater than status.replicas";

static void replica_set_status(struct kv_ctx *c, const struct kapi_value *st)
{
    static const char *const K[] = {"replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                                    "observedGeneration"};
    nonneg_all(c, st, K, N(K));
    not_above(c, st, "fullyLabeledReplicas", "replicas", GT_REPLICAS);
    not_above(c, st, "readyReplicas", "replicas", GT_REPLICAS);
    not_above(c, st, "availableReplicas", "replicas", GT_REPLICAS);
    not_above(c, st, "availableReplicas", "readyReplicas", "cannot be greater than readyReplicas");
}

static void deployment_status(struct kv_ctx *c, const struct kapi_value *st, const struct kapi_value *ost)
{
    static const char *const K[] = {"observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                                    "availableReplicas", "unavailableReplicas", "collisionCount"};
    nonneg_all(c, st, K, N(K));
    not_above(c, st, "updatedReplicas", "replicas", GT_REPLICAS);
    not_above(c, st, "readyReplicas", "replicas", GT_REPLICAS);
    not_above(c, st, "availableReplicas", "replicas", GT_REPLICAS);
    not_above(c, st, "availableReplicas", "readyReplicas", "cannot be greater than readyReplicas");
    collision_not_decremented(c, st, ost);
}

static void stateful_set_status(struct kv_ctx *c, const struct kapi_value *st, const struct kapi_value *ost)
{
    static const char *const K[] = {"replicas", "readyReplicas", "currentReplicas", "updatedReplicas",
                                    "availableReplicas", "observedGeneration", "collisionCount"};
    nonneg_all(c, st, K, N(K));
    not_above(c, st, "readyReplicas", "replicas", GT_REPLICAS);
    not_above(c, st, "currentReplicas", "replicas", GT_REPLICAS);
    not_above(c, st, "updatedReplicas", "replicas", GT_REPLICAS);
    not_above(c, st, "availableReplicas", "replicas", GT_REPLICAS);
    not_above(c, st, "availableReplicas", "readyReplicas", "cannot be greater than status.readyReplicas");
    collision_not_decremented(c, st, ost);
}

static void daemon_set_status(struct kv_ctx *c, const struct kapi_value *st, const struct kapi_value *ost)
{
    static const char *const K[] = {"currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled",
                                    "numberReady", "observedGeneration", "updatedNumberScheduled",
                                    "numberAvailable", "numberUnavailable", "collisionCount"};
    nonneg_all(c, st, K, N(K));
    collision_not_decremented(c, st, ost);
}

/* ---- Job (ValidateJobUpdateStatus with the JobManagedBy options of the
 * status strategy). */

/* parseIndexInterval; NULL on success, else the error text. */
static const char *index_interval(struct kv_ctx *c, const char *s, size_t len, int64_t completions, int64_t *x,
                                  int64_t *y)
{
    const char *frag = kapi_pool_strndup(c->pool, s, len);
    const char *dash = strchr(frag, '-');
    if (dash && strchr(dash + 1, '-'))
        return kapi_pool_printf(c->pool,
                                "the fragment %s violates the requirement that an index interval can have at most "
                                "two parts separated by '-'",
                                kapi_go_quote(c->pool, frag, strlen(frag)));
    const char *parts[2] = {dash ? kapi_pool_strndup(c->pool, frag, (size_t)(dash - frag)) : frag,
                            dash ? dash + 1 : NULL};
    int64_t v[2] = {0, 0};
    for (int k = 0; k < (dash ? 2 : 1); k++) {
        const char *p = parts[k];
        char *end;
        const char *q = p;
        if (*q == '+' || *q == '-')
            q++;
        bool digits = *q >= '0' && *q <= '9';
        long long n = strtoll(p, &end, 10);
        if (!digits || *end)
            return kapi_pool_printf(c->pool, "cannot convert string to integer for index: %s",
                                    kapi_go_quote(c->pool, p, strlen(p)));
        if (n >= completions)
            return kapi_pool_printf(c->pool, "too large index: %s", kapi_go_quote(c->pool, p, strlen(p)));
        v[k] = n;
    }
    if (dash && v[0] >= v[1])
        return kapi_pool_printf(c->pool, "non-increasing order, previous: %lld, current: %lld", (long long)v[0],
                                (long long)v[1]);
    *x = v[0];
    *y = dash ? v[1] : v[0];
    return NULL;
}

/* validateIndexesFormat */
static const char *indexes_format(struct kv_ctx *c, const char *s, int64_t completions)
{
    if (!*s)
        return NULL;
    bool have_last = false;
    int64_t last = 0;
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int64_t x, y;
        const char *err = index_interval(c, p, len, completions, &x, &y);
        if (err)
            return err;
        if (have_last && last >= x)
            return kapi_pool_printf(c->pool, "non-increasing order, previous: %lld, current: %lld", (long long)last,
                                    (long long)x);
        last = y;
        have_last = true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return NULL;
}

struct interval_list {
    int64_t *x, *y;
    bool *bad;
    size_t n;
};

static void intervals(struct kv_ctx *c, const char *s, int64_t completions, struct interval_list *out)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    out->x = kapi_pool_alloc(c->pool, n * sizeof(int64_t));
    out->y = kapi_pool_alloc(c->pool, n * sizeof(int64_t));
    out->bad = kapi_pool_alloc(c->pool, n * sizeof(bool));
    out->n = n;
    const char *p = s;
    for (size_t i = 0; i < n; i++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        out->bad[i] = index_interval(c, p, len, completions, &out->x[i], &out->y[i]) != NULL;
        p = comma ? comma + 1 : p + len;
    }
}

/* validateFailedIndexesNotOverlapCompleted */
static const char *indexes_overlap(struct kv_ctx *c, const char *completed, const char *failed, int64_t completions)
{
    if (!*completed || !*failed)
        return NULL;
    struct interval_list ci, fi;
    intervals(c, completed, completions, &ci);
    intervals(c, failed, completions, &fi);
    size_t cp = 0, fp = 0;
    while (cp < ci.n && fp < fi.n) {
        if (ci.bad[cp]) {
            cp++;
        } else if (fi.bad[fp]) {
            fp++;
        } else {
            if (ci.x[cp] <= fi.y[fp] && fi.x[fp] <= ci.y[cp])
                return kapi_pool_printf(c->pool, "failedIndexes and completedIndexes overlap at index: %lld",
                                        (long long)(ci.x[cp] > fi.x[fp] ? ci.x[cp] : fi.x[fp]));
            if (ci.x[cp] <= fi.x[fp])
                cp++;
            else
                fp++;
        }
    }
    return NULL;
}

/* batch.UncountedTerminatedPods{...} as %#v prints it */
static const char *go_uncounted(struct kv_ctx *c, const struct kapi_value *u)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "batch.UncountedTerminatedPods{");
    static const char *const keys[] = {"succeeded", "failed"}, *const names[] = {"Succeeded", "Failed"};
    for (int k = 0; k < 2; k++) {
        const struct kapi_value *l = kv_get(u, keys[k]);
        kapi_buf_printf(&b, "%s%s:", k ? ", " : "", names[k]);
        if (!l || l->type != KAPI_V_ARRAY) {
            kapi_buf_puts(&b, "[]types.UID(nil)");
            continue;
        }
        kapi_buf_puts(&b, "[]types.UID{");
        for (size_t i = 0; i < kv_len(l); i++) {
            const char *s = kapi_value_cstr(kv_item(l, i));
            if (i)
                kapi_buf_puts(&b, ", ");
            kapi_go_quote_buf(&b, s ? s : "", s ? strlen(s) : 0);
        }
        kapi_buf_putc(&b, '}');
    }
    kapi_buf_putc(&b, '}');
    const char *s = kapi_pool_strndup(c->pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

static void omit(struct kv_ctx *c, const char *fld, const char *msg)
{
    kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, NULL, msg);
}

static void job_status(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *st = kv_get(obj, "status"), *ost = kv_get(old, "status");
    const struct kapi_value *spec = kv_get(obj, "spec");
    bool indexed = !strcmp(kv_str0(spec, "completionMode"), "Indexed");
    bool finished = cond_true(obj, "Complete") || cond_true(obj, "Failed");
    bool ofinished = cond_true(old, "Complete") || cond_true(old, "Failed");
    bool complete = cond_true(obj, "Complete"), failed = cond_true(obj, "Failed");
    bool ftarget = cond_true(obj, "FailureTarget"), scm = cond_true(obj, "SuccessCriteriaMet");
    bool finished_ch = finished != ofinished, complete_ch = complete != cond_true(old, "Complete");
    bool failed_ch = failed != cond_true(old, "Failed"), ftarget_ch = ftarget != cond_true(old, "FailureTarget");
    bool cidx_ch = strcmp(kv_str0(st, "completedIndexes"), kv_str0(ost, "completedIndexes")) != 0;
    bool fidx_ch = !same(kv_get(st, "failedIndexes"), kv_get(ost, "failedIndexes"));
    bool active_ch = ival(st, "active") != ival(ost, "active");
    bool start_ch = !same(kv_get(st, "startTime"), kv_get(ost, "startTime"));
    bool ctime_ch = !same(kv_get(st, "completionTime"), kv_get(ost, "completionTime"));
    bool unc_ch = !same(kv_get(st, "uncountedTerminatedPods"), kv_get(ost, "uncountedTerminatedPods"));
    bool scm_ch = scm != cond_true(old, "SuccessCriteriaMet");
    bool ready_ch = !same(kv_get(st, "ready"), kv_get(ost, "ready"));
    bool term_ch = !same(kv_get(st, "terminating"), kv_get(ost, "terminating"));
    int64_t completions = 0;
    bool has_completions = kv_int(spec, "completions", &completions);

    /* validateJobStatus */
    static const char *const K[] = {"active", "succeeded", "failed", "ready", "terminating"};
    nonneg_all(c, st, K, N(K));
    const struct kapi_value *unc = kv_get(st, "uncountedTerminatedPods");
    if (unc) {
        const char **seen = kapi_pool_alloc(c->pool, (kv_len(kv_get(unc, "succeeded")) + kv_len(kv_get(unc, "failed")) + 1) *
                                                         sizeof(*seen));
        size_t ns = 0;
        static const char *const lists[] = {"succeeded", "failed"};
        for (int l = 0; l < 2; l++) {
            const struct kapi_value *arr = kv_get(unc, lists[l]);
            for (size_t i = 0; i < kv_len(arr); i++) {
                const char *k = kapi_value_cstr(kv_item(arr, i));
                k = k ? k : "";
                const char *p = kv_path(c, "status.uncountedTerminatedPods.%s[%zu]", lists[l], i);
                bool dup = false;
                for (size_t j = 0; j < ns && !dup; j++)
                    dup = !strcmp(seen[j], k);
                if (!*k)
                    kapi_ferr_invalid(c->pool, c->errs, p, k, "must not be empty");
                else if (dup)
                    kapi_ferr_duplicate(c->pool, c->errs, p, k);
                else
                    seen[ns++] = k;
            }
        }
    }
    if ((complete_ch || failed_ch) && complete && failed)
        omit(c, "status.conditions", "cannot set Complete=True and Failed=true conditions");
    if ((complete_ch || ftarget_ch) && complete && ftarget)
        omit(c, "status.conditions", "cannot set Complete=True and FailureTarget=true conditions");
    const char *ct = kv_str(st, "completionTime"), *stt = kv_str(st, "startTime");
    if ((complete_ch || ctime_ch) && ct && !complete)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "status.completionTime", kv_go_time(c, ct),
                      "cannot set completionTime when there is no Complete=True condition");
    if ((complete_ch || ctime_ch) && !ct && complete)
        kapi_ferr_required(c->pool, c->errs, "status.completionTime", "completionTime is required for Complete jobs");
    if ((start_ch || ctime_ch) && ct && stt && strcmp(ct, stt) < 0)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "status.completionTime", kv_go_time(c, ct),
                      "completionTime cannot be set before startTime");
    if ((failed_ch || fidx_ch) && failed && !ftarget)
        omit(c, "status.conditions", "cannot set Failed=True condition without the FailureTarget=true condition");
    if ((complete_ch || scm_ch) && complete && !scm)
        omit(c, "status.conditions", "cannot set Complete=True condition without the SuccessCriteriaMet=true condition");
    int64_t active = ival(st, "active");
    if ((finished_ch || active_ch) && active > 0 && finished)
        kapi_ferr_invalid_int(c->pool, c->errs, "status.active", active, "active>0 is invalid for finished job");
    if ((finished_ch || start_ch) && !stt && finished)
        kapi_ferr_required(c->pool, c->errs, "status.startTime", "startTime is required for finished job");
    if ((finished_ch || unc_ch) && finished &&
        kv_len(kv_get(unc, "failed")) + kv_len(kv_get(unc, "succeeded")) > 0)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "status.uncountedTerminatedPods", go_uncounted(c, unc),
                      "uncountedTerminatedPods needs to be empty for finished job");
    const char *cidx = kv_str0(st, "completedIndexes"), *fidx = kv_str(st, "failedIndexes");
    const char *err;
    if (cidx_ch && has_completions && (err = indexes_format(c, cidx, completions)))
        kapi_ferr_invalid(c->pool, c->errs, "status.completedIndexes", cidx,
                          kapi_pool_printf(c->pool, "error parsing completedIndexes: %s", err));
    bool per_index = kv_get(spec, "backoffLimitPerIndex") != NULL;
    if (fidx_ch && has_completions && per_index && fidx && (err = indexes_format(c, fidx, completions)))
        kapi_ferr_invalid(c->pool, c->errs, "status.failedIndexes", fidx,
                          kapi_pool_printf(c->pool, "error parsing failedIndexes: %s", err));
    if (cidx_ch && *cidx && !indexed)
        kapi_ferr_invalid(c->pool, c->errs, "status.completedIndexes", cidx,
                          "cannot set non-empty completedIndexes when non-indexed completion mode");
    if (fidx_ch && !per_index && fidx)
        kapi_ferr_invalid(c->pool, c->errs, "status.failedIndexes", fidx,
                          "cannot set non-null failedIndexes when backoffLimitPerIndex is null");
    if ((fidx_ch || cidx_ch) && has_completions && fidx && (err = indexes_overlap(c, cidx, fidx, completions)))
        kapi_ferr_invalid(c->pool, c->errs, "status.failedIndexes", fidx, err);
    int64_t terminating, ready;
    if ((finished_ch || term_ch) && kv_int(st, "terminating", &terminating) && terminating > 0 && finished)
        kapi_ferr_invalid_int(c->pool, c->errs, "status.terminating", terminating,
                              "terminating>0 is invalid for finished job");
    if ((ready_ch || active_ch) && kv_int(st, "ready", &ready) && ready > active)
        kapi_ferr_invalid_int(c->pool, c->errs, "status.ready", ready, "cannot set more ready pods than active");
    if (scm && failed)
        omit(c, "status.conditions", "cannot set SuccessCriteriaMet=True and Failed=true conditions");
    if (scm && ftarget)
        omit(c, "status.conditions", "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions");
    if (kv_get(spec, "successPolicy") && !scm && complete)
        omit(c, "status.conditions", "cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True");

    /* ValidateJobStatusUpdate */
    static const char *const TERMINAL[] = {"Failed", "Complete", "FailureTarget"};
    for (size_t i = 0; i < N(TERMINAL); i++)
        if (cond_true(old, TERMINAL[i]) && !cond_true(obj, TERMINAL[i]))
            omit(c, "status.conditions",
                 kapi_pool_printf(c->pool, "cannot disable the terminal %s=True condition", TERMINAL[i]));
    if (ival(st, "failed") < ival(ost, "failed"))
        kapi_ferr_invalid_int(c->pool, c->errs, "status.failed", ival(st, "failed"), "cannot decrease the failed counter");
    bool same_cp = same(kv_get(spec, "completions"), kv_get(spec, "parallelism"));
    if ((!indexed || !same_cp) && ival(st, "succeeded") < ival(ost, "succeeded"))
        kapi_ferr_invalid_int(c->pool, c->errs, "status.succeeded", ival(st, "succeeded"),
                              "cannot decrease the succeeded counter");
    const char *oct = kv_str(ost, "completionTime"), *ostt = kv_str(ost, "startTime");
    if (ct && oct && strcmp(ct, oct))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "status.completionTime", kv_go_time(c, ct),
                      "completionTime cannot be mutated");
    if (start_ch && ostt && !kv_bool(spec, "suspend"))
        kapi_ferr_required(c->pool, c->errs, "status.startTime", "startTime cannot be removed for unsuspended job");
    if (cond_true(old, "SuccessCriteriaMet") && !scm)
        omit(c, "status.conditions", "cannot disable the SuccessCriteriaMet=True condition");
    if (cond_true(old, "Complete") && !cond_true(old, "SuccessCriteriaMet") && scm)
        omit(c, "status.conditions", "cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions");
}

/* ---- CertificateSigningRequest (ValidateCertificateSigningRequestStatusUpdate):
 * the status half of validateCertificateSigningRequestUpdate with the
 * status subresource's options (certificate may be set once, Approved /
 * Denied conditions not touched); with approval, the /approval options
 * (Approved / Denied may be added or changed, not removed). */

static size_t count_type(const struct kapi_value *conds, const char *type, const struct kapi_value **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < kv_len(conds); i++)
        if (!strcmp(kv_str0(kv_item(conds, i), "type"), type)) {
            if (out && n < max)
                out[n] = kv_item(conds, i);
            n++;
        }
    return n;
}

static bool dup_types(const struct kapi_value *conds)
{
    for (size_t i = 1; i < kv_len(conds); i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(kv_str0(kv_item(conds, i), "type"), kv_str0(kv_item(conds, j), "type")))
                return true;
    return false;
}

/* Standard base64 (the JSON form of a []byte) into raw bytes. The typed
 * decode has already made the text canonical, so this never fails on a
 * request's object; anything else reads as empty. */
size_t kv_b64_decode(struct kv_ctx *c, const char *s, char **out)
{
    size_t n = 0;
    unsigned char *raw = kapi_b64_decode_pool(c->pool, s, strlen(s), 0, &n, NULL);
    *out = raw ? (char *)raw : kapi_pool_strdup(c->pool, "");
    return raw ? n : 0;
}

/* validateCertificate's PEM part: Go's pem.Decode finds each
 * "-----BEGIN T-----" ... "-----END T-----" block; headers are
 * "Key: value" lines before the first blank line. Returns NULL when valid. */
static const char *csr_certificate(struct kv_ctx *c, const char *data)
{
    int blocks = 0;
    const char *p = data;
    for (;;) {
        const char *b = strstr(p, "-----BEGIN ");
        if (!b)
            break;
        const char *te = strstr(b + 11, "-----");
        const char *nl = te ? strchr(te, '\n') : NULL;
        if (!te || memchr(b + 11, '\n', (size_t)(te - b - 11)))
            break;
        size_t tl = (size_t)(te - b - 11);
        const char *end = kapi_pool_printf(c->pool, "-----END %.*s-----", (int)tl, b + 11);
        const char *e = nl ? strstr(nl, end) : NULL;
        if (!e) {
            p = te + 5;
            continue;
        }
        blocks++;
        if (tl != 11 || strncmp(b + 11, "CERTIFICATE", 11))
            return kapi_pool_printf(c->pool, "only CERTIFICATE PEM blocks are allowed, found %s",
                                    kapi_go_quote(c->pool, b + 11, tl));
        /* a header line holds ':' before the body starts */
        const char *line = nl + 1;
        const char *lend = strchr(line, '\n');
        if (lend && lend < e && memchr(line, ':', (size_t)(lend - line)))
            return "no PEM block headers are permitted";
        p = e + strlen(end);
    }
    if (!blocks)
        return "must contain at least one CERTIFICATE PEM block";
    return NULL;
}

void kv_csr_status(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old, bool approval)
{
    static const char *const ALL[] = {"False", "True", "Unknown"}, *const TRUE_ONLY[] = {"True"};
    const struct kapi_value *conds = kv_get(kv_get(obj, "status"), "conditions");
    const struct kapi_value *oconds = kv_get(kv_get(old, "status"), "conditions");
    bool allow_empty = false, allow_both = count_type(oconds, "Approved", NULL, 0) && count_type(oconds, "Denied", NULL, 0);
    for (size_t i = 0; i < kv_len(oconds); i++)
        allow_empty |= !*kv_str0(kv_item(oconds, i), "type");
    bool allow_dup = dup_types(oconds), approved = false, denied = false;
    for (size_t i = 0; i < kv_len(conds); i++) {
        const struct kapi_value *cd = kv_item(conds, i);
        const char *type = kv_str0(cd, "type"), *st = kv_str0(cd, "status");
        const char *tp = kv_path(c, "status.conditions[%zu].type", i);
        if (!allow_empty && !*type)
            kapi_ferr_required(c->pool, c->errs, tp, "");
        bool true_only = !strcmp(type, "Approved") || !strcmp(type, "Denied") || !strcmp(type, "Failed");
        if (!*st)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "status.conditions[%zu].status", i), "");
        else if (true_only ? strcmp(st, "True") : !kv_in(st, ALL, N(ALL)))
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "status.conditions[%zu].status", i), st,
                                    true_only ? TRUE_ONLY : ALL, true_only ? 1 : N(ALL));
        if (!allow_both) {
            if (!strcmp(type, "Approved")) {
                approved = true;
                if (denied)
                    kapi_ferr_invalid(c->pool, c->errs, tp, type, "Approved and Denied conditions are mutually exclusive");
            } else if (!strcmp(type, "Denied")) {
                denied = true;
                if (approved)
                    kapi_ferr_invalid(c->pool, c->errs, tp, type, "Approved and Denied conditions are mutually exclusive");
            }
        }
        if (!allow_dup)
            for (size_t j = 0; j < i; j++)
                if (!strcmp(kv_str0(kv_item(conds, j), "type"), type)) {
                    kapi_ferr_duplicate(c->pool, c->errs, tp, type);
                    break;
                }
    }
    const char *cert = kv_str0(kv_get(obj, "status"), "certificate");
    const char *ocert = kv_str0(kv_get(old, "status"), "certificate");
    bool cert_changed = strcmp(cert, ocert) != 0;
    if (cert_changed) {
        char *raw, *oraw;
        kv_b64_decode(c, cert, &raw);
        kv_b64_decode(c, ocert, &oraw);
        /* a stored certificate that does not validate lets any value through */
        const char *err = *raw ? csr_certificate(c, raw) : NULL;
        if (err && !(*oraw && csr_certificate(c, oraw)))
            kapi_ferr_invalid(c->pool, c->errs, "status.certificate", "<certificate data>", err);
    }
    static const char *const KEEP[] = {"Approved", "Denied", "Failed"};
    for (size_t k = 0; k < N(KEEP); k++)
        if (count_type(conds, KEEP[k], NULL, 0) < count_type(oconds, KEEP[k], NULL, 0))
            kapi_ferr_forbidden(c->pool, c->errs, "status.conditions",
                                kapi_pool_printf(c->pool, "updates may not remove a condition of type \"%s\"", KEEP[k]));
    for (size_t k = 0; k < (approval ? 0 : 2); k++) {
        const struct kapi_value *nc[8], *oc[8];
        size_t n = count_type(conds, KEEP[k], nc, 8), o = count_type(oconds, KEEP[k], oc, 8);
        bool same_list = n == o;
        for (size_t i = 0; same_list && i < n && i < 8; i++)
            same_list = kapi_value_equal(nc[i], oc[i]);
        if (n > o)
            kapi_ferr_forbidden(c->pool, c->errs, "status.conditions",
                                kapi_pool_printf(c->pool, "updates may not add a condition of type \"%s\"", KEEP[k]));
        else if (n == o && !same_list)
            /* upstream appends a cmp.Diff of the conditions */
            kapi_ferr_forbidden(c->pool, c->errs, "status.conditions",
                                kapi_pool_printf(c->pool, "updates may not modify a condition of type \"%s\"\n", KEEP[k]));
    }
    if (cert_changed && *ocert)
        kapi_ferr_forbidden(c->pool, c->errs, "status.certificate", "updates may not modify existing certificate content");
}

/* ---- ValidatingAdmissionPolicy (ValidateValidatingAdmissionPolicyStatusUpdate):
 * the type-checking warnings, then the metav1 conditions. */

static void vap_status(struct kv_ctx *c, const struct kapi_value *st)
{
    const struct kapi_value *ws = kv_get(kv_get(st, "typeChecking"), "expressionWarnings");
    for (size_t i = 0; i < kv_len(ws); i++) {
        const struct kapi_value *w = kv_item(ws, i);
        const char *p = kv_path(c, "status.typeChecking.expressionWarnings[%zu]", i);
        if (!*kv_str0(w, "warning"))
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.warning", p), "");
        /* validateFieldRef: trimmed, then parsed as "{" + ref + "}" */
        const char *ref = kv_str0(w, "fieldRef");
        while (*ref == ' ' || (*ref >= '\t' && *ref <= '\r'))
            ref++;
        size_t n = strlen(ref);
        while (n && (ref[n - 1] == ' ' || (ref[n - 1] >= '\t' && ref[n - 1] <= '\r')))
            n--;
        const char *fp = kv_path(c, "%s.fieldRef", p);
        if (!n) {
            kapi_ferr_required(c->pool, c->errs, fp, "");
            continue;
        }
        const char *t = kapi_pool_strndup(c->pool, ref, n);
        char *err = NULL;
        struct kapi_jsonpath *jp = kapi_jsonpath_compile_column(t, &err);
        if (jp)
            kapi_jsonpath_free(jp);
        else
            kapi_ferr_invalid(c->pool, c->errs, fp, t,
                              kapi_pool_printf(c->pool, "invalid JSONPath: %s", err ? err : "invalid jsonpath template"));
        free(err);
    }
    kv_meta_conditions(c, kv_get(st, "conditions"), "status.conditions");
}

/* ---- FlowSchema / PriorityLevelConfiguration (ValidateFlowSchemaStatus,
 * ValidatePriorityLevelConfigurationStatus): condition types unique and set. */

static void flowcontrol_status(struct kv_ctx *c, const struct kapi_value *st)
{
    const struct kapi_value *conds = kv_get(st, "conditions");
    for (size_t i = 0; i < kv_len(conds); i++) {
        const char *type = kv_str0(kv_item(conds, i), "type");
        const char *p = kv_path(c, "status.conditions[%zu].type", i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(kv_str0(kv_item(conds, j), "type"), type)) {
                kapi_ferr_duplicate(c->pool, c->errs, p, type);
                break;
            }
        if (!*type)
            kapi_ferr_required(c->pool, c->errs, p, "must not be empty");
    }
}

/* ---- Dispatch. */

bool kv_status(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
               const struct kapi_value *old)
{
    const struct kapi_value *st = kv_get(obj, "status"), *ost = kv_get(old, "status");
    if (!*group) {
        if (!strcmp(kind, "Pod")) {
            pod_status(c, obj, old);
        } else if (!strcmp(kind, "Node")) {
            return false; /* the node status strategy runs ValidateNodeUpdate */
        } else if (!strcmp(kind, "Service")) {
            service_status(c, obj);
        } else if (!strcmp(kind, "PersistentVolumeClaim")) {
            pvc_status(c, obj);
        } else if (!strcmp(kind, "Namespace")) {
            const char *phase = kv_str0(st, "phase");
            bool deleting = *kv_str0(kv_get(obj, "metadata"), "deletionTimestamp");
            if (!deleting && strcmp(phase, "Active"))
                kapi_ferr_invalid(c->pool, c->errs, "status.Phase", phase,
                                  "may only be 'Active' if `deletionTimestamp` is empty");
            else if (deleting && strcmp(phase, "Terminating"))
                kapi_ferr_invalid(c->pool, c->errs, "status.Phase", phase,
                                  "may only be 'Terminating' if `deletionTimestamp` is not empty");
        } else if (!strcmp(kind, "ReplicationController")) {
            replica_set_status(c, st);
        } else if (!strcmp(kind, "PersistentVolume")) {
            /* ValidatePersistentVolumeStatusUpdate; the REST layer has put the
             * stored resourceVersion in place of a missing one by now */
            if (!*kv_str0(kv_get(obj, "metadata"), "resourceVersion"))
                kapi_ferr_required(c->pool, c->errs, "resourceVersion", "");
        } else if (!strcmp(kind, "ResourceQuota")) {
            /* ValidateResourceQuotaStatusUpdate */
            kv_quota_resources(c, kv_get(st, "hard"), "status.hard");
            kv_quota_resources(c, kv_get(st, "used"), "status.used");
        }
    } else if (!strcmp(group, "apps")) {
        if (!strcmp(kind, "Deployment"))
            deployment_status(c, st, ost);
        else if (!strcmp(kind, "ReplicaSet"))
            replica_set_status(c, st);
        else if (!strcmp(kind, "StatefulSet"))
            stateful_set_status(c, st, ost);
        else if (!strcmp(kind, "DaemonSet"))
            daemon_set_status(c, st, ost);
    } else if (!strcmp(group, "batch")) {
        if (!strcmp(kind, "Job"))
            job_status(c, obj, old);
        /* CronJob: the status strategy's ValidateUpdate returns no errors */
    } else if (!strcmp(group, "autoscaling")) {
        if (!strcmp(kind, "HorizontalPodAutoscaler")) {
            static const char *const K[] = {"currentReplicas", "desiredReplicas"};
            nonneg_all(c, st, K, N(K));
        }
    } else if (!strcmp(group, "networking.k8s.io")) {
        if (!strcmp(kind, "Ingress"))
            lb_ingress(c, kv_get(kv_get(st, "loadBalancer"), "ingress"), false);
        /* ServiceCIDR: ValidateServiceCIDRStatusUpdate is the ObjectMeta check only */
    } else if (!strcmp(group, "certificates.k8s.io")) {
        if (!strcmp(kind, "CertificateSigningRequest"))
            kv_csr_status(c, obj, old, false);
    } else if (!strcmp(group, "apiregistration.k8s.io")) {
        if (!strcmp(kind, "APIService")) {
            /* ValidateAPIServiceStatus: each condition's status */
            static const char *const S[] = {"True", "False", "Unknown"};
            const struct kapi_value *conds = kv_get(st, "conditions");
            for (size_t i = 0; i < kv_len(conds); i++) {
                const char *s = kv_str0(kv_item(conds, i), "status");
                if (!kv_in(s, S, 3))
                    kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "status.conditions[%zu].status", i), s, S, 3);
            }
        }
    } else if (!strcmp(group, "storage.k8s.io")) {
        /* the status strategy keeps the main ValidateUpdate (storage.c),
         * whose spec check cannot fire: the spec is the stored one */
        if (!strcmp(kind, "VolumeAttachment"))
            kv_volume_attachment(c, obj, old);
    } else if (!strcmp(group, "admissionregistration.k8s.io")) {
        if (!strcmp(kind, "ValidatingAdmissionPolicy"))
            vap_status(c, st);
    } else if (!strcmp(group, "flowcontrol.apiserver.k8s.io")) {
        if (!strcmp(kind, "FlowSchema") || !strcmp(kind, "PriorityLevelConfiguration"))
            flowcontrol_status(c, st);
    } else if (!strcmp(group, "policy")) {
        if (!strcmp(kind, "PodDisruptionBudget")) {
            /* ValidatePodDisruptionBudgetStatusUpdate (policy/v1): conditions, then the counters */
            static const char *const K[] = {"disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"};
            kv_meta_conditions(c, kv_get(st, "conditions"), "status.conditions");
            nonneg_all(c, st, K, N(K));
        }
    }
    return true;
}
