/* registry/defaults/apiextensions: apiextensions.k8s.io/v1
 * CustomResourceDefinition, as upstream's v1 SetDefaults_* give it, plus the
 * storedVersions bookkeeping of the CRD strategy. */
#include "defaults_int.h"

#include <ctype.h>
#include <string.h>

#define T_APIEXT(n) "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1." n

/* Name of the first version flagged storage, or NULL. */
static const char *storage_version(const struct kapi_value *spec)
{
    struct kapi_value *vers = kapi_dflt_arr(spec, "versions");
    for (size_t i = 0; vers && i < vers->u.arr.len; i++) {
        struct kapi_value *s = kapi_obj_get(vers->u.arr.items[i], "storage");
        if (s && s->type == KAPI_V_BOOL && s->u.b) {
            const char *name = kapi_obj_get_str(vers->u.arr.items[i], "name");
            return name ? name : "";
        }
    }
    return NULL;
}

static bool list_has(const struct kapi_value *arr, const char *s)
{
    for (size_t i = 0; arr && i < arr->u.arr.len; i++) {
        const char *x = kapi_value_cstr(arr->u.arr.items[i]);
        if (x && !strcmp(x, s))
            return true;
    }
    return false;
}

static void crd_spec(struct kapi_pool *pool, struct kapi_value *spec)
{
    struct kapi_value *names = kapi_dflt_obj(spec, "names");
    const char *kind = kapi_obj_get_str(names, "kind");
    if (names && kind && *kind) {
        char *low = kapi_pool_strdup(pool, kind);
        for (char *p = low; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        kapi_dflt_str(pool, names, T_APIEXT("CustomResourceDefinitionNames"), "singular", low);
        kapi_dflt_str(pool, names, T_APIEXT("CustomResourceDefinitionNames"), "listKind",
                      kapi_pool_printf(pool, "%sList", kind));
    }
    if (kapi_dflt_unset(spec, "conversion")) {
        struct kapi_value *conv = kapi_value_object(pool);
        kapi_obj_set(pool, conv, "strategy", kapi_value_str(pool, "None"));
        kapi_dflt_put(pool, spec, T_APIEXT("CustomResourceDefinitionSpec"), "conversion", conv);
    }
    struct kapi_value *svc =
        kapi_dflt_obj(kapi_dflt_obj(kapi_dflt_obj(kapi_dflt_obj(spec, "conversion"), "webhook"), "clientConfig"),
                      "service");
    kapi_dflt_int(pool, svc, T_APIEXT("ServiceReference"), "port", 443);
}

static void crd(struct kapi_pool *pool, struct kapi_value *obj)
{
    struct kapi_value *spec = kapi_dflt_obj(obj, "spec");
    if (!spec)
        return;
    crd_spec(pool, spec);
    /* status.storedVersions: the storage version when the list is empty
     * (SetDefaults_CustomResourceDefinition); an update that moves the
     * storage flag appends the new one (the strategy's PrepareForUpdate),
     * done here because defaulting is the hook every write goes through. */
    const char *sv = storage_version(spec);
    if (!sv)
        return;
    struct kapi_value *status = kapi_dflt_ensure(pool, obj, T_APIEXT("CustomResourceDefinition"), "status");
    if (!status)
        return;
    struct kapi_value *stored = kapi_dflt_arr(status, "storedVersions");
    if (!stored) {
        stored = kapi_value_array(pool);
        kapi_dflt_put(pool, status, T_APIEXT("CustomResourceDefinitionStatus"), "storedVersions", stored);
    }
    if (!list_has(stored, sv))
        kapi_arr_push(pool, stored, kapi_value_str(pool, sv));
}

/* Create-time strategy (PrepareForCreate): whatever status the client sent
 * is replaced by an empty one that records the storage version; the
 * accepted names start empty (plural and kind are always serialized). */
void kapi_dflt_crd_prepare_create(struct kapi_pool *pool, struct kapi_value *obj)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return;
    struct kapi_value *status = kapi_value_object(pool);
    struct kapi_value *accepted = kapi_value_object(pool);
    kapi_obj_set(pool, accepted, "plural", kapi_value_str(pool, ""));
    kapi_obj_set(pool, accepted, "kind", kapi_value_str(pool, ""));
    kapi_obj_set(pool, status, "acceptedNames", accepted);
    kapi_obj_set(pool, status, "storedVersions", kapi_value_array(pool));
    kapi_obj_del(obj, "status");
    kapi_dflt_put(pool, obj, T_APIEXT("CustomResourceDefinition"), "status", status);
    crd(pool, obj);
}

bool kapi_dflt_apiext(struct kapi_pool *pool, const char *version, const char *kind, struct kapi_value *obj)
{
    if (strcmp(version, "v1") || strcmp(kind, "CustomResourceDefinition"))
        return false;
    crd(pool, obj);
    return true;
}
