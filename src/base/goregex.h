/* goregex: regular expressions with Go's regexp syntax and RE2's guarantees,
 * for the user-supplied patterns kube-apiserver interprets with Go (CRD
 * schema `pattern`). The syntax is checked here exactly as Go's parser
 * checks it (same error texts, same 1000-copy repetition limit); matching is
 * done by PCRE2's DFA matcher, which keeps no backtracking state, so time is
 * bounded by input length times pattern size and memory by the pattern.
 * Compiled expressions are immutable and may be shared between threads. */
#ifndef KAPI_GOREGEX_H
#define KAPI_GOREGEX_H

#include <stddef.h>

struct kapi_goregex;

/* Compiles pat (len bytes). On failure returns NULL and sets *err to a
 * malloc'd message in Go's form: "error parsing regexp: <what>: `<expr>`". */
struct kapi_goregex *kapi_goregex_compile(const char *pat, size_t len, char **err);
/* 1 when s (len bytes) contains a match, 0 when not, -1 when the matcher
 * gave up (its workspace limit was reached). */
int kapi_goregex_match(const struct kapi_goregex *re, const char *s, size_t len);
/* Bytes the compiled form occupies (for callers that budget many patterns). */
size_t kapi_goregex_size(const struct kapi_goregex *re);
void kapi_goregex_free(struct kapi_goregex *re); /* NULL is a no-op */

#endif
