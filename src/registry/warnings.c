/* registry/warnings: strategy warnings of built-in kinds (see warnings.h).
 * Field paths are written as upstream's field.Path prints them
 * (spec.nodeSelector[key], spec.containers[0].env[1]); lists are walked in
 * order, and maps (nodeSelector, matchLabels) in the order of the object. */
#include "warnings.h"

#include "validation/validation_int.h"
#include "../schema/quantity.h"

#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

void kapi_warnings_add(struct kapi_pool *pool, struct kapi_warnings *w, const char *msg)
{
    if (!w || !msg)
        return;
    if (w->len == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        const char **items = kapi_pool_alloc(pool, cap * sizeof(*items));
        if (w->len)
            memcpy(items, w->items, w->len * sizeof(*items));
        w->items = items;
        w->cap = cap;
    }
    w->items[w->len++] = kapi_pool_strdup(pool, msg);
}

const char *kapi_resource_deprecation(const char *group, const char *version, const char *resource)
{
    if (group && !*group && version && !strcmp(version, "v1") && resource && !strcmp(resource, "endpoints"))
        return "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice";
    return NULL;
}

/* ---- Helpers. */

static const char *q(struct kv_ctx *c, const char *s)
{
    return kapi_go_quote(c->pool, s ? s : "", s ? strlen(s) : 0);
}

/* base.child ("child" alone when base is the empty root path) */
static const char *child(struct kv_ctx *c, const char *base, const char *name)
{
    return *base ? kv_path(c, "%s.%s", base, name) : name;
}

/* Go's %v of IsDNS1123Label's messages: "[a b]", or NULL when name is a label. */
static const char *dns_label_msgs(struct kv_ctx *c, const char *name)
{
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t n = kapi_name_dns_label(name ? name : "", false, msgs);
    if (!n)
        return NULL;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_putc(&b, ' ');
        kapi_buf_puts(&b, msgs[i]);
    }
    kapi_buf_putc(&b, ']');
    char *s = kapi_pool_strndup(c->pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

static void name_warning(struct kv_ctx *c, const struct kapi_value *obj, bool pod)
{
    const char *m = dns_label_msgs(c, kv_str0(kv_get(obj, "metadata"), "name"));
    if (!m)
        return;
    if (pod)
        kv_warn(c, "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; "
                   "a DNS label is recommended: %s", m);
    else
        kv_warn(c, "metadata.name: this is used in Pod names and hostnames, which can result in surprising "
                   "behavior; a DNS label is recommended: %s", m);
}

/* A quantity whose MilliValue is not a whole number of units: its canonical
 * form (upstream's String(), returned in *canon) ends in m, u or n. */
static bool fractional(struct kv_ctx *c, const struct kapi_value *v, const char **canon)
{
    const char *s = kapi_value_cstr(v);
    if (!s)
        return false;
    const char *out = NULL, *err = NULL;
    if (kapi_quantity_canonical(c->pool, s, strlen(s), &out, &err) != 0 || !out || !*out)
        return false;
    char last = out[strlen(out) - 1];
    *canon = out;
    return last == 'm' || last == 'u' || last == 'n';
}

static void fractional_warning(struct kv_ctx *c, const struct kapi_value *list, const char *key, const char *fld)
{
    const char *canon;
    if (fractional(c, kv_get(list, key), &canon))
        kv_warn(c, "%s[%s]: fractional byte value %s is invalid, must be an integer", fld, key, q(c, canon));
}

/* ---- Node labels (pkg/api/node). */

static const char *const DEPRECATED_NODE_LABELS[][2] = {
    {"beta.kubernetes.io/arch", "deprecated since v1.14; use \"kubernetes.io/arch\" instead"},
    {"beta.kubernetes.io/os", "deprecated since v1.14; use \"kubernetes.io/os\" instead"},
    {"failure-domain.beta.kubernetes.io/region", "deprecated since v1.17; use \"topology.kubernetes.io/region\" instead"},
    {"failure-domain.beta.kubernetes.io/zone", "deprecated since v1.17; use \"topology.kubernetes.io/zone\" instead"},
    {"beta.kubernetes.io/instance-type", "deprecated since v1.17; use \"node.kubernetes.io/instance-type\" instead"},
    {"app.kubernetes.io/created-by", "deprecated since v1.9"},
    {"scheduler.alpha.kubernetes.io/preferAvoidPods", "deprecated since v1.22; use Taints and Tolerations instead"},
    {"node-role.kubernetes.io/master", "use \"node-role.kubernetes.io/control-plane\" instead"},
};

static const char *node_label_deprecated(const char *key)
{
    for (size_t i = 0; key && i < N(DEPRECATED_NODE_LABELS); i++)
        if (!strcmp(key, DEPRECATED_NODE_LABELS[i][0]))
            return DEPRECATED_NODE_LABELS[i][1];
    return NULL;
}

static void node_selector_term(struct kv_ctx *c, const struct kapi_value *term, const char *fld)
{
    const struct kapi_value *ex = kv_get(term, "matchExpressions");
    for (size_t i = 0; i < kv_len(ex); i++) {
        const char *key = kv_str0(kv_item(ex, i), "key");
        const char *msg = node_label_deprecated(key);
        if (msg)
            kv_warn(c, "%s.matchExpressions[%zu].key: %s is %s", fld, i, key, msg);
    }
}

/* ---- Claims (pkg/api/persistentvolumeclaim). */

static void pvc_spec(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    const struct kapi_value *res = kv_get(spec, "resources");
    fractional_warning(c, kv_get(res, "requests"), "storage", child(c, fld, "resources.requests"));
    fractional_warning(c, kv_get(res, "limits"), "storage", child(c, fld, "resources.limits"));
}

#define BETA_STORAGE_CLASS "volume.beta.kubernetes.io/storage-class"

static void pvc(struct kv_ctx *c, const struct kapi_value *obj)
{
    if (kv_get(kv_get(kv_get(obj, "metadata"), "annotations"), BETA_STORAGE_CLASS))
        kv_warn(c, "metadata.annotations[" BETA_STORAGE_CLASS "]: deprecated since v1.8; use \"storageClassName\" "
                   "attribute instead");
    pvc_spec(c, kv_get(obj, "spec"), "spec");
}

static void pv(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    if (kv_get(kv_get(kv_get(obj, "metadata"), "annotations"), BETA_STORAGE_CLASS))
        kv_warn(c, "metadata.annotations[" BETA_STORAGE_CLASS "]: deprecated since v1.8; use \"storageClassName\" "
                   "attribute instead");
    if (!strcmp(kv_str0(spec, "persistentVolumeReclaimPolicy"), "Recycle"))
        kv_warn(c, "spec.persistentVolumeReclaimPolicy: The Recycle reclaim policy is deprecated. Instead, the "
                   "recommended approach is to use dynamic provisioning.");
    const struct kapi_value *terms = kv_get(kv_get(kv_get(spec, "nodeAffinity"), "required"), "nodeSelectorTerms");
    for (size_t i = 0; i < kv_len(terms); i++)
        node_selector_term(c, kv_item(terms, i), kv_path(c, "spec.nodeAffinity.required.nodeSelectorTerms[%zu]", i));
    static const char *const plugins[][2] = {
        {"cephfs", "deprecated in v1.28, non-functional in v1.31+"},
        {"photonPersistentDisk", "deprecated in v1.11, non-functional in v1.16+"},
        {"scaleIO", "deprecated in v1.16, non-functional in v1.22+"},
        {"storageOS", "deprecated in v1.22, non-functional in v1.25+"},
        {"glusterfs", "deprecated in v1.25, non-functional in v1.26+"},
        {"rbd", "deprecated in v1.28, non-functional in v1.31+"},
    };
    for (size_t i = 0; i < N(plugins); i++)
        if (kv_get(spec, plugins[i][0]))
            kv_warn(c, "spec.%s: %s", plugins[i][0], plugins[i][1]);
}

/* ---- Overlapping volume paths (warningsForOverlappingVirtualPaths). */

struct strset {
    const char **items;
    size_t len;
};

static bool set_has(const struct strset *s, const char *v)
{
    for (size_t i = 0; i < s->len; i++)
        if (!strcmp(s->items[i], v))
            return true;
    return false;
}

static void set_add(struct kv_ctx *c, struct strset *s, const char *v, size_t cap)
{
    if (!set_has(s, v) && s->len < cap)
        s->items[s->len++] = v;
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* checkForOverlap: the first recorded path that path collides with; "" when
 * none (or when either is empty, which ends the search). */
/* "<path>[i].<key>: duplicate <key> <value>" for each item of arr whose key
 * repeats an earlier item's. */
static void duplicate_items(struct kv_ctx *c, const struct kapi_value *arr, const char *key, const char *path)
{
    size_t n = kv_len(arr);
    if (n < 2)
        return;
    struct strset seen = {kapi_pool_alloc(c->pool, n * sizeof(char *)), 0};
    for (size_t i = 0; i < n; i++) {
        const char *v = kv_str0(kv_item(arr, i), key);
        if (set_has(&seen, v))
            kv_warn(c, "%s[%zu].%s: duplicate %s %s", path, i, key, key, q(c, v));
        else
            set_add(c, &seen, v, n);
    }
}

static const char *overlap_with(struct kv_ctx *c, const struct strset *paths, const char *path)
{
    for (size_t i = 0; i < paths->len; i++) {
        const char *item = paths->items[i];
        if (!*item || !*path)
            return "";
        if (!strcmp(item, path) || has_prefix(kv_path(c, "%s/", item), path) ||
            has_prefix(kv_path(c, "%s/", path), item))
            return item;
    }
    return "";
}

static void check_overlap(struct kv_ctx *c, const char **paths, size_t n, const char *msg)
{
    struct strset seen = {kapi_pool_alloc(c->pool, (n + 1) * sizeof(char *)), 0};
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(paths[i]);
        while (l && paths[i][l - 1] == '/')
            l--;
        const char *norm = kapi_pool_strndup(c->pool, paths[i], l);
        const char *col = overlap_with(c, &seen, norm);
        if (*col)
            kv_warn(c, "%s: %s with %s", msg, q(c, norm), q(c, col));
        set_add(c, &seen, norm, n);
    }
}

/* The path of each item of items (KeyToPath / DownwardAPIVolumeFile). */
static const char **item_paths(struct kv_ctx *c, const struct kapi_value *items, size_t *n)
{
    *n = kv_len(items);
    const char **out = kapi_pool_alloc(c->pool, (*n + 1) * sizeof(char *));
    for (size_t i = 0; i < *n; i++)
        out[i] = kv_str0(kv_item(items, i), "path");
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void projected_overlaps(struct kv_ctx *c, const char *vname, const struct kapi_value *sources)
{
    size_t total = 0;
    for (size_t i = 0; i < kv_len(sources); i++) {
        const struct kapi_value *s = kv_item(sources, i);
        total += kv_len(kv_get(kv_get(s, "configMap"), "items")) + kv_len(kv_get(kv_get(s, "secret"), "items")) +
                 kv_len(kv_get(kv_get(s, "downwardAPI"), "items")) + 2;
    }
    struct strset all = {kapi_pool_alloc(c->pool, (total + 1) * sizeof(char *)), 0};
    /* as upstream, a source that matches no case reuses the previous paths */
    const char **paths = NULL;
    size_t n = 0;
    const char *msg = NULL;
    for (size_t i = 0; i < kv_len(sources); i++) {
        const struct kapi_value *s = kv_item(sources, i);
        const struct kapi_value *cm = kv_get(s, "configMap"), *sec = kv_get(s, "secret"),
                                *dw = kv_get(s, "downwardAPI"), *sat = kv_get(s, "serviceAccountToken"),
                                *ctb = kv_get(s, "clusterTrustBundle");
        if (kv_len(s) == 0 || (!cm && !sec && !dw && !sat && !ctb)) {
            kv_warn(c, "volume %s (Projected) has no sources provided", q(c, vname));
            continue;
        }
        if (cm && kv_get(cm, "items")) {
            paths = item_paths(c, kv_get(cm, "items"), &n);
            msg = kv_path(c, "volume %s (Projected ConfigMap %s): overlapping paths", q(c, vname),
                          q(c, kv_str0(cm, "name")));
        } else if (sec && kv_get(sec, "items")) {
            paths = item_paths(c, kv_get(sec, "items"), &n);
            msg = kv_path(c, "volume %s (Projected Secret %s): overlapping paths", q(c, vname),
                          q(c, kv_str0(sec, "name")));
        } else if (dw && kv_get(dw, "items")) {
            paths = item_paths(c, kv_get(dw, "items"), &n);
            msg = kv_path(c, "volume %s (Projected DownwardAPI): overlapping paths", q(c, vname));
        } else if (sat) {
            paths = kapi_pool_alloc(c->pool, sizeof(char *));
            paths[0] = kv_str0(sat, "path");
            n = 1;
            msg = kv_path(c, "volume %s (Projected ServiceAccountToken): overlapping paths", q(c, vname));
        } else if (ctb) {
            paths = kapi_pool_alloc(c->pool, sizeof(char *));
            paths[0] = kv_str0(ctb, "path");
            n = 1;
            const char *nm = kv_str(ctb, "name");
            msg = kv_path(c, "volume %s (Projected ClusterTrustBundle %s): overlapping paths", q(c, vname),
                          q(c, nm ? nm : kv_str0(ctb, "signerName")));
        }
        if (n == 0)
            continue;
        check_overlap(c, paths, n, msg);
        struct strset uniq = {kapi_pool_alloc(c->pool, (n + 1) * sizeof(char *)), 0};
        for (size_t k = 0; k < n; k++)
            set_add(c, &uniq, paths[k], n);
        const char **ordered = kapi_pool_alloc(c->pool, (uniq.len + all.len + 1) * sizeof(char *));
        memcpy(ordered, uniq.items, uniq.len * sizeof(char *));
        if (all.len)
            memcpy(ordered + uniq.len, all.items, all.len * sizeof(char *));
        qsort(ordered, uniq.len + all.len, sizeof(char *), cmp_str);
        check_overlap(c, ordered, uniq.len + all.len, msg);
        for (size_t k = 0; k < uniq.len; k++)
            set_add(c, &all, uniq.items[k], total);
    }
}

static void volume_overlaps(struct kv_ctx *c, const struct kapi_value *vols)
{
    for (size_t i = 0; i < kv_len(vols); i++) {
        const struct kapi_value *v = kv_item(vols, i);
        const char *name = kv_str0(v, "name");
        const struct kapi_value *cm = kv_get(v, "configMap"), *sec = kv_get(v, "secret"),
                                *dw = kv_get(v, "downwardAPI"), *pj = kv_get(v, "projected");
        size_t n;
        const char **paths;
        if (cm && kv_get(cm, "items")) {
            paths = item_paths(c, kv_get(cm, "items"), &n);
            check_overlap(c, paths, n,
                          kv_path(c, "volume %s (ConfigMap %s): overlapping paths", q(c, name), q(c, kv_str0(cm, "name"))));
        }
        if (sec && kv_get(sec, "items")) {
            paths = item_paths(c, kv_get(sec, "items"), &n);
            check_overlap(c, paths, n,
                          kv_path(c, "volume %s (Secret %s): overlapping paths", q(c, name),
                                  q(c, kv_str0(sec, "secretName"))));
        }
        if (dw && kv_get(dw, "items")) {
            paths = item_paths(c, kv_get(dw, "items"), &n);
            check_overlap(c, paths, n, kv_path(c, "volume %s (DownwardAPI): overlapping paths", q(c, name)));
        }
        if (pj)
            projected_overlaps(c, name, kv_get(pj, "sources"));
    }
}

/* ---- Pods and pod templates (pkg/api/pod warningsForPodSpecAndMeta). */

static const char *const DEPRECATED_POD_ANNOTATIONS[][2] = {
    {"scheduler.alpha.kubernetes.io/critical-pod", "non-functional in v1.16+; use the \"priorityClassName\" field instead"},
    {"security.alpha.kubernetes.io/sysctls", "non-functional in v1.11+; use the \"sysctls\" field instead"},
    {"security.alpha.kubernetes.io/unsafe-sysctls", "non-functional in v1.11+; use the \"sysctls\" field instead"},
};

#define SECCOMP_POD_KEY "seccomp.security.alpha.kubernetes.io/pod"
#define SECCOMP_CTR_PREFIX "container.seccomp.security.alpha.kubernetes.io/"
#define APPARMOR_PREFIX "container.apparmor.security.beta.kubernetes.io/"

struct ctr_ref {
    const struct kapi_value *ct;
    const char *path;
};

/* VisitContainersWithPath: init, regular, then ephemeral containers. */
static struct ctr_ref *containers(struct kv_ctx *c, const struct kapi_value *spec, const char *sp, size_t *n)
{
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    size_t total = 0;
    for (size_t l = 0; l < N(lists); l++)
        total += kv_len(kv_get(spec, lists[l]));
    struct ctr_ref *out = kapi_pool_alloc(c->pool, (total + 1) * sizeof(*out));
    *n = 0;
    for (size_t l = 0; l < N(lists); l++) {
        const struct kapi_value *arr = kv_get(spec, lists[l]);
        for (size_t i = 0; i < kv_len(arr); i++)
            out[(*n)++] = (struct ctr_ref){kv_item(arr, i), kv_path(c, "%s.%s[%zu]", sp, lists[l], i)};
    }
    return out;
}

static void affinity_terms(struct kv_ctx *c, const struct kapi_value *aff, const char *fld)
{
    const struct kapi_value *req = kv_get(aff, "requiredDuringSchedulingIgnoredDuringExecution");
    for (size_t i = 0; i < kv_len(req); i++)
        if (!kv_get(kv_item(req, i), "labelSelector"))
            kv_warn(c, "%s.requiredDuringSchedulingIgnoredDuringExecution[%zu].labelSelector: a null labelSelector "
                       "results in matching no pod", fld, i);
    const struct kapi_value *pref = kv_get(aff, "preferredDuringSchedulingIgnoredDuringExecution");
    for (size_t i = 0; i < kv_len(pref); i++)
        if (!kv_get(kv_get(kv_item(pref, i), "podAffinityTerm"), "labelSelector"))
            kv_warn(c, "%s.preferredDuringSchedulingIgnoredDuringExecution[%zu].podAffinityTerm.labelSelector: a "
                       "null labelSelector results in matching no pod", fld, i);
}

static void container_warnings(struct kv_ctx *c, const struct ctr_ref *r, const struct kapi_value *ann,
                               const char *base, bool is_template, bool pod_apparmor)
{
    const struct kapi_value *ct = r->ct, *sc = kv_get(ct, "securityContext");
    const char *name = kv_str0(ct, "name");
    const char *annp = child(c, base, "metadata.annotations");
    if (!kv_get(sc, "seccompProfile")) {
        const char *key = kv_path(c, SECCOMP_CTR_PREFIX "%s", name);
        if (kv_get(ann, key))
            kv_warn(c, "%s[%s]: non-functional in v1.27+; use the \"seccompProfile\" field instead", annp, key);
    }
    if (is_template && !pod_apparmor && !kv_get(sc, "appArmorProfile")) {
        const char *key = kv_path(c, APPARMOR_PREFIX "%s", name);
        if (kv_get(ann, key))
            kv_warn(c, "%s[%s]: deprecated since v1.30; use the \"appArmorProfile\" field instead", annp, key);
    }
    const struct kapi_value *res = kv_get(ct, "resources");
    const char *lim = kv_path(c, "%s.resources.limits", r->path), *req = kv_path(c, "%s.resources.requests", r->path);
    fractional_warning(c, kv_get(res, "limits"), "memory", lim);
    fractional_warning(c, kv_get(res, "requests"), "memory", req);
    fractional_warning(c, kv_get(res, "limits"), "ephemeral-storage", lim);
    fractional_warning(c, kv_get(res, "requests"), "ephemeral-storage", req);
    const struct kapi_value *env = kv_get(ct, "env");
    if (kv_len(env) > 1) {
        struct strset seen = {kapi_pool_alloc(c->pool, kv_len(env) * sizeof(char *)), 0};
        for (size_t i = 0; i < kv_len(env); i++) {
            const struct kapi_value *e = kv_item(env, i);
            const char *en = kv_str0(e, "name"), *val = kv_str0(e, "value");
            if (!set_has(&seen, en)) {
                set_add(c, &seen, en, kv_len(env));
                continue;
            }
            const char *ref = kv_path(c, "$(%s)", en);
            if (kv_get(e, "valueFrom") || !strcmp(val, ref) || !strstr(val, ref))
                kv_warn(c, "%s.env[%zu]: hides previous definition of %s, which may be dropped when using apply",
                        r->path, i, q(c, en));
        }
    }
}

struct port_block {
    const char *field, *host_ip, *key;
    int64_t host_port;
};

static void port_warnings(struct kv_ctx *c, const struct ctr_ref *refs, size_t nrefs)
{
    size_t total = 0;
    for (size_t k = 0; k < nrefs; k++)
        total += kv_len(kv_get(refs[k].ct, "ports"));
    struct port_block *all = kapi_pool_alloc(c->pool, (total + 1) * sizeof(*all));
    size_t n = 0;
    for (size_t k = 0; k < nrefs; k++) {
        const struct kapi_value *ports = kv_get(refs[k].ct, "ports");
        for (size_t i = 0; i < kv_len(ports); i++) {
            const struct kapi_value *p = kv_item(ports, i);
            int64_t hp = 0, cp = 0;
            kv_int(p, "hostPort", &hp);
            kv_int(p, "containerPort", &cp);
            const char *hip = kv_str0(p, "hostIP"), *proto = kv_str0(p, "protocol");
            const char *fld = kv_path(c, "%s.ports[%zu]", refs[k].path, i);
            if (*hip && hp == 0)
                kv_warn(c, "%s: hostIP set without hostPort: {Name:%s HostPort:%lld ContainerPort:%lld Protocol:%s "
                           "HostIP:%s}", fld, kv_str0(p, "name"), (long long)hp, (long long)cp, proto, hip);
            const char *key = kv_path(c, "%lld/%s", (long long)cp, proto);
            for (size_t j = 0; j < n; j++) {
                const struct port_block *o = &all[j];
                if (strcmp(o->key, key))
                    continue;
                bool a = !*hip, b = !*o->host_ip;
                if (!strcmp(hip, o->host_ip) && hp == o->host_port)
                    kv_warn(c, "%s: duplicate port definition with %s", fld, o->field);
                else if (hp == 0 || o->host_port == 0)
                    kv_warn(c, "%s: overlapping port definition with %s", fld, o->field);
                else if (hp == o->host_port && (a || b) && !(a && b))
                    kv_warn(c, "%s: dangerously ambiguous port definition with %s", fld, o->field);
            }
            all[n++] = (struct port_block){fld, hip, key, hp};
        }
    }
}

/* base: "" for a pod, else the template's path ("spec.template"). */
static void pod_spec_and_meta(struct kv_ctx *c, const char *base, const struct kapi_value *spec,
                              const struct kapi_value *meta)
{
    bool is_template = *base != 0;
    const char *sp = child(c, base, "spec");
    const struct kapi_value *ann = kv_get(meta, "annotations");
    const char *annp = child(c, base, "metadata.annotations");

    const struct kapi_value *ns = kv_get(spec, "nodeSelector");
    for (size_t i = 0; i < kv_len(ns) && ns->type == KAPI_V_OBJECT; i++) {
        const char *msg = node_label_deprecated(ns->u.obj.members[i].key);
        if (msg)
            kv_warn(c, "%s.nodeSelector[%s]: %s", sp, ns->u.obj.members[i].key, msg);
    }
    const struct kapi_value *na = kv_get(kv_get(spec, "affinity"), "nodeAffinity");
    if (na) {
        const struct kapi_value *terms =
            kv_get(kv_get(na, "requiredDuringSchedulingIgnoredDuringExecution"), "nodeSelectorTerms");
        for (size_t i = 0; i < kv_len(terms); i++)
            node_selector_term(c, kv_item(terms, i),
                               kv_path(c, "%s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                                          "nodeSelectorTerms[%zu]", sp, i));
        const struct kapi_value *pref = kv_get(na, "preferredDuringSchedulingIgnoredDuringExecution");
        for (size_t i = 0; i < kv_len(pref); i++)
            node_selector_term(c, kv_get(kv_item(pref, i), "preference"),
                               kv_path(c, "%s.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[%zu]."
                                          "preference", sp, i));
    }
    const struct kapi_value *tsc = kv_get(spec, "topologySpreadConstraints");
    for (size_t i = 0; i < kv_len(tsc); i++) {
        const struct kapi_value *t = kv_item(tsc, i);
        const char *key = kv_str0(t, "topologyKey"), *msg = node_label_deprecated(key);
        if (msg)
            kv_warn(c, "%s.topologySpreadConstraints[%zu].topologyKey: %s is %s", sp, i, key, msg);
        if (!kv_get(t, "labelSelector"))
            kv_warn(c, "%s.topologySpreadConstraints[%zu].labelSelector: a null labelSelector results in matching "
                       "no pod", sp, i);
    }
    for (size_t i = 0; i < N(DEPRECATED_POD_ANNOTATIONS); i++)
        if (kv_get(ann, DEPRECATED_POD_ANNOTATIONS[i][0]))
            kv_warn(c, "%s[%s]: %s", annp, DEPRECATED_POD_ANNOTATIONS[i][0], DEPRECATED_POD_ANNOTATIONS[i][1]);

    static const char *const plugins[][2] = {
        {"photonPersistentDisk", "deprecated in v1.11, non-functional in v1.16+"},
        {"gitRepo", "deprecated in v1.11"},
        {"scaleIO", "deprecated in v1.16, non-functional in v1.22+"},
        {"flocker", "deprecated in v1.22, non-functional in v1.25+"},
        {"storageOS", "deprecated in v1.22, non-functional in v1.25+"},
        {"quobyte", "deprecated in v1.22, non-functional in v1.25+"},
        {"glusterfs", "deprecated in v1.25, non-functional in v1.26+"},
        {NULL, NULL}, /* ephemeral claim template */
        {"cephfs", "deprecated in v1.28, non-functional in v1.31+"},
        {"rbd", "deprecated in v1.28, non-functional in v1.31+"},
    };
    const struct kapi_value *vols = kv_get(spec, "volumes");
    for (size_t i = 0; i < kv_len(vols); i++) {
        const struct kapi_value *v = kv_item(vols, i);
        for (size_t k = 0; k < N(plugins); k++) {
            if (!plugins[k][0]) {
                const struct kapi_value *vct = kv_get(kv_get(v, "ephemeral"), "volumeClaimTemplate");
                if (vct)
                    pvc_spec(c, kv_get(vct, "spec"),
                             kv_path(c, "%s.volumes[%zu].ephemeral.volumeClaimTemplate.spec", sp, i));
            } else if (kv_get(v, plugins[k][0])) {
                kv_warn(c, "%s.volumes[%zu].%s: %s", sp, i, plugins[k][0], plugins[k][1]);
            }
        }
    }
    volume_overlaps(c, vols);

    duplicate_items(c, kv_get(spec, "hostAliases"), "ip", kv_path(c, "%s.hostAliases", sp));
    const struct kapi_value *ips = kv_get(spec, "imagePullSecrets");
    duplicate_items(c, ips, "name", kv_path(c, "%s.imagePullSecrets", sp));
    for (size_t i = 0; i < kv_len(ips); i++)
        if (!*kv_str0(kv_item(ips, i), "name"))
            kv_warn(c, "%s.imagePullSecrets[%zu].name: invalid empty name \"\"", sp, i);

    const struct kapi_value *oh = kv_get(spec, "overhead");
    const char *ohp = kv_path(c, "%s.overhead", sp);
    fractional_warning(c, oh, "memory", ohp);
    fractional_warning(c, oh, "ephemeral-storage", ohp);

    const struct kapi_value *psc = kv_get(spec, "securityContext");
    if (!kv_get(psc, "seccompProfile") && kv_get(ann, SECCOMP_POD_KEY))
        kv_warn(c, "%s[" SECCOMP_POD_KEY "]: non-functional in v1.27+; use the \"seccompProfile\" field instead", annp);
    bool pod_apparmor = kv_get(psc, "appArmorProfile") != NULL;
    size_t nct;
    struct ctr_ref *cts = containers(c, spec, sp, &nct);
    for (size_t i = 0; i < nct; i++)
        container_warnings(c, &cts[i], ann, base, is_template, pod_apparmor);
    port_warnings(c, cts, nct);

    int64_t grace;
    if (kv_int(spec, "terminationGracePeriodSeconds", &grace) && grace < 0)
        kv_warn(c, "%s.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated "
                   "as 1", sp);
    const struct kapi_value *aff = kv_get(spec, "affinity");
    if (kv_get(aff, "podAffinity"))
        affinity_terms(c, kv_get(aff, "podAffinity"), kv_path(c, "%s.affinity.podAffinity", sp));
    if (kv_get(aff, "podAntiAffinity"))
        affinity_terms(c, kv_get(aff, "podAntiAffinity"), kv_path(c, "%s.affinity.podAntiAffinity", sp));
}

/* GetWarningsForPodTemplate at path (nothing for an absent template). */
static void pod_template(struct kv_ctx *c, const char *path, const struct kapi_value *tmpl)
{
    if (tmpl)
        pod_spec_and_meta(c, path, kv_get(tmpl, "spec"), kv_get(tmpl, "metadata"));
}

/* pkg/api/job WarningsForJobSpec at path. */
static void job_spec(struct kv_ctx *c, const char *path, const struct kapi_value *spec)
{
    int64_t completions = 0, parallelism = 0;
    kv_int(spec, "completions", &completions);
    kv_int(spec, "parallelism", &parallelism);
    if (!strcmp(kv_str0(spec, "completionMode"), "Indexed") && completions > 100000 && parallelism > 10000)
        kv_warn(c, "%s: In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than "
                   "10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail",
                path);
    pod_template(c, kv_path(c, "%s.template", path), kv_get(spec, "template"));
}

/* ---- Services (pkg/api/service GetWarningsForService). */

static void service(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    if (kv_get(kv_get(kv_get(obj, "metadata"), "annotations"), "service.kubernetes.io/topology-aware-hints"))
        kv_warn(c, "annotation service.kubernetes.io/topology-aware-hints is deprecated, please use "
                   "service.kubernetes.io/topology-mode instead");
    const char *cip = kv_str0(spec, "clusterIP"), *type = kv_str0(spec, "type");
    if (*cip && strcmp(cip, "None")) {
        const struct kapi_value *cips = kv_get(spec, "clusterIPs");
        for (size_t i = 0; i < kv_len(cips); i++)
            kv_ip_warnings(c, kv_path(c, "spec.clusterIPs[%zu]", i), kapi_value_cstr(kv_item(cips, i)));
    }
    const struct kapi_value *eips = kv_get(spec, "externalIPs");
    if (!strcmp(type, "ClusterIP") && !strcmp(cip, "None")) {
        if (*kv_str0(spec, "loadBalancerIP"))
            kv_warn(c, "spec.loadBalancerIP is ignored for headless services");
        if (kv_len(eips))
            kv_warn(c, "spec.externalIPs is ignored for headless services");
        if (strcmp(kv_str0(spec, "sessionAffinity"), "None"))
            kv_warn(c, "spec.SessionAffinity is ignored for headless services");
    }
    for (size_t i = 0; i < kv_len(eips); i++)
        kv_ip_warnings(c, kv_path(c, "spec.externalIPs[%zu]", i), kapi_value_cstr(kv_item(eips, i)));
    if (*kv_str0(spec, "loadBalancerIP"))
        kv_ip_warnings(c, "spec.loadBalancerIP", kv_str0(spec, "loadBalancerIP"));
    const struct kapi_value *lsr = kv_get(spec, "loadBalancerSourceRanges");
    for (size_t i = 0; i < kv_len(lsr); i++)
        kv_cidr_warnings(c, kv_path(c, "spec.loadBalancerSourceRanges[%zu]", i), kapi_value_cstr(kv_item(lsr, i)));
    if (!strcmp(type, "ExternalName") && kv_len(eips))
        kv_warn(c, "spec.externalIPs is ignored when spec.type is \"ExternalName\"");
    if (strcmp(type, "ExternalName") && *kv_str0(spec, "externalName"))
        kv_warn(c, "spec.externalName is ignored when spec.type is not \"ExternalName\"");
}

/* ---- Addresses and CIDRs (apimachinery GetWarningsForIP / GetWarningsForCIDR). */

static const char *label(const struct kapi_value *obj, const char *key)
{
    return kv_str0(kv_get(kv_get(obj, "metadata"), "labels"), key);
}

/* pkg/registry/networking/networkpolicy networkPolicyWarnings */
static void network_policy(struct kv_ctx *c, const struct kapi_value *obj)
{
    static const char *const dirs[][2] = {{"ingress", "from"}, {"egress", "to"}};
    const struct kapi_value *spec = kv_get(obj, "spec");
    for (size_t d = 0; d < N(dirs); d++) {
        const struct kapi_value *rules = kv_get(spec, dirs[d][0]);
        for (size_t i = 0; i < kv_len(rules); i++) {
            const struct kapi_value *peers = kv_get(kv_item(rules, i), dirs[d][1]);
            for (size_t j = 0; j < kv_len(peers); j++) {
                const struct kapi_value *b = kv_get(kv_item(peers, j), "ipBlock");
                if (!b)
                    continue;
                const char *fld = kv_path(c, "spec.%s[%zu].%s[%zu].ipBlock", dirs[d][0], i, dirs[d][1], j);
                kv_cidr_warnings(c, kv_path(c, "%s.cidr", fld), kv_str0(b, "cidr"));
                const struct kapi_value *ex = kv_get(b, "except");
                for (size_t k = 0; k < kv_len(ex); k++)
                    kv_cidr_warnings(c, kv_path(c, "%s.except[%zu]", fld, k), kapi_value_cstr(kv_item(ex, k)));
            }
        }
    }
}

/* pkg/registry/core/endpoint endpointsWarnings: none for what the
 * endpoints controller writes */
static void endpoints(struct kv_ctx *c, const struct kapi_value *obj)
{
    if (!strcmp(label(obj, "endpoints.kubernetes.io/managed-by"), "endpoint-controller"))
        return;
    static const char *const lists[] = {"addresses", "notReadyAddresses"};
    const struct kapi_value *subsets = kv_get(obj, "subsets");
    for (size_t i = 0; i < kv_len(subsets); i++)
        for (size_t l = 0; l < N(lists); l++) {
            const struct kapi_value *addrs = kv_get(kv_item(subsets, i), lists[l]);
            for (size_t j = 0; j < kv_len(addrs); j++)
                kv_ip_warnings(c, kv_path(c, "subsets[%zu].%s[%zu].ip", i, lists[l], j),
                               kv_str0(kv_item(addrs, j), "ip"));
        }
}

/* pkg/registry/discovery/endpointslice: the FQDN deprecation (create only),
 * then warnOnBadIPs, which skips what the two slice controllers write */
static void endpoint_slice(struct kv_ctx *c, const struct kapi_value *obj, bool create)
{
    if (create && !strcmp(kv_str0(obj, "addressType"), "FQDN"))
        kv_warn(c, "spec.addressType: FQDN endpoints are deprecated");
    const char *by = label(obj, "endpointslice.kubernetes.io/managed-by");
    if (!strcmp(by, "endpointslice-controller.k8s.io") || !strcmp(by, "endpointslicemirroring-controller.k8s.io"))
        return;
    const struct kapi_value *eps = kv_get(obj, "endpoints");
    for (size_t i = 0; i < kv_len(eps); i++) {
        const struct kapi_value *addrs = kv_get(kv_item(eps, i), "addresses");
        for (size_t j = 0; j < kv_len(addrs); j++)
            kv_ip_warnings(c, kv_path(c, "endpoints[%zu].addresses[%zu]", i, j), kapi_value_cstr(kv_item(addrs, j)));
    }
}

/* The status strategies of pods and services (their only warnings). */
static void pod_status(struct kv_ctx *c, const struct kapi_value *obj)
{
    static const char *const lists[] = {"podIPs", "hostIPs"};
    const struct kapi_value *st = kv_get(obj, "status");
    for (size_t l = 0; l < N(lists); l++) {
        const struct kapi_value *ips = kv_get(st, lists[l]);
        for (size_t i = 0; i < kv_len(ips); i++)
            kv_ip_warnings(c, kv_path(c, "status.%s[%zu].ip", lists[l], i), kv_str0(kv_item(ips, i), "ip"));
    }
}

static void service_status(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *ing = kv_get(kv_get(kv_get(obj, "status"), "loadBalancer"), "ingress");
    for (size_t i = 0; i < kv_len(ing); i++)
        if (*kv_str0(kv_item(ing, i), "ip"))
            kv_ip_warnings(c, kv_path(c, "status.loadBalancer.ingress[%zu]", i), kv_str0(kv_item(ing, i), "ip"));
}

/* ---- Other kinds. */

/* pkg/registry/core/node fieldIsDeprecatedWarnings (spec.configSource is
 * dropped before, unless the stored node has it) */
static void node(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    if (kv_get(spec, "configSource"))
        kv_warn(c, "spec.configSource: the feature is removed");
    if (*kv_str0(spec, "externalID"))
        kv_warn(c, "spec.externalID: this field is deprecated, and is unused by Kubernetes");
}

/* pkg/api/storage GetWarningsForStorageClass */
static void storage_class(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *topos = kv_get(obj, "allowedTopologies");
    for (size_t i = 0; i < kv_len(topos); i++) {
        const struct kapi_value *ex = kv_get(kv_item(topos, i), "matchLabelExpressions");
        for (size_t j = 0; j < kv_len(ex); j++) {
            const char *msg = node_label_deprecated(kv_str0(kv_item(ex, j), "key"));
            if (msg)
                kv_warn(c, "allowedTopologies[%zu].matchLabelExpressions[%zu].key: %s", i, j, msg);
        }
    }
}

/* pkg/api/node GetWarningsForNodeSelector at nodeTopology (matchLabels in
 * the order of the object) */
static void csi_storage_capacity(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *sel = kv_get(obj, "nodeTopology");
    const struct kapi_value *ex = kv_get(sel, "matchExpressions");
    for (size_t i = 0; i < kv_len(ex); i++) {
        const char *key = kv_str0(kv_item(ex, i), "key"), *msg = node_label_deprecated(key);
        if (msg)
            kv_warn(c, "nodeTopology.matchExpressions[%zu].key: %s is %s", i, key, msg);
    }
    const struct kapi_value *ml = kv_get(sel, "matchLabels");
    for (size_t i = 0; i < kv_len(ml) && ml->type == KAPI_V_OBJECT; i++) {
        const char *msg = node_label_deprecated(ml->u.obj.members[i].key);
        if (msg)
            kv_warn(c, "nodeTopology.matchLabels.%s: %s", ml->u.obj.members[i].key, msg);
    }
}

#define ENFORCE_MOUNTABLE "kubernetes.io/enforce-mountable-secrets"

/* pkg/registry/core/serviceaccount: only when the request newly sets the
 * annotation (old is NULL on create) */
static void service_account(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    if (old && kv_get(kv_get(kv_get(old, "metadata"), "annotations"), ENFORCE_MOUNTABLE))
        return;
    if (kv_get(kv_get(kv_get(obj, "metadata"), "annotations"), ENFORCE_MOUNTABLE))
        kv_warn(c, "metadata.annotations[" ENFORCE_MOUNTABLE "]: deprecated in v1.32+; prefer separate namespaces to "
                   "isolate access to mounted secrets");
}

/* ---- Dispatch. */

static int64_t generation(const struct kapi_value *o)
{
    int64_t g = 0;
    kv_int(kv_get(o, "metadata"), "generation", &g);
    return g;
}

static void runtime_class(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *ns = kv_get(kv_get(obj, "scheduling"), "nodeSelector");
    for (size_t i = 0; i < kv_len(ns) && ns->type == KAPI_V_OBJECT; i++) {
        const char *msg = node_label_deprecated(ns->u.obj.members[i].key);
        if (msg)
            kv_warn(c, "scheduling.nodeSelector: %s", msg);
    }
}

static bool is(const char *group, const char *kind, const char *g, const char *k)
{
    return kapi_streq(kind, k) && kapi_streq(group ? group : "", g);
}

static void stateful_set_extra(struct kv_ctx *c, const struct kapi_value *spec, bool update)
{
    const struct kapi_value *vcts = kv_get(spec, "volumeClaimTemplates");
    for (size_t i = 0; i < kv_len(vcts); i++)
        pvc_spec(c, kv_get(kv_item(vcts, i), "spec"),
                 kv_path(c, update ? "spec.volumeClaimTemplates[%zu].Spec" : "spec.volumeClaimTemplates[%zu]", i));
    int64_t rhl;
    if (kv_int(spec, "revisionHistoryLimit", &rhl) && rhl < 0)
        kv_warn(c, "spec.revisionHistoryLimit: a negative value retains all historical revisions; a value >= 0 is "
                   "recommended");
}

/* The kinds that warn alike on create and update (old is NULL on create). */
static void other_kinds(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
                        const struct kapi_value *old)
{
    if (is(group, kind, "", "Service"))
        service(c, obj);
    else if (is(group, kind, "", "PersistentVolume"))
        pv(c, obj);
    else if (is(group, kind, "", "PersistentVolumeClaim"))
        pvc(c, obj);
    else if (is(group, kind, "node.k8s.io", "RuntimeClass"))
        runtime_class(c, obj);
    else if (is(group, kind, "networking.k8s.io", "NetworkPolicy"))
        network_policy(c, obj);
    else if (is(group, kind, "", "Endpoints"))
        endpoints(c, obj);
    else if (is(group, kind, "discovery.k8s.io", "EndpointSlice"))
        endpoint_slice(c, obj, !old);
    else if (is(group, kind, "", "Node"))
        node(c, obj);
    else if (is(group, kind, "storage.k8s.io", "StorageClass"))
        storage_class(c, obj);
    else if (is(group, kind, "storage.k8s.io", "CSIStorageCapacity"))
        csi_storage_capacity(c, obj);
    else if (is(group, kind, "", "ServiceAccount"))
        service_account(c, obj, old);
}

void kapi_warnings_on_create(struct kapi_pool *pool, const char *group, const char *kind,
                             const struct kapi_value *obj, struct kapi_warnings *w)
{
    if (!obj || obj->type != KAPI_V_OBJECT || !kind || !w)
        return;
    struct kv_ctx cx = {.pool = pool, .warns = w}, *c = &cx;
    const struct kapi_value *spec = kv_get(obj, "spec");
    if (is(group, kind, "", "Pod")) {
        name_warning(c, obj, true);
        pod_spec_and_meta(c, "", spec, kv_get(obj, "metadata"));
    } else if (is(group, kind, "", "PodTemplate")) {
        pod_template(c, "template", kv_get(obj, "template"));
    } else if (is(group, kind, "", "ReplicationController") || is(group, kind, "apps", "Deployment") ||
               is(group, kind, "apps", "ReplicaSet")) {
        name_warning(c, obj, false);
        pod_template(c, "spec.template", kv_get(spec, "template"));
    } else if (is(group, kind, "apps", "DaemonSet")) {
        pod_template(c, "spec.template", kv_get(spec, "template"));
    } else if (is(group, kind, "apps", "StatefulSet")) {
        pod_template(c, "spec.template", kv_get(spec, "template"));
        stateful_set_extra(c, spec, false);
    } else if (is(group, kind, "batch", "Job")) {
        name_warning(c, obj, false);
        job_spec(c, "spec", spec);
    } else if (is(group, kind, "batch", "CronJob")) {
        name_warning(c, obj, false);
        job_spec(c, "spec.jobTemplate.spec", kv_get(kv_get(spec, "jobTemplate"), "spec"));
    } else if (is(group, kind, "networking.k8s.io", "Ingress")) {
        /* on create only, and only without spec.ingressClassName */
        if (kv_get(kv_get(kv_get(obj, "metadata"), "annotations"), "kubernetes.io/ingress.class") &&
            !kv_get(spec, "ingressClassName"))
            kv_warn(c, "annotation \"kubernetes.io/ingress.class\" is deprecated, please use "
                       "'spec.ingressClassName' instead");
    } else {
        other_kinds(c, group, kind, obj, NULL);
    }
}

void kapi_warnings_on_update(struct kapi_pool *pool, const char *group, const char *kind, const char *subresource,
                             const struct kapi_value *obj, const struct kapi_value *old,
                             struct kapi_warnings *w)
{
    if (!obj || obj->type != KAPI_V_OBJECT || !old || !kind || !w)
        return;
    struct kv_ctx cx = {.pool = pool, .warns = w}, *c = &cx;
    if (subresource && *subresource) {
        if (!strcmp(subresource, "status") && is(group, kind, "", "Pod"))
            pod_status(c, obj);
        else if (!strcmp(subresource, "status") && is(group, kind, "", "Service"))
            service_status(c, obj);
        return;
    }
    const struct kapi_value *spec = kv_get(obj, "spec"), *ospec = kv_get(old, "spec");
    bool gen_changed = generation(obj) != generation(old);
    /* pods: none on update (a high-frequency path upstream skips) */
    if (is(group, kind, "", "PodTemplate")) {
        if (gen_changed)
            pod_template(c, "template", kv_get(obj, "template"));
    } else if (is(group, kind, "", "ReplicationController")) {
        /* upstream passes the stored template as the new one here */
        if (gen_changed)
            pod_template(c, "spec.template", kv_get(ospec, "template"));
    } else if (is(group, kind, "apps", "Deployment") || is(group, kind, "apps", "ReplicaSet")) {
        if (gen_changed)
            pod_template(c, "spec.template", kv_get(spec, "template"));
    } else if (is(group, kind, "apps", "DaemonSet")) {
        /* its templateGeneration moves with the template */
        if (!kapi_value_equal(kv_get(spec, "template"), kv_get(ospec, "template")))
            pod_template(c, "spec.template", kv_get(spec, "template"));
    } else if (is(group, kind, "apps", "StatefulSet")) {
        if (gen_changed)
            pod_template(c, "spec.template", kv_get(spec, "template"));
        stateful_set_extra(c, spec, true);
    } else if (is(group, kind, "batch", "Job")) {
        if (gen_changed)
            job_spec(c, "spec", spec);
    } else if (is(group, kind, "batch", "CronJob")) {
        if (gen_changed)
            job_spec(c, "spec.jobTemplate.spec", kv_get(kv_get(spec, "jobTemplate"), "spec"));
        if (strstr(kv_str0(spec, "schedule"), "TZ"))
            kv_warn(c, "cannot use TZ or CRON_TZ in spec.spec.schedule, use timeZone instead, see "
                       "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details");
    } else {
        other_kinds(c, group, kind, obj, old);
    }
}
