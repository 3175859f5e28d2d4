/* registry/validation/service: core/v1 Service, following upstream's
 * ValidateService / ValidateServiceUpdate. The object seen here has been
 * through kapi_svc_prepare (defaults, clusterIP/clusterIPs normalisation,
 * values patched in from the stored object, fields the new type no longer
 * uses dropped), as upstream validates after its beginCreate/beginUpdate.
 * The clusterIP(s)/ipFamilies/ipFamilyPolicy consistency rules and the
 * upgrade/downgrade checks are enforced by the allocator
 * (registry/core/services.c), which upstream also runs before validation. */
#include "validation_int.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const PROTOCOLS[] = {"SCTP", "TCP", "UDP"};
static const char *const SVC_TYPES[] = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"};
static const char *const AFFINITIES[] = {"ClientIP", "None"};
static const char *const TRAFFIC_POLICIES[] = {"Cluster", "Local"};
static const char *const TRAFFIC_DISTRIBUTIONS[] = {"PreferClose"};

#define MAX_AFFINITY_SECONDS 86400
#define ANN_TOPOLOGY_MODE "service.kubernetes.io/topology-mode"
#define ANN_TOPOLOGY_HINTS "service.kubernetes.io/topology-aware-hints"
#define ANN_SOURCE_RANGES "service.beta.kubernetes.io/load-balancer-source-ranges"

static bool type_is(const struct kapi_value *spec, const char *t) { return !strcmp(kv_str0(spec, "type"), t); }

/* isHeadlessService: clusterIPs is exactly ["None"]. */
static bool headless(const struct kapi_value *spec)
{
    const struct kapi_value *ips = kv_get(spec, "clusterIPs");
    const char *first = kapi_value_cstr(kv_item(ips, 0));
    return kv_len(ips) == 1 && first && !strcmp(first, "None");
}

static int64_t int_or0(const struct kapi_value *o, const char *key)
{
    int64_t v = 0;
    kv_int(o, key, &v);
    return v;
}

/* apiservice.ExternallyAccessible */
static bool externally_accessible(const struct kapi_value *spec)
{
    return type_is(spec, "LoadBalancer") || type_is(spec, "NodePort") ||
           (type_is(spec, "ClusterIP") && kv_len(kv_get(spec, "externalIPs")) > 0);
}

/* apiservice.NeedsHealthCheck */
static bool needs_health_check(const struct kapi_value *spec)
{
    return type_is(spec, "LoadBalancer") && !strcmp(kv_str0(spec, "externalTrafficPolicy"), "Local");
}

static void service_port(struct kv_ctx *c, const struct kapi_value *ports, size_t i, bool require_name)
{
    const struct kapi_value *p = kv_item(ports, i);
    const char *name = kv_str0(p, "name");
    const char *np = kv_path(c, "spec.ports[%zu].name", i);
    if (require_name && !*name) {
        kapi_ferr_required(c->pool, c->errs, np, "");
    } else if (*name) {
        kv_name_msgs(c, np, name, kapi_is_dns1123_label);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(kv_str0(kv_item(ports, j), "name"), name)) {
                kapi_ferr_duplicate(c->pool, c->errs, np, name);
                break;
            }
    }
    kv_port_num(c, kv_path(c, "spec.ports[%zu].port", i), int_or0(p, "port"));
    kv_enum(c, kv_path(c, "spec.ports[%zu].protocol", i), kv_str(p, "protocol"), PROTOCOLS, N(PROTOCOLS));
    const struct kapi_value *tp = kv_get(p, "targetPort");
    const char *tpp = kv_path(c, "spec.ports[%zu].targetPort", i);
    if (tp && tp->type == KAPI_V_STRING)
        kv_port_name_msgs(c, tpp, tp->u.str.s);
    else
        kv_port_num(c, tpp, tp && tp->type == KAPI_V_INT ? tp->u.i : 0);
    const char *ap = kv_str(p, "appProtocol");
    if (ap)
        kv_name_msgs(c, kv_path(c, "spec.ports[%zu].appProtocol", i), ap, kapi_is_qualified_name);
}

static void client_ip_affinity(struct kv_ctx *c, const struct kapi_value *cfg)
{
    static const char MSG[] = "when session affinity type is ClientIP";
    const struct kapi_value *cip = kv_get(cfg, "clientIP");
    int64_t t;
    if (!cfg)
        kapi_ferr_required(c->pool, c->errs, "spec.sessionAffinityConfig", MSG);
    else if (!cip)
        kapi_ferr_required(c->pool, c->errs, "spec.sessionAffinityConfig.clientIP", MSG);
    else if (!kv_int(cip, "timeoutSeconds", &t))
        kapi_ferr_required(c->pool, c->errs, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", MSG);
    else if (t <= 0 || t > MAX_AFFINITY_SECONDS)
        kapi_ferr_invalid_int(c->pool, c->errs, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", t,
                              kapi_pool_printf(c->pool, "must be greater than 0 and less than %d",
                                               MAX_AFFINITY_SECONDS));
}

/* Go's strings.TrimSpace for the ASCII whitespace clients send. */
static const char *trim_space(struct kv_ctx *c, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r' ||
                 s[n - 1] == '\v' || s[n - 1] == '\f'))
        n--;
    return kapi_pool_strndup(c->pool, s, n);
}

static void valid_cidr(struct kv_ctx *c, const char *fld, const char *v)
{
    if (!kv_cidr_sloppy(v))
        kapi_ferr_invalid(c->pool, c->errs, fld, v, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
}

static void source_ranges(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *spec)
{
    const struct kapi_value *ranges = kv_get(spec, "loadBalancerSourceRanges");
    const struct kapi_value *ann = kv_get(kv_get(obj, "metadata"), "annotations");
    bool lb = type_is(spec, "LoadBalancer");
    static const char LB_ONLY[] = "may only be used when `type` is 'LoadBalancer'";
    if (kv_len(ranges) > 0) {
        /* upstream's field path really is capitalised here */
        if (!lb)
            kapi_ferr_forbidden(c->pool, c->errs, "spec.LoadBalancerSourceRanges", LB_ONLY);
        for (size_t i = 0; i < kv_len(ranges); i++) {
            const char *v = kapi_value_cstr(kv_item(ranges, i));
            valid_cidr(c, kv_path(c, "spec.LoadBalancerSourceRanges[%zu]", i),
                       trim_space(c, v ? v : "", v ? strlen(v) : 0));
        }
    } else if (kv_get(ann, ANN_SOURCE_RANGES)) {
        const char *fld = "metadata.annotations[" ANN_SOURCE_RANGES "]";
        if (!lb)
            kapi_ferr_forbidden(c->pool, c->errs, fld, LB_ONLY);
        const char *val = kv_str0(ann, ANN_SOURCE_RANGES);
        val = trim_space(c, val, strlen(val));
        while (*val) {
            const char *comma = strchr(val, ',');
            size_t n = comma ? (size_t)(comma - val) : strlen(val);
            valid_cidr(c, fld, trim_space(c, val, n));
            if (!comma)
                break;
            val = comma + 1;
        }
    }
}

static void lb_class(struct kv_ctx *c, const struct kapi_value *spec, const struct kapi_value *ospec)
{
    const struct kapi_value *cls = kv_get(spec, "loadBalancerClass");
    if (ospec && type_is(ospec, "LoadBalancer") && type_is(spec, "LoadBalancer")) {
        const struct kapi_value *ocls = kv_get(ospec, "loadBalancerClass");
        bool same = (!cls && !ocls) || (cls && ocls && kapi_value_equal(cls, ocls));
        if (!same)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.loadBalancerClass", kv_repr(c, cls),
                          "may not change once set");
    }
    if (!cls)
        return;
    if (type_is(spec, "LoadBalancer"))
        kv_name_msgs(c, "spec.loadBalancerClass", kapi_value_cstr(cls) ? kapi_value_cstr(cls) : "",
                     kapi_is_qualified_name);
    else
        kapi_ferr_forbidden(c->pool, c->errs, "spec.loadBalancerClass",
                            "may only be used when `type` is 'LoadBalancer'");
}

static void traffic_policies(struct kv_ctx *c, const struct kapi_value *spec)
{
    const char *etp = kv_str0(spec, "externalTrafficPolicy");
    if (!externally_accessible(spec)) {
        if (*etp)
            kapi_ferr_invalid(c->pool, c->errs, "spec.externalTrafficPolicy", etp,
                              "may only be set for externally-accessible services");
    } else {
        kv_enum(c, "spec.externalTrafficPolicy", etp, TRAFFIC_POLICIES, N(TRAFFIC_POLICIES));
    }
    int64_t hc = int_or0(spec, "healthCheckNodePort");
    if (!needs_health_check(spec)) {
        if (hc)
            kapi_ferr_invalid_int(c->pool, c->errs, "spec.healthCheckNodePort", hc,
                                  "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
    } else if (hc) {
        /* hc == 0 is filled in by the allocator, which upstream runs before validation */
        kv_port_num(c, "spec.healthCheckNodePort", hc);
    }
    const char *itp = kv_str(spec, "internalTrafficPolicy");
    if (!itp && (type_is(spec, "NodePort") || type_is(spec, "LoadBalancer") || type_is(spec, "ClusterIP")))
        kapi_ferr_required(c->pool, c->errs, "spec.internalTrafficPolicy", "");
    if (itp && !kv_in(itp, TRAFFIC_POLICIES, N(TRAFFIC_POLICIES)))
        kapi_ferr_not_supported(c->pool, c->errs, "spec.internalTrafficPolicy", itp, TRAFFIC_POLICIES,
                                N(TRAFFIC_POLICIES));
    const char *td = kv_str(spec, "trafficDistribution");
    if (td && strcmp(td, TRAFFIC_DISTRIBUTIONS[0]))
        kapi_ferr_not_supported(c->pool, c->errs, "spec.trafficDistribution", td, TRAFFIC_DISTRIBUTIONS,
                                N(TRAFFIC_DISTRIBUTIONS));
}

/* Go's %#v of the internal core.ServicePort{Protocol, Port} used as the
 * duplicate key. */
static const char *port_key_repr(struct kv_ctx *c, const char *proto, int64_t port)
{
    return kapi_pool_printf(c->pool,
                            "core.ServicePort{Name:\"\", Protocol:%s, AppProtocol:(*string)(nil), Port:%lld, "
                            "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
                            kapi_go_quote(c->pool, proto, strlen(proto)), (long long)port);
}

static void duplicate_ports(struct kv_ctx *c, const struct kapi_value *ports)
{
    for (size_t i = 0; i < kv_len(ports); i++) {
        const struct kapi_value *p = kv_item(ports, i);
        int64_t np = int_or0(p, "nodePort");
        if (!np)
            continue;
        for (size_t j = 0; j < i; j++) {
            const struct kapi_value *q = kv_item(ports, j);
            if (int_or0(q, "nodePort") == np && !strcmp(kv_str0(q, "protocol"), kv_str0(p, "protocol"))) {
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_DUPLICATE, kv_path(c, "spec.ports[%zu].nodePort", i),
                              kapi_pool_printf(c->pool, "%lld", (long long)np), NULL);
                break;
            }
        }
    }
    for (size_t i = 0; i < kv_len(ports); i++) {
        const struct kapi_value *p = kv_item(ports, i);
        for (size_t j = 0; j < i; j++) {
            const struct kapi_value *q = kv_item(ports, j);
            if (int_or0(q, "port") == int_or0(p, "port") && !strcmp(kv_str0(q, "protocol"), kv_str0(p, "protocol"))) {
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_DUPLICATE, kv_path(c, "spec.ports[%zu]", i),
                              port_key_repr(c, kv_str0(p, "protocol"), int_or0(p, "port")), NULL);
                break;
            }
        }
    }
}

static void validate_service(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    const struct kapi_value *ann = kv_get(kv_get(obj, "metadata"), "annotations");
    const char *mode = kv_str(ann, ANN_TOPOLOGY_MODE), *hints = kv_str(ann, ANN_TOPOLOGY_HINTS);
    if (mode && hints && strcmp(mode, hints))
        kapi_ferr_invalid(c->pool, c->errs, "metadata.annotations[" ANN_TOPOLOGY_MODE "]", mode,
                          "must match annotations[" ANN_TOPOLOGY_HINTS "] when both are specified");

    const struct kapi_value *ports = kv_get(spec, "ports");
    bool is_headless = headless(spec);
    if (kv_len(ports) == 0 && !is_headless && !type_is(spec, "ExternalName"))
        kapi_ferr_required(c->pool, c->errs, "spec.ports", "");
    if (type_is(spec, "LoadBalancer") || type_is(spec, "NodePort")) {
        if (is_headless)
            kapi_ferr_invalid(c->pool, c->errs, "spec.clusterIPs[0]", "None",
                              kapi_pool_printf(c->pool, "may not be set to 'None' for %s services",
                                               kv_str0(spec, "type")));
    } else if (type_is(spec, "ExternalName")) {
        static const char MSG[] = "may not be set for ExternalName services";
        if (kv_len(kv_get(spec, "clusterIPs")) > 0)
            kapi_ferr_forbidden(c->pool, c->errs, "spec.clusterIPs", MSG);
        if (kv_len(kv_get(spec, "ipFamilies")) > 0)
            kapi_ferr_forbidden(c->pool, c->errs, "spec.ipFamilies", MSG);
        if (kv_get(spec, "ipFamilyPolicy"))
            kapi_ferr_forbidden(c->pool, c->errs, "spec.ipFamilyPolicy", MSG);
        const char *en = kv_str0(spec, "externalName");
        size_t n = strlen(en);
        const char *cname = kapi_pool_strndup(c->pool, en, n && en[n - 1] == '.' ? n - 1 : n);
        if (*cname)
            kv_name_msgs(c, "spec.externalName", cname, kapi_is_dns1123_subdomain);
        else
            kapi_ferr_required(c->pool, c->errs, "spec.externalName", "");
    }
    for (size_t i = 0; i < kv_len(ports); i++)
        service_port(c, ports, i, kv_len(ports) > 1);
    if (kv_get(spec, "selector"))
        kapi_validate_labels(c->pool, kv_get(spec, "selector"), "spec.selector", c->errs);

    const char *aff = kv_str0(spec, "sessionAffinity");
    if (!*aff)
        kapi_ferr_required(c->pool, c->errs, "spec.sessionAffinity", "");
    else if (!kv_in(aff, AFFINITIES, N(AFFINITIES)))
        kapi_ferr_not_supported(c->pool, c->errs, "spec.sessionAffinity", aff, AFFINITIES, N(AFFINITIES));
    if (!strcmp(aff, "ClientIP"))
        client_ip_affinity(c, kv_get(spec, "sessionAffinityConfig"));
    else if (!strcmp(aff, "None") && kv_get(spec, "sessionAffinityConfig"))
        kapi_ferr_forbidden(c->pool, c->errs, "spec.sessionAffinityConfig",
                            "must not be set when session affinity is None");

    const struct kapi_value *eips = kv_get(spec, "externalIPs");
    for (size_t i = 0; i < kv_len(eips); i++) {
        const char *ip = kapi_value_cstr(kv_item(eips, i));
        const char *fld = kv_path(c, "spec.externalIPs[%zu]", i);
        if (!ip || !kv_ip_sloppy(ip))
            kapi_ferr_invalid(c->pool, c->errs, fld, ip ? ip : "",
                              "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        else
            kv_non_special_ip(c, fld, ip);
    }

    const char *type = kv_str0(spec, "type");
    if (!*type)
        kapi_ferr_required(c->pool, c->errs, "spec.type", "");
    else if (!kv_in(type, SVC_TYPES, N(SVC_TYPES)))
        kapi_ferr_not_supported(c->pool, c->errs, "spec.type", type, SVC_TYPES, N(SVC_TYPES));
    if (!strcmp(type, "ClusterIP"))
        for (size_t i = 0; i < kv_len(ports); i++)
            if (int_or0(kv_item(ports, i), "nodePort"))
                kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "spec.ports[%zu].nodePort", i),
                                    "may not be used when `type` is 'ClusterIP'");
    duplicate_ports(c, ports);
    source_ranges(c, obj, spec);

    bool lb = type_is(spec, "LoadBalancer");
    const struct kapi_value *alloc = kv_get(spec, "allocateLoadBalancerNodePorts");
    if (alloc && !lb)
        kapi_ferr_forbidden(c->pool, c->errs, "spec.allocateLoadBalancerNodePorts",
                            "may only be used when `type` is 'LoadBalancer'");
    if (lb && !alloc) /* upstream's path has no "spec." here */
        kapi_ferr_required(c->pool, c->errs, "allocateLoadBalancerNodePorts", "");
    lb_class(c, spec, NULL);
    traffic_policies(c, spec);
}

void kv_service(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    if (old) {
        const struct kapi_value *spec = kv_get(obj, "spec"), *ospec = kv_get(old, "spec");
        lb_class(c, spec, ospec);
        if (needs_health_check(ospec) && needs_health_check(spec) &&
            int_or0(spec, "healthCheckNodePort") != int_or0(ospec, "healthCheckNodePort"))
            kapi_ferr_forbidden(c->pool, c->errs, "spec.healthCheckNodePort", "field is immutable");
    }
    validate_service(c, obj);
}
