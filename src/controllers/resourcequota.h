/* controllers/resourcequota: runs the quota recalculation
 * (admission/quota.h) every second; --controllers name
 * "resourcequota-controller". */
#ifndef KAPI_CONTROLLERS_RESOURCEQUOTA_H
#define KAPI_CONTROLLERS_RESOURCEQUOTA_H

struct kapi_admission;
struct kapi_rqctl;
struct kapi_rqctl *kapi_rqctl_start(struct kapi_admission *adm);
void kapi_rqctl_stop(struct kapi_rqctl *c); /* NULL-safe; joins */

#endif
