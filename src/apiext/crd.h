/* apiext/crd: CustomResourceDefinitions turned into served APIs. The CRD
 * controller follows CRDs through the watch cache, keeps their status as
 * upstream's naming and establishing controllers do (acceptedNames,
 * NamesAccepted, Established, storedVersions), registers one dynamic kind
 * per served version (registry), starts caching its objects, republishes
 * discovery and OpenAPI, and finishes CRD deletion as upstream's CRD
 * finalizer does: every custom resource is deleted the way DELETE deletes
 * it (finalizers keep theirs, marked), the CRD says Terminating=True until
 * none is left, and only then its cleanup finalizer goes. The request-path
 * hooks below give custom resources their schema behaviour (pruning,
 * defaults, validation), scale, printer columns and version views.
 * Design: docs/internals/crd.md. */
#ifndef KAPI_APIEXT_CRD_H
#define KAPI_APIEXT_CRD_H

#include <stdbool.h>

#include "../api/names.h"
#include "../base/base.h"
#include "../codec/value.h"
#include "../registry/registry.h"
#include "../registry/resources.h"
#include "schema.h"

struct kapi_jsonpath;

struct kapi_crd_column {
    const char *name, *type, *format, *description;
    int64_t priority;
    struct kapi_jsonpath *path; /* NULL when it did not compile (column stays empty) */
};

/* What one served version of a CRD needs at request time. Immutable. */
struct kapi_crd_version {
    const char *crd_name;            /* "widgets.example.com" */
    struct kapi_crd_schema *schema;  /* NULL: everything is kept as sent */
    const struct kapi_value *openapi_schema; /* the version's openAPIV3Schema as written (for /openapi) */
    bool has_status, has_scale;
    const char *spec_replicas_path;   /* ".spec.replicas" */
    const char *status_replicas_path; /* ".status.replicas" */
    const char *label_selector_path;  /* NULL when not set */
    struct kapi_crd_column *columns;  /* additionalPrinterColumns; none = Name + Age */
    size_t ncolumns;
    const char *storage_api_version;  /* "example.com/v1": what objects are stored as */
    const char *deprecation_warning;  /* NULL unless the version is deprecated */
    bool preserve_unknown_root;       /* no schema or x-kubernetes-preserve-unknown-fields at the root */
    /* spec.conversion.strategy Webhook: where to send ConversionReviews */
    bool webhook;
    const char *webhook_url;          /* clientConfig.url, or NULL */
    const char *svc_namespace, *svc_name, *svc_path; /* clientConfig.service */
    int svc_port;
    const char *ca_bundle;            /* PEM (decoded caBundle), NULL = system roots */
    size_t ca_len;
    const char *kind_name;            /* "Widget" */
    struct kapi_registry *reg;        /* for resolving a webhook service */
};

/* ---- request-path hooks (k->crd != NULL) ---- */

/* True while the CRD serving k says Terminating=True: creates are refused
 * (upstream's 405), everything else still works so finalizers can go. */
bool kapi_crd_terminating(const struct kapi_kind *k);

/* Prunes unknown fields (their paths go to *unknown) and applies schema
 * defaults to a decoded body. */
void kapi_crd_decode(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                     struct kapi_strlist *unknown);
/* Schema validation plus the custom resource rules upstream adds (scale
 * replicas paths hold integers, ...). */
void kapi_crd_validate(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *obj,
                       const struct kapi_value *old, struct kapi_field_errors *errs);
/* Create-time strategy: drops status when the status subresource is on. */
void kapi_crd_prepare_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj);
/* Converts obj to the storage version in place (apiVersion rewritten, or
 * through the conversion webhook). 0, or -1 with *err (pool string). */
int kapi_crd_to_storage(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj, const char **err);
/* obj (any served version) as desired_api_version: apiVersion rewritten
 * (strategy None) or a ConversionReview to the webhook. NULL with *err. */
struct kapi_value *kapi_crd_convert(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *obj,
                                    const char *desired_api_version, const char **err);
/* The stored object as the version k serves (converted, defaults applied
 * as upstream does on read). A kind's view_out; NULL when conversion
 * failed, the reason then in kapi_crd_view_error(). */
struct kapi_value *kapi_crd_view_out(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *stored);
const char *kapi_crd_view_error(void);

/* The autoscaling/v1 Scale of obj; NULL when k has no scale subresource. */
struct kapi_value *kapi_crd_scale_view(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *obj);
/* Writes a Scale's spec.replicas into out (a copy of the stored object). */
void kapi_crd_scale_apply(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *out,
                          const struct kapi_value *scale);

/* Table cells of one object for k's printer columns (Name first, then the
 * columns, Age where upstream puts it); column definitions likewise. */
struct kapi_value *kapi_crd_table_columns(struct kapi_pool *pool, const struct kapi_kind *k);
struct kapi_value *kapi_crd_table_cells(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *obj);

/* ---- the controller ---- */

struct kapi_crd_snapshot; /* what is served: groups, versions, resources */
const struct kapi_api_extra *kapi_crd_snapshot_extra(const struct kapi_crd_snapshot *s);
void kapi_crd_snapshot_free(struct kapi_crd_snapshot *s);

/* Called (from the controller thread) whenever the served custom resources
 * change; takes ownership of snap. */
typedef void (*kapi_crd_publish_fn)(void *ctx, struct kapi_crd_snapshot *snap);

struct kapi_store;
struct kapi_cache;
struct kapi_crdctl;
struct kapi_crdctl *kapi_crdctl_start(struct kapi_store *store, struct kapi_cache *cache, struct kapi_registry *reg,
                                      kapi_crd_publish_fn publish, void *ctx);
void kapi_crdctl_stop(struct kapi_crdctl *c);

/* Kube-aware version order (v1 > v1beta2 > v1beta1 > v1alpha1 > other, by
 * name): <0 when a sorts before b. */
int kapi_crd_version_cmp(const char *a, const char *b);

#endif
