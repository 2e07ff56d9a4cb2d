/* SPDX-License-Identifier: MIT */

/* Tests of supervisor/logstream.c on a real libev loop and real pipes, in a temporary directory:
 * the line format, order per stream, partial and long lines, several runs' pipes at once, rotation,
 * notes, the in-memory tail, write failures, flushing on free, batching of a flood and the latency
 * of a single line, and no fd leaks. No root needed. */

#include <dirent.h>
#include <ev.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "tap.h"
#include "units.h"

static struct ev_loop *loop;
static char tmpdir[] = "/tmp/test-logstream-XXXXXX";

static char *path_in_tmp(const char *name) {
        char *p;

        if (asprintf(&p, "%s/%s", tmpdir, name) < 0)
                abort();
        return p;
}

static int count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* the DIR's own fd */
}

static void write_all(int fd, const void *data, size_t n) {
        const char *p = data;

        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        abort();
                }
                p += k;
                n -= (size_t) k;
        }
}

_printf_(2, 3) static void writef(int fd, const char *fmt, ...) {
        _cleanup_free_ char *buf = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&buf, fmt, ap);
        va_end(ap);
        if (n < 0)
                abort();
        write_all(fd, buf, (size_t) n);
}

static void timeout_cb(struct ev_loop *l, ev_timer *w, int revents) {
        *(bool *) w->data = true;
        ev_break(l, EVBREAK_ALL);
}

/* Runs the loop until no pipe is left to watch (all at EOF), at most @secs. Returns true unless
 * it timed out. The timer is unref'd so that it alone does not keep the loop running. */
static bool run_until_eof(double secs) {
        bool timed_out = false;
        ev_timer t;

        ev_timer_init(&t, timeout_cb, secs, 0.);
        t.data = &timed_out;
        ev_timer_start(loop, &t);
        ev_unref(loop);
        ev_run(loop, 0);
        ev_ref(loop);
        ev_timer_stop(loop, &t);
        return !timed_out;
}

static uint64_t file_size(const char *path) {
        struct stat st;

        if (stat(path, &st) < 0)
                return UINT64_MAX;
        return (uint64_t) st.st_size;
}

/* The lines of a file, without their newlines; *ret_whole tells whether it ends in one. NULL when
 * the file cannot be read. */
static char **read_lines(const char *path, bool *ret_whole) {
        _cleanup_free_ char *data = NULL;
        char **v = NULL;
        size_t size = 0, n = 0;
        FILE *f;

        f = fopen(path, "re");
        if (!f)
                return NULL;
        data = malloc(1);
        for (;;) {
                char chunk[65536];
                size_t k = fread(chunk, 1, sizeof(chunk), f);

                if (k == 0)
                        break;
                data = realloc(data, size + k + 1);
                if (!data)
                        abort();
                memcpy(data + size, chunk, k);
                size += k;
        }
        fclose(f);
        data[size] = 0;

        if (ret_whole)
                *ret_whole = size == 0 || data[size - 1] == '\n';

        v = calloc(1, sizeof(char *));
        for (size_t i = 0; i < size;) {
                char *nl = memchr(data + i, '\n', size - i);
                size_t k = nl ? (size_t) (nl - (data + i)) : size - i;

                v = realloc(v, (n + 2) * sizeof(char *));
                v[n] = strndup(data + i, k);
                if (!v || !v[n])
                        abort();
                v[++n] = NULL;
                i += k + 1;
        }
        return v;
}

/* Checks "YYYY-MM-DDTHH:MM:SS.uuuuuuZ TAG " and that the time is near now; returns the text after
 * the tag, and the tag in @tag. */
static const char *parse_line(const char *l, char tag[static 8]) {
        static const char pattern[] = "dddd-dd-ddTdd:dd:dd.ddddddZ ";
        struct tm tm = {};
        const char *t, *sp;
        time_t when;

        if (strlen(l) < (sizeof(pattern) - 1))
                return NULL;
        for (size_t i = 0; i < (sizeof(pattern) - 1); i++)
                if (pattern[i] == 'd' ? (l[i] < '0' || l[i] > '9') : l[i] != pattern[i])
                        return NULL;

        if (!strptime(l, "%Y-%m-%dT%H:%M:%S", &tm))
                return NULL;
        when = timegm(&tm);
        if (labs((long) (when - time(NULL))) > 3600)
                return NULL;

        t = l + (sizeof(pattern) - 1);
        sp = strchr(t, ' ');
        if (!sp || sp - t > 7)
                return NULL;
        memcpy(tag, t, (size_t) (sp - t));
        tag[sp - t] = 0;
        if (!streq(tag, "stdout") && !streq(tag, "stderr") && !streq(tag, "supd"))
                return NULL;
        return sp + 1;
}

/* The texts of the lines with @tag, in file order: those starting with one of the NULL-terminated
 * @prefixes when @keep, those starting with none of them otherwise. */
static char **texts_filter(char **lines, const char *tag, const char *const *prefixes, bool keep) {
        char **v = calloc(1, sizeof(char *));
        size_t n = 0;

        STRV_FOREACH (l, lines) {
                char t[8];
                const char *text = parse_line(*l, t);
                bool match = false;

                if (!text || !streq(t, tag))
                        continue;
                for (const char *const *p = prefixes; p && *p; p++)
                        if (startswith(text, *p))
                                match = true;
                if (match != keep)
                        continue;
                v = realloc(v, (n + 2) * sizeof(char *));
                v[n] = strdup(text);
                if (!v || !v[n])
                        abort();
                v[++n] = NULL;
        }
        return v;
}

static char **texts_of(char **lines, const char *tag, const char *const *skip) {
        return texts_filter(lines, tag, skip, false);
}

static char **texts_only(char **lines, const char *tag, const char *const *prefixes) {
        return texts_filter(lines, tag, prefixes, true);
}

static bool strv_equal(char **a, char **b, const char *name) {
        size_t na = strv_length(a), nb = strv_length(b);

        for (size_t i = 0; i < na && i < nb; i++)
                if (!streq(a[i], b[i])) {
                        diag("%s: line %zu differs: got \"%.60s\" (%zu bytes), want \"%.60s\" (%zu bytes)",
                             name, i, a[i], strlen(a[i]), b[i], strlen(b[i]));
                        return false;
                }
        if (na != nb) {
                diag("%s: got %zu lines, want %zu", name, na, nb);
                return false;
        }
        return true;
}

_printf_(3, 4) static void strv_pushf(char ***v, size_t *n, const char *fmt, ...) {
        va_list ap;

        *v = realloc(*v, (*n + 2) * sizeof(char *));
        va_start(ap, fmt);
        if (vasprintf(&(*v)[*n], fmt, ap) < 0)
                abort();
        va_end(ap);
        (*v)[++*n] = NULL;
}

static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);

        memset(s, c, n);
        s[n] = 0;
        return s;
}

/* ---- format, order, partial and long lines, several runs, notes, tail --------------------- */

static void test_lines(void) {
        _cleanup_free_ char *path = path_in_tmp("a.log"), *big = NULL, *full = NULL, *u = NULL;
        _cleanup_strv_free_ char **lines = NULL, **out = NULL, **err = NULL, **want_out = NULL,
                                 **want_err = NULL, **tail = NULL, **run2_out = NULL, **run2_err = NULL,
                                 **child_out = NULL, **child_err = NULL, **supd = NULL;
        static const char *const skip_other[] = {"child ", "run2 ", "last partial", NULL};
        static const char *const only_run2[] = {"run2 ", "last partial", NULL};
        static const char *const only_child[] = {"child ", NULL};
        struct log_stream *s = NULL;
        int o1, e1, o2, e2, go[2], status, bad = 0;
        size_t n_out = 0, n_err = 0, n;
        bool whole = false;
        pid_t pid;

        is_int(log_stream_new(loop, path, 1024 * 1024, &s), 0, "log_stream_new(a.log)");
        if (!s)
                return;
        is_int(log_stream_open_pipes(s, &o1, &e1), 0, "log_stream_open_pipes() for run 1");
        ok(fcntl(o1, F_GETFD) & FD_CLOEXEC && fcntl(e1, F_GETFD) & FD_CLOEXEC, "write ends are CLOEXEC");
        ok(!(fcntl(o1, F_GETFL) & O_NONBLOCK), "write ends are blocking");

        /* A child of run 1 that writes only after run 2 has started: the leftover process. */
        if (pipe2(go, O_CLOEXEC) < 0)
                abort();
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                char c;

                close(go[1]);
                (void) read(go[0], &c, 1);
                for (int i = 1; i <= 20; i++) {
                        writef(o1, "child out %d\n", i);
                        writef(e1, "child err %d\n", i);
                }
                _exit(0);
        }
        close(go[0]);

        for (int i = 1; i <= 50; i++) {
                writef(o1, "out %d\n", i);
                strv_pushf(&want_out, &n_out, "out %d", i);
                writef(e1, "err %d\n", i);
                strv_pushf(&want_err, &n_err, "err %d", i);
        }

        writef(o1, "crlf\r\n");
        strv_pushf(&want_out, &n_out, "crlf");
        writef(o1, "mid\rcr\n");
        strv_pushf(&want_out, &n_out, "mid\rcr");
        writef(o1, "\n");
        strv_pushf(&want_out, &n_out, "%s", "");
        writef(o1, "tab\there \x01 \xff\xfe\n");
        strv_pushf(&want_out, &n_out, "tab\there \x01 \xff\xfe");

        /* 10000 bytes: 4096 + 4096 + 1808 */
        big = malloc(10001);
        for (size_t i = 0; i < 10000; i++)
                big[i] = (char) ('a' + i % 26);
        big[10000] = 0;
        write_all(o1, big, 10000);
        write_all(o1, "\n", 1);
        strv_pushf(&want_out, &n_out, "%.4096s", big);
        strv_pushf(&want_out, &n_out, "%.4096s", big + 4096);
        strv_pushf(&want_out, &n_out, "%s", big + 8192);

        /* exactly one line's length, then CRLF: one line, not an extra empty one */
        full = repeat('L', LOG_STREAM_LINE_MAX);
        write_all(o1, full, LOG_STREAM_LINE_MAX);
        write_all(o1, "\r\n", 2);
        strv_pushf(&want_out, &n_out, "%s", full);

        /* the cut moves back rather than split the two bytes of "é" */
        u = repeat('u', LOG_STREAM_LINE_MAX - 1);
        writef(e1, "%s\xc3\xa9\n", u);
        strv_pushf(&want_err, &n_err, "%s", u);
        strv_pushf(&want_err, &n_err, "\xc3\xa9");

        close(o1);
        close(e1);

        is_int(log_stream_open_pipes(s, &o2, &e2), 0, "log_stream_open_pipes() for run 2, run 1 still open");
        writef(o2, "run2 out\n");
        writef(o2, "last partial\r");
        writef(e2, "run2 err no newline");
        close(o2);
        close(e2);

        write_all(go[1], "x", 1);
        close(go[1]);

        ok(run_until_eof(5.), "every pipe reaches EOF and stops being watched");
        ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "writer child exited cleanly");

        log_stream_note(s, "Started %s.", "a");
        log_stream_note(s, "two\nlines\n");

        lines = read_lines(path, &whole);
        ok(lines != NULL && whole, "a.log is made of whole lines");
        if (!lines)
                goto finish;
        STRV_FOREACH (l, lines) {
                char t[8];
                if (!parse_line(*l, t)) {
                        if (bad++ < 3)
                                diag("bad line: \"%.80s\"", *l);
                }
        }
        is_int(bad, 0, "every line has an RFC 3339 UTC timestamp with microseconds and a known tag");

        out = texts_of(lines, "stdout", skip_other);
        ok(strv_equal(out, want_out, "stdout"),
           "stdout of run 1: every line, in order, split and CR dropped");
        err = texts_of(lines, "stderr", skip_other);
        ok(strv_equal(err, want_err, "stderr"), "stderr of run 1: every line, in order, split at UTF-8");

        run2_out = texts_only(lines, "stdout", only_run2);
        ok(strv_length(run2_out) == 2 && streq(run2_out[0], "run2 out") &&
                   streq(run2_out[1], "last partial"),
           "stdout of run 2, the partial last line flushed at EOF without its CR");
        run2_err = texts_only(lines, "stderr", only_run2);
        ok(strv_length(run2_err) == 1 && streq(run2_err[0], "run2 err no newline"),
           "stderr of run 2: the line without a newline is flushed at EOF");

        child_out = texts_only(lines, "stdout", only_child);
        child_err = texts_only(lines, "stderr", only_child);
        {
                _cleanup_strv_free_ char **wo = NULL, **we = NULL;
                size_t ko = 0, ke = 0;

                for (int i = 1; i <= 20; i++) {
                        strv_pushf(&wo, &ko, "child out %d", i);
                        strv_pushf(&we, &ke, "child err %d", i);
                }
                ok(strv_equal(child_out, wo, "child stdout") && strv_equal(child_err, we, "child stderr"),
                   "the forked child's lines on both streams, in order");
        }

        supd = texts_of(lines, "supd", NULL);
        ok(strv_length(supd) == 3 && streq(supd[0], "Started a.") && streq(supd[1], "two") &&
                   streq(supd[2], "lines"),
           "log_stream_note() writes supd lines, one per line of the note");
        n = strv_length(lines);
        ok(n >= 3 && endswith(lines[n - 1], " supd lines") && endswith(lines[n - 3], " supd Started a."),
           "notes are the last lines of the file");

        is_int(log_stream_tail(s, 10, &tail), 10, "log_stream_tail(10) returns 10 lines");
        if (tail && n >= 10)
                ok(strv_equal(tail, lines + n - 10, "tail 10"), "the tail is the last 10 lines of the file");
        tail = strv_free(tail);
        is_int(log_stream_tail(s, 1000, &tail), LOG_STREAM_TAIL_MAX,
               "log_stream_tail(1000) caps at the ring");
        if (tail && n >= LOG_STREAM_TAIL_MAX)
                ok(strv_equal(tail, lines + n - LOG_STREAM_TAIL_MAX, "tail max"),
                   "oldest first, as in the file");
        tail = strv_free(tail);
        is_int(log_stream_tail(s, 0, &tail), 0, "log_stream_tail(0) is empty");
        ok(tail && !tail[0], "an empty vector");

finish:
        log_stream_free(s);
}

/* ---- rotation ---------------------------------------------------------------------------- */

#define ROT_LINE 100 /* formatted: 27 + 1 + 6 + 1 + 64 + 1 */

static void write_numbered(int fd, int from, int to) {
        for (int i = from; i <= to; i++) {
                char text[65 + 1];

                snprintf(text, sizeof(text), "line %05d %s", i,
                         "......................................................");
                text[64] = '\n';
                write_all(fd, text, 65);
        }
}

/* The numbers of NAME.log.1 then NAME.log; -1 for a line that is not a numbered stdout line. */
static int collect_numbers(const char *path, const char *rotated, int *nums, int max, int *ret_n_rotated) {
        int n = 0;

        for (int f = 0; f < 2; f++) {
                _cleanup_strv_free_ char **lines = read_lines(f == 0 ? rotated : path, NULL);

                STRV_FOREACH (l, lines) {
                        char t[8];
                        const char *text = parse_line(*l, t);
                        int v = -1;

                        if (n >= max)
                                return -1;
                        if (text && streq(t, "stdout") && sscanf(text, "line %d", &v) != 1)
                                v = -1;
                        nums[n++] = v;
                }
                if (f == 0)
                        *ret_n_rotated = n;
        }
        return n;
}

static bool contiguous(const int *nums, int n, int first, int last) {
        if (n != last - first + 1)
                return false;
        for (int i = 0; i < n; i++)
                if (nums[i] != first + i)
                        return false;
        return true;
}

static int count_entries(const char *prefix) {
        DIR *d = opendir(tmpdir);
        struct dirent *de;
        int n = 0;

        while (d && (de = readdir(d)))
                if (startswith(de->d_name, prefix))
                        n++;
        if (d)
                closedir(d);
        return n;
}

static void test_rotation(void) {
        _cleanup_free_ char *path = path_in_tmp("b.log"), *rotated = path_in_tmp("b.log.1");
        _cleanup_strv_free_ char **lines = NULL;
        struct log_stream *s = NULL;
        int nums[400], n, n_rot = 0, o, e;
        bool whole = false;

        is_int(log_stream_new(loop, path, 4096, &s), 0, "log_stream_new(b.log, 4096)");
        if (!s)
                return;

        /* 60 lines of 100 bytes: one rotation, after 40 */
        is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes for rotation, run 1");
        write_numbered(o, 1, 60);
        close(o);
        close(e);
        ok(run_until_eof(5.), "run 1 read to EOF");

        ok(access(rotated, F_OK) == 0, "b.log.1 exists after crossing the size");
        ok(file_size(path) <= 4096 && file_size(rotated) <= 4096,
           "both files within 4096 bytes (%llu, %llu)", (unsigned long long) file_size(path),
           (unsigned long long) file_size(rotated));
        n = collect_numbers(path, rotated, nums, (int) ELEMENTSOF(nums), &n_rot);
        is_int(n_rot, 40, "b.log.1 holds the first 40 lines (4000 bytes: the 41st would pass 4096)");
        ok(contiguous(nums, n, 1, 60), "no line lost across b.log.1 and b.log");

        /* 200 more: several rotations, one old file kept */
        is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes for rotation, run 2");
        write_numbered(e, 1, 1); /* stderr is rotated along, and not counted below */
        write_numbered(o, 61, 260);
        close(o);
        close(e);
        ok(run_until_eof(5.), "run 2 read to EOF");

        is_int(count_entries("b.log"), 2, "only b.log and b.log.1 after several rotations");
        ok(file_size(path) <= 4096 && file_size(rotated) <= 4096, "both files still within 4096 bytes");
        n = collect_numbers(path, rotated, nums, (int) ELEMENTSOF(nums), &n_rot);
        {
                /* drop the one stderr line wherever it landed */
                int k = 0;
                for (int i = 0; i < n; i++)
                        if (nums[i] >= 0)
                                nums[k++] = nums[i];
                ok(n > 0 && nums[k - 1] == 260 && contiguous(nums, k, nums[0], 260),
                   "the two files hold a gapless run of the newest lines, ending with 260");
        }

        /* a lower maximum takes effect with the next line */
        log_stream_set_max_size(s, 1000);
        log_stream_note(s, "Max lowered.");
        lines = read_lines(path, &whole);
        ok(lines && strv_length(lines) == 1 && endswith(lines[0], " supd Max lowered.") && whole,
           "log_stream_set_max_size() lower: the next line starts a fresh file");
        n = collect_numbers(path, rotated, nums, (int) ELEMENTSOF(nums), &n_rot);
        {
                int top = -1;

                for (int i = 0; i < n_rot; i++)
                        if (nums[i] > top)
                                top = nums[i];
                ok(n > n_rot && top == 260, "and the previous file became b.log.1");
        }

        /* a line larger than the maximum still gets written, alone */
        log_stream_set_max_size(s, 10);
        log_stream_note(s, "Too big for the file.");
        strv_free(lines);
        lines = read_lines(path, NULL);
        ok(lines && strv_length(lines) == 1 && endswith(lines[0], " supd Too big for the file."),
           "a line larger than the maximum goes to a fresh file of its own");

        log_stream_set_max_size(s, SIZE_INFINITY);
        log_stream_note(s, "No limit.");
        strv_free(lines);
        lines = read_lines(path, NULL);
        ok(lines && strv_length(lines) == 2, "SIZE_INFINITY: no rotation");

        log_stream_free(s);

        /* reopening appends */
        is_int(log_stream_new(loop, path, SIZE_INFINITY, &s), 0, "log_stream_new() on an existing file");
        if (!s)
                return;
        log_stream_note(s, "Appended.");
        log_stream_free(s);
        strv_free(lines);
        lines = read_lines(path, NULL);
        ok(lines && strv_length(lines) == 3 && endswith(lines[2], " supd Appended."), "it appends");
}

/* ---- supd's log: what the stream reports, captured ------------------------------------------ */

#define WARNINGS_MAX 32

static char warnings[WARNINGS_MAX][512];
static unsigned n_warnings;

_printf_(3, 0) static void capture_sink(int level, int error, const char *fmt, va_list ap) {
        if (level > LOG_LEVEL_WARN || n_warnings >= WARNINGS_MAX)
                return;
        /* %m reads errno, which log_full_errno() set; vsnprintf() opens no fd (EMFILE tests). */
        (void) vsnprintf(warnings[n_warnings++], sizeof(warnings[0]), fmt, ap);
}

log_sink_t log_sink = capture_sink;
int log_max_level = LOG_LEVEL_DEBUG;

/* How many warnings since the last warnings_take() contain @text. */
static unsigned warnings_matching(const char *text, bool show) {
        unsigned k = 0;

        for (unsigned i = 0; i < n_warnings; i++) {
                if (show)
                        diag("warning: %s", warnings[i]);
                if (strstr(warnings[i], text))
                        k++;
        }
        return k;
}

/* The same, and forgets them. */
static unsigned warnings_take(const char *text, bool show) {
        unsigned k = warnings_matching(text, show);

        n_warnings = 0;
        return k;
}

/* ---- write failures ---------------------------------------------------------------------- */

static void test_write_failure(void) {
        _cleanup_free_ char *path = path_in_tmp("c.log"), *long_text = repeat('x', 200);
        _cleanup_strv_free_ char **lines = NULL, **tail = NULL;
        struct log_stream *s = NULL;
        struct rlimit old, lim;
        bool whole = false;

        is_int(log_stream_new(loop, path, SIZE_INFINITY, &s), 0, "log_stream_new(c.log)");
        if (!s)
                return;
        log_stream_note(s, "Before.");

        /* RLIMIT_FSIZE makes the next writes short (then EFBIG), like a full disk */
        if (getrlimit(RLIMIT_FSIZE, &old) < 0)
                abort();
        lim = old;
        lim.rlim_cur = file_size(path) + 50;
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
                abort();
        log_stream_note(s, "%s", long_text);
        log_stream_note(s, "Dropped too: %s", long_text);
        if (setrlimit(RLIMIT_FSIZE, &old) < 0)
                abort();
        signal(SIGXFSZ, SIG_DFL);

        log_stream_note(s, "After.");

        lines = read_lines(path, &whole);
        ok(lines && whole && strv_length(lines) == 2 && endswith(lines[0], " Before.") &&
                   endswith(lines[1], " After."),
           "failed writes are dropped whole, writing goes on after");
        is_int(log_stream_bytes_dropped(s), 234 + 247, "the two dropped notes are counted (27 + 1 + 4 + 1 + 200 + 1, and 13 more)");
        is_int(warnings_matching("c: log file full, dropping output (No space left on device)", true), 1,
               "one warning when the drops began");
        is_int(warnings_take("c: log file written again; 481 bytes of output were dropped", false), 1,
               "one when writing worked again, with how much it dropped");
        is_int(log_stream_tail(s, 4, &tail), 4, "the tail still has the dropped lines");
        ok(tail && endswith(tail[1], long_text) &&
                   startswith(strstr(tail[2], " supd ") ?: "", " supd Dropped") &&
                   endswith(tail[3], " After."),
           "in order");

        /* a batch of 10 lines (100 bytes each) from a pipe, cut short after 250 bytes: the two
         * whole lines stay, the half of the third goes */
        {
                _cleanup_strv_free_ char **batch = NULL, **out = NULL;
                int o, e, v1 = 0, v2 = 0;

                is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes for a short batch write");
                write_numbered(o, 1, 10);
                close(o);
                close(e);
                lim.rlim_cur = file_size(path) + 250;
                signal(SIGXFSZ, SIG_IGN);
                if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
                        abort();
                ok(run_until_eof(5.), "short batch read to EOF");
                if (setrlimit(RLIMIT_FSIZE, &old) < 0)
                        abort();
                signal(SIGXFSZ, SIG_DFL);

                batch = read_lines(path, &whole);
                out = texts_of(batch, "stdout", NULL);
                ok(batch && whole && strv_length(batch) == 4 && strv_length(out) == 2 &&
                           sscanf(out[0], "line %d", &v1) == 1 && sscanf(out[1], "line %d", &v2) == 1 &&
                           v1 == 1 && v2 == 2,
                   "a short write of a batch keeps the whole lines it wrote");
                is_int(log_stream_bytes_dropped(s), 481 + 800, "the 8 lines it cut are counted");
                is_int(warnings_take("c: log file full, dropping output (No space left on device)", true), 1,
                       "a new episode, a new warning");
        }
        log_stream_free(s);

        /* the directory is gone: new fails cleanly */
        {
                _cleanup_free_ char *nope = path_in_tmp("nonexistent/d.log");
                struct log_stream *t = (struct log_stream *) 0x1;
                is_int(log_stream_new(loop, nope, 4096, &t), -ENOENT,
                       "log_stream_new() in a missing directory");
                ok(t == (struct log_stream *) 0x1, "leaves *ret alone on failure");
        }
}

/* ---- free flushes ------------------------------------------------------------------------ */

static void test_free_flushes(void) {
        _cleanup_free_ char *path = path_in_tmp("d.log");
        _cleanup_strv_free_ char **lines = NULL, **out = NULL, **err = NULL;
        struct log_stream *s = NULL;
        int o, e;

        is_int(log_stream_new(loop, path, SIZE_INFINITY, &s), 0, "log_stream_new(d.log)");
        if (!s)
                return;
        is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes held open by the writer");
        writef(o, "complete\npartial");
        (void) run_until_eof(0.1); /* the pipes stay open: this waits out the batching delay */

        lines = read_lines(path, NULL);
        ok(lines && strv_length(lines) == 1 && endswith(lines[0], " stdout complete"),
           "a partial line waits for its newline");

        writef(e, "unread\nrest");
        log_stream_free(s);
        strv_free(lines);
        lines = read_lines(path, NULL);
        out = texts_of(lines, "stdout", NULL);
        err = texts_of(lines, "stderr", NULL);
        ok(strv_length(out) == 2 && streq(out[1], "partial"),
           "log_stream_free() writes out the partial line");
        ok(strv_length(err) == 2 && streq(err[0], "unread") && streq(err[1], "rest"),
           "and what was still in the pipe");

        /* the read ends are closed now: the writer sees EPIPE */
        signal(SIGPIPE, SIG_IGN);
        ok(write(o, "x", 1) < 0 && errno == EPIPE, "log_stream_free() closed the read ends");
        signal(SIGPIPE, SIG_DFL);
        close(o);
        close(e);
}

/* ---- volume: more than a wakeup's budget, a writer that blocks on a full pipe -------------- */

static void test_volume(void) {
        _cleanup_free_ char *path = path_in_tmp("e.log");
        _cleanup_strv_free_ char **lines = NULL, **out = NULL;
        struct log_stream *s = NULL;
        int o, e, status, bad = 0;
        pid_t pid;

        is_int(log_stream_new(loop, path, SIZE_INFINITY, &s), 0, "log_stream_new(e.log)");
        if (!s)
                return;
        is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes for a chatty writer");
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                write_numbered(o, 1, 5000); /* 325 KB: blocks until the loop catches up */
                _exit(0);
        }
        close(o);
        close(e);

        ok(run_until_eof(10.), "a 325 KB burst is read to EOF");
        ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "chatty child exited cleanly");
        lines = read_lines(path, NULL);
        out = texts_of(lines, "stdout", NULL);
        for (int i = 0; i < 5000; i++) {
                int v = -1;
                if (!out || !out[i] || sscanf(out[i], "line %d", &v) != 1 || v != i + 1)
                        bad++;
        }
        ok(bad == 0 && strv_length(out) == 5000, "all 5000 lines, in order");
        log_stream_free(s);
}

/* ---- batching: a flood of short lines, a single line's latency ------------------------------ */

static void guard_cb(struct ev_loop *l, ev_timer *w, int revents) {
        *(bool *) w->data = true;
}

static double mono_sec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Under ASan every realloc of the test's line vectors moves them: fewer lines keep it linear enough. */
#if defined(__SANITIZE_ADDRESS__)
#define FLOOD_LINES 10000
#else
#define FLOOD_LINES 100000
#endif

static void test_flood(void) {
        _cleanup_free_ char *path = path_in_tmp("f.log");
        _cleanup_strv_free_ char **lines = NULL, **out = NULL;
        struct log_stream *s = NULL;
        int o, e, status, bad = 0, bad_time = 0, pipe_size;
        bool whole = false, timed_out = false;
        uint64_t size_before;
        double start, waited;
        ev_timer guard;
        pid_t pid;

        is_int(log_stream_new(loop, path, SIZE_INFINITY, &s), 0, "log_stream_new(f.log)");
        if (!s)
                return;
        is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes for a flood");
        pipe_size = fcntl(o, F_GETPIPE_SZ);
        ok(pipe_size > 65536, "the pipe is enlarged beyond the default (%d bytes)", pipe_size);

        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                /* as a program with stdio would: full 4 KiB writes, lines cut across them */
                char buf[4096];
                size_t n = 0;

                for (int i = 1; i <= FLOOD_LINES; i++) {
                        char line[32];
                        int k = snprintf(line, sizeof(line), "flood %d\n", i);

                        for (int j = 0; j < k; j++) {
                                buf[n++] = line[j];
                                if (n == sizeof(buf)) {
                                        write_all(o, buf, n);
                                        n = 0;
                                }
                        }
                }
                write_all(o, buf, n);
                _exit(0);
        }
        close(o);
        close(e);

        ok(run_until_eof(20.), "a flood of %d lines is read to EOF", FLOOD_LINES);
        ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "flooding child exited cleanly");
        lines = read_lines(path, &whole);
        ok(lines && whole, "f.log is made of whole lines");
        for (size_t i = 0; lines && lines[i]; i++) {
                char t[8];

                if (!parse_line(lines[i], t) || (i > 0 && strncmp(lines[i - 1], lines[i], 27) > 0))
                        bad_time++;
        }
        is_int(bad_time, 0, "every timestamp well-formed, and never going back");
        out = texts_of(lines, "stdout", NULL);
        for (int i = 0; i < FLOOD_LINES; i++) {
                int v = -1;
                if (!out || !out[i] || sscanf(out[i], "flood %d", &v) != 1 || v != i + 1)
                        bad++;
        }
        ok(bad == 0 && strv_length(out) == FLOOD_LINES, "all %d lines, complete and in order", FLOOD_LINES);

        /* a single line, written alone into a quiet pipe, is not held back for long */
        is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes for a single line");
        size_before = file_size(path);
        /* The loop's clock is as old as its last iteration, which the checks above may have made
         * long ago: a timer armed from it would be already due. */
        ev_now_update(loop);
        ev_timer_init(&guard, guard_cb, 1., 0.);
        guard.data = &timed_out;
        ev_timer_start(loop, &guard);
        start = mono_sec();
        writef(o, "alone\n");
        while (file_size(path) == size_before && !timed_out)
                ev_run(loop, EVRUN_ONCE);
        waited = mono_sec() - start;
        ev_timer_stop(loop, &guard);
        ok(!timed_out && waited < 0.1, "a single line reaches the file within 100 ms (%.1f ms)",
           waited * 1000);
        strv_free(lines);
        lines = read_lines(path, &whole);
        ok(lines && whole && strv_length(lines) == FLOOD_LINES + 1 &&
                   endswith(lines[FLOOD_LINES], " stdout alone"),
           "as one whole line");
        close(o);
        close(e);
        ok(run_until_eof(5.), "single-line pipes read to EOF");
        log_stream_free(s);
}

static void skip_test(const char *why) {
        printf("ok %u # SKIP %s\n", ++tap_n, why);
}

/* Runs the loop until @cond holds, at most @secs. */
static bool loop_until(bool (*cond)(void *userdata), void *userdata, double secs) {
        bool timed_out = false;
        ev_timer guard;

        ev_now_update(loop);
        ev_timer_init(&guard, guard_cb, secs, 0.);
        guard.data = &timed_out;
        ev_timer_start(loop, &guard);
        while (!cond(userdata) && !timed_out)
                ev_run(loop, EVRUN_ONCE);
        ev_timer_stop(loop, &guard);
        return !timed_out;
}

struct file_line {
        const char *path;
        const char *text; /* a line ending in this */
};

static bool file_has_line(void *userdata) {
        const struct file_line *f = userdata;
        _cleanup_strv_free_ char **lines = read_lines(f->path, NULL);

        STRV_FOREACH (l, lines)
                if (endswith(*l, f->text))
                        return true;
        return false;
}

static bool wait_line(const char *path, const char *text) {
        struct file_line f = {path, text};

        return loop_until(file_has_line, &f, 5.);
}

/* The fds of this process that are open on @path (by name, as /proc shows it). */
static int fds_on(const char *path) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        while (d && (de = readdir(d))) {
                char link[PATH_MAX], target[PATH_MAX];
                ssize_t k;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
                k = readlink(link, target, sizeof(target) - 1);
                if (k < 0)
                        continue;
                target[k] = 0;
                if (streq(target, path))
                        n++;
        }
        if (d)
                closedir(d);
        return n;
}

/* ---- the fd budget: no fd between runs ------------------------------------------------------- */

#define N_IDLE_STREAMS 50

static void test_fd_budget(void) {
        _cleanup_free_ char *path = path_in_tmp("h.log");
        _cleanup_strv_free_ char **lines = NULL, **tail = NULL;
        struct log_stream *idle[N_IDLE_STREAMS] = {}, *s = NULL;
        int fds, o, e, o2, e2, bad = 0;

        n_warnings = 0;
        fds = count_fds();
        for (int i = 0; i < N_IDLE_STREAMS; i++) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/idle-%d.log", tmpdir, i) < 0)
                        abort();
                if (log_stream_new(loop, p, 4096, &idle[i]) < 0 || access(p, F_OK) < 0)
                        bad++;
        }
        is_int(bad, 0, "50 streams made, each has created its file");
        is_int(count_fds(), fds, "50 streams of units that do not run hold no fd");
        for (int i = 0; i < N_IDLE_STREAMS; i++)
                log_stream_note(idle[i], "Loaded.");
        is_int(count_fds(), fds, "a note between runs opens, appends and closes");
        for (int i = 0; i < N_IDLE_STREAMS; i++)
                idle[i] = log_stream_free(idle[i]);

        is_int(log_stream_new(loop, path, SIZE_INFINITY, &s), 0, "log_stream_new(h.log)");
        if (!s)
                return;
        log_stream_note(s, "Before the run.");
        is_int(fds_on(path), 0, "no fd on h.log before the run");

        is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes for a run");
        is_int(fds_on(path), 1, "the run's start opens h.log");
        is_int(count_fds(), fds + 5, "the run holds the file and two read ends (and the caller the write ends)");
        writef(o, "run line\n");
        ok(wait_line(path, " stdout run line"), "the run's line reaches the file");
        log_stream_note(s, "Note while running.");
        is_int(fds_on(path), 1, "a note while running leaves the file open");

        close(o);
        close(e);
        ok(run_until_eof(5.), "the run's pipes reach EOF");
        is_int(fds_on(path), 0, "the file is closed once the run's pipes reached EOF");
        is_int(count_fds(), fds, "and the stream holds no fd");

        /* a leftover process of run 1 holds its pipes while run 2 starts and ends */
        is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes for run 1");
        is_int(log_stream_open_pipes(s, &o2, &e2), 0, "pipes for run 2");
        close(o2);
        close(e2);
        (void) run_until_eof(0.1);
        is_int(fds_on(path), 1, "run 2 at EOF: the file stays open for run 1's pipes");
        writef(o, "leftover line\n");
        close(o);
        close(e);
        ok(run_until_eof(5.), "run 1's pipes reach EOF");
        is_int(fds_on(path), 0, "then it is closed");

        log_stream_note(s, "After the run.");
        is_int(count_fds(), fds, "a note after the run holds no fd");
        lines = read_lines(path, NULL);
        ok(lines && strv_length(lines) == 5 && endswith(lines[0], " supd Before the run.") &&
                   endswith(lines[1], " stdout run line") && endswith(lines[2], " supd Note while running.") &&
                   endswith(lines[3], " stdout leftover line") && endswith(lines[4], " supd After the run."),
           "every line in the file, in order");
        is_int(log_stream_tail(s, 10, &tail), 5, "the tail of a unit that does not run");
        ok(tail && strv_equal(tail, lines, "tail"), "is the file's lines");
        is_int(log_stream_bytes_dropped(s), 0, "nothing dropped");
        is_int(warnings_take("", true), 0, "no warning");
        log_stream_free(s);
}

/* ---- out of fds: a start fails and leaves nothing open, a note counts what it drops ------- */

static int lowest_free_fd(void) {
        int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

        if (fd < 0)
                abort();
        close(fd);
        return fd;
}

/* Every fd from @lowest_free on is out of reach, but @spare. */
static void limit_fds(const struct rlimit *old, int lowest_free, int spare) {
        struct rlimit lim = *old;

        lim.rlim_cur = (rlim_t) (lowest_free + spare);
        if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
                abort();
}

static void test_out_of_fds(void) {
        _cleanup_free_ char *path = path_in_tmp("i.log"), *fresh = path_in_tmp("i2.log");
        _cleanup_strv_free_ char **lines = NULL;
        struct log_stream *s = NULL, *t = NULL;
        struct rlimit old;
        int fds, low, o = -EBADF, e = -EBADF, r1, r2, r3;

        is_int(log_stream_new(loop, path, SIZE_INFINITY, &s), 0, "log_stream_new(i.log)");
        if (!s)
                return;
        log_stream_note(s, "Before.");
        fds = count_fds();
        n_warnings = 0;

        if (getrlimit(RLIMIT_NOFILE, &old) < 0)
                abort();
        low = lowest_free_fd();
        limit_fds(&old, low, 0);
        r1 = log_stream_open_pipes(s, &o, &e);
        r2 = log_stream_new(loop, fresh, SIZE_INFINITY, &t);
        log_stream_note(s, "Dropped: no fd for the file.");
        limit_fds(&old, low, 1);
        r3 = log_stream_open_pipes(s, &o, &e); /* the file gets the one fd, the pipes none */
        if (setrlimit(RLIMIT_NOFILE, &old) < 0)
                abort();

        is_int(r1, -EMFILE, "log_stream_open_pipes() without a free fd: -EMFILE");
        is_int(r3, -EMFILE, "with one free fd (the file's, not the pipes'): -EMFILE");
        is_int(count_fds(), fds, "the failed starts left no fd open");
        is_int(r2, 0, "log_stream_new() without a free fd still makes the stream (a start opens the file)");
        is_int(warnings_take("i: cannot open the log file, dropping output (Too many open files)", true), 1,
               "the dropped note is logged once, naming the unit and the error");
        is_int(log_stream_bytes_dropped(s), 62 /* 27 + 1 + 4 + 1 + 28 + 1 */, "and counted: the note's bytes");

        log_stream_note(s, "After.");
        is_int(warnings_take("i: log file written again; 62 bytes of output were dropped", true), 1,
               "the next write ends the episode with how much it dropped");
        lines = read_lines(path, NULL);
        ok(lines && strv_length(lines) == 2 && endswith(lines[0], " supd Before.") &&
                   endswith(lines[1], " supd After."),
           "the file has the lines before and after");
        is_int(log_stream_bytes_dropped(s), 62, "the total stays");

        if (t) {
                log_stream_note(t, "Late.");
                strv_free(lines);
                lines = read_lines(fresh, NULL);
                ok(lines && strv_length(lines) == 1 && endswith(lines[0], " supd Late."),
                   "the stream made without an fd creates its file at its first note");
                log_stream_free(t);
        }
        log_stream_free(s);
}

/* ---- a log file removed or renamed away while the unit runs --------------------------------- */

static void test_reopen(void) {
        _cleanup_free_ char *path = path_in_tmp("j.log"), *moved = path_in_tmp("j.log.moved"),
                            *deleted = NULL;
        _cleanup_strv_free_ char **lines = NULL, **old = NULL;
        struct log_stream *s = NULL;
        int o, e, fds;

        if (asprintf(&deleted, "%s (deleted)", path) < 0)
                abort();
        is_int(log_stream_new(loop, path, SIZE_INFINITY, &s), 0, "log_stream_new(j.log)");
        if (!s)
                return;
        fds = count_fds();
        is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes for a run");
        writef(o, "one\n");
        ok(wait_line(path, " stdout one"), "line one in j.log");

        ok(unlink(path) == 0, "j.log removed by an operator");
        writef(o, "two\n");
        ok(wait_line(path, " stdout two"), "the next batch creates a new j.log");
        lines = read_lines(path, NULL);
        ok(lines && strv_length(lines) == 1 && endswith(lines[0], " stdout two"), "with the new line only");
        is_int(fds_on(deleted), 0, "the removed file is closed");

        ok(rename(path, moved) == 0, "j.log renamed away (logrotate)");
        writef(e, "three\n");
        ok(wait_line(path, " stderr three"), "the next batch goes to a new j.log");
        old = read_lines(moved, NULL);
        ok(old && strv_length(old) == 1 && endswith(old[0], " stdout two"), "the renamed file keeps its lines");

        /* logrotate's "create": renamed, and a new empty file put in its place */
        ok(rename(path, moved) == 0, "renamed again");
        {
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
                ok(fd >= 0, "and a new j.log created by the operator");
                if (fd >= 0)
                        close(fd);
        }
        writef(o, "four\n");
        ok(wait_line(path, " stdout four"), "the next batch appends to the operator's j.log");
        strv_free(lines);
        lines = read_lines(path, NULL);
        ok(lines && strv_length(lines) == 1, "which has that line only");
        is_int(fds_on(path), 1, "one fd on j.log while running");
        is_int(log_stream_bytes_dropped(s), 0, "nothing dropped");

        close(o);
        close(e);
        ok(run_until_eof(5.), "pipes read to EOF");
        is_int(count_fds(), fds, "no fd left");
        (void) unlink(moved);
        is_int(warnings_take("", true), 0, "no warning");
        log_stream_free(s);
}

/* ---- a full disk: a tiny tmpfs in a mount namespace of the test's own --------------------- */

#define FULL_FS_SIZE    (64 * 1024)
#define FULL_FILLER     (48 * 1024)
#define FULL_LINE_BYTES 100 /* formatted, as write_numbered()'s */

struct drop_wait {
        struct log_stream *s;
        const char *path;
        uint64_t total; /* bytes of lines the stream was given */
};

/* Every line given either reached the file or was counted as dropped. */
static bool all_accounted(void *userdata) {
        const struct drop_wait *w = userdata;
        uint64_t size = file_size(w->path);

        return size != UINT64_MAX && size + log_stream_bytes_dropped(w->s) == w->total;
}

static void test_disk_full(void) {
        _cleanup_free_ char *dir = path_in_tmp("small"), *path = path_in_tmp("small/k.log"),
                            *filler = path_in_tmp("small/filler");
        _cleanup_strv_free_ char **lines = NULL;
        struct log_stream *s = NULL;
        struct drop_wait w = {};
        uint64_t dropped;
        char msg[128];
        bool whole = false;
        int o, e, fd, fds;

        if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0) {
                skip_test("disk full: needs root for a tmpfs in a private mount namespace");
                return;
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || mkdir(dir, 0755) < 0 ||
            mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0755") < 0) {
                diag("mount: %m");
                skip_test("disk full: cannot mount a tmpfs");
                return;
        }

        /* 48 KiB of the 64 taken: 16 KiB left for the log */
        fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        {
                _cleanup_free_ char *zeros = calloc(1, FULL_FILLER);
                ok(fd >= 0 && zeros && write(fd, zeros, FULL_FILLER) == FULL_FILLER, "a filler of 48 KiB");
        }
        if (fd >= 0)
                close(fd);

        is_int(log_stream_new(loop, path, SIZE_INFINITY, &s), 0, "log_stream_new(small/k.log)");
        if (!s)
                goto umount;
        fds = count_fds();
        n_warnings = 0;
        w = (struct drop_wait) {.s = s, .path = path};

        is_int(log_stream_open_pipes(s, &o, &e), 0, "pipes for a run");
        /* three batches: one that fills the disk, two that find it full */
        write_numbered(o, 1, 300);
        w.total += 300 * FULL_LINE_BYTES;
        ok(loop_until(all_accounted, &w, 5.), "batch 1: every byte written or counted as dropped");
        write_numbered(o, 301, 350);
        w.total += 50 * FULL_LINE_BYTES;
        ok(loop_until(all_accounted, &w, 5.), "batch 2: the same");
        write_numbered(e, 351, 400);
        w.total += 50 * FULL_LINE_BYTES;
        ok(loop_until(all_accounted, &w, 5.), "batch 3: the same");

        dropped = log_stream_bytes_dropped(s);
        ok(dropped >= 400 * FULL_LINE_BYTES - (FULL_FS_SIZE - FULL_FILLER) &&
                   dropped < 400 * FULL_LINE_BYTES && dropped % FULL_LINE_BYTES == 0,
           "%llu bytes dropped: whole lines, what did not fit", (unsigned long long) dropped);
        lines = read_lines(path, &whole);
        ok(lines && whole && strv_length(lines) > 0 &&
                   strv_length(lines) == (size_t) (400 - dropped / FULL_LINE_BYTES),
           "the file is made of whole lines, the first ones");
        is_int(warnings_take("k: log file full, dropping output (No space left on device)", true), 1,
               "one warning for the episode, however many batches it dropped");

        ok(unlink(filler) == 0, "space freed");
        write_numbered(o, 401, 410);
        w.total += 10 * FULL_LINE_BYTES;
        ok(loop_until(all_accounted, &w, 5.), "batch 4 accounted");
        is_int(log_stream_bytes_dropped(s), dropped, "batch 4 written: the count stays");
        snprintf(msg, sizeof(msg), "k: log file written again; %llu bytes of output were dropped",
                 (unsigned long long) dropped);
        is_int(warnings_take(msg, true), 1, "one line says how much the episode dropped");
        strv_free(lines);
        lines = read_lines(path, &whole);
        ok(lines && whole && strv_length(lines) > 10 &&
                   startswith(strstr(lines[strv_length(lines) - 1], " stdout ") ?: "", " stdout line 00410 "),
           "batch 4 ends the file");

        close(o);
        close(e);
        ok(run_until_eof(5.), "pipes read to EOF");
        is_int(count_fds(), fds, "no fd left");
        log_stream_free(s);

umount:
        (void) unlink(path);
        (void) unlink(filler);
        ok(umount(dir) == 0, "tmpfs unmounted");
        (void) rmdir(dir);
}

/* ---- adoption: read ends a predecessor left -------------------------------------------------- */

static bool same_pipe(int a, int b) {
        struct stat sa, sb;

        return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && S_ISFIFO(sa.st_mode) && sa.st_dev == sb.st_dev &&
               sa.st_ino == sb.st_ino;
}

static void test_adopt(void) {
        _cleanup_free_ char *path = path_in_tmp("l.log"), *path2 = path_in_tmp("m.log");
        _cleanup_strv_free_ char **lines = NULL, **out = NULL, **err = NULL;
        struct log_stream *a = NULL, *b = NULL;
        int o, e, ro, re, copy_out, copy_err, fds, p[2], q[2];

        fds = count_fds();

        /* read_fds(): the read ends of the latest run */
        is_int(log_stream_new(loop, path, SIZE_INFINITY, &a), 0, "log_stream_new(l.log), the predecessor");
        if (!a)
                return;
        log_stream_read_fds(a, &ro, &re);
        ok(ro == -EBADF && re == -EBADF, "no run yet: -EBADF twice");
        is_int(log_stream_open_pipes(a, &o, &e), 0, "pipes for the predecessor's run");
        log_stream_read_fds(a, &ro, &re);
        ok(ro >= 0 && re >= 0 && same_pipe(ro, o) && same_pipe(re, e),
           "log_stream_read_fds(): the read ends of the run's stdout and stderr pipes");
        writef(o, "before 1\n");
        writef(e, "before 2\n");
        ok(wait_line(path, " stderr before 2") && wait_line(path, " stdout before 1"), "the predecessor writes");

        /* the hand-over: copies of the read ends, then the predecessor goes */
        copy_out = fcntl(ro, F_DUPFD_CLOEXEC, 3);
        copy_err = fcntl(re, F_DUPFD_CLOEXEC, 3);
        ok(copy_out >= 0 && copy_err >= 0, "copies of the read ends, as the container's init holds");
        a = log_stream_free(a);
        writef(o, "between\n"); /* written while no supd reads */

        /* the successor */
        is_int(log_stream_new(loop, path, SIZE_INFINITY, &b), 0, "log_stream_new(l.log), the successor");
        if (!b)
                return;
        {
                /* the flags the successor finds on what it inherits */
                int fl = fcntl(copy_out, F_GETFL);
                (void) fcntl(copy_out, F_SETFL, fl & ~O_NONBLOCK);
                (void) fcntl(copy_out, F_SETFD, 0);
        }
        is_int(log_stream_adopt_pipes(b, copy_out, copy_err), 0, "log_stream_adopt_pipes()");
        ok((fcntl(copy_out, F_GETFL) & O_NONBLOCK) && (fcntl(copy_out, F_GETFD) & FD_CLOEXEC),
           "adopted read ends are non-blocking and CLOEXEC");
        is_int(fds_on(path), 1, "adopting opens the log file");
        log_stream_read_fds(b, &ro, &re);
        ok(ro == copy_out && re == copy_err, "they are the run's pipes now");
        writef(o, "after 1\n");
        writef(e, "after 2\n");
        close(o);
        close(e);
        ok(run_until_eof(5.), "adopted pipes read to EOF");
        log_stream_read_fds(b, &ro, &re);
        ok(ro == -EBADF && re == -EBADF, "at EOF they are gone: -EBADF");
        is_int(fds_on(path), 0, "and the file is closed");

        lines = read_lines(path, NULL);
        out = texts_of(lines, "stdout", NULL);
        err = texts_of(lines, "stderr", NULL);
        ok(strv_length(out) == 3 && streq(out[0], "before 1") && streq(out[1], "between") &&
                   streq(out[2], "after 1"),
           "stdout: before, between and after the hand-over, in order");
        ok(strv_length(err) == 2 && streq(err[0], "before 2") && streq(err[1], "after 2"), "stderr too");
        b = log_stream_free(b);

        /* one side only, and what is refused */
        is_int(log_stream_new(loop, path2, SIZE_INFINITY, &b), 0, "log_stream_new(m.log)");
        if (!b)
                return;
        if (pipe2(p, O_CLOEXEC) < 0 || pipe2(q, O_CLOEXEC) < 0)
                abort();
        {
                int fd = open(path2, O_RDONLY | O_CLOEXEC);

                is_int(log_stream_adopt_pipes(b, fd, -EBADF), -EBADFD, "a regular file is refused: -EBADFD");
                ok(fcntl(fd, F_GETFD) >= 0, "and left to the caller");
                close(fd);
        }
        is_int(log_stream_adopt_pipes(b, -EBADF, q[1]), -EBADFD, "a write end is refused: -EBADFD");
        ok(fcntl(q[1], F_GETFD) >= 0, "and left to the caller");
        close(q[0]);
        close(q[1]);
        log_stream_free(b);

        is_int(log_stream_new(loop, path2, SIZE_INFINITY, &b), 0, "log_stream_new(m.log) again");
        if (!b)
                return;
        is_int(log_stream_adopt_pipes(b, -EBADF, p[0]), 0, "stderr only");
        log_stream_read_fds(b, &ro, &re);
        ok(ro == -EBADF && re == p[0], "read_fds(): -EBADF and the stderr pipe");
        writef(p[1], "err only\n");
        close(p[1]);
        ok(run_until_eof(5.), "read to EOF");
        strv_free(lines);
        lines = read_lines(path2, NULL);
        ok(lines && strv_length(lines) == 1 && endswith(lines[0], " stderr err only"), "tagged stderr");
        is_int(log_stream_adopt_pipes(b, -EBADF, -EBADF), 0, "nothing to adopt: 0");
        is_int(fds_on(path2), 0, "and no file held for it");
        log_stream_free(b);

        is_int(count_fds(), fds, "no fd left after adoption");
        is_int(warnings_take("", true), 0, "no warning");
}

/* ---- main -------------------------------------------------------------------------------- */

static void remove_tmpdir(void) {
        DIR *d = opendir(tmpdir);
        struct dirent *de;

        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        if (d)
                closedir(d);
        (void) rmdir(tmpdir);
}

int main(void) {
        int fds_before, fds_after;

        fds_before = count_fds();

        if (!mkdtemp(tmpdir))
                return tap_skip_all("cannot create a temporary directory");
        loop = ev_loop_new(EVFLAG_AUTO);
        if (!loop)
                return tap_skip_all("cannot create a libev loop");

        /* Streams share three fds (the tee() copy of a pipe, /dev/null) while any stream exists: one
         * kept for the whole test makes them part of every baseline below. */
        struct log_stream *keeper = NULL;
        char keeper_path[PATH_MAX];
        snprintf(keeper_path, sizeof(keeper_path), "%s/keeper.log", tmpdir);
        is_int(log_stream_new(loop, keeper_path, SIZE_INFINITY, &keeper), 0, "a stream kept for the whole test");

        test_lines();
        test_rotation();
        test_write_failure();
        test_free_flushes();
        test_volume();
        test_flood();
        test_fd_budget();
        test_out_of_fds();
        test_reopen();
        test_adopt();
        test_disk_full(); /* last: it moves the test into a mount namespace of its own */

        log_stream_free(keeper);
        is_int(ev_run(loop, EVRUN_NOWAIT), 0, "no watcher left on the loop");
        ev_loop_destroy(loop);

        remove_tmpdir();
        ok(access(tmpdir, F_OK) < 0 && errno == ENOENT, "temporary directory removed");

        fds_after = count_fds();
        is_int(fds_after, fds_before, "no fd leaked");

        return tap_done();
}
