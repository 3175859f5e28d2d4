/* registry/printers/cluster: Table printers of the remaining groups:
 * networking, discovery, rbac, storage, admission, certificates,
 * coordination, scheduling, node, flowcontrol and apiregistration. */
#include <stdio.h>
#include <string.h>

#include "printers_int.h"


static const char *join_strs(struct kapi_pool *pool, const struct kapi_value *arr, const char *field,
                             const char *sep)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; i < kapi_plen(arr); i++) {
        const char *s = kapi_value_cstr(field ? P(item(arr, i), field) : item(arr, i));
        kapi_buf_printf(&b, "%s%s", i ? sep : "", s ? s : "");
    }
    const char *out = kapi_pool_strdup(pool, b.data);
    kapi_buf_dispose(&b);
    return out;
}

/* The "a,b,c + N more..." form upstream uses for long lists ("<unset>" when empty). */
static const char *list_with_more(struct kapi_pool *pool, const char **v, size_t shown, size_t count, size_t max)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; i < shown; i++)
        kapi_buf_printf(&b, "%s%s", i ? "," : "", v[i]);
    if (count > max)
        kapi_buf_printf(&b, " + %zu more...", count - max);
    const char *out = b.len ? kapi_pool_strdup(pool, b.data) : "<unset>";
    kapi_buf_dispose(&b);
    return out;
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/* ---- networking.k8s.io ---- */

static const struct kapi_printer_column ingress_cols[] = {
    NAME_COL,
    COL("Class", "string", "Ingress class name."),
    COL("Hosts", "string", "Hosts the rules match."),
    COL("Address", "string", "Load balancer addresses."),
    COL("Ports", "string", "Ports served."),
    AGE_COL,
};

static void ingress_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *rules = P(spec, "rules");
    enum { MAX = 3 };
    const char *hosts[MAX];
    size_t n = 0, nr = kapi_plen(rules);
    bool more = false;
    for (size_t i = 0; i < nr; i++) {
        if (n == MAX)
            more = true;
        const char *h = kapi_pstr_or(P(item(rules, i), "host"), NULL);
        if (!more && h)
            hosts[n++] = h;
    }
    const char *hs = "*";
    if (n) {
        const char *j = list_with_more(c->pool, hosts, n, 0, 0);
        hs = more ? kapi_pool_printf(c->pool, "%s + %zu more...", j, nr - MAX) : j;
    }
    kapi_pcell_name(c);
    kapi_pcell_str(c, kapi_value_cstr(P(spec, "ingressClassName")) ? PS(spec, "ingressClassName") : "<none>");
    kapi_pcell_str(c, hs);
    kapi_pcell_str(c, kapi_pfmt_lb_ingress(c->pool, P(c->obj, "status", "loadBalancer", "ingress")));
    kapi_pcell_str(c, kapi_plen(P(spec, "tls")) ? "80, 443" : "80");
    kapi_pcell_age(c);
}

static const struct kapi_printer_column ingressclass_cols[] = {
    NAME_COL,
    COL("Controller", "string", "Controller that implements the class."),
    COL("Parameters", "string", "Resource holding extra parameters."),
    AGE_COL,
};

static void ingressclass_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *par = P(spec, "parameters");
    const char *ps = "<none>";
    if (is_obj(par)) {
        const char *g = kapi_value_cstr(P(par, "apiGroup"));
        ps = kapi_pool_printf(c->pool, "%s%s%s/%s", kapi_pstr_or(P(par, "kind"), ""), g ? "." : "", g ? g : "",
                              kapi_pstr_or(P(par, "name"), ""));
    }
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(spec, "controller"));
    kapi_pcell_str(c, ps);
    kapi_pcell_age(c);
}

static const struct kapi_printer_column networkpolicy_cols[] = {
    NAME_COL,
    COL("Pod-Selector", "string", "Pods the policy applies to."),
    AGE_COL,
};

static void networkpolicy_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    const struct kapi_value *sel = P(c->obj, "spec", "podSelector");
    /* podSelector is a struct upstream, so absent reads as empty ("<none>"). */
    kapi_pcell_str(c, sel ? kapi_pfmt_label_selector(c->pool, sel) : "<none>");
    kapi_pcell_age(c);
}

static const struct kapi_printer_column servicecidr_cols[] = {
    NAME_COL,
    COL("CIDRs", "string", "CIDR ranges of the service IPs."),
    AGE_COL,
};

static void servicecidr_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    kapi_pcell_str(c, join_strs(c->pool, P(c->obj, "spec", "cidrs"), NULL, ","));
    kapi_pcell_age(c);
}

/* Upstream defines two columns but sends three cells (the age too). */
static const struct kapi_printer_column ipaddress_cols[] = {
    NAME_COL,
    COL("ParentRef", "string", "Object the address is allocated to."),
};

static void ipaddress_cells(struct kapi_pctx *c)
{
    const struct kapi_value *ref = P(c->obj, "spec", "parentRef");
    const char *s = "<none>";
    if (is_obj(ref)) {
        const char *g = kapi_pstr_or(P(ref, "group"), ""), *r = kapi_pstr_or(P(ref, "resource"), "");
        const char *ns = kapi_pstr_or(P(ref, "namespace"), NULL);
        char *gr = *g ? kapi_pool_printf(c->pool, "%s.%s", r, g) : kapi_pool_strdup(c->pool, r);
        lower(gr);
        s = kapi_pool_printf(c->pool, "%s%s%s/%s", gr, ns ? "/" : "", ns ? ns : "", kapi_pstr_or(P(ref, "name"), ""));
    }
    kapi_pcell_name(c);
    kapi_pcell_str(c, s);
    kapi_pcell_age(c);
}

/* ---- discovery.k8s.io ---- */

static const struct kapi_printer_column endpointslice_cols[] = {
    NAME_COL,
    COL("AddressType", "string", "IPv4, IPv6 or FQDN."),
    COL("Ports", "string", "Ports of the slice."),
    COL("Endpoints", "string", "Endpoint addresses."),
    AGE_COL,
};

static void endpointslice_cells(struct kapi_pctx *c)
{
    enum { MAX = 3 };
    const char *v[MAX];
    const struct kapi_value *ports = P(c->obj, "ports"), *eps = P(c->obj, "endpoints");
    size_t n = 0, count = 0;
    for (size_t i = 0; i < kapi_plen(ports); i++, count++) {
        if (n == MAX)
            continue;
        const struct kapi_value *p = item(ports, i), *port = P(p, "port");
        if (port && port->type == KAPI_V_INT)
            v[n++] = kapi_pool_printf(c->pool, "%lld", (long long)port->u.i);
        else if (kapi_value_cstr(P(p, "name")))
            v[n++] = PS(p, "name");
        else
            v[n++] = "*";
    }
    const char *portstr = list_with_more(c->pool, v, n, count, MAX);
    n = count = 0;
    for (size_t i = 0; i < kapi_plen(eps); i++) {
        const struct kapi_value *addrs = P(item(eps, i), "addresses");
        for (size_t a = 0; a < kapi_plen(addrs); a++, count++)
            if (n < MAX)
                v[n++] = kapi_pstr_or(item(addrs, a), "");
    }
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(c->obj, "addressType"));
    kapi_pcell_str(c, portstr);
    kapi_pcell_str(c, list_with_more(c->pool, v, n, count, MAX));
    kapi_pcell_age(c);
}

/* ---- rbac.authorization.k8s.io ---- */

static const struct kapi_printer_column rolebinding_cols[] = {
    NAME_COL,
    COL("Role", "string", "Bound role as kind/name."),
    AGE_COL,
    WCOL("Users", "string", "Users bound."),
    WCOL("Groups", "string", "Groups bound."),
    WCOL("ServiceAccounts", "string", "Service accounts bound, as namespace/name."),
};

static void rolebinding_cells(struct kapi_pctx *c)
{
    const struct kapi_value *subjects = P(c->obj, "subjects");
    struct kapi_buf u, g, s;
    kapi_buf_init(&u, 0);
    kapi_buf_init(&g, 0);
    kapi_buf_init(&s, 0);
    kapi_buf_puts(&u, "");
    kapi_buf_puts(&g, "");
    kapi_buf_puts(&s, "");
    for (size_t i = 0; i < kapi_plen(subjects); i++) {
        const struct kapi_value *sj = item(subjects, i);
        const char *kind = kapi_pstr_or(P(sj, "kind"), ""), *name = kapi_pstr_or(P(sj, "name"), "");
        if (streq(kind, "ServiceAccount"))
            kapi_buf_printf(&s, "%s%s/%s", s.len ? ", " : "", kapi_pstr_or(P(sj, "namespace"), ""), name);
        else if (streq(kind, "User"))
            kapi_buf_printf(&u, "%s%s", u.len ? ", " : "", name);
        else if (streq(kind, "Group"))
            kapi_buf_printf(&g, "%s%s", g.len ? ", " : "", name);
    }
    kapi_pcell_name(c);
    kapi_pcell_printf(c, "%s/%s", kapi_pstr_or(P(c->obj, "roleRef", "kind"), ""),
                      kapi_pstr_or(P(c->obj, "roleRef", "name"), ""));
    kapi_pcell_age(c);
    kapi_pcell_str(c, u.data);
    kapi_pcell_str(c, g.data);
    kapi_pcell_str(c, s.data);
    kapi_buf_dispose(&u);
    kapi_buf_dispose(&g);
    kapi_buf_dispose(&s);
}

/* ---- storage.k8s.io ---- */

static const struct kapi_printer_column storageclass_cols[] = {
    NAME_COL,
    COL("Provisioner", "string", "Volume plugin that provisions volumes."),
    COL("ReclaimPolicy", "string", "Reclaim policy of provisioned volumes."),
    COL("VolumeBindingMode", "string", "When volumes are bound and provisioned."),
    COL("AllowVolumeExpansion", "string", "Whether volumes may be expanded."),
    AGE_COL,
};

static void storageclass_cells(struct kapi_pctx *c)
{
    const struct kapi_value *ann = P(c->obj, "metadata", "annotations");
    const char *name = kapi_pstr_or(P(c->obj, "metadata", "name"), "");
    if (streq(kapi_value_cstr(kapi_obj_get(ann, "storageclass.kubernetes.io/is-default-class")), "true") ||
        streq(kapi_value_cstr(kapi_obj_get(ann, "storageclass.beta.kubernetes.io/is-default-class")), "true"))
        name = kapi_pool_printf(c->pool, "%s (default)", name);
    kapi_pcell_str(c, name);
    kapi_pcell_str(c, PS(c->obj, "provisioner"));
    kapi_pcell_str(c, kapi_pstr_or(P(c->obj, "reclaimPolicy"), "Delete"));
    kapi_pcell_str(c, kapi_pstr_or(P(c->obj, "volumeBindingMode"), "Immediate"));
    kapi_pcell_bool(c, kapi_pbool(P(c->obj, "allowVolumeExpansion"), false));
    kapi_pcell_age(c);
}

static const struct kapi_printer_column csidriver_cols[] = {
    NAME_COL,
    COL("AttachRequired", "boolean", "Whether volumes need an attach step."),
    COL("PodInfoOnMount", "boolean", "Whether pod information is passed on mount."),
    COL("StorageCapacity", "boolean", "Whether the driver reports capacity."),
    COL("TokenRequests", "string", "Audiences of requested service account tokens."),
    COL("RequiresRepublish", "boolean", "Whether volumes are republished periodically."),
    COL("Modes", "string", "Supported volume lifecycle modes."),
    AGE_COL,
};

static void csidriver_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *tr = P(spec, "tokenRequests");
    const struct kapi_value *modes = P(spec, "volumeLifecycleModes");
    /* Upstream defaults an empty mode list to Persistent. */
    const char *ms = kapi_plen(modes) ? join_strs(c->pool, modes, NULL, ",") : "Persistent";
    kapi_pcell_name(c);
    kapi_pcell_bool(c, kapi_pbool(P(spec, "attachRequired"), true));
    kapi_pcell_bool(c, kapi_pbool(P(spec, "podInfoOnMount"), false));
    kapi_pcell_bool(c, kapi_pbool(P(spec, "storageCapacity"), false));
    kapi_pcell_str(c, tr && tr->type == KAPI_V_ARRAY ? join_strs(c->pool, tr, "audience", ",") : "<unset>");
    kapi_pcell_bool(c, kapi_pbool(P(spec, "requiresRepublish"), false));
    kapi_pcell_str(c, ms);
    kapi_pcell_age(c);
}

static const struct kapi_printer_column csinode_cols[] = {
    NAME_COL,
    COL("Drivers", "integer", "Number of CSI drivers on the node."),
    AGE_COL,
};

static void csinode_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    kapi_pcell_int(c, (int64_t)kapi_plen(P(c->obj, "spec", "drivers")));
    kapi_pcell_age(c);
}

static const struct kapi_printer_column csistoragecapacity_cols[] = {
    NAME_COL,
    COL("StorageClassName", "string", "Storage class the capacity is for."),
    COL("Capacity", "string", "Reported capacity."),
};

static void csistoragecapacity_cells(struct kapi_pctx *c)
{
    const struct kapi_value *cap = P(c->obj, "capacity");
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(c->obj, "storageClassName"));
    if (cap && cap->type == KAPI_V_INT)
        kapi_pcell_printf(c, "%lld", (long long)cap->u.i);
    else
        kapi_pcell_str(c, kapi_value_cstr(cap) ? kapi_value_cstr(cap) : "<unset>");
}

static const struct kapi_printer_column volumeattachment_cols[] = {
    NAME_COL,
    { "Attacher", "string", "name", "Driver that attaches the volume.", 0 },
    COL("PV", "string", "Persistent volume being attached."),
    COL("Node", "string", "Node the volume is attached to."),
    COL("Attached", "boolean", "Whether the attach succeeded."),
    AGE_COL,
};

static void volumeattachment_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec");
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(spec, "attacher"));
    kapi_pcell_str(c, PS(spec, "source", "persistentVolumeName"));
    kapi_pcell_str(c, PS(spec, "nodeName"));
    kapi_pcell_bool(c, kapi_pbool(P(c->obj, "status", "attached"), false));
    kapi_pcell_age(c);
}

/* ---- admissionregistration.k8s.io ---- */

static const struct kapi_printer_column webhook_cols[] = {
    NAME_COL,
    COL("Webhooks", "integer", "Number of webhooks in the configuration."),
    AGE_COL,
};

static void webhook_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    kapi_pcell_int(c, (int64_t)kapi_plen(P(c->obj, "webhooks")));
    kapi_pcell_age(c);
}

static const struct kapi_printer_column vap_cols[] = {
    NAME_COL,
    COL("Validations", "integer", "Number of validation rules."),
    COL("ParamKind", "string", "Kind of the parameter resource."),
    AGE_COL,
};

static void vap_cells(struct kapi_pctx *c)
{
    const struct kapi_value *pk = P(c->obj, "spec", "paramKind");
    kapi_pcell_name(c);
    kapi_pcell_int(c, (int64_t)kapi_plen(P(c->obj, "spec", "validations")));
    if (is_obj(pk))
        kapi_pcell_printf(c, "%s/%s", kapi_pstr_or(P(pk, "apiVersion"), ""), kapi_pstr_or(P(pk, "kind"), ""));
    else
        kapi_pcell_str(c, "<unset>");
    kapi_pcell_age(c);
}

static const struct kapi_printer_column vapb_cols[] = {
    NAME_COL,
    COL("PolicyName", "string", "Policy the binding applies."),
    COL("ParamRef", "string", "Parameter resource of the binding."),
    AGE_COL,
};

/* Go's generated String() of a LabelSelector, which upstream prints as is. */
static const char *selector_gostring(struct kapi_pool *pool, const struct kapi_value *sel)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "&LabelSelector{MatchLabels:map[string]string{");
    const struct kapi_value *ml = P(sel, "matchLabels"), *me = P(sel, "matchExpressions");
    size_t n = ml && ml->type == KAPI_V_OBJECT ? ml->u.obj.len : 0;
    const char **keys = kapi_pool_alloc(pool, (n + 1) * sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = ml->u.obj.members[i].key;
    kapi_psort_strs(keys, n);
    for (size_t i = 0; i < n; i++)
        kapi_buf_printf(&b, "%s: %s,", keys[i], kapi_pstr_or(kapi_obj_get(ml, keys[i]), ""));
    kapi_buf_puts(&b, "},MatchExpressions:[]LabelSelectorRequirement{");
    for (size_t i = 0; i < kapi_plen(me); i++) {
        const struct kapi_value *e = item(me, i);
        kapi_buf_printf(&b, "LabelSelectorRequirement{Key:%s,Operator:%s,Values:[",
                        kapi_pstr_or(P(e, "key"), ""), kapi_pstr_or(P(e, "operator"), ""));
        const struct kapi_value *vals = P(e, "values");
        for (size_t j = 0; j < kapi_plen(vals); j++)
            kapi_buf_printf(&b, "%s%s", j ? " " : "", kapi_pstr_or(item(vals, j), ""));
        kapi_buf_puts(&b, "],},");
    }
    kapi_buf_puts(&b, "},}");
    const char *out = kapi_pool_strdup(pool, b.data);
    kapi_buf_dispose(&b);
    return out;
}

static void vapb_cells(struct kapi_pctx *c)
{
    const struct kapi_value *pr = P(c->obj, "spec", "paramRef");
    const char *ps = "<unset>";
    if (is_obj(pr)) {
        const char *name = kapi_pstr_or(P(pr, "name"), NULL), *ns = kapi_pstr_or(P(pr, "namespace"), NULL);
        if (name)
            ps = kapi_pool_printf(c->pool, "%s/%s", ns ? ns : "*", name);
        else if (is_obj(P(pr, "selector")))
            ps = selector_gostring(c->pool, P(pr, "selector"));
    }
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(c->obj, "spec", "policyName"));
    kapi_pcell_str(c, ps);
    kapi_pcell_age(c);
}

/* ---- certificates.k8s.io ---- */

static const struct kapi_printer_column csr_cols[] = {
    NAME_COL,
    AGE_COL,
    COL("SignerName", "string", "Signer the request is addressed to."),
    COL("Requestor", "string", "User who created the request."),
    COL("RequestedDuration", "string", "Requested certificate lifetime."),
    COL("Condition", "string", "Approval state of the request."),
};

static void csr_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *conds = P(c->obj, "status", "conditions");
    bool approved = false, denied = false, failed = false;
    for (size_t i = 0; i < kapi_plen(conds); i++) {
        const char *t = PS(item(conds, i), "type");
        approved = approved || streq(t, "Approved");
        denied = denied || streq(t, "Denied");
        failed = failed || streq(t, "Failed");
    }
    const char *cond = kapi_pool_printf(c->pool, "%s%s%s", denied ? "Denied" : approved ? "Approved" : "Pending",
                                        failed ? ",Failed" : "",
                                        kapi_pstr_or(P(c->obj, "status", "certificate"), NULL) ? ",Issued" : "");
    const struct kapi_value *exp = P(spec, "expirationSeconds");
    kapi_pcell_name(c);
    kapi_pcell_age(c);
    kapi_pcell_str(c, kapi_pstr_or(P(spec, "signerName"), "<none>"));
    kapi_pcell_str(c, PS(spec, "username"));
    kapi_pcell_str(c, exp ? kapi_human_duration(c->pool, kapi_pint(exp, 0)) : "<none>");
    kapi_pcell_str(c, cond);
}

/* ---- coordination, scheduling, node ---- */

static const struct kapi_printer_column lease_cols[] = {
    NAME_COL,
    COL("Holder", "string", "Identity of the current holder."),
    AGE_COL,
};

static void lease_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(c->obj, "spec", "holderIdentity"));
    kapi_pcell_age(c);
}

static const struct kapi_printer_column priorityclass_cols[] = {
    NAME_COL,
    COL("Value", "integer", "Priority value."),
    COL("Global-Default", "boolean", "Whether pods without a class get this one."),
    AGE_COL,
    COL("PreemptionPolicy", "string", "Whether pods of this class may preempt others."),
};

static void priorityclass_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    kapi_pcell_int(c, kapi_pint(P(c->obj, "value"), 0));
    kapi_pcell_bool(c, kapi_pbool(P(c->obj, "globalDefault"), false));
    kapi_pcell_age(c);
    kapi_pcell_str(c, kapi_pstr_or(P(c->obj, "preemptionPolicy"), "PreemptLowerPriority"));
}

static const struct kapi_printer_column runtimeclass_cols[] = {
    NAME_COL,
    COL("Handler", "string", "Runtime handler the class selects."),
    AGE_COL,
};

static void runtimeclass_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(c->obj, "handler"));
    kapi_pcell_age(c);
}

/* ---- flowcontrol.apiserver.k8s.io ---- */

static const struct kapi_printer_column flowschema_cols[] = {
    NAME_COL,
    COL("PriorityLevel", "string", "Priority level the matched requests go to."),
    COL("MatchingPrecedence", "string", "Order of evaluation (lower first)."),
    COL("DistinguisherMethod", "string", "How flows are told apart."),
    AGE_COL,
    COL("MissingPL", "string", "Whether the priority level is missing."),
};

static void flowschema_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *conds = P(c->obj, "status", "conditions");
    const char *missing = "?";
    for (size_t i = 0; i < kapi_plen(conds); i++)
        if (streq(PS(item(conds, i), "type"), "Dangling")) {
            missing = kapi_pstr_or(P(item(conds, i), "status"), "");
            break;
        }
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(spec, "priorityLevelConfiguration", "name"));
    kapi_pcell_int(c, kapi_pint(P(spec, "matchingPrecedence"), 1000));
    kapi_pcell_str(c, is_obj(P(spec, "distinguisherMethod")) ? PS(spec, "distinguisherMethod", "type") : "<none>");
    kapi_pcell_age(c);
    kapi_pcell_str(c, missing);
}

static const struct kapi_printer_column prioritylevel_cols[] = {
    NAME_COL,
    COL("Type", "string", "Limited or Exempt."),
    COL("NominalConcurrencyShares", "string", "Share of the server's concurrency."),
    COL("Queues", "string", "Number of queues."),
    COL("HandSize", "string", "Queues dealt to each flow."),
    COL("QueueLengthLimit", "string", "Requests allowed waiting per queue."),
    AGE_COL,
};

static void prioritylevel_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *lim = P(spec, "limited");
    const struct kapi_value *q = P(lim, "limitResponse", "queuing");
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(spec, "type"));
    if (is_obj(lim))
        kapi_pcell_int(c, kapi_pint(P(lim, "nominalConcurrencyShares"), 30));
    else
        kapi_pcell_str(c, "<none>");
    if (is_obj(lim) && is_obj(q)) {
        kapi_pcell_int(c, kapi_pint(P(q, "queues"), 64));
        kapi_pcell_int(c, kapi_pint(P(q, "handSize"), 8));
        kapi_pcell_int(c, kapi_pint(P(q, "queueLengthLimit"), 50));
    } else {
        kapi_pcell_str(c, "<none>");
        kapi_pcell_str(c, "<none>");
        kapi_pcell_str(c, "<none>");
    }
    kapi_pcell_age(c);
}

/* ---- apiregistration.k8s.io (the aggregator's own table) ---- */

static const struct kapi_printer_column apiservice_cols[] = {
    NAME_COL,
    COL("Service", "string", "Service that serves the API, or Local."),
    COL("Available", "string", "Availability condition."),
    AGE_COL,
};

static void apiservice_cells(struct kapi_pctx *c)
{
    const struct kapi_value *svc = P(c->obj, "spec", "service"), *conds = P(c->obj, "status", "conditions");
    const char *avail = "Unknown";
    for (size_t i = 0; i < kapi_plen(conds); i++) {
        const struct kapi_value *cd = item(conds, i);
        if (!streq(PS(cd, "type"), "Available"))
            continue;
        const char *st = kapi_pstr_or(P(cd, "status"), ""), *why = kapi_pstr_or(P(cd, "reason"), NULL);
        avail = !streq(st, "True") && why ? kapi_pool_printf(c->pool, "%s (%s)", st, why) : st;
        break;
    }
    kapi_pcell_name(c);
    if (is_obj(svc))
        kapi_pcell_printf(c, "%s/%s", kapi_pstr_or(P(svc, "namespace"), ""), kapi_pstr_or(P(svc, "name"), ""));
    else
        kapi_pcell_str(c, "Local");
    kapi_pcell_str(c, avail);
    kapi_pcell_age(c);
}

const struct kapi_printer kapi_printers_cluster[] = {
    KAPI_PRINTER("networking.k8s.io", "ingresses", ingress_cols, ingress_cells),
    KAPI_PRINTER("networking.k8s.io", "ingressclasses", ingressclass_cols, ingressclass_cells),
    KAPI_PRINTER("networking.k8s.io", "networkpolicies", networkpolicy_cols, networkpolicy_cells),
    KAPI_PRINTER("networking.k8s.io", "servicecidrs", servicecidr_cols, servicecidr_cells),
    KAPI_PRINTER("networking.k8s.io", "ipaddresses", ipaddress_cols, ipaddress_cells),
    KAPI_PRINTER("discovery.k8s.io", "endpointslices", endpointslice_cols, endpointslice_cells),
    KAPI_PRINTER("rbac.authorization.k8s.io", "rolebindings", rolebinding_cols, rolebinding_cells),
    KAPI_PRINTER("rbac.authorization.k8s.io", "clusterrolebindings", rolebinding_cols, rolebinding_cells),
    KAPI_PRINTER("storage.k8s.io", "storageclasses", storageclass_cols, storageclass_cells),
    KAPI_PRINTER("storage.k8s.io", "csidrivers", csidriver_cols, csidriver_cells),
    KAPI_PRINTER("storage.k8s.io", "csinodes", csinode_cols, csinode_cells),
    KAPI_PRINTER("storage.k8s.io", "csistoragecapacities", csistoragecapacity_cols, csistoragecapacity_cells),
    KAPI_PRINTER("storage.k8s.io", "volumeattachments", volumeattachment_cols, volumeattachment_cells),
    KAPI_PRINTER("admissionregistration.k8s.io", "mutatingwebhookconfigurations", webhook_cols, webhook_cells),
    KAPI_PRINTER("admissionregistration.k8s.io", "validatingwebhookconfigurations", webhook_cols, webhook_cells),
    KAPI_PRINTER("admissionregistration.k8s.io", "validatingadmissionpolicies", vap_cols, vap_cells),
    KAPI_PRINTER("admissionregistration.k8s.io", "validatingadmissionpolicybindings", vapb_cols, vapb_cells),
    KAPI_PRINTER("certificates.k8s.io", "certificatesigningrequests", csr_cols, csr_cells),
    KAPI_PRINTER("coordination.k8s.io", "leases", lease_cols, lease_cells),
    KAPI_PRINTER("scheduling.k8s.io", "priorityclasses", priorityclass_cols, priorityclass_cells),
    KAPI_PRINTER("node.k8s.io", "runtimeclasses", runtimeclass_cols, runtimeclass_cells),
    KAPI_PRINTER("flowcontrol.apiserver.k8s.io", "flowschemas", flowschema_cols, flowschema_cells),
    KAPI_PRINTER("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", prioritylevel_cols,
                 prioritylevel_cells),
    KAPI_PRINTER("apiregistration.k8s.io", "apiservices", apiservice_cols, apiservice_cells),
};
const size_t kapi_printers_cluster_n = KAPI_ARRAY_LEN(kapi_printers_cluster);
