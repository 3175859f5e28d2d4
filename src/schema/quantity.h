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

/* upstream's resource.Quantity for the text s[0..len) (trimmed), as
 * ParseQuantity builds it and, with round_milli, as the v1 defaults'
 * RoundUp(-3) of every ResourceList leaves it (SetDefaults_ResourceList).
 * Returns -1 for malformed text; else *milli is its MilliValue() with
 * upstream's int64 wrap-around, and *repr (when repr is not NULL) its Go
 * %#v, e.g. resource.Quantity{i:resource.int64Amount{value:15, scale:-1},
 * d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}.
 * An *inf.Dec (the arbitrary precision path: more than 18 digits, finer than
 * 1n, a fractional binary amount) prints as (*inf.Dec)(0xc000000000), a fixed
 * stand-in for the address Go shows. */
int kapi_quantity_go(struct kapi_pool *pool, const char *s, size_t len, bool round_milli, int64_t *milli,
                     const char **repr);

/* The text a quantity was written with, for the messages above: the typed
 * check (schema/typed) replaces a non-canonical quantity by a new value with
 * the canonical text and notes the old text here; the defaults note what
 * they rewrite or copy. Entries live in a small table hung off the pool and
 * exist only for rewritten quantities. */
struct kapi_value;
void kapi_quantity_note_original(struct kapi_pool *pool, const struct kapi_value *v, const char *text,
                                 size_t len);
/* The noted text of v, or NULL: v's own text is the original. */
const char *kapi_quantity_original(const struct kapi_pool *pool, const struct kapi_value *v);
/* dst (a rewrite or copy of src) takes src's original text: src's noted one,
 * or src's own text when dst's differs. */
void kapi_quantity_carry_original(struct kapi_pool *pool, const struct kapi_value *dst,
                                  const struct kapi_value *src);

#endif
