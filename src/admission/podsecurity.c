/* PodSecurity: the Pod Security Standards as kube-apiserver v1.33 applies
 * them (k8s.io/pod-security-admission with the kube-apiserver wiring and no
 * configuration file, so every mode defaults to privileged:latest and
 * nothing is exempt).
 *
 * A namespace chooses a level (privileged, baseline, restricted) and a
 * policy version (latest, v1.N) for each of three modes through its
 * pod-security.kubernetes.io/{enforce,audit,warn}[-version] labels:
 *   - enforce refuses pods (create, updates that touch images or seccomp
 *     annotations, new ephemeral containers) with a 403;
 *   - warn adds a Warning for pods and for objects that embed a pod
 *     template (Deployments, Jobs, ...);
 *   - audit annotates the request's audit event (audit-violations).
 * Namespaces themselves have their labels checked (422 on a bad value), and
 * raising the enforce level warns about the existing pods that would fail.
 * See docs/internals/admission.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"

/* ---- small helpers over the value model ---- */

/* Member key of object o, or NULL when o is not an object, the key is
 * missing or its value is JSON null (a nil pointer in Go). */
static const struct kapi_value *field(const struct kapi_value *o, const char *key)
{
    if (!o || o->type != KAPI_V_OBJECT)
        return NULL;
    const struct kapi_value *v = kapi_obj_get(o, key);
    return v && v->type != KAPI_V_NULL ? v : NULL;
}

static const struct kapi_value *obj_field(const struct kapi_value *o, const char *key)
{
    const struct kapi_value *v = field(o, key);
    return v && v->type == KAPI_V_OBJECT ? v : NULL;
}

static const char *str_field(const struct kapi_value *o, const char *key)
{
    return kapi_value_cstr(field(o, key));
}

static bool bool_field(const struct kapi_value *o, const char *key, bool *out)
{
    const struct kapi_value *v = field(o, key);
    if (!v || v->type != KAPI_V_BOOL)
        return false;
    *out = v->u.b;
    return true;
}

static bool is_true(const struct kapi_value *o, const char *key)
{
    bool b = false;
    return bool_field(o, key, &b) && b;
}

static size_t arr_len(const struct kapi_value *a)
{
    return a && a->type == KAPI_V_ARRAY ? a->u.arr.len : 0;
}

/* A growable list of strings in the request pool. */
struct strs {
    const char **v;
    size_t n, cap;
};

static void strs_add(struct kapi_pool *p, struct strs *s, const char *x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **nv = kapi_pool_alloc(p, cap * sizeof(*nv));
        if (s->n)
            memcpy(nv, s->v, s->n * sizeof(*nv));
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

static bool strs_has(const struct strs *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], x) == 0)
            return true;
    return false;
}

/* Set insertion (sets.String): duplicates dropped; sort before printing. */
static void set_add(struct kapi_pool *p, struct strs *s, const char *x)
{
    if (!strs_has(s, x))
        strs_add(p, s, x);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void strs_sort(struct strs *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), cmp_cstr);
}

static const char *join(struct kapi_pool *p, const struct strs *s, const char *sep, bool quote)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            kapi_buf_puts(&b, sep);
        if (quote)
            kapi_buf_putc(&b, '"');
        kapi_buf_puts(&b, s->v[i]);
        if (quote)
            kapi_buf_putc(&b, '"');
    }
    const char *out = kapi_pool_strdup(p, b.len ? b.data : "");
    kapi_buf_dispose(&b);
    return out;
}

/* `"a", "b"`: each item in plain double quotes (no escaping), as the
 * policy messages print lists of names. */
static const char *join_quote(struct kapi_pool *p, const struct strs *s)
{
    return join(p, s, ", ", true);
}

static const char *plural(const char *one, const char *many, size_t n)
{
    return n == 1 ? one : many;
}

/* Go's %q for the strings these messages quote (annotation values). */
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

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- levels, versions, policies ---- */

enum level { LEVEL_PRIVILEGED, LEVEL_BASELINE, LEVEL_RESTRICTED };

static const char *const level_names[] = {"privileged", "baseline", "restricted"};

#define VERSION_LATEST (-1)

/* The newest policy version any check defines in v1.33 (the sysctls of
 * v1.32); later versions and "latest" evaluate as this one. */
#define MAX_POLICY_MINOR 32

struct level_version {
    enum level level;
    long minor; /* v1.<minor>, or VERSION_LATEST */
};

struct policy {
    struct level_version enforce, audit, warn;
};

static bool lv_equal(struct level_version a, struct level_version b)
{
    return a.level == b.level && a.minor == b.minor;
}

static const char *lv_string(struct kapi_pool *p, struct level_version lv)
{
    if (lv.minor == VERSION_LATEST)
        return kapi_pool_printf(p, "%s:latest", level_names[lv.level]);
    return kapi_pool_printf(p, "%s:v1.%ld", level_names[lv.level], lv.minor);
}

#define LABEL_PREFIX "pod-security.kubernetes.io/"

/* A level label: one of the three names, else restricted plus an error. */
static bool parse_level(const char *s, enum level *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum level)i;
            return true;
        }
    *out = LEVEL_RESTRICTED;
    return false;
}

/* A version label: "latest" or v1.<minor> (no leading zeros but "0"); any
 * other value (or a number too large for an int) is latest plus an error. */
static bool parse_version(const char *s, long *out)
{
    *out = VERSION_LATEST;
    if (kapi_streq(s, "latest"))
        return true;
    if (strncmp(s, "v1.", 3) != 0)
        return false;
    const char *d = s + 3;
    size_t n = strlen(d);
    if (n == 0 || n > 19 || (n > 1 && d[0] == '0'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (d[i] < '0' || d[i] > '9')
            return false;
    errno = 0;
    long long v = strtoll(d, NULL, 10);
    if (errno == ERANGE) /* past what an int holds, as Atoi refuses it */
        return false;
    *out = (long)v;
    return true;
}

static const char *label(const struct kapi_value *labels, const char *name)
{
    const struct kapi_value *v = labels && labels->type == KAPI_V_OBJECT ? kapi_obj_get(labels, name) : NULL;
    if (!v)
        return NULL;
    /* labels are strings; anything else reads as an empty value */
    return v->type == KAPI_V_STRING ? v->u.str.s : "";
}

static void bad_label(struct kapi_pool *p, struct kapi_field_errors *errs, const char *name, const char *value,
                      const char *detail)
{
    kapi_ferr_invalid(p, errs, kapi_pool_printf(p, "metadata.labels[%s]", name), value, detail);
}

#define LEVEL_ERR "must be one of privileged, baseline, restricted"
#define VERSION_ERR "must be \"latest\" or \"v1.x\""

/* The namespace's policy from its labels over the defaults (privileged:latest
 * for every mode). Parse errors go to errs (may be NULL); enforce falls back
 * to restricted, audit and warn to privileged, a version to latest. */
static struct policy policy_from_labels(struct kapi_pool *p, const struct kapi_value *labels,
                                        struct kapi_field_errors *errs)
{
    struct policy pol = {
        {LEVEL_PRIVILEGED, VERSION_LATEST}, {LEVEL_PRIVILEGED, VERSION_LATEST}, {LEVEL_PRIVILEGED, VERSION_LATEST}};
    static const char *const modes[] = {"enforce", "audit", "warn"};
    struct level_version *slots[] = {&pol.enforce, &pol.audit, &pol.warn};
    struct kapi_field_errors scratch = {0};
    if (!errs)
        errs = &scratch;
    for (int m = 0; m < 3; m++) {
        const char *lname = kapi_pool_printf(p, LABEL_PREFIX "%s", modes[m]);
        const char *vname = kapi_pool_printf(p, LABEL_PREFIX "%s-version", modes[m]);
        const char *lv = label(labels, lname);
        if (lv && !parse_level(lv, &slots[m]->level)) {
            bad_label(p, errs, lname, lv, LEVEL_ERR);
            if (m > 0)
                slots[m]->level = LEVEL_PRIVILEGED; /* audit and warn fail open */
        }
        const char *vv = label(labels, vname);
        if (vv && !parse_version(vv, &slots[m]->minor))
            bad_label(p, errs, vname, vv, VERSION_ERR);
    }
    return pol;
}

/* ---- check results ---- */

#define MAX_RESULTS 24

struct results {
    struct kapi_pool *pool;
    size_t n;
    const char *reason[MAX_RESULTS];
    const char *detail[MAX_RESULTS]; /* NULL or "" = none */
};

static void deny(struct results *r, const char *reason, const char *detail)
{
    if (r->n < MAX_RESULTS) {
        r->reason[r->n] = reason;
        r->detail[r->n] = detail;
        r->n++;
    }
}

/* "reason (detail), reason, ..." as the enforce and warn messages print it. */
static const char *results_detail(const struct results *r)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (size_t i = 0; i < r->n; i++) {
        if (i)
            kapi_buf_puts(&b, ", ");
        kapi_buf_puts(&b, r->reason[i]);
        if (r->detail[i] && r->detail[i][0])
            kapi_buf_printf(&b, " (%s)", r->detail[i]);
    }
    const char *out = kapi_pool_strdup(r->pool, b.len ? b.data : "");
    kapi_buf_dispose(&b);
    return out;
}

/* The reasons alone, as the namespace warnings print them. */
static const char *results_reasons(const struct results *r)
{
    struct strs s = {0};
    for (size_t i = 0; i < r->n; i++)
        strs_add(r->pool, &s, r->reason[i]);
    return join(r->pool, &s, ", ", false);
}

/* ---- the pod being checked ---- */

struct pod {
    struct kapi_pool *pool;
    const struct kapi_value *meta; /* ObjectMeta (pod or template), may be NULL */
    const struct kapi_value *spec; /* PodSpec, may be NULL */
};

typedef void (*container_fn)(const struct pod *pd, const struct kapi_value *c, void *ctx);

/* Init containers, then containers, then ephemeral containers. */
static void each_container(const struct pod *pd, container_fn fn, void *ctx)
{
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    for (size_t l = 0; l < 3; l++) {
        const struct kapi_value *a = field(pd->spec, lists[l]);
        for (size_t i = 0; i < arr_len(a); i++)
            if (a->u.arr.items[i]->type == KAPI_V_OBJECT)
                fn(pd, a->u.arr.items[i], ctx);
    }
}

static const char *cname(const struct kapi_value *c)
{
    const char *n = str_field(c, "name");
    return n ? n : "";
}

static const struct kapi_value *csc(const struct kapi_value *c)
{
    return obj_field(c, "securityContext");
}

static const struct kapi_value *psc(const struct pod *pd)
{
    return obj_field(pd->spec, "securityContext");
}

static const char *annotation(const struct pod *pd, const char *key, bool *found)
{
    const struct kapi_value *v = field(obj_field(pd->meta, "annotations"), key);
    *found = v != NULL;
    const char *s = kapi_value_cstr(v);
    return s ? s : "";
}

static bool windows_pod(const struct pod *pd)
{
    const char *os = str_field(obj_field(pd->spec, "os"), "name");
    return os && kapi_streq(os, "windows");
}

/* `container "a"` / `containers "a", "b"` */
static const char *containers_phrase(struct kapi_pool *p, const struct strs *names)
{
    return kapi_pool_printf(p, "%s %s", plural("container", "containers", names->n), join_quote(p, names));
}

/* Collects container names matching a predicate. */
struct name_ctx {
    struct strs names;
    struct strs values; /* a set of offending values, for the checks that list them */
    bool (*pred)(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c);
};

static void collect(const struct pod *pd, const struct kapi_value *c, void *ctx)
{
    struct name_ctx *nc = ctx;
    if (nc->pred(nc, pd, c))
        strs_add(pd->pool, &nc->names, cname(c));
}

static void run_pred(const struct pod *pd, struct name_ctx *nc)
{
    each_container(pd, collect, nc);
}

/* ---- baseline checks ---- */

/* appArmorProfile: profile types other than RuntimeDefault/Localhost, and
 * the deprecated per-container annotations other than runtime/default,
 * localhost/... or empty. */
static bool apparmor_type_ok(const char *t)
{
    return kapi_streq(t, "RuntimeDefault") || kapi_streq(t, "Localhost");
}

static bool apparmor_pred(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c)
{
    const struct kapi_value *ap = obj_field(csc(c), "appArmorProfile");
    if (!ap)
        return false;
    const char *t = str_field(ap, "type");
    if (!t)
        t = "";
    if (apparmor_type_ok(t))
        return false;
    set_add(pd->pool, &nc->values, t);
    return true;
}

static void check_apparmor(const struct pod *pd, struct results *r)
{
    struct kapi_pool *p = pd->pool;
    struct strs setters = {0};
    struct name_ctx nc = {.pred = apparmor_pred};
    const struct kapi_value *ap = obj_field(psc(pd), "appArmorProfile");
    if (ap) {
        const char *t = str_field(ap, "type");
        if (!t)
            t = "";
        if (!apparmor_type_ok(t)) {
            strs_add(p, &setters, "pod");
            set_add(p, &nc.values, t);
        }
    }
    run_pred(pd, &nc);
    if (nc.names.n)
        strs_add(p, &setters, containers_phrase(p, &nc.names));
    struct strs annos = {0};
    const struct kapi_value *an = obj_field(pd->meta, "annotations");
    for (size_t i = 0; an && i < an->u.obj.len; i++) {
        const char *k = an->u.obj.members[i].key;
        const char *v = kapi_value_cstr(an->u.obj.members[i].val);
        if (!v)
            v = "";
        if (!has_prefix(k, "container.apparmor.security.beta.kubernetes.io/"))
            continue;
        if (!v[0] || kapi_streq(v, "runtime/default") || has_prefix(v, "localhost/"))
            continue;
        strs_add(p, &annos, kapi_pool_printf(p, "%s=%s", k, go_quote(p, v)));
    }
    strs_sort(&nc.values);
    struct strs values = nc.values;
    if (annos.n) {
        strs_sort(&annos);
        for (size_t i = 0; i < annos.n; i++)
            strs_add(p, &values, annos.v[i]);
        strs_add(p, &setters, plural("annotation", "annotations", annos.n));
    }
    if (!setters.n)
        return;
    deny(r, plural("forbidden AppArmor profile", "forbidden AppArmor profiles", values.n),
         kapi_pool_printf(p, "%s must not set AppArmor profile type to %s", join(p, &setters, " and ", false),
                          join_quote(p, &values)));
}

/* capabilities_baseline: capabilities.add beyond the default set. */
static const char *const default_caps[] = {"AUDIT_WRITE", "CHOWN",   "DAC_OVERRIDE", "FOWNER", "FSETID",
                                           "KILL",        "MKNOD",   "NET_BIND_SERVICE", "SETFCAP", "SETGID",
                                           "SETPCAP",     "SETUID",  "SYS_CHROOT"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static bool caps_baseline_pred(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c)
{
    const struct kapi_value *add = field(obj_field(csc(c), "capabilities"), "add");
    bool bad = false;
    for (size_t i = 0; i < arr_len(add); i++) {
        const char *cap = kapi_value_cstr(add->u.arr.items[i]);
        if (cap && !in_list(cap, default_caps, KAPI_ARRAY_LEN(default_caps))) {
            bad = true;
            set_add(pd->pool, &nc->values, cap);
        }
    }
    return bad;
}

static void check_caps_baseline(const struct pod *pd, struct results *r)
{
    struct name_ctx nc = {.pred = caps_baseline_pred};
    run_pred(pd, &nc);
    if (!nc.names.n)
        return;
    strs_sort(&nc.values);
    deny(r, "non-default capabilities",
         kapi_pool_printf(pd->pool, "%s must not include %s in securityContext.capabilities.add",
                          containers_phrase(pd->pool, &nc.names), join_quote(pd->pool, &nc.values)));
}

/* hostNamespaces */
static void check_host_namespaces(const struct pod *pd, struct results *r)
{
    struct strs s = {0};
    if (is_true(pd->spec, "hostNetwork"))
        strs_add(pd->pool, &s, "hostNetwork=true");
    if (is_true(pd->spec, "hostPID"))
        strs_add(pd->pool, &s, "hostPID=true");
    if (is_true(pd->spec, "hostIPC"))
        strs_add(pd->pool, &s, "hostIPC=true");
    if (s.n)
        deny(r, "host namespaces", join(pd->pool, &s, ", ", false));
}

/* hostPathVolumes */
static void check_host_path(const struct pod *pd, struct results *r)
{
    struct strs s = {0};
    const struct kapi_value *vols = field(pd->spec, "volumes");
    for (size_t i = 0; i < arr_len(vols); i++) {
        const struct kapi_value *v = vols->u.arr.items[i];
        if (field(v, "hostPath"))
            strs_add(pd->pool, &s, cname(v));
    }
    if (s.n)
        deny(r, "hostPath volumes",
             kapi_pool_printf(pd->pool, "%s %s", plural("volume", "volumes", s.n), join_quote(pd->pool, &s)));
}

/* hostPorts */
static bool host_ports_pred(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c)
{
    const struct kapi_value *ports = field(c, "ports");
    bool bad = false;
    for (size_t i = 0; i < arr_len(ports); i++) {
        const struct kapi_value *hp = field(ports->u.arr.items[i], "hostPort");
        if (hp && hp->type == KAPI_V_INT && hp->u.i != 0) {
            bad = true;
            set_add(pd->pool, &nc->values, kapi_pool_printf(pd->pool, "%lld", (long long)hp->u.i));
        }
    }
    return bad;
}

static void check_host_ports(const struct pod *pd, struct results *r)
{
    struct name_ctx nc = {.pred = host_ports_pred};
    run_pred(pd, &nc);
    if (!nc.names.n)
        return;
    strs_sort(&nc.values); /* as strings, the way a string set sorts them */
    deny(r, "hostPort",
         kapi_pool_printf(pd->pool, "%s %s %s", containers_phrase(pd->pool, &nc.names),
                          plural("uses", "use", nc.names.n),
                          kapi_pool_printf(pd->pool, "%s %s", plural("hostPort", "hostPorts", nc.values.n),
                                           join(pd->pool, &nc.values, ", ", false))));
}

/* privileged */
static bool privileged_pred(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c)
{
    (void)nc;
    (void)pd;
    return is_true(csc(c), "privileged");
}

static void check_privileged(const struct pod *pd, struct results *r)
{
    struct name_ctx nc = {.pred = privileged_pred};
    run_pred(pd, &nc);
    if (nc.names.n)
        deny(r, "privileged",
             kapi_pool_printf(pd->pool, "%s must not set securityContext.privileged=true",
                              containers_phrase(pd->pool, &nc.names)));
}

/* procMount: anything but Default. */
static bool proc_mount_pred(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c)
{
    const struct kapi_value *pm = field(csc(c), "procMount");
    if (!pm)
        return false;
    const char *t = kapi_value_cstr(pm);
    if (!t)
        t = "";
    if (kapi_streq(t, "Default"))
        return false;
    set_add(pd->pool, &nc->values, t);
    return true;
}

static void check_proc_mount(const struct pod *pd, struct results *r)
{
    struct name_ctx nc = {.pred = proc_mount_pred};
    run_pred(pd, &nc);
    if (!nc.names.n)
        return;
    strs_sort(&nc.values);
    deny(r, "procMount",
         kapi_pool_printf(pd->pool, "%s must not set securityContext.procMount to %s",
                          containers_phrase(pd->pool, &nc.names), join_quote(pd->pool, &nc.values)));
}

/* seLinuxOptions: type outside the allowed set, or any user or role. */
struct selinux_state {
    struct name_ctx nc;
    bool engine_ok; /* container_engine_t is allowed from v1.31 */
    bool set_user, set_role;
};

static bool selinux_ok(struct selinux_state *st, struct kapi_pool *p, const struct kapi_value *o)
{
    static const char *const types[] = {"", "container_t", "container_init_t", "container_kvm_t"};
    bool ok = true;
    const char *t = str_field(o, "type");
    if (!t)
        t = "";
    if (!in_list(t, types, KAPI_ARRAY_LEN(types)) && !(st->engine_ok && kapi_streq(t, "container_engine_t"))) {
        ok = false;
        set_add(p, &st->nc.values, t);
    }
    const char *u = str_field(o, "user"), *role = str_field(o, "role");
    if (u && *u) {
        ok = false;
        st->set_user = true;
    }
    if (role && *role) {
        ok = false;
        st->set_role = true;
    }
    return ok;
}

static bool selinux_pred(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c)
{
    struct selinux_state *st = (struct selinux_state *)nc; /* nc is the first member */
    const struct kapi_value *o = obj_field(csc(c), "seLinuxOptions");
    return o && !selinux_ok(st, pd->pool, o);
}

static void selinux_check(const struct pod *pd, struct results *r, bool engine_ok)
{
    struct kapi_pool *p = pd->pool;
    struct selinux_state st = {.nc = {.pred = selinux_pred}, .engine_ok = engine_ok};
    struct strs setters = {0};
    const struct kapi_value *o = obj_field(psc(pd), "seLinuxOptions");
    if (o && !selinux_ok(&st, p, o))
        strs_add(p, &setters, "pod");
    run_pred(pd, &st.nc);
    if (st.nc.names.n)
        strs_add(p, &setters, containers_phrase(p, &st.nc.names));
    if (!setters.n)
        return;
    struct strs data = {0};
    if (st.nc.values.n) {
        strs_sort(&st.nc.values);
        strs_add(p, &data,
                 kapi_pool_printf(p, "%s %s", plural("type", "types", st.nc.values.n), join_quote(p, &st.nc.values)));
    }
    if (st.set_user)
        strs_add(p, &data, "user may not be set");
    if (st.set_role)
        strs_add(p, &data, "role may not be set");
    deny(r, "seLinuxOptions",
         kapi_pool_printf(p, "%s set forbidden securityContext.seLinuxOptions: %s", join(p, &setters, " and ", false),
                          join(p, &data, "; ", false)));
}

static void check_selinux_1_0(const struct pod *pd, struct results *r)
{
    selinux_check(pd, r, false);
}

static void check_selinux_1_31(const struct pod *pd, struct results *r)
{
    selinux_check(pd, r, true);
}

/* seccompProfile_baseline. Before v1.19: the alpha annotations. */
#define SECCOMP_POD_ANNOTATION "seccomp.security.alpha.kubernetes.io/pod"
#define SECCOMP_CONTAINER_ANNOTATION "container.seccomp.security.alpha.kubernetes.io/"

static bool seccomp_annotation_ok(const char *v)
{
    return kapi_streq(v, "runtime/default") || kapi_streq(v, "docker/default") || has_prefix(v, "localhost/");
}

static void seccomp_anno_visit(const struct pod *pd, const struct kapi_value *c, void *ctx)
{
    struct strs *bad = ctx;
    const char *key = kapi_pool_printf(pd->pool, SECCOMP_CONTAINER_ANNOTATION "%s", cname(c));
    bool found;
    const char *v = annotation(pd, key, &found);
    if (found && !seccomp_annotation_ok(v))
        set_add(pd->pool, bad, kapi_pool_printf(pd->pool, "%s=%s", key, go_quote(pd->pool, v)));
}

static void check_seccomp_baseline_1_0(const struct pod *pd, struct results *r)
{
    struct strs bad = {0};
    bool found;
    const char *v = annotation(pd, SECCOMP_POD_ANNOTATION, &found);
    if (found && !seccomp_annotation_ok(v))
        set_add(pd->pool, &bad, kapi_pool_printf(pd->pool, "%s=%s", SECCOMP_POD_ANNOTATION, go_quote(pd->pool, v)));
    each_container(pd, seccomp_anno_visit, &bad);
    if (!bad.n)
        return;
    strs_sort(&bad);
    deny(r, "seccompProfile",
         kapi_pool_printf(pd->pool, "forbidden %s %s", plural("annotation", "annotations", bad.n),
                          join(pd->pool, &bad, ", ", false)));
}

static bool seccomp_type_ok(const char *t)
{
    return kapi_streq(t, "RuntimeDefault") || kapi_streq(t, "Localhost");
}

/* Shared by the baseline (v1.19) and restricted seccomp checks. */
struct seccomp_state {
    struct name_ctx nc;           /* explicitly bad containers, bad values */
    struct strs implicit;         /* containers without a profile and no valid pod profile */
    bool pod_ok;                  /* the pod sets a valid profile */
};

static bool seccomp_pred(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c)
{
    struct seccomp_state *st = (struct seccomp_state *)nc;
    const struct kapi_value *sp = obj_field(csc(c), "seccompProfile");
    if (!sp) {
        if (!st->pod_ok)
            strs_add(pd->pool, &st->implicit, cname(c));
        return false;
    }
    const char *t = str_field(sp, "type");
    if (!t)
        t = "";
    if (seccomp_type_ok(t))
        return false;
    set_add(pd->pool, &nc->values, t);
    return true;
}

/* Returns true when it denied for explicit bad values. */
static bool seccomp_fields(const struct pod *pd, struct results *r, struct seccomp_state *st)
{
    struct kapi_pool *p = pd->pool;
    struct strs setters = {0};
    st->nc.pred = seccomp_pred;
    const struct kapi_value *sp = obj_field(psc(pd), "seccompProfile");
    if (sp) {
        const char *t = str_field(sp, "type");
        if (!t)
            t = "";
        if (!seccomp_type_ok(t)) {
            strs_add(p, &setters, "pod");
            set_add(p, &st->nc.values, t);
        } else {
            st->pod_ok = true;
        }
    }
    run_pred(pd, &st->nc);
    if (st->nc.names.n)
        strs_add(p, &setters, containers_phrase(p, &st->nc.names));
    if (!setters.n)
        return false;
    strs_sort(&st->nc.values);
    deny(r, "seccompProfile",
         kapi_pool_printf(p, "%s must not set securityContext.seccompProfile.type to %s",
                          join(p, &setters, " and ", false), join_quote(p, &st->nc.values)));
    return true;
}

static void check_seccomp_baseline_1_19(const struct pod *pd, struct results *r)
{
    struct seccomp_state st = {0};
    seccomp_fields(pd, r, &st);
}

/* sysctls: names outside the safe set of the policy version. */
static const char *const sysctls_1_0[] = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                                          "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                                          "net.ipv4.ip_unprivileged_port_start"};
static const char *const sysctls_1_27[] = {"net.ipv4.ip_local_reserved_ports"};
static const char *const sysctls_1_29[] = {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                                           "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"};
static const char *const sysctls_1_32[] = {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"};

static bool sysctl_safe(const char *name, int since)
{
    if (in_list(name, sysctls_1_0, KAPI_ARRAY_LEN(sysctls_1_0)))
        return true;
    if (since >= 27 && in_list(name, sysctls_1_27, KAPI_ARRAY_LEN(sysctls_1_27)))
        return true;
    if (since >= 29 && in_list(name, sysctls_1_29, KAPI_ARRAY_LEN(sysctls_1_29)))
        return true;
    return since >= 32 && in_list(name, sysctls_1_32, KAPI_ARRAY_LEN(sysctls_1_32));
}

static void sysctls_check(const struct pod *pd, struct results *r, int since)
{
    struct strs bad = {0};
    const struct kapi_value *list = field(psc(pd), "sysctls");
    for (size_t i = 0; i < arr_len(list); i++) {
        const char *n = str_field(list->u.arr.items[i], "name");
        if (!n)
            n = "";
        if (!sysctl_safe(n, since))
            strs_add(pd->pool, &bad, n);
    }
    if (bad.n)
        deny(r, "forbidden sysctls", join(pd->pool, &bad, ", ", false));
}

static void check_sysctls_1_0(const struct pod *pd, struct results *r)
{
    sysctls_check(pd, r, 0);
}
static void check_sysctls_1_27(const struct pod *pd, struct results *r)
{
    sysctls_check(pd, r, 27);
}
static void check_sysctls_1_29(const struct pod *pd, struct results *r)
{
    sysctls_check(pd, r, 29);
}
static void check_sysctls_1_32(const struct pod *pd, struct results *r)
{
    sysctls_check(pd, r, 32);
}

/* windowsHostProcess */
static bool host_process_pred(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c)
{
    (void)nc;
    (void)pd;
    return is_true(obj_field(csc(c), "windowsOptions"), "hostProcess");
}

static void check_host_process(const struct pod *pd, struct results *r)
{
    struct name_ctx nc = {.pred = host_process_pred};
    run_pred(pd, &nc);
    struct strs setters = {0};
    if (is_true(obj_field(psc(pd), "windowsOptions"), "hostProcess"))
        strs_add(pd->pool, &setters, "pod");
    if (nc.names.n)
        strs_add(pd->pool, &setters, containers_phrase(pd->pool, &nc.names));
    if (setters.n)
        deny(r, "hostProcess",
             kapi_pool_printf(pd->pool, "%s must not set securityContext.windowsOptions.hostProcess=true",
                              join(pd->pool, &setters, " and ", false)));
}

/* ---- restricted checks ---- */

static bool ape_pred(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c)
{
    (void)nc;
    (void)pd;
    bool b = true;
    return !bool_field(csc(c), "allowPrivilegeEscalation", &b) || b;
}

static void check_ape_1_8(const struct pod *pd, struct results *r)
{
    struct name_ctx nc = {.pred = ape_pred};
    run_pred(pd, &nc);
    if (nc.names.n)
        deny(r, "allowPrivilegeEscalation != false",
             kapi_pool_printf(pd->pool, "%s must set securityContext.allowPrivilegeEscalation=false",
                              containers_phrase(pd->pool, &nc.names)));
}

/* From v1.25 a pod for Windows (spec.os.name) is exempt: the API refuses
 * the Linux-only fields there. */
static void check_ape_1_25(const struct pod *pd, struct results *r)
{
    if (!windows_pod(pd))
        check_ape_1_8(pd, r);
}

struct caps_state {
    struct strs missing_drop, adding;
    struct strs bad_caps; /* set */
};

static void caps_restricted_visit(const struct pod *pd, const struct kapi_value *c, void *ctx)
{
    struct caps_state *st = ctx;
    const struct kapi_value *caps = obj_field(csc(c), "capabilities");
    if (!caps) {
        strs_add(pd->pool, &st->missing_drop, cname(c));
        return;
    }
    const struct kapi_value *drop = field(caps, "drop");
    bool all = false;
    for (size_t i = 0; i < arr_len(drop) && !all; i++) {
        const char *d = kapi_value_cstr(drop->u.arr.items[i]);
        all = d && kapi_streq(d, "ALL");
    }
    if (!all)
        strs_add(pd->pool, &st->missing_drop, cname(c));
    const struct kapi_value *add = field(caps, "add");
    bool bad = false;
    for (size_t i = 0; i < arr_len(add); i++) {
        const char *a = kapi_value_cstr(add->u.arr.items[i]);
        if (!a)
            a = "";
        if (!kapi_streq(a, "NET_BIND_SERVICE")) {
            bad = true;
            set_add(pd->pool, &st->bad_caps, a);
        }
    }
    if (bad)
        strs_add(pd->pool, &st->adding, cname(c));
}

static void check_caps_restricted_1_22(const struct pod *pd, struct results *r)
{
    struct kapi_pool *p = pd->pool;
    struct caps_state st = {0};
    each_container(pd, caps_restricted_visit, &st);
    struct strs details = {0};
    if (st.missing_drop.n)
        strs_add(p, &details,
                 kapi_pool_printf(p, "%s must set securityContext.capabilities.drop=[\"ALL\"]",
                                  containers_phrase(p, &st.missing_drop)));
    if (st.adding.n) {
        strs_sort(&st.bad_caps);
        strs_add(p, &details,
                 kapi_pool_printf(p, "%s must not include %s in securityContext.capabilities.add",
                                  containers_phrase(p, &st.adding), join_quote(p, &st.bad_caps)));
    }
    if (details.n)
        deny(r, "unrestricted capabilities", join(p, &details, "; ", false));
}

static void check_caps_restricted_1_25(const struct pod *pd, struct results *r)
{
    if (!windows_pod(pd))
        check_caps_restricted_1_22(pd, r);
}

/* restrictedVolumes: only configMap, csi, downwardAPI, emptyDir, ephemeral,
 * persistentVolumeClaim, projected and secret volumes. */
static void check_restricted_volumes(const struct pod *pd, struct results *r)
{
    static const char *const allowed[] = {"configMap", "csi",       "downwardAPI", "emptyDir",
                                          "ephemeral", "persistentVolumeClaim", "projected", "secret"};
    /* the types named in the message, in the order the check tests them */
    static const char *const named[] = {"hostPath",  "gcePersistentDisk", "awsElasticBlockStore", "gitRepo",
                                        "nfs",       "iscsi",             "glusterfs",            "rbd",
                                        "flexVolume", "cinder",           "cephfs",               "flocker",
                                        "fc",        "azureFile",         "vsphereVolume",        "quobyte",
                                        "azureDisk", "photonPersistentDisk", "portworxVolume",    "scaleIO",
                                        "storageos"};
    struct kapi_pool *p = pd->pool;
    struct strs bad = {0}, types = {0};
    const struct kapi_value *vols = field(pd->spec, "volumes");
    for (size_t i = 0; i < arr_len(vols); i++) {
        const struct kapi_value *v = vols->u.arr.items[i];
        bool ok = false;
        for (size_t k = 0; k < KAPI_ARRAY_LEN(allowed) && !ok; k++)
            ok = field(v, allowed[k]) != NULL;
        if (ok)
            continue;
        strs_add(p, &bad, cname(v));
        const char *t = "unknown";
        for (size_t k = 0; k < KAPI_ARRAY_LEN(named); k++)
            if (field(v, named[k])) {
                t = named[k];
                break;
            }
        set_add(p, &types, t);
    }
    if (!bad.n)
        return;
    strs_sort(&types);
    deny(r, "restricted volume types",
         kapi_pool_printf(p, "%s %s %s %s %s", plural("volume", "volumes", bad.n), join_quote(p, &bad),
                          plural("uses", "use", bad.n),
                          plural("restricted volume type", "restricted volume types", types.n),
                          join_quote(p, &types)));
}

/* runAsNonRoot */
struct nonroot_state {
    struct strs explicit_bad, implicit_bad;
    bool pod_true;
};

static void nonroot_visit(const struct pod *pd, const struct kapi_value *c, void *ctx)
{
    struct nonroot_state *st = ctx;
    bool b;
    if (bool_field(csc(c), "runAsNonRoot", &b)) {
        if (!b)
            strs_add(pd->pool, &st->explicit_bad, cname(c));
    } else if (!st->pod_true) {
        strs_add(pd->pool, &st->implicit_bad, cname(c));
    }
}

static void check_run_as_non_root(const struct pod *pd, struct results *r)
{
    struct kapi_pool *p = pd->pool;
    struct nonroot_state st = {0};
    struct strs setters = {0};
    bool b;
    if (bool_field(psc(pd), "runAsNonRoot", &b)) {
        if (!b)
            strs_add(p, &setters, "pod");
        else
            st.pod_true = true;
    }
    each_container(pd, nonroot_visit, &st);
    if (st.explicit_bad.n)
        strs_add(p, &setters, containers_phrase(p, &st.explicit_bad));
    if (setters.n) {
        deny(r, "runAsNonRoot != true",
             kapi_pool_printf(p, "%s must not set securityContext.runAsNonRoot=false",
                              join(p, &setters, " and ", false)));
        return;
    }
    if (st.implicit_bad.n)
        deny(r, "runAsNonRoot != true",
             kapi_pool_printf(p, "pod or %s %s must set securityContext.runAsNonRoot=true",
                              plural("container", "containers", st.implicit_bad.n), join_quote(p, &st.implicit_bad)));
}

/* runAsUser */
static bool uid_zero(const struct kapi_value *sc)
{
    const struct kapi_value *u = field(sc, "runAsUser");
    return u && u->type == KAPI_V_INT && u->u.i == 0;
}

static bool run_as_user_pred(struct name_ctx *nc, const struct pod *pd, const struct kapi_value *c)
{
    (void)nc;
    (void)pd;
    return uid_zero(csc(c));
}

static void check_run_as_user(const struct pod *pd, struct results *r)
{
    struct strs setters = {0};
    if (uid_zero(psc(pd)))
        strs_add(pd->pool, &setters, "pod");
    struct name_ctx nc = {.pred = run_as_user_pred};
    run_pred(pd, &nc);
    if (nc.names.n)
        strs_add(pd->pool, &setters, containers_phrase(pd->pool, &nc.names));
    if (setters.n)
        deny(r, "runAsUser=0",
             kapi_pool_printf(pd->pool, "%s must not set runAsUser=0", join(pd->pool, &setters, " and ", false)));
}

/* seccompProfile_restricted: like the baseline check, and every container
 * must end up with RuntimeDefault or Localhost (its own or the pod's). */
static void check_seccomp_restricted_1_19(const struct pod *pd, struct results *r)
{
    struct seccomp_state st = {0};
    if (seccomp_fields(pd, r, &st) || !st.implicit.n)
        return;
    deny(r, "seccompProfile",
         kapi_pool_printf(pd->pool,
                          "pod or %s %s must set securityContext.seccompProfile.type to \"RuntimeDefault\" or "
                          "\"Localhost\"",
                          plural("container", "containers", st.implicit.n), join_quote(pd->pool, &st.implicit)));
}

static void check_seccomp_restricted_1_25(const struct pod *pd, struct results *r)
{
    if (!windows_pod(pd))
        check_seccomp_restricted_1_19(pd, r);
}

/* ---- the check table ---- */

typedef void (*check_fn)(const struct pod *pd, struct results *r);

struct versioned {
    int since; /* first policy version v1.<since> this implementation applies to */
    check_fn fn;
};

struct check {
    const char *id;
    bool restricted;
    const char *overrides; /* the baseline check a restricted one replaces, or NULL */
    struct versioned v[4]; /* ascending; fn NULL ends */
};

/* Baseline checks, then restricted ones, each group sorted by id: the order
 * in which upstream's registry reports violations. */
static const struct check checks[] = {
    {"appArmorProfile", false, NULL, {{0, check_apparmor}}},
    {"capabilities_baseline", false, NULL, {{0, check_caps_baseline}}},
    {"hostNamespaces", false, NULL, {{0, check_host_namespaces}}},
    {"hostPathVolumes", false, NULL, {{0, check_host_path}}},
    {"hostPorts", false, NULL, {{0, check_host_ports}}},
    {"privileged", false, NULL, {{0, check_privileged}}},
    {"procMount", false, NULL, {{0, check_proc_mount}}},
    {"seLinuxOptions", false, NULL, {{0, check_selinux_1_0}, {31, check_selinux_1_31}}},
    {"seccompProfile_baseline", false, NULL, {{0, check_seccomp_baseline_1_0}, {19, check_seccomp_baseline_1_19}}},
    {"sysctls",
     false,
     NULL,
     {{0, check_sysctls_1_0}, {27, check_sysctls_1_27}, {29, check_sysctls_1_29}, {32, check_sysctls_1_32}}},
    {"windowsHostProcess", false, NULL, {{0, check_host_process}}},
    {"allowPrivilegeEscalation", true, NULL, {{8, check_ape_1_8}, {25, check_ape_1_25}}},
    {"capabilities_restricted",
     true,
     "capabilities_baseline",
     {{22, check_caps_restricted_1_22}, {25, check_caps_restricted_1_25}}},
    {"restrictedVolumes", true, "hostPathVolumes", {{0, check_restricted_volumes}}},
    {"runAsNonRoot", true, NULL, {{0, check_run_as_non_root}}},
    {"runAsUser", true, NULL, {{23, check_run_as_user}}},
    {"seccompProfile_restricted",
     true,
     "seccompProfile_baseline",
     {{19, check_seccomp_restricted_1_19}, {25, check_seccomp_restricted_1_25}}},
};

/* The implementation of c for policy version minor, or NULL before its first. */
static check_fn check_at(const struct check *c, long minor)
{
    check_fn fn = NULL;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(c->v) && c->v[i].fn; i++)
        if (c->v[i].since <= minor)
            fn = c->v[i].fn;
    return fn;
}

static bool overridden(const char *id, long minor)
{
    for (size_t i = 0; i < KAPI_ARRAY_LEN(checks); i++)
        if (checks[i].restricted && checks[i].overrides && strcmp(checks[i].overrides, id) == 0 &&
            check_at(&checks[i], minor))
            return true;
    return false;
}

/* Runs the checks of lv over the pod; r->n == 0 means allowed. */
static void evaluate(const struct pod *pd, struct level_version lv, struct results *r)
{
    r->pool = pd->pool;
    r->n = 0;
    if (lv.level == LEVEL_PRIVILEGED)
        return;
    long minor = lv.minor == VERSION_LATEST || lv.minor > MAX_POLICY_MINOR ? MAX_POLICY_MINOR : lv.minor;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(checks); i++) {
        const struct check *c = &checks[i];
        if (c->restricted && lv.level != LEVEL_RESTRICTED)
            continue;
        if (!c->restricted && lv.level == LEVEL_RESTRICTED && overridden(c->id, minor))
            continue;
        check_fn fn = check_at(c, minor);
        if (fn)
            fn(pd, r);
    }
}

/* ---- admission ---- */

static void warn(const struct kapi_admission_attrs *at, const char *msg)
{
    if (at->opts && at->opts->warn)
        at->opts->warn(at->opts->warn_ctx, msg);
}

/* An annotation on the request's audit event. */
static void annotate(const struct kapi_admission_attrs *at, const char *key, const char *value)
{
    if (at->opts && at->opts->annotate)
        at->opts->annotate(at->opts->warn_ctx, key, value);
}

/* The namespace's labels from the cache. A namespace that cannot be found
 * is read as unlabelled (kapi's handlers refuse requests into missing
 * namespaces before admission runs). */
static const struct kapi_value *namespace_labels(const struct kapi_admission_attrs *at)
{
    if (!at->ns[0])
        return NULL;
    struct kapi_value *ns = kapi_adm_get(at, "", "v1", "namespaces", NULL, at->ns, true);
    return obj_field(obj_field(ns, "metadata"), "labels");
}

/* Enforce (pods only), then audit (an annotation on the audit event) and
 * warn (a Warning header). */
static int evaluate_pod(const struct kapi_admission_attrs *at, const struct policy *pol, const struct pod *pd,
                        bool enforce, struct kapi_status **status)
{
    struct results r;
    if (enforce) {
        annotate(at, "pod-security.kubernetes.io/enforce-policy", lv_string(at->pool, pol->enforce));
        evaluate(pd, pol->enforce, &r);
        if (r.n) {
            *status = kapi_adm_forbidden(at, kapi_pool_printf(at->pool, "violates PodSecurity \"%s\": %s",
                                                              lv_string(at->pool, pol->enforce),
                                                              results_detail(&r)));
            return -1;
        }
    }
    evaluate(pd, pol->audit, &r);
    if (r.n)
        annotate(at, "pod-security.kubernetes.io/audit-violations",
                 kapi_pool_printf(at->pool, "would violate PodSecurity \"%s\": %s", lv_string(at->pool, pol->audit),
                                  results_detail(&r)));
    evaluate(pd, pol->warn, &r);
    if (r.n)
        warn(at, kapi_pool_printf(at->pool, "would violate PodSecurity \"%s\": %s", lv_string(at->pool, pol->warn),
                                  results_detail(&r)));
    return 0;
}

/* Whether a pod update can change the outcome: images, the seccomp
 * annotations, the number of (init) containers, new ephemeral containers. */
static const char *anno_or_empty(const struct kapi_value *pod, const char *key)
{
    const char *s = kapi_value_cstr(field(obj_field(obj_field(pod, "metadata"), "annotations"), key));
    return s ? s : "";
}

static bool container_changed(const struct kapi_admission_attrs *at, const struct kapi_value *c,
                              const struct kapi_value *oc)
{
    const char *img = str_field(c, "image"), *oimg = str_field(oc, "image");
    if (strcmp(img ? img : "", oimg ? oimg : "") != 0)
        return true;
    const char *key = kapi_pool_printf(at->pool, SECCOMP_CONTAINER_ANNOTATION "%s", cname(c));
    return strcmp(anno_or_empty(at->obj, key), anno_or_empty(at->old, key)) != 0;
}

static bool significant_update(const struct kapi_admission_attrs *at)
{
    if (strcmp(anno_or_empty(at->obj, SECCOMP_POD_ANNOTATION), anno_or_empty(at->old, SECCOMP_POD_ANNOTATION)) != 0)
        return true;
    const struct kapi_value *spec = obj_field(at->obj, "spec"), *ospec = obj_field(at->old, "spec");
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        const struct kapi_value *a = field(spec, lists[l]), *oa = field(ospec, lists[l]);
        if (arr_len(a) != arr_len(oa))
            return true;
        for (size_t i = 0; i < arr_len(a); i++)
            if (container_changed(at, a->u.arr.items[i], oa->u.arr.items[i]))
                return true;
    }
    const struct kapi_value *eph = field(spec, "ephemeralContainers"), *oeph = field(ospec, "ephemeralContainers");
    for (size_t i = 0; i < arr_len(eph); i++) {
        const struct kapi_value *c = eph->u.arr.items[i], *match = NULL;
        for (size_t j = 0; j < arr_len(oeph) && !match; j++)
            if (strcmp(cname(oeph->u.arr.items[j]), cname(c)) == 0)
                match = oeph->u.arr.items[j];
        if (!match || container_changed(at, c, match))
            return true;
    }
    return false;
}

static bool all_privileged(const struct policy *pol, bool with_enforce)
{
    return (!with_enforce || pol->enforce.level == LEVEL_PRIVILEGED) && pol->warn.level == LEVEL_PRIVILEGED &&
           pol->audit.level == LEVEL_PRIVILEGED;
}

static int validate_pod(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    /* subresources whose requests cannot change what the checks look at */
    static const char *const ignored[] = {"exec",        "attach", "binding", "eviction",
                                          "log",         "portforward", "proxy", "status"};
    if (in_list(at->subresource, ignored, KAPI_ARRAY_LEN(ignored)))
        return 0;
    const char *kind = str_field(at->obj, "kind");
    if (kind && !kapi_streq(kind, "Pod"))
        return 0;
    struct kapi_field_errors errs = {0};
    struct policy pol = policy_from_labels(at->pool, namespace_labels(at), &errs);
    if (!errs.len && all_privileged(&pol, true))
        return 0;
    if (at->old && !significant_update(at))
        return 0;
    struct pod pd = {at->pool, obj_field(at->obj, "metadata"), obj_field(at->obj, "spec")};
    return evaluate_pod(at, &pol, &pd, true, status);
}

/* Objects that embed a pod template: where the template sits. */
struct workload {
    const char *group, *resource;
    const char *path[5];
};

static const struct workload workloads[] = {
    {"", "podtemplates", {"template"}},
    {"", "replicationcontrollers", {"spec", "template"}},
    {"apps", "replicasets", {"spec", "template"}},
    {"apps", "deployments", {"spec", "template"}},
    {"apps", "statefulsets", {"spec", "template"}},
    {"apps", "daemonsets", {"spec", "template"}},
    {"batch", "jobs", {"spec", "template"}},
    {"batch", "cronjobs", {"spec", "jobTemplate", "spec", "template"}},
};

static int validate_workload(const struct kapi_admission_attrs *at, const struct workload *w,
                             struct kapi_status **status)
{
    if (at->subresource[0])
        return 0;
    struct kapi_field_errors errs = {0};
    struct policy pol = policy_from_labels(at->pool, namespace_labels(at), &errs);
    if (!errs.len && all_privileged(&pol, false))
        return 0;
    const struct kapi_value *tmpl = at->obj;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(w->path) && w->path[i]; i++)
        tmpl = obj_field(tmpl, w->path[i]);
    /* Only a ReplicationController's template is optional; the others are
     * values in Go and are checked even when empty. */
    if (!tmpl && kapi_streq(w->resource, "replicationcontrollers"))
        return 0;
    struct pod pd = {at->pool, obj_field(tmpl, "metadata"), obj_field(tmpl, "spec")};
    return evaluate_pod(at, &pol, &pd, false, status);
}

/* ---- namespaces ---- */

static int level_cmp(enum level a, enum level b)
{
    return a == b ? 0 : a < b ? -1 : 1;
}

static bool same_errors(struct kapi_pool *p, const struct kapi_field_errors *a, const struct kapi_field_errors *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++)
        if (strcmp(kapi_field_error_string(p, &a->items[i]), kapi_field_error_string(p, &b->items[i])) != 0)
            return false;
    return true;
}

/* The controller ownerReference's uid, or NULL. */
static const char *controller_uid(const struct kapi_value *pod)
{
    const struct kapi_value *refs = field(obj_field(pod, "metadata"), "ownerReferences");
    for (size_t i = 0; i < arr_len(refs); i++)
        if (is_true(refs->u.arr.items[i], "controller"))
            return str_field(refs->u.arr.items[i], "uid");
    return NULL;
}

#define NS_MAX_PODS 3000
#define NS_CHECK_MS 1000

struct pod_warning {
    const char *reasons;
    const char *first; /* lexically first pod name */
    size_t count;
};

static int cmp_warning_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Warnings about the namespace's pods that the new enforce level refuses:
 * one pod of each controller first, then the rest; at most 3000 pods and
 * about a second. */
static void check_existing_pods(const struct kapi_admission_attrs *at, const char *ns, struct level_version lv)
{
    struct kapi_pool *p = at->pool;
    size_t n = 0;
    struct kapi_value **pods = kapi_adm_list(at, "", "v1", "pods", ns, &n);
    const struct kapi_value **order = kapi_pool_alloc(p, (n ? n : 1) * sizeof(*order));
    size_t no = 0;
    struct strs seen = {0};
    bool *later = kapi_pool_alloc(p, (n ? n : 1) * sizeof(*later));
    for (size_t i = 0; i < n; i++) {
        const char *uid = controller_uid(pods[i]);
        later[i] = uid && strs_has(&seen, uid);
        if (uid && !later[i])
            strs_add(p, &seen, uid);
        if (!later[i])
            order[no++] = pods[i];
    }
    for (size_t i = 0; i < n; i++)
        if (later[i])
            order[no++] = pods[i];

    size_t total = no, limit = no > NS_MAX_PODS ? NS_MAX_PODS : no, checked = limit;
    struct pod_warning *pw = kapi_pool_alloc(p, (n ? n : 1) * sizeof(*pw));
    size_t npw = 0;
    int64_t start = kapi_now_ms();
    for (size_t i = 0; i < limit; i++) {
        const struct kapi_value *pod = order[i];
        struct pod pd = {p, obj_field(pod, "metadata"), obj_field(pod, "spec")};
        struct results r;
        evaluate(&pd, lv, &r);
        if (r.n) {
            const char *reasons = results_reasons(&r);
            const char *name = str_field(obj_field(pod, "metadata"), "name");
            if (!name)
                name = "";
            size_t k = 0;
            while (k < npw && strcmp(pw[k].reasons, reasons) != 0)
                k++;
            if (k == npw)
                pw[npw++] = (struct pod_warning){reasons, name, 0};
            else if (strcmp(name, pw[k].first) < 0)
                pw[k].first = name;
            pw[k].count++;
        }
        if (kapi_now_ms() - start > NS_CHECK_MS) {
            checked = i + 1;
            break;
        }
    }
    if (checked < total)
        warn(at, kapi_pool_printf(p, "new PodSecurity enforce level only checked against the first %zu of %zu "
                                     "existing pods",
                                  checked, total));
    if (!npw)
        return;
    warn(at, kapi_pool_printf(p, "existing pods in namespace \"%s\" violate the new PodSecurity enforce level \"%s\"",
                              ns, lv_string(p, lv)));
    const char **lines = kapi_pool_alloc(p, npw * sizeof(*lines));
    for (size_t k = 0; k < npw; k++) {
        if (pw[k].count == 1)
            lines[k] = kapi_pool_printf(p, "%s: %s", pw[k].first, pw[k].reasons);
        else if (pw[k].count == 2)
            lines[k] = kapi_pool_printf(p, "%s (and 1 other pod): %s", pw[k].first, pw[k].reasons);
        else
            lines[k] = kapi_pool_printf(p, "%s (and %zu other pods): %s", pw[k].first, pw[k].count - 1, pw[k].reasons);
    }
    qsort(lines, npw, sizeof(*lines), cmp_warning_text);
    for (size_t k = 0; k < npw; k++)
        warn(at, lines[k]);
}

static int validate_namespace(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (at->subresource[0])
        return 0;
    struct kapi_pool *p = at->pool;
    const char *name = str_field(obj_field(at->obj, "metadata"), "name");
    if (!name)
        name = "";
    struct kapi_field_errors errs = {0};
    struct policy pol = policy_from_labels(p, obj_field(obj_field(at->obj, "metadata"), "labels"), &errs);
    if (!at->old) {
        if (errs.len) {
            *status = kapi_status_invalid(p, "", "Namespace", at->name, &errs);
            return -1;
        }
        return 0;
    }
    struct kapi_field_errors old_errs = {0};
    struct policy old = policy_from_labels(p, obj_field(obj_field(at->old, "metadata"), "labels"), &old_errs);
    /* labels that were already wrong in the same way do not block other changes */
    if (errs.len && (!old_errs.len || !same_errors(p, &errs, &old_errs))) {
        *status = kapi_status_invalid(p, "", "Namespace", at->name, &errs);
        return -1;
    }
    if (lv_equal(pol.enforce, old.enforce) || pol.enforce.level == LEVEL_PRIVILEGED)
        return 0;
    if (pol.enforce.minor == old.enforce.minor && level_cmp(pol.enforce.level, old.enforce.level) < 1)
        return 0;
    check_existing_pods(at, name, pol.enforce);
    return 0;
}

int kapi_adm_podsecurity_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (!at->obj || at->obj->type != KAPI_V_OBJECT)
        return 0;
    if (at->group[0] == 0 && kapi_streq(at->resource, "namespaces"))
        return validate_namespace(at, status);
    if (at->group[0] == 0 && kapi_streq(at->resource, "pods"))
        return validate_pod(at, status);
    for (size_t i = 0; i < KAPI_ARRAY_LEN(workloads); i++)
        if (strcmp(at->group, workloads[i].group) == 0 && strcmp(at->resource, workloads[i].resource) == 0)
            return validate_workload(at, &workloads[i], status);
    return 0;
}
