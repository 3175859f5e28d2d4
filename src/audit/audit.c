/* Implementation of audit/audit.h. */
#include "audit.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../codec/json.h"
#include "../codec/yaml.h"

struct group_resources {
    const char *group;
    const char **resources;
    size_t nresources;
    const char **names;
    size_t nnames;
};

struct rule {
    enum kapi_audit_level level;
    const char **users, **groups, **verbs, **namespaces, **urls;
    size_t nusers, ngroups, nverbs, nnamespaces, nurls;
    struct group_resources *res;
    size_t nres;
    unsigned omit;
    int omit_managed; /* -1 unset, 0, 1 */
};

struct kapi_audit {
    struct kapi_pool *pool;
    struct rule *rules;
    size_t nrules;
    unsigned omit;
    bool omit_managed;
    pthread_mutex_t mu;
    char *path;
    FILE *f;
    long size;
    long max_bytes;
    int max_backups;
};

/* RFC 3339 with microseconds, as metav1.MicroTime prints. */
static void audit_time(int64_t us, char *out, size_t n)
{
    time_t sec = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%06lldZ", base, (long long)(us % 1000000));
}

static const char *const level_names[] = {"None", "Metadata", "Request", "RequestResponse"};

static int parse_level(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

static const char *stage_name(enum kapi_audit_stage s)
{
    switch (s) {
    case KAPI_AUDIT_REQUEST_RECEIVED:
        return "RequestReceived";
    case KAPI_AUDIT_RESPONSE_STARTED:
        return "ResponseStarted";
    case KAPI_AUDIT_RESPONSE_COMPLETE:
        return "ResponseComplete";
    default:
        return "Panic";
    }
}

static int parse_stage(const char *s)
{
    static const enum kapi_audit_stage all[] = {KAPI_AUDIT_REQUEST_RECEIVED, KAPI_AUDIT_RESPONSE_STARTED,
                                                KAPI_AUDIT_RESPONSE_COMPLETE, KAPI_AUDIT_PANIC};
    for (size_t i = 0; i < 4; i++)
        if (s && strcmp(s, stage_name(all[i])) == 0)
            return (int)all[i];
    return -1;
}

/* A list of strings at key (NULL/0 when absent); -1 when not a string list. */
static int strings(struct kapi_pool *p, const struct kapi_value *o, const char *key, const char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const struct kapi_value *v = kapi_obj_get(o, key);
    if (!v || v->type == KAPI_V_NULL)
        return 0;
    if (v->type != KAPI_V_ARRAY)
        return -1;
    const char **s = kapi_pool_calloc(p, (v->u.arr.len + 1) * sizeof(*s));
    for (size_t i = 0; i < v->u.arr.len; i++) {
        s[i] = kapi_value_cstr(v->u.arr.items[i]);
        if (!s[i])
            return -1;
    }
    *out = s;
    *n = v->u.arr.len;
    return 0;
}

static int stages(const struct kapi_value *o, unsigned *mask)
{
    const struct kapi_value *v = kapi_obj_get(o, "omitStages");
    *mask = 0;
    if (!v || v->type == KAPI_V_NULL)
        return 0;
    if (v->type != KAPI_V_ARRAY)
        return -1;
    for (size_t i = 0; i < v->u.arr.len; i++) {
        int s = parse_stage(kapi_value_cstr(v->u.arr.items[i]));
        if (s < 0)
            return -1;
        *mask |= (unsigned)s;
    }
    return 0;
}

static int load_policy(struct kapi_audit *a, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "loading audit policy file: failed to read file path \"%s\": %s", path, strerror(errno));
        return -1;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (kapi_buf_append(&b, chunk, n) < 0)
            break;
    fclose(f);
    struct kapi_yaml_error ye;
    struct kapi_value *doc = kapi_yaml_parse(a->pool, b.data ? b.data : "", b.len, &ye);
    kapi_buf_dispose(&b);
    if (!doc || doc->type != KAPI_V_OBJECT) {
        snprintf(err, errlen, "loading audit policy file: failed decoding: %s", doc ? "not an object" : ye.msg);
        return -1;
    }
    const char *av = kapi_obj_get_str(doc, "apiVersion"), *kind = kapi_obj_get_str(doc, "kind");
    if (!av || (strcmp(av, "audit.k8s.io/v1") != 0) || !kind || strcmp(kind, "Policy") != 0) {
        snprintf(err, errlen, "loading audit policy file: unknown group version field %s in policy",
                 av ? av : "\"\"");
        return -1;
    }
    if (stages(doc, &a->omit) < 0) {
        snprintf(err, errlen, "loading audit policy file: invalid omitStages");
        return -1;
    }
    const struct kapi_value *om = kapi_obj_get(doc, "omitManagedFields");
    a->omit_managed = om && om->type == KAPI_V_BOOL && om->u.b;
    const struct kapi_value *rules = kapi_obj_get(doc, "rules");
    if (!rules || rules->type != KAPI_V_ARRAY || rules->u.arr.len == 0) {
        snprintf(err, errlen, "loading audit policy file: invalid audit policy: rules: Required value");
        return -1;
    }
    a->rules = kapi_pool_calloc(a->pool, rules->u.arr.len * sizeof(*a->rules));
    for (size_t i = 0; i < rules->u.arr.len; i++) {
        const struct kapi_value *r = rules->u.arr.items[i];
        struct rule *out = &a->rules[a->nrules++];
        int lv = parse_level(kapi_obj_get_str(r, "level"));
        if (lv < 0) {
            snprintf(err, errlen, "loading audit policy file: invalid audit policy: rules[%zu].level: %s", i,
                     kapi_obj_get_str(r, "level") ? "Unsupported value" : "Required value");
            return -1;
        }
        out->level = (enum kapi_audit_level)lv;
        if (strings(a->pool, r, "users", &out->users, &out->nusers) < 0 ||
            strings(a->pool, r, "userGroups", &out->groups, &out->ngroups) < 0 ||
            strings(a->pool, r, "verbs", &out->verbs, &out->nverbs) < 0 ||
            strings(a->pool, r, "namespaces", &out->namespaces, &out->nnamespaces) < 0 ||
            strings(a->pool, r, "nonResourceURLs", &out->urls, &out->nurls) < 0 || stages(r, &out->omit) < 0) {
            snprintf(err, errlen, "loading audit policy file: invalid audit policy: rules[%zu]", i);
            return -1;
        }
        const struct kapi_value *om2 = kapi_obj_get(r, "omitManagedFields");
        out->omit_managed = om2 && om2->type == KAPI_V_BOOL ? om2->u.b : -1;
        const struct kapi_value *res = kapi_obj_get(r, "resources");
        if (res && res->type == KAPI_V_ARRAY) {
            out->res = kapi_pool_calloc(a->pool, (res->u.arr.len + 1) * sizeof(*out->res));
            for (size_t j = 0; j < res->u.arr.len; j++) {
                const struct kapi_value *g = res->u.arr.items[j];
                struct group_resources *gr = &out->res[out->nres++];
                gr->group = kapi_obj_get_str(g, "group") ? kapi_obj_get_str(g, "group") : "";
                if (strings(a->pool, g, "resources", &gr->resources, &gr->nresources) < 0 ||
                    strings(a->pool, g, "resourceNames", &gr->names, &gr->nnames) < 0) {
                    snprintf(err, errlen, "loading audit policy file: invalid audit policy: rules[%zu].resources[%zu]",
                             i, j);
                    return -1;
                }
            }
        }
        if (out->nurls && (out->nres || out->nnamespaces)) {
            snprintf(err, errlen,
                     "loading audit policy file: invalid audit policy: rules[%zu].nonResourceURLs: Invalid value: "
                     "rules cannot apply to both regular resources and non-resource URLs",
                     i);
            return -1;
        }
    }
    return 0;
}

static bool has(const char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (s && strcmp(list[i], s) == 0)
            return true;
    return false;
}

static bool resource_matches(const struct group_resources *gr, const struct kapi_audit_attrs *at)
{
    if (strcmp(gr->group, at->group ? at->group : "") != 0)
        return false;
    if (gr->nresources == 0)
        return true;
    const char *res = at->resource ? at->resource : "";
    const char *sub = at->subresource && *at->subresource ? at->subresource : NULL;
    char combined[256];
    snprintf(combined, sizeof(combined), "%s/%s", res, sub ? sub : "");
    for (size_t i = 0; i < gr->nresources; i++) {
        const char *want = gr->resources[i];
        bool ok = false;
        if (strcmp(want, "*") == 0) {
            ok = true;
        } else if (sub) {
            size_t rl = strlen(res);
            ok = strcmp(want, combined) == 0 ||
                 (strncmp(want, "*/", 2) == 0 && strcmp(want + 2, sub) == 0) ||
                 (strncmp(want, res, rl) == 0 && strcmp(want + rl, "/*") == 0);
        } else {
            ok = strcmp(want, res) == 0;
        }
        if (!ok)
            continue;
        if (gr->nnames == 0)
            return true;
        if (at->name && *at->name && has(gr->names, gr->nnames, at->name))
            return true;
    }
    return false;
}

static bool url_matches(const char **urls, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(urls[i]);
        if (strcmp(urls[i], "*") == 0 || strcmp(urls[i], path) == 0 ||
            (l > 0 && urls[i][l - 1] == '*' && strncmp(urls[i], path, l - 1) == 0))
            return true;
    }
    return false;
}

static bool rule_matches(const struct rule *r, const struct kapi_audit_attrs *at)
{
    if (r->nusers && !has(r->users, r->nusers, at->user))
        return false;
    if (r->ngroups) {
        bool any = false;
        for (size_t i = 0; i < at->ngroups && !any; i++)
            any = has(r->groups, r->ngroups, at->groups[i]);
        if (!any)
            return false;
    }
    if (r->nverbs && !has(r->verbs, r->nverbs, at->verb))
        return false;
    if (r->nnamespaces || r->nres) {
        if (!at->resource_request)
            return false;
        if (r->nnamespaces && !has(r->namespaces, r->nnamespaces, at->ns ? at->ns : ""))
            return false;
        if (!r->nres)
            return true;
        for (size_t i = 0; i < r->nres; i++)
            if (resource_matches(&r->res[i], at))
                return true;
        return false;
    }
    if (r->nurls)
        return !at->resource_request && url_matches(r->urls, r->nurls, at->path ? at->path : "");
    return true;
}

enum kapi_audit_level kapi_audit_decide(const struct kapi_audit *a, const struct kapi_audit_attrs *at,
                                        unsigned *omit_stages, bool *omit_managed_fields)
{
    *omit_stages = a->omit;
    *omit_managed_fields = a->omit_managed;
    for (size_t i = 0; i < a->nrules; i++)
        if (rule_matches(&a->rules[i], at)) {
            *omit_stages |= a->rules[i].omit;
            if (a->rules[i].omit_managed >= 0)
                *omit_managed_fields = a->rules[i].omit_managed;
            return a->rules[i].level;
        }
    return KAPI_AUDIT_NONE;
}

/* ---- the log ---- */

static int open_log(struct kapi_audit *a, char *err, size_t errlen)
{
    if (strcmp(a->path, "-") == 0) {
        a->f = stdout;
        return 0;
    }
    a->f = fopen(a->path, "a");
    if (!a->f) {
        if (err)
            snprintf(err, errlen, "audit log %s: %s", a->path, strerror(errno));
        return -1;
    }
    struct stat st;
    a->size = fstat(fileno(a->f), &st) == 0 ? (long)st.st_size : 0;
    return 0;
}

static int backup_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Renames the log to <name>-<UTC time>.<ext> (lumberjack's naming, which
 * kube-apiserver uses) and drops the oldest backups past max_backups. */
static void rotate(struct kapi_audit *a)
{
    fclose(a->f);
    a->f = NULL;
    const char *slash = strrchr(a->path, '/');
    const char *base = slash ? slash + 1 : a->path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot ? (size_t)(dot - a->path) : strlen(a->path);
    const char *ext = dot ? dot : "";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[64];
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H-%M-%S", &tm);
    char *to = kapi_xasprintf("%.*s-%s.%03ld%s", (int)stem, a->path, stamp, ts.tv_nsec / 1000000, ext);
    if (rename(a->path, to) != 0)
        kapi_log(0, "audit: rotating %s: %s", a->path, strerror(errno));
    free(to);
    if (a->max_backups > 0) {
        char *dir = slash ? kapi_xasprintf("%.*s", (int)(slash - a->path), a->path) : kapi_xstrdup(".");
        char *prefix = kapi_xasprintf("%.*s-", (int)(stem - (size_t)(base - a->path)), base);
        size_t plen = strlen(prefix), elen = strlen(ext);
        char **names = NULL;
        size_t n = 0, cap = 0;
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            size_t l = strlen(de->d_name);
            if (l <= plen + elen || strncmp(de->d_name, prefix, plen) != 0 ||
                strcmp(de->d_name + l - elen, ext) != 0)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                names = kapi_xrealloc(names, cap * sizeof(*names));
            }
            names[n++] = kapi_xstrdup(de->d_name);
        }
        if (d)
            closedir(d);
        /* the time in the name sorts them oldest first */
        qsort(names, n, sizeof(*names), backup_cmp);
        for (size_t i = 0; n > (size_t)a->max_backups && i < n - (size_t)a->max_backups; i++) {
            char *full = kapi_xasprintf("%s/%s", dir, names[i]);
            unlink(full);
            free(full);
        }
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        free(dir);
        free(prefix);
    }
    open_log(a, NULL, 0);
    a->size = 0;
}

void kapi_audit_write(struct kapi_audit *a, const struct kapi_audit_event *ev)
{
    if (!a || ev->level == KAPI_AUDIT_NONE)
        return;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
#define STR(k, v)                                                                                                    \
    do {                                                                                                             \
        kapi_buf_puts(&b, ",\"" k "\":");                                                                            \
        kapi_json_write_string(&b, (v), strlen(v));                                                                  \
    } while (0)
    kapi_buf_puts(&b, "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"");
    STR("level", level_names[ev->level]);
    STR("auditID", ev->audit_id ? ev->audit_id : "");
    STR("stage", stage_name(ev->stage));
    STR("requestURI", ev->request_uri ? ev->request_uri : "");
    STR("verb", ev->verb ? ev->verb : "");
    kapi_buf_puts(&b, ",\"user\":{");
    bool first = true;
    if (ev->user) {
        kapi_buf_puts(&b, "\"username\":");
        kapi_json_write_string(&b, ev->user, strlen(ev->user));
        first = false;
    }
    if (ev->uid && *ev->uid) {
        kapi_buf_puts(&b, first ? "\"uid\":" : ",\"uid\":");
        kapi_json_write_string(&b, ev->uid, strlen(ev->uid));
        first = false;
    }
    if (ev->ngroups) {
        kapi_buf_puts(&b, first ? "\"groups\":[" : ",\"groups\":[");
        for (size_t i = 0; i < ev->ngroups; i++) {
            if (i)
                kapi_buf_putc(&b, ',');
            kapi_json_write_string(&b, ev->groups[i], strlen(ev->groups[i]));
        }
        kapi_buf_putc(&b, ']');
        first = false;
    }
    if (ev->nextra) {
        /* {key: [values]}: keys in byte order, values in order */
        const char *keys[64];
        size_t nk = 0;
        for (size_t i = 0; i < ev->nextra && nk < 64; i++) {
            bool seen = false;
            for (size_t j = 0; j < nk && !seen; j++)
                seen = strcmp(keys[j], ev->extra_keys[i]) == 0;
            if (!seen)
                keys[nk++] = ev->extra_keys[i];
        }
        for (size_t i = 1; i < nk; i++)
            for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                const char *t = keys[j];
                keys[j] = keys[j - 1];
                keys[j - 1] = t;
            }
        kapi_buf_puts(&b, first ? "\"extra\":{" : ",\"extra\":{");
        for (size_t k = 0; k < nk; k++) {
            if (k)
                kapi_buf_putc(&b, ',');
            kapi_json_write_string(&b, keys[k], strlen(keys[k]));
            kapi_buf_puts(&b, ":[");
            bool firstv = true;
            for (size_t i = 0; i < ev->nextra; i++)
                if (strcmp(ev->extra_keys[i], keys[k]) == 0) {
                    if (!firstv)
                        kapi_buf_putc(&b, ',');
                    kapi_json_write_string(&b, ev->extra_values[i], strlen(ev->extra_values[i]));
                    firstv = false;
                }
            kapi_buf_putc(&b, ']');
        }
        kapi_buf_putc(&b, '}');
    }
    kapi_buf_putc(&b, '}');
    if (ev->impersonated_user) {
        kapi_buf_puts(&b, ",\"impersonatedUser\":{\"username\":");
        kapi_json_write_string(&b, ev->impersonated_user, strlen(ev->impersonated_user));
        if (ev->nimpersonated_groups) {
            kapi_buf_puts(&b, ",\"groups\":[");
            for (size_t i = 0; i < ev->nimpersonated_groups; i++) {
                if (i)
                    kapi_buf_putc(&b, ',');
                kapi_json_write_string(&b, ev->impersonated_groups[i], strlen(ev->impersonated_groups[i]));
            }
            kapi_buf_putc(&b, ']');
        }
        kapi_buf_putc(&b, '}');
    }
    if (ev->source_ip) {
        kapi_buf_puts(&b, ",\"sourceIPs\":[");
        kapi_json_write_string(&b, ev->source_ip, strlen(ev->source_ip));
        kapi_buf_putc(&b, ']');
    }
    if (ev->user_agent)
        STR("userAgent", ev->user_agent);
    if (ev->has_object_ref) {
        kapi_buf_puts(&b, ",\"objectRef\":{");
        bool f = true;
        const char *keys[] = {"resource", "namespace", "name", "apiGroup", "apiVersion", "subresource"};
        const char *vals[] = {ev->ref_resource, ev->ref_namespace, ev->ref_name, ev->ref_group, ev->ref_version,
                              ev->ref_subresource};
        for (size_t i = 0; i < 6; i++) {
            if (!vals[i] || !*vals[i])
                continue;
            kapi_buf_printf(&b, "%s\"%s\":", f ? "" : ",", keys[i]);
            kapi_json_write_string(&b, vals[i], strlen(vals[i]));
            f = false;
        }
        kapi_buf_putc(&b, '}');
    }
    if (ev->code) {
        kapi_buf_puts(&b, ",\"responseStatus\":{\"metadata\":{}");
        if (ev->code >= 300) {
            kapi_buf_puts(&b, ",\"status\":\"Failure\"");
            if (ev->status_message && *ev->status_message)
                STR("message", ev->status_message);
            if (ev->status_reason && *ev->status_reason)
                STR("reason", ev->status_reason);
        }
        kapi_buf_printf(&b, ",\"code\":%d}", ev->code);
    }
    if (ev->request_object && ev->request_object_len && ev->level >= KAPI_AUDIT_REQUEST) {
        kapi_buf_puts(&b, ",\"requestObject\":");
        kapi_buf_append(&b, ev->request_object, ev->request_object_len);
    }
    if (ev->response_object && ev->response_object_len && ev->level >= KAPI_AUDIT_REQUEST_RESPONSE) {
        kapi_buf_puts(&b, ",\"responseObject\":");
        kapi_buf_append(&b, ev->response_object, ev->response_object_len);
    }
    char t1[64], t2[64];
    audit_time(ev->received_us, t1, sizeof(t1));
    audit_time(ev->stage_us, t2, sizeof(t2));
    STR("requestReceivedTimestamp", t1);
    STR("stageTimestamp", t2);
    /* annotations: a Go map, so keys in byte order */
    const char *keys[2 + 16], *vals[2 + 16];
    size_t na = 0;
    if (ev->decision) {
        keys[na] = "authorization.k8s.io/decision", vals[na++] = ev->decision;
        keys[na] = "authorization.k8s.io/reason", vals[na++] = ev->reason ? ev->reason : "";
    }
    for (size_t i = 0; i < ev->nannotations && na < 18; i++)
        keys[na] = ev->annotations[i][0], vals[na++] = ev->annotations[i][1];
    for (size_t i = 1; i < na; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *tk = keys[j], *tv = vals[j];
            keys[j] = keys[j - 1], vals[j] = vals[j - 1];
            keys[j - 1] = tk, vals[j - 1] = tv;
        }
    if (na) {
        kapi_buf_puts(&b, ",\"annotations\":{");
        for (size_t i = 0; i < na; i++) {
            if (i)
                kapi_buf_putc(&b, ',');
            kapi_json_write_string(&b, keys[i], strlen(keys[i]));
            kapi_buf_putc(&b, ':');
            kapi_json_write_string(&b, vals[i], strlen(vals[i]));
        }
        kapi_buf_putc(&b, '}');
    }
    kapi_buf_puts(&b, "}\n");
#undef STR
    pthread_mutex_lock(&a->mu);
    if (a->f && a->max_bytes > 0 && a->f != stdout && a->size + (long)b.len > a->max_bytes && a->size > 0)
        rotate(a);
    if (a->f) {
        fwrite(b.data, 1, b.len, a->f);
        fflush(a->f);
        a->size += (long)b.len;
    }
    pthread_mutex_unlock(&a->mu);
    kapi_buf_dispose(&b);
}

struct kapi_audit *kapi_audit_new(const struct kapi_audit_opts *o, char *err, size_t errlen)
{
    struct kapi_audit *a = kapi_xcalloc(1, sizeof(*a));
    a->pool = kapi_pool_new();
    pthread_mutex_init(&a->mu, NULL);
    if (load_policy(a, o->policy_file, err, errlen) < 0) {
        kapi_audit_free(a);
        return NULL;
    }
    a->path = kapi_xstrdup(o->log_path && *o->log_path ? o->log_path : "-");
    a->max_bytes = (long)o->max_size_mb * 1024 * 1024;
    a->max_backups = o->max_backups;
    if (open_log(a, err, errlen) < 0) {
        kapi_audit_free(a);
        return NULL;
    }
    return a;
}

void kapi_audit_free(struct kapi_audit *a)
{
    if (!a)
        return;
    if (a->f && a->f != stdout)
        fclose(a->f);
    free(a->path);
    pthread_mutex_destroy(&a->mu);
    kapi_pool_free(a->pool);
    free(a);
}
