/* ServiceAccount: a new pod runs as a ServiceAccount that must exist
 * ("default" unless named), gets its imagePullSecrets when it has none, and
 * unless automounting is turned off gets the projected kube-api-access-*
 * volume (bound token, cluster CA, namespace) mounted in every container.
 * Mirror pods (static pods seen through the kubelet) may not refer to
 * accounts, secrets or tokens at all. */
#include <string.h>
#include <time.h>

#include "../api/names.h"
#include "admission.h"

#define PODSPEC "k8s.io.api.core.v1.PodSpec"
#define CONTAINER "k8s.io.api.core.v1.Container"
#define TOKEN_PATH "/var/run/secrets/kubernetes.io/serviceaccount"
#define VOLUME_PREFIX "kube-api-access-"
#define MIRROR_ANNOTATION "kubernetes.io/config.mirror"

static bool is_pod_request(const struct kapi_admission_attrs *at)
{
    return strcmp(at->group, "") == 0 && strcmp(at->resource, "pods") == 0 &&
           (at->subresource[0] == 0 || strcmp(at->subresource, "ephemeralcontainers") == 0);
}

static bool is_mirror(const struct kapi_value *pod)
{
    return kapi_value_path(pod, "metadata", "annotations", MIRROR_ANNOTATION, NULL) != NULL;
}

/* The account the pod names: serviceAccountName, else the deprecated
 * serviceAccount (as upstream's v1 conversion reads it), else "". */
static const char *account_of(const struct kapi_value *spec)
{
    const char *n = kapi_obj_get_str(spec, "serviceAccountName");
    if (!n || !*n)
        n = kapi_obj_get_str(spec, "serviceAccount");
    return n ? n : "";
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The ServiceAccount or NULL. "default" is looked for a while longer: its
 * controller creates it right after the namespace, so a pod sent at once
 * may arrive first (upstream retries the same way). */
static struct kapi_value *lookup_sa(const struct kapi_admission_attrs *at, const char *name)
{
    struct kapi_value *sa = kapi_adm_get(at, "", "v1", "serviceaccounts", at->ns, name, true);
    int attempts = strcmp(name, "default") == 0 ? 10 : 1;
    for (int i = 1; !sa && i < attempts; i++) {
        sleep_ms(100);
        sa = kapi_adm_get(at, "", "v1", "serviceaccounts", at->ns, name, true);
    }
    return sa;
}

static struct kapi_status *sa_not_found(const struct kapi_admission_attrs *at, const char *name)
{
    return kapi_adm_forbidden(at, kapi_pool_printf(at->pool,
                                                   "error looking up service account %s/%s: serviceaccount %s not found",
                                                   at->ns, name, kapi_go_quote(at->pool, name, strlen(name))));
}

static bool has_key(const struct kapi_value *o, const char *k)
{
    struct kapi_value *v = kapi_obj_get(o, k);
    return v && v->type != KAPI_V_NULL;
}

static bool ref_named(const struct kapi_value *o, const char *k)
{
    struct kapi_value *r = kapi_obj_get(o, k);
    return r && r->type == KAPI_V_OBJECT;
}

/* Whether the pod refers to any Secret, as upstream's VisitPodSecretNames
 * walks it (pull secrets, env, envFrom, and the volume types that carry one). */
static bool pod_uses_secrets(const struct kapi_value *spec)
{
    struct kapi_value *ips = kapi_obj_get(spec, "imagePullSecrets");
    if (ips && ips->type == KAPI_V_ARRAY && ips->u.arr.len)
        return true;
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    for (size_t l = 0; l < KAPI_ARRAY_LEN(lists); l++) {
        struct kapi_value *cs = kapi_obj_get(spec, lists[l]);
        for (size_t i = 0; cs && cs->type == KAPI_V_ARRAY && i < cs->u.arr.len; i++) {
            struct kapi_value *c = cs->u.arr.items[i];
            struct kapi_value *env = kapi_obj_get(c, "env");
            for (size_t j = 0; env && env->type == KAPI_V_ARRAY && j < env->u.arr.len; j++)
                if (kapi_value_path(env->u.arr.items[j], "valueFrom", "secretKeyRef", NULL))
                    return true;
            struct kapi_value *ef = kapi_obj_get(c, "envFrom");
            for (size_t j = 0; ef && ef->type == KAPI_V_ARRAY && j < ef->u.arr.len; j++)
                if (has_key(ef->u.arr.items[j], "secretRef"))
                    return true;
        }
    }
    struct kapi_value *vols = kapi_obj_get(spec, "volumes");
    static const char *const with_ref[] = {"cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos"};
    for (size_t i = 0; vols && vols->type == KAPI_V_ARRAY && i < vols->u.arr.len; i++) {
        struct kapi_value *v = vols->u.arr.items[i];
        if (has_key(v, "secret") || kapi_value_path(v, "azureFile", "secretName", NULL) ||
            ref_named(kapi_obj_get(v, "csi"), "nodePublishSecretRef"))
            return true;
        for (size_t k = 0; k < KAPI_ARRAY_LEN(with_ref); k++)
            if (ref_named(kapi_obj_get(v, with_ref[k]), "secretRef"))
                return true;
        struct kapi_value *srcs = kapi_value_path(v, "projected", "sources", NULL);
        for (size_t j = 0; srcs && srcs->type == KAPI_V_ARRAY && j < srcs->u.arr.len; j++)
            if (has_key(srcs->u.arr.items[j], "secret"))
                return true;
    }
    return false;
}

static bool pod_uses_token_projection(const struct kapi_value *spec)
{
    struct kapi_value *vols = kapi_obj_get(spec, "volumes");
    for (size_t i = 0; vols && vols->type == KAPI_V_ARRAY && i < vols->u.arr.len; i++) {
        struct kapi_value *srcs = kapi_value_path(vols->u.arr.items[i], "projected", "sources", NULL);
        for (size_t j = 0; srcs && srcs->type == KAPI_V_ARRAY && j < srcs->u.arr.len; j++)
            if (has_key(srcs->u.arr.items[j], "serviceAccountToken"))
                return true;
    }
    return false;
}

static int validate_mirror(const struct kapi_admission_attrs *at, const struct kapi_value *spec,
                           struct kapi_status **status)
{
    const char *err = NULL;
    if (*account_of(spec))
        err = "a mirror pod may not reference service accounts";
    else if (pod_uses_secrets(spec))
        err = "a mirror pod may not reference secrets";
    else if (pod_uses_token_projection(spec))
        err = "a mirror pod may not use ServiceAccountToken volume projections";
    if (!err)
        return 0;
    *status = kapi_adm_forbidden(at, err);
    return -1;
}

/* The projected volume source of upstream's TokenVolumeSource, members in
 * the Go types' field order. */
static struct kapi_value *token_volume(struct kapi_pool *p, const char *name)
{
    struct kapi_value *sat = kapi_value_object(p);
    kapi_obj_set(p, sat, "expirationSeconds", kapi_value_int(p, 3607));
    kapi_obj_set(p, sat, "path", kapi_value_str(p, "token"));

    struct kapi_value *item = kapi_value_object(p);
    kapi_obj_set(p, item, "key", kapi_value_str(p, "ca.crt"));
    kapi_obj_set(p, item, "path", kapi_value_str(p, "ca.crt"));
    struct kapi_value *items = kapi_value_array(p);
    kapi_arr_push(p, items, item);
    struct kapi_value *cm = kapi_value_object(p);
    kapi_obj_set(p, cm, "name", kapi_value_str(p, "kube-root-ca.crt"));
    kapi_obj_set(p, cm, "items", items);

    struct kapi_value *fref = kapi_value_object(p);
    kapi_obj_set(p, fref, "apiVersion", kapi_value_str(p, "v1"));
    kapi_obj_set(p, fref, "fieldPath", kapi_value_str(p, "metadata.namespace"));
    struct kapi_value *file = kapi_value_object(p);
    kapi_obj_set(p, file, "path", kapi_value_str(p, "namespace"));
    kapi_obj_set(p, file, "fieldRef", fref);
    struct kapi_value *files = kapi_value_array(p);
    kapi_arr_push(p, files, file);
    struct kapi_value *dapi = kapi_value_object(p);
    kapi_obj_set(p, dapi, "items", files);

    struct kapi_value *sources = kapi_value_array(p);
    struct kapi_value *s1 = kapi_value_object(p), *s2 = kapi_value_object(p), *s3 = kapi_value_object(p);
    kapi_obj_set(p, s1, "serviceAccountToken", sat);
    kapi_obj_set(p, s2, "configMap", cm);
    kapi_obj_set(p, s3, "downwardAPI", dapi);
    kapi_arr_push(p, sources, s1);
    kapi_arr_push(p, sources, s2);
    kapi_arr_push(p, sources, s3);

    struct kapi_value *proj = kapi_value_object(p);
    kapi_obj_set(p, proj, "sources", sources);
    kapi_obj_set(p, proj, "defaultMode", kapi_value_int(p, 420));
    struct kapi_value *vol = kapi_value_object(p);
    kapi_obj_set(p, vol, "name", kapi_value_str(p, name));
    kapi_obj_set(p, vol, "projected", proj);
    return vol;
}

/* Adds the token mount to each container of list lacking a mount at the
 * token path; true when any was added. */
static bool mount_in(struct kapi_pool *p, struct kapi_value *spec, const char *list, const char *vol)
{
    bool added = false;
    struct kapi_value *cs = kapi_obj_get(spec, list);
    for (size_t i = 0; cs && cs->type == KAPI_V_ARRAY && i < cs->u.arr.len; i++) {
        struct kapi_value *c = cs->u.arr.items[i];
        if (c->type != KAPI_V_OBJECT)
            continue;
        struct kapi_value *mounts = kapi_obj_get(c, "volumeMounts");
        bool present = false;
        for (size_t j = 0; mounts && mounts->type == KAPI_V_ARRAY && j < mounts->u.arr.len && !present; j++) {
            const char *mp = kapi_obj_get_str(mounts->u.arr.items[j], "mountPath");
            present = mp && strcmp(mp, TOKEN_PATH) == 0;
        }
        if (present)
            continue;
        if (!mounts || mounts->type != KAPI_V_ARRAY) {
            mounts = kapi_value_array(p);
            kapi_adm_put(p, c, CONTAINER, "volumeMounts", mounts);
        }
        struct kapi_value *m = kapi_value_object(p);
        kapi_obj_set(p, m, "name", kapi_value_str(p, vol));
        kapi_obj_set(p, m, "readOnly", kapi_value_bool(p, true));
        kapi_obj_set(p, m, "mountPath", kapi_value_str(p, TOKEN_PATH));
        kapi_arr_push(p, mounts, m);
        added = true;
    }
    return added;
}

static void mount_token(const struct kapi_admission_attrs *at, struct kapi_value *spec)
{
    struct kapi_pool *p = at->pool;
    struct kapi_value *vols = kapi_obj_get(spec, "volumes");
    const char *vol = NULL;
    /* A volume already named kube-api-access-* is taken to be the token volume. */
    for (size_t i = 0; vols && vols->type == KAPI_V_ARRAY && i < vols->u.arr.len && !vol; i++) {
        const char *n = kapi_obj_get_str(vols->u.arr.items[i], "name");
        if (n && strncmp(n, VOLUME_PREFIX, strlen(VOLUME_PREFIX)) == 0)
            vol = n;
    }
    bool have_volume = vol != NULL;
    if (!vol)
        vol = kapi_generate_name(p, VOLUME_PREFIX);
    bool init = mount_in(p, spec, "initContainers", vol);
    bool main = mount_in(p, spec, "containers", vol);
    if (have_volume || !(init || main))
        return;
    if (!vols || vols->type != KAPI_V_ARRAY) {
        vols = kapi_value_array(p);
        kapi_adm_put(p, spec, PODSPEC, "volumes", vols);
    }
    kapi_arr_push(p, vols, token_volume(p, vol));
}

static bool automount(const struct kapi_value *spec, const struct kapi_value *sa)
{
    struct kapi_value *v = kapi_obj_get(spec, "automountServiceAccountToken");
    if (v && v->type == KAPI_V_BOOL)
        return v->u.b;
    v = kapi_obj_get(sa, "automountServiceAccountToken");
    if (v && v->type == KAPI_V_BOOL)
        return v->u.b;
    return true;
}

static void copy_pull_secrets(struct kapi_pool *p, struct kapi_value *spec, const struct kapi_value *sa)
{
    struct kapi_value *have = kapi_obj_get(spec, "imagePullSecrets");
    if (have && have->type == KAPI_V_ARRAY && have->u.arr.len)
        return;
    struct kapi_value *from = kapi_obj_get(sa, "imagePullSecrets");
    if (!from || from->type != KAPI_V_ARRAY || !from->u.arr.len)
        return;
    struct kapi_value *out = kapi_value_array(p);
    for (size_t i = 0; i < from->u.arr.len; i++) {
        struct kapi_value *ref = kapi_value_object(p);
        const char *n = kapi_obj_get_str(from->u.arr.items[i], "name");
        if (n && *n)
            kapi_obj_set(p, ref, "name", kapi_value_str(p, n));
        kapi_arr_push(p, out, ref);
    }
    kapi_adm_put(p, spec, PODSPEC, "imagePullSecrets", out);
}

int kapi_adm_serviceaccount_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (!is_pod_request(at) || !at->create || at->subresource[0])
        return 0;
    struct kapi_pool *p = at->pool;
    struct kapi_value *spec = kapi_obj_ensure_obj(p, at->obj, "spec");
    if (is_mirror(at->obj))
        return validate_mirror(at, spec, status);
    const char *name = account_of(spec);
    if (!*name)
        name = "default";
    /* Upstream keeps one field internally and writes the deprecated one
     * back as its copy. */
    kapi_adm_put(p, spec, PODSPEC, "serviceAccountName", kapi_value_str(p, name));
    kapi_adm_put(p, spec, PODSPEC, "serviceAccount", kapi_value_str(p, name));
    struct kapi_value *sa = lookup_sa(at, name);
    if (!sa) {
        *status = sa_not_found(at, name);
        return -1;
    }
    if (automount(spec, sa))
        mount_token(at, spec);
    copy_pull_secrets(p, spec, sa);
    return 0;
}

int kapi_adm_serviceaccount_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (!is_pod_request(at))
        return 0;
    bool ephemeral = !at->create && strcmp(at->subresource, "ephemeralcontainers") == 0;
    if (!ephemeral && (!at->create || at->subresource[0]))
        return 0;
    const struct kapi_value *spec = kapi_obj_get(at->obj, "spec");
    if (!ephemeral && is_mirror(at->obj))
        return validate_mirror(at, spec, status);
    const char *name = account_of(spec);
    if (!*name) {
        *status = kapi_adm_forbidden(
            at, kapi_pool_printf(at->pool, "no service account specified for pod %s/%s", at->ns, at->name));
        return -1;
    }
    if (!lookup_sa(at, name)) {
        *status = sa_not_found(at, name);
        return -1;
    }
    return 0;
}
