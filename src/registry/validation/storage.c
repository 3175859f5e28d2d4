/* registry/validation/storage: VolumeAttachment (storage.k8s.io/v1) as
 * kube-apiserver 1.33's volumeattachment strategy validates it. Create runs
 * ValidateVolumeAttachment and then the v1-only ValidateVolumeAttachmentV1
 * (the attacher a CSI driver name, the persistent volume name a DNS
 * subdomain); update runs ValidateVolumeAttachment and then
 * ValidateVolumeAttachmentUpdate, which runs ValidateVolumeAttachment once
 * more before its spec check, so every spec and status error is reported
 * twice, as upstream. The status strategy keeps the main ValidateUpdate
 * (status.c calls kv_volume_attachment with the stored spec in place). The
 * ObjectMeta part is the generic metadata check. */
#include "validation_int.h"

#include <string.h>

/* upstream's maxAttachedVolumeMetadataSize and maxVolumeErrorMessageSize */
#define MAX_METADATA (256 * 1024)
#define MAX_ERROR_MESSAGE 1024

static void volume_error(struct kv_ctx *c, const struct kapi_value *e, const char *fld)
{
    if (!e || e->type != KAPI_V_OBJECT)
        return;
    /* upstream checks the message length but reports the metadata limit */
    if (strlen(kv_str0(e, "message")) > MAX_ERROR_MESSAGE)
        kapi_ferr_too_long(c->pool, c->errs, kv_path(c, "%s.message", fld), MAX_METADATA);
    int64_t code;
    if (kv_int(e, "errorCode", &code) && code < 0)
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.errorCode", fld), code,
                              "must be between 0 and 2147483647, inclusive");
}

/* The source's inline spec, NULL when absent or null. */
static const struct kapi_value *inline_spec(const struct kapi_value *src)
{
    const struct kapi_value *inl = kv_get(src, "inlineVolumeSpec");
    return inl && inl->type != KAPI_V_NULL ? inl : NULL;
}

/* ValidateVolumeAttachment without its ObjectMeta part: spec (attacher,
 * source, nodeName), then status. */
static void volume_attachment(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *spec = kv_get(obj, "spec"), *st = kv_get(obj, "status");
    if (!*kv_str0(spec, "attacher"))
        kapi_ferr_required(c->pool, c->errs, "spec.attacher", "");
    const struct kapi_value *src = kv_get(spec, "source");
    const struct kapi_value *inl = inline_spec(src);
    const char *pvn = kv_str(src, "persistentVolumeName");
    static const char ONE[] = "must specify exactly one of inlineVolumeSpec and persistentVolumeName";
    if (!inl && !pvn)
        kapi_ferr_required(c->pool, c->errs, "spec.source", ONE);
    else if (inl && pvn)
        kapi_ferr_forbidden(c->pool, c->errs, "spec.source", ONE);
    else if (pvn && !*pvn)
        kapi_ferr_required(c->pool, c->errs, "spec.source.persistentVolumeName",
                           "must specify non empty persistentVolumeName");
    else if (inl) /* no volume name, default options */
        kv_pv_spec(c, inl, "", "spec.source.inlineVolumeSpec", true);
    kv_name_msgs(c, "spec.nodeName", kv_str0(spec, "nodeName"), kapi_is_dns1123_subdomain);
    const struct kapi_value *md = kv_get(st, "attachmentMetadata");
    size_t size = 0;
    for (size_t i = 0; md && md->type == KAPI_V_OBJECT && i < md->u.obj.len; i++) {
        const char *v = kapi_value_cstr(md->u.obj.members[i].val);
        size += strlen(md->u.obj.members[i].key) + (v ? strlen(v) : 0);
    }
    if (size > MAX_METADATA)
        kapi_ferr_too_long(c->pool, c->errs, "status.attachmentMetadata", MAX_METADATA);
    volume_error(c, kv_get(st, "attachError"), "status.attachError");
    volume_error(c, kv_get(st, "detachError"), "status.detachError");
}

/* ValidateVolumeAttachmentV1 */
static void volume_attachment_v1(struct kv_ctx *c, const struct kapi_value *obj)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    kv_csi_driver_name(c, kv_str0(spec, "attacher"), "spec.attacher");
    const char *pvn = kv_str(kv_get(spec, "source"), "persistentVolumeName");
    if (pvn)
        kv_name_msgs(c, "spec.source.persistentVolumeName", pvn, kapi_is_dns1123_subdomain);
}

/* %#v of the internal storage.VolumeAttachmentSpec, with the fixed pointer
 * stand-in for set pointers (see validation.md). */
static const char *spec_repr(struct kv_ctx *c, const struct kapi_value *spec)
{
    const char *att = kv_str0(spec, "attacher"), *node = kv_str0(spec, "nodeName");
    const struct kapi_value *src = kv_get(spec, "source");
    return kapi_pool_printf(c->pool,
                            "storage.VolumeAttachmentSpec{Attacher:%s, Source:storage.VolumeAttachmentSource{"
                            "PersistentVolumeName:(*string)(%s), InlineVolumeSpec:(*core.PersistentVolumeSpec)(%s)}, "
                            "NodeName:%s}",
                            kapi_go_quote(c->pool, att, strlen(att)),
                            kv_str(src, "persistentVolumeName") ? "0xc000000000" : "nil",
                            inline_spec(src) ? "0xc000000000" : "nil", kapi_go_quote(c->pool, node, strlen(node)));
}

void kv_volume_attachment(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    volume_attachment(c, obj);
    if (!old) {
        volume_attachment_v1(c, obj);
        return;
    }
    /* ValidateVolumeAttachmentUpdate: the whole check again, then the spec */
    volume_attachment(c, obj);
    const struct kapi_value *spec = kv_get(obj, "spec"), *ospec = kv_get(old, "spec");
    if (!(spec && ospec ? kapi_value_equal(spec, ospec) : !spec && !ospec))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec", spec_repr(c, spec), "field is immutable");
}
