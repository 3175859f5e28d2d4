/* auth/pki: the server's own certificate authority. On first start it creates
 * a CA, a serving certificate, an admin client certificate (system:masters)
 * and the service-account signing key under one directory; later starts reuse
 * them, regenerating only leaf certificates that are expiring, lack a wanted
 * SAN or no longer chain to the CA. Also writes the admin kubeconfig. */
#ifndef KAPI_AUTH_PKI_H
#define KAPI_AUTH_PKI_H

#include <stddef.h>

/* Paths of the files under dir (all heap strings, owned by the struct). */
struct kapi_pki {
    char *dir;                        /* the pki directory */
    char *ca_cert, *ca_key;           /* ca.crt, ca.key */
    char *serving_cert, *serving_key; /* apiserver.crt/.key */
    char *admin_cert, *admin_key;     /* admin.crt/.key (CN=kubernetes-admin, O=system:masters) */
    char *sa_key, *sa_pub;            /* sa.key (RSA 2048, PKCS#8 PEM), sa.pub (PKIX PEM) */
    /* What this call did, for start-up logging and tests. */
    unsigned generated;               /* bitmask of KAPI_PKI_GEN_* */
    void *sa_job;                     /* private: background sa.key generation */
};

enum {
    KAPI_PKI_GEN_CA = 1,
    KAPI_PKI_GEN_SERVING = 2,
    KAPI_PKI_GEN_ADMIN = 4,
    KAPI_PKI_GEN_SA = 8,
};

/* Creates missing files under dir (dir mode 0700, keys 0600, certs 0644,
 * each written to a temp file and renamed), reuses valid existing ones.
 * sans: extra serving-certificate SANs beyond the fixed set (each an IPv4,
 * IPv6 or DNS name; detected automatically). Returns 0 with *out filled
 * (release with kapi_pki_dispose), or -1 with a message in err. A CA
 * certificate without its key (or the reverse) is an error, never replaced. */
int kapi_pki_bootstrap(const char *dir, const char *const *sans, size_t nsans, struct kapi_pki *out, char *err,
                       size_t errlen);
/* Flags for kapi_pki_bootstrap_ex. */
enum { KAPI_PKI_ASYNC_SA = 1 };
/* kapi_pki_bootstrap with flags. KAPI_PKI_ASYNC_SA: when sa.key must be
 * created, generate it (RSA: 0.1-3 s) on a background thread and return at
 * once; call kapi_pki_sa_wait before reading sa.key/sa.pub. */
int kapi_pki_bootstrap_ex(const char *dir, const char *const *sans, size_t nsans, unsigned flags,
                          struct kapi_pki *out, char *err, size_t errlen);
/* Waits for background sa.key generation, if any (cheap when none or done).
 * Returns 0 when sa.key and sa.pub exist, or -1 with a message in err. */
int kapi_pki_sa_wait(struct kapi_pki *p, char *err, size_t errlen);
/* Waits for background work, frees the path strings; NULL-safe, zeroes *p. */
void kapi_pki_dispose(struct kapi_pki *p);

/* Writes a kubeconfig (YAML, mode 0600, atomically) for server_url embedding
 * the CA and the admin client cert/key as base64 *-data fields. Cluster
 * "kapi", user "kubernetes-admin", context "kapi" (current). 0 or -1 + err. */
int kapi_kubeconfig_write(const char *path, const char *server_url, const struct kapi_pki *p, char *err,
                          size_t errlen);

/* Writes data to path atomically (temp file in the same directory, fsync,
 * rename) with the given mode. 0 or -1 with errno set. Shared helper. */
int kapi_pki_write_file(const char *path, const void *data, size_t len, unsigned mode);

#endif
