/* Fuzz target: base/b64. For every encoding the decoder stays inside the
 * buffer kapi_b64_decode_size promises (exact-size heap buffers, so ASan
 * sees any overrun); an error offset lies inside the input; strict mode
 * accepts a subset of what non-strict accepts, with the same bytes; and
 * whatever decodes re-encodes to text that decodes (strictly) to the same
 * bytes. The input is also encoded and must round-trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"

static unsigned char *decode(const char *s, size_t n, int flags, size_t *len, size_t *bad, int *rc)
{
    unsigned char *out = malloc(kapi_b64_decode_size(n));
    *rc = kapi_b64_decode(out, s, n, flags, len, bad);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    for (int f = 0; f < 4; f++) {
        size_t len = 0, bad = 0, slen = 0, sbad = 0;
        int rc, src;
        unsigned char *out = decode(s, size, f, &len, &bad, &rc);
        unsigned char *sout = decode(s, size, f | KAPI_B64_STRICT, &slen, &sbad, &src);
        if (rc < 0 && bad > size)
            abort();
        if (src == 0 && (rc != 0 || slen != len || memcmp(sout, out, len) != 0))
            abort();
        if (rc == 0) {
            if (out[len] != 0)
                abort();
            size_t elen = kapi_b64_encoded_len(len, f);
            char *enc = malloc(elen + 1);
            if (kapi_b64_encode(enc, out, len, f) != elen || strlen(enc) != elen)
                abort();
            size_t back = 0;
            unsigned char *again = decode(enc, elen, f | KAPI_B64_STRICT, &back, NULL, &rc);
            if (rc != 0 || back != len || memcmp(again, out, len) != 0)
                abort();
            free(again);
            free(enc);
        }
        free(sout);
        free(out);

        size_t elen = kapi_b64_encoded_len(size, f), back = 0;
        char *enc = malloc(elen + 1);
        kapi_b64_encode(enc, data, size, f);
        unsigned char *dec = decode(enc, elen, f | KAPI_B64_STRICT, &back, NULL, &rc);
        if (rc != 0 || back != size || memcmp(dec, data, size) != 0)
            abort();
        free(dec);
        free(enc);
    }
    return 0;
}
