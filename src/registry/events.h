/* registry/events: core/v1 Event and events.k8s.io/v1 Event are two views
 * of the same stored objects (kept in the core/v1 shape under
 * /registry/events/). These convert between them field by field, as
 * upstream's conversion functions do. */
#ifndef KAPI_EVENTS_H
#define KAPI_EVENTS_H

#include "../codec/value.h"

struct kapi_kind;

/* core/v1 Event -> events.k8s.io/v1 Event (new value from pool). */
struct kapi_value *kapi_event_core_to_v1(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *core);
/* events.k8s.io/v1 Event -> core/v1 Event (new value from pool). */
struct kapi_value *kapi_event_v1_to_core(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *ev);
/* The core/v1 field a field selector on events.k8s.io/v1 means
 * ("regarding.name" -> "involvedObject.name"); the input when unchanged. */
const char *kapi_event_v1_field_to_core(struct kapi_pool *pool, const char *field);

#endif
