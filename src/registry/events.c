/* Implementation of src/registry/events.h. */
#include "events.h"

#include <string.h>

#include "defaults.h"

/* core name <-> events.k8s.io name; members not listed keep their name. */
static const char *const renames[][2] = {
    {"involvedObject", "regarding"},
    {"message", "note"},
    {"reportingComponent", "reportingController"},
    {"source", "deprecatedSource"},
    {"firstTimestamp", "deprecatedFirstTimestamp"},
    {"lastTimestamp", "deprecatedLastTimestamp"},
    {"count", "deprecatedCount"},
};

/* Members in the target type's order (upstream's field order). */
static const char *const v1_order[] = {"kind", "apiVersion", "metadata", "eventTime", "series",
                                       "reportingController", "reportingInstance", "action", "reason",
                                       "regarding", "related", "note", "type", "deprecatedSource",
                                       "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount"};
static const char *const core_order[] = {"kind", "apiVersion", "metadata", "involvedObject", "reason", "message",
                                         "source", "firstTimestamp", "lastTimestamp", "count", "type",
                                         "eventTime", "series", "action", "related", "reportingComponent",
                                         "reportingInstance"};

static struct kapi_value *convert(struct kapi_pool *pool, const struct kapi_value *in, int from, const char *api_version,
                                  const char *const *order, size_t norder)
{
    struct kapi_value *tmp = kapi_value_object(pool);
    for (size_t i = 0; in && in->type == KAPI_V_OBJECT && i < in->u.obj.len; i++) {
        const char *key = in->u.obj.members[i].key;
        for (size_t r = 0; r < KAPI_ARRAY_LEN(renames); r++)
            if (strcmp(renames[r][from], key) == 0)
                key = renames[r][!from];
        kapi_obj_set(pool, tmp, key, in->u.obj.members[i].val);
    }
    kapi_obj_set(pool, tmp, "kind", kapi_value_str(pool, "Event"));
    kapi_obj_set(pool, tmp, "apiVersion", kapi_value_str(pool, api_version));
    struct kapi_value *out = kapi_value_object(pool);
    for (size_t i = 0; i < norder; i++) {
        struct kapi_value *v = kapi_obj_get(tmp, order[i]);
        if (v)
            kapi_obj_set(pool, out, order[i], v);
    }
    return out;
}

struct kapi_value *kapi_event_core_to_v1(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *core)
{
    struct kapi_value *out = convert(pool, core, 0, "events.k8s.io/v1", v1_order, KAPI_ARRAY_LEN(v1_order));
    /* core/v1 always writes these two strings; events.k8s.io/v1 omits them when empty */
    static const char *const omitempty[] = {"reportingController", "reportingInstance"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(omitempty); i++) {
        const struct kapi_value *v = kapi_obj_get(out, omitempty[i]);
        if (v && v->type == KAPI_V_STRING && v->u.str.len == 0)
            kapi_obj_del(out, omitempty[i]);
    }
    /* and the events.k8s.io/v1 type's own zero members (eventTime: null, regarding: {}, ...) */
    kapi_dflt_go_zero_msg(pool, "k8s.io.api.events.v1.Event", out);
    return out;
}

struct kapi_value *kapi_event_v1_to_core(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *ev)
{
    return convert(pool, ev, 1, "v1", core_order, KAPI_ARRAY_LEN(core_order));
}

const char *kapi_event_v1_field_to_core(struct kapi_pool *pool, const char *field)
{
    for (size_t r = 0; r < KAPI_ARRAY_LEN(renames); r++) {
        size_t n = strlen(renames[r][1]);
        if (strncmp(field, renames[r][1], n) == 0 && (field[n] == 0 || field[n] == '.'))
            return kapi_pool_printf(pool, "%s%s", renames[r][0], field + n);
    }
    return field;
}
