/* The three CertificateSigningRequest plugins (plugin/pkg/admission/certificates):
 *
 * CertificateApproval: an update of certificatesigningrequests/approval
 * needs the "approve" verb on the synthetic resource
 * certificates.k8s.io/signers named after the CSR's signerName (as it was
 * before the update), or on "<domain>/..." (the wildcard name) for its domain.
 *
 * CertificateSigning: an update of certificatesigningrequests/status that
 * changes status.certificate or status.conditions needs "sign" likewise.
 *
 * CertificateSubjectRestriction: a CSR for the kubernetes.io/kube-apiserver-client
 * signer may not ask for the system:masters organization (group).
 *
 * The first two ask the RBAC authorizer the chain was given with
 * kapi_adm_set_authorizer; without one (--authorization-mode=AlwaysAllow)
 * everything is allowed, as upstream's AlwaysAllow authorizer would. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "../auth/rbac.h"
#include "../base/b64.h"
#include "../registry/validation.h"
#include "admission.h"

#define CSR_GROUP "certificates.k8s.io"
#define CSR_RESOURCE "certificatesigningrequests"
#define CLIENT_SIGNER "kubernetes.io/kube-apiserver-client"

/* ---- the authorizer of each chain ---- */

/* kapi_admission has no slot for an authorizer, so the association lives
 * here, keyed by the chain. A process has one or two chains (tests a few). */
struct authz_entry {
    const struct kapi_admission *adm;
    struct kapi_rbac *rbac;
};
#define MAX_CHAINS 16
static struct authz_entry authz_table[MAX_CHAINS];
static pthread_mutex_t authz_mu = PTHREAD_MUTEX_INITIALIZER;

void kapi_adm_set_authorizer(const struct kapi_admission *a, struct kapi_rbac *rbac)
{
    pthread_mutex_lock(&authz_mu);
    struct authz_entry *slot = NULL;
    for (size_t i = 0; i < MAX_CHAINS; i++)
        if (authz_table[i].adm == a) {
            slot = &authz_table[i];
            break;
        }
    for (size_t i = 0; !slot && rbac && i < MAX_CHAINS; i++)
        if (!authz_table[i].adm)
            slot = &authz_table[i];
    if (slot) {
        slot->adm = rbac ? a : NULL;
        slot->rbac = rbac;
    }
    pthread_mutex_unlock(&authz_mu);
}

static struct kapi_rbac *authorizer_of(const struct kapi_admission *a)
{
    struct kapi_rbac *r = NULL;
    pthread_mutex_lock(&authz_mu);
    for (size_t i = 0; i < MAX_CHAINS && !r; i++)
        if (authz_table[i].adm == a)
            r = authz_table[i].rbac;
    pthread_mutex_unlock(&authz_mu);
    return r;
}

static bool authorize_signer(const struct kapi_admission_attrs *at, struct kapi_rbac *rbac, const char *verb,
                             const char *signer)
{
    struct kapi_authz_attrs a = {
        .user = at->user,
        .resource_request = true,
        .verb = verb,
        .group = CSR_GROUP,
        .resource = "signers",
        .subresource = "",
        .ns = "",
        .name = signer,
    };
    const char *reason;
    return kapi_rbac_authorize(rbac, at->pool, &a, &reason);
}

/* upstream's IsAuthorizedForSignerName: the exact signer name, then the
 * wildcard for its domain (the part before the first '/'). */
static bool authorized_for_signer(const struct kapi_admission_attrs *at, const char *verb, const char *signer)
{
    struct kapi_rbac *rbac = authorizer_of(at->adm);
    if (!rbac || !at->user)
        return true; /* AlwaysAllow, or an in-process caller */
    if (authorize_signer(at, rbac, verb, signer))
        return true;
    const char *slash = strchr(signer, '/');
    size_t dlen = slash ? (size_t)(slash - signer) : strlen(signer);
    return authorize_signer(at, rbac, verb, kapi_pool_printf(at->pool, "%.*s/*", (int)dlen, signer));
}

static bool csr_sub(const struct kapi_admission_attrs *at, const char *subresource)
{
    return strcmp(at->group, CSR_GROUP) == 0 && strcmp(at->resource, CSR_RESOURCE) == 0 &&
           strcmp(at->subresource, subresource) == 0;
}

static const char *signer_of(const struct kapi_value *csr)
{
    const char *s = kapi_value_cstr(kapi_value_path(csr, "spec", "signerName", NULL));
    return s ? s : "";
}

/* Go's %q for a signer name (quotes and backslashes escaped). */
static const char *quoted(struct kapi_pool *p, const char *s)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '"');
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            kapi_buf_printf(&b, "\\%c", *c);
        else if (*c == '\n')
            kapi_buf_puts(&b, "\\n");
        else if (*c == '\t')
            kapi_buf_puts(&b, "\\t");
        else if (*c < 0x20 || *c == 0x7f)
            kapi_buf_printf(&b, "\\x%02x", *c);
        else
            kapi_buf_putc(&b, (char)*c);
    }
    kapi_buf_putc(&b, '"');
    const char *out = kapi_pool_strdup(p, b.data);
    kapi_buf_dispose(&b);
    return out;
}

static struct kapi_status *no_old(const struct kapi_admission_attrs *at)
{
    return kapi_adm_forbidden(at, "expected type CertificateSigningRequest, got: <nil>");
}

/* ---- CertificateApproval ---- */

int kapi_adm_csrapproval_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (at->create || !at->obj || !csr_sub(at, "approval"))
        return 0;
    if (!at->old) {
        *status = no_old(at);
        return -1;
    }
    /* the signer as stored: changing it through /approval is refused by
     * validation, and must not lend the caller another signer's rights */
    const char *signer = signer_of(at->old);
    if (authorized_for_signer(at, "approve", signer))
        return 0;
    *status = kapi_adm_forbidden(at, kapi_pool_printf(at->pool,
                                                      "user not permitted to approve requests with signerName %s",
                                                      quoted(at->pool, signer)));
    return -1;
}

/* ---- CertificateSigning ---- */

static const char *field_or_empty(const struct kapi_value *v, const char *key)
{
    const char *s = kapi_obj_get_str(v, key);
    return s ? s : "";
}

/* Conditions compared as Go compares the decoded structs: absent and empty
 * lists alike, absent fields as their zero value. */
static bool conditions_equal(const struct kapi_value *a, const struct kapi_value *b)
{
    size_t na = a && a->type == KAPI_V_ARRAY ? a->u.arr.len : 0;
    size_t nb = b && b->type == KAPI_V_ARRAY ? b->u.arr.len : 0;
    if (na != nb)
        return false;
    static const char *const keys[] = {"type", "status", "reason", "message", "lastUpdateTime",
                                       "lastTransitionTime"};
    for (size_t i = 0; i < na; i++)
        for (size_t k = 0; k < KAPI_ARRAY_LEN(keys); k++)
            if (strcmp(field_or_empty(a->u.arr.items[i], keys[k]), field_or_empty(b->u.arr.items[i], keys[k])) !=
                0)
                return false;
    return true;
}

/* status.certificate compared as []byte with reflect.DeepEqual: absent
 * (nil) differs from "" (empty, non-nil). */
static bool certificate_equal(const struct kapi_value *a, const struct kapi_value *b)
{
    bool ha = a && a->type != KAPI_V_NULL, hb = b && b->type != KAPI_V_NULL;
    if (ha != hb)
        return false;
    return !ha || kapi_value_equal(a, b);
}

int kapi_adm_csrsigning_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (at->create || !at->obj || !csr_sub(at, "status"))
        return 0;
    if (!at->old) {
        *status = no_old(at);
        return -1;
    }
    const struct kapi_value *ost = kapi_obj_get(at->old, "status"), *nst = kapi_obj_get(at->obj, "status");
    if (certificate_equal(kapi_obj_get(ost, "certificate"), kapi_obj_get(nst, "certificate")) &&
        conditions_equal(kapi_obj_get(ost, "conditions"), kapi_obj_get(nst, "conditions")))
        return 0;
    const char *signer = signer_of(at->old);
    if (authorized_for_signer(at, "sign", signer))
        return 0;
    *status = kapi_adm_forbidden(at, kapi_pool_printf(at->pool,
                                                      "user not permitted to sign requests with signerName %s",
                                                      quoted(at->pool, signer)));
    return -1;
}

/* ---- CertificateSubjectRestriction ---- */

static bool asks_for_masters(X509_REQ *req)
{
    const X509_NAME *subj = X509_REQ_get_subject_name(req);
    for (int i = -1; (i = X509_NAME_get_index_by_NID((X509_NAME *)subj, NID_organizationName, i)) >= 0;) {
        const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
        static const char masters[] = "system:masters";
        if (s && ASN1_STRING_length(s) == (int)sizeof(masters) - 1 &&
            memcmp(ASN1_STRING_get0_data(s), masters, sizeof(masters) - 1) == 0)
            return true;
    }
    return false;
}

int kapi_adm_csrsubject_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (!at->create || !kapi_adm_is(at, CSR_GROUP, CSR_RESOURCE))
        return 0;
    if (strcmp(signer_of(at->obj), CLIENT_SIGNER) != 0)
        return 0;
    const char *b64 = kapi_value_cstr(kapi_value_path(at->obj, "spec", "request", NULL));
    unsigned char *pem = NULL;
    size_t plen = 0;
    const char *err = NULL;
    X509_REQ *req = NULL;
    /* spec.request is a []byte: the typed decode left it canonical */
    if (b64 && (pem = kapi_b64_decode_pool(at->pool, b64, strlen(b64), 0, &plen, NULL)))
        req = kapi_csr_parse(at->pool, pem, plen, &err);
    else
        err = "PEM block type must be CERTIFICATE REQUEST";
    if (!req) {
        *status = kapi_adm_forbidden(at, kapi_pool_printf(at->pool, "failed to parse CSR: %s", err));
        return -1;
    }
    bool masters = asks_for_masters(req);
    X509_REQ_free(req);
    if (masters) {
        *status = kapi_adm_forbidden(at, "use of " CLIENT_SIGNER " signer with system:masters group is not allowed");
        return -1;
    }
    return 0;
}
