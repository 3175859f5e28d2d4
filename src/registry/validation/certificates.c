/* registry/validation/certificates: CertificateSigningRequest spec rules
 * (pkg/apis/certificates/validation at 1.33: validateCertificateSigningRequest
 * with the compatibility options getValidationOptions derives from the
 * stored object), then on update the status rules of status.c. The request
 * is parsed and its signature checked with OpenSSL; Go's PEM decoder is
 * reproduced so the same bytes are accepted. */
#include "validation_int.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <string.h>

#include "../../base/b64.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* certificates.KeyUsage values, sorted as sets.String.List() prints them */
static const char *const USAGES[] = {
    "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment",
    "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel",
    "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime",
    "server auth", "signing", "timestamping",
};

#define LEGACY_SIGNER "kubernetes.io/legacy-unknown"

/* ---- Go's encoding/pem Decode (first block only). */

struct pem_block {
    const char *type;
    size_t type_len;
    unsigned char *der;
    size_t der_len;
};

/* getLine: the line without "\r\n" and trailing blanks; *next after it. */
static size_t get_line(const char *s, size_t n, size_t *next)
{
    const char *nl = memchr(s, '\n', n);
    size_t i = nl ? (size_t)(nl - s) : n;
    *next = nl ? i + 1 : n;
    if (nl && i > 0 && s[i - 1] == '\r')
        i--;
    while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
        i--;
    return i;
}

static const char *mem_find(const char *h, size_t hn, const char *needle)
{
    size_t nn = strlen(needle);
    for (size_t i = 0; nn <= hn && i <= hn - nn; i++)
        if (memcmp(h + i, needle, nn) == 0)
            return h + i;
    return NULL;
}

/* base64.StdEncoding.Decode after pem's removeSpacesAndTabs (Go's decoder
 * skips '\r' and '\n' itself); false on malformed data. */
static bool pem_b64(struct kv_ctx *c, const char *s, size_t n, unsigned char **out, size_t *olen)
{
    char *text = kapi_pool_alloc(c->pool, n + 1);
    size_t tn = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            text[tn++] = s[i];
    *out = kapi_b64_decode_pool(c->pool, text, tn, 0, olen, NULL);
    return *out != NULL;
}

static bool pem_decode(struct kv_ctx *c, const char *data, size_t n, struct pem_block *b)
{
    static const char BEGIN[] = "-----BEGIN ", END[] = "\n-----END ", DASH[] = "-----";
    const char *rest = data;
    size_t rn = n;
    for (;;) {
        if (rn >= 11 && memcmp(rest, BEGIN, 11) == 0) {
            rest += 11, rn -= 11;
        } else {
            const char *at = mem_find(rest, rn, "\n-----BEGIN ");
            if (!at)
                return false;
            rn -= (size_t)(at + 12 - rest);
            rest = at + 12;
        }
        size_t next, tl = get_line(rest, rn, &next);
        const char *type = rest;
        rest += next, rn -= next;
        if (tl < 5 || memcmp(type + tl - 5, DASH, 5) != 0)
            continue;
        tl -= 5;
        /* headers: "key: value" lines */
        bool headers = false, truncated = false;
        for (;;) {
            if (!rn) {
                truncated = true;
                break;
            }
            size_t ln = get_line(rest, rn, &next);
            if (!memchr(rest, ':', ln))
                break;
            headers = true;
            rest += next, rn -= next;
        }
        if (truncated)
            return false;
        size_t end_at, trailer_at;
        if (!headers && rn >= 9 && memcmp(rest, END + 1, 9) == 0) {
            end_at = 0;
            trailer_at = 9;
        } else {
            const char *e = mem_find(rest, rn, END);
            if (!e)
                continue;
            end_at = (size_t)(e - rest);
            trailer_at = end_at + 10;
        }
        if (rn - trailer_at < tl + 5)
            continue;
        const char *tr = rest + trailer_at;
        if (memcmp(tr, type, tl) != 0 || memcmp(tr + tl, DASH, 5) != 0)
            continue;
        size_t after;
        if (get_line(tr + tl + 5, rn - trailer_at - tl - 5, &after) != 0)
            continue;
        if (!pem_b64(c, rest, end_at, &b->der, &b->der_len))
            continue;
        b->type = type;
        b->type_len = tl;
        return true;
    }
}

/* Go's %#v of a []byte. */
static const char *go_bytes(struct kv_ctx *c, const unsigned char *p, size_t n, bool nil)
{
    if (nil)
        return "[]byte(nil)";
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "[]byte{");
    for (size_t i = 0; i < n; i++)
        kapi_buf_printf(&b, i ? ", 0x%x" : "0x%x", p[i]);
    kapi_buf_putc(&b, '}');
    char *s = kapi_pool_strndup(c->pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
}

struct X509_req_st *kapi_csr_parse(struct kapi_pool *pool, const unsigned char *pem, size_t n, const char **err)
{
    struct kv_ctx c = {.pool = pool};
    struct pem_block b;
    if (!pem_decode(&c, (const char *)pem, n, &b) || b.type_len != 19 || memcmp(b.type, "CERTIFICATE REQUEST", 19)) {
        *err = "PEM block type must be CERTIFICATE REQUEST";
        return NULL;
    }
    const unsigned char *q = b.der;
    X509_REQ *req = d2i_X509_REQ(NULL, &q, (long)b.der_len);
    if (!req) {
        *err = "x509: malformed certificate request";
        return NULL;
    }
    if (q != b.der + b.der_len) {
        *err = "asn1: syntax error: trailing data";
        X509_REQ_free(req);
        return NULL;
    }
    return req;
}

/* validateCSR: certificates.ParseCSR, then CheckSignature. NULL when valid;
 * else the error text (Go's where kapi can tell; see docs). */
static const char *check_request(struct kv_ctx *c, const unsigned char *pem, size_t n)
{
    const char *err = NULL;
    X509_REQ *req = kapi_csr_parse(c->pool, pem, n, &err);
    if (!req)
        return err;
    EVP_PKEY *key = X509_REQ_get0_pubkey(req);
    int sig = X509_REQ_get_signature_nid(req);
    if (!key) {
        err = "x509: unsupported public key type";
    } else if (sig == NID_md5WithRSAEncryption) {
        err = "x509: cannot verify signature: insecure algorithm MD5-RSA";
    } else if (X509_REQ_verify(req, key) != 1) {
        int id = EVP_PKEY_get_base_id(key);
        err = id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS ? "crypto/rsa: verification error"
            : id == EVP_PKEY_EC                           ? "x509: ECDSA verification failure"
            : id == EVP_PKEY_ED25519                      ? "x509: Ed25519 verification failure"
                                                          : "x509: cannot verify signature: algorithm unimplemented";
    }
    X509_REQ_free(req);
    return err;
}

/* ValidateSignerName (shared with clusterTrustBundle projections). */
void kv_signer_name(struct kv_ctx *c, const char *s, const char *fld)
{
    if (!*s) {
        kapi_ferr_required(c->pool, c->errs, fld, "");
        return;
    }
    const char *slash = strchr(s, '/');
    if (!slash || strchr(slash + 1, '/')) {
        kapi_ferr_invalid(c->pool, c->errs, fld, s,
                          "must be a fully qualified domain and path of the form 'example.com/signer-name'");
        return;
    }
    const char *domain = kapi_pool_strndup(c->pool, s, (size_t)(slash - s)), *path = slash + 1;
    if (strlen(domain) > KAPI_DNS1123_SUBDOMAIN_MAX)
        kapi_ferr_too_long(c->pool, c->errs, fld, KAPI_DNS1123_SUBDOMAIN_MAX);
    for (int part = 0; part < 2; part++) {
        const char *seg = part ? path : domain;
        /* each label of the domain a DNS label, of the path a DNS subdomain;
         * the first bad label ends the loop */
        for (const char *p = seg;;) {
            const char *dot = strchr(p, '.');
            const char *lbl = dot ? kapi_pool_strndup(c->pool, p, (size_t)(dot - p)) : p;
            const char *msgs[KAPI_NAME_MSGS_MAX];
            size_t k = part ? kapi_is_dns1123_subdomain(lbl, msgs) : kapi_is_dns1123_label(lbl, msgs);
            for (size_t i = 0; i < k; i++)
                kapi_ferr_invalid(c->pool, c->errs, fld, seg,
                                  kapi_pool_printf(c->pool, "validating label %s: %s",
                                                   kapi_go_quote(c->pool, lbl, strlen(lbl)), msgs[i]));
            if (k || !dot)
                break;
            p = dot + 1;
        }
        if (!part && !strchr(seg, '.'))
            kapi_ferr_invalid(c->pool, c->errs, fld, seg, "should be a domain with at least two segments separated by dots");
    }
    long max = KAPI_DNS1123_SUBDOMAIN_MAX + (KAPI_DNS1123_SUBDOMAIN_MAX + KAPI_DNS1123_LABEL_MAX + 1) + 1;
    if ((long)strlen(s) > max)
        kapi_ferr_too_long(c->pool, c->errs, fld, max);
}

static bool has_dup(const struct kapi_value *arr)
{
    for (size_t i = 1; i < kv_len(arr); i++)
        for (size_t j = 0; j < i; j++)
            if (kapi_value_equal(kv_item(arr, i), kv_item(arr, j)))
                return true;
    return false;
}

static bool has_unknown(const struct kapi_value *arr)
{
    for (size_t i = 0; i < kv_len(arr); i++)
        if (!kv_in(kapi_value_cstr(kv_item(arr, i)), USAGES, N(USAGES)))
            return true;
    return false;
}

/* validateCertificateSigningRequest's spec part; old (the stored object)
 * relaxes the rules its own spec already broke. */
static void csr_spec(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *spec = kv_get(obj, "spec"), *ospec = kv_get(old, "spec");
    const struct kapi_value *rv = kapi_obj_get(spec ? spec : obj, "request");
    bool nil = !spec || !rv || rv->type != KAPI_V_STRING;
    char *pem = NULL;
    size_t n = nil ? 0 : kv_b64_decode(c, rv->u.str.s, &pem);
    const char *err = check_request(c, (const unsigned char *)(pem ? pem : ""), n);
    if (err)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.request",
                      go_bytes(c, (const unsigned char *)pem, n, nil), err);
    const struct kapi_value *usages = kv_get(spec, "usages"), *ousages = kv_get(ospec, "usages");
    if (kv_len(usages) == 0)
        kapi_ferr_required(c->pool, c->errs, "spec.usages", "");
    if (!(old && has_unknown(ousages)))
        for (size_t i = 0; i < kv_len(usages); i++) {
            const char *u = kapi_value_cstr(kv_item(usages, i));
            if (!kv_in(u, USAGES, N(USAGES)))
                kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "spec.usages[%zu]", i), u ? u : "", USAGES,
                                        N(USAGES));
        }
    if (!(old && has_dup(ousages)))
        for (size_t i = 1; i < kv_len(usages); i++)
            for (size_t j = 0; j < i; j++)
                if (kapi_value_equal(kv_item(usages, i), kv_item(usages, j))) {
                    const char *u = kapi_value_cstr(kv_item(usages, i));
                    kapi_ferr_duplicate(c->pool, c->errs, kv_path(c, "spec.usages[%zu]", i), u ? u : "");
                    break;
                }
    const char *signer = kv_str0(spec, "signerName");
    bool legacy_ok = old && !strcmp(kv_str0(ospec, "signerName"), LEGACY_SIGNER);
    if (!legacy_ok && !strcmp(signer, LEGACY_SIGNER))
        kapi_ferr_invalid(c->pool, c->errs, "spec.signerName", signer,
                          "the legacy signerName is not allowed via this API version");
    else
        kv_signer_name(c, signer, "spec.signerName");
    int64_t secs;
    if (kv_int(spec, "expirationSeconds", &secs) && secs < 600)
        kapi_ferr_invalid_int(c->pool, c->errs, "spec.expirationSeconds", secs,
                              "may not specify a duration less than 600 seconds (10 minutes)");
}

bool kv_certificates(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
                     const struct kapi_value *old, bool approval)
{
    if (strcmp(group, "certificates.k8s.io") || strcmp(kind, "CertificateSigningRequest"))
        return false;
    csr_spec(c, obj, old);
    /* On create the strategy has emptied status; on update the status
     * rules compare with the stored object. */
    if (old)
        kv_csr_status(c, obj, old, approval);
    return true;
}
