/* registry/validation/pod_more: the parts of a PodSpec beyond names, ports,
 * env, mounts and resources: probes and lifecycle handlers, container and
 * pod security contexts (with windowsOptions), affinity, tolerations,
 * topology spread constraints, hostProcess, hostUsers and the spec.os
 * rules, and the pod annotation rules (mirror pod, seccomp, AppArmor). Paths,
 * texts and order follow kube-apiserver 1.33's ValidatePodSpec; core.c calls
 * in at the matching points. */
#include "validation_int.h"
#include "../gates.h"

#include "../../codec/json.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char MSG_ID_RANGE[] = "must be between 0 and 2147483647, inclusive";

/* A Go pointer field inside a %#v struct: the address is not knowable, so a
 * fixed stand-in is printed for set fields (docs/internals/validation.md). */
static void go_ptr_field(struct kapi_buf *b, bool first, const char *name, const char *type, bool set)
{
    kapi_buf_printf(b, "%s%s:(*%s)(%s)", first ? "" : ", ", name, type, set ? "0xc000000000" : "nil");
}

static const char *go_security_context(struct kv_ctx *c, const struct kapi_value *sc)
{
    static const struct {
        const char *json, *go, *type;
    } fields[] = {
        {"capabilities", "Capabilities", "core.Capabilities"},
        {"privileged", "Privileged", "bool"},
        {"seLinuxOptions", "SELinuxOptions", "core.SELinuxOptions"},
        {"windowsOptions", "WindowsOptions", "core.WindowsSecurityContextOptions"},
        {"runAsUser", "RunAsUser", "int64"},
        {"runAsGroup", "RunAsGroup", "int64"},
        {"runAsNonRoot", "RunAsNonRoot", "bool"},
        {"readOnlyRootFilesystem", "ReadOnlyRootFilesystem", "bool"},
        {"allowPrivilegeEscalation", "AllowPrivilegeEscalation", "bool"},
        {"procMount", "ProcMount", "core.ProcMountType"},
        {"seccompProfile", "SeccompProfile", "core.SeccompProfile"},
        {"appArmorProfile", "AppArmorProfile", "core.AppArmorProfile"},
    };
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "core.SecurityContext{");
    for (size_t i = 0; i < N(fields); i++)
        go_ptr_field(&b, i == 0, fields[i].go, fields[i].type, kv_get(sc, fields[i].json) != NULL);
    kapi_buf_putc(&b, '}');
    char *s = kapi_pool_strndup(c->pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

static const char *go_seccomp(struct kv_ctx *c, const struct kapi_value *sp)
{
    const char *t = kv_str0(sp, "type");
    return kapi_pool_printf(c->pool, "core.SeccompProfile{Type:%s, LocalhostProfile:(*string)(%s)}",
                            kapi_go_quote(c->pool, t, strlen(t)), kv_get(sp, "localhostProfile") ? "0xc000000000" : "nil");
}

/* ---- Handlers (probes and lifecycle hooks). */

/* An IntOrString port of a handler: number range or IANA port name. */
static void port_num_or_name(struct kv_ctx *c, const struct kapi_value *port, const char *fld)
{
    if (port && port->type == KAPI_V_STRING)
        kv_port_name_msgs(c, fld, port->u.str.s);
    else
        kv_port_num(c, fld, port && port->type == KAPI_V_INT ? port->u.i : 0);
}

static bool http_header_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

static void http_get(struct kv_ctx *c, const struct kapi_value *h, const char *fld)
{
    if (!*kv_str0(h, "path"))
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.path", fld), "");
    port_num_or_name(c, kv_get(h, "port"), kv_path(c, "%s.port", fld));
    static const char *const schemes[] = {"HTTP", "HTTPS"};
    const char *scheme = kv_str0(h, "scheme");
    if (!kv_in(scheme, schemes, N(schemes)))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.scheme", fld), scheme, schemes, N(schemes));
    const struct kapi_value *hdrs = kv_get(h, "httpHeaders");
    for (size_t i = 0; i < kv_len(hdrs); i++) {
        const char *name = kv_str0(kv_item(hdrs, i), "name");
        if (!http_header_name_ok(name))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.httpHeaders", fld), name,
                              "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. "
                              "'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')");
    }
}

/* Exactly one of exec/httpGet/tcpSocket/grpc (probes) or
 * exec/httpGet/tcpSocket/sleep (lifecycle), checked in that order. */
static void handler(struct kv_ctx *c, const struct kapi_value *h, const char *fld, bool lifecycle,
                    const int64_t *grace)
{
    const char *const kinds[] = {"exec", "httpGet", "tcpSocket", lifecycle ? "sleep" : "grpc"};
    int n = 0;
    for (size_t k = 0; k < N(kinds); k++) {
        const struct kapi_value *a = kv_get(h, kinds[k]);
        if (!a)
            continue;
        const char *p = kv_path(c, "%s.%s", fld, kinds[k]);
        if (n > 0) {
            kapi_ferr_forbidden(c->pool, c->errs, p, "may not specify more than 1 handler type");
            continue;
        }
        n++;
        if (k == 0) {
            if (kv_len(kv_get(a, "command")) == 0)
                kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.command", p), "");
        } else if (k == 1) {
            http_get(c, a, p);
        } else if (k == 2) {
            port_num_or_name(c, kv_get(a, "port"), kv_path(c, "%s.port", p));
        } else if (!lifecycle) {
            int64_t port = 0;
            kv_int(a, "port", &port);
            kv_port_num(c, kv_path(c, "%s.port", p), port);
        } else {
            /* 1.33: PodLifecycleSleepActionAllowZero is on, so 0 is fine */
            int64_t secs = 0;
            kv_int(a, "seconds", &secs);
            if (grace && (secs < 0 || secs > *grace))
                kapi_ferr_invalid_int(c->pool, c->errs, p, secs,
                                      kapi_pool_printf(c->pool,
                                                       "must be non-negative and less than "
                                                       "terminationGracePeriodSeconds (%lld)",
                                                       (long long)*grace));
        }
    }
    if (n == 0)
        kapi_ferr_required(c->pool, c->errs, fld, "must specify a handler type");
}

enum probe_kind { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP };

static void probe(struct kv_ctx *c, const struct kapi_value *p, const char *fld, enum probe_kind kind)
{
    if (!p)
        return;
    handler(c, p, fld, false, NULL);
    static const char *const nonneg[] = {"initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                                         "successThreshold", "failureThreshold"};
    for (size_t i = 0; i < N(nonneg); i++)
        kv_nonneg(c, fld, p, nonneg[i]);
    int64_t tg;
    bool has_tg = kv_int(p, "terminationGracePeriodSeconds", &tg);
    if (has_tg && tg <= 0)
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.terminationGracePeriodSeconds", fld), tg,
                              "must be greater than 0");
    if (kind == PROBE_READINESS) {
        if (has_tg)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.terminationGracePeriodSeconds", fld), tg,
                                  "must not be set for readinessProbes");
    } else {
        int64_t st = 0;
        kv_int(p, "successThreshold", &st);
        if (st != 1)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.successThreshold", fld), st, "must be 1");
    }
}

void kv_container_probes(struct kv_ctx *c, const struct kapi_value *ct, const char *fld, bool init,
                         const int64_t *grace)
{
    const struct kapi_value *rp = kv_get(ct, "restartPolicy");
    bool restart_always = false;
    if (init && rp) {
        static const char *const always[] = {"Always"};
        const char *s = kapi_value_cstr(rp);
        restart_always = s && !strcmp(s, "Always");
        if (!restart_always)
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.restartPolicy", fld), s ? s : "", always, 1);
    }
    static const char *const keys[] = {"lifecycle", "livenessProbe", "readinessProbe", "startupProbe"};
    if (init && !restart_always) {
        for (size_t i = 0; i < N(keys); i++)
            if (kv_get(ct, keys[i]))
                kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.%s", fld, keys[i]),
                                    "may not be set for init containers without restartPolicy=Always");
        return;
    }
    const struct kapi_value *lc = kv_get(ct, "lifecycle");
    if (lc) {
        if (kv_get(lc, "postStart"))
            handler(c, kv_get(lc, "postStart"), kv_path(c, "%s.lifecycle.postStart", fld), true, grace);
        if (kv_get(lc, "preStop"))
            handler(c, kv_get(lc, "preStop"), kv_path(c, "%s.lifecycle.preStop", fld), true, grace);
    }
    probe(c, kv_get(ct, "livenessProbe"), kv_path(c, "%s.livenessProbe", fld), PROBE_LIVENESS);
    probe(c, kv_get(ct, "readinessProbe"), kv_path(c, "%s.readinessProbe", fld), PROBE_READINESS);
    probe(c, kv_get(ct, "startupProbe"), kv_path(c, "%s.startupProbe", fld), PROBE_STARTUP);
    if (!init && rp)
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.restartPolicy", fld),
                            "may not be set for non-init containers");
}

/* ---- Security contexts. */

static void id_range(struct kv_ctx *c, const struct kapi_value *o, const char *key, const char *fld)
{
    int64_t v;
    if (kv_int(o, key, &v) && (v < 0 || v > 2147483647))
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.%s", fld, key), v, MSG_ID_RANGE);
}

/* A path that stays below its base: not absolute, no ".." element. */
void kv_local_descending_path(struct kv_ctx *c, const char *p, const char *fld)
{
    if (p[0] == '/')
        kapi_ferr_invalid(c->pool, c->errs, fld, p, "must be a relative path");
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            kapi_ferr_invalid(c->pool, c->errs, fld, p, "must not contain '..'");
            break;
        }
        s += n + (e ? 1 : 0);
    }
}

static void seccomp_profile(struct kv_ctx *c, const struct kapi_value *sp, const char *fld)
{
    if (!sp)
        return;
    static const char *const types[] = {"Localhost", "RuntimeDefault", "Unconfined"};
    const char *t = kv_str0(sp, "type");
    const char *tp = kv_path(c, "%s.type", fld);
    if (!*t)
        kapi_ferr_required(c->pool, c->errs, tp, "type is required when seccompProfile is set");
    else if (!kv_in(t, types, N(types)))
        kapi_ferr_not_supported(c->pool, c->errs, tp, t, types, N(types));
    const char *lp = kv_str(sp, "localhostProfile");
    const char *lpp = kv_path(c, "%s.localhostProfile", fld);
    if (!strcmp(t, "Localhost")) {
        if (!lp)
            kapi_ferr_required(c->pool, c->errs, lpp, "must be set when seccomp type is Localhost");
        else
            kv_local_descending_path(c, lp, lpp);
    } else if (lp) {
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, lpp, go_seccomp(c, sp),
                      "can only be set when seccomp type is Localhost");
    }
}

static void apparmor_profile(struct kv_ctx *c, const struct kapi_value *ap, const char *fld)
{
    if (!ap)
        return;
    const char *t = kv_str0(ap, "type");
    const char *lp = kv_str(ap, "localhostProfile");
    const char *lpp = kv_path(c, "%s.localhostProfile", fld);
    static const char *const types[] = {"Localhost", "RuntimeDefault", "Unconfined"};
    if (!strcmp(t, "Localhost")) {
        if (!lp) {
            kapi_ferr_required(c->pool, c->errs, lpp, "must be set when AppArmor type is Localhost");
        } else {
            size_t n = strlen(lp), a = 0, z = n;
            while (a < n && strchr(" \t\n\r\v\f", lp[a]))
                a++;
            while (z > a && strchr(" \t\n\r\v\f", lp[z - 1]))
                z--;
            if (a != 0 || z != n)
                kapi_ferr_invalid(c->pool, c->errs, lpp, lp, "must not be padded with whitespace");
            else if (n == 0)
                kapi_ferr_required(c->pool, c->errs, lpp, "must be set when AppArmor type is Localhost");
            if (n > 4095)
                kapi_ferr_too_long(c->pool, c->errs, lpp, 4095);
        }
    } else if (!strcmp(t, "RuntimeDefault") || !strcmp(t, "Unconfined")) {
        if (lp)
            kapi_ferr_invalid(c->pool, c->errs, lpp, lp, "can only be set when AppArmor type is Localhost");
    } else if (!*t) {
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.type", fld), "type is required when appArmorProfile is set");
    } else {
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.type", fld), t, types, N(types));
    }
}

/* ---- Windows options (validateWindowsSecurityContextOptions). */

/* Go's regexp walks a string by runes: one rune per valid UTF-8 sequence,
 * one per byte that does not start one. Returns the byte length of the rune
 * at s (n > 0 bytes left). */
static size_t go_rune_len(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF)
        len = 2;
    else if (b >= 0xE0 && b <= 0xEF)
        len = 3;
    else if (b >= 0xF0 && b <= 0xF4)
        len = 4;
    else
        return 1;
    if (b == 0xE0)
        lo = 0xA0;
    else if (b == 0xED)
        hi = 0x9F;
    else if (b == 0xF0)
        lo = 0x90;
    else if (b == 0xF4)
        hi = 0x8F;
    if (n < len || s[1] < lo || s[1] > hi)
        return 1;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 1;
    return len;
}

/* A NetBIOS domain: 1 to 15 runes, none of \ / : * ? " < > |, not starting with a dot. */
static bool netbios_domain(const char *d, size_t n)
{
    static const char bad[] = "\\/:*?\"<>|";
    size_t runes = 0;
    for (size_t i = 0; i < n;) {
        size_t l = go_rune_len((const unsigned char *)d + i, n - i);
        if (l == 1 && (memchr(bad, d[i], sizeof(bad) - 1) || (runes == 0 && d[i] == '.')))
            return false;
        runes++;
        i += l;
    }
    return runes >= 1 && runes <= 15;
}

static bool alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* A DNS domain: dot-separated labels of 1 to 63 letters, digits and
 * hyphens, starting and ending with a letter or digit (either case). */
static bool dns_domain(const char *d, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && d[i] != '.')
            continue;
        size_t l = i - start;
        if (l == 0 || l > 63 || !alnum(d[start]) || !alnum(d[i - 1]))
            return false;
        for (size_t k = start; k < i; k++)
            if (!alnum(d[k]) && d[k] != '-')
                return false;
        start = i + 1;
    }
    return true;
}

static void run_as_user_name(struct kv_ctx *c, const struct kapi_value *v, const char *fld)
{
    const char *s = v->u.str.s;
    size_t n = v->u.str.len;
    const char *bad = kapi_go_quote(c->pool, s, n);
#define RUN_AS_INVALID(msg) kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, bad, msg)
    if (n == 0) {
        RUN_AS_INVALID("runAsUserName cannot be an empty string");
        return;
    }
    size_t slashes = 0, slash = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7F) {
            RUN_AS_INVALID("runAsUserName cannot contain control characters");
            return;
        }
        if (ch == '\\' && slashes++ == 0)
            slash = i;
    }
    if (slashes > 1) {
        RUN_AS_INVALID("runAsUserName cannot contain more than one backslash");
        return;
    }
    const char *user = slashes ? s + slash + 1 : s;
    size_t dlen = slashes ? slash : 0, ulen = slashes ? n - slash - 1 : n;
    if (dlen >= 256)
        RUN_AS_INVALID("runAsUserName's Domain length must be under 256 characters");
    if (slashes && !netbios_domain(s, dlen) && !dns_domain(s, dlen))
        RUN_AS_INVALID("runAsUserName's Domain doesn't match the NetBios nor the DNS format");
    if (ulen == 0)
        RUN_AS_INVALID("runAsUserName's User cannot be empty");
    else if (ulen > 104)
        RUN_AS_INVALID("runAsUserName's User length must not be longer than 104 characters");
    bool dots = ulen > 0, chars = false;
    for (size_t i = 0; i < ulen; i++) {
        if (user[i] != '.' && user[i] != ' ')
            dots = false;
        if (memchr("\"/\\:;|=,+*?<>@[]", user[i], 16))
            chars = true;
    }
    if (dots)
        RUN_AS_INVALID("runAsUserName's User cannot contain only periods or spaces");
    if (chars)
        RUN_AS_INVALID("runAsUserName's User cannot contain the following characters: \"/\\:;|=,+*?<>@[]");
#undef RUN_AS_INVALID
}

static void windows_options(struct kv_ctx *c, const struct kapi_value *wo, const char *fld)
{
    if (!wo)
        return;
    const char *name = kv_str(wo, "gmsaCredentialSpecName");
    if (name)
        kv_name_msgs(c, kv_path(c, "%s.gmsaCredentialSpecName", fld), name, kapi_is_dns1123_subdomain);
    const struct kapi_value *spec = kv_get(wo, "gmsaCredentialSpec");
    if (spec && spec->type == KAPI_V_STRING) {
        const char *p = kv_path(c, "%s.gmsaCredentialSpec", fld);
        if (spec->u.str.len == 0)
            kapi_ferr_invalid(c->pool, c->errs, p, "", "gmsaCredentialSpec cannot be an empty string");
        else if (spec->u.str.len > 64 * 1024)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, p,
                          kapi_go_quote(c->pool, spec->u.str.s, spec->u.str.len),
                          "gmsaCredentialSpec size must be under 64 KiB");
    }
    const struct kapi_value *user = kv_get(wo, "runAsUserName");
    if (user && user->type == KAPI_V_STRING)
        run_as_user_name(c, user, kv_path(c, "%s.runAsUserName", fld));
}

void kv_container_security_context(struct kv_ctx *c, const struct kapi_value *sc, const char *fld, bool host_users)
{
    if (!sc)
        return;
    id_range(c, sc, "runAsUser", fld);
    id_range(c, sc, "runAsGroup", fld);
    const char *pm = kv_str(sc, "procMount");
    if (pm) {
        static const char *const mounts[] = {"Default", "Unmasked"};
        if (!kv_in(pm, mounts, N(mounts)))
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.procMount", fld), pm, mounts, N(mounts));
        if (host_users && !strcmp(pm, "Unmasked"))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.procMount", fld), pm,
                              "`hostUsers` must be false to use `Unmasked`");
    }
    seccomp_profile(c, kv_get(sc, "seccompProfile"), kv_path(c, "%s.seccompProfile", fld));
    const struct kapi_value *ape = kv_get(sc, "allowPrivilegeEscalation");
    if (ape && ape->type == KAPI_V_BOOL && !ape->u.b) {
        if (kv_bool(sc, "privileged"))
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, go_security_context(c, sc),
                          "cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
        const struct kapi_value *add = kv_get(kv_get(sc, "capabilities"), "add");
        for (size_t i = 0; i < kv_len(add); i++) {
            const char *cap = kapi_value_cstr(kv_item(add, i));
            if (cap && !strcmp(cap, "CAP_SYS_ADMIN"))
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, go_security_context(c, sc),
                              "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN");
        }
    }
    windows_options(c, kv_get(sc, "windowsOptions"), kv_path(c, "%s.windowsOptions", fld));
    apparmor_profile(c, kv_get(sc, "appArmorProfile"), kv_path(c, "%s.appArmorProfile", fld));
}

/* Sysctl names: dot- or slash-separated segments of [a-z0-9]([-_a-z0-9]*[a-z0-9])?. */
static bool sysctl_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    size_t seg = 0;
    char prev = 0;
    for (size_t i = 0; i <= n; i++) {
        char ch = s[i];
        if (ch == '.' || ch == '/' || ch == 0) {
            if (seg == 0 || prev == '-' || prev == '_')
                return false;
            seg = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            seg++;
        } else if (ch == '-' || ch == '_') {
            if (seg == 0)
                return false;
            seg++;
        } else {
            return false;
        }
        prev = ch;
    }
    return true;
}

/* Namespaced sysctls in the net and ipc namespaces (component-helpers' table). */
static bool sysctl_in_net(const char *s)
{
    return !strncmp(s, "net.", 4) || !strncmp(s, "net/", 4);
}

static bool sysctl_in_ipc(const char *s)
{
    static const char *const exact[] = {"kernel.sem", "kernel/sem"};
    static const char *const prefixes[] = {"kernel.shm", "kernel.msg", "fs.mqueue.", "kernel/shm", "kernel/msg",
                                           "fs/mqueue/"};
    if (kv_in(s, exact, N(exact)))
        return true;
    for (size_t i = 0; i < N(prefixes); i++)
        if (!strncmp(s, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

static void pod_security_context(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    const struct kapi_value *sc = kv_get(spec, "securityContext");
    if (!sc)
        return;
    id_range(c, sc, "fsGroup", fld);
    id_range(c, sc, "runAsUser", fld);
    id_range(c, sc, "runAsGroup", fld);
    const struct kapi_value *sg = kv_get(sc, "supplementalGroups");
    for (size_t i = 0; i < kv_len(sg); i++) {
        const struct kapi_value *g = kv_item(sg, i);
        if (g && g->type == KAPI_V_INT && (g->u.i < 0 || g->u.i > 2147483647))
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.supplementalGroups[%zu]", fld, i), g->u.i,
                                  MSG_ID_RANGE);
    }
    /* v1 keeps hostPID/shareProcessNamespace beside securityContext; the
     * internal type (and so the path) has them inside it */
    if (kv_bool(spec, "shareProcessNamespace") && kv_bool(spec, "hostPID"))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.shareProcessNamespace", fld), "true",
                      "ShareProcessNamespace and HostPID cannot both be enabled");
    const struct kapi_value *sys = kv_get(sc, "sysctls");
    for (size_t i = 0; i < kv_len(sys); i++) {
        const char *name = kv_str0(kv_item(sys, i), "name");
        const char *p = kv_path(c, "%s.sysctls[%zu].name", fld, i);
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = !strcmp(kv_str0(kv_item(sys, j), "name"), name);
        if (!*name)
            kapi_ferr_required(c->pool, c->errs, p, "");
        else if (!sysctl_name_ok(name))
            kapi_ferr_invalid(c->pool, c->errs, p, name,
                              "must have at most 253 characters and match regex "
                              "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$");
        else if (dup)
            kapi_ferr_duplicate(c->pool, c->errs, p, name);
        if (kv_bool(spec, "hostNetwork") && sysctl_in_net(name))
            kapi_ferr_invalid(c->pool, c->errs, p, name, "may not be specified when 'hostNetwork' is true");
        else if (kv_bool(spec, "hostIPC") && sysctl_in_ipc(name))
            kapi_ferr_invalid(c->pool, c->errs, p, name, "may not be specified when 'hostIPC' is true");
    }
    const char *fgp = kv_str(sc, "fsGroupChangePolicy");
    static const char *const fgps[] = {"Always", "OnRootMismatch"};
    if (fgp && !kv_in(fgp, fgps, N(fgps)))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.fsGroupChangePolicy", fld), fgp, fgps, N(fgps));
    seccomp_profile(c, kv_get(sc, "seccompProfile"), kv_path(c, "%s.seccompProfile", fld));
    windows_options(c, kv_get(sc, "windowsOptions"), kv_path(c, "%s.windowsOptions", fld));
    apparmor_profile(c, kv_get(sc, "appArmorProfile"), kv_path(c, "%s.appArmorProfile", fld));
    const char *sgp = kv_str(sc, "supplementalGroupsPolicy");
    static const char *const sgps[] = {"Merge", "Strict"};
    if (sgp && !kv_in(sgp, sgps, N(sgps)))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.supplementalGroupsPolicy", fld), sgp, sgps,
                                N(sgps));
    /* validateSELinuxChangePolicy: with SELinuxMount off (1.33's default)
     * only Recursive, unless the stored object already has a policy */
    const char *slp = kv_str(sc, "seLinuxChangePolicy");
    static const char *const slps[] = {"MountOption", "Recursive"};
    size_t nslps = c->allow_any_selinux_change_policy || kapi_gate(KAPI_GATE_SELINUX_MOUNT) ? N(slps) : 1;
    const char *const *allowed = nslps == 1 ? slps + 1 : slps;
    if (slp && !kv_in(slp, allowed, nslps))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.seLinuxChangePolicy", fld), slp, allowed, nslps);
}

bool kv_host_users(const struct kapi_value *spec)
{
    const struct kapi_value *hu = kv_get(spec, "hostUsers");
    return !hu || hu->type != KAPI_V_BOOL || hu->u.b;
}

/* ---- Affinity. */

/* ValidateNodeSelectorRequirement; check_values: each value must be a label
 * value (required node affinity, unless the stored object already broke
 * that rule; preferred terms never check) */
static void node_selector_requirement(struct kv_ctx *c, const struct kapi_value *r, bool check_values,
                                      const char *fld)
{
    const char *op = kv_str0(r, "operator");
    size_t nv = kv_len(kv_get(r, "values"));
    const char *vp = kv_path(c, "%s.values", fld);
    if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
        if (nv == 0)
            kapi_ferr_required(c->pool, c->errs, vp, "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
        if (nv > 0)
            kapi_ferr_forbidden(c->pool, c->errs, vp,
                                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else if (!strcmp(op, "Gt") || !strcmp(op, "Lt")) {
        if (nv != 1)
            kapi_ferr_required(c->pool, c->errs, vp, "must be specified single value when `operator` is 'Lt' or 'Gt'");
    } else {
        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.operator", fld), op, "not a valid selector operator");
    }
    kv_name_msgs(c, kv_path(c, "%s.key", fld), kv_str0(r, "key"), kapi_is_qualified_name);
    const struct kapi_value *vals = kv_get(r, "values");
    for (size_t i = 0; check_values && i < nv; i++) {
        const char *v = kapi_value_cstr(kv_item(vals, i));
        kv_name_msgs(c, kv_path(c, "%s[%zu]", vp, i), v ? v : "", kapi_is_label_value);
    }
}

static size_t node_name_msgs(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    return kapi_name_dns_subdomain(s, false, msgs);
}

static void node_selector_term(struct kv_ctx *c, const struct kapi_value *term, bool check_values, const char *fld)
{
    const struct kapi_value *ex = kv_get(term, "matchExpressions");
    for (size_t i = 0; i < kv_len(ex); i++)
        node_selector_requirement(c, kv_item(ex, i), check_values, kv_path(c, "%s.matchExpressions[%zu]", fld, i));
    const struct kapi_value *mf = kv_get(term, "matchFields");
    for (size_t i = 0; i < kv_len(mf); i++) {
        const struct kapi_value *r = kv_item(mf, i);
        const char *p = kv_path(c, "%s.matchFields[%zu]", fld, i);
        const char *op = kv_str0(r, "operator");
        const struct kapi_value *vals = kv_get(r, "values");
        if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
            if (kv_len(vals) != 1)
                kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.values", p),
                                   "must be only one value when `operator` is 'In' or 'NotIn' for node field selector");
        } else {
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.operator", p), op, "not a valid selector operator");
        }
        const char *key = kv_str0(r, "key");
        if (strcmp(key, "metadata.name")) {
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.key", p), key, "not a valid field selector key");
        } else {
            for (size_t j = 0; j < kv_len(vals); j++) {
                const char *v = kapi_value_cstr(kv_item(vals, j));
                kv_name_msgs(c, kv_path(c, "%s.values[%zu]", p, j), v ? v : "", node_name_msgs);
            }
        }
    }
}

void kv_node_selector(struct kv_ctx *c, const struct kapi_value *ns, const char *fld)
{
    const struct kapi_value *terms = kv_get(ns, "nodeSelectorTerms");
    const char *tp = kv_path(c, "%s.nodeSelectorTerms", fld);
    if (kv_len(terms) == 0) {
        kapi_ferr_required(c->pool, c->errs, tp, "must have at least one node selector term");
        return;
    }
    for (size_t i = 0; i < kv_len(terms); i++)
        node_selector_term(c, kv_item(terms, i), !c->allow_invalid_node_affinity, kv_path(c, "%s[%zu]", tp, i));
}

/* helper.HasInvalidLabelValueInNodeSelectorTerms: a matchExpressions value
 * that is not a label value */
static bool terms_have_invalid_value(const struct kapi_value *terms)
{
    const char *msgs[KAPI_NAME_MSGS_MAX];
    for (size_t i = 0; i < kv_len(terms); i++) {
        const struct kapi_value *ex = kv_get(kv_item(terms, i), "matchExpressions");
        for (size_t j = 0; j < kv_len(ex); j++) {
            const struct kapi_value *vals = kv_get(kv_item(ex, j), "values");
            for (size_t k = 0; k < kv_len(vals); k++) {
                const char *v = kapi_value_cstr(kv_item(vals, k));
                if (kapi_is_label_value(v ? v : "", msgs))
                    return true;
            }
        }
    }
    return false;
}

/* The pod spec of a stored object of kind (GetValidationOptionsFromPodSpecAndMeta
 * / GetValidationOptionsFromPodTemplate take the old template's spec). */
static const struct kapi_value *old_pod_spec(const char *kind, const struct kapi_value *old)
{
    static const char *const templated[] = {"ReplicationController", "Deployment", "ReplicaSet",
                                            "DaemonSet", "StatefulSet", "Job"};
    if (!strcmp(kind, "Pod"))
        return kv_get(old, "spec");
    if (!strcmp(kind, "PodTemplate"))
        return kv_get(kv_get(old, "template"), "spec");
    if (!strcmp(kind, "CronJob"))
        return kv_get(kv_get(kv_get(kv_get(kv_get(old, "spec"), "jobTemplate"), "spec"), "template"), "spec");
    if (kv_in(kind, templated, N(templated)))
        return kv_get(kv_get(kv_get(old, "spec"), "template"), "spec");
    return NULL;
}

/* The metadata beside old_pod_spec's spec (the pod's, or the template's);
 * NULL when the stored object has no template. */
static const struct kapi_value *old_pod_meta(const char *kind, const struct kapi_value *old)
{
    static const char *const templated[] = {"ReplicationController", "Deployment", "ReplicaSet",
                                            "DaemonSet", "StatefulSet", "Job"};
    const struct kapi_value *tmpl = NULL;
    if (!strcmp(kind, "Pod"))
        return kv_get(old, "metadata");
    if (!strcmp(kind, "PodTemplate"))
        tmpl = kv_get(old, "template");
    else if (!strcmp(kind, "CronJob"))
        tmpl = kv_get(kv_get(kv_get(kv_get(old, "spec"), "jobTemplate"), "spec"), "template");
    else if (kv_in(kind, templated, N(templated)))
        tmpl = kv_get(kv_get(old, "spec"), "template");
    return kv_get(tmpl, "metadata");
}

/* Whether sel fails metav1 ValidateLabelSelector with label values checked
 * (run into a scratch list). */
static bool selector_invalid(struct kv_ctx *c, const struct kapi_value *sel)
{
    struct kapi_field_errors scratch = {0}, *keep = c->errs;
    c->errs = &scratch;
    kv_label_selector(c, sel, "");
    c->errs = keep;
    return scratch.len > 0;
}

/* hasInvalidLabelValueInAffinitySelector: a pod (anti-)affinity term whose
 * label or namespace selector does not validate */
static bool affinity_selector_invalid(struct kv_ctx *c, const struct kapi_value *aff)
{
    static const char *const kinds[] = {"podAffinity", "podAntiAffinity"};
    for (size_t k = 0; k < N(kinds); k++) {
        const struct kapi_value *pa = kv_get(aff, kinds[k]);
        const struct kapi_value *req = kv_get(pa, "requiredDuringSchedulingIgnoredDuringExecution");
        const struct kapi_value *pref = kv_get(pa, "preferredDuringSchedulingIgnoredDuringExecution");
        for (size_t i = 0; i < kv_len(req) + kv_len(pref); i++) {
            const struct kapi_value *t =
                i < kv_len(req) ? kv_item(req, i) : kv_get(kv_item(pref, i - kv_len(req)), "podAffinityTerm");
            if (selector_invalid(c, kv_get(t, "labelSelector")) ||
                selector_invalid(c, kv_get(t, "namespaceSelector")))
                return true;
        }
    }
    return false;
}

static bool deletion_cost_valid(const char *v);
static const char DELETION_COST_KEY[] = "controller.kubernetes.io/pod-deletion-cost";

void kv_options_from_old(struct kv_ctx *c, const char *kind, const struct kapi_value *old)
{
    const struct kapi_value *req;
    if (!strcmp(kind, "PersistentVolume")) {
        req = kv_get(kv_get(kv_get(old, "spec"), "nodeAffinity"), "required");
        c->allow_invalid_node_affinity = terms_have_invalid_value(kv_get(req, "nodeSelectorTerms"));
        return;
    }
    const struct kapi_value *spec = old_pod_spec(kind, old);
    req = kv_get(kv_get(kv_get(spec, "affinity"), "nodeAffinity"), "requiredDuringSchedulingIgnoredDuringExecution");
    c->allow_invalid_node_affinity = terms_have_invalid_value(kv_get(req, "nodeSelectorTerms"));
    c->allow_invalid_affinity_selector = affinity_selector_invalid(c, kv_get(spec, "affinity"));
    const struct kapi_value *tscs = kv_get(spec, "topologySpreadConstraints");
    for (size_t i = 0; i < kv_len(tscs) && !c->allow_invalid_spread_selector; i++)
        c->allow_invalid_spread_selector = selector_invalid(c, kv_get(kv_item(tscs, i), "labelSelector"));
    const struct kapi_value *oslp = kv_get(kv_get(spec, "securityContext"), "seLinuxChangePolicy");
    c->allow_any_selinux_change_policy = oslp && oslp->type != KAPI_V_NULL;
    /* PodDeletionCost is on in 1.33: exempt only a stored invalid value */
    const char *dc = kv_str(kv_get(old_pod_meta(kind, old), "annotations"), DELETION_COST_KEY);
    c->allow_invalid_deletion_cost = dc && !deletion_cost_valid(dc);
}

static void weight(struct kv_ctx *c, const struct kapi_value *o, const char *fld)
{
    int64_t w = 0;
    kv_int(o, "weight", &w);
    if (w <= 0 || w > 100)
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.weight", fld), w, "must be in the range 1-100");
}

static size_t ns_name_msgs(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX])
{
    return kapi_name_dns_label(s, false, msgs);
}

static void label_keys(struct kv_ctx *c, const struct kapi_value *keys, const struct kapi_value *sel,
                       const char *fld)
{
    if (kv_len(keys) == 0)
        return;
    if (!sel) {
        kapi_ferr_forbidden(c->pool, c->errs, fld, "must not be specified when labelSelector is not set");
        return;
    }
    for (size_t i = 0; i < kv_len(keys); i++) {
        const char *k = kapi_value_cstr(kv_item(keys, i));
        kv_name_msgs(c, kv_path(c, "%s[%zu]", fld, i), k ? k : "", kapi_is_qualified_name);
    }
}

/* The key set of a label selector before matchExpressions[upto]: every
 * matchLabels key, then the earlier expressions' keys. */
static bool selector_has_key(const struct kapi_value *sel, size_t upto, const char *key)
{
    if (kv_get(kv_get(sel, "matchLabels"), key))
        return true;
    const struct kapi_value *ex = kv_get(sel, "matchExpressions");
    for (size_t i = 0; i < upto && i < kv_len(ex); i++)
        if (!strcmp(kv_str0(kv_item(ex, i), "key"), key))
            return true;
    return false;
}

/* A pod affinity term's matchLabelKeys against its labelSelector, as 1.33
 * does it: only a matchExpressions key that the selector already had (in
 * matchLabels or an earlier expression) counts, it is reported at the term's
 * path indexed by the key's last position in matchLabelKeys. */
static void match_keys_in_selector(struct kv_ctx *c, const struct kapi_value *mk, const struct kapi_value *sel,
                                   const char *fld)
{
    const struct kapi_value *ex = kv_get(sel, "matchExpressions");
    for (size_t i = 0; i < kv_len(ex); i++) {
        const char *key = kv_str0(kv_item(ex, i), "key");
        size_t at = kv_len(mk);
        for (size_t j = kv_len(mk); j-- > 0;) {
            const char *k = kapi_value_cstr(kv_item(mk, j));
            if (k && !strcmp(k, key)) {
                at = j;
                break;
            }
        }
        if (at < kv_len(mk) && selector_has_key(sel, i, key))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s[%zu]", fld, at), key,
                              "exists in both matchLabelKeys and labelSelector");
    }
}

static void pod_affinity_term(struct kv_ctx *c, const struct kapi_value *t, const char *fld)
{
    const struct kapi_value *sel = kv_get(t, "labelSelector");
    /* ValidatePodAffinityTermSelector */
    c->selector_skip_values = c->allow_invalid_affinity_selector;
    kv_label_selector(c, sel, kv_path(c, "%s.labelSelector", fld));
    kv_label_selector(c, kv_get(t, "namespaceSelector"), kv_path(c, "%s.namespaceSelector", fld));
    c->selector_skip_values = false;
    const struct kapi_value *nss = kv_get(t, "namespaces");
    for (size_t i = 0; i < kv_len(nss); i++) {
        const char *ns = kapi_value_cstr(kv_item(nss, i));
        /* upstream reports these under "namespace" (singular) */
        kv_name_msgs(c, kv_path(c, "%s.namespace", fld), ns ? ns : "", ns_name_msgs);
    }
    const struct kapi_value *mk = kv_get(t, "matchLabelKeys"), *mmk = kv_get(t, "mismatchLabelKeys");
    label_keys(c, mk, sel, kv_path(c, "%s.matchLabelKeys", fld));
    label_keys(c, mmk, sel, kv_path(c, "%s.mismatchLabelKeys", fld));
    if (sel)
        match_keys_in_selector(c, mk, sel, fld);
    for (size_t i = 0; i < kv_len(mk); i++) {
        const char *k = kapi_value_cstr(kv_item(mk, i));
        for (size_t j = 0; k && j < kv_len(mmk); j++) {
            const char *m = kapi_value_cstr(kv_item(mmk, j));
            if (m && !strcmp(k, m)) {
                kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.matchLabelKeys[%zu]", fld, i), k,
                                  "exists in both matchLabelKeys and mismatchLabelKeys");
                break;
            }
        }
    }
    const char *tk = kv_str0(t, "topologyKey");
    const char *tkp = kv_path(c, "%s.topologyKey", fld);
    if (!*tk)
        kapi_ferr_required(c->pool, c->errs, tkp, "can not be empty");
    kv_name_msgs(c, tkp, tk, kapi_is_qualified_name);
}

static void pod_affinity(struct kv_ctx *c, const struct kapi_value *pa, const char *fld)
{
    const struct kapi_value *req = kv_get(pa, "requiredDuringSchedulingIgnoredDuringExecution");
    for (size_t i = 0; i < kv_len(req); i++)
        pod_affinity_term(c, kv_item(req, i),
                          kv_path(c, "%s.requiredDuringSchedulingIgnoredDuringExecution[%zu]", fld, i));
    const struct kapi_value *pref = kv_get(pa, "preferredDuringSchedulingIgnoredDuringExecution");
    for (size_t i = 0; i < kv_len(pref); i++) {
        const char *p = kv_path(c, "%s.preferredDuringSchedulingIgnoredDuringExecution[%zu]", fld, i);
        weight(c, kv_item(pref, i), p);
        pod_affinity_term(c, kv_get(kv_item(pref, i), "podAffinityTerm"), kv_path(c, "%s.podAffinityTerm", p));
    }
}

static void affinity(struct kv_ctx *c, const struct kapi_value *aff, const char *fld)
{
    const struct kapi_value *na = kv_get(aff, "nodeAffinity");
    if (na) {
        const char *np = kv_path(c, "%s.nodeAffinity", fld);
        const struct kapi_value *req = kv_get(na, "requiredDuringSchedulingIgnoredDuringExecution");
        if (req)
            kv_node_selector(c, req, kv_path(c, "%s.requiredDuringSchedulingIgnoredDuringExecution", np));
        const struct kapi_value *pref = kv_get(na, "preferredDuringSchedulingIgnoredDuringExecution");
        for (size_t i = 0; i < kv_len(pref); i++) {
            const char *p = kv_path(c, "%s.preferredDuringSchedulingIgnoredDuringExecution[%zu]", np, i);
            weight(c, kv_item(pref, i), p);
            node_selector_term(c, kv_get(kv_item(pref, i), "preference"), false, kv_path(c, "%s.preference", p));
        }
    }
    if (kv_get(aff, "podAffinity"))
        pod_affinity(c, kv_get(aff, "podAffinity"), kv_path(c, "%s.podAffinity", fld));
    if (kv_get(aff, "podAntiAffinity"))
        pod_affinity(c, kv_get(aff, "podAntiAffinity"), kv_path(c, "%s.podAntiAffinity", fld));
}

/* ---- Topology spread constraints. */

/* validateMatchLabelKeysInTopologySpread: label keys, none already in the
 * labelSelector, and a labelSelector to merge them into */
static void match_label_keys_spread(struct kv_ctx *c, const struct kapi_value *t, const char *fld)
{
    const struct kapi_value *mk = kv_get(t, "matchLabelKeys"), *sel = kv_get(t, "labelSelector");
    if (kv_len(mk) == 0)
        return;
    if (!sel)
        kapi_ferr_forbidden(c->pool, c->errs, fld, "must not be specified when labelSelector is not set");
    for (size_t i = 0; i < kv_len(mk); i++) {
        const char *k = kapi_value_cstr(kv_item(mk, i));
        const char *p = kv_path(c, "%s[%zu]", fld, i);
        k = k ? k : "";
        kv_name_msgs(c, p, k, kapi_is_qualified_name);
        if (sel && selector_has_key(sel, SIZE_MAX, k))
            kapi_ferr_invalid(c->pool, c->errs, p, k, "exists in both matchLabelKeys and labelSelector");
    }
}

static void topology_spread(struct kv_ctx *c, const struct kapi_value *tscs, const char *fld)
{
    static const char *const actions[] = {"DoNotSchedule", "ScheduleAnyway"};
    static const char *const policies[] = {"Honor", "Ignore"};
    for (size_t i = 0; i < kv_len(tscs); i++) {
        const struct kapi_value *t = kv_item(tscs, i);
        const char *p = kv_path(c, "%s[%zu]", fld, i);
        int64_t skew = 0;
        kv_int(t, "maxSkew", &skew);
        if (skew <= 0)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.maxSkew", p), skew, "must be greater than zero");
        const char *tk = kv_str0(t, "topologyKey");
        if (!*tk)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.topologyKey", p), "can not be empty");
        const char *wu = kv_str0(t, "whenUnsatisfiable");
        if (!kv_in(wu, actions, N(actions)))
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.whenUnsatisfiable", p), wu, actions,
                                    N(actions));
        for (size_t j = i + 1; j < kv_len(tscs); j++) {
            const struct kapi_value *o = kv_item(tscs, j);
            if (!strcmp(kv_str0(o, "topologyKey"), tk) && !strcmp(kv_str0(o, "whenUnsatisfiable"), wu)) {
                kapi_ferr_duplicate(c->pool, c->errs, kv_path(c, "%s.{topologyKey, whenUnsatisfiable}", p),
                                    kapi_pool_printf(c->pool, "{%s, %s}", tk, wu));
                break;
            }
        }
        int64_t md;
        if (kv_int(t, "minDomains", &md)) {
            const char *mp = kv_path(c, "%s.minDomains", p);
            if (md <= 0)
                kapi_ferr_invalid_int(c->pool, c->errs, mp, md, "must be greater than zero");
            if (strcmp(wu, "DoNotSchedule"))
                kapi_ferr_invalid_int(c->pool, c->errs, mp, md,
                                      kapi_pool_printf(c->pool,
                                                       "can only use minDomains if whenUnsatisfiable=DoNotSchedule, "
                                                       "not %s",
                                                       wu));
        }
        const char *nap = kv_str(t, "nodeAffinityPolicy"), *ntp = kv_str(t, "nodeTaintsPolicy");
        if (nap && !kv_in(nap, policies, N(policies)))
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.nodeAffinityPolicy", p), nap, policies,
                                    N(policies));
        if (ntp && !kv_in(ntp, policies, N(policies)))
            kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.nodeTaintsPolicy", p), ntp, policies,
                                    N(policies));
        match_label_keys_spread(c, t, kv_path(c, "%s.matchLabelKeys", p));
        c->selector_skip_values = c->allow_invalid_spread_selector;
        kv_label_selector(c, kv_get(t, "labelSelector"), kv_path(c, "%s.labelSelector", p));
        c->selector_skip_values = false;
    }
}

/* ---- Tolerations and taints. */

static const char *const TAINT_EFFECTS[] = {"NoSchedule", "PreferNoSchedule", "NoExecute"};

void kv_taint_effect(struct kv_ctx *c, const char *effect, bool allow_empty, const char *fld)
{
    if (!allow_empty && !*effect)
        kapi_ferr_required(c->pool, c->errs, fld, "");
    else if (!kv_in(effect, TAINT_EFFECTS, N(TAINT_EFFECTS)))
        kapi_ferr_not_supported(c->pool, c->errs, fld, effect, TAINT_EFFECTS, N(TAINT_EFFECTS));
}

/* IsValidLabelValue's messages joined with ";" (how tolerations and taints report them). */
const char *kv_label_value_joined(struct kv_ctx *c, const char *v)
{
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t n = kapi_is_label_value(v, msgs);
    if (n == 0)
        return NULL;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_putc(&b, ';');
        kapi_buf_puts(&b, msgs[i]);
    }
    char *s = kapi_pool_strndup(c->pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

static void tolerations(struct kv_ctx *c, const struct kapi_value *tols, const char *fld)
{
    static const char *const ops[] = {"Equal", "Exists"};
    for (size_t i = 0; i < kv_len(tols); i++) {
        const struct kapi_value *t = kv_item(tols, i);
        const char *p = kv_path(c, "%s[%zu]", fld, i);
        const char *key = kv_str0(t, "key"), *op = kv_str0(t, "operator"), *val = kv_str0(t, "value");
        const char *eff = kv_str0(t, "effect");
        const char *opp = kv_path(c, "%s.operator", p);
        if (*key)
            kv_name_msgs(c, kv_path(c, "%s.key", p), key, kapi_is_qualified_name);
        if (!*key && strcmp(op, "Exists"))
            kapi_ferr_invalid(c->pool, c->errs, opp, op,
                              "operator must be Exists when `key` is empty, which means \"match all values and all "
                              "keys\"");
        if (kv_get(t, "tolerationSeconds") && strcmp(eff, "NoExecute"))
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.effect", p), eff,
                              "effect must be 'NoExecute' when `tolerationSeconds` is set");
        if (!*op || !strcmp(op, "Equal")) {
            const char *m = kv_label_value_joined(c, val);
            if (m)
                kapi_ferr_invalid(c->pool, c->errs, opp, val, m);
        } else if (!strcmp(op, "Exists")) {
            if (*val)
                kapi_ferr_invalid(c->pool, c->errs, opp, val, "value must be empty when `operator` is 'Exists'");
        } else {
            kapi_ferr_not_supported(c->pool, c->errs, opp, op, ops, N(ops));
        }
        if (*eff)
            kv_taint_effect(c, eff, true, kv_path(c, "%s.effect", p));
    }
}

/* ---- Entry points used by kv_pod_spec, at upstream's positions. */

void kv_pod_spec_scheduling(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    pod_security_context(c, spec, kv_path(c, "%s.securityContext", fld));
    if (kv_get(spec, "affinity"))
        affinity(c, kv_get(spec, "affinity"), kv_path(c, "%s.affinity", fld));
}

void kv_pod_spec_topology(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    topology_spread(c, kv_get(spec, "topologySpreadConstraints"), kv_path(c, "%s.topologySpreadConstraints", fld));
}

void kv_pod_spec_tolerations(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    tolerations(c, kv_get(spec, "tolerations"), kv_path(c, "%s.tolerations", fld));
}

/* ---- Windows pods: hostProcess (validateWindowsHostProcessPod) and the
 * os.name rules (validateOS, validateLinux, validateWindows). */

static const struct kapi_value *bool_member(const struct kapi_value *o, const char *key)
{
    const struct kapi_value *v = kv_get(o, key);
    return v && v->type == KAPI_V_BOOL ? v : NULL;
}

/* The container lists in upstream's VisitContainersWithPath order. */
static const char *const CONTAINER_LISTS[] = {"initContainers", "containers", "ephemeralContainers"};

void kv_pod_spec_host_process(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    const struct kapi_value *pod = bool_member(kv_get(kv_get(spec, "securityContext"), "windowsOptions"),
                                               "hostProcess");
    size_t count = 0, host = 0;
    for (size_t l = 0; l < N(CONTAINER_LISTS); l++) {
        const struct kapi_value *ctrs = kv_get(spec, CONTAINER_LISTS[l]);
        for (size_t i = 0; i < kv_len(ctrs); i++) {
            const struct kapi_value *ctr = bool_member(
                kv_get(kv_get(kv_item(ctrs, i), "securityContext"), "windowsOptions"), "hostProcess");
            count++;
            if (pod && ctr && pod->u.b != ctr->u.b)
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID,
                              kv_path(c, "%s.%s[%zu].securityContext.windowsOptions.hostProcess", fld,
                                      CONTAINER_LISTS[l], i),
                              ctr->u.b ? "true" : "false",
                              pod->u.b ? "pod hostProcess value must be identical if both are specified, was true"
                                       : "pod hostProcess value must be identical if both are specified, was false");
            if (ctr ? ctr->u.b : pod && pod->u.b)
                host++;
        }
    }
    if (host == 0)
        return;
    if (host != count)
        kapi_ferr_invalid(c->pool, c->errs, fld, "",
                          "If pod contains any hostProcess containers then all containers must be HostProcess containers");
    /* (privileged containers are allowed, so "disallowed by cluster policy" never applies) */
    if (!kv_bool(spec, "hostNetwork"))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.hostNetwork", fld), "false",
                      "hostNetwork must be true if pod contains any hostProcess containers");
}

static void windows_forbidden(struct kv_ctx *c, const struct kapi_value *o, const char *const *keys, size_t n,
                              const char *fld)
{
    for (size_t i = 0; i < n; i++)
        if (kv_get(o, keys[i]))
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.%s", fld, keys[i]),
                                "cannot be set for a windows pod");
}

/* validateWindows: Linux-only settings of the pod and of each container. v1
 * keeps hostUsers, hostPID, hostIPC and shareProcessNamespace beside the
 * securityContext (upstream's internal type has them inside it, which always
 * exists after conversion; the paths are beside it), so the pod checks
 * interleave the two objects. */
static void windows_pod(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    static const char *const before[] = {"appArmorProfile", "seLinuxOptions"};
    static const char *const middle[] = {"seccompProfile", "fsGroup", "fsGroupChangePolicy"};
    static const char *const after[] = {"runAsUser", "runAsGroup", "supplementalGroups", "supplementalGroupsPolicy",
                                        "seLinuxChangePolicy"};
    static const char *const ctr_keys[] = {"appArmorProfile", "seLinuxOptions", "seccompProfile", "capabilities",
                                           "readOnlyRootFilesystem", "privileged", "allowPrivilegeEscalation",
                                           "procMount", "runAsUser", "runAsGroup"};
    const struct kapi_value *sc = kv_get(spec, "securityContext");
    const char *scp = kv_path(c, "%s.securityContext", fld);
    windows_forbidden(c, sc, before, N(before), scp);
    if (kv_get(spec, "hostUsers"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.hostUsers", fld), "cannot be set for a windows pod");
    if (kv_bool(spec, "hostPID"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.hostPID", fld), "cannot be set for a windows pod");
    if (kv_bool(spec, "hostIPC"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.hostIPC", fld), "cannot be set for a windows pod");
    windows_forbidden(c, sc, middle, N(middle), scp);
    if (kv_len(kv_get(sc, "sysctls")) > 0)
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.sysctls", scp), "cannot be set for a windows pod");
    if (kv_get(spec, "shareProcessNamespace"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.shareProcessNamespace", fld),
                            "cannot be set for a windows pod");
    windows_forbidden(c, sc, after, N(after), scp);
    for (size_t l = 0; l < N(CONTAINER_LISTS); l++) {
        const struct kapi_value *ctrs = kv_get(spec, CONTAINER_LISTS[l]);
        for (size_t i = 0; i < kv_len(ctrs); i++) {
            const struct kapi_value *csc = kv_get(kv_item(ctrs, i), "securityContext");
            if (csc)
                windows_forbidden(c, csc, ctr_keys, N(ctr_keys),
                                  kv_path(c, "%s.%s[%zu].securityContext", fld, CONTAINER_LISTS[l], i));
        }
    }
}

/* validateLinux: no windowsOptions anywhere. */
static void linux_pod(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    if (kv_get(kv_get(spec, "securityContext"), "windowsOptions"))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.securityContext.windowsOptions", fld),
                            "windows options cannot be set for a linux pod");
    for (size_t l = 0; l < N(CONTAINER_LISTS); l++) {
        const struct kapi_value *ctrs = kv_get(spec, CONTAINER_LISTS[l]);
        for (size_t i = 0; i < kv_len(ctrs); i++)
            if (kv_get(kv_get(kv_item(ctrs, i), "securityContext"), "windowsOptions"))
                kapi_ferr_forbidden(c->pool, c->errs,
                                    kv_path(c, "%s.%s[%zu].securityContext.windowsOptions", fld, CONTAINER_LISTS[l], i),
                                    "windows options cannot be set for a linux pod");
    }
}

void kv_pod_spec_os(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    const struct kapi_value *os = kv_get(spec, "os");
    if (!os)
        return;
    const char *name = kv_str0(os, "name");
    static const char *const names[] = {"linux", "windows"};
    if (!*name)
        kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.os.name", fld), "cannot be empty");
    else if (!kv_in(name, names, N(names)))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.os", fld), name, names, N(names));
    else if (!strcmp(name, "linux"))
        linux_pod(c, spec, fld);
    else
        windows_pod(c, spec, fld);
}

/* ---- User namespaces (validateHostUsers). */

/* hostUsers false rules out the host namespaces. 1.33 names the internal
 * type in the message and capitalises the hostPID/hostIPC path elements. */
void kv_pod_spec_host_users(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    if (kv_host_users(spec))
        return;
    static const char *const keys[][2] = {{"hostNetwork", "hostNetwork"}, {"hostPID", "HostPID"}, {"hostIPC", "HostIPC"}};
    for (size_t i = 0; i < N(keys); i++)
        if (kv_bool(spec, keys[i][0]))
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.%s", fld, keys[i][1]),
                                "when `pod.Spec.HostUsers` is false");
}

/* ---- Pod annotations: the mirror pod, seccomp and AppArmor parts of
 * ValidatePodSpecificAnnotations, the annotation rules of pod updates, and
 * the annotation/field consistency checks of pod creation and templates. */

static const char MIRROR_KEY[] = "kubernetes.io/config.mirror";
static const char SECCOMP_POD_KEY[] = "seccomp.security.alpha.kubernetes.io/pod";
static const char SECCOMP_CTR_PREFIX[] = "container.seccomp.security.alpha.kubernetes.io/";
static const char APPARMOR_PREFIX[] = "container.apparmor.security.beta.kubernetes.io/";
static const char TOLERATIONS_KEY[] = "scheduler.alpha.kubernetes.io/tolerations";

/* GetDeletionCostFromPodAnnotations succeeds: no "+" or leading zero, then
 * a base-10 int32 */
static bool deletion_cost_valid(const char *v)
{
    const char *d = v;
    if (*d == '-')
        d++;
    else if (!(*d >= '1' && *d <= '9') && strcmp(v, "0"))
        return false;
    if (!*d)
        return false;
    int64_t n = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9')
            return false;
        n = n * 10 + (*d - '0');
        if (n > (int64_t)INT32_MAX + 1)
            return false;
    }
    return *v == '-' || n <= INT32_MAX;
}

/* The Go type and field of a core.Toleration member (encoding/json matches
 * the untagged field names without regard to case). */
static const char *const TOL_FIELDS[][3] = {
    {"Key", "key", "string"},
    {"Operator", "operator", "core.TolerationOperator"},
    {"Value", "value", "string"},
    {"Effect", "effect", "core.TaintEffect"},
    {"TolerationSeconds", "tolerationSeconds", "int64"},
};

static const char *go_json_kind(const struct kapi_value *v)
{
    switch (v->type) {
    case KAPI_V_STRING: return "string";
    case KAPI_V_BOOL: return "bool";
    case KAPI_V_INT:
    case KAPI_V_FLOAT: return "number";
    case KAPI_V_ARRAY: return "array";
    default: return "object";
    }
}

/* json.Unmarshal of the annotation into []core.Toleration: the canonical
 * list in *out, or encoding/json's error text. */
static const char *decode_tolerations(struct kv_ctx *c, const char *s, struct kapi_value **out)
{
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(c->pool, s, strlen(s), NULL, &jerr);
    *out = NULL;
    if (!v)
        return kapi_pool_strdup(c->pool, jerr.msg);
    if (v->type == KAPI_V_NULL)
        return NULL;
    if (v->type != KAPI_V_ARRAY)
        return kapi_pool_printf(c->pool, "json: cannot unmarshal %s into Go value of type []core.Toleration",
                                go_json_kind(v));
    struct kapi_value *list = kapi_value_array(c->pool);
    for (size_t i = 0; i < kv_len(v); i++) {
        const struct kapi_value *e = kv_item(v, i);
        struct kapi_value *t = kapi_value_object(c->pool);
        kapi_arr_push(c->pool, list, t);
        if (e->type == KAPI_V_NULL)
            continue;
        if (e->type != KAPI_V_OBJECT)
            return kapi_pool_printf(c->pool, "json: cannot unmarshal %s into Go value of type core.Toleration",
                                    go_json_kind(e));
        for (size_t m = 0; m < e->u.obj.len; m++) {
            const char *k = e->u.obj.members[m].key;
            const struct kapi_value *mv = e->u.obj.members[m].val;
            size_t f = 0;
            while (f < N(TOL_FIELDS) && strcasecmp(k, TOL_FIELDS[f][0]))
                f++;
            if (f == N(TOL_FIELDS) || mv->type == KAPI_V_NULL)
                continue;
            bool is_int = f == N(TOL_FIELDS) - 1;
            if (is_int ? mv->type != KAPI_V_INT : mv->type != KAPI_V_STRING) {
                const char *what = go_json_kind(mv);
                if (is_int && mv->type == KAPI_V_FLOAT) {
                    char num[40];
                    size_t n = kapi_json_format_float(mv->u.f, num);
                    what = kapi_pool_printf(c->pool, "number %.*s", (int)n, num);
                }
                return kapi_pool_printf(c->pool,
                                        "json: cannot unmarshal %s into Go struct field Toleration.%s of type %s", what,
                                        TOL_FIELDS[f][0], TOL_FIELDS[f][2]);
            }
            kapi_obj_set(c->pool, t, TOL_FIELDS[f][1], kapi_value_clone(c->pool, mv));
        }
    }
    *out = list;
    return NULL;
}

static bool starts_with(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* ValidateSeccompProfile of an annotation value */
static void seccomp_annotation(struct kv_ctx *c, const char *v, const char *fld)
{
    if (!strcmp(v, "runtime/default") || !strcmp(v, "docker/default") || !strcmp(v, "unconfined"))
        return;
    if (starts_with(v, "localhost/"))
        kv_local_descending_path(c, v + strlen("localhost/"), fld);
    else
        kapi_ferr_invalid(c->pool, c->errs, fld, v, "must be a valid seccomp profile");
}

static bool spec_has_container(const struct kapi_value *spec, const char *name)
{
    for (size_t l = 0; l < N(CONTAINER_LISTS); l++) {
        const struct kapi_value *ctrs = kv_get(spec, CONTAINER_LISTS[l]);
        for (size_t i = 0; i < kv_len(ctrs); i++)
            if (!strcmp(kv_str0(kv_item(ctrs, i), "name"), name))
                return true;
    }
    return false;
}

void kv_pod_annotations(struct kv_ctx *c, const struct kapi_value *ann, const struct kapi_value *spec,
                        const char *fld)
{
    const char *mirror = kv_str(ann, MIRROR_KEY);
    if (mirror && !*kv_str0(spec, "nodeName"))
        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s[%s]", fld, MIRROR_KEY), mirror,
                          "must set spec.nodeName if mirror pod annotation is set");
    /* ValidateTolerationsInPodAnnotations */
    const char *tol = kv_str(ann, TOLERATIONS_KEY);
    if (tol && *tol) {
        struct kapi_value *list;
        const char *err = decode_tolerations(c, tol, &list);
        if (err)
            kapi_ferr_invalid(c->pool, c->errs, fld, TOLERATIONS_KEY, err);
        else
            tolerations(c, list, kv_path(c, "%s.%s", fld, TOLERATIONS_KEY));
    }
    const char *dc = kv_str(ann, DELETION_COST_KEY);
    if (dc && !c->allow_invalid_deletion_cost && !deletion_cost_valid(dc))
        kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s[%s]", fld, DELETION_COST_KEY), dc,
                          "must be a 32bit integer");
    /* seccomp: the pod key first, then each container key (map order
     * upstream, the object's order here); the path is a Child, not a Key */
    const char *sp = kv_str(ann, SECCOMP_POD_KEY);
    if (sp)
        seccomp_annotation(c, sp, kv_path(c, "%s.%s", fld, SECCOMP_POD_KEY));
    for (size_t i = 0; ann && ann->type == KAPI_V_OBJECT && i < ann->u.obj.len; i++) {
        const char *k = ann->u.obj.members[i].key, *v = kapi_value_cstr(ann->u.obj.members[i].val);
        if (starts_with(k, SECCOMP_CTR_PREFIX))
            seccomp_annotation(c, v ? v : "", kv_path(c, "%s.%s", fld, k));
    }
    /* ValidateAppArmorPodAnnotations */
    for (size_t i = 0; ann && ann->type == KAPI_V_OBJECT && i < ann->u.obj.len; i++) {
        const char *k = ann->u.obj.members[i].key, *v = kapi_value_cstr(ann->u.obj.members[i].val);
        if (!starts_with(k, APPARMOR_PREFIX))
            continue;
        const char *p = kv_path(c, "%s[%s]", fld, k), *ctr = k + strlen(APPARMOR_PREFIX);
        if (!spec_has_container(spec, ctr))
            kapi_ferr_invalid(c->pool, c->errs, p, ctr, "container not found");
        v = v ? v : "";
        if (*v && strcmp(v, "runtime/default") && strcmp(v, "unconfined") && !starts_with(v, "localhost/"))
            kapi_ferr_invalid(c->pool, c->errs, p, v,
                              kapi_pool_printf(c->pool, "invalid AppArmor profile name: %s",
                                               kapi_go_quote(c->pool, v, strlen(v))));
    }
}

/* ValidatePodSpecificAnnotationUpdates: AppArmor and mirror pod annotations
 * cannot be added, changed or removed; then the create rules again (so
 * their errors come twice, as upstream). */
void kv_pod_annotation_updates(struct kv_ctx *c, const struct kapi_value *ann, const struct kapi_value *old,
                               const struct kapi_value *spec, const char *fld)
{
    for (size_t i = 0; old && old->type == KAPI_V_OBJECT && i < old->u.obj.len; i++) {
        const char *k = old->u.obj.members[i].key;
        const struct kapi_value *nv = kv_get(ann, k);
        if (nv && kapi_value_equal(nv, old->u.obj.members[i].val))
            continue;
        if (starts_with(k, APPARMOR_PREFIX))
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s[%s]", fld, k),
                                "may not remove or update AppArmor annotations");
        if (!strcmp(k, MIRROR_KEY))
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s[%s]", fld, k),
                                "may not remove or update mirror pod annotation");
    }
    for (size_t i = 0; ann && ann->type == KAPI_V_OBJECT && i < ann->u.obj.len; i++) {
        const char *k = ann->u.obj.members[i].key;
        if (kv_get(old, k))
            continue;
        if (starts_with(k, APPARMOR_PREFIX))
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s[%s]", fld, k), "may not add AppArmor annotations");
        if (!strcmp(k, MIRROR_KEY))
            kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s[%s]", fld, k), "may not add mirror pod annotation");
    }
    kv_pod_annotations(c, ann, spec, fld);
}

/* validateSeccompAnnotationsAndFieldsMatch */
static void seccomp_match(struct kv_ctx *c, const char *ann, const struct kapi_value *sp, const char *fld)
{
    const char *t = kv_str0(sp, "type");
    bool type_ok = true;
    if (!strcmp(t, "Unconfined"))
        type_ok = !strcmp(ann, "unconfined");
    else if (!strcmp(t, "RuntimeDefault"))
        type_ok = !strcmp(ann, "runtime/default") || !strcmp(ann, "docker/default");
    else if (!strcmp(t, "Localhost"))
        type_ok = starts_with(ann, "localhost/");
    if (!type_ok) {
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.type", fld), "seccomp type in annotation and field must match");
        return;
    }
    const char *lp = kv_str(sp, "localhostProfile");
    if (!strcmp(t, "Localhost") && (!lp || strcmp(ann + strlen("localhost/"), lp)))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.localhostProfile", fld),
                            "seccomp profile in annotation and field must match");
}

/* validateAppArmorAnnotationsAndFieldsMatchOnCreate for one container */
static void apparmor_match(struct kv_ctx *c, const char *ann, const struct kapi_value *ap, const char *fld)
{
    const char *t = kv_str0(ap, "type");
    const char *lp = kv_str(ap, "localhostProfile");
    bool type_ok = true;
    if (!strcmp(t, "Unconfined"))
        type_ok = !strcmp(ann, "unconfined");
    else if (!strcmp(t, "RuntimeDefault"))
        type_ok = !strcmp(ann, "runtime/default");
    else if (!strcmp(t, "Localhost"))
        type_ok = starts_with(ann, "localhost/");
    if (!type_ok)
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.type", fld), "apparmor type in annotation and field must match");
    else if (!strcmp(t, "Localhost") && (!lp || strcmp(ann + strlen("localhost/"), lp)))
        kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.localhostProfile", fld),
                            "apparmor profile in annotation and field must match");
}

void kv_pod_annotations_match(struct kv_ctx *c, const struct kapi_value *ann, const struct kapi_value *spec,
                              const char *fld)
{
    /* validateSeccompAnnotationsAndFields: pod field with the pod key, each
     * container's own field with its key */
    const struct kapi_value *psc = kv_get(spec, "securityContext");
    const char *pa = kv_str(ann, SECCOMP_POD_KEY);
    if (kv_get(psc, "seccompProfile") && pa)
        seccomp_match(c, pa, kv_get(psc, "seccompProfile"), kv_path(c, "%s.securityContext.seccompProfile", fld));
    for (size_t l = 0; l < N(CONTAINER_LISTS); l++) {
        const struct kapi_value *ctrs = kv_get(spec, CONTAINER_LISTS[l]);
        for (size_t i = 0; i < kv_len(ctrs); i++) {
            const struct kapi_value *ct = kv_item(ctrs, i);
            const struct kapi_value *sp = kv_get(kv_get(ct, "securityContext"), "seccompProfile");
            const char *a = kv_str(ann, kapi_pool_printf(c->pool, "%s%s", SECCOMP_CTR_PREFIX, kv_str0(ct, "name")));
            if (sp && a)
                seccomp_match(c, a, sp,
                              kv_path(c, "%s.%s[%zu].securityContext.seccompProfile", fld, CONTAINER_LISTS[l], i));
        }
    }
    /* AppArmor: skipped for windows pods; a container without its own
     * profile takes the pod's */
    if (!strcmp(kv_str0(kv_get(spec, "os"), "name"), "windows"))
        return;
    const struct kapi_value *pod_ap = kv_get(psc, "appArmorProfile");
    for (size_t l = 0; l < N(CONTAINER_LISTS); l++) {
        const struct kapi_value *ctrs = kv_get(spec, CONTAINER_LISTS[l]);
        for (size_t i = 0; i < kv_len(ctrs); i++) {
            const struct kapi_value *ct = kv_item(ctrs, i);
            const struct kapi_value *ap = kv_get(kv_get(ct, "securityContext"), "appArmorProfile");
            if (!ap)
                ap = pod_ap;
            const char *a = kv_str(ann, kapi_pool_printf(c->pool, "%s%s", APPARMOR_PREFIX, kv_str0(ct, "name")));
            if (ap && a)
                apparmor_match(c, a, ap,
                               kv_path(c, "%s.%s[%zu].securityContext.appArmorProfile", fld, CONTAINER_LISTS[l], i));
        }
    }
}
