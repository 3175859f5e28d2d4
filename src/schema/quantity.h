/* schema/quantity: Kubernetes resource quantities ("100m", "1Gi", "1e3").
 * Parses a quantity exactly as upstream's resource.ParseQuantity does and
 * produces the string upstream writes back (Quantity.String / MarshalJSON),
 * including its rounding (up to 1n), its cap for binary amounts and its
 * habit of keeping the caller's text when that text is already canonical. */
#ifndef KAPI_QUANTITY_H
#define KAPI_QUANTITY_H

#include "../base/base.h"

/* upstream's error texts (resource.ErrFormatInvalid, ErrNumeric, ErrSuffix) */
#define KAPI_QUANTITY_ERR_FORMAT \
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define KAPI_QUANTITY_ERR_NUMERIC "unable to parse numeric part of quantity"
#define KAPI_QUANTITY_ERR_SUFFIX "unable to parse quantity's suffix"

/* Canonical form of the quantity s[0..len) (no surrounding spaces; trim as
 * the caller's decoder does). On success returns 0 and *out (pool-allocated,
 * NUL-terminated) holds the string upstream would serialize; on malformed
 * input returns -1 and *err points to one of the KAPI_QUANTITY_ERR_* texts. */
int kapi_quantity_canonical(struct kapi_pool *pool, const char *s, size_t len,
                            const char **out, const char **err);

/* Whether s[0..len) is a plain integer with a suffix that
 * kapi_quantity_canonical would give back unchanged ("100m", "128Mi",
 * "3"), decided without parsing; false means "ask kapi_quantity_canonical",
 * not "not canonical". */
bool kapi_quantity_plain_canonical(const char *s, size_t len);

#endif
