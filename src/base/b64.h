/* b64: base64 exactly as Go's encoding/base64 reads and writes it -- the one
 * implementation kapi has. The four Go encodings are flag combinations:
 * StdEncoding (0), URLEncoding (KAPI_B64_URL), RawStdEncoding (KAPI_B64_RAW)
 * and RawURLEncoding (KAPI_B64_URL | KAPI_B64_RAW); KAPI_B64_STRICT is Go's
 * Strict() variant. Decoding follows Go's non-strict rules unless asked:
 * CR and LF are skipped anywhere (also between and after the '=' padding),
 * the padded encodings need the padding, the raw ones refuse '=', and the
 * unused low bits of the last character may be non-zero. A failure reports
 * the input offset Go's CorruptInputError carries, so callers can print
 * Go's "illegal base64 data at input byte N". */
#ifndef KAPI_B64_H
#define KAPI_B64_H

#include <stdbool.h>
#include <stddef.h>

struct kapi_pool;

enum {
    KAPI_B64_URL = 1,    /* '-' and '_' for values 62 and 63 instead of '+' and '/' */
    KAPI_B64_RAW = 2,    /* no '=' padding: encoding writes none, decoding refuses it */
    KAPI_B64_STRICT = 4, /* decoding: the unused bits of the last character must be zero */
};

/* Characters the encoding of n bytes takes (no NUL). */
size_t kapi_b64_encoded_len(size_t n, int flags);
/* Writes the encoding of p[0..n) and a NUL to out, which holds
 * kapi_b64_encoded_len(n, flags) + 1 bytes. Returns the length. */
size_t kapi_b64_encode(char *out, const void *p, size_t n, int flags);
/* The encoding as a NUL-terminated pool string. */
char *kapi_b64_encode_pool(struct kapi_pool *pool, const void *p, size_t n, int flags);

/* Bytes an output buffer needs to decode n input characters: the most any
 * n characters decode to, plus the NUL kapi_b64_decode appends. */
size_t kapi_b64_decode_size(size_t n);
/* Decodes s[0..n) into out (kapi_b64_decode_size(n) bytes), NUL-terminated.
 * Returns 0 and sets *outlen, or -1 and sets *bad (when not NULL) to the
 * offset Go reports; out's contents are then unspecified. */
int kapi_b64_decode(void *out, const char *s, size_t n, int flags, size_t *outlen, size_t *bad);
/* The same into a pool buffer: NULL on malformed input. */
unsigned char *kapi_b64_decode_pool(struct kapi_pool *pool, const char *s, size_t n, int flags, size_t *outlen,
                                    size_t *bad);

#endif
