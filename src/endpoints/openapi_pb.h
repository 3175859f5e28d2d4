/* endpoints/openapi_pb: the Swagger 2.0 document of /openapi/v2 in the
 * protobuf form kubectl asks for (Accept:
 * application/com.github.proto-openapi.spec.v2@v1.0+protobuf), i.e. the
 * openapi.v2.Document message of gnostic's OpenAPIv2.proto. Built straight
 * from the JSON value with a small hand-written wire encoder. */
#ifndef KAPI_OPENAPI_PB_H
#define KAPI_OPENAPI_PB_H

#include "../codec/value.h"

/* kubectl asks with the "@" form; kube-apiserver answers with the "." form,
 * because Go's mime.ParseMediaType (run by client-go on the response) rejects
 * "@" in a subtype. Accept either in Accept; send the "." one back. */
#define KAPI_OPENAPI_PB_ACCEPT_AT "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
#define KAPI_OPENAPI_PB_ACCEPT_DOT "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
#define KAPI_OPENAPI_PB_CONTENT_TYPE KAPI_OPENAPI_PB_ACCEPT_DOT

/* Appends the gnostic openapi.v2.Document protobuf encoding of doc (the
 * Swagger 2.0 JSON as a value) to out. 0, or -1 when doc is not an object,
 * nesting passes a sane depth, or out's limit is hit (out is then restored
 * to its previous length). Unknown non "x-" keys are dropped, as gnostic's
 * message set has no place for them; "x-" keys become NamedAny whose
 * Any.yaml holds the value rendered as YAML. */
int kapi_openapi_v2_protobuf(struct kapi_buf *out, const struct kapi_value *doc);

#endif
