/* DefaultStorageClass (plugin/pkg/admission/storage/storageclass/setdefault):
 * a PersistentVolumeClaim created without a class gets the cluster's default
 * StorageClass. A class is a default when its annotation
 * storageclass.kubernetes.io/is-default-class (or the beta
 * storageclass.beta.kubernetes.io/is-default-class) is "true"; with several,
 * the most recently created wins, ties going to the smaller name (1.33's
 * rule; older releases refused the claim). Also PersistentVolumeClaimResize
 * (plugin/pkg/admission/storage/persistentvolume/resize): a claim may only
 * grow when it is bound and its class allows volume expansion. */
#include <string.h>

#include "admission.h"

#define PVCSPEC "k8s.io.api.core.v1.PersistentVolumeClaimSpec"
#define BETA_CLASS_ANN "volume.beta.kubernetes.io/storage-class"

static bool annotation_true(const struct kapi_value *obj, const char *key)
{
    const char *v = kapi_value_cstr(kapi_value_path(obj, "metadata", "annotations", key, NULL));
    return v && strcmp(v, "true") == 0;
}

static const char *meta_str(const struct kapi_value *obj, const char *key)
{
    const char *s = kapi_value_cstr(kapi_value_path(obj, "metadata", key, NULL));
    return s ? s : "";
}

/* Whether a is preferred over b as the default: newer creationTimestamp
 * first (RFC 3339 UTC strings of one format order as text; a missing one is
 * the zero time), then the smaller name. */
static bool newer_default(const struct kapi_value *a, const struct kapi_value *b)
{
    int c = strcmp(meta_str(a, "creationTimestamp"), meta_str(b, "creationTimestamp"));
    if (c != 0)
        return c > 0;
    return strcmp(meta_str(a, "name"), meta_str(b, "name")) < 0;
}

static const struct kapi_value *default_storage_class(const struct kapi_admission_attrs *at)
{
    size_t n;
    struct kapi_value **scs = kapi_adm_list(at, "storage.k8s.io", "v1", "storageclasses", "", &n);
    const struct kapi_value *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!annotation_true(scs[i], "storageclass.kubernetes.io/is-default-class") &&
            !annotation_true(scs[i], "storageclass.beta.kubernetes.io/is-default-class"))
            continue;
        if (!best || newer_default(scs[i], best))
            best = scs[i];
    }
    return best;
}

/* A claim names a class when the beta annotation is present (any value) or
 * spec.storageClassName is set, even to "" (upstream tests the pointer). */
static bool claim_has_class(const struct kapi_value *pvc)
{
    if (kapi_value_path(pvc, "metadata", "annotations", BETA_CLASS_ANN, NULL))
        return true;
    const struct kapi_value *c = kapi_value_path(pvc, "spec", "storageClassName", NULL);
    return c && c->type != KAPI_V_NULL;
}

int kapi_adm_storageclass_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    (void)status;
    if (!at->create || !kapi_adm_is(at, "", "persistentvolumeclaims") || claim_has_class(at->obj))
        return 0;
    const struct kapi_value *def = default_storage_class(at);
    if (!def)
        return 0;
    struct kapi_value *spec = kapi_obj_ensure_obj(at->pool, at->obj, "spec");
    kapi_adm_put(at->pool, spec, PVCSPEC, "storageClassName", kapi_value_str(at->pool, meta_str(def, "name")));
    return 0;
}

/* ---- PersistentVolumeClaimResize ---- */

/* The class a claim asks for: the beta annotation first, then the field. */
static const char *claim_class(const struct kapi_value *pvc)
{
    const char *a = kapi_value_cstr(kapi_value_path(pvc, "metadata", "annotations", BETA_CLASS_ANN, NULL));
    if (a)
        return a;
    const char *s = kapi_value_cstr(kapi_value_path(pvc, "spec", "storageClassName", NULL));
    return s ? s : "";
}

/* Amounts are compared in nano-units held in 128 bits (exact up to about
 * 8e28, saturating beyond). Unparseable text counts as 0, as a missing
 * amount does. */
typedef __int128 nano_t;

#define NANO_MAX ((nano_t)(((unsigned __int128)1 << 126) - 1))

/* a * b for non-negative a, b, saturating at NANO_MAX */
static nano_t sat_mul(nano_t a, nano_t b)
{
    if (a != 0 && b > NANO_MAX / a)
        return NANO_MAX;
    return a * b;
}

static nano_t pow10n(int e)
{
    nano_t v = 1;
    while (e-- > 0)
        v = sat_mul(v, 10);
    return v;
}

static nano_t quantity_nano(const char *s)
{
    if (!s || !*s)
        return 0;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    nano_t mant = 0;
    int frac = 0, digits = 0;
    bool dot = false;
    for (; (*s >= '0' && *s <= '9') || *s == '.'; s++) {
        if (*s == '.') {
            if (dot)
                return 0;
            dot = true;
            continue;
        }
        if (digits < 36) {
            mant = mant * 10 + (*s - '0');
            digits += mant != 0;
            if (dot)
                frac++;
        } else if (!dot) {
            return 0; /* beyond what the comparison handles */
        }
    }
    int exp10 = 0;
    nano_t mul = 1;
    static const struct {
        const char *suffix;
        int exp10;
        int pow1024;
    } sfx[] = {{"n", -9, 0}, {"u", -6, 0},  {"m", -3, 0},  {"", 0, 0},   {"k", 3, 0},   {"M", 6, 0},
               {"G", 9, 0},  {"T", 12, 0},  {"P", 15, 0},  {"E", 18, 0}, {"Ki", 0, 1},  {"Mi", 0, 2},
               {"Gi", 0, 3}, {"Ti", 0, 4},  {"Pi", 0, 5},  {"Ei", 0, 6}};
    bool known = false;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(sfx); i++)
        if (strcmp(s, sfx[i].suffix) == 0) {
            exp10 = sfx[i].exp10;
            for (int k = 0; k < sfx[i].pow1024; k++)
                mul *= 1024;
            known = true;
            break;
        }
    if (!known && (*s == 'e' || *s == 'E')) {
        const char *p = s + 1;
        bool eneg = false;
        if (*p == '+' || *p == '-')
            eneg = *p++ == '-';
        int e = 0;
        for (; *p >= '0' && *p <= '9' && e < 1000; p++)
            e = e * 10 + (*p - '0');
        if (*p)
            return 0;
        exp10 = eneg ? -e : e;
        known = true;
    }
    if (!known)
        return 0;
    /* value = mant * 10^(exp10 - frac) * mul, in units of 1e-9 */
    int shift = exp10 - frac + 9;
    nano_t v = sat_mul(mant, mul);
    if (shift >= 0) {
        v = sat_mul(v, pow10n(shift > 60 ? 60 : shift));
    } else {
        nano_t d = pow10n(-shift > 38 ? 38 : -shift);
        v = (v + d - 1) / d; /* rounded up, as upstream rounds to 1n */
    }
    return neg ? -v : v;
}

int kapi_adm_quantity_cmp(const char *a, const char *b)
{
    nano_t x = quantity_nano(a), y = quantity_nano(b);
    return x < y ? -1 : x > y;
}

static const char *requested_storage(const struct kapi_value *pvc)
{
    return kapi_value_cstr(kapi_value_path(pvc, "spec", "resources", "requests", "storage", NULL));
}

static bool resize_allowed(const struct kapi_admission_attrs *at)
{
    const char *cls = claim_class(at->obj), *ocls = claim_class(at->old);
    if (!*cls || !*ocls || strcmp(cls, ocls) != 0)
        return false;
    const struct kapi_value *sc = kapi_adm_get(at, "storage.k8s.io", "v1", "storageclasses", NULL, cls, false);
    const struct kapi_value *allow = sc ? kapi_obj_get(sc, "allowVolumeExpansion") : NULL;
    return allow && allow->type == KAPI_V_BOOL && allow->u.b;
}

int kapi_adm_pvcresize_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (at->create || !at->old || !kapi_adm_is(at, "", "persistentvolumeclaims"))
        return 0;
    if (kapi_adm_quantity_cmp(requested_storage(at->obj), requested_storage(at->old)) <= 0)
        return 0;
    const char *phase = kapi_value_cstr(kapi_value_path(at->old, "status", "phase", NULL));
    if (!phase || strcmp(phase, "Bound") != 0) {
        *status = kapi_adm_forbidden(at, "Only bound persistent volume claims can be expanded");
        return -1;
    }
    if (!resize_allowed(at)) {
        *status = kapi_adm_forbidden(at, "only dynamically provisioned pvc can be resized and the storageclass "
                                         "that provisions the pvc must support resize");
        return -1;
    }
    return 0;
}
