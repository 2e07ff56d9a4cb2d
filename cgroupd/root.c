/* SPDX-License-Identifier: MIT */

/* The root of one supd instance: a directory in every hierarchy under which the unit groups
 * live. */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupd-internal.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

static bool is_blank(const char *s) {
        for (; *s; s++)
                if (!isspace((unsigned char) *s))
                        return false;
        return true;
}

int cg_cpuset_inherit(const char *dir) {
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *mine = NULL, *parent = NULL, *parent_path = NULL;

                r = read_full_file_at(fd, files[i], CG_FILE_MAX, 0, &mine, NULL);
                if (r < 0)
                        return r;
                if (!is_blank(mine))
                        continue;

                parent_path = path_join("..", files[i]);
                if (!parent_path)
                        return -ENOMEM;
                r = read_full_file_at(fd, parent_path, CG_FILE_MAX, 0, &parent, NULL);
                if (r < 0)
                        return r;
                if (is_blank(parent))
                        continue;

                r = write_string_file_at(fd, files[i], parent);
                if (r < 0)
                        return log_debug_errno(r, "cgroupd: cannot copy %s into %s: %m", files[i], dir);
        }
        return 0;
}

/* Splits @root into "a/b" without empty components; refuses "." and "..". */
static int root_normalize(const char *root, bool *ret_absolute, char **ret) {
        _cleanup_free_ char *rel = NULL;
        size_t n = 0;

        if (!root || !*root)
                return -EINVAL;

        rel = malloc(strlen(root) + 1);
        if (!rel)
                return -ENOMEM;

        for (const char *p = root; *p;) {
                size_t l;

                p += strspn(p, "/");
                l = strcspn(p, "/");
                if (l == 0)
                        break;
                if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
                        return -EINVAL;
                if (n > 0)
                        rel[n++] = '/';
                memcpy(rel + n, p, l);
                n += l;
                p += l;
        }
        rel[n] = '\0';

        if (n == 0) /* "/" alone would be the hierarchy's top */
                return -EINVAL;

        *ret_absolute = root[0] == '/';
        *ret = TAKE_PTR(rel);
        return 0;
}

static void paths_free(char **paths, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
}

/* supd's own cgroup path in each hierarchy of @h, from /proc/self/cgroup:
 * "0::/path" for the v2 tree, "ID:ctrl,ctrl:/path" for v1. */
static int own_paths(const struct cg_host *h, char *ret[static _CG_HIERARCHY_MAX]) {
        _cleanup_free_ char *line = NULL;
        char *paths[_CG_HIERARCHY_MAX] = {};
        size_t line_size = 0;
        ssize_t k;
        FILE *f;
        int r = 0;

        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return -errno;

        while ((k = getline(&line, &line_size, f)) >= 0) {
                char *p = line, *id, *ctrls, *path, *deleted;
                unsigned mask;

                if (k > 0 && line[k - 1] == '\n')
                        line[k - 1] = '\0';
                id = strsep(&p, ":");
                ctrls = strsep(&p, ":");
                path = p;
                if (!id || !ctrls || !path || path[0] != '/')
                        continue;
                deleted = (char *) endswith(path, " (deleted)");
                if (deleted)
                        *deleted = '\0';

                mask = cg_controller_mask_from_list(ctrls);
                for (size_t i = 0; i < h->n_hier; i++) {
                        bool match = h->hier[i].v2 ? streq(id, "0") && ctrls[0] == '\0'
                                                   : (h->hier[i].controllers & mask) != 0;
                        if (!match || paths[i])
                                continue;
                        paths[i] = strdup(path);
                        if (!paths[i]) {
                                r = -ENOMEM;
                                break;
                        }
                }
                if (r < 0)
                        break;
        }
        fclose(f);

        for (size_t i = 0; r >= 0 && i < h->n_hier; i++)
                if (!paths[i])
                        r = log_debug_errno(-ENXIO, "cgroupd: %s is not in /proc/self/cgroup",
                                            h->hier[i].mount);
        if (r < 0) {
                paths_free(paths, _CG_HIERARCHY_MAX);
                return r;
        }

        memcpy(ret, paths, sizeof(paths));
        return 0;
}

/* The directory of cgroup @path in hierarchy @hi: its mount point plus what @path has beyond the
 * mount's root. -EXDEV when @path is not visible through the mount. */
static int hierarchy_dir(const struct cg_hierarchy *hi, const char *path, char **ret) {
        const char *rest;
        char *d;

        if (streq(hi->mount_root, "/"))
                rest = path;
        else {
                rest = startswith(path, hi->mount_root);
                if (!rest || (*rest != '/' && *rest != '\0'))
                        return -EXDEV;
        }

        d = path_join(hi->mount, rest);
        if (!d)
                return -ENOMEM;
        /* path_join() leaves a trailing "/" when @rest is empty or "/". */
        size_t l = strlen(d);
        if (l > 1 && d[l - 1] == '/')
                d[l - 1] = '\0';
        *ret = d;
        return 0;
}

/* rmdir the last @n components of @dir, deepest first, stopping at the first failure. */
static int rmdir_created(const char *dir, unsigned n) {
        _cleanup_free_ char *p = strdup(dir);
        int r = 0;

        if (!p)
                return -ENOMEM;

        for (unsigned i = 0; i < n; i++) {
                char *slash;

                if (rmdir(p) < 0 && errno != ENOENT) {
                        r = -errno;
                        break;
                }
                slash = strrchr(p, '/');
                if (!slash || slash == p)
                        break;
                *slash = '\0';
        }
        return r;
}

/* mkdir -p of @rel below the existing @base; counts the components made here. */
static int mkdir_below(const char *base, const char *rel, bool cpuset, unsigned *ret_created) {
        _cleanup_free_ char *p = NULL;
        unsigned created = 0;
        bool made = false;
        char *s;
        int r;

        p = path_join(base, rel);
        if (!p)
                return -ENOMEM;

        for (s = p + strlen(p) - strlen(rel);; s++) {
                char saved = *s;

                if (saved != '/' && saved != '\0')
                        continue;

                *s = '\0';
                made = false;
                if (mkdir(p, 0755) >= 0)
                        made = true;
                else if (errno != EEXIST) {
                        r = -errno;
                        goto fail;
                }
                created += made;
                if (cpuset) {
                        r = cg_cpuset_inherit(p);
                        if (r < 0)
                                goto fail;
                }
                *s = saved;
                if (saved == '\0')
                        break;
        }

        *ret_created = created;
        return 0;

fail:
        /* Undo what this call made: the @created deepest components up to the one that failed. */
        if (created > 0) {
                if (!made) { /* @p is the component that failed, and not ours */
                        char *slash = strrchr(p, '/');
                        if (slash)
                                *slash = '\0';
                }
                (void) rmdir_created(p, created);
        }
        return r;
}

/* v2: a controller reaches a group only when every ancestor enables it in cgroup.subtree_control.
 * Enables what is available from @base (supd's own group, or the top) down to the root of the
 * instance, so that the unit groups below get them. A group that holds processes refuses (the
 * "no internal processes" rule; the top is exempt): logged at debug, and cg_unit_set_limits()
 * reports the keys that then cannot be honoured. On a hybrid host the v2 tree offers none of
 * them and this does nothing. */
static void enable_v2_controllers(const char *base, const char *rel) {
        _cleanup_free_ char *p = NULL;
        char *s;

        p = path_join(base, rel);
        if (!p)
                return;

        for (s = p + strlen(p) - strlen(rel) - 1;; s++) {
                char saved = *s;

                if (saved != '/' && saved != '\0')
                        continue;
                *s = '\0';
                cg_v2_enable_controllers(*p ? p : "/");
                *s = saved;
                if (saved == '\0')
                        break;
        }
}

struct cg_root *cg_root_free(struct cg_root *r) {
        if (!r)
                return NULL;
        free(r->path);
        strv_free(r->dirs);
        free(r->n_created);
        free(r);
        return NULL;
}

int cg_root_resolve(const struct cg_host *h, const char *root, char **ret_path) {
        _cleanup_free_ char *rel = NULL;
        char *own[_CG_HIERARCHY_MAX] = {};
        bool absolute;
        char *path;
        int r;

        r = root_normalize(root, &absolute, &rel);
        if (r < 0)
                return r;
        if (h->n_hier == 0)
                return -ENOMEDIUM;
        if (!absolute) {
                r = own_paths(h, own);
                if (r < 0)
                        return r;
        }
        path = path_join(absolute ? h->hier[0].mount_root : own[0], rel);
        paths_free(own, _CG_HIERARCHY_MAX);
        if (!path)
                return -ENOMEM;
        *ret_path = path;
        return 0;
}

int cg_root_new(struct cg_host *h, const char *root, struct cg_root **ret) {
        _cleanup_(cg_root_freep) struct cg_root *cr = NULL;
        _cleanup_free_ char *rel = NULL;
        char *own[_CG_HIERARCHY_MAX] = {};
        size_t made = 0;
        bool absolute;
        int r;

        r = root_normalize(root, &absolute, &rel);
        if (r < 0)
                return log_debug_errno(r, "cgroupd: invalid cgroup root \"%s\"", strempty(root));

        cr = calloc(1, sizeof(*cr));
        if (!cr)
                return -ENOMEM;
        cr->host = h;
        cr->dirs = calloc(h->n_hier + 1, sizeof(char *));
        cr->n_created = calloc(h->n_hier, sizeof(unsigned));
        if (!cr->dirs || !cr->n_created)
                return -ENOMEM;

        if (!absolute) {
                r = own_paths(h, own);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < h->n_hier; i++) {
                const struct cg_hierarchy *hi = &h->hier[i];
                const char *base_path = absolute ? hi->mount_root : own[i];
                _cleanup_free_ char *base_dir = NULL, *path = NULL;

                r = hierarchy_dir(hi, base_path, &base_dir);
                if (r < 0) {
                        log_debug_errno(r, "cgroupd: cgroup %s is not below %s", base_path, hi->mount);
                        goto fail;
                }

                path = path_join(base_path, rel);
                cr->dirs[i] = path_join(base_dir, rel);
                if (!path || !cr->dirs[i]) {
                        r = -ENOMEM;
                        goto fail;
                }

                r = mkdir_below(base_dir, rel, hi->controllers & CG_CONTROLLER_MASK(CG_CONTROLLER_CPUSET),
                                &cr->n_created[i]);
                if (r < 0) {
                        log_debug_errno(r, "cgroupd: cannot make %s: %m", cr->dirs[i]);
                        goto fail;
                }
                made = i + 1;

                if (hi->v2)
                        enable_v2_controllers(base_dir, rel);

                if (i == 0)
                        cr->path = TAKE_PTR(path);
        }

        paths_free(own, _CG_HIERARCHY_MAX);
        log_debug("cgroupd: root %s ready", cr->path);
        *ret = TAKE_PTR(cr);
        return 0;

fail:
        /* Leave no half-made root behind. */
        for (size_t i = 0; i < made; i++)
                (void) rmdir_created(cr->dirs[i], cr->n_created[i]);
        paths_free(own, _CG_HIERARCHY_MAX);
        return r;
}

int cg_root_remove(struct cg_root *r) {
        int ret = 0;

        for (size_t i = 0; r->dirs[i]; i++) {
                int k = 0;

                if (rmdir(r->dirs[i]) < 0 && errno != ENOENT)
                        k = -errno;
                else if (r->n_created[i] > 1) {
                        /* Parents we made ourselves go too, unless another instance uses them. */
                        _cleanup_free_ char *parent = strdup(r->dirs[i]);
                        char *slash = parent ? strrchr(parent, '/') : NULL;
                        if (slash) {
                                *slash = '\0';
                                (void) rmdir_created(parent, r->n_created[i] - 1);
                        }
                }

                if (k < 0) {
                        log_debug_errno(k, "cgroupd: cannot remove %s: %m", r->dirs[i]);
                        if (ret == 0)
                                ret = k;
                }
        }
        return ret;
}

int cg_root_list(struct cg_root *r, char ***ret_names) {
        _cleanup_strv_free_ char **names = NULL;
        DIR *d;
        int k = 0;

        d = opendir(r->dirs[0]);
        if (!d)
                return -errno;

        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                const char *name = de->d_name;

                if (de->d_type != DT_DIR || name[0] == '.')
                        continue;
                /* cg_unit_new() escapes clashing names with "_". */
                if (name[0] == '_')
                        name++;

                k = strv_extend(&names, name);
                if (k < 0)
                        break;
        }
        if (k == 0 && errno != 0)
                k = -errno;
        closedir(d);
        if (k < 0)
                return k;

        if (!names) {
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
        }
        strv_sort(names);

        *ret_names = TAKE_PTR(names);
        return (int) strv_length(*ret_names);
}

const char *cg_root_path(const struct cg_root *r) {
        return r->path;
}

char *const *cg_root_dirs(const struct cg_root *r) {
        return r->dirs;
}
