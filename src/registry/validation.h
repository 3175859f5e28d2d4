/* registry/validation: per-kind validation of built-in objects as
 * kube-apiserver 1.33 does it (PodSpec, workloads, Service, ConfigMap,
 * Secret, RBAC, networking, ...). Runs on typed, defaulted objects and
 * appends field errors with upstream's paths and texts; ObjectMeta is
 * validated elsewhere (api/names.h). Design: docs/internals/validation.md. */
#ifndef KAPI_REGISTRY_VALIDATION_H
#define KAPI_REGISTRY_VALIDATION_H

#include "../base/base.h"
#include "../codec/value.h"
#include "../api/names.h"

/* Validates obj of group/version/kind (group "" = core); old is the stored
 * object on update, NULL on create. Unknown kinds append nothing. */
void kapi_validate_kind(struct kapi_pool *pool, const char *group, const char *version, const char *kind,
                        const struct kapi_value *obj, const struct kapi_value *old,
                        struct kapi_field_errors *errs);

/* A write to a subresource ("status", "ephemeralcontainers") of a built-in
 * kind: runs that subresource strategy's rules instead of the main ones and
 * returns true; false when the main rules apply (kapi_validate_kind). */
bool kapi_validate_subresource(struct kapi_pool *pool, const char *group, const char *version, const char *kind,
                               const char *subresource, const struct kapi_value *obj,
                               const struct kapi_value *old, struct kapi_field_errors *errs);

/* Upstream's certificates.ParseCSR: the first PEM block of pem[0..n) (Go's
 * pem.Decode rules) must be a "CERTIFICATE REQUEST" holding one PKCS#10
 * request. Returns it (free with X509_REQ_free) or NULL with *err set to the
 * error text (Go's where kapi reproduces it). The signature is not checked. */
struct X509_req_st;
struct X509_req_st *kapi_csr_parse(struct kapi_pool *pool, const unsigned char *pem, size_t n, const char **err);

#endif
