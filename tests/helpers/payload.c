/* SPDX-License-Identifier: MIT */
/*
 * payload: a static test program run inside test containers, in the spirit of crun's tests/init.c.
 *
 * One binary, one subcommand per behaviour a test needs. Everything a test checks is printed on stdout
 * as one "key=value" line per fact, flushed at once, so shell tests can grep for it while the payload is
 * still running. It must stay statically linked (it runs in a busybox rootfs with no libc), so it never
 * calls NSS functions (getpwnam() & co.) and does not link libsystemd: sd_notify is a plain sendto().
 *
 * Exit codes: 0 success, 1 the operation failed (reason on stdout/stderr), 2 usage error.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define NSEC_PER_SEC 1000000000LL
#define MIB (1024UL * 1024UL)

static const char *program_name = "payload";

/* Kept out of the compiler's sight so that "crash" really faults instead of being folded into a trap. */
static int *volatile null_pointer = NULL;

static _Noreturn void usage(void) {
        fprintf(stderr,
                "Usage: %s COMMAND [ARGS]\n"
                "\n"
                "  report                  ids, namespaces, fds, caps, cgroup, env... as key=value\n"
                "  sleep N|inf             print \"sleeping\", sleep N (fractional) seconds or forever\n"
                "  exit N                  exit with status N\n"
                "  crash                   die of SIGSEGV\n"
                "  kill-self SIG           raise signal SIG (number or name)\n"
                "  ignore-term [N]         ignore SIGTERM/SIGINT, print \"ignoring\", sleep\n"
                "  orphans N [--exit]      leave N orphaned zombies, print \"orphans=N\", sleep forever\n"
                "  signals                 print \"waiting\", then \"signal=NAME\" for each signal; SIGTERM ends it\n"
                "  double-fork             leave a grandchild ignoring SIGTERM, print \"grandchild=PID\"\n"
                "  fork-bomb [MAX]         fork until fork fails (or MAX forks), print \"forks=N\"; sleep\n"
                "  alloc MB                allocate and touch MB MiB, print \"allocated=N\" every 10; sleep\n"
                "  spin [SECONDS]          busy-loop for SECONDS or forever\n"
                "  log N [INTERVAL_MS]     \"line I\" on stdout (even I), \"err I\" on stderr (odd I)\n"
                "  notify MSG... [--then-sleep]\n"
                "                          send each MSG as a datagram to $NOTIFY_SOCKET\n"
                "  count                   print \"count=N\" every 100 ms, forever\n"
                "  write-file PATH TEXT    write TEXT to PATH\n"
                "  cat PATH                print PATH\n"
                "  wait-file PATH [CMD ARG...]\n"
                "                          wait (polling every 50 ms, no output) until PATH exists, then\n"
                "                          exec CMD (an absolute path) or exit 0\n"
                "  mknod-open PATH b|c MAJOR MINOR\n"
                "                          mknod PATH, open it without I/O, remove it:\n"
                "                          \"mknod=ok|ERRNO open=ok|ERRNO\"\n"
                "  open PATH MODE... [PATH MODE...]...\n"
                "                          probe PATH, writing nothing: r open and read 1 byte, a open\n"
                "                          O_WRONLY|O_APPEND, d list, m statvfs; \"open_r_proc_keys=ok|ERRNO\",\n"
                "                          \"read_...=N\", \"entries_...=N\", \"mount_...=ro|rw|ERRNO\"\n"
                "  remount PATH...         try a read-write bind remount: \"remount_proc_sys=ok|ERRNO\"\n"
                "  syscall NAME...         one harmless call each (keyctl, mount, clone-newuser, fork...):\n"
                "                          \"NAME=ok|ERRNO|SIGNAME\"; a seccomp filter's denial is EPERM\n",
                program_name);
        exit(2);
}

static void flush_stdout(void) {
        fflush(stdout);
}

static _Noreturn void sleep_forever(void) {
        flush_stdout();
        for (;;)
                pause();
}

static struct timespec now_monotonic(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts;
}

static int64_t timespec_to_nsec(struct timespec ts) {
        return (int64_t) ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static struct timespec nsec_to_timespec(int64_t nsec) {
        return (struct timespec) {
                .tv_sec = (time_t) (nsec / NSEC_PER_SEC),
                .tv_nsec = (long) (nsec % NSEC_PER_SEC),
        };
}

static int64_t seconds_to_nsec(double seconds) {
        /* Anything past a few centuries is as good as forever; avoid overflowing int64_t. */
        if (seconds > 9e9)
                return INT64_MAX / 2;
        return (int64_t) (seconds * (double) NSEC_PER_SEC);
}

/* Sleeps for the given number of seconds, restarting after signals; INFINITY sleeps forever. */
static void sleep_seconds(double seconds) {
        struct timespec until;

        flush_stdout();
        if (isinf(seconds))
                sleep_forever();

        until = nsec_to_timespec(timespec_to_nsec(now_monotonic()) + seconds_to_nsec(seconds));
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
                ;
}

static void sleep_msec(long msec) {
        struct timespec ts = nsec_to_timespec((int64_t) msec * 1000000LL);

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static bool parse_long(const char *s, long min, long max, long *ret) {
        char *end = NULL;
        long v;

        if (!s || !*s)
                return false;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || !end || *end != '\0' || v < min || v > max)
                return false;
        *ret = v;
        return true;
}

/* Accepts a non-negative, possibly fractional number of seconds, or "inf"/"infinity" (forever). */
static bool parse_seconds(const char *s, double *ret) {
        char *end = NULL;
        double v;

        if (!s || !*s)
                return false;
        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || !end || *end != '\0' || isnan(v) || v < 0)
                return false;
        *ret = v;
        return true;
}

static const struct {
        const char *name;
        int number;
} signal_table[] = {
        { "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "ILL", SIGILL },
        { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },   { "BUS", SIGBUS },   { "FPE", SIGFPE },
        { "KILL", SIGKILL }, { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
        { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },   { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
        { "CONT", SIGCONT }, { "STOP", SIGSTOP },   { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
        { "TTOU", SIGTTOU }, { "URG", SIGURG },     { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
        { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
        { "PWR", SIGPWR },   { "SYS", SIGSYS },
};

static bool parse_signal(const char *s, int *ret) {
        long n;

        if (parse_long(s, 1, _NSIG - 1, &n)) {
                *ret = (int) n;
                return true;
        }

        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
                if (strcasecmp(s, signal_table[i].name) == 0) {
                        *ret = signal_table[i].number;
                        return true;
                }

        return false;
}

static void set_signal(int sig, void (*handler)(int)) {
        struct sigaction sa = {
                .sa_handler = handler,
        };
        sigset_t mask;

        sigemptyset(&sa.sa_mask);
        (void) sigaction(sig, &sa, NULL);

        sigemptyset(&mask);
        sigaddset(&mask, sig);
        (void) sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

/* Prints a value on one line: a newline (possible in environment values) is shown as "\n", so that each
 * key=value stays one line; nothing else is escaped, so tests can grep for values as they set them. */
static void print_value_escaped(const char *v) {
        for (; *v; v++) {
                if (*v == '\n')
                        fputs("\\n", stdout);
                else
                        putchar(*v);
        }
        putchar('\n');
}

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *) a, y = *(const int *) b;

        return (x > y) - (x < y);
}

/* Open fds from /proc/self/fd, sorted, without the one used to read the directory. */
static bool report_fds(void) {
        int fds[4096];
        size_t n = 0;
        struct dirent *de;
        DIR *d;

        d = opendir("/proc/self/fd");
        if (!d)
                return false;

        while ((de = readdir(d))) {
                long fd;

                if (de->d_name[0] == '.')
                        continue;
                if (!parse_long(de->d_name, 0, INT_MAX, &fd))
                        continue;
                if (fd == dirfd(d))
                        continue;
                if (n < ELEMENTSOF(fds))
                        fds[n++] = (int) fd;
        }
        closedir(d);

        qsort(fds, n, sizeof(fds[0]), cmp_int);
        fputs("fds=", stdout);
        for (size_t i = 0; i < n; i++)
                printf("%s%d", i > 0 ? "," : "", fds[i]);
        putchar('\n');
        return true;
}

static int cmp_string(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static void report_namespaces(void) {
        char *names[64];
        size_t n = 0;
        struct dirent *de;
        DIR *d;

        d = opendir("/proc/self/ns");
        if (!d)
                return;

        while ((de = readdir(d)) && n < ELEMENTSOF(names)) {
                if (de->d_name[0] == '.')
                        continue;
                names[n] = strdup(de->d_name);
                if (names[n])
                        n++;
        }
        closedir(d);

        qsort(names, n, sizeof(names[0]), cmp_string);
        for (size_t i = 0; i < n; i++) {
                char path[PATH_MAX];
                struct stat st;

                snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
                if (stat(path, &st) >= 0)
                        printf("ns_%s=%ju\n", names[i], (uintmax_t) st.st_ino);
                else
                        printf("ns_%s=error\n", names[i]);
                free(names[i]);
        }
}

static void report_status(void) {
        static const struct {
                const char *field;
                const char *key;
        } fields[] = {
                { "CapBnd:", "capbnd" },
                { "CapEff:", "capeff" },
                { "NoNewPrivs:", "nonewprivs" },
                { "Seccomp:", "seccomp" },
        };
        char line[1024];
        FILE *f;

        f = fopen("/proc/self/status", "re");
        if (!f)
                return;

        while (fgets(line, sizeof(line), f))
                for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                        size_t l = strlen(fields[i].field);
                        char *v;

                        if (strncmp(line, fields[i].field, l) != 0)
                                continue;
                        v = line + l;
                        v += strspn(v, " \t");
                        v[strcspn(v, "\n")] = '\0';
                        printf("%s=%s\n", fields[i].key, v);
                }
        fclose(f);
}

static void report_cgroup(void) {
        char line[4096];
        bool first = true;
        FILE *f;

        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return;

        fputs("cgroup=", stdout);
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                printf("%s%s", first ? "" : ";", line);
                first = false;
        }
        putchar('\n');
        fclose(f);
}

static void report_mounts(void) {
        unsigned long n = 0;
        int c, last = '\n';
        FILE *f;

        f = fopen("/proc/self/mounts", "re");
        if (!f)
                return;

        while ((c = getc(f)) != EOF) {
                if (c == '\n')
                        n++;
                last = c;
        }
        if (last != '\n')
                n++;
        fclose(f);

        printf("mounts=%lu\n", n);
}

static void report_groups(void) {
        gid_t *groups;
        int n;

        n = getgroups(0, NULL);
        if (n < 0)
                return;
        groups = calloc((size_t) n + 1, sizeof(gid_t));
        if (!groups)
                return;
        n = getgroups(n, groups);
        if (n >= 0) {
                fputs("groups=", stdout);
                for (int i = 0; i < n; i++)
                        printf("%s%ju", i > 0 ? "," : "", (uintmax_t) groups[i]);
                putchar('\n');
        }
        free(groups);
}

static void report_environment(void) {
        for (char **e = environ; e && *e; e++) {
                const char *eq = strchr(*e, '=');

                if (!eq || eq == *e)
                        continue;
                printf("env_%.*s=", (int) (eq - *e), *e);
                print_value_escaped(eq + 1);
        }
}

static int cmd_report(void) {
        char buf[PATH_MAX];
        struct stat st;
        bool have_proc;

        /* First, before anything else opens a file, so that only inherited fds are listed. */
        have_proc = report_fds();

        printf("pid=%d\n", (int) getpid());
        printf("ppid=%d\n", (int) getppid());
        printf("uid=%ju\n", (uintmax_t) getuid());
        printf("gid=%ju\n", (uintmax_t) getgid());
        printf("euid=%ju\n", (uintmax_t) geteuid());
        printf("egid=%ju\n", (uintmax_t) getegid());
        report_groups();

        if (gethostname(buf, sizeof(buf)) >= 0) {
                buf[sizeof(buf) - 1] = '\0';
                printf("hostname=%s\n", buf);
        }

        if (getcwd(buf, sizeof(buf)))
                printf("cwd=%s\n", buf);
        else
                printf("cwd=error:%s\n", strerror(errno));

        if (stat("/", &st) >= 0)
                printf("rootino=%ju\n", (uintmax_t) st.st_ino);

        if (!have_proc || access("/proc/self/status", F_OK) < 0) {
                puts("proc=missing");
        } else {
                puts("proc=present");
                report_namespaces();
                report_status();
                report_cgroup();
                report_mounts();
        }

        report_environment();
        flush_stdout();
        return 0;
}

static int cmd_sleep(int argc, char **argv) {
        double seconds;

        if (argc != 2 || !parse_seconds(argv[1], &seconds))
                usage();

        puts("sleeping");
        sleep_seconds(seconds);
        return 0;
}

static int cmd_exit(int argc, char **argv) {
        long status;

        if (argc != 2 || !parse_long(argv[1], 0, 255, &status))
                usage();

        flush_stdout();
        return (int) status;
}

static int cmd_crash(int argc, char **argv) {
        if (argc != 1)
                usage();

        flush_stdout();
        set_signal(SIGSEGV, SIG_DFL);
        (void) raise(SIGSEGV);

        /* Still here: we are the PID 1 of a pid namespace, where the kernel drops signals sent to init with
         * the default action. A real fault is delivered by force and kills even init. */
        *null_pointer = 1;

        abort();
}

static int cmd_kill_self(int argc, char **argv) {
        int sig;

        if (argc != 2 || !parse_signal(argv[1], &sig))
                usage();

        flush_stdout();
        if (sig != SIGKILL && sig != SIGSTOP)
                set_signal(sig, SIG_DFL);
        if (raise(sig) < 0) {
                fprintf(stderr, "%s: raise(%d): %s\n", program_name, sig, strerror(errno));
                return 1;
        }

        /* Signals whose default action is to ignore, SIGCONT, SIGSTOP after a later SIGCONT, or any signal
         * while we are the PID 1 of a pid namespace. */
        printf("survived=%d\n", sig);
        flush_stdout();
        return 0;
}

static int cmd_ignore_term(int argc, char **argv) {
        double seconds = INFINITY;

        if (argc > 2 || (argc == 2 && !parse_seconds(argv[1], &seconds)))
                usage();

        set_signal(SIGTERM, SIG_IGN);
        set_signal(SIGINT, SIG_IGN);
        puts("ignoring");
        sleep_seconds(seconds);
        return 0;
}

/* Catches every catchable signal and prints "signal=NAME" for each, until SIGTERM (which ends it with
 * status 0 after printing). For tests of signal forwarding by the container's init. */
static int cmd_signals(int argc, char **argv) {
        sigset_t all;
        int sig;

        if (argc != 1)
                usage();
        sigfillset(&all);
        sigdelset(&all, SIGSEGV);
        sigdelset(&all, SIGBUS);
        sigdelset(&all, SIGILL);
        sigdelset(&all, SIGFPE);
        (void) sigprocmask(SIG_BLOCK, &all, NULL);
        puts("waiting");
        flush_stdout();
        for (;;) {
                const char *name = NULL;

                if (sigwait(&all, &sig) != 0)
                        return 1;
                for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
                        if (signal_table[i].number == sig)
                                name = signal_table[i].name;
                if (name)
                        printf("signal=%s\n", name);
                else
                        printf("signal=%d\n", sig);
                flush_stdout();
                if (sig == SIGTERM)
                        return 0;
        }
}

static int cmd_orphans(int argc, char **argv) {
        bool do_exit = false;
        long n;

        if (argc < 2 || argc > 3 || !parse_long(argv[1], 0, 100000, &n))
                usage();
        if (argc == 3) {
                if (strcmp(argv[2], "--exit") != 0)
                        usage();
                do_exit = true;
        }

        /* An inherited SIG_IGN would make the kernel reap our children for us and waitpid() fail. */
        set_signal(SIGCHLD, SIG_DFL);
        flush_stdout();

        for (long i = 0; i < n; i++) {
                pid_t child;

                child = fork();
                if (child < 0) {
                        fprintf(stderr, "%s: fork: %s\n", program_name, strerror(errno));
                        return 1;
                }
                if (child == 0) {
                        /* The grandchild exits at once and is never waited for by its parent, which exits
                         * too: it ends up a zombie of whoever reaps orphans here. */
                        if (fork() == 0)
                                _exit(0);
                        _exit(0);
                }

                while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
                        ;
        }

        printf("orphans=%ld\n", n);
        flush_stdout();
        if (do_exit)
                return 0;
        sleep_forever();
}

static int cmd_double_fork(int argc, char **argv) {
        pid_t child, grandchild = 0;
        int pipefd[2];
        ssize_t l;

        if (argc != 1)
                usage();

        set_signal(SIGCHLD, SIG_DFL);
        flush_stdout();

        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                fprintf(stderr, "%s: pipe2: %s\n", program_name, strerror(errno));
                return 1;
        }

        child = fork();
        if (child < 0) {
                fprintf(stderr, "%s: fork: %s\n", program_name, strerror(errno));
                return 1;
        }
        if (child == 0) {
                pid_t pid;

                close(pipefd[0]);
                (void) setsid();

                pid = fork();
                if (pid == 0) {
                        close(pipefd[1]);
                        set_signal(SIGTERM, SIG_IGN);
                        for (;;)
                                pause();
                }
                if (pid < 0)
                        _exit(1);
                if (write(pipefd[1], &pid, sizeof(pid)) != (ssize_t) sizeof(pid))
                        _exit(1);
                _exit(0);
        }

        close(pipefd[1]);
        do
                l = read(pipefd[0], &grandchild, sizeof(grandchild));
        while (l < 0 && errno == EINTR);
        close(pipefd[0]);

        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
                ;

        if (l != (ssize_t) sizeof(grandchild)) {
                fprintf(stderr, "%s: failed to learn the grandchild's pid\n", program_name);
                return 1;
        }

        printf("grandchild=%d\n", (int) grandchild);
        sleep_forever();
}

static int cmd_fork_bomb(int argc, char **argv) {
        unsigned long *forks, printed = ULONG_MAX;
        long max = LONG_MAX;
        pid_t top = getpid();
        int64_t last_print = 0;

        if (argc > 2 || (argc == 2 && !parse_long(argv[1], 0, LONG_MAX, &max)))
                usage();

        /* Shared between all descendants, so the top process can report the total. */
        forks = mmap(NULL, sizeof(*forks), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (forks == MAP_FAILED) {
                fprintf(stderr, "%s: mmap: %s\n", program_name, strerror(errno));
                return 1;
        }
        *forks = 0;

        /* Children are never waited for while forking: an exited one would free a pid slot. Let the kernel
         * reap them, they only exit when killed anyway. */
        set_signal(SIGCHLD, SIG_IGN);
        flush_stdout();

        for (;;) {
                unsigned long total;
                pid_t pid;

                /* Reserve the fork first, so that racing processes cannot go past MAX together. */
                total = __atomic_add_fetch(forks, 1, __ATOMIC_RELAXED);
                if (total > (unsigned long) max) {
                        __atomic_sub_fetch(forks, 1, __ATOMIC_RELAXED);
                        break;
                }

                pid = fork();
                if (pid < 0) {
                        __atomic_sub_fetch(forks, 1, __ATOMIC_RELAXED);
                        break;
                }
                if (pid > 0) {
                        if (getpid() == top) {
                                int64_t now = timespec_to_nsec(now_monotonic());

                                if (now - last_print >= NSEC_PER_SEC) {
                                        printf("forks=%lu\n", total);
                                        flush_stdout();
                                        printed = total;
                                        last_print = now;
                                }
                        }
                }
                /* The child goes round the loop too and forks on its own. */
        }

        if (getpid() != top)
                for (;;)
                        pause();

        /* Other processes may still be succeeding: keep reporting, at most once a second, on change. */
        for (;;) {
                unsigned long total = __atomic_load_n(forks, __ATOMIC_RELAXED);
                int64_t now = timespec_to_nsec(now_monotonic());

                if (total != printed && now - last_print >= NSEC_PER_SEC) {
                        printf("forks=%lu\n", total);
                        flush_stdout();
                        printed = total;
                        last_print = now;
                }
                sleep_msec(200);
        }
}

static int cmd_alloc(int argc, char **argv) {
        long mb;

        if (argc != 2 || !parse_long(argv[1], 0, LONG_MAX / (long) MIB, &mb))
                usage();

        for (long i = 1; i <= mb; i++) {
                char *p;

                p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED) {
                        printf("allocated=%ld\n", i - 1);
                        printf("error=%s\n", strerror(errno));
                        flush_stdout();
                        return 1;
                }
                /* Write every byte so that the pages are really charged to the cgroup. */
                memset(p, 0x5a, MIB);

                if (i % 10 == 0 || i == mb) {
                        printf("allocated=%ld\n", i);
                        flush_stdout();
                }
        }

        if (mb == 0)
                puts("allocated=0");
        sleep_forever();
}

static int cmd_spin(int argc, char **argv) {
        double seconds = INFINITY;
        int64_t until;
        volatile unsigned long counter = 0;

        if (argc > 2 || (argc == 2 && !parse_seconds(argv[1], &seconds)))
                usage();

        flush_stdout();
        until = isinf(seconds) ? INT64_MAX : timespec_to_nsec(now_monotonic()) + seconds_to_nsec(seconds);
        for (;;) {
                for (unsigned i = 0; i < 100000; i++)
                        counter++;
                if (timespec_to_nsec(now_monotonic()) >= until)
                        break;
        }
        return 0;
}

static int cmd_log(int argc, char **argv) {
        long n, interval = 0;

        if (argc < 2 || argc > 3 || !parse_long(argv[1], 0, LONG_MAX, &n))
                usage();
        if (argc == 3 && !parse_long(argv[2], 0, LONG_MAX / 1000000L, &interval))
                usage();

        for (long i = 1; i <= n; i++) {
                if (i % 2 == 1) {
                        fprintf(stderr, "err %ld\n", i);
                        fflush(stderr);
                } else {
                        printf("line %ld\n", i);
                        flush_stdout();
                }
                if (interval > 0 && i < n)
                        sleep_msec(interval);
        }
        return 0;
}

static int notify_send(int fd, const struct sockaddr_un *sa, socklen_t salen, const char *msg) {
        ssize_t l;

        do
                l = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *) sa, salen);
        while (l < 0 && errno == EINTR);

        return l < 0 ? -errno : 0;
}

static int cmd_notify(int argc, char **argv) {
        struct sockaddr_un sa = {
                .sun_family = AF_UNIX,
        };
        bool then_sleep = false;
        const char *socket_path;
        socklen_t salen;
        size_t l;
        int fd, n = 0;

        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--then-sleep") == 0)
                        then_sleep = true;

        socket_path = getenv("NOTIFY_SOCKET");
        if (!socket_path || !*socket_path) {
                fprintf(stderr, "%s: $NOTIFY_SOCKET is not set\n", program_name);
                puts("error=NOTIFY_SOCKET unset");
                flush_stdout();
                return 1;
        }

        l = strlen(socket_path);
        if ((socket_path[0] != '/' && socket_path[0] != '@') || l >= sizeof(sa.sun_path)) {
                fprintf(stderr, "%s: unsupported $NOTIFY_SOCKET '%s'\n", program_name, socket_path);
                return 1;
        }
        memcpy(sa.sun_path, socket_path, l);
        if (sa.sun_path[0] == '@') {
                /* Abstract socket: the name is the leading NUL plus the rest, without a trailing NUL. */
                sa.sun_path[0] = '\0';
                salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l);
        } else
                salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + 1);

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                fprintf(stderr, "%s: socket: %s\n", program_name, strerror(errno));
                return 1;
        }

        for (int i = 1; i < argc; i++) {
                int r;

                if (strcmp(argv[i], "--then-sleep") == 0)
                        continue;

                r = notify_send(fd, &sa, salen, argv[i]);
                if (r < 0) {
                        fprintf(stderr, "%s: sendto '%s': %s\n", program_name, socket_path, strerror(-r));
                        printf("error=%s\n", strerror(-r));
                        flush_stdout();
                        close(fd);
                        return 1;
                }
                n++;
        }
        close(fd);

        printf("sent=%d\n", n);
        flush_stdout();
        if (then_sleep)
                sleep_forever();
        return 0;
}

static int cmd_count(int argc, char **argv) {
        if (argc != 1)
                usage();

        /* Relative sleeps: after a thaw the counter resumes at its pace instead of catching up. */
        for (unsigned long i = 1;; i++) {
                printf("count=%lu\n", i);
                flush_stdout();
                sleep_msec(100);
        }
}

/* udp-echo PORT: sends every datagram back to its sender (for published udp ports). */
static int cmd_udp_echo(int argc, char **argv) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        char buf[2048];
        int fd;

        if (argc != 2)
                usage();
        sa.sin_port = htons((uint16_t) atoi(argv[1]));
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                perror("udp-echo");
                return 1;
        }
        printf("listening=%s\n", argv[1]);
        flush_stdout();
        for (;;) {
                struct sockaddr_in from;
                socklen_t len = sizeof(from);
                ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *) &from, &len);
                if (n >= 0)
                        (void) sendto(fd, buf, (size_t) n, 0, (struct sockaddr *) &from, len);
        }
}

static void print_errno(int err) {
        const char *name = strerrorname_np(err);

        printf("error=%s\n", strerror(err));
        printf("errno=%s\n", name ? name : "unknown");
        flush_stdout();
}

static int cmd_write_file(int argc, char **argv) {
        const char *p;
        size_t left;
        int fd;

        if (argc != 3)
                usage();

        fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0) {
                int err = errno;

                fprintf(stderr, "%s: %s: %s\n", program_name, argv[1], strerror(err));
                print_errno(err);
                return 1;
        }

        for (p = argv[2], left = strlen(argv[2]); left > 0;) {
                ssize_t l = write(fd, p, left);

                if (l < 0) {
                        int err = errno;

                        if (err == EINTR)
                                continue;
                        fprintf(stderr, "%s: %s: %s\n", program_name, argv[1], strerror(err));
                        print_errno(err);
                        close(fd);
                        return 1;
                }
                p += l;
                left -= (size_t) l;
        }

        if (close(fd) < 0) {
                int err = errno;

                fprintf(stderr, "%s: %s: %s\n", program_name, argv[1], strerror(err));
                print_errno(err);
                return 1;
        }

        printf("written=%zu\n", strlen(argv[2]));
        flush_stdout();
        return 0;
}

/* A gate for tests that must hold a unit back until something happened elsewhere: stat() every 50 ms,
 * nothing printed and next to no CPU used (the unit's CPU time stays the command's), then the command
 * in the same process, so the unit's main pid does not change. */
static int cmd_wait_file(int argc, char **argv) {
        struct stat st;

        if (argc < 2)
                usage();

        while (stat(argv[1], &st) < 0) {
                if (errno != ENOENT) {
                        fprintf(stderr, "%s: wait-file: %s: %s\n", program_name, argv[1], strerror(errno));
                        return 1;
                }
                sleep_seconds(0.05);
        }
        if (argc == 2)
                return 0;

        flush_stdout();
        execv(argv[2], argv + 2);
        fprintf(stderr, "%s: wait-file: %s: %s\n", program_name, argv[2], strerror(errno));
        return 127;
}

static int cmd_cat(int argc, char **argv) {
        char buf[65536];
        ssize_t l;
        int fd;

        if (argc != 2)
                usage();

        fd = open(argv[1], O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int err = errno;

                fprintf(stderr, "%s: %s: %s\n", program_name, argv[1], strerror(err));
                print_errno(err);
                return 1;
        }

        flush_stdout();
        for (;;) {
                l = read(fd, buf, sizeof(buf));
                if (l < 0 && errno == EINTR)
                        continue;
                if (l <= 0)
                        break;
                for (ssize_t off = 0; off < l;) {
                        ssize_t w = write(STDOUT_FILENO, buf + off, (size_t) (l - off));

                        if (w < 0) {
                                if (errno == EINTR)
                                        continue;
                                close(fd);
                                return 1;
                        }
                        off += w;
                }
        }
        if (l < 0) {
                int err = errno;

                fprintf(stderr, "%s: %s: %s\n", program_name, argv[1], strerror(err));
                close(fd);
                return 1;
        }

        close(fd);
        return 0;
}

/* KEY_PATH with PATH's leading '/' dropped and every other character but [A-Za-z0-9] made '_', then
 * "=VALUE": "open_r_proc_sys_kernel_core_pattern=EROFS". */
static void print_path_value(const char *key, const char *path, const char *value) {
        printf("%s_", key);
        for (const char *p = path + strspn(path, "/"); *p; p++)
                putchar((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ? *p : '_');
        printf("=%s\n", value);
}

static const char *errno_name(int err) {
        const char *name = strerrorname_np(err);

        return name ? name : "unknown";
}

/* One probe of PATH; a failure is a result, not an error of the payload. Never writes anything. */
static void probe_open(const char *path, char mode) {
        char key[8] = { 'o', 'p', 'e', 'n', '_', mode, '\0' };
        char value[32];
        int fd;

        switch (mode) {
        case 'r': {
                char c;
                ssize_t n;

                /* O_NONBLOCK: a probe must not hang on what waits for data (/proc/kmsg). */
                fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                if (fd < 0) {
                        print_path_value(key, path, errno_name(errno));
                        return;
                }
                n = read(fd, &c, 1);
                print_path_value(key, path, n < 0 ? errno_name(errno) : "ok");
                if (n >= 0) {
                        snprintf(value, sizeof(value), "%zd", n);
                        print_path_value("read", path, value);
                }
                close(fd);
                return;
        }
        case 'a':
                fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
                print_path_value(key, path, fd < 0 ? errno_name(errno) : "ok");
                if (fd >= 0)
                        close(fd);
                return;
        case 'd': {
                struct dirent *de;
                long entries = 0;
                DIR *d;

                d = opendir(path);
                if (!d) {
                        print_path_value(key, path, errno_name(errno));
                        return;
                }
                while ((de = readdir(d)))
                        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                                entries++;
                closedir(d);
                print_path_value(key, path, "ok");
                snprintf(value, sizeof(value), "%ld", entries);
                print_path_value("entries", path, value);
                return;
        }
        case 'm': {
                struct statvfs sv;

                if (statvfs(path, &sv) < 0)
                        print_path_value("mount", path, errno_name(errno));
                else
                        print_path_value("mount", path, sv.f_flag & ST_RDONLY ? "ro" : "rw");
                return;
        }
        default:
                usage();
        }
}

static int cmd_open(int argc, char **argv) {
        const char *path = NULL;

        if (argc < 3 || argv[1][0] != '/')
                usage();
        for (int i = 1; i < argc; i++) {
                if (argv[i][0] == '/')
                        path = argv[i];
                else if (strlen(argv[i]) == 1)
                        probe_open(path, argv[i][0]);
                else
                        usage();
        }
        flush_stdout();
        return 0;
}

static int cmd_remount(int argc, char **argv) {
        if (argc < 2)
                usage();
        for (int i = 1; i < argc; i++) {
                /* No MS_RDONLY: the probe asks for read-write, without touching any file. */
                int r = mount(NULL, argv[i], NULL, MS_REMOUNT | MS_BIND, NULL);

                print_path_value("remount", argv[i], r < 0 ? errno_name(errno) : "ok");
        }
        flush_stdout();
        return 0;
}

/* The device allowlist (SPEC §7): whether a node can be made, and whether it can then be opened. The open
 * does no I/O: read-only for a block device, read-write for a char device (what a user of /dev/fuse
 * does), non-blocking. An existing PATH (EEXIST) is opened as it is and left in place, so that the
 * container's own /dev/null can be tried too. */
static int cmd_mknod_open(int argc, char **argv) {
        unsigned long major, minor;
        int mknod_err = 0, open_err = 0, fd;
        char *end;
        bool block;

        if (argc != 5 || (strcmp(argv[2], "b") != 0 && strcmp(argv[2], "c") != 0))
                usage();
        block = argv[2][0] == 'b';
        errno = 0;
        major = strtoul(argv[3], &end, 10);
        if (errno != 0 || *end != '\0' || end == argv[3])
                usage();
        minor = strtoul(argv[4], &end, 10);
        if (errno != 0 || *end != '\0' || end == argv[4])
                usage();

        if (mknod(argv[1], (block ? S_IFBLK : S_IFCHR) | 0600, makedev(major, minor)) < 0)
                mknod_err = errno;

        fd = open(argv[1], (block ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                open_err = errno;
        else
                close(fd);

        if (mknod_err == 0)
                (void) unlink(argv[1]);

        printf("mknod=%s open=%s\n", mknod_err ? strerrorname_np(mknod_err) ?: "unknown" : "ok",
               open_err ? strerrorname_np(open_err) ?: "unknown" : "ok");
        flush_stdout();
        return (mknod_err == 0 || mknod_err == EEXIST) && open_err == 0 ? 0 : 1;
}

/* The probes of "syscall NAME...": one harmless call each. Run as root on the host with no filter, none
 * changes anything there: invalid arguments that the kernel refuses after its permission checks (so that a
 * filter's EPERM is told apart from the kernel's own verdict), read-only queries, or state of the probing
 * process only, which is a child forked for the one probe. A seccomp filter that denies the call makes it
 * fail with EPERM (clone3: ENOSYS). */
#define PROBE_PATH "/nonexistent-sup-probe"

#ifdef __x86_64__
/* i386's keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0) through int 0x80. Without 32-bit
 * emulation in the kernel, the instruction faults (SIGSEGV). */
static long probe_i386_keyctl(void) {
        long r;

        __asm__ volatile("int $0x80" : "=a"(r) : "a"(288L), "b"(0L), "c"(-1L), "d"(0L) : "memory");
        if (r < 0 && r > -4096) {
                errno = (int) -r;
                return -1;
        }
        return r;
}
#endif

static int probe_thread_main_result;

static void *probe_thread_main(void *arg) {
        probe_thread_main_result = 1;
        return arg;
}

static long probe_syscall(const char *name) {
        const struct timespec ts = {};
        struct {
                unsigned handle_bytes;
                int handle_type;
        } fh = {};
        struct timex tx = {};
        int mount_id;
        pid_t pid;
        long r;

        /* Denied by Seccomp=default. */
        if (strcmp(name, "keyctl") == 0) /* KEYCTL_GET_KEYRING_ID of the thread keyring, never created */
                return syscall(SYS_keyctl, 0, -1, 0);
        if (strcmp(name, "add_key") == 0) /* keyring 0: EINVAL before any type lookup */
                return syscall(SYS_add_key, "sup-nonexistent", "sup", NULL, 0, 0);
        if (strcmp(name, "request_key") == 0) /* destination -100: EINVAL before any type lookup */
                return syscall(SYS_request_key, "user", "sup", NULL, -100);
        if (strcmp(name, "bpf") == 0)
                return syscall(SYS_bpf, 0x7fffffff, NULL, 0);
        if (strcmp(name, "perf_event_open") == 0)
                return syscall(SYS_perf_event_open, NULL, -1, -1, -1, 0);
        if (strcmp(name, "userfaultfd") == 0) {
                r = syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */);
                if (r >= 0)
                        close((int) r);
                return r;
        }
        if (strcmp(name, "io_uring_setup") == 0)
                return syscall(SYS_io_uring_setup, 0, NULL);
        if (strcmp(name, "kexec_load") == 0) /* invalid flags, too many segments */
                return syscall(SYS_kexec_load, 0, 1000, NULL, 0x8000);
        if (strcmp(name, "kexec_file_load") == 0) /* invalid flags (never KEXEC_FILE_UNLOAD) */
                return syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0x8000);
        if (strcmp(name, "init_module") == 0) /* an empty image: ENOEXEC */
                return syscall(SYS_init_module, NULL, 0, "");
        if (strcmp(name, "finit_module") == 0)
                return syscall(SYS_finit_module, -1, "", 0);
        if (strcmp(name, "delete_module") == 0)
                return syscall(SYS_delete_module, "sup_nonexistent", O_NONBLOCK);
        if (strcmp(name, "mount") == 0)
                return syscall(SYS_mount, "none", PROBE_PATH, "tmpfs", 0, NULL);
        if (strcmp(name, "umount2") == 0)
                return syscall(SYS_umount2, PROBE_PATH, 0);
        if (strcmp(name, "pivot_root") == 0)
                return syscall(SYS_pivot_root, PROBE_PATH, PROBE_PATH);
        if (strcmp(name, "open_tree") == 0)
                return syscall(SYS_open_tree, -1, PROBE_PATH, 0);
        if (strcmp(name, "move_mount") == 0)
                return syscall(SYS_move_mount, -1, PROBE_PATH, -1, PROBE_PATH, 0);
        if (strcmp(name, "fsopen") == 0) /* invalid flags: EINVAL before any file system type lookup */
                return syscall(SYS_fsopen, "tmpfs", 0x80000000U);
        if (strcmp(name, "fsmount") == 0)
                return syscall(SYS_fsmount, -1, 0, 0);
        if (strcmp(name, "fspick") == 0)
                return syscall(SYS_fspick, -1, PROBE_PATH, 0);
        if (strcmp(name, "mount_setattr") == 0) /* size 0: EINVAL */
                return syscall(SYS_mount_setattr, -1, PROBE_PATH, 0, NULL, 0);
        if (strcmp(name, "unshare") == 0) /* of this probe process only */
                return unshare(CLONE_NEWUSER);
        if (strcmp(name, "setns") == 0)
                return setns(-1, 0);
        if (strcmp(name, "clone-newuser") == 0) {
                pid = (pid_t) syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
                if (pid == 0)
                        _exit(0);
                if (pid > 0)
                        (void) waitpid(pid, NULL, 0);
                return pid;
        }
        if (strcmp(name, "clone3") == 0) /* no arguments: EINVAL (denied: ENOSYS) */
                return syscall(SYS_clone3, NULL, 0);
        if (strcmp(name, "reboot") == 0) /* wrong magic: EINVAL */
                return syscall(SYS_reboot, 0, 0, 0, NULL);
        if (strcmp(name, "settimeofday") == 0) /* neither time nor zone: nothing to set */
                return syscall(SYS_settimeofday, NULL, NULL);
        if (strcmp(name, "clock_settime") == 0) /* the monotonic clock cannot be set: EINVAL */
                return syscall(SYS_clock_settime, CLOCK_MONOTONIC, &ts);
        if (strcmp(name, "swapon") == 0)
                return syscall(SYS_swapon, PROBE_PATH, 0);
        if (strcmp(name, "swapoff") == 0)
                return syscall(SYS_swapoff, PROBE_PATH);
        if (strcmp(name, "acct") == 0) /* never acct(NULL): that would turn accounting off */
                return syscall(SYS_acct, PROBE_PATH);
        if (strcmp(name, "open_by_handle_at") == 0)
                return syscall(SYS_open_by_handle_at, -1, NULL, O_RDONLY);
        if (strcmp(name, "personality") == 0) /* ADDR_NO_RANDOMIZE, for this probe process */
                return syscall(SYS_personality, 0x0040000);
        if (strcmp(name, "quotactl") == 0) /* Q_GETFMT of a device that does not exist */
                return syscall(SYS_quotactl, 0x80000400U, PROBE_PATH, 0, NULL);
        if (strcmp(name, "kcmp") == 0) /* KCMP_FILE: fd 0 against itself */
                return syscall(SYS_kcmp, getpid(), getpid(), 0, 0, 0);
        if (strcmp(name, "process_vm_readv") == 0) /* nothing, from itself */
                return syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0);
        if (strcmp(name, "process_vm_writev") == 0)
                return syscall(SYS_process_vm_writev, getpid(), NULL, 0, NULL, 0, 0);
        if (strcmp(name, "pidfd_getfd") == 0)
                return syscall(SYS_pidfd_getfd, -1, 0, 0);
        if (strcmp(name, "syslog") == 0) /* SYSLOG_ACTION_SIZE_BUFFER: read-only */
                return syscall(SYS_syslog, 10, NULL, 0);
        if (strcmp(name, "fanotify_init") == 0) /* invalid flags */
                return syscall(SYS_fanotify_init, 0xffffffffU, 0);
        if (strcmp(name, "mbind") == 0) /* an empty range */
                return syscall(SYS_mbind, 0, 0, 0, NULL, 0, 0);
        if (strcmp(name, "set_mempolicy") == 0) /* MPOL_DEFAULT, for this probe process */
                return syscall(SYS_set_mempolicy, 0, NULL, 0);
        if (strcmp(name, "sethostname") == 0) /* too long: EINVAL, nothing renamed */
                return syscall(SYS_sethostname, "x", 100000);
        if (strcmp(name, "socket-vsock") == 0) { /* invalid type: EINVAL before any family lookup */
                r = syscall(SYS_socket, 40 /* AF_VSOCK */, 15, 0);
                if (r >= 0)
                        close((int) r);
                return r;
        }
#ifdef __x86_64__
        if (strcmp(name, "iopl") == 0) /* level 0: no change */
                return syscall(SYS_iopl, 0);
        if (strcmp(name, "ioperm") == 0) /* no ports: EINVAL */
                return syscall(SYS_ioperm, 0, 0, 0);
        if (strcmp(name, "i386-keyctl") == 0)
                return probe_i386_keyctl();
        if (strcmp(name, "x32-keyctl") == 0) /* __X32_SYSCALL_BIT | keyctl: ENOSYS without x32 */
                return syscall(0x40000000 | SYS_keyctl, 0, -1, 0);
#endif

        /* Allowed by Seccomp=default: a program needs them. */
        if (strcmp(name, "fork") == 0) {
                pid = fork();
                if (pid == 0)
                        _exit(0);
                if (pid > 0 && waitpid(pid, NULL, 0) != pid)
                        return -1;
                return pid;
        }
        if (strcmp(name, "thread") == 0) { /* glibc tries clone3 first, then clone */
                pthread_t t;
                int e = pthread_create(&t, NULL, probe_thread_main, NULL);

                if (e == 0)
                        e = pthread_join(t, NULL);
                if (e == 0 && !probe_thread_main_result)
                        e = EIO;
                errno = e;
                return e ? -1 : 0;
        }
        if (strcmp(name, "chroot") == 0)
                return syscall(SYS_chroot, PROBE_PATH);
        if (strcmp(name, "personality-query") == 0)
                return syscall(SYS_personality, 0xffffffffU);
        if (strcmp(name, "adjtimex") == 0) /* modes 0: read-only */
                return syscall(SYS_adjtimex, &tx);
        if (strcmp(name, "clock_adjtime") == 0)
                return syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
        if (strcmp(name, "name_to_handle_at") == 0) /* no room for the handle: EOVERFLOW */
                return syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &fh, &mount_id, 0);
        if (strcmp(name, "socket-unix") == 0) {
                r = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (r >= 0)
                        close((int) r);
                return r;
        }

        errno = EDOM; /* not a probe we know */
        return -2;
}

/* syscall NAME...: "NAME=ok", "NAME=ERRNO" (EPERM when a filter denied it), or "NAME=SIGNAME" when the
 * probe died (i386 calls without 32-bit emulation). Each probe runs in a child of its own. */
static int cmd_syscall(int argc, char **argv) {
        if (argc < 2)
                usage();

        for (int i = 1; i < argc; i++) {
                const char *name = argv[i];
                int status;
                pid_t pid;

                flush_stdout();
                pid = fork();
                if (pid < 0) {
                        printf("%s=fork:%s\n", name, strerrorname_np(errno) ?: "unknown");
                        continue;
                }
                if (pid == 0) {
                        long r;

                        errno = 0;
                        r = probe_syscall(name);
                        if (r == -2)
                                _exit(255);
                        _exit(r < 0 ? (errno > 0 && errno < 255 ? errno : 254) : 0);
                }
                while (waitpid(pid, &status, 0) < 0)
                        if (errno != EINTR) {
                                status = -1;
                                break;
                        }

                if (status == -1)
                        printf("%s=waitpid:%s\n", name, strerrorname_np(errno) ?: "unknown");
                else if (WIFSIGNALED(status))
                        printf("%s=SIG%s\n", name, sigabbrev_np(WTERMSIG(status)) ?: "unknown");
                else if (WEXITSTATUS(status) == 255) {
                        fprintf(stderr, "%s: syscall: unknown probe '%s'\n", program_name, name);
                        exit(2);
                } else if (WEXITSTATUS(status) == 0)
                        printf("%s=ok\n", name);
                else
                        printf("%s=%s\n", name, strerrorname_np(WEXITSTATUS(status)) ?: "unknown");
        }
        flush_stdout();
        return 0;
}

int main(int argc, char **argv) {
        static const struct {
                const char *name;
                int (*run)(int argc, char **argv);
        } commands[] = {
                { "sleep",       cmd_sleep },
                { "exit",        cmd_exit },
                { "crash",       cmd_crash },
                { "kill-self",   cmd_kill_self },
                { "ignore-term", cmd_ignore_term },
                { "orphans",     cmd_orphans },
                { "signals",     cmd_signals },
                { "double-fork", cmd_double_fork },
                { "fork-bomb",   cmd_fork_bomb },
                { "alloc",       cmd_alloc },
                { "spin",        cmd_spin },
                { "log",         cmd_log },
                { "notify",      cmd_notify },
                { "count",       cmd_count },
                { "udp-echo",    cmd_udp_echo },
                { "write-file",  cmd_write_file },
                { "cat",         cmd_cat },
                { "wait-file",   cmd_wait_file },
                { "mknod-open",  cmd_mknod_open },
                { "open",        cmd_open },
                { "remount",     cmd_remount },
                { "syscall",     cmd_syscall },
        };

        if (argc > 0 && argv[0] && *argv[0]) {
                const char *slash = strrchr(argv[0], '/');

                program_name = slash ? slash + 1 : argv[0];
        }

        if (argc < 2)
                usage();

        if (strcmp(argv[1], "report") == 0) {
                if (argc != 2)
                        usage();
                return cmd_report();
        }

        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].run(argc - 1, argv + 1);

        usage();
}
