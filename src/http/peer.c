/* Client certificate identity (src/http/http.h: kapi_http_peer_fill). Kept
 * apart from the server so the certificate handling can be fuzzed. */
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "http.h"

static char *asn1_utf8(const ASN1_STRING *s)
{
    unsigned char *u = NULL;
    int n = ASN1_STRING_to_UTF8(&u, s);
    if (n < 0)
        return kapi_xstrdup("");
    char *r = kapi_xstrndup((const char *)u, (size_t)n);
    OPENSSL_free(u);
    return r;
}

void kapi_http_peer_fill(struct kapi_http_peer *p, struct x509_st *x)
{
    X509_NAME *nm = X509_get_subject_name(x);
    int n = nm ? X509_NAME_entry_count(nm) : 0;
    p->has_cert = true;
    for (int i = 0; i < n; i++) {
        X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
        if (nid == NID_commonName) {
            /* Like Go's pkix.Name, the last CN wins. */
            free((char *)p->cn);
            p->cn = asn1_utf8(X509_NAME_ENTRY_get_data(e));
        } else if (nid == NID_organizationName) {
            p->orgs = kapi_xrealloc(p->orgs, (p->norgs + 1) * sizeof(char *));
            p->orgs[p->norgs++] = asn1_utf8(X509_NAME_ENTRY_get_data(e));
        }
    }
    if (!p->cn)
        p->cn = kapi_xstrdup("");
    /* Raw certificates, for authenticators that verify against their own CA. */
    int dl = i2d_X509(x, NULL);
    if (dl > 0) {
        unsigned char *d = kapi_xmalloc((size_t)dl), *q = d;
        i2d_X509(x, &q);
        p->cert_der = d;
        p->cert_der_len = (size_t)dl;
    }
}

void kapi_http_peer_clear(struct kapi_http_peer *p)
{
    free((char *)p->cert_der);
    free((char *)p->chain_der);
    free((char *)p->cn);
    for (size_t i = 0; i < p->norgs; i++)
        free((char *)p->orgs[i]);
    free(p->orgs);
    memset(p, 0, sizeof(*p));
}
