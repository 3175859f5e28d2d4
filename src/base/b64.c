/* b64: Go-compatible base64 (see b64.h). Decoding works in quanta of four
 * characters as Go's decoder does, which is what fixes the error offsets:
 * a bad character is reported where it stands, a short final quantum at
 * the offset of its first character, a missing second '=' at the end of
 * the input, and anything after the padding where it starts. */
#include "b64.h"

#include <stdint.h>

#include "base.h"

static const char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t kapi_b64_encoded_len(size_t n, int flags)
{
    if (flags & KAPI_B64_RAW)
        return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    return (n + 2) / 3 * 4;
}

size_t kapi_b64_encode(char *out, const void *data, size_t n, int flags)
{
    const unsigned char *p = data;
    const char *tab = flags & KAPI_B64_URL ? url_alphabet : std_alphabet;
    size_t o = 0, i = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = tab[w >> 18];
        out[o++] = tab[(w >> 12) & 63];
        out[o++] = tab[(w >> 6) & 63];
        out[o++] = tab[w & 63];
    }
    if (i < n) {
        uint32_t w = (uint32_t)p[i] << 16 | (n - i == 2 ? (uint32_t)p[i + 1] << 8 : 0);
        out[o++] = tab[w >> 18];
        out[o++] = tab[(w >> 12) & 63];
        if (n - i == 2)
            out[o++] = tab[(w >> 6) & 63];
        if (!(flags & KAPI_B64_RAW)) {
            if (n - i == 1)
                out[o++] = '=';
            out[o++] = '=';
        }
    }
    out[o] = 0;
    return o;
}

char *kapi_b64_encode_pool(struct kapi_pool *pool, const void *p, size_t n, int flags)
{
    char *out = kapi_pool_alloc(pool, kapi_b64_encoded_len(n, flags) + 1);
    kapi_b64_encode(out, p, n, flags);
    return out;
}

size_t kapi_b64_decode_size(size_t n)
{
    /* a quantum of c characters yields c - 1 bytes, four yield three */
    return n / 4 * 3 + n % 4 * 3 / 4 + 1;
}

static int value_of(unsigned char c, int flags)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (flags & KAPI_B64_URL ? '-' : '+'))
        return 62;
    if (c == (flags & KAPI_B64_URL ? '_' : '/'))
        return 63;
    return -1;
}

static bool newline(char c)
{
    return c == '\n' || c == '\r';
}

static int corrupt(size_t *bad, size_t at)
{
    if (bad)
        *bad = at;
    return -1;
}

int kapi_b64_decode(void *out, const char *s, size_t n, int flags, size_t *outlen, size_t *bad)
{
    unsigned char *o = out;
    bool padded = !(flags & KAPI_B64_RAW);
    size_t on = 0, si = 0;
    for (;;) {
        unsigned char q[4] = {0, 0, 0, 0};
        size_t j = 0, trailing = 0;
        bool garbage = false;
        while (j < 4) {
            if (si == n) {
                if (j == 0)
                    goto done;
                if (j == 1 || padded)
                    return corrupt(bad, si - j);
                break;
            }
            unsigned char c = (unsigned char)s[si++];
            int v = value_of(c, flags);
            if (v >= 0) {
                q[j++] = (unsigned char)v;
                continue;
            }
            if (newline((char)c))
                continue;
            if (c != '=' || !padded || j < 2)
                return corrupt(bad, si - 1);
            if (j == 2) { /* the second '=' must follow, line breaks aside */
                while (si < n && newline(s[si]))
                    si++;
                if (si == n)
                    return corrupt(bad, n);
                if (s[si] != '=')
                    return corrupt(bad, si - 1);
                si++;
            }
            while (si < n && newline(s[si]))
                si++;
            if (si < n) { /* reported after the strict check, as Go does */
                garbage = true;
                trailing = si;
            }
            break;
        }
        uint32_t w = (uint32_t)q[0] << 18 | (uint32_t)q[1] << 12 | (uint32_t)q[2] << 6 | q[3];
        if (flags & KAPI_B64_STRICT) {
            if (j == 3 && (w & 0xff))
                return corrupt(bad, si - 1);
            if (j == 2 && (w & 0xffff))
                return corrupt(bad, si - 2);
        }
        if (garbage)
            return corrupt(bad, trailing);
        o[on++] = (unsigned char)(w >> 16);
        if (j >= 3)
            o[on++] = (unsigned char)(w >> 8);
        if (j == 4)
            o[on++] = (unsigned char)w;
        else
            break; /* padding or the end of raw input closed the data */
    }
done:
    o[on] = 0;
    *outlen = on;
    return 0;
}

unsigned char *kapi_b64_decode_pool(struct kapi_pool *pool, const char *s, size_t n, int flags, size_t *outlen,
                                    size_t *bad)
{
    unsigned char *out = kapi_pool_alloc(pool, kapi_b64_decode_size(n));
    return kapi_b64_decode(out, s, n, flags, outlen, bad) == 0 ? out : NULL;
}
