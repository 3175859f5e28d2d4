/* registry/validation/volumes: a PodSpec's volumes (upstream's
 * ValidateVolumes / validateVolumeSource and each source's own rules), the
 * PersistentVolumeClaimSpec shared by PVCs, ephemeral volumes and
 * StatefulSet volumeClaimTemplates, and a container's volumeMounts and
 * volumeDevices against the volumes that validated. */
#include "validation_int.h"

#include <math.h>
#include <regex.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char MORE_THAN_ONE[] = "may not specify more than 1 volume type";
static const char FILE_MODE[] = "must be a number between 0 and 0777 (octal), both inclusive";

/* ---- Paths. */

static bool has_backsteps(const char *p)
{
    for (const char *s = p;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return true;
        if (!e)
            return false;
        s = e + 1;
    }
}

/* validatePathNoBacksteps: no ".." element. */
static void no_backsteps(struct kv_ctx *c, const char *p, const char *fld)
{
    if (has_backsteps(p))
        kapi_ferr_invalid(c->pool, c->errs, fld, p, "must not contain '..'");
}

/* ValidateLocalNonReservedPath */
static void local_non_reserved_path(struct kv_ctx *c, const char *p, const char *fld)
{
    kv_local_descending_path(c, p, fld);
    if (!strncmp(p, "..", 2) && strncmp(p, "../", 3))
        kapi_ferr_invalid(c->pool, c->errs, fld, p, "must not start with '..'");
}

static void file_mode(struct kv_ctx *c, const struct kapi_value *o, const char *key, const char *fld)
{
    int64_t m;
    if (kv_int(o, key, &m) && (m > 0777 || m < 0))
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.%s", fld, key), m, FILE_MODE);
}

static void required_str(struct kv_ctx *c, const struct kapi_value *o, const char *key, const char *fld)
{
    if (!*kv_str0(o, key))
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.%s", fld, key), "");
}

/* validateKeyToPath */
static void key_to_path(struct kv_ctx *c, const struct kapi_value *kp, const char *fld)
{
    required_str(c, kp, "key", fld);
    required_str(c, kp, "path", fld);
    local_non_reserved_path(c, kv_str0(kp, "path"), kv_path(c, "%s.path", fld));
    file_mode(c, kp, "mode", fld);
}

static void items(struct kv_ctx *c, const struct kapi_value *src, const char *fld)
{
    const struct kapi_value *its = kv_get(src, "items");
    for (size_t i = 0; i < kv_len(its); i++)
        key_to_path(c, kv_item(its, i), kv_path(c, "%s.items[%zu]", fld, i));
}

/* ---- Downward API. */

static const char *const VOLUME_FIELD_PATHS[] = {"metadata.annotations", "metadata.labels", "metadata.name",
                                                 "metadata.namespace", "metadata.uid"};
static const char *const RESOURCE_FIELD_PATHS[] = {"limits.cpu", "limits.ephemeral-storage", "limits.memory",
                                                   "requests.cpu", "requests.ephemeral-storage",
                                                   "requests.memory"};
/* what podshelper.ConvertDownwardAPIFieldLabel accepts for v1 */
static const char *const POD_FIELD_LABELS[] = {
    "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
    "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName", "status.phase",
    "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"};

/* fieldpath.SplitMaybeSubscriptedPath: "a.b['key']" -> "a.b", "key". */
static bool split_subscript(struct kv_ctx *c, const char *fp, const char **path, const char **sub)
{
    size_t n = strlen(fp);
    if (n < 4 || strcmp(fp + n - 2, "']"))
        return false;
    const char *open = strstr(fp, "['");
    if (!open || open + 2 > fp + n - 2)
        return false;
    *path = kapi_pool_strndup(c->pool, fp, (size_t)(open - fp));
    *sub = kapi_pool_strndup(c->pool, open + 2, (size_t)(fp + n - 2 - (open + 2)));
    return true;
}

/* validateObjectFieldSelector */
void kv_object_field_selector(struct kv_ctx *c, const struct kapi_value *fs, const char *const *valid,
                                  size_t nvalid, const char *fld)
{
    const char *av = kv_str0(fs, "apiVersion"), *fp = kv_str0(fs, "fieldPath");
    if (!*av) {
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.apiVersion", fld), "");
        return;
    }
    if (!*fp) {
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.fieldPath", fld), "");
        return;
    }
    const char *path = fp, *sub = NULL;
    bool subscripted = split_subscript(c, fp, &path, &sub);
    const char *err = NULL;
    if (strcmp(av, "v1"))
        err = kapi_pool_printf(c->pool, "unsupported pod version: %s", av);
    else if (subscripted ? strcmp(path, "metadata.annotations") && strcmp(path, "metadata.labels")
                         : !kv_in(fp, POD_FIELD_LABELS, N(POD_FIELD_LABELS)))
        err = kapi_pool_printf(c->pool, "field label not supported: %s", fp);
    if (err) {
        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.fieldPath", fld), fp,
                          kapi_pool_printf(c->pool, "error converting fieldPath: %s", err));
        return;
    }
    if (subscripted) {
        if (!strcmp(path, "metadata.annotations")) {
            char *lower = kapi_pool_strdup(c->pool, sub);
            for (char *p = lower; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p - 'A' + 'a');
            kv_name_msgs(c, fld, lower, kapi_is_qualified_name);
        } else {
            kv_name_msgs(c, fld, sub, kapi_is_qualified_name);
        }
    } else if (!kv_in(fp, valid, nvalid)) {
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.fieldPath", fld), fp, valid, nvalid);
    }
}

static bool in_list(const char *s, const char *const *set, size_t n) { return kv_in(s, set, n); }

/* validateContainerResourceDivisor */
static void resource_divisor(struct kv_ctx *c, const char *res, const struct kapi_value *divisor, const char *fld)
{
    const char *d = kapi_value_cstr(divisor);
    long double q;
    if (!d || !kv_quantity(d, &q) || q == 0)
        return;
    const char *ds = kv_quantity_string(c, d);
    static const char *const cpu[] = {"1m", "1"};
    static const char *const mem[] = {"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"};
    static const char MEM_LIST[] = "1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei";
    const char *dp = kv_path(c, "%s.divisor", fld);
    if ((!strcmp(res, "limits.cpu") || !strcmp(res, "requests.cpu")) && !in_list(ds, cpu, N(cpu)))
        kapi_ferr_invalid(c->pool, c->errs, dp, res, "only divisor's values 1m and 1 are supported with the cpu resource");
    else if ((!strcmp(res, "limits.memory") || !strcmp(res, "requests.memory")) && !in_list(ds, mem, N(mem)))
        kapi_ferr_invalid(c->pool, c->errs, dp, res,
                          kapi_pool_printf(c->pool, "only divisor's values %s are supported with the memory resource",
                                           MEM_LIST));
    else if ((!strcmp(res, "limits.ephemeral-storage") || !strcmp(res, "requests.ephemeral-storage")) &&
             !in_list(ds, mem, N(mem)))
        kapi_ferr_invalid(c->pool, c->errs, dp, res,
                          kapi_pool_printf(c->pool,
                                           "only divisor's values %s are supported with the local ephemeral storage "
                                           "resource",
                                           MEM_LIST));
    if ((!strncmp(res, "requests.hugepages-", 19) || !strncmp(res, "limits.hugepages-", 17)) &&
        !in_list(ds, mem, N(mem)))
        kapi_ferr_invalid(c->pool, c->errs, dp, res,
                          kapi_pool_printf(c->pool, "only divisor's values %s are supported with the hugepages resource",
                                           MEM_LIST));
}

/* validateContainerResourceFieldSelector (volume = true: containerName required) */
void kv_resource_field_selector(struct kv_ctx *c, const struct kapi_value *fs, const char *fld, bool volume)
{
    const char *res = kv_str0(fs, "resource");
    if (volume && !*kv_str0(fs, "containerName"))
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.containerName", fld), "");
    else if (!*res)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.resource", fld), "");
    else if (!kv_in(res, RESOURCE_FIELD_PATHS, N(RESOURCE_FIELD_PATHS)) && strncmp(res, "limits.hugepages-", 17) &&
             strncmp(res, "requests.hugepages-", 19))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.resource", fld), res, RESOURCE_FIELD_PATHS,
                                N(RESOURCE_FIELD_PATHS));
    resource_divisor(c, res, kv_get(fs, "divisor"), fld);
}

/* validateDownwardAPIVolumeFile */
static void downward_file(struct kv_ctx *c, const struct kapi_value *f, const char *fld)
{
    required_str(c, f, "path", fld);
    local_non_reserved_path(c, kv_str0(f, "path"), kv_path(c, "%s.path", fld));
    const struct kapi_value *fr = kv_get(f, "fieldRef"), *rr = kv_get(f, "resourceFieldRef");
    if (fr) {
        kv_object_field_selector(c, fr, VOLUME_FIELD_PATHS, N(VOLUME_FIELD_PATHS), kv_path(c, "%s.fieldRef", fld));
        if (rr)
            kapi_ferr_invalid(c->pool, c->errs, fld, "resource",
                              "fieldRef and resourceFieldRef can not be specified simultaneously");
    } else if (rr) {
        kv_resource_field_selector(c, rr, kv_path(c, "%s.resourceFieldRef", fld), true);
    } else {
        kapi_ferr_required(c->pool, c->errs, fld, "one of fieldRef and resourceFieldRef is required");
    }
    file_mode(c, f, "mode", fld);
}

/* ---- Projected. */

struct path_set {
    const char **items;
    size_t n, cap;
};

static bool path_seen(struct kv_ctx *c, struct path_set *s, const char *p)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->items[i], p))
            return true;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **n = kapi_pool_alloc(c->pool, cap * sizeof(*n));
        if (s->n)
            memcpy(n, s->items, s->n * sizeof(*n));
        s->items = n;
        s->cap = cap;
    }
    s->items[s->n++] = p;
    return false;
}

static char *replace_chr(struct kv_ctx *c, const char *s, size_t n, char from, char to)
{
    char *out = kapi_pool_strndup(c->pool, s, n);
    for (char *p = out; *p; p++)
        if (*p == from)
            *p = to;
    return out;
}

/* ValidateClusterTrustBundleName with the signer name the projection's name
 * implies (the part before its last ':', with ':' read as '/'). */
static void cluster_trust_bundle_name(struct kv_ctx *c, const char *name, const char *fld)
{
    const char *colon = strrchr(name, ':');
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t n = 0;
    if (!colon) {
        n = kapi_name_dns_subdomain(name, false, msgs);
    } else if (colon == name) { /* an empty signer name */
        msgs[n++] = "ClusterTrustBundle without signer name must not have \":\" in its name";
    } else {
        const char *signer = replace_chr(c, name, (size_t)(colon - name), ':', '/');
        const char *prefix = kapi_pool_printf(c->pool, "%s:", replace_chr(c, signer, strlen(signer), '/', ':'));
        if (strncmp(name, prefix, strlen(prefix)))
            msgs[n++] = kapi_pool_printf(c->pool, "ClusterTrustBundle for signerName %s must be named with prefix %s",
                                         signer, prefix);
        else
            n = kapi_name_dns_subdomain(name + strlen(prefix), false, msgs);
    }
    for (size_t i = 0; i < n; i++)
        kapi_ferr_invalid(c->pool, c->errs, fld, name,
                          kapi_pool_printf(c->pool, "not a valid clustertrustbundlename: %s", msgs[i]));
}

/* A clusterTrustBundle projection at pp: either a name, or a signer name
 * with an optional label selector; then its path. */
static void cluster_trust_bundle(struct kv_ctx *c, const struct kapi_value *ctb, const char *pp)
{
    const char *name = kv_str(ctb, "name"), *signer = kv_str(ctb, "signerName");
    const struct kapi_value *sel = kv_get(ctb, "labelSelector");
    const char *path = kv_str0(ctb, "path");
    if (name && signer) {
        /* upstream's bad value is the (dereferenced) internal struct */
        const char *repr = kapi_pool_printf(
            c->pool,
            "core.ClusterTrustBundleProjection{Name:(*string)(0xc000000000), SignerName:(*string)(0xc000000000), "
            "LabelSelector:(*v1.LabelSelector)(%s), Optional:(*bool)(%s), Path:%s}",
            sel ? "0xc000000000" : "nil", kv_get(ctb, "optional") ? "0xc000000000" : "nil",
            kapi_go_quote(c->pool, path, strlen(path)));
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, pp, repr, "only one of name and signerName may be used");
    } else if (name) {
        const char *np = kv_path(c, "%s.name", pp);
        if (!*name)
            kapi_ferr_required(c->pool, c->errs, np, "must be a valid object name");
        cluster_trust_bundle_name(c, name, np);
        if (sel)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.labelSelector", pp),
                          kv_go_selector(c, sel), "labelSelector must be unset if name is specified");
    } else if (signer) {
        const char *sp = kv_path(c, "%s.signerName", pp);
        if (!*signer)
            kapi_ferr_required(c->pool, c->errs, sp, "must be a valid signer name");
        kv_signer_name(c, signer, sp);
        kv_label_selector(c, sel, kv_path(c, "%s.labelSelector", pp));
    } else {
        kapi_ferr_required(c->pool, c->errs, pp, "either name or signerName must be specified");
    }
    if (!*path)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.path", pp), "");
    local_non_reserved_path(c, path, kv_path(c, "%s.path", pp));
}

static void projected(struct kv_ctx *c, const struct kapi_value *pr, const char *fld)
{
    file_mode(c, pr, "defaultMode", fld);
    struct path_set seen = {0};
    const struct kapi_value *srcs = kv_get(pr, "sources");
    for (size_t i = 0; i < kv_len(srcs); i++) {
        const struct kapi_value *s = kv_item(srcs, i);
        const char *sp = kv_path(c, "%s.sources[%zu]", fld, i);
        int num = 0;
        static const char *const kinds[] = {"secret", "configMap"};
        for (size_t k = 0; k < N(kinds); k++) {
            const struct kapi_value *ref = kv_get(s, kinds[k]);
            if (!ref)
                continue;
            num++;
            const char *pp = kv_path(c, "%s.%s", sp, kinds[k]);
            required_str(c, ref, "name", pp);
            const struct kapi_value *its = kv_get(ref, "items");
            for (size_t j = 0; j < kv_len(its); j++) {
                const struct kapi_value *kp = kv_item(its, j);
                key_to_path(c, kp, kv_path(c, "%s.items[%zu]", pp, j));
                const char *path = kv_str0(kp, "path");
                if (*path && path_seen(c, &seen, path))
                    kapi_ferr_invalid(c->pool, c->errs, fld, kv_str0(ref, "name"), "conflicting duplicate paths");
            }
        }
        const struct kapi_value *da = kv_get(s, "downwardAPI");
        if (da) {
            num++;
            const char *pp = kv_path(c, "%s.downwardAPI", sp);
            const struct kapi_value *its = kv_get(da, "items");
            for (size_t j = 0; j < kv_len(its); j++) {
                const struct kapi_value *f = kv_item(its, j);
                downward_file(c, f, pp); /* upstream reports these under the source, not the item */
                const char *path = kv_str0(f, "path");
                if (*path && path_seen(c, &seen, path))
                    kapi_ferr_invalid(c->pool, c->errs, fld, path, "conflicting duplicate paths");
            }
        }
        const struct kapi_value *sat = kv_get(s, "serviceAccountToken");
        if (sat) {
            num++;
            const char *pp = kv_path(c, "%s.serviceAccountToken", sp);
            int64_t exp = 0;
            kv_int(sat, "expirationSeconds", &exp);
            if (exp < 600)
                kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.expirationSeconds", pp), exp,
                                      "may not specify a duration less than 10 minutes");
            if (exp > (int64_t)1 << 32)
                kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.expirationSeconds", pp), exp,
                                      "may not specify a duration larger than 2^32 seconds");
            const char *path = kv_str0(sat, "path");
            if (!*path) /* upstream's paths: under the projected volume, not the source */
                kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.path", fld), "");
            else
                local_non_reserved_path(c, path, kv_path(c, "%s.path", fld));
        }
        const struct kapi_value *ctb = kv_get(s, "clusterTrustBundle");
        if (ctb) {
            num++;
            cluster_trust_bundle(c, ctb, kv_path(c, "%s.clusterTrustBundle", sp));
            const char *path = kv_str0(ctb, "path");
            if (path_seen(c, &seen, path))
                kapi_ferr_invalid(c->pool, c->errs, fld, path, "conflicting duplicate paths");
        }
        if (num > 1)
            kapi_ferr_forbidden(c->pool, c->errs, sp, "may not specify more than 1 volume type per source");
    }
}

/* ---- The simpler sources. */

static const char *const HOST_PATH_TYPES[] = {"", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate",
                                              "File", "FileOrCreate", "Socket"};

static void host_path(struct kv_ctx *c, const struct kapi_value *hp, const char *fld)
{
    const char *p = kv_str0(hp, "path");
    if (!*p) {
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.path", fld), "");
        return;
    }
    no_backsteps(c, p, kv_path(c, "%s.path", fld));
    const char *t = kv_str(hp, "type");
    if (t && !kv_in(t, HOST_PATH_TYPES, N(HOST_PATH_TYPES)))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.type", fld), t, HOST_PATH_TYPES, N(HOST_PATH_TYPES));
}

static void partition(struct kv_ctx *c, const struct kapi_value *o, const char *fld)
{
    int64_t p = 0;
    kv_int(o, "partition", &p);
    if (p < 0 || p > 255)
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.partition", fld), p,
                              "must be between 1 and 255, inclusive");
}

static bool iscsi_name_ok(const char *s)
{
    static const char *const res[] = {"iqn\\.[0-9]{4}-[0-9]{2}\\.([[:alnum:].-]+)(:[^,;*&$|[:space:]]+)$",
                                      "^eui.[[:alnum:]]{16}$", "^naa.[[:alnum:]]{32}$"};
    int which = !strncmp(s, "iqn", 3) ? 0 : !strncmp(s, "eui", 3) ? 1 : 2;
    regex_t re;
    if (regcomp(&re, res[which], REG_EXTENDED | REG_NOSUB) != 0)
        return true;
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static bool iscsi_prefixed(const char *s)
{
    return !strncmp(s, "iqn", 3) || !strncmp(s, "eui", 3) || !strncmp(s, "naa", 3);
}

/* validateISCSIVolumeSource after targetPortal (shared with the PV form) */
static void iscsi_rest(struct kv_ctx *c, const struct kapi_value *is, const char *fld);

static void iscsi(struct kv_ctx *c, const struct kapi_value *is, const char *fld)
{
    required_str(c, is, "targetPortal", fld);
    iscsi_rest(c, is, fld);
}

static void iscsi_rest(struct kv_ctx *c, const struct kapi_value *is, const char *fld)
{
    const char *iqn = kv_str0(is, "iqn");
    const char *ip = kv_path(c, "%s.iqn", fld);
    if (!*iqn)
        kapi_ferr_required(c->pool, c->errs, ip, "");
    else if (!iscsi_prefixed(iqn))
        kapi_ferr_invalid(c->pool, c->errs, ip, iqn, "must be valid format starting with iqn, eui, or naa");
    else if (!iscsi_name_ok(iqn))
        kapi_ferr_invalid(c->pool, c->errs, ip, iqn, "must be valid format");
    int64_t lun = 0;
    kv_int(is, "lun", &lun);
    if (lun < 0 || lun > 255)
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.lun", fld), lun, "must be between 0 and 255, inclusive");
    if ((kv_bool(is, "chapAuthDiscovery") || kv_bool(is, "chapAuthSession")) && !kv_get(is, "secretRef"))
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.secretRef", fld), "");
    const char *init = kv_str(is, "initiatorName");
    if (init) {
        const char *np = kv_path(c, "%s.initiatorname", fld);
        if (!iscsi_prefixed(init))
            kapi_ferr_invalid(c->pool, c->errs, np, init, "must be valid format starting with iqn, eui, or naa");
        else if (!iscsi_name_ok(init))
            kapi_ferr_invalid(c->pool, c->errs, np, init, "must be valid format");
    }
}

/* Go's net.SplitHostPort succeeding, for quobyte registries. */
static bool host_port_ok(const char *s, size_t n)
{
    if (n && s[0] == '[') {
        const char *end = memchr(s, ']', n);
        return end && (size_t)(end - s) + 1 < n && end[1] == ':' && !memchr(end + 2, ':', n - (size_t)(end + 2 - s));
    }
    const char *colon = memchr(s, ':', n);
    return colon && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) && !memchr(s, '[', n) && !memchr(s, ']', n);
}

static void quobyte(struct kv_ctx *c, const struct kapi_value *q, const char *fld)
{
    static const char MSG[] = "must be a host:port pair or multiple pairs separated by commas";
    const char *reg = kv_str0(q, "registry");
    if (!*reg) {
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.registry", fld), MSG);
    } else if (strlen(kv_str0(q, "tenant")) >= 65) {
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.tenant", fld),
                           "must be a UUID and may not exceed a length of 64 characters");
    } else {
        for (const char *s = reg;;) {
            const char *comma = strchr(s, ',');
            size_t n = comma ? (size_t)(comma - s) : strlen(s);
            if (!host_port_ok(s, n))
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.registry", fld), reg, MSG);
            if (!comma)
                break;
            s = comma + 1;
        }
    }
    required_str(c, q, "volume", fld);
}

static void flocker(struct kv_ctx *c, const struct kapi_value *f, const char *fld)
{
    const char *name = kv_str0(f, "datasetName"), *uuid = kv_str0(f, "datasetUUID");
    if (!*name && !*uuid)
        kapi_ferr_required(c->pool, c->errs, fld, "one of datasetName and datasetUUID is required");
    if (*name && *uuid)
        kapi_ferr_invalid(c->pool, c->errs, fld, "resource", "datasetName and datasetUUID can not be specified simultaneously");
    if (strchr(name, '/'))
        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.datasetName", fld), name, "must not contain '/'");
}

static void fc(struct kv_ctx *c, const struct kapi_value *f, const char *fld)
{
    const struct kapi_value *wwns = kv_get(f, "targetWWNs"), *wwids = kv_get(f, "wwids");
    const char *tp = kv_path(c, "%s.targetWWNs", fld);
    if (kv_len(wwns) < 1 && kv_len(wwids) < 1)
        kapi_ferr_required(c->pool, c->errs, tp, "must specify either targetWWNs or wwids, but not both");
    if (kv_len(wwns) && kv_len(wwids)) {
        const char **v = kapi_pool_alloc(c->pool, kv_len(wwns) * sizeof(*v));
        for (size_t i = 0; i < kv_len(wwns); i++) {
            const char *s = kapi_value_cstr(kv_item(wwns, i));
            v[i] = s ? s : "";
        }
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, tp, kapi_go_string_slice(c->pool, v, kv_len(wwns)),
                      "targetWWNs and wwids can not be specified simultaneously");
    }
    if (kv_len(wwns)) {
        int64_t lun;
        if (!kv_int(f, "lun", &lun))
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.lun", fld), "lun is required if targetWWNs is specified");
        else if (lun < 0 || lun > 255)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.lun", fld), lun,
                                  "must be between 0 and 255, inclusive");
    }
}

static void flex(struct kv_ctx *c, const struct kapi_value *f, const char *fld)
{
    required_str(c, f, "driver", fld);
    const struct kapi_value *opts = kv_get(f, "options");
    for (size_t i = 0; i < kv_len(opts); i++) {
        const char *k = opts->u.obj.members[i].key;
        const char *slash = strchr(k, '/');
        size_t n = slash ? (size_t)(slash - k) : strlen(k);
        char *norm = kapi_pool_printf(c->pool, ".%.*s", (int)n, k);
        for (char *p = norm; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        size_t nl = strlen(norm);
        if ((nl >= 14 && !strcmp(norm + nl - 14, ".kubernetes.io")) || (nl >= 7 && !strcmp(norm + nl - 7, ".k8s.io")))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.options[%s]", fld, k), k,
                              "kubernetes.io and k8s.io namespaces are reserved");
    }
}

static void azure_disk(struct kv_ctx *c, const struct kapi_value *a, const char *fld)
{
    static const char *const modes[] = {"None", "ReadOnly", "ReadWrite"};
    static const char *const kinds[] = {"Dedicated", "Managed", "Shared"};
    static const char *const managed[] = {
        "/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"};
    static const char *const blob[] = {"https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"};
    required_str(c, a, "diskName", fld);
    const char *uri = kv_str0(a, "diskURI");
    if (!*uri)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.diskURI", fld), "");
    const char *mode = kv_str(a, "cachingMode"), *kind = kv_str(a, "kind");
    if (mode && !kv_in(mode, modes, N(modes)))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.cachingMode", fld), mode, modes, N(modes));
    if (kind && !kv_in(kind, kinds, N(kinds)))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.kind", fld), kind, kinds, N(kinds));
    if (kind && !strcmp(kind, "Managed") && strncmp(uri, "/subscriptions/", 15))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.diskURI", fld), uri, managed, 1);
    if (kind && strcmp(kind, "Managed") && strncmp(uri, "https://", 8))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.diskURI", fld), uri, blob, 1);
}

static void storageos(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    const char *vn = kv_str0(s, "volumeName"), *ns = kv_str0(s, "volumeNamespace");
    if (!*vn)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.volumeName", fld), "");
    else
        kv_name_msgs(c, kv_path(c, "%s.volumeName", fld), vn, kapi_is_dns1123_label);
    if (*ns)
        kv_name_msgs(c, kv_path(c, "%s.volumeNamespace", fld), ns, kapi_is_dns1123_label);
    const struct kapi_value *sr = kv_get(s, "secretRef");
    if (sr && !*kv_str0(sr, "name"))
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.secretRef.name", fld), "");
}

/* ValidateCSIDriverName */
void kv_csi_driver_name(struct kv_ctx *c, const char *d, const char *fld)
{
    if (!*d)
        kapi_ferr_required(c->pool, c->errs, fld, "");
    if (strlen(d) > 63)
        kapi_ferr_too_long(c->pool, c->errs, fld, 63);
    char *lower = kapi_pool_strdup(c->pool, d);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t n = kapi_is_dns1123_subdomain(lower, msgs);
    for (size_t i = 0; i < n; i++)
        kapi_ferr_invalid(c->pool, c->errs, fld, d, msgs[i]);
}

static void csi(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    kv_csi_driver_name(c, kv_str0(s, "driver"), kv_path(c, "%s.driver", fld));
    const struct kapi_value *ref = kv_get(s, "nodePublishSecretRef");
    if (ref) {
        const char *name = kv_str0(ref, "name");
        if (!*name)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.nodePublishSecretRef.name", fld), "");
        else /* upstream reports a bad secret name under csi.name */
            kv_name_msgs(c, kv_path(c, "%s.name", fld), name, kapi_is_dns1123_subdomain);
    }
}

static void template_meta(struct kv_ctx *c, const struct kapi_value *meta, const char *fld)
{
    kapi_validate_annotations(c->pool, kv_get(meta, "annotations"), kv_path(c, "%s.annotations", fld), c->errs);
    kapi_validate_labels(c->pool, kv_get(meta, "labels"), kv_path(c, "%s.labels", fld), c->errs);
    /* only labels and annotations may be set (validateFieldAllowList, in ObjectMeta's field order) */
    static const char *const keys[] = {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
                                       "generation", "creationTimestamp", "deletionTimestamp",
                                       "deletionGracePeriodSeconds", "ownerReferences", "finalizers",
                                       "managedFields"};
    for (size_t i = 0; i < N(keys); i++) {
        const struct kapi_value *v = kv_get(meta, keys[i]);
        bool set = v && !(v->type == KAPI_V_STRING && v->u.str.len == 0) && !(v->type == KAPI_V_INT && v->u.i == 0) &&
                   !((v->type == KAPI_V_ARRAY || v->type == KAPI_V_OBJECT) && kv_len(v) == 0);
        if (set)
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.%s", fld, keys[i]), "cannot be set");
    }
}

/* ---- PersistentVolumeClaimSpec. */

static const char *const ACCESS_MODES[] = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"};

static void data_source(struct kv_ctx *c, const struct kapi_value *ds, const char *fld, bool ref)
{
    required_str(c, ds, "name", fld);
    required_str(c, ds, "kind", fld);
    const char *g = kv_str0(ds, "apiGroup"), *kind = kv_str0(ds, "kind");
    if (!*g && strcmp(kind, "PersistentVolumeClaim"))
        kapi_ferr_invalid(c->pool, c->errs, fld, kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup");
    if (*g)
        kv_name_msgs(c, kv_path(c, "%s.apiGroup", fld), g, kapi_is_dns1123_subdomain);
    const char *ns = kv_str0(ds, "namespace");
    if (ref && *ns)
        kv_name_msgs(c, kv_path(c, "%s.namespace", fld), ns, kapi_is_dns1123_label);
}

void kv_pvc_spec(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    const struct kapi_value *am = kv_get(spec, "accessModes");
    const char *amp = kv_path(c, "%s.accessModes", fld);
    if (kv_len(am) == 0)
        kapi_ferr_required(c->pool, c->errs, amp, "at least 1 access mode is required");
    if (kv_get(spec, "selector"))
        kv_label_selector(c, kv_get(spec, "selector"), kv_path(c, "%s.selector", fld));
    bool rwop = false, other = false;
    for (size_t i = 0; i < kv_len(am); i++) {
        const char *m = kapi_value_cstr(kv_item(am, i));
        if (!kv_in(m, ACCESS_MODES, N(ACCESS_MODES)))
            kapi_ferr_not_supported(c->pool, c->errs, amp, m ? m : "", ACCESS_MODES, N(ACCESS_MODES));
        else if (!strcmp(m, "ReadWriteOncePod"))
            rwop = true;
        else
            other = true;
    }
    if (rwop && other)
        kapi_ferr_forbidden(c->pool, c->errs, amp, "may not use ReadWriteOncePod with other access modes");
    const char *st = kv_str(kv_get(kv_get(spec, "resources"), "requests"), "storage");
    const char *stp = kv_path(c, "%s.resources[storage]", fld);
    long double q;
    if (!st)
        kapi_ferr_required(c->pool, c->errs, stp, "");
    else if (kv_quantity(st, &q) && q <= 0)
        kapi_ferr_invalid(c->pool, c->errs, stp, kv_quantity_string(c, st), "must be greater than zero");
    const char *sc = kv_str0(spec, "storageClassName");
    if (*sc)
        kv_name_msgs(c, kv_path(c, "%s.storageClassName", fld), sc, kapi_is_dns1123_subdomain);
    static const char *const modes[] = {"Block", "Filesystem"};
    const char *vm = kv_str(spec, "volumeMode");
    if (vm && !kv_in(vm, modes, N(modes)))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.volumeMode", fld), vm, modes, N(modes));
    if (kv_get(spec, "dataSource"))
        data_source(c, kv_get(spec, "dataSource"), kv_path(c, "%s.dataSource", fld), false);
    if (kv_get(spec, "dataSourceRef"))
        data_source(c, kv_get(spec, "dataSourceRef"), kv_path(c, "%s.dataSourceRef", fld), true);
    const char *vac = kv_str0(spec, "volumeAttributesClassName");
    if (*vac)
        kv_name_msgs(c, kv_path(c, "%s.volumeAttributesClassName", fld), vac, kapi_is_dns1123_subdomain);
}

void kv_pvc_template(struct kv_ctx *c, const struct kapi_value *t, const char *fld)
{
    template_meta(c, kv_get(t, "metadata"), kv_path(c, "%s.metadata", fld));
    kv_pvc_spec(c, kv_get(t, "spec"), kv_path(c, "%s.spec", fld));
}

/* ---- validateVolumeSource. */

typedef void (*source_fn)(struct kv_ctx *c, const struct kapi_value *src, const char *fld);

static void empty_dir(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    const char *sl = kv_str(s, "sizeLimit");
    long double q;
    if (sl && kv_quantity(sl, &q) && q < 0)
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.sizeLimit", fld), "SizeLimit field must be a valid resource quantity");
}

static void git_repo(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "repository", fld);
    kv_local_descending_path(c, kv_str0(s, "directory"), kv_path(c, "%s.directory", fld));
}

static void pd(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "pdName", fld);
    partition(c, s, fld);
}

static void ebs(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "volumeID", fld);
    partition(c, s, fld);
}

static void secret(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "secretName", fld);
    file_mode(c, s, "defaultMode", fld);
    items(c, s, fld);
}

static void config_map(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "name", fld);
    file_mode(c, s, "defaultMode", fld);
    items(c, s, fld);
}

static void nfs(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "server", fld);
    required_str(c, s, "path", fld);
    const char *p = kv_str0(s, "path");
    if (p[0] != '/')
        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.path", fld), p, "must be an absolute path");
}

static void glusterfs(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "endpoints", fld);
    required_str(c, s, "path", fld);
}

static void pvc_source(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "claimName", fld);
}

static void rbd(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    if (kv_len(kv_get(s, "monitors")) == 0)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.monitors", fld), "");
    required_str(c, s, "image", fld);
}

static void cinder(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "volumeID", fld);
    const struct kapi_value *sr = kv_get(s, "secretRef");
    if (sr && !*kv_str0(sr, "name"))
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.secretRef.name", fld), "");
}

static void cephfs(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    if (kv_len(kv_get(s, "monitors")) == 0)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.monitors", fld), "");
}

static void downward_api(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    file_mode(c, s, "defaultMode", fld);
    const struct kapi_value *its = kv_get(s, "items");
    for (size_t i = 0; i < kv_len(its); i++)
        downward_file(c, kv_item(its, i), fld); /* upstream's path: the source, not the item */
}

static void azure_file(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "secretName", fld);
    required_str(c, s, "shareName", fld);
}

static void vsphere(struct kv_ctx *c, const struct kapi_value *s, const char *fld) { required_str(c, s, "volumePath", fld); }
static void photon(struct kv_ctx *c, const struct kapi_value *s, const char *fld) { required_str(c, s, "pdID", fld); }
static void portworx(struct kv_ctx *c, const struct kapi_value *s, const char *fld) { required_str(c, s, "volumeID", fld); }

static void scale_io(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    required_str(c, s, "gateway", fld);
    required_str(c, s, "system", fld);
    required_str(c, s, "volumeName", fld);
}

static void ephemeral(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    const struct kapi_value *t = kv_get(s, "volumeClaimTemplate");
    if (!t)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.volumeClaimTemplate", fld), "");
    else
        kv_pvc_template(c, t, kv_path(c, "%s.volumeClaimTemplate", fld));
}

static const char *const PULL_POLICIES[] = {"Always", "IfNotPresent", "Never"};

static void image(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    if (c->is_pod && !*kv_str0(s, "reference"))
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.reference", fld), "");
    kv_enum(c, kv_path(c, "%s.pullPolicy", fld), kv_str(s, "pullPolicy"), PULL_POLICIES, N(PULL_POLICIES));
}

/* ---- PersistentVolume (ValidatePersistentVolumeSpec, not inline). */

/* validatePVSecretReference */
static void pv_secret_ref(struct kv_ctx *c, const struct kapi_value *ref, const char *fld)
{
    const char *name = kv_str0(ref, "name"), *ns = kv_str0(ref, "namespace");
    if (!*name)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.name", fld), "");
    else
        kv_name_msgs(c, kv_path(c, "%s.name", fld), name, kapi_is_dns1123_subdomain);
    if (!*ns)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.namespace", fld), "");
    else
        kv_name_msgs(c, kv_path(c, "%s.namespace", fld), ns, kapi_is_dns1123_label);
}

static void pv_csi(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    static const char *const REFS[] = {"controllerPublishSecretRef", "controllerExpandSecretRef",
                                       "nodePublishSecretRef", "nodeExpandSecretRef"};
    kv_csi_driver_name(c, kv_str0(s, "driver"), kv_path(c, "%s.driver", fld));
    required_str(c, s, "volumeHandle", fld);
    for (size_t i = 0; i < N(REFS); i++) {
        const struct kapi_value *ref = kv_get(s, REFS[i]);
        if (ref)
            pv_secret_ref(c, ref, kv_path(c, "%s.%s", fld, REFS[i]));
    }
}

static void pv_glusterfs(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    glusterfs(c, s, fld);
    const char *ns = kv_str(s, "endpointsNamespace");
    const char *p = kv_path(c, "%s.endpointsNamespace", fld);
    if (ns && !*ns)
        kapi_ferr_invalid(c->pool, c->errs, p, ns, "if the endpointnamespace is set, it must be a valid namespace name");
    else if (ns)
        kv_name_msgs(c, p, ns, kapi_is_dns1123_label);
}

/* secretRef (a SecretReference) needs both name and namespace */
static void secret_ref_both(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    const struct kapi_value *sr = kv_get(s, "secretRef");
    if (sr && !*kv_str0(sr, "namespace"))
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.secretRef.namespace", fld), "");
}

static void pv_cinder(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    cinder(c, s, fld);
    secret_ref_both(c, s, fld);
}

static void pv_storageos(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    storageos(c, s, fld);
    secret_ref_both(c, s, fld);
}

static void pv_azure_file(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    azure_file(c, s, fld);
    const char *ns = kv_str(s, "secretNamespace");
    if (ns && !*ns)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.secretNamespace", fld), "");
}

static void pv_local(struct kv_ctx *c, const struct kapi_value *s, const char *fld)
{
    const char *p = kv_str0(s, "path");
    if (!*p)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.path", fld), "");
    else
        no_backsteps(c, p, kv_path(c, "%s.path", fld));
}

/* In upstream's order: key, the path of the source's own checks, the path of
 * the "more than 1" error (NULL: flexVolume, which has no such check). */
static const struct {
    const char *key, *child, *dup_child;
    source_fn fn;
} PV_SOURCES[] = {
    {"hostPath", "hostPath", "hostPath", host_path},
    {"gcePersistentDisk", "persistentDisk", "gcePersistentDisk", pd},
    {"awsElasticBlockStore", "awsElasticBlockStore", "awsElasticBlockStore", ebs},
    {"glusterfs", "glusterfs", "glusterfs", pv_glusterfs},
    {"flocker", "flocker", "flocker", flocker},
    {"nfs", "nfs", "nfs", nfs},
    {"rbd", "rbd", "rbd", rbd},
    {"quobyte", "quobyte", "quobyte", quobyte},
    {"cephfs", "cephfs", "cephFS", cephfs},
    {"iscsi", "iscsi", "iscsi", NULL},
    {"cinder", "cinder", "cinder", pv_cinder},
    {"fc", "fc", "fc", fc},
    {"flexVolume", "flexVolume", NULL, flex},
    {"azureFile", "azureFile", "azureFile", pv_azure_file},
    {"vsphereVolume", "vsphereVolume", "vsphereVolume", vsphere},
    {"photonPersistentDisk", "photonPersistentDisk", "photonPersistentDisk", photon},
    {"portworxVolume", "portworxVolume", "portworxVolume", portworx},
    {"azureDisk", "azureDisk", "azureDisk", azure_disk},
    {"scaleIO", "scaleIO", "scaleIO", scale_io},
    {"local", "local", "local", pv_local},
    {"storageos", "storageos", "storageos", pv_storageos},
    {"csi", "csi", "csi", pv_csi},
};

/* path.Clean(p) == "/" */
static bool cleans_to_root(const char *p)
{
    if (*p != '/')
        return false;
    long depth = 0;
    for (const char *s = p;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && !strncmp(s, "..", 2))
            depth = depth ? depth - 1 : 0;
        else if (n && !(n == 1 && *s == '.'))
            depth++;
        if (!e)
            break;
        s = e + 1;
    }
    return depth == 0;
}

/* %#v of the capacity map as NotSupported prints it (see validation.md) */
static const char *go_resource_list(struct kv_ctx *c, const struct kapi_value *cap)
{
    if (!cap || cap->type != KAPI_V_OBJECT)
        return "core.ResourceList(nil)";
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "core.ResourceList{");
    for (size_t i = 0; i < kv_len(cap); i++) {
        const struct kapi_member *m = &cap->u.obj.members[i];
        const char *q = kapi_value_cstr(m->val);
        if (i)
            kapi_buf_puts(&b, ", ");
        kapi_go_quote_buf(&b, m->key, strlen(m->key));
        kapi_buf_puts(&b, ":");
        q = q ? kv_quantity_string(c, q) : "";
        kapi_go_quote_buf(&b, q, strlen(q));
    }
    kapi_buf_putc(&b, '}');
    const char *s = kapi_pool_strndup(c->pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

static bool present(const struct kapi_value *v)
{
    return v && v->type != KAPI_V_NULL;
}

void kv_pv_spec(struct kv_ctx *c, const struct kapi_value *spec, const char *pv_name, const char *fld,
                bool inline_spec)
{
    static const char *const STORAGE[] = {"storage"};
    static const char *const RECLAIM[] = {"Delete", "Recycle", "Retain"};
    static const char *const MODES[] = {"Block", "Filesystem"};
    static const char INLINE[] = "may not be specified in the context of inline volumes";
    const struct kapi_value *cap = kv_get(spec, "capacity");
    if (inline_spec) {
        if (present(kv_get(spec, "claimRef")))
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.claimRef", fld), INLINE);
        if (kv_len(cap) != 0)
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.capacity", fld), INLINE);
        if (!present(kv_get(spec, "csi")))
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.csi", fld),
                               "has to be specified in the context of inline volumes");
    }
    const char *am_path = kv_path(c, "%s.accessModes", fld);
    const struct kapi_value *am = kv_get(spec, "accessModes");
    if (kv_len(am) == 0)
        kapi_ferr_required(c->pool, c->errs, am_path, "");
    bool rwop = false, other = false;
    for (size_t i = 0; i < kv_len(am); i++) {
        const char *m = kapi_value_cstr(kv_item(am, i));
        m = m ? m : "";
        if (!kv_in(m, ACCESS_MODES, N(ACCESS_MODES)))
            kapi_ferr_not_supported(c->pool, c->errs, am_path, m, ACCESS_MODES, N(ACCESS_MODES));
        else if (!strcmp(m, "ReadWriteOncePod"))
            rwop = true;
        else
            other = true;
    }
    if (rwop && other)
        kapi_ferr_forbidden(c->pool, c->errs, am_path, "may not use ReadWriteOncePod with other access modes");
    if (!inline_spec) {
        const char *cap_path = kv_path(c, "%s.capacity", fld);
        if (kv_len(cap) == 0)
            kapi_ferr_required(c->pool, c->errs, cap_path, "");
        if (!kv_get(cap, "storage") || kv_len(cap) > 1)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_NOT_SUPPORTED, cap_path, go_resource_list(c, cap),
                          kapi_pool_printf(c->pool, "supported values: \"%s\"", STORAGE[0]));
        for (size_t i = 0; cap && cap->type == KAPI_V_OBJECT && i < kv_len(cap); i++) {
            const struct kapi_member *m = &cap->u.obj.members[i];
            const char *q = kapi_value_cstr(m->val);
            const char *p = kv_path(c, "%s[%s]", cap_path, m->key);
            long double v;
            if (!q || !kv_quantity(q, &v))
                continue;
            /* validateBasicResource: Value() rounds up */
            int64_t iv = (int64_t)ceill(v);
            if (iv < 0)
                kapi_ferr_invalid_int(c->pool, c->errs, p, iv, "must be a valid resource quantity");
            if (v <= 0)
                kapi_ferr_invalid(c->pool, c->errs, p, kv_quantity_string(c, q), "must be greater than zero");
        }
    }
    const char *reclaim = kv_str0(spec, "persistentVolumeReclaimPolicy");
    const char *reclaim_path = kv_path(c, "%s.persistentVolumeReclaimPolicy", fld);
    if (*reclaim && inline_spec) {
        if (strcmp(reclaim, "Retain"))
            kapi_ferr_forbidden(c->pool, c->errs, reclaim_path, "may only be Retain in the context of inline volumes");
    } else if (*reclaim && !kv_in(reclaim, RECLAIM, N(RECLAIM))) {
        kapi_ferr_not_supported(c->pool, c->errs, reclaim_path, reclaim, RECLAIM, N(RECLAIM));
    }
    const struct kapi_value *na = kv_get(spec, "nodeAffinity");
    bool na_set = false; /* upstream's nodeAffinitySpecified */
    if (na && inline_spec) {
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.nodeAffinity", fld), INLINE);
    } else if (na) {
        /* validateVolumeNodeAffinity */
        na_set = true;
        const struct kapi_value *req = kv_get(na, "required");
        if (req)
            kv_node_selector(c, req, kv_path(c, "%s.nodeAffinity.required", fld));
        else
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.nodeAffinity.required", fld),
                               "must specify required node constraints");
    }
    int num = 0;
    for (size_t i = 0; i < N(PV_SOURCES); i++) {
        const struct kapi_value *src = kv_get(spec, PV_SOURCES[i].key);
        if (!src)
            continue;
        if (num > 0 && PV_SOURCES[i].dup_child) {
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.%s", fld, PV_SOURCES[i].dup_child), MORE_THAN_ONE);
            continue;
        }
        num++;
        const char *sfld = kv_path(c, "%s.%s", fld, PV_SOURCES[i].child);
        if (PV_SOURCES[i].fn) {
            PV_SOURCES[i].fn(c, src, sfld);
        } else { /* validateISCSIPersistentVolumeSource */
            const char *tp = kv_str0(src, "targetPortal");
            required_str(c, src, "targetPortal", sfld);
            if (kv_get(src, "initiatorName") && strlen(pv_name) + 1 + strlen(tp) > 64)
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.targetportal", sfld), tp,
                                  "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if "
                                  "iscsi.initiatorName is specified.");
            iscsi_rest(c, src, sfld);
        }
        if (!strcmp(PV_SOURCES[i].key, "local") && !na_set)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.nodeAffinity", fld), "Local volume requires node affinity");
    }
    if (num == 0)
        kapi_ferr_required(c->pool, c->errs, fld, "must specify a volume type");
    const struct kapi_value *hp = kv_get(spec, "hostPath");
    if (hp && cleans_to_root(kv_str0(hp, "path")) && !strcmp(reclaim, "Recycle"))
        kapi_ferr_forbidden(c->pool, c->errs, reclaim_path, "may not be 'recycle' for a hostPath mount of '/'");
    const char *sc = kv_str0(spec, "storageClassName");
    if (*sc && inline_spec)
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.storageClassName", fld), INLINE);
    else if (*sc)
        kv_name_msgs(c, kv_path(c, "%s.storageClassName", fld), sc, kapi_is_dns1123_subdomain);
    const char *vm = kv_str(spec, "volumeMode");
    if (vm && inline_spec) {
        if (strcmp(vm, "Filesystem"))
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.volumeMode", fld),
                                "may not specify volumeMode other than Filesystem in the context of inline volumes");
    } else if (vm && !kv_in(vm, MODES, N(MODES))) {
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.volumeMode", fld), vm, MODES, N(MODES));
    }
}

/* In upstream's order; child = the path the source's own checks use (two
 * differ from the key: gcePersistentDisk -> persistentDisk, and the
 * "more than 1" errors of cephfs and downwardAPI use upstream's spellings). */
static const struct {
    const char *key, *child, *dup_child;
    source_fn fn;
} SOURCES[] = {
    {"emptyDir", "emptyDir", NULL, empty_dir},
    {"hostPath", "hostPath", "hostPath", host_path},
    {"gitRepo", "gitRepo", "gitRepo", git_repo},
    {"gcePersistentDisk", "persistentDisk", "gcePersistentDisk", pd},
    {"awsElasticBlockStore", "awsElasticBlockStore", "awsElasticBlockStore", ebs},
    {"secret", "secret", "secret", secret},
    {"nfs", "nfs", "nfs", nfs},
    {"iscsi", "iscsi", "iscsi", iscsi},
    {"glusterfs", "glusterfs", "glusterfs", glusterfs},
    {"flocker", "flocker", "flocker", flocker},
    {"persistentVolumeClaim", "persistentVolumeClaim", "persistentVolumeClaim", pvc_source},
    {"rbd", "rbd", "rbd", rbd},
    {"cinder", "cinder", "cinder", cinder},
    {"cephfs", "cephfs", "cephFS", cephfs},
    {"quobyte", "quobyte", "quobyte", quobyte},
    {"downwardAPI", "downwardAPI", "downwarAPI", downward_api},
    {"fc", "fc", "fc", fc},
    {"flexVolume", "flexVolume", "flexVolume", flex},
    {"configMap", "configMap", "configMap", config_map},
    {"azureFile", "azureFile", "azureFile", azure_file},
    {"vsphereVolume", "vsphereVolume", "vsphereVolume", vsphere},
    {"photonPersistentDisk", "photonPersistentDisk", "photonPersistentDisk", photon},
    {"portworxVolume", "portworxVolume", "portworxVolume", portworx},
    {"azureDisk", "azureDisk", "azureDisk", azure_disk},
    {"storageos", "storageos", "storageos", storageos},
    {"projected", "projected", "projected", projected},
    {"scaleIO", "scaleIO", "scaleIO", scale_io},
    {"csi", "csi", "csi", csi},
    {"ephemeral", "ephemeral", "ephemeral", ephemeral},
    {"image", "image", "image", image},
};

static void volume_source(struct kv_ctx *c, const struct kapi_value *v, const char *fld, const char *vol_name)
{
    int num = 0;
    for (size_t i = 0; i < N(SOURCES); i++) {
        const struct kapi_value *src = kv_get(v, SOURCES[i].key);
        if (!src)
            continue;
        if (num > 0) {
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.%s", fld, SOURCES[i].dup_child), MORE_THAN_ONE);
            continue;
        }
        num++;
        SOURCES[i].fn(c, src, kv_path(c, "%s.%s", fld, SOURCES[i].child));
        if (!strcmp(SOURCES[i].key, "iscsi") && kv_get(src, "initiatorName") &&
            strlen(vol_name) + 1 + strlen(kv_str0(src, "targetPortal")) > 64)
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.name", fld), vol_name,
                              "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if "
                              "iscsi.initiatorName is specified.");
        if (!strcmp(SOURCES[i].key, "ephemeral") && c->pod_name && *c->pod_name && *vol_name) {
            const char *pvc = kv_path(c, "%s-%s", c->pod_name, vol_name);
            const char *msgs[KAPI_NAME_MSGS_MAX];
            size_t n = kapi_is_dns1123_subdomain(pvc, msgs);
            for (size_t k = 0; k < n; k++)
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.name", fld), vol_name,
                                  kapi_pool_printf(c->pool, "PVC name %s: %s",
                                                   kapi_go_quote(c->pool, pvc, strlen(pvc)), msgs[k]));
        }
    }
    if (num == 0)
        kapi_ferr_required(c->pool, c->errs, fld, "must specify a volume type");
}

struct kv_volumes *kv_volumes(struct kv_ctx *c, const struct kapi_value *vols, const char *fld)
{
    struct kv_volumes *out = kapi_pool_alloc(c->pool, sizeof(*out));
    memset(out, 0, sizeof(*out));
    size_t n = kv_len(vols);
    out->names = kapi_pool_alloc(c->pool, (n ? n : 1) * sizeof(*out->names));
    out->src = kapi_pool_alloc(c->pool, (n ? n : 1) * sizeof(*out->src));
    for (size_t i = 0; i < n; i++) {
        const struct kapi_value *v = kv_item(vols, i);
        const char *name = kv_str0(v, "name");
        const char *p = kv_path(c, "%s[%zu]", fld, i);
        const char *np = kv_path(c, "%s.name", p);
        size_t before = c->errs->len;
        volume_source(c, v, p, name);
        if (!*name)
            kapi_ferr_required(c->pool, c->errs, np, "");
        else
            kv_name_msgs(c, np, name, kapi_is_dns1123_label);
        for (size_t j = 0; j < out->n; j++)
            if (!strcmp(out->names[j], name)) {
                kapi_ferr_duplicate(c->pool, c->errs, np, name);
                break;
            }
        if (c->errs->len == before) {
            out->names[out->n] = name;
            out->src[out->n++] = v;
        }
        /* a PVC source may not name the claim an ephemeral volume of this pod creates */
        const char *claim = kv_str(kv_get(v, "persistentVolumeClaim"), "claimName");
        if (claim && c->pod_name && *c->pod_name)
            for (size_t j = 0; j < n; j++) {
                const struct kapi_value *e = kv_item(vols, j);
                if (kv_get(e, "ephemeral") && !strcmp(claim, kv_path(c, "%s-%s", c->pod_name, kv_str0(e, "name")))) {
                    kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.persistentVolumeClaim.claimName", p), claim,
                                      "must not reference a PVC that gets created for an ephemeral volume");
                    break;
                }
            }
    }
    return out;
}

static const struct kapi_value *find_volume(const struct kv_volumes *vs, const char *name)
{
    for (size_t i = 0; vs && i < vs->n; i++)
        if (!strcmp(vs->names[i], name))
            return vs->src[i];
    return NULL;
}

/* ---- ValidateVolumeMounts / ValidateVolumeDevices. */

static bool has_key_str(const struct kapi_value *list, const char *key, const char *want, size_t upto)
{
    for (size_t i = 0; i < kv_len(list) && i < upto; i++)
        if (!strcmp(kv_str0(kv_item(list, i), key), want))
            return true;
    return false;
}

/* Upstream passes a container's mounts and devices to each other's checks as
 * maps from name to path, so for the path overlap checks only the last entry
 * of each name counts. */
static bool map_has_path(const struct kapi_value *list, const char *key, const char *want)
{
    size_t n = kv_len(list);
    for (size_t i = 0; i < n; i++) {
        const struct kapi_value *it = kv_item(list, i);
        if (strcmp(kv_str0(it, key), want))
            continue;
        const char *name = kv_str0(it, "name");
        bool last = true;
        for (size_t j = i + 1; j < n && last; j++)
            last = strcmp(kv_str0(kv_item(list, j), "name"), name) != 0;
        if (last)
            return true;
    }
    return false;
}

void kv_volume_mounts(struct kv_ctx *c, const struct kapi_value *ct, const struct kv_volumes *vs, const char *ctr)
{
    const char *fld = kv_path(c, "%s.volumeMounts", ctr);
    const struct kapi_value *mounts = kv_get(ct, "volumeMounts"), *devs = kv_get(ct, "volumeDevices");
    static const char *const propagations[] = {"Bidirectional", "HostToContainer", "None"};
    static const char *const rros[] = {"Disabled", "Enabled", "IfPossible"};
    for (size_t i = 0; i < kv_len(mounts); i++) {
        const struct kapi_value *m = kv_item(mounts, i);
        const char *name = kv_str0(m, "name"), *mp = kv_str0(m, "mountPath");
        const char *ip = kv_path(c, "%s[%zu]", fld, i);
        if (!*name)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.name", ip), "");
        const struct kapi_value *vol = find_volume(vs, name);
        if (!vol)
            kapi_ferr_not_found(c->pool, c->errs, kv_path(c, "%s.name", ip), name);
        if (!*mp)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.mountPath", ip), "");
        if (has_key_str(mounts, "mountPath", mp, i))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.mountPath", ip), mp, "must be unique");
        if (has_key_str(devs, "name", name, (size_t)-1))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.name", ip), name, "must not already exist in volumeDevices");
        if (map_has_path(devs, "devicePath", mp))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.mountPath", ip), mp,
                              "must not already exist as a path in volumeDevices");
        const char *sub = kv_str0(m, "subPath"), *expr = kv_str0(m, "subPathExpr");
        if (vol && kv_get(vol, "image")) {
            if (*sub)
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.subPath", ip), sub, "not allowed in image volume sources");
            if (*expr)
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.subPathExpr", ip), expr,
                                  "not allowed in image volume sources");
        }
        /* upstream reports these under the list, without the index */
        if (*sub)
            kv_local_descending_path(c, sub, kv_path(c, "%s.subPath", fld));
        if (*expr) {
            if (*sub)
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.subPathExpr", ip), expr,
                                  "subPathExpr and subPath are mutually exclusive");
            kv_local_descending_path(c, expr, kv_path(c, "%s.subPathExpr", fld));
        }
        const char *prop = kv_str(m, "mountPropagation");
        const char *pp = kv_path(c, "%s.mountPropagation", fld);
        if (prop) {
            if (!kv_in(prop, propagations, N(propagations)))
                kapi_ferr_not_supported(c->pool, c->errs, pp, prop, propagations, N(propagations));
            if (!strcmp(prop, "Bidirectional") && !kv_bool(kv_get(ct, "securityContext"), "privileged"))
                kapi_ferr_forbidden(c->pool, c->errs, pp, "Bidirectional mount propagation is available only to privileged containers");
        }
        const char *rro = kv_str(m, "recursiveReadOnly");
        const char *rp = kv_path(c, "%s.recursiveReadOnly", fld);
        if (rro && strcmp(rro, "Disabled")) {
            if (!strcmp(rro, "Enabled") || !strcmp(rro, "IfPossible")) {
                if (!kv_bool(m, "readOnly"))
                    kapi_ferr_forbidden(c->pool, c->errs, rp, "may only be specified when readOnly is true");
                if (prop && strcmp(prop, "None"))
                    kapi_ferr_forbidden(c->pool, c->errs, rp,
                                        "may only be specified when mountPropagation is None or not specified");
            } else {
                kapi_ferr_not_supported(c->pool, c->errs, rp, rro, rros, N(rros));
            }
        }
    }
    for (size_t i = 0; i < kv_len(devs); i++) {
        const struct kapi_value *d = kv_item(devs, i);
        const char *name = kv_str0(d, "name"), *dp = kv_str0(d, "devicePath");
        const char *ip = kv_path(c, "%s.volumeDevices[%zu]", ctr, i);
        const struct kapi_value *vol = find_volume(vs, name);
        bool is_pvc = vol && (kv_get(vol, "persistentVolumeClaim") || kv_get(vol, "ephemeral"));
        if (!*name)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.name", ip), "");
        if (*name && has_key_str(devs, "name", name, i))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.name", ip), name, "must be unique");
        if (vol && !is_pvc)
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.name", ip), name,
                              "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode");
        if (!vol)
            kapi_ferr_not_found(c->pool, c->errs, kv_path(c, "%s.name", ip), name);
        if (!*dp)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.devicePath", ip), "");
        bool dup_path = false; /* only paths without backsteps were recorded */
        for (size_t j = 0; j < i && !dup_path; j++) {
            const char *o = kv_str0(kv_item(devs, j), "devicePath");
            dup_path = !has_backsteps(o) && !strcmp(o, dp);
        }
        if (dup_path)
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.devicePath", ip), dp, "must be unique");
        if (*dp && has_backsteps(dp))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.devicePath", ip), dp, "can not contain backsteps ('..')");
        if (has_key_str(mounts, "name", name, (size_t)-1))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.name", ip), name, "must not already exist in volumeMounts");
        if (map_has_path(mounts, "mountPath", dp))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.devicePath", ip), dp,
                              "must not already exist as a path in volumeMounts");
    }
}
