/* Unit tests for storage/encrypt: the encryption-at-rest wrapper over a
 * SQLite store. The stored bytes are read straight from the database file
 * and decrypted here independently (OpenSSL, libsodium) to pin the format;
 * the shared storage suite also runs through the wrapper on encrypted keys,
 * so compare-and-swap, ranges and watches are checked end to end. */
#include "suite.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <sqlite3.h>

#include "storage/encrypt.h"
#include "storage/sqlite/sqlite.h"

static char test_dir[256];
static char test_db[300];
static char cfg_path[300];

#define K32 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" /* "0123456789abcdef0123456789abcdef" */
#define K16 "MDEyMzQ1Njc4OWFiY2RlZg=="                     /* "0123456789abcdef" */
#define K24 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"             /* "0123456789abcdef01234567" */
#define K32B "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDU=" /* "abcdefghijklmnopqrstuvwxyz012345" */
#define RAW32 "0123456789abcdef0123456789abcdef"
#define RAW32B "abcdefghijklmnopqrstuvwxyz012345"

#define HDR "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"

static const char secret_json[] = "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"data\":{\"password\":\"c3VwZXJzZWNyZXQ=\"}}";

static void write_config(const char *text)
{
    FILE *f = fopen(cfg_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void reset_db(void)
{
    const char *suffix[] = {"", "-wal", "-shm", ".lock", "-journal"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(suffix); i++) {
        char p[400];
        snprintf(p, sizeof(p), "%s%s", test_db, suffix[i]);
        unlink(p);
    }
}

static struct kapi_store *open_raw(void)
{
    char err[512] = "";
    struct kapi_store *s = kapi_sqlite_open(test_dir, err, sizeof(err));
    if (!s)
        fail_msg("kapi_sqlite_open: %s", err);
    return s;
}

/* The store wrapped with the configuration text. */
static struct kapi_store *open_enc_prefix(const char *config, const char *storage_prefix)
{
    write_config(config);
    struct kapi_store *raw = open_raw();
    char err[1024] = "";
    struct kapi_encrypt_opts o = {.storage_prefix = storage_prefix};
    struct kapi_store *s = kapi_encrypt_wrap_opts(raw, cfg_path, &o, err, sizeof(err));
    if (!s) {
        kapi_store_close(raw);
        fail_msg("kapi_encrypt_wrap: %s", err);
    }
    return s;
}

static struct kapi_store *open_enc(const char *config)
{
    return open_enc_prefix(config, NULL);
}

/* The configuration's error, or "" when it loads. */
static char *config_error(const char *config)
{
    static char err[2048];
    write_config(config);
    struct kapi_store *raw = open_raw();
    err[0] = 0;
    struct kapi_store *s = kapi_encrypt_wrap(raw, cfg_path, err, sizeof(err));
    if (s) {
        kapi_store_close(s);
        err[0] = 0;
    } else {
        kapi_store_close(raw);
    }
    return err;
}

/* Latest stored bytes of key, read from the database file. */
static unsigned char *raw_value(const char *key, size_t *len)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(test_db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM kv WHERE key = ? ORDER BY rev DESC LIMIT 1", -1, &st,
                                        NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, key, (int)strlen(key), SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    *len = (size_t)sqlite3_column_bytes(st, 0);
    unsigned char *out = kapi_xmalloc(*len + 1);
    if (*len)
        memcpy(out, sqlite3_column_blob(st, 0), *len);
    out[*len] = 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static bool contains(const unsigned char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static void put(struct kapi_store *s, enum kapi_write_op op, const char *key, const char *val)
{
    ss_put(s, op, key, val, 0);
}

static void assert_get(struct kapi_store *s, const char *key, const char *val)
{
    struct kapi_kv kv;
    int err = kapi_store_get(s, key, &kv);
    if (err)
        fail_msg("get %s: %s", key, kapi_store_strerror(err));
    ss_assert_value(&kv, val);
    kapi_kv_dispose(&kv);
}

static void assert_get_fails(struct kapi_store *s, const char *key)
{
    struct kapi_kv kv;
    memset(&kv, 0, sizeof(kv));
    assert_int_equal(kapi_store_get(s, key, &kv), KAPI_STORE_IO);
    assert_null(kv.value);
}

/* ---- independent decryption of the stored format ---- */

static size_t decrypt_cbc(const unsigned char *key, size_t klen, const unsigned char *in, size_t len,
                          unsigned char *out)
{
    const EVP_CIPHER *c = klen == 16 ? EVP_aes_128_cbc() : klen == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    assert_int_equal(EVP_DecryptInit_ex(ctx, c, NULL, key, in), 1);
    assert_int_equal(EVP_DecryptUpdate(ctx, out, &n1, in + 16, (int)(len - 16)), 1);
    assert_int_equal(EVP_DecryptFinal_ex(ctx, out + n1, &n2), 1); /* PKCS#7 checked by OpenSSL */
    EVP_CIPHER_CTX_free(ctx);
    return (size_t)(n1 + n2);
}

static int decrypt_gcm(const unsigned char *key, size_t klen, const unsigned char *in, size_t len, const char *aad,
                       unsigned char *out, size_t *outlen)
{
    const EVP_CIPHER *c = klen == 16 ? EVP_aes_128_gcm() : klen == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0, an = 0;
    size_t n = len - 12 - 16;
    int ok = EVP_DecryptInit_ex(ctx, c, NULL, key, in) == 1 &&
             EVP_DecryptUpdate(ctx, NULL, &an, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
             EVP_DecryptUpdate(ctx, out, &n1, in + 12, (int)n) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(in + 12 + n)) == 1 &&
             EVP_DecryptFinal_ex(ctx, out + n1, &n2) == 1;
    EVP_CIPHER_CTX_free(ctx);
    *outlen = (size_t)(n1 + n2);
    return ok ? 0 : -1;
}

/* ---- tests ---- */

struct provider_case {
    const char *name, *config_provider, *raw_key;
    size_t klen;
};

static void check_provider(const struct provider_case *pc)
{
    reset_db();
    char config[1024];
    snprintf(config, sizeof(config), HDR "resources:\n- resources: [secrets]\n  providers:\n%s", pc->config_provider);
    struct kapi_store *s = open_enc(config);
    const char *key = "/registry/secrets/default/s1";
    put(s, KAPI_WRITE_CREATE, key, secret_json);
    assert_get(s, key, secret_json);

    /* range and a watch from the start return plaintext too */
    struct kapi_kv *kvs = NULL;
    size_t n = 0;
    int64_t rev = 0;
    bool more = false;
    assert_int_equal(s->ops->range(s, "/registry/secrets/", "/registry/secrets0", 0, &kvs, &n, &rev, &more), 0);
    assert_int_equal(n, 1);
    ss_assert_value(&kvs[0], secret_json);
    ss_free_kvs(kvs, n);
    struct ss_collector c;
    ss_collector_init(&c);
    long id = s->ops->watch(s, "/registry/", "/registry0", 0, ss_collect, &c);
    assert_true(id > 0);
    assert_true(ss_wait(&c, 1, false));
    ss_assert_value(&c.evs[0].kv, secret_json);
    s->ops->unwatch(s, id);
    ss_collector_dispose(&c);
    kapi_store_close(s);

    size_t len;
    unsigned char *raw = raw_value(key, &len);
    size_t plen = strlen(secret_json);
    if (strcmp(pc->name, "identity") == 0) {
        assert_int_equal(len, plen);
        assert_memory_equal(raw, secret_json, plen);
        free(raw);
        return;
    }
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "k8s:enc:%s:v1:key1:", pc->name);
    size_t pl = strlen(prefix);
    assert_true(len > pl);
    assert_memory_equal(raw, prefix, pl);
    assert_false(contains(raw, len, "c3VwZXJzZWNyZXQ="));
    assert_false(contains(raw, len, "Secret"));
    unsigned char out[1024];
    size_t olen = 0;
    if (strcmp(pc->name, "aescbc") == 0) {
        assert_int_equal(len - pl, 16 + (plen / 16 + 1) * 16); /* IV + PKCS#7-padded blocks */
        olen = decrypt_cbc((const unsigned char *)pc->raw_key, pc->klen, raw + pl, len - pl, out);
    } else if (strcmp(pc->name, "aesgcm") == 0) {
        assert_int_equal(len - pl, 12 + plen + 16); /* nonce + ciphertext + tag */
        assert_int_equal(decrypt_gcm((const unsigned char *)pc->raw_key, pc->klen, raw + pl, len - pl, key, out, &olen),
                         0);
    } else {
        assert_int_equal(len - pl, 24 + 16 + plen); /* nonce + tag + ciphertext */
        assert_int_equal(crypto_secretbox_open_easy(out, raw + pl + 24, len - pl - 24, raw + pl,
                                                    (const unsigned char *)pc->raw_key),
                         0);
        olen = plen;
    }
    assert_int_equal(olen, plen);
    assert_memory_equal(out, secret_json, plen);
    free(raw);
}

static void test_round_trip_each_provider(void **state)
{
    static const struct provider_case cases[] = {
        {"aescbc", "  - aescbc:\n      keys:\n      - name: key1\n        secret: " K32 "\n", RAW32, 32},
        {"aescbc", "  - aescbc:\n      keys:\n      - name: key1\n        secret: " K16 "\n", RAW32, 16},
        {"aescbc", "  - aescbc:\n      keys:\n      - name: key1\n        secret: " K24 "\n", RAW32, 24},
        {"aesgcm", "  - aesgcm:\n      keys:\n      - name: key1\n        secret: " K32 "\n", RAW32, 32},
        {"aesgcm", "  - aesgcm:\n      keys:\n      - name: key1\n        secret: " K16 "\n", RAW32, 16},
        {"aesgcm", "  - aesgcm:\n      keys:\n      - name: key1\n        secret: " K24 "\n", RAW32, 24},
        {"secretbox", "  - secretbox:\n      keys:\n      - name: key1\n        secret: " K32 "\n", RAW32, 32},
        {"identity", "  - identity: {}\n", NULL, 0},
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(cases); i++)
        check_provider(&cases[i]);
}

static void test_json_config_and_unlisted_resource(void **state)
{
    reset_db();
    struct kapi_store *s = open_enc(
        "{\"apiVersion\":\"apiserver.config.k8s.io/v1\",\"kind\":\"EncryptionConfiguration\",\"resources\":[{"
        "\"resources\":[\"secrets\"],\"providers\":[{\"aescbc\":{\"keys\":[{\"name\":\"key1\",\"secret\":\"" K32
        "\"}]}},{\"identity\":{}}]}]}");
    put(s, KAPI_WRITE_CREATE, "/registry/secrets/ns/a", secret_json);
    put(s, KAPI_WRITE_CREATE, "/registry/configmaps/ns/c", "{\"kind\":\"ConfigMap\"}");
    put(s, KAPI_WRITE_CREATE, "/registry/compact_rev_key", "x");
    assert_get(s, "/registry/configmaps/ns/c", "{\"kind\":\"ConfigMap\"}");
    kapi_store_close(s);
    size_t len;
    unsigned char *raw = raw_value("/registry/secrets/ns/a", &len);
    assert_memory_equal(raw, "k8s:enc:aescbc:v1:key1:", 23);
    free(raw);
    raw = raw_value("/registry/configmaps/ns/c", &len);
    assert_int_equal(len, strlen("{\"kind\":\"ConfigMap\"}"));
    free(raw);
    raw = raw_value("/registry/compact_rev_key", &len);
    assert_int_equal(len, 1);
    free(raw);
}

static void test_key_rotation(void **state)
{
    reset_db();
    const char *old_cfg = HDR "resources:\n- resources: [secrets]\n  providers:\n"
                              "  - aescbc:\n      keys:\n      - name: key1\n        secret: " K32 "\n";
    /* new key first (another provider even), old key second */
    const char *new_cfg = HDR "resources:\n- resources: [secrets]\n  providers:\n"
                              "  - aesgcm:\n      keys:\n      - name: key2\n        secret: " K32B "\n"
                              "  - aescbc:\n      keys:\n      - name: key1\n        secret: " K32 "\n";
    struct kapi_store *s = open_enc(old_cfg);
    put(s, KAPI_WRITE_CREATE, "/registry/secrets/ns/old", secret_json);
    kapi_store_close(s);

    s = open_enc(new_cfg);
    assert_get(s, "/registry/secrets/ns/old", secret_json);
    put(s, KAPI_WRITE_CREATE, "/registry/secrets/ns/new", "{\"new\":1}");
    assert_get(s, "/registry/secrets/ns/new", "{\"new\":1}");
    kapi_store_close(s);
    size_t len;
    unsigned char *raw = raw_value("/registry/secrets/ns/new", &len);
    assert_memory_equal(raw, "k8s:enc:aesgcm:v1:key2:", 23);
    free(raw);
    raw = raw_value("/registry/secrets/ns/old", &len);
    assert_memory_equal(raw, "k8s:enc:aescbc:v1:key1:", 23);
    free(raw);

    /* two keys inside one provider: the first writes, both read */
    s = open_enc(HDR "resources:\n- resources: [secrets]\n  providers:\n"
                     "  - aescbc:\n      keys:\n      - name: key3\n        secret: " K16 "\n"
                     "      - name: key1\n        secret: " K32 "\n"
                     "  - aesgcm:\n      keys:\n      - name: key2\n        secret: " K32B "\n");
    assert_get(s, "/registry/secrets/ns/old", secret_json);
    assert_get(s, "/registry/secrets/ns/new", "{\"new\":1}");
    put(s, KAPI_WRITE_UPDATE, "/registry/secrets/ns/old", "{\"v\":2}");
    kapi_store_close(s);
    raw = raw_value("/registry/secrets/ns/old", &len);
    assert_memory_equal(raw, "k8s:enc:aescbc:v1:key3:", 23);
    free(raw);

    /* the old key dropped: values written with it are unreadable */
    s = open_enc(new_cfg);
    assert_get_fails(s, "/registry/secrets/ns/old");
    assert_get(s, "/registry/secrets/ns/new", "{\"new\":1}");
    kapi_store_close(s);
}

static void test_identity_and_plaintext(void **state)
{
    reset_db();
    /* data written before encryption was turned on */
    struct kapi_store *raw = open_raw();
    put(raw, KAPI_WRITE_CREATE, "/registry/secrets/ns/plain", secret_json);
    kapi_store_close(raw);

    /* identity first: old plaintext reads, new writes stay plaintext,
     * encrypted values still read through the later provider */
    struct kapi_store *s = open_enc(HDR "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n"
                                        "  - aesgcm:\n      keys:\n      - name: key1\n        secret: " K32 "\n");
    assert_get(s, "/registry/secrets/ns/plain", secret_json);
    put(s, KAPI_WRITE_CREATE, "/registry/secrets/ns/p2", "{\"p\":2}");
    kapi_store_close(s);
    size_t len;
    unsigned char *b = raw_value("/registry/secrets/ns/p2", &len);
    assert_memory_equal(b, "{\"p\":2}", len);
    free(b);

    /* encrypting with identity as fallback: old plaintext still reads */
    s = open_enc(HDR "resources:\n- resources: [secrets]\n  providers:\n"
                     "  - aesgcm:\n      keys:\n      - name: key1\n        secret: " K32 "\n  - identity: {}\n");
    assert_get(s, "/registry/secrets/ns/plain", secret_json);
    put(s, KAPI_WRITE_CREATE, "/registry/secrets/ns/enc", "{\"e\":1}");
    kapi_store_close(s);

    s = open_enc(HDR "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n"
                     "  - aesgcm:\n      keys:\n      - name: key1\n        secret: " K32 "\n");
    assert_get(s, "/registry/secrets/ns/enc", "{\"e\":1}");
    kapi_store_close(s);

    /* without identity, plaintext is not readable; with identity only,
     * encrypted data is not either; nor for a resource nobody configured */
    s = open_enc(HDR "resources:\n- resources: [secrets]\n  providers:\n"
                     "  - aesgcm:\n      keys:\n      - name: key1\n        secret: " K32 "\n");
    assert_get_fails(s, "/registry/secrets/ns/plain");
    kapi_store_close(s);
    s = open_enc(HDR "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n");
    assert_get_fails(s, "/registry/secrets/ns/enc");
    assert_get(s, "/registry/secrets/ns/plain", secret_json);
    kapi_store_close(s);
    s = open_enc(HDR "resources:\n- resources: [configmaps]\n  providers:\n  - identity: {}\n");
    assert_get_fails(s, "/registry/secrets/ns/enc");
    /* a list over the unreadable value fails as a whole */
    struct kapi_kv *kvs = NULL;
    size_t n = 0;
    int64_t rev = 0;
    bool more = false;
    assert_int_equal(s->ops->range(s, "/registry/secrets/", "/registry/secrets0", 0, &kvs, &n, &rev, &more),
                     KAPI_STORE_IO);
    assert_int_equal(n, 0);
    kapi_store_close(s);
}

/* Copies the stored bytes of one key to another, bypassing the wrapper. */
static void copy_raw(const char *from, const char *to)
{
    size_t len;
    unsigned char *b = raw_value(from, &len);
    struct kapi_store *raw = open_raw();
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = to, .value = b, .len = len};
    struct kapi_write_result r;
    assert_int_equal(kapi_store_write(raw, &w, &r), KAPI_STORE_OK);
    kapi_write_result_dispose(&r);
    kapi_store_close(raw);
    free(b);
}

static void test_aesgcm_binds_key(void **state)
{
    reset_db();
    const char *gcm = HDR "resources:\n- resources: [secrets]\n  providers:\n"
                          "  - aesgcm:\n      keys:\n      - name: key1\n        secret: " K32 "\n";
    struct kapi_store *s = open_enc(gcm);
    put(s, KAPI_WRITE_CREATE, "/registry/secrets/ns/a", secret_json);
    kapi_store_close(s);
    copy_raw("/registry/secrets/ns/a", "/registry/secrets/ns/b");
    s = open_enc(gcm);
    assert_get(s, "/registry/secrets/ns/a", secret_json);
    assert_get_fails(s, "/registry/secrets/ns/b");
    kapi_store_close(s);

    /* AES-CBC and secretbox authenticate no location: a copy decrypts */
    const char *cbc = HDR "resources:\n- resources: [secrets]\n  providers:\n"
                          "  - aescbc:\n      keys:\n      - name: key1\n        secret: " K32 "\n";
    s = open_enc(cbc);
    put(s, KAPI_WRITE_CREATE, "/registry/secrets/ns/c", secret_json);
    kapi_store_close(s);
    copy_raw("/registry/secrets/ns/c", "/registry/secrets/ns/d");
    s = open_enc(cbc);
    assert_get(s, "/registry/secrets/ns/d", secret_json);
    kapi_store_close(s);

    /* with an etcd prefix, the authenticated key is the etcd key */
    reset_db();
    s = open_enc_prefix(gcm, "/custom");
    put(s, KAPI_WRITE_CREATE, "/registry/secrets/ns/a", secret_json);
    assert_get(s, "/registry/secrets/ns/a", secret_json);
    kapi_store_close(s);
    size_t len, olen;
    unsigned char *raw = raw_value("/registry/secrets/ns/a", &len), out[1024];
    assert_int_equal(decrypt_gcm((const unsigned char *)RAW32, 32, raw + 23, len - 23, "/custom/secrets/ns/a", out,
                                 &olen),
                     0);
    assert_int_equal(decrypt_gcm((const unsigned char *)RAW32, 32, raw + 23, len - 23, "/registry/secrets/ns/a", out,
                                 &olen),
                     -1);
    free(raw);
}

static void test_wrong_key(void **state)
{
    static const char *const provs[] = {"aescbc", "aesgcm", "secretbox"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(provs); i++) {
        reset_db();
        char a[1024], b[1024];
        snprintf(a, sizeof(a), HDR "resources:\n- resources: [secrets]\n  providers:\n"
                                   "  - %s:\n      keys:\n      - name: key1\n        secret: " K32 "\n",
                 provs[i]);
        snprintf(b, sizeof(b), HDR "resources:\n- resources: [secrets]\n  providers:\n"
                                   "  - %s:\n      keys:\n      - name: key1\n        secret: " K32B "\n",
                 provs[i]);
        struct kapi_store *s = open_enc(a);
        put(s, KAPI_WRITE_CREATE, "/registry/secrets/ns/a", secret_json);
        kapi_store_close(s);
        s = open_enc(b);
        assert_get_fails(s, "/registry/secrets/ns/a");
        kapi_store_close(s);
        /* a key of another name: no matching key */
        snprintf(b, sizeof(b), HDR "resources:\n- resources: [secrets]\n  providers:\n"
                                   "  - %s:\n      keys:\n      - name: key9\n        secret: " K32 "\n",
                 provs[i]);
        s = open_enc(b);
        assert_get_fails(s, "/registry/secrets/ns/a");
        kapi_store_close(s);
    }
}

static void test_wildcards(void **state)
{
    reset_db();
    struct kapi_store *s = open_enc(HDR "resources:\n"
                                        "- resources: [secrets]\n  providers:\n  - identity: {}\n"
                                        "- resources: ['*.apps', '*.example.com', '*.']\n  providers:\n"
                                        "  - secretbox:\n      keys:\n      - name: box\n        secret: " K32 "\n");
    static const char *const enc[] = {"/registry/deployments/ns/d", "/registry/configmaps/ns/c",
                                      "/registry/example.com/widgets/ns/w", "/registry/services/specs/ns/svc",
                                      "/registry/minions/node1"};
    static const char *const plain[] = {"/registry/secrets/ns/s", "/registry/leases/ns/l",
                                        "/registry/other.io/things/t"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(enc); i++)
        put(s, KAPI_WRITE_CREATE, enc[i], "{}");
    for (size_t i = 0; i < KAPI_ARRAY_LEN(plain); i++)
        put(s, KAPI_WRITE_CREATE, plain[i], "{}");
    for (size_t i = 0; i < KAPI_ARRAY_LEN(enc); i++)
        assert_get(s, enc[i], "{}");
    kapi_store_close(s);
    size_t len;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(enc); i++) {
        unsigned char *raw = raw_value(enc[i], &len);
        assert_memory_equal(raw, "k8s:enc:secretbox:v1:box:", 25);
        free(raw);
    }
    for (size_t i = 0; i < KAPI_ARRAY_LEN(plain); i++) {
        unsigned char *raw = raw_value(plain[i], &len);
        assert_int_equal(len, 2);
        free(raw);
    }

    /* "*.*" takes everything that is a resource */
    reset_db();
    s = open_enc(HDR "resources:\n- resources: ['*.*']\n  providers:\n"
                     "  - aesgcm:\n      keys:\n      - name: k\n        secret: " K16 "\n");
    put(s, KAPI_WRITE_CREATE, "/registry/leases/ns/l", "{}");
    put(s, KAPI_WRITE_CREATE, "/registry/compact_rev_key", "");
    kapi_store_close(s);
    unsigned char *raw = raw_value("/registry/leases/ns/l", &len);
    assert_memory_equal(raw, "k8s:enc:aesgcm:v1:k:", 20);
    free(raw);
    raw = raw_value("/registry/compact_rev_key", &len);
    assert_int_equal(len, 0);
    free(raw);
}

static void test_write_results_and_cas(void **state)
{
    reset_db();
    struct kapi_store *s = open_enc(HDR "resources:\n- resources: [secrets]\n  providers:\n"
                                        "  - aescbc:\n      keys:\n      - name: key1\n        secret: " K32 "\n");
    const char *key = "/registry/secrets/ns/cas";
    int64_t r1 = ss_put(s, KAPI_WRITE_CREATE, key, "{\"v\":1}", 0);
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = "{}", .len = 2};
    struct kapi_write_result res;
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_EXISTS);
    ss_assert_value(&res.current, "{\"v\":1}");
    kapi_write_result_dispose(&res);
    w = (struct kapi_write){.op = KAPI_WRITE_UPDATE, .key = key, .value = "{\"v\":2}", .len = 7,
                            .expect_mod_rev = r1 + 100};
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_CONFLICT);
    ss_assert_value(&res.current, "{\"v\":1}");
    assert_int_equal(res.current.mod_rev, r1);
    kapi_write_result_dispose(&res);
    w.expect_mod_rev = r1;
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_OK);
    ss_assert_value(&res.prev, "{\"v\":1}");
    kapi_write_result_dispose(&res);
    w = (struct kapi_write){.op = KAPI_WRITE_DELETE, .key = key};
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_OK);
    ss_assert_value(&res.prev, "{\"v\":2}");
    kapi_write_result_dispose(&res);

    /* watch events: kv and prev_kv decrypted */
    struct ss_collector c;
    ss_collector_init(&c);
    long id = s->ops->watch(s, "/registry/secrets/", "/registry/secrets0", r1 - 1, ss_collect, &c);
    assert_true(id > 0);
    assert_true(ss_wait(&c, 3, false));
    assert_int_equal(c.evs[0].type, KAPI_EVENT_PUT);
    ss_assert_value(&c.evs[0].kv, "{\"v\":1}");
    ss_assert_value(&c.evs[1].kv, "{\"v\":2}");
    ss_assert_value(&c.evs[1].prev_kv, "{\"v\":1}");
    assert_int_equal(c.evs[2].type, KAPI_EVENT_DELETE);
    ss_assert_value(&c.evs[2].prev_kv, "{\"v\":2}");
    s->ops->unwatch(s, id);
    ss_collector_dispose(&c);
    kapi_store_close(s);
}

static void test_watch_unreadable_ends(void **state)
{
    reset_db();
    const char *a = HDR "resources:\n- resources: [secrets]\n  providers:\n"
                        "  - aesgcm:\n      keys:\n      - name: key1\n        secret: " K32 "\n";
    struct kapi_store *s = open_enc(a);
    put(s, KAPI_WRITE_CREATE, "/registry/secrets/ns/a", "{}");
    kapi_store_close(s);
    s = open_enc(HDR "resources:\n- resources: [secrets]\n  providers:\n"
                     "  - aesgcm:\n      keys:\n      - name: key2\n        secret: " K32 "\n");
    struct ss_collector c;
    ss_collector_init(&c);
    long id = s->ops->watch(s, "/registry/", "/registry0", 0, ss_collect, &c);
    assert_true(id > 0);
    assert_true(ss_wait(&c, 0, true));
    assert_int_equal(c.final_err, KAPI_STORE_IO);
    assert_int_equal(c.n, 0);
    s->ops->unwatch(s, id);
    ss_collector_dispose(&c);
    kapi_store_close(s);
}

/* want may name the configuration file as %CFG%. */
static void expect_error(const char *config, const char *want_tmpl)
{
    char want[4096];
    const char *at = strstr(want_tmpl, "%CFG%");
    if (at)
        snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - want_tmpl), want_tmpl, cfg_path, at + 5);
    else
        snprintf(want, sizeof(want), "%s", want_tmpl);
    const char *got = config_error(config);
    if (strcmp(got, want) != 0)
        fail_msg("config error\n got: %s\nwant: %s", got, want);
}

static void test_config_validation(void **state)
{
    reset_db();
    expect_error(HDR "resources:\n- resources: [secrets]\n  providers:\n"
                     "  - aescbc:\n      keys:\n      - name: key1\n        secret: MTIzNDU2Nzg=\n",
                 "error while parsing file: resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "
                 "\"REDACTED\": secret is not of the expected length, got 8, expected one of [16 24 32]");
    expect_error(HDR "resources:\n- resources: [secrets]\n  providers:\n"
                     "  - secretbox:\n      keys:\n      - name: key1\n        secret: " K16 "\n",
                 "error while parsing file: resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "
                 "\"REDACTED\": secret is not of the expected length, got 16, expected one of [32]");
    expect_error(HDR "resources:\n- resources: [secrets]\n  providers:\n"
                     "  - aesgcm:\n      keys:\n      - name: key1\n        secret: 'not base64!'\n",
                 "error while parsing file: resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "
                 "\"REDACTED\": secrets must be base64 encoded");
    expect_error(HDR "resources:\n- resources: [secrets]\n  providers:\n"
                     "  - aesgcm:\n      keys:\n      - secret: " K32 "\n",
                 "error while parsing file: resources[0].providers[0].aesgcm.keys[0].name: Required value: name is a "
                 "mandatory field for a key");
    expect_error(HDR "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys: []\n",
                 "error while parsing file: resources[0].providers[0].aesgcm.keys: Required value: at least one keys "
                 "is required");
    expect_error(HDR "resources:\n- resources: [secrets, secrets]\n  providers:\n  - identity: {}\n",
                 "error while parsing file: resources[0].resources: Invalid value: []string{\"secrets\", "
                 "\"secrets\"}: the same resource cannot be specified multiple times");
    expect_error(HDR "resources:\n- resources: [secrets, '*.']\n  providers:\n  - identity: {}\n",
                 "error while parsing file: resources[0].resources: Invalid value: []string{\"secrets\", \"*.\"}: "
                 "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed "
                 "as they will be masked");
    expect_error(HDR "resources:\n- resources: ['*']\n  providers:\n  - identity: {}\n",
                 "error while parsing file: resources[0].resources[0]: Invalid value: \"*\": use '*.' to encrypt all "
                 "the resources from core API group or *.* to encrypt all resources");
    expect_error(HDR "resources:\n- resources: [Secrets, events.events.k8s.io, '*.extensions', 'pods.*', "
                     "serviceipallocations]\n  providers:\n  - identity: {}\n",
                 "error while parsing file: [resources[0].resources[0]: Invalid value: \"Secrets\": resource name "
                 "should not contain capital letters, resources[0].resources[1]: Invalid value: "
                 "\"events.events.k8s.io\": '*.events.k8s.io' objects are stored using the 'events' API group in "
                 "etcd. Use 'events' instead in the config file, resources[0].resources[2]: Invalid value: "
                 "\"*.extensions\": 'extensions' group has been removed and cannot be used for encryption, "
                 "resources[0].resources[3]: Invalid value: \"pods.*\": encrypting the same resource across groups "
                 "is not supported, resources[0].resources[4]: Invalid value: \"serviceipallocations\": resources "
                 "which do not have REST API/s cannot be encrypted]");
    expect_error(HDR "resources:\n- resources: [secrets]\n  providers:\n  - {}\n",
                 "error while parsing file: resources[0].providers[0]: Invalid value: "
                 "apiserver.ProviderConfiguration{AESGCM:(*apiserver.AESConfiguration)(nil), "
                 "AESCBC:(*apiserver.AESConfiguration)(nil), Secretbox:(*apiserver.SecretboxConfiguration)(nil), "
                 "Identity:(*apiserver.IdentityConfiguration)(nil), KMS:(*apiserver.KMSConfiguration)(nil)}: "
                 "provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, "
                 "Identity");
    expect_error(HDR "resources: []\n",
                 "error while parsing file: resources: Required value: at least one resources is required");
    expect_error(HDR "resources:\n- providers:\n  - identity: {}\n",
                 "error while parsing file: resources[0].resources: Required value: at least one "
                 "resources[0].resources is required");
    expect_error(HDR "resources:\n- resources: [secrets]\n",
                 "error while parsing file: resources[0].providers: Required value: at least one "
                 "resources[0].providers is required");
    expect_error(HDR "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  - foo: {}\n",
                 "error while parsing file: error decoding encryption provider configuration file \"" "%CFG%"
                 "\": strict decoding error: unknown field \"resources[0].providers[1].foo\"");
    expect_error(HDR "resources:\n- resources: ['*.']\n  providers:\n  - identity: {}\n"
                     "- resources: [secrets]\n  providers:\n  - identity: {}\n",
                 "error while building transformers: resource \"secrets\" is masked by earlier rule \"*.\"");
    expect_error(HDR "resources:\n- resources: ['*.*']\n  providers:\n  - identity: {}\n"
                     "- resources: [deployments.apps]\n  providers:\n  - identity: {}\n",
                 "error while building transformers: resource \"deployments.apps\" is masked by earlier rule "
                 "\"*.*\"");
    expect_error(HDR "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n"
                     "      name: plugin\n      endpoint: unix:///tmp/kms.sock\n",
                 "error while building transformers: kms providers are not supported by kapi (use aescbc, aesgcm, "
                 "secretbox or identity)");
    /* accepted: a resource in two entries, later wildcard after specific */
    expect_error(HDR "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n"
                     "- resources: [secrets, '*.']\n  providers:\n  - identity: {}\n",
                 "error while parsing file: resources[1].resources: Invalid value: []string{\"secrets\", \"*.\"}: "
                 "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed "
                 "as they will be masked");
    expect_error(HDR "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n"
                     "- resources: ['*.']\n  providers:\n  - identity: {}\n",
                 "");
}

static void test_config_file_errors(void **state)
{
    reset_db();
    char want[1024];
    write_config("");
    struct kapi_store *raw = open_raw();
    char err[1024] = "";
    assert_null(kapi_encrypt_wrap(raw, cfg_path, err, sizeof(err)));
    snprintf(want, sizeof(want),
             "error while parsing file: error while loading file: encryption provider configuration file \"%s\" is "
             "empty",
             cfg_path);
    assert_string_equal(err, want);
    assert_null(kapi_encrypt_wrap(raw, "/nonexistent/enc.yaml", err, sizeof(err)));
    assert_string_equal(err, "error while parsing file: error while loading file: error reading encryption provider "
                             "configuration file \"/nonexistent/enc.yaml\": open /nonexistent/enc.yaml: No such file "
                             "or directory");
    write_config("apiVersion: v1\nkind: ConfigMap\n");
    assert_null(kapi_encrypt_wrap(raw, cfg_path, err, sizeof(err)));
    assert_true(strstr(err, "no kind \"ConfigMap\" is registered for version \"v1\"") != NULL);
    kapi_store_close(raw); /* a failed wrap leaves the store with the caller */
}

/* ---- the shared suite through the wrapper, on encrypted keys ---- */

static struct kapi_store *enc_suite_open(void *arg)
{
    write_config(HDR "resources:\n- resources: [secrets]\n  providers:\n"
                     "  - aesgcm:\n      keys:\n      - name: key1\n        secret: " K32 "\n");
    char err[1024] = "";
    struct kapi_store *raw = kapi_sqlite_open(test_dir, err, sizeof(err));
    if (!raw)
        return NULL;
    struct kapi_store *s = kapi_encrypt_wrap(raw, cfg_path, err, sizeof(err));
    if (!s) {
        print_error("kapi_encrypt_wrap: %s\n", err);
        kapi_store_close(raw);
    }
    return s;
}

static void enc_suite_reset(void *arg)
{
    reset_db();
}

static const struct store_suite enc_suite = {
    .prefix = "/registry/secrets/suite/",
    .open_fn = enc_suite_open,
    .reset = enc_suite_reset,
};

/* The suite's own keys really are stored encrypted. */
static void test_suite_keys_encrypted(void **state)
{
    struct kapi_store *s = *state;
    put(s, KAPI_WRITE_CREATE, "/registry/secrets/suite/x", "hello");
    size_t len;
    unsigned char *raw = raw_value("/registry/secrets/suite/x", &len);
    assert_memory_equal(raw, "k8s:enc:aesgcm:v1:key1:", 23);
    free(raw);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(test_dir, sizeof(test_dir), "%s/kapi-encrypt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(test_dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(test_db, sizeof(test_db), "%s/kapi.db", test_dir);
    snprintf(cfg_path, sizeof(cfg_path), "%s/enc.yaml", test_dir);
    if (sodium_init() < 0)
        return 1;
    store_suite = &enc_suite;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_each_provider),
        cmocka_unit_test(test_json_config_and_unlisted_resource),
        cmocka_unit_test(test_key_rotation),
        cmocka_unit_test(test_identity_and_plaintext),
        cmocka_unit_test(test_aesgcm_binds_key),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_write_results_and_cas),
        cmocka_unit_test(test_watch_unreadable_ends),
        cmocka_unit_test(test_config_validation),
        cmocka_unit_test(test_config_file_errors),
        STORE_SUITE_TESTS,
        STORE_SUITE_TEST(test_suite_keys_encrypted),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    reset_db();
    unlink(cfg_path);
    rmdir(test_dir);
    return rc;
}
