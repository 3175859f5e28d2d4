/* registry/printers/core: Table printers of the core ("") group, plus
 * events.k8s.io events (upstream prints both through the core Event). */
#include <stdio.h>
#include <string.h>

#include "printers_int.h"


/* ---- pods ---- */

static const struct kapi_printer_column pod_cols[] = {
    NAME_COL,
    COL("Ready", "string", "Ready containers out of all containers."),
    COL("Status", "string", "Summary of the pod's state."),
    COL("Restarts", "string", "Container restarts, with the time of the latest."),
    AGE_COL,
    WCOL("IP", "string", "First pod IP."),
    WCOL("Node", "string", "Node the pod runs on."),
    WCOL("Nominated Node", "string", "Node nominated by preemption."),
    WCOL("Readiness Gates", "string", "Readiness gates that are true, out of all."),
};

/* A sidecar: an init container with restartPolicy Always. */
static bool restartable_init(const struct kapi_value *inits, const char *name)
{
    const struct kapi_value *found = NULL;
    for (size_t i = 0; name && i < kapi_plen(inits); i++)
        if (streq(PS(item(inits, i), "name"), name))
            found = item(inits, i);
    return found && streq(PS(found, "restartPolicy"), "Always");
}

static bool has_condition(const struct kapi_value *conds, const char *type, bool first_only)
{
    for (size_t i = 0; i < kapi_plen(conds); i++) {
        const struct kapi_value *cd = item(conds, i);
        if (!streq(PS(cd, "type"), type))
            continue;
        if (streq(PS(cd, "status"), "True"))
            return true;
        if (first_only)
            return false;
    }
    return false;
}

static void note_restart(const struct kapi_value *cs, int64_t *last)
{
    const struct kapi_value *t = P(cs, "lastState", "terminated");
    if (!is_obj(t))
        return;
    int64_t at = kapi_ptime(PS(t, "finishedAt"));
    if (*last < at)
        *last = at;
}

static void pod_cells(struct kapi_pctx *c)
{
    struct kapi_pool *pool = c->pool;
    const struct kapi_value *spec = P(c->obj, "spec"), *st = P(c->obj, "status");
    const struct kapi_value *inits = P(spec, "initContainers"), *conds = P(st, "conditions");
    int64_t restarts = 0, sidecar_restarts = 0, last = INT64_MIN, sidecar_last = INT64_MIN;
    int64_t total = (int64_t)kapi_plen(P(spec, "containers")), ready = 0;
    /* Upstream's create strategy always sets a phase; Pending is its initial value. */
    const char *phase = kapi_pstr_or(P(st, "phase"), "Pending");
    const char *reason = kapi_pstr_or(P(st, "reason"), phase);

    for (size_t i = 0; i < kapi_plen(conds); i++)
        if (streq(PS(item(conds, i), "type"), "PodScheduled") &&
            streq(PS(item(conds, i), "reason"), "SchedulingGated"))
            reason = "SchedulingGated";
    for (size_t i = 0; i < kapi_plen(inits); i++)
        if (streq(PS(item(inits, i), "restartPolicy"), "Always"))
            total++;

    bool initializing = false;
    const struct kapi_value *ics = P(st, "initContainerStatuses");
    for (size_t i = 0; i < kapi_plen(ics); i++) {
        const struct kapi_value *cs = item(ics, i);
        int64_t rc = kapi_pint(P(cs, "restartCount"), 0);
        bool sidecar = restartable_init(inits, PS(cs, "name"));
        restarts += rc;
        note_restart(cs, &last);
        if (sidecar) {
            sidecar_restarts += rc;
            note_restart(cs, &sidecar_last);
        }
        const struct kapi_value *term = P(cs, "state", "terminated"), *wait = P(cs, "state", "waiting");
        if (is_obj(term) && kapi_pint(P(term, "exitCode"), 0) == 0)
            continue;
        if (sidecar && kapi_pbool(P(cs, "started"), false)) {
            if (kapi_pbool(P(cs, "ready"), false))
                ready++;
            continue;
        }
        if (is_obj(term)) {
            const char *tr = kapi_pstr_or(P(term, "reason"), NULL);
            if (tr)
                reason = kapi_pool_printf(pool, "Init:%s", tr);
            else if (kapi_pint(P(term, "signal"), 0) != 0)
                reason = kapi_pool_printf(pool, "Init:Signal:%lld", (long long)kapi_pint(P(term, "signal"), 0));
            else
                reason = kapi_pool_printf(pool, "Init:ExitCode:%lld", (long long)kapi_pint(P(term, "exitCode"), 0));
        } else if (is_obj(wait) && kapi_pstr_or(P(wait, "reason"), NULL) &&
                   !streq(PS(wait, "reason"), "PodInitializing")) {
            reason = kapi_pool_printf(pool, "Init:%s", PS(wait, "reason"));
        } else {
            reason = kapi_pool_printf(pool, "Init:%zu/%zu", i, kapi_plen(inits));
        }
        initializing = true;
        break;
    }

    if (!initializing || has_condition(conds, "Initialized", true)) {
        restarts = sidecar_restarts;
        last = sidecar_last;
        bool running = false;
        const struct kapi_value *css = P(st, "containerStatuses");
        /* Walk backwards so the first container's state wins the reason. */
        for (size_t k = kapi_plen(css); k-- > 0;) {
            const struct kapi_value *cs = item(css, k);
            restarts += kapi_pint(P(cs, "restartCount"), 0);
            note_restart(cs, &last);
            const struct kapi_value *term = P(cs, "state", "terminated");
            const char *wr = kapi_pstr_or(P(cs, "state", "waiting", "reason"), NULL);
            if (is_obj(P(cs, "state", "waiting")) && wr) {
                reason = wr;
            } else if (is_obj(term) && kapi_pstr_or(P(term, "reason"), NULL)) {
                reason = PS(term, "reason");
            } else if (is_obj(term)) {
                if (kapi_pint(P(term, "signal"), 0) != 0)
                    reason = kapi_pool_printf(pool, "Signal:%lld", (long long)kapi_pint(P(term, "signal"), 0));
                else
                    reason = kapi_pool_printf(pool, "ExitCode:%lld", (long long)kapi_pint(P(term, "exitCode"), 0));
            } else if (kapi_pbool(P(cs, "ready"), false) && is_obj(P(cs, "state", "running"))) {
                running = true;
                ready++;
            }
        }
        if (streq(reason, "Completed") && running)
            reason = has_condition(conds, "Ready", false) ? "Running" : "NotReady";
    }

    if (kapi_value_cstr(P(c->obj, "metadata", "deletionTimestamp"))) {
        if (streq(PS(st, "reason"), "NodeLost"))
            reason = "Unknown";
        else if (!streq(phase, "Succeeded") && !streq(phase, "Failed"))
            reason = "Terminating";
    }

    kapi_pcell_name(c);
    kapi_pcell_printf(c, "%lld/%lld", (long long)ready, (long long)total);
    kapi_pcell_str(c, reason);
    if (restarts != 0 && last != INT64_MIN)
        kapi_pcell_printf(c, "%lld (%s ago)", (long long)restarts, kapi_human_duration(pool, c->now - last));
    else
        kapi_pcell_printf(c, "%lld", (long long)restarts);
    kapi_pcell_age(c);

    const char *ip = kapi_pstr_or(P(item(P(st, "podIPs"), 0), "ip"), NULL);
    if (!ip && kapi_plen(P(st, "podIPs")) == 0)
        ip = kapi_pstr_or(P(st, "podIP"), NULL); /* podIPs mirrors podIP upstream */
    kapi_pcell_str(c, ip ? ip : "<none>");
    kapi_pcell_str(c, kapi_pstr_or(P(spec, "nodeName"), "<none>"));
    kapi_pcell_str(c, kapi_pstr_or(P(st, "nominatedNodeName"), "<none>"));
    const struct kapi_value *gates = P(spec, "readinessGates");
    if (kapi_plen(gates) == 0) {
        kapi_pcell_str(c, "<none>");
        return;
    }
    size_t ok = 0;
    for (size_t g = 0; g < kapi_plen(gates); g++) {
        const char *want = PS(item(gates, g), "conditionType");
        for (size_t i = 0; i < kapi_plen(conds); i++)
            if (streq(PS(item(conds, i), "type"), want ? want : "")) {
                ok += streq(PS(item(conds, i), "status"), "True");
                break;
            }
    }
    kapi_pcell_printf(c, "%zu/%zu", ok, kapi_plen(gates));
}

/* ---- podtemplates, replicationcontrollers ---- */

static const struct kapi_printer_column podtemplate_cols[] = {
    NAME_COL,
    COL("Containers", "string", "Container names of the template."),
    COL("Images", "string", "Container images of the template."),
    COL("Pod Labels", "string", "Labels of the template's pods."),
};

static void podtemplate_cells(struct kapi_pctx *c)
{
    const char *names, *images;
    kapi_pfmt_containers(c->pool, P(c->obj, "template", "spec", "containers"), &names, &images);
    kapi_pcell_name(c);
    kapi_pcell_str(c, names);
    kapi_pcell_str(c, images);
    kapi_pcell_str(c, kapi_pfmt_labels(c->pool, P(c->obj, "template", "metadata", "labels")));
}

static const struct kapi_printer_column rc_cols[] = {
    NAME_COL,
    COL("Desired", "integer", "Requested number of replicas."),
    COL("Current", "integer", "Replicas that exist."),
    COL("Ready", "integer", "Replicas that are ready."),
    AGE_COL,
    WCOL("Containers", "string", "Container names of the template."),
    WCOL("Images", "string", "Container images of the template."),
    WCOL("Selector", "string", "Label selector of the pods."),
};

static void rc_cells(struct kapi_pctx *c)
{
    const char *names, *images;
    kapi_pcell_name(c);
    kapi_pcell_int(c, kapi_pint(P(c->obj, "spec", "replicas"), 1));
    kapi_pcell_int(c, kapi_pint(P(c->obj, "status", "replicas"), 0));
    kapi_pcell_int(c, kapi_pint(P(c->obj, "status", "readyReplicas"), 0));
    kapi_pcell_age(c);
    kapi_pfmt_containers(c->pool, P(c->obj, "spec", "template", "spec", "containers"), &names, &images);
    kapi_pcell_str(c, names);
    kapi_pcell_str(c, images);
    kapi_pcell_str(c, kapi_pfmt_labels(c->pool, P(c->obj, "spec", "selector")));
}

/* ---- services, endpoints ---- */

static const struct kapi_printer_column service_cols[] = {
    NAME_COL,
    COL("Type", "string", "How the service is exposed."),
    COL("Cluster-IP", "string", "Cluster IP of the service."),
    COL("External-IP", "string", "Addresses reachable from outside the cluster."),
    COL("Port(s)", "string", "Ports the service exposes."),
    AGE_COL,
    WCOL("Selector", "string", "Labels of the pods behind the service."),
};

static const char *join_strs(struct kapi_pool *pool, const struct kapi_value *arr, const char *sep)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; i < kapi_plen(arr); i++) {
        if (i)
            kapi_buf_puts(&b, sep);
        const char *s = kapi_value_cstr(item(arr, i));
        kapi_buf_puts(&b, s ? s : "");
    }
    const char *out = kapi_pool_strdup(pool, b.data);
    kapi_buf_dispose(&b);
    return out;
}

static void service_cells(struct kapi_pctx *c)
{
    struct kapi_pool *pool = c->pool;
    const struct kapi_value *spec = P(c->obj, "spec");
    /* Upstream always defaults the type; an undefaulted object reads as ClusterIP. */
    const char *type = kapi_pstr_or(P(spec, "type"), "ClusterIP");
    const char *cip = kapi_pstr_or(item(P(spec, "clusterIPs"), 0), NULL);
    if (!cip && kapi_plen(P(spec, "clusterIPs")) == 0)
        cip = kapi_pstr_or(P(spec, "clusterIP"), NULL);
    const struct kapi_value *ext = P(spec, "externalIPs");
    const char *eip;
    if (streq(type, "ClusterIP") || streq(type, "NodePort")) {
        eip = kapi_plen(ext) ? join_strs(pool, ext, ",") : "<none>";
    } else if (streq(type, "LoadBalancer")) {
        const char *lb = kapi_pfmt_lb_ingress(pool, P(c->obj, "status", "loadBalancer", "ingress"));
        if (kapi_plen(ext))
            eip = *lb ? kapi_pool_printf(pool, "%s,%s", lb, join_strs(pool, ext, ",")) : join_strs(pool, ext, ",");
        else
            eip = *lb ? lb : "<pending>";
    } else if (streq(type, "ExternalName")) {
        eip = kapi_pstr_or(P(spec, "externalName"), "");
    } else {
        eip = "<unknown>";
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    const struct kapi_value *ports = P(spec, "ports");
    for (size_t i = 0; i < kapi_plen(ports); i++) {
        const struct kapi_value *p = item(ports, i);
        long long port = (long long)kapi_pint(P(p, "port"), 0), np = (long long)kapi_pint(P(p, "nodePort"), 0);
        const char *proto = kapi_pstr_or(P(p, "protocol"), "TCP");
        if (np > 0)
            kapi_buf_printf(&b, "%s%lld:%lld/%s", i ? "," : "", port, np, proto);
        else
            kapi_buf_printf(&b, "%s%lld/%s", i ? "," : "", port, proto);
    }
    const char *portstr = b.len ? kapi_pool_strdup(pool, b.data) : "<none>";
    kapi_buf_dispose(&b);

    kapi_pcell_name(c);
    kapi_pcell_str(c, type);
    kapi_pcell_str(c, cip ? cip : "<none>");
    kapi_pcell_str(c, eip);
    kapi_pcell_str(c, portstr);
    kapi_pcell_age(c);
    kapi_pcell_str(c, kapi_pfmt_labels(pool, P(spec, "selector")));
}

static const struct kapi_printer_column endpoints_cols[] = {
    NAME_COL,
    COL("Endpoints", "string", "Addresses and ports of the endpoints."),
    AGE_COL,
};

static void endpoints_cells(struct kapi_pctx *c)
{
    const struct kapi_value *subsets = P(c->obj, "subsets");
    kapi_pcell_name(c);
    if (kapi_plen(subsets) == 0) {
        kapi_pcell_str(c, "<none>");
        kapi_pcell_age(c);
        return;
    }
    enum { MAX = 3 };
    const char *list[MAX];
    size_t n = 0, count = 0;
    bool more = false;
    for (size_t s = 0; s < kapi_plen(subsets); s++) {
        const struct kapi_value *ss = item(subsets, s), *addrs = P(ss, "addresses"), *ports = P(ss, "ports");
        size_t np = kapi_plen(ports), na = kapi_plen(addrs);
        /* Headless services may list addresses without ports. */
        for (size_t p = 0; p < (np ? np : 1); p++) {
            count += na;
            for (size_t a = 0; a < na; a++) {
                if (n == MAX) {
                    more = true;
                    break;
                }
                const char *ip = kapi_pstr_or(P(item(addrs, a), "ip"), "");
                if (!np)
                    list[n++] = ip;
                else if (strchr(ip, ':'))
                    list[n++] = kapi_pool_printf(c->pool, "[%s]:%lld", ip,
                                                 (long long)kapi_pint(P(item(ports, p), "port"), 0));
                else
                    list[n++] = kapi_pool_printf(c->pool, "%s:%lld", ip,
                                                 (long long)kapi_pint(P(item(ports, p), "port"), 0));
            }
        }
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++)
        kapi_buf_printf(&b, "%s%s", i ? "," : "", list[i]);
    if (more)
        kapi_buf_printf(&b, " + %zu more...", count - MAX);
    kapi_pcell_str(c, b.data);
    kapi_buf_dispose(&b);
    kapi_pcell_age(c);
}

/* ---- nodes ---- */

static const struct kapi_printer_column node_cols[] = {
    NAME_COL,
    COL("Status", "string", "Readiness and schedulability of the node."),
    COL("Roles", "string", "Roles taken from the node's role labels."),
    AGE_COL,
    COL("Version", "string", "Kubelet version."),
    WCOL("Internal-IP", "string", "First internal address."),
    WCOL("External-IP", "string", "First external address."),
    WCOL("OS-Image", "string", "Operating system image."),
    WCOL("Kernel-Version", "string", "Kernel version."),
    WCOL("Container-Runtime", "string", "Container runtime and version."),
};

static const char *node_address(const struct kapi_value *node, const char *type)
{
    const struct kapi_value *addrs = P(node, "status", "addresses");
    for (size_t i = 0; i < kapi_plen(addrs); i++)
        if (streq(PS(item(addrs, i), "type"), type))
            return kapi_pstr_or(P(item(addrs, i), "address"), "");
    return "<none>";
}

static void node_cells(struct kapi_pctx *c)
{
    struct kapi_pool *pool = c->pool;
    const struct kapi_value *conds = P(c->obj, "status", "conditions");
    const char *status = "Unknown";
    /* Later duplicates of a condition type win, as with upstream's map. */
    for (size_t i = 0; i < kapi_plen(conds); i++)
        if (streq(PS(item(conds, i), "type"), "Ready"))
            status = streq(PS(item(conds, i), "status"), "True") ? "Ready" : "NotReady";
    if (kapi_pbool(P(c->obj, "spec", "unschedulable"), false))
        status = kapi_pool_printf(pool, "%s,SchedulingDisabled", status);

    const struct kapi_value *labels = P(c->obj, "metadata", "labels");
    size_t nl = kapi_plen(labels), nr = 0;
    const char **roles = kapi_pool_alloc(pool, (nl + 1) * sizeof *roles);
    for (size_t i = 0; labels && labels->type == KAPI_V_OBJECT && i < nl; i++) {
        const char *k = labels->u.obj.members[i].key, *v = kapi_value_cstr(labels->u.obj.members[i].val);
        const char *role = NULL;
        if (strncmp(k, "node-role.kubernetes.io/", 24) == 0 && k[24])
            role = k + 24;
        else if (strcmp(k, "kubernetes.io/role") == 0 && v && *v)
            role = v;
        bool dup = false;
        for (size_t q = 0; role && q < nr; q++)
            dup = dup || strcmp(roles[q], role) == 0;
        if (role && !dup)
            roles[nr++] = role;
    }
    kapi_psort_strs(roles, nr);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; i < nr; i++)
        kapi_buf_printf(&b, "%s%s", i ? "," : "", roles[i]);
    const char *rolestr = nr ? kapi_pool_strdup(pool, b.data) : "<none>";
    kapi_buf_dispose(&b);

    const struct kapi_value *info = P(c->obj, "status", "nodeInfo");
    kapi_pcell_name(c);
    kapi_pcell_str(c, status);
    kapi_pcell_str(c, rolestr);
    kapi_pcell_age(c);
    kapi_pcell_str(c, PS(info, "kubeletVersion"));
    kapi_pcell_str(c, node_address(c->obj, "InternalIP"));
    kapi_pcell_str(c, node_address(c->obj, "ExternalIP"));
    kapi_pcell_str(c, kapi_pstr_or(P(info, "osImage"), "<unknown>"));
    kapi_pcell_str(c, kapi_pstr_or(P(info, "kernelVersion"), "<unknown>"));
    kapi_pcell_str(c, kapi_pstr_or(P(info, "containerRuntimeVersion"), "<unknown>"));
}

/* ---- events (core/v1 and events.k8s.io/v1 shapes) ---- */

static const struct kapi_printer_column event_cols[] = {
    COL("Last Seen", "string", "Time since the event was last seen."),
    COL("Type", "string", "Event type (Normal, Warning)."),
    COL("Reason", "string", "Short machine-readable cause."),
    COL("Object", "string", "Object the event is about."),
    WCOL("Subobject", "string", "Field path within the object."),
    WCOL("Source", "string", "Component (and host) that reported the event."),
    COL("Message", "string", "Human-readable description."),
    WCOL("First Seen", "string", "Time since the event was first seen."),
    WCOL("Count", "string", "How often the event occurred."),
    { "Name", "string", "name", "Name of the object.", 1 },
};

static const char *trim_space(struct kapi_pool *pool, const char *s)
{
    if (!s)
        return "";
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r' ||
                 s[n - 1] == '\v' || s[n - 1] == '\f'))
        n--;
    return kapi_pool_strndup(pool, s, n);
}

static void event_cells(struct kapi_pctx *c)
{
    struct kapi_pool *pool = c->pool;
    const struct kapi_value *o = c->obj;
    /* events.k8s.io renames the legacy fields; read either shape. */
    bool v1ev = streq(c->group, "events.k8s.io");
    const struct kapi_value *inv = P(o, v1ev ? "regarding" : "involvedObject");
    const struct kapi_value *src = P(o, v1ev ? "deprecatedSource" : "source");
    const char *first_s = PS(o, v1ev ? "deprecatedFirstTimestamp" : "firstTimestamp");
    const char *last_s = PS(o, v1ev ? "deprecatedLastTimestamp" : "lastTimestamp");
    int64_t count = kapi_pint(P(o, v1ev ? "deprecatedCount" : "count"), 0);
    const char *msg = PS(o, v1ev ? "note" : "message");

    const char *first = kapi_ptime(first_s) == INT64_MIN ? kapi_ptime_since(c, PS(o, "eventTime"))
                                                         : kapi_ptime_since(c, first_s);
    const char *last = kapi_ptime(last_s) == INT64_MIN ? first : kapi_ptime_since(c, last_s);
    const struct kapi_value *series = P(o, "series");
    if (is_obj(series)) {
        last = kapi_ptime_since(c, PS(series, "lastObservedTime"));
        count = kapi_pint(P(series, "count"), 0);
    } else if (count == 0) {
        count = 1; /* singleton events carry no count */
    }
    const char *kind = kapi_pstr_or(P(inv, "kind"), "");
    char *lkind = kapi_pool_strdup(pool, kind);
    for (char *p = lkind; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    const char *iname = kapi_pstr_or(P(inv, "name"), NULL);
    const char *target = iname ? kapi_pool_printf(pool, "%s/%s", lkind, iname) : lkind;
    const char *comp = kapi_pstr_or(P(src, "component"), kapi_pstr_or(P(o, "reportingController"), ""));
    const char *host = kapi_pstr_or(P(src, "host"), kapi_pstr_or(P(o, "reportingInstance"), ""));

    kapi_pcell_str(c, last);
    kapi_pcell_str(c, PS(o, "type"));
    kapi_pcell_str(c, PS(o, "reason"));
    kapi_pcell_str(c, target);
    kapi_pcell_str(c, PS(inv, "fieldPath"));
    kapi_pcell_str(c, *host ? kapi_pool_printf(pool, "%s, %s", comp, host) : comp);
    kapi_pcell_str(c, trim_space(pool, msg));
    kapi_pcell_str(c, first);
    kapi_pcell_int(c, count);
    kapi_pcell_name(c);
}

/* ---- namespaces, secrets, serviceaccounts, configmaps ---- */

static const struct kapi_printer_column namespace_cols[] = {
    NAME_COL,
    COL("Status", "string", "Phase of the namespace."),
    AGE_COL,
};

static void namespace_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(c->obj, "status", "phase"));
    kapi_pcell_age(c);
}

static const struct kapi_printer_column secret_cols[] = {
    NAME_COL,
    COL("Type", "string", "Type of the secret."),
    COL("Data", "string", "Number of data entries."),
    AGE_COL,
};

static void secret_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    kapi_pcell_str(c, kapi_pstr_or(P(c->obj, "type"), "Opaque"));
    kapi_pcell_int(c, (int64_t)kapi_plen(P(c->obj, "data")));
    kapi_pcell_age(c);
}

static const struct kapi_printer_column serviceaccount_cols[] = {
    NAME_COL,
    COL("Secrets", "string", "Number of referenced secrets."),
    AGE_COL,
};

static void serviceaccount_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    kapi_pcell_int(c, (int64_t)kapi_plen(P(c->obj, "secrets")));
    kapi_pcell_age(c);
}

static const struct kapi_printer_column configmap_cols[] = {
    NAME_COL,
    COL("Data", "string", "Number of data and binaryData entries."),
    AGE_COL,
};

static void configmap_cells(struct kapi_pctx *c)
{
    kapi_pcell_name(c);
    kapi_pcell_int(c, (int64_t)(kapi_plen(P(c->obj, "data")) + kapi_plen(P(c->obj, "binaryData"))));
    kapi_pcell_age(c);
}

/* ---- persistent volumes and claims ---- */

static const char *access_modes(struct kapi_pool *pool, const struct kapi_value *modes)
{
    static const struct {
        const char *mode, *abbr;
    } order[] = {
        { "ReadWriteOnce", "RWO" }, { "ReadOnlyMany", "ROX" }, { "ReadWriteMany", "RWX" }, { "ReadWriteOncePod", "RWOP" },
    };
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t o = 0; o < KAPI_ARRAY_LEN(order); o++)
        for (size_t i = 0; i < kapi_plen(modes); i++)
            if (streq(kapi_value_cstr(item(modes, i)), order[o].mode)) {
                kapi_buf_printf(&b, "%s%s", b.len ? "," : "", order[o].abbr);
                break;
            }
    const char *s = kapi_pool_strdup(pool, b.data);
    kapi_buf_dispose(&b);
    return s;
}

/* The beta storage-class annotation still overrides storageClassName. */
static const char *storage_class(const struct kapi_value *o)
{
    const char *a = kapi_value_cstr(P(o, "metadata", "annotations", "volume.beta.kubernetes.io/storage-class"));
    return a ? a : kapi_pstr_or(P(o, "spec", "storageClassName"), "");
}

static bool deleting(const struct kapi_value *o)
{
    return kapi_value_cstr(P(o, "metadata", "deletionTimestamp")) != NULL;
}

static const struct kapi_printer_column pv_cols[] = {
    NAME_COL,
    COL("Capacity", "string", "Storage capacity."),
    COL("Access Modes", "string", "Access modes, abbreviated."),
    COL("Reclaim Policy", "string", "What happens to the volume once released."),
    COL("Status", "string", "Phase of the volume."),
    COL("Claim", "string", "Claim bound to the volume."),
    COL("StorageClass", "string", "Storage class of the volume."),
    COL("VolumeAttributesClass", "string", "Volume attributes class of the volume."),
    COL("Reason", "string", "Reason for a failed phase."),
    AGE_COL,
    WCOL("VolumeMode", "string", "Filesystem or Block."),
};

static void pv_cells(struct kapi_pctx *c)
{
    const struct kapi_value *o = c->obj, *spec = P(o, "spec");
    const struct kapi_value *claim = P(spec, "claimRef");
    kapi_pcell_name(c);
    kapi_pcell_str(c, kapi_pstr_or(P(spec, "capacity", "storage"), "0"));
    kapi_pcell_str(c, access_modes(c->pool, P(spec, "accessModes")));
    kapi_pcell_str(c, kapi_pstr_or(P(spec, "persistentVolumeReclaimPolicy"), "Retain"));
    kapi_pcell_str(c, deleting(o) ? "Terminating" : kapi_pstr_or(P(o, "status", "phase"), "Pending"));
    kapi_pcell_str(c, is_obj(claim) ? kapi_pool_printf(c->pool, "%s/%s", kapi_pstr_or(P(claim, "namespace"), ""),
                                                       kapi_pstr_or(P(claim, "name"), ""))
                                    : "");
    kapi_pcell_str(c, storage_class(o));
    kapi_pcell_str(c, kapi_value_cstr(P(spec, "volumeAttributesClassName")) ? PS(spec, "volumeAttributesClassName")
                                                                            : "<unset>");
    kapi_pcell_str(c, PS(o, "status", "reason"));
    kapi_pcell_age(c);
    kapi_pcell_str(c, kapi_pstr_or(P(spec, "volumeMode"), "Filesystem"));
}

static const struct kapi_printer_column pvc_cols[] = {
    NAME_COL,
    COL("Status", "string", "Phase of the claim."),
    COL("Volume", "string", "Volume bound to the claim."),
    COL("Capacity", "string", "Capacity of the bound volume."),
    COL("Access Modes", "string", "Access modes of the bound volume."),
    COL("StorageClass", "string", "Storage class of the claim."),
    COL("VolumeAttributesClass", "string", "Volume attributes class of the claim."),
    AGE_COL,
    WCOL("VolumeMode", "string", "Filesystem or Block."),
};

static void pvc_cells(struct kapi_pctx *c)
{
    const struct kapi_value *o = c->obj, *spec = P(o, "spec");
    const char *vol = kapi_pstr_or(P(spec, "volumeName"), "");
    kapi_pcell_name(c);
    kapi_pcell_str(c, deleting(o) ? "Terminating" : kapi_pstr_or(P(o, "status", "phase"), "Pending"));
    kapi_pcell_str(c, vol);
    /* Capacity and modes only mean something once bound. */
    kapi_pcell_str(c, *vol ? kapi_pstr_or(P(o, "status", "capacity", "storage"), "0") : "");
    kapi_pcell_str(c, *vol ? access_modes(c->pool, P(o, "status", "accessModes")) : "");
    const char *a = kapi_value_cstr(P(o, "metadata", "annotations", "volume.beta.kubernetes.io/storage-class"));
    kapi_pcell_str(c, a ? a : kapi_pstr_or(P(spec, "storageClassName"), ""));
    kapi_pcell_str(c, kapi_value_cstr(P(spec, "volumeAttributesClassName")) ? PS(spec, "volumeAttributesClassName")
                                                                            : "<unset>");
    kapi_pcell_age(c);
    kapi_pcell_str(c, kapi_pstr_or(P(spec, "volumeMode"), "Filesystem"));
}

/* ---- componentstatuses, resourcequotas ---- */

static const struct kapi_printer_column componentstatus_cols[] = {
    NAME_COL,
    COL("Status", "string", "Health of the component."),
    COL("Message", "string", "Message of the health condition."),
    COL("Error", "string", "Error of the health condition."),
};

static void componentstatus_cells(struct kapi_pctx *c)
{
    const struct kapi_value *conds = P(c->obj, "conditions");
    const char *status = "Unknown", *msg = "", *err = "";
    for (size_t i = 0; i < kapi_plen(conds); i++) {
        const struct kapi_value *cd = item(conds, i);
        if (!streq(PS(cd, "type"), "Healthy"))
            continue;
        status = streq(PS(cd, "status"), "True") ? "Healthy" : "Unhealthy";
        msg = kapi_pstr_or(P(cd, "message"), "");
        err = kapi_pstr_or(P(cd, "error"), "");
        break;
    }
    kapi_pcell_name(c);
    kapi_pcell_str(c, status);
    kapi_pcell_str(c, msg);
    kapi_pcell_str(c, err);
}

static const struct kapi_printer_column resourcequota_cols[] = {
    NAME_COL,
    COL("Request", "string", "Used and hard request quotas."),
    COL("Limit", "string", "Used and hard limit quotas."),
    AGE_COL,
};

static void resourcequota_cells(struct kapi_pctx *c)
{
    struct kapi_pool *pool = c->pool;
    const struct kapi_value *hard = P(c->obj, "status", "hard"), *used = P(c->obj, "status", "used");
    size_t n = hard && hard->type == KAPI_V_OBJECT ? hard->u.obj.len : 0;
    const char **names = kapi_pool_alloc(pool, (n + 1) * sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = hard->u.obj.members[i].key;
    kapi_psort_strs(names, n);
    struct kapi_buf req, lim;
    kapi_buf_init(&req, 0);
    kapi_buf_init(&lim, 0);
    kapi_buf_puts(&req, "");
    kapi_buf_puts(&lim, "");
    for (size_t i = 0; i < n; i++) {
        /* "limits.cpu" and friends go to the Limit column. */
        struct kapi_buf *w = strncmp(names[i], "limits.", 7) == 0 ? &lim : &req;
        kapi_buf_printf(w, "%s%s: %s/%s", w->len ? ", " : "", names[i],
                        kapi_pstr_or(kapi_obj_get(used, names[i]), "0"),
                        kapi_pstr_or(kapi_obj_get(hard, names[i]), "0"));
    }
    kapi_pcell_name(c);
    kapi_pcell_str(c, req.data);
    kapi_pcell_str(c, lim.data);
    kapi_pcell_age(c);
    kapi_buf_dispose(&req);
    kapi_buf_dispose(&lim);
}

const struct kapi_printer kapi_printers_core[] = {
    KAPI_PRINTER("", "pods", pod_cols, pod_cells),
    KAPI_PRINTER("", "podtemplates", podtemplate_cols, podtemplate_cells),
    KAPI_PRINTER("", "replicationcontrollers", rc_cols, rc_cells),
    KAPI_PRINTER("", "services", service_cols, service_cells),
    KAPI_PRINTER("", "endpoints", endpoints_cols, endpoints_cells),
    KAPI_PRINTER("", "nodes", node_cols, node_cells),
    KAPI_PRINTER("", "events", event_cols, event_cells),
    KAPI_PRINTER("events.k8s.io", "events", event_cols, event_cells),
    KAPI_PRINTER("", "namespaces", namespace_cols, namespace_cells),
    KAPI_PRINTER("", "secrets", secret_cols, secret_cells),
    KAPI_PRINTER("", "serviceaccounts", serviceaccount_cols, serviceaccount_cells),
    KAPI_PRINTER("", "configmaps", configmap_cols, configmap_cells),
    KAPI_PRINTER("", "persistentvolumes", pv_cols, pv_cells),
    KAPI_PRINTER("", "persistentvolumeclaims", pvc_cols, pvc_cells),
    KAPI_PRINTER("", "componentstatuses", componentstatus_cols, componentstatus_cells),
    KAPI_PRINTER("", "resourcequotas", resourcequota_cols, resourcequota_cells),
};
const size_t kapi_printers_core_n = KAPI_ARRAY_LEN(kapi_printers_core);
