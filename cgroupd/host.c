/* SPDX-License-Identifier: MIT */

/* Layout detection: which cgroup hierarchies are mounted where, from /proc/self/mountinfo. */

#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "cgroupd-internal.h"
#include "log.h"
#include "macro.h"
#include "mountinfo.h"

static const char *const layout_table[_CG_LAYOUT_MAX] = {
        [CG_LAYOUT_V2] = "v2",
        [CG_LAYOUT_HYBRID] = "hybrid",
        [CG_LAYOUT_V1] = "v1",
};

const char *cg_layout_to_string(enum cg_layout l) {
        if ((unsigned) l >= _CG_LAYOUT_MAX)
                return NULL;
        return layout_table[l];
}

/* clang-format off */
static const char *const controller_table[_CG_CONTROLLER_MAX] = {
        [CG_CONTROLLER_CPU]     = "cpu",
        [CG_CONTROLLER_CPUACCT] = "cpuacct",
        [CG_CONTROLLER_CPUSET]  = "cpuset",
        [CG_CONTROLLER_MEMORY]  = "memory",
        [CG_CONTROLLER_BLKIO]   = "blkio",
        [CG_CONTROLLER_PIDS]    = "pids",
        [CG_CONTROLLER_FREEZER] = "freezer",
        [CG_CONTROLLER_DEVICES] = "devices",
};
/* clang-format on */

const char *cg_controller_to_string(enum cg_controller c) {
        if ((unsigned) c >= _CG_CONTROLLER_MAX)
                return NULL;
        return controller_table[c];
}

unsigned cg_controller_mask_from_list(const char *list) {
        unsigned mask = 0;

        for (const char *p = list; *p;) {
                size_t l = strcspn(p, ",");

                for (enum cg_controller c = 0; c < _CG_CONTROLLER_MAX; c++)
                        if (strlen(controller_table[c]) == l && strncmp(p, controller_table[c], l) == 0)
                                mask |= CG_CONTROLLER_MASK(c);
                p += l;
                if (*p == ',')
                        p++;
        }
        return mask;
}

/* Where two mounts show one hierarchy (bind mounts, a container's view), prefer the canonical
 * place; a later mount on the same mount point hides the earlier one. */
static bool mount_is_canonical(const char *mount) {
        const char *rest = startswith(mount, "/sys/fs/cgroup");
        return rest && (*rest == '\0' || *rest == '/');
}

static bool mount_replaces(const char *old, const char *new) {
        if (!old || streq(old, new))
                return true;
        return mount_is_canonical(new) && !mount_is_canonical(old);
}

/* A mount listed in mountinfo can be hidden by a later one above it (cgroup2 mounted over the
 * tmpfs holding the v1 hierarchies): only take what is really reachable at its mount point. */
static bool mount_is_reachable(const char *mount, bool v2) {
        struct statfs sfs;

        if (statfs(mount, &sfs) < 0)
                return false;
        return v2 ? sfs.f_type == CGROUP2_SUPER_MAGIC : sfs.f_type == CGROUP_SUPER_MAGIC;
}

static void hierarchy_done(struct cg_hierarchy *hi) {
        free(hi->mount);
        free(hi->mount_root);
        *hi = (struct cg_hierarchy){};
}

static struct cg_hierarchy hierarchy_take(struct cg_hierarchy *hi) {
        struct cg_hierarchy t = *hi;
        *hi = (struct cg_hierarchy){};
        return t;
}

static int hierarchy_set(struct cg_hierarchy *hi, bool v2, unsigned controllers, const char *mount,
                         const char *mount_root) {
        char *m, *mr;

        m = strdup(mount);
        mr = strdup(mount_root);
        if (!m || !mr) {
                free(m);
                free(mr);
                return -ENOMEM;
        }

        hierarchy_done(hi);
        *hi = (struct cg_hierarchy){
                .v2 = v2,
                .controllers = controllers,
                .mount = m,
                .mount_root = mr,
        };
        return 0;
}

struct cg_host *cg_host_free(struct cg_host *h) {
        if (!h)
                return NULL;
        for (size_t i = 0; i < h->n_hier; i++)
                hierarchy_done(&h->hier[i]);
        free(h);
        return NULL;
}

int cg_host_detect(struct cg_host **ret) {
        _cleanup_(cg_host_freep) struct cg_host *h = NULL;
        /* Found hierarchies before they are put in order: v2, then one slot per controller. */
        struct cg_hierarchy v2 = {}, v1[_CG_CONTROLLER_MAX] = {};
        _cleanup_(mountinfo_iter_done) struct mountinfo_iter it = MOUNTINFO_ITER_INIT;
        struct mountinfo_entry e;
        int r;

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        for (size_t i = 0; i < _CG_CONTROLLER_MAX; i++)
                h->controller_hier[i] = -1;

        r = mountinfo_open(&it, NULL);
        if (r < 0)
                return r;

        while ((r = mountinfo_next(&it, &e)) > 0) {
                const char *mount = e.mount_point;
                unsigned mask;

                if (streq(e.fstype, "cgroup2")) {
                        if (!mount_replaces(v2.mount, mount) || !mount_is_reachable(mount, true))
                                continue;
                        r = hierarchy_set(&v2, true, 0, mount, e.root);
                        if (r < 0)
                                break;
                        continue;
                }

                if (!streq(e.fstype, "cgroup"))
                        continue;

                mask = cg_controller_mask_from_list(e.super_options);
                if (mask == 0) /* name=systemd and controllers we do not use */
                        continue;

                /* Keyed by the lowest controller of the hierarchy; the others point at it below. */
                enum cg_controller c = (enum cg_controller) __builtin_ctz(mask);
                if (!mount_replaces(v1[c].mount, mount) || !mount_is_reachable(mount, false))
                        continue;
                r = hierarchy_set(&v1[c], false, mask, mount, e.root);
                if (r < 0)
                        break;
        }

        if (r >= 0) {
                if (v2.mount)
                        h->hier[h->n_hier++] = hierarchy_take(&v2);
                for (enum cg_controller c = 0; c < _CG_CONTROLLER_MAX; c++) {
                        if (!v1[c].mount)
                                continue;
                        for (enum cg_controller o = 0; o < _CG_CONTROLLER_MAX; o++)
                                if (v1[c].controllers & CG_CONTROLLER_MASK(o))
                                        h->controller_hier[o] = (int) h->n_hier;
                        h->hier[h->n_hier++] = hierarchy_take(&v1[c]);
                }
        }

        hierarchy_done(&v2);
        for (size_t i = 0; i < _CG_CONTROLLER_MAX; i++)
                hierarchy_done(&v1[i]);
        if (r < 0)
                return r;

        if (h->n_hier == 0)
                return log_debug_errno(-ENOMEDIUM, "cgroupd: no cgroup file system is mounted");

        if (!cg_host_has_v2(h))
                h->layout = CG_LAYOUT_V1;
        else if (h->n_hier > 1)
                h->layout = CG_LAYOUT_HYBRID;
        else
                h->layout = CG_LAYOUT_V2;

        log_debug("cgroupd: %s layout, v2 tree at %s", cg_layout_to_string(h->layout),
                  strempty(cg_host_v2_mount(h)));
        for (size_t i = cg_host_has_v2(h) ? 1 : 0; i < h->n_hier; i++)
                log_debug("cgroupd: v1 hierarchy at %s", h->hier[i].mount);

        *ret = TAKE_PTR(h);
        return 0;
}

enum cg_layout cg_host_layout(const struct cg_host *h) {
        return h->layout;
}

const char *cg_host_v2_mount(const struct cg_host *h) {
        return cg_host_has_v2(h) ? h->hier[0].mount : NULL;
}

const char *cg_host_v1_mount(const struct cg_host *h, enum cg_controller c) {
        if ((unsigned) c >= _CG_CONTROLLER_MAX || h->controller_hier[c] < 0)
                return NULL;
        return h->hier[h->controller_hier[c]].mount;
}
