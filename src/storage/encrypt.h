/* storage/encrypt: encryption at rest, as kube-apiserver's
 * --encryption-provider-config does it. A store wrapper that sits between
 * kapi and a backend (SQLite or etcd): values of the configured resources are
 * transformed on the way in (the first provider of the matching rule) and
 * back on the way out (get, range, watch events, write results), with the
 * byte format upstream writes, so an etcd shared with kube-apiserver (or a
 * copy of its data) reads the same either way:
 *
 *   identity   the plaintext itself
 *   aescbc     "k8s:enc:aescbc:v1:<key>:"    16-byte IV, AES-CBC, PKCS#7 padding
 *   aesgcm     "k8s:enc:aesgcm:v1:<key>:"    12-byte nonce, AES-GCM ciphertext + 16-byte tag,
 *                                            additional data = the etcd key of the value
 *   secretbox  "k8s:enc:secretbox:v1:<key>:" 24-byte nonce, NaCl secretbox (tag + ciphertext)
 *
 * kms providers are refused. The configuration is an
 * apiserver.config.k8s.io/v1 EncryptionConfiguration (YAML or JSON),
 * validated with upstream's rules and messages. Design and limits:
 * docs/internals/storage.md, "Encryption at rest". */
#ifndef KAPI_STORAGE_ENCRYPT_H
#define KAPI_STORAGE_ENCRYPT_H

#include "storage.h"

struct kapi_encrypt_opts {
    /* The etcd key prefix that replaces kapi's leading "/registry" (the
     * etcd backend's --etcd-prefix). AES-GCM authenticates the etcd key, so
     * it must be the key as etcd stores it. NULL or "" = "/registry". */
    const char *storage_prefix;
};

/* Loads and validates the configuration at config_path and returns a store
 * that encrypts through inner. On success the returned store owns inner
 * (closing it closes inner). On failure returns NULL, leaves inner alone and
 * writes upstream's message to err ("error while parsing file: ...",
 * "error while building transformers: ..."). */
struct kapi_store *kapi_encrypt_wrap(struct kapi_store *inner, const char *config_path, char *err, size_t errlen);
struct kapi_store *kapi_encrypt_wrap_opts(struct kapi_store *inner, const char *config_path,
                                          const struct kapi_encrypt_opts *o, char *err, size_t errlen);

#endif
