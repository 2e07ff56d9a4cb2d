/* SPDX-License-Identifier: MIT */
#pragma once

/* units/ — the unit model: value parsers, .unit and .bridge files, drop-ins, directory loading,
 * cross-key and cross-unit checks, and the reload diff. Pure data out: nothing here touches the
 * system besides reading files, and nothing logs above debug. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define UNIT_NAME_MAX 64
#define BRIDGE_IFNAME_MAX 15

#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_INFINITY UINT64_MAX
#define SIZE_INFINITY UINT64_MAX

/* ---- enums ------------------------------------------------------------------------------- */

enum unit_ns {
        UNIT_NS_PID = 1 << 0,
        UNIT_NS_MNT = 1 << 1,
        UNIT_NS_IPC = 1 << 2,
        UNIT_NS_UTS = 1 << 3,
        UNIT_NS_NET = 1 << 4,
        UNIT_NS_USER = 1 << 5,
        UNIT_NS_CGROUP = 1 << 6,
        UNIT_NS_TIME = 1 << 7,
        _UNIT_NS_ALL = (1 << 8) - 1,
        UNIT_NS_DEFAULT = UNIT_NS_PID | UNIT_NS_MNT | UNIT_NS_IPC | UNIT_NS_UTS | UNIT_NS_NET | UNIT_NS_CGROUP,
};

enum overlay_mode {
        OVERLAY_NONE,
        OVERLAY_EPHEMERAL,
        OVERLAY_PERSISTENT,
        _OVERLAY_MAX,
};

enum userns_mode {
        USERNS_NONE,
        USERNS_AUTO,
        USERNS_MAP, /* explicit UID:HOSTUID:COUNT */
        _USERNS_MAX,
};

enum seccomp_mode {
        SECCOMP_DEFAULT,
        SECCOMP_OFF,
        _SECCOMP_MAX,
};

enum service_type {
        SERVICE_SIMPLE,
        SERVICE_NOTIFY,
        _SERVICE_TYPE_MAX,
};

enum restart_policy {
        RESTART_NO,
        RESTART_ON_FAILURE,
        RESTART_ALWAYS,
        _RESTART_MAX,
};

const char *overlay_mode_to_string(enum overlay_mode m);
int overlay_mode_from_string(const char *s); /* -EINVAL when unknown */
const char *seccomp_mode_to_string(enum seccomp_mode m);
int seccomp_mode_from_string(const char *s);
const char *service_type_to_string(enum service_type t);
int service_type_from_string(const char *s);
const char *restart_policy_to_string(enum restart_policy p);
int restart_policy_from_string(const char *s);
const char *unit_ns_to_string(enum unit_ns ns); /* one bit only */
int unit_ns_from_string(const char *s);

/* ---- value types ------------------------------------------------------------------------- */

struct cidr {
        int family; /* AF_INET or AF_INET6 */
        union {
                struct in_addr in;
                struct in6_addr in6;
        } addr;
        unsigned prefixlen;
};

struct ip_addr {
        int family;
        union {
                struct in_addr in;
                struct in6_addr in6;
        } addr;
};

struct bind_mount {
        char *source; /* host path, absolute */
        char *target; /* container path, absolute */
        bool read_only;
};

struct tmpfs_mount {
        char *path;    /* absolute */
        uint64_t size; /* bytes; 0 = kernel default */
};

struct env_file {
        char *path;    /* host path, absolute */
        bool optional; /* written with a leading '-': a missing file is skipped */
};

struct port_map {
        uint16_t host_port;
        uint16_t container_port;
        int protocol; /* IPPROTO_TCP or IPPROTO_UDP */
};

struct id_map {
        uint32_t inside;
        uint32_t outside;
        uint32_t count;
};

/* Value parsers of SPEC §2/§3. Each returns 0 or -EINVAL/-ERANGE and leaves *ret untouched on
 * failure. */
int parse_boolean(const char *s);                       /* 1, 0, or -EINVAL */
int parse_size(const char *s, uint64_t *ret);           /* K M G T (1024), "infinity" */
int parse_duration(const char *s, uint64_t *ret_usec);  /* "250ms", "5s", "2min", "1h", "1h 30min", bare = s */
int parse_percent(const char *s, unsigned *ret_permyriad); /* "20%" -> 2000, "150%" -> 15000 */
int parse_uint64(const char *s, uint64_t *ret);
int parse_uint32_range(const char *s, uint32_t min, uint32_t max, uint32_t *ret);
int parse_cidr(const char *s, struct cidr *ret);        /* host bits may be set: "10.0.0.1/24" */
int parse_ip_addr(const char *s, struct ip_addr *ret);
int parse_signal(const char *s, int *ret);              /* "SIGTERM", "TERM", "15", "SIGRTMIN+2" */
const char *signal_to_string(int sig);                  /* "SIGTERM"; NULL when unknown */
int parse_capability(const char *s, int *ret);          /* "CAP_NET_ADMIN" (case-insensitive, CAP_ optional) */
const char *capability_to_string(int cap);              /* "CAP_NET_ADMIN" */
int capability_last(void);                              /* highest capability libcap has a name for */
int parse_cpu_list(const char *s, char **ret_normalized); /* "0-1,3" -> "0-1,3"; validates, sorts, merges */
int parse_bind(const char *s, struct bind_mount *ret);  /* HOST:CONTAINER[:ro|:rw] */
int parse_tmpfs(const char *s, struct tmpfs_mount *ret); /* PATH[:size=N] */
int parse_port_map(const char *s, struct port_map *ret); /* HOSTPORT:CONTAINERPORT[/tcp|/udp] */
int parse_id_map(const char *s, struct id_map *ret);    /* UID:HOSTUID:COUNT */
bool unit_name_is_valid(const char *name);
bool hostname_is_valid(const char *s);
bool path_is_absolute_normalized(const char *p); /* absolute, no "..", no "//" */

/* Splits a command line into words: whitespace separates, "…" and '…' quote, backslash escapes
 * (\\ \" \' \  \n \t). Returns the word count, -EINVAL on an unterminated quote or a trailing
 * backslash. On success *ret is a NULL-terminated vector (possibly empty). */
int split_quoted(const char *s, char ***ret);

/* ---- configuration ------------------------------------------------------------------------ */

/* Every key, in file order within each section: the index of its row in the key table
 * (units/key-table.c) and of unit_config.origin[]. */
enum unit_key {
        /* [Unit] */
        UK_DESCRIPTION,
        UK_REQUIRES,
        UK_WANTS,
        UK_AFTER,
        UK_AUTOSTART,
        /* [Container] */
        UK_EXEC,
        UK_ROOTFS,
        UK_LAYERS,
        UK_OVERLAY,
        UK_READONLY,
        UK_NAMESPACES,
        UK_HOSTNAME,
        UK_USERNAMESPACE,
        UK_USER,
        UK_GROUP,
        UK_WORKINGDIRECTORY,
        UK_ENVIRONMENT,
        UK_ENVIRONMENTFILE,
        UK_BIND,
        UK_TMPFS,
        UK_INIT,
        UK_CAPABILITIES,
        UK_NONEWPRIVILEGES,
        UK_SECCOMP,
        /* [Service] */
        UK_TYPE,
        UK_RESTART,
        UK_RESTARTSEC,
        UK_RESTARTMAXDELAYSEC,
        UK_RESTARTRESETSEC,
        UK_STARTLIMITBURST,
        UK_STARTLIMITINTERVALSEC,
        UK_TIMEOUTSTARTSEC,
        UK_TIMEOUTSTOPSEC,
        UK_KILLSIGNAL,
        UK_LOGMAXSIZE,
        /* [Network] */
        UK_BRIDGE,
        UK_ADDRESS,
        UK_GATEWAY,
        UK_PUBLISHPORT,
        UK_DNS,
        /* [Resources] */
        UK_MEMORYMAX,
        UK_MEMORYHIGH,
        UK_CPUQUOTA,
        UK_CPUWEIGHT,
        UK_ALLOWEDCPUS,
        UK_TASKSMAX,
        UK_IOWEIGHT,
        _UK_MAX,
};

enum bridge_key {
        BK_ADDRESS,
        BK_NAT,
        _BK_MAX,
};

/* Where a key was last set: the file (the unit or one of its drop-ins) and the line. line == 0
 * means the key was never set. */
struct key_origin {
        const char *file; /* points into unit_config.path or .dropins */
        unsigned line;
};

enum unit_load_state {
        UNIT_LOADED,
        UNIT_LOAD_ERROR,
        UNIT_NOT_FOUND,
        _UNIT_LOAD_STATE_MAX,
};
const char *unit_load_state_to_string(enum unit_load_state s);

struct unit_config {
        char *name;     /* without ".unit" */
        char *path;     /* the .unit file as opened */
        char **dropins; /* NAME.unit.d/\*.conf, lexical order, as opened */
        enum unit_load_state load_state;
        char *load_error; /* first error, one line, for `status`; NULL when loaded */

        /* [Unit] */
        char *description;
        char **requires;
        char **wants;
        char **after;
        bool autostart;

        /* [Container] */
        char **exec; /* argv, never empty when loaded */
        char *rootfs;
        char **layers; /* upper-most first */
        enum overlay_mode overlay;
        bool read_only;
        unsigned namespaces; /* enum unit_ns bits; user is added by UserNamespace= */
        char *hostname;      /* defaults to name when uts is private */
        enum userns_mode userns;
        struct id_map userns_map; /* USERNS_MAP only */
        char *user;               /* numeric or a name for the container's /etc/passwd */
        char *group;
        char *working_directory;
        char **environment; /* VAR=value, PATH default first; later entries win */
        struct env_file *environment_files; /* read at each start, in order, after environment */
        size_t n_environment_files;
        struct bind_mount *binds;
        size_t n_binds;
        struct tmpfs_mount *tmpfs;
        size_t n_tmpfs;
        bool init; /* run the minimal init as PID 1 */
        uint64_t capabilities; /* bounding set, bit per CAP_* */
        bool no_new_privileges;
        enum seccomp_mode seccomp;

        /* [Service] */
        enum service_type type;
        enum restart_policy restart;
        uint64_t restart_usec;
        uint64_t restart_max_delay_usec;
        uint64_t restart_reset_usec;
        unsigned start_limit_burst;
        uint64_t start_limit_interval_usec;
        uint64_t timeout_start_usec;
        uint64_t timeout_stop_usec;
        int kill_signal;
        uint64_t log_max_size;

        /* [Network] */
        char *bridge; /* NULL: only lo */
        bool address_auto;
        struct cidr address;  /* when !address_auto; prefix taken from the bridge if absent */
        bool gateway_set;     /* else the bridge address */
        struct ip_addr gateway;
        struct port_map *ports;
        size_t n_ports;
        struct ip_addr *dns;
        size_t n_dns;

        /* [Resources]; SIZE_INFINITY / USEC_INFINITY / 0 mean "not set" as noted */
        uint64_t memory_max;           /* SIZE_INFINITY */
        uint64_t memory_high;          /* SIZE_INFINITY */
        unsigned cpu_quota_permyriad;  /* 0: no quota; 2000 = 20% of one CPU */
        uint32_t cpu_weight;           /* 0: not set (kernel default 100) */
        char *allowed_cpus;            /* normalized list, NULL: not set */
        uint64_t tasks_max;            /* SIZE_INFINITY */
        uint32_t io_weight;            /* 0: not set */

        struct key_origin origin[_UK_MAX];
};

struct bridge_config {
        char *name; /* the link name, at most 15 bytes */
        char *path;
        enum unit_load_state load_state;
        char *load_error;
        struct cidr address; /* bridge address with the subnet prefix */
        bool nat;
        struct key_origin origin[_BK_MAX];
};

/* One error found in a file: printed as "FILE:LINE: KEY: MESSAGE" (KEY omitted when NULL). */
struct unit_diag {
        char *file;
        unsigned line;
        char *key; /* "MemoryMax", "[Foo]" for a section; NULL for syntax errors */
        char *message;
};

/* Everything loaded from a directory (or a list of paths, for verify). Units and bridges are
 * sorted by name. Units and bridges with errors are kept, with load_state UNIT_LOAD_ERROR. */
struct unit_set {
        struct unit_config **units;
        size_t n_units;
        struct bridge_config **bridges;
        size_t n_bridges;
        struct unit_diag *diags;
        size_t n_diags;
};

struct unit_config *unit_config_free(struct unit_config *u);
struct bridge_config *bridge_config_free(struct bridge_config *b);
struct unit_set *unit_set_free(struct unit_set *s);
void unit_set_freep(struct unit_set **s);

/**
 * unit_set_load_dir() - load every *.unit and *.bridge of @dir with their drop-ins.
 *
 * Runs the cross-unit checks (Bridge= names a loaded bridge, Address= inside its subnet,
 * dependency cycles). Returns 0 (even when some files have errors: see ->diags and each
 * load_state), or -errno when @dir cannot be read.
 */
int unit_set_load_dir(const char *dir, struct unit_set **ret);

/**
 * unit_set_load_paths() - load the given files and directories, as `supctl verify` does.
 *
 * A directory is loaded as by unit_set_load_dir(); a file must end in .unit, .bridge or .conf
 * (a drop-in, checked against an empty unit). Bridges referenced by a unit are looked up among
 * the loaded ones and, for a file given alone, in its own directory. Returns 0 or -errno when a
 * path cannot be read (also recorded as a diag).
 */
int unit_set_load_paths(char *const *paths, struct unit_set **ret);

/**
 * unit_config_load() - parse one unit file and its drop-ins.
 *
 * Appends diagnostics to @diags/@n_diags. Cross-unit checks are not run. Only regular files are
 * read (anything else is refused unopened: a FIFO cannot block the caller); a unit file or drop-in
 * that cannot be read is a diag "PATH: PROBLEM" ("not a regular file (FIFO)", "symlink loop (...)")
 * and makes the unit's load state UNIT_LOAD_ERROR with that message as load_error.
 *
 * Returns: 0 with *ret set (load_state tells whether it is usable), -ENOENT (nothing recorded) when
 * @path does not exist (or is a dangling symlink), or -ENOMEM. bridge_config_load() alike.
 */
int unit_config_load(const char *path, const char *name, char *const *dropins, struct unit_diag **diags,
                     size_t *n_diags, struct unit_config **ret);
int bridge_config_load(const char *path, const char *name, struct unit_diag **diags, size_t *n_diags,
                       struct bridge_config **ret);

/* Parses from memory (for tests and the fuzzer); @display is the file name used in diags. */
int unit_config_parse_string(const char *display, const char *name, const char *text, struct unit_diag **diags,
                             size_t *n_diags, struct unit_config **ret);
int bridge_config_parse_string(const char *display, const char *name, const char *text,
                               struct unit_diag **diags, size_t *n_diags, struct bridge_config **ret);

struct unit_config *unit_set_find_unit(const struct unit_set *s, const char *name);
struct bridge_config *unit_set_find_bridge(const struct unit_set *s, const char *name);

/* Formats a diag as "FILE:LINE: KEY: MESSAGE" into a new string. */
char *unit_diag_format(const struct unit_diag *d);
void unit_diags_free(struct unit_diag *diags, size_t n);

/**
 * unit_config_dump() - write the effective configuration, every key, defaults included, in
 * canonical unit-file syntax. Two units behave the same iff their dumps are equal.
 */
int unit_config_dump(const struct unit_config *u, FILE *f);
int bridge_config_dump(const struct bridge_config *b, FILE *f);

/**
 * unit_environment_file_read() - read a file named by EnvironmentFile=.
 * @path: the host file
 * @ret: its assignments as "VAR=value" strings in file order (when applied, a later one of the
 *       same name wins); an empty vector for a file without any
 * @ret_error: on failure other than -ENOMEM, "PATH:LINE: what is wrong" (a syntax error) or
 *             "PATH: what is wrong" (reading), owned by the caller; may be NULL
 *
 * Syntax: one VAR=value per line; blank lines and lines starting with '#' or ';' are skipped;
 * "export " before the name is allowed; the value is taken as is (surrounding blanks dropped), or
 * from double quotes (a backslash escapes \ " $ `) or single quotes. Only a regular file is
 * read, and anything else is refused unopened (a FIFO does not block), of at most 1 MiB and
 * without NUL bytes. The '-' of an optional file is the caller's business: -ENOENT then means
 * "skip it".
 *
 * Returns: 0; -EINVAL for a syntax error; -ENOMEM; or -ENOENT, -EISDIR, -EBADFD (not a regular
 * file), -ELOOP, -EFBIG, -EBADMSG (a NUL byte) or another -errno of reading, with *ret_error
 * "PATH: what is wrong" ("PATH: not a regular file (FIFO)").
 */
int unit_environment_file_read(const char *path, char ***ret, char **ret_error);

/* ---- reload diff -------------------------------------------------------------------------- */

enum unit_change {
        UNIT_ADDED,
        UNIT_REMOVED,
        UNIT_CHANGED,
        UNIT_UNCHANGED,
        _UNIT_CHANGE_MAX,
};
const char *unit_change_to_string(enum unit_change c);

struct unit_diff_entry {
        const char *name; /* points into the old or new set */
        bool is_bridge;
        enum unit_change change;
        /* UNIT_CHANGED only: every key that differs can be applied to the running unit (they are
         * all [Resources] keys), both sides are loaded and the bridge did not change. */
        bool live;
};

/**
 * unit_set_diff() - compare two loaded sets by effective configuration.
 *
 * A unit counts as changed when one of its keys differs (by canonical form, as the dump prints
 * it), its load state differs, or the bridge it uses changed; ->live tells whether the change can
 * be applied without a restart. Entries are sorted by name, bridges first. Returns the count or
 * -ENOMEM.
 */
int unit_set_diff(const struct unit_set *old, const struct unit_set *new, struct unit_diff_entry **ret);
