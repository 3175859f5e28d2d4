/* schema/protobuf: Kubernetes' protobuf wire format ("k8s\0" + runtime.Unknown
 * wrapping the object's own encoding) to and from the value model, driven by
 * the generated type tables. Values come out shaped as upstream's JSON
 * (RFC 3339 times, base64 bytes, int-or-string, quantities as strings, raw
 * extensions as parsed JSON), so the rest of kapi never sees protobuf. */
#ifndef KAPI_PROTOBUF_H
#define KAPI_PROTOBUF_H

#include "../codec/value.h"
#include "schema.h"

#define KAPI_PB_MAGIC "k8s\0"
#define KAPI_PB_MAGIC_LEN 4
#define KAPI_PB_MAX_DEPTH 100   /* nested messages (and nested raw extensions) */

/* Decodes a "k8s\0"-prefixed runtime.Unknown envelope and the object inside.
 * The result is an object whose first members are "kind" and "apiVersion",
 * then the present fields in declaration order. An empty apiVersion in the
 * envelope falls back to expect_group/expect_version (either may be NULL);
 * the kind is always required. Allocates from pool (bounded by a constant
 * times len). Returns NULL with a message in err on malformed, unknown or
 * oversized input; never reads outside data[0..len). */
struct kapi_value *kapi_pb_decode_object(struct kapi_pool *pool, const void *data, size_t len,
                                         const char *expect_group, const char *expect_version,
                                         char *err, size_t errlen);

/* Decoding flags. */
#define KAPI_PB_OMIT_EMPTY 0x01  /* drop "" and zeros of omitempty fields (+optional or
                                  * the tag, KAPI_SCHEMA_F_OMITEMPTY), as Go's JSON
                                  * omitempty does (Go writes non-pointer strings
                                  * even when empty); loses "" vs unset for the few
                                  * pointer strings, and byte-exact re-encoding */

/* kapi_pb_decode_object with flags, and for envelopes whose typeMeta may be
 * empty (types without TypeMeta, such as WatchEvent): if kind is not NULL
 * and the envelope has none, the type comes from group/version/kind and the
 * result has no "kind"/"apiVersion" members. */
struct kapi_value *kapi_pb_decode_object_ex(struct kapi_pool *pool, const void *data, size_t len,
                                            const char *group, const char *version, const char *kind,
                                            unsigned flags, char *err, size_t errlen);

/* Decodes one message of type msg (no envelope) from data[0..len) into a
 * value shaped as upstream's JSON for that type. NULL + err on failure. */
struct kapi_value *kapi_pb_decode_message(struct kapi_pool *pool, const struct kapi_schema_msg *msg,
                                          const void *data, size_t len, char *err, size_t errlen);

/* Appends obj ("kind" and "apiVersion" required) as "k8s\0" + runtime.Unknown
 * to out, with fields in ascending field number and map entries sorted by
 * key, as Go's generated marshallers write them. Members that are not fields
 * of the type are ignored; nulls are treated as absent. Returns 0, or -1
 * with err set on a type mismatch, unknown kind or out's limit (out may then
 * hold a partial encoding). */
int kapi_pb_encode_object(struct kapi_buf *out, const struct kapi_value *obj, char *err, size_t errlen);

/* Appends v encoded as one message of type msg (no envelope). Same rules. */
int kapi_pb_encode_message(struct kapi_buf *out, const struct kapi_schema_msg *msg,
                           const struct kapi_value *v, char *err, size_t errlen);

/* Pieces for responses assembled from cached, already-encoded parts
 * (lists, watch events). Each appends to out; 0 or -1 at out's limit. */
/* A length-delimited field: tag(num, wire type 2) + len + data. */
int kapi_pb_put_field(struct kapi_buf *out, unsigned num, const void *data, size_t len);
/* A varint field. */
int kapi_pb_put_varint_field(struct kapi_buf *out, unsigned num, uint64_t v);
/* "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, "", ""} exactly
 * as kapi_pb_encode_object writes its envelope. */
int kapi_pb_envelope(struct kapi_buf *out, const char *api_version, const char *kind, const void *raw, size_t rawlen);

#endif
