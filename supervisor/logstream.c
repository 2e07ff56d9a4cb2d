/* SPDX-License-Identifier: MIT */

/* A unit's log file, fed from the pipes of its stdout and stderr and from supd's own notes.
 *
 * File format (stable: `supctl logs` prints these lines as they are). One line per log line:
 *
 *     2026-11-23T07:30:01.123456Z stdout hello world
 *
 * that is: the time the line was read, in UTC, RFC 3339 with microseconds and a "Z" (always 27
 * characters); one space; the stream tag, "stdout", "stderr", or "supd" for log_stream_note(); one
 * space (also when the text is empty); the text without its newline; "\n".
 *
 * - A text longer than LOG_STREAM_LINE_MAX bytes is split into several lines of at most that many
 *   bytes, each with its own timestamp and the same tag; a cut is moved back (by at most three bytes)
 *   so that it does not fall inside a UTF-8 sequence.
 * - A partial last line is kept until its newline arrives, the pipe reaches EOF, or the stream is
 *   flushed (log_stream_flush(), log_stream_free()).
 * - One '\r' right before the newline (or before EOF) is dropped. Nothing else is escaped: invalid
 *   UTF-8, control characters and NUL bytes are written as they came (the in-memory tail holds
 *   C strings, so a NUL cuts its copy of the line short).
 * - Lines go to the file in batches of whole lines, one write() per batch on an O_APPEND fd, so a
 *   concurrent reader never sees half a line. A short write (disk full, RLIMIT_FSIZE) is truncated
 *   back to the last whole line it wrote.
 * - Rotation: before writing a line that would make the file larger than the maximum size, NAME.log
 *   is renamed to NAME.log.1 (replacing the older one) and a fresh NAME.log is started; a batch is
 *   split there. A single line larger than the maximum still goes to a fresh file of its own.
 * - A line that cannot be written (ENOSPC, the file cannot be opened) is dropped from the file but
 *   still enters the in-memory tail; the next batch tries again. Its bytes, as formatted, are
 *   counted (log_stream_bytes_dropped()). The first drop of an episode is logged at warning level
 *   ("web: log file full, dropping output (No space left on device)"), and so is the first write
 *   that works again, with how many bytes the episode dropped.
 * - NAME.log removed or renamed away (an operator, logrotate) while it is open: the next batch goes
 *   to a new NAME.log, created, or appended to when someone already put a file in its place. What
 *   was written before stays in the old file.
 *
 * The order of lines within one stream is kept; lines of stdout and stderr interleave in the order
 * in which supd happened to read them.
 *
 * fds: the file is open from the start of a run (log_stream_open_pipes(), log_stream_adopt_pipes())
 * until every pipe reached EOF and its lines are written, and for the one batch of a note between
 * runs (open, append, close). A loaded unit that does not run costs no fd, and a start that finds
 * supd out of fds fails with EMFILE before its child exists.
 *
 * Cost (DESIGN.md, "Log capture stays off the critical path"): each pipe is enlarged to
 * LOG_PIPE_SIZE. The first readable event of a quiet pipe does not read: it stops the io watcher
 * and arms a timer of LOG_DELAY (a single interactive line waits that long, no more), so that a
 * burst is read with one wakeup. When the pipe is already half full, or the previous batch was a
 * flood (LOG_FLOOD_BYTES or more), the wait is LOG_DELAY_FLOOD or nothing, so that a fast writer
 * never blocks on a full pipe. A batch reads up to LOG_BATCH_MAX in large reads, takes one clock
 * reading for all its lines ("the time the line was read" is the time of its batch) and writes them
 * with one write() (more only for a batch larger than the output buffer, or at a rotation), after
 * one stat() of NAME.log to see that it is still the open file.
 *
 * Crash safety: a batch copies the pipe with tee() (into one scratch pipe shared by every stream)
 * and drops the bytes from the unit's pipe only once their lines are written, so a supd killed at
 * any moment leaves what it had not written in the pipe, which the container's init holds for its
 * successor (supervisor/README.md, "Adoption"): a line may be written twice, never lost. */

#include <assert.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "time-util.h"
#include "units.h"

/* The pipe buffer asked for; without CAP_SYS_RESOURCE the kernel caps it at fs.pipe-max-size. */
#define LOG_PIPE_SIZE (1024 * 1024)
/* How much one batch of one pipe reads at most, so that a chatty unit cannot starve the loop, and
 * how much one read() asks for. */
#define LOG_BATCH_MAX  (1024U * 1024U)
#define LOG_READ_CHUNK (256U * 1024U)
/* Formatted lines waiting for their write(): a batch of short lines grows by about 35 bytes a line. */
#define LOG_OUT_MAX (1024U * 1024U)
/* From the first readable event of a quiet pipe to its read; after a flood, the shorter one. */
#define LOG_DELAY       0.010
#define LOG_DELAY_FLOOD 0.001
#define LOG_FLOOD_BYTES (64U * 1024U)

/* "2026-11-23T07:30:01.123456Z" */
#define LOG_TIMESTAMP_LEN 27
#define LOG_TAG_MAX       6

#define LOG_FILE_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY)
#define LOG_FILE_MODE  0640

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

struct log_pipe {
        struct log_stream *stream;
        struct log_pipe *next;
        const char *tag;
        int fd;
        ev_io io;
        ev_timer delay; /* armed instead of io while a batch gathers */
        size_t pipe_size;
        bool flood; /* the last batch was large: keep the next wait short */

        /* The partial line. One byte more than a line, so that a '\r' right after a full-length
         * line can wait for the '\n' that tells whether it is dropped. */
        size_t len;
        char buf[LOG_STREAM_LINE_MAX + 1];
};

struct log_stream {
        struct ev_loop *loop;
        char *path;
        char *path_rotated;
        char *name; /* NAME of NAME.log, for supd's own log */
        int fd;     /* open while pipes are, or for the one batch of a note; else -EBADF */
        dev_t dev;  /* of the file behind fd: a NAME.log that is another file now is reopened */
        ino_t ino;
        uint64_t size; /* of the file behind fd, as far as we wrote it */
        uint64_t max_size;

        /* Lines that did not reach the file. An episode runs from the first failure to the next
         * write that works: it is logged once when it begins and once when it ends. */
        int drop_error; /* of the episode in progress; 0: none */
        uint64_t drop_episode;
        uint64_t drop_total;

        struct log_pipe *pipes; /* read ends of this run and of earlier ones not at EOF yet */
        struct log_pipe *run_out, *run_err; /* those of the latest run, while they are open */

        char *tail[LOG_STREAM_TAIL_MAX]; /* ring; NULL where a copy failed */
        unsigned tail_next;
        unsigned tail_count;
};

/* ---- the file ---------------------------------------------------------------------------- */

static int log_stream_open_file(struct log_stream *s, int extra_flags) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        assert(s->fd < 0);

        fd = open(s->path, LOG_FILE_FLAGS | extra_flags, LOG_FILE_MODE);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;

        s->size = (uint64_t) st.st_size;
        s->dev = st.st_dev;
        s->ino = st.st_ino;
        s->fd = TAKE_FD(fd);
        return 0;
}

/* Between runs the stream holds no fd: supd's fds grow with running units, not loaded ones. */
static void log_stream_release_file(struct log_stream *s) {
        if (!s->pipes)
                s->fd = safe_close(s->fd);
}

/* NAME.log removed or renamed away (by an operator, by logrotate) while we hold it: what we wrote
 * to the old file would be lost to every reader, so the next lines start a new NAME.log. One
 * stat() a batch; an error other than ENOENT says nothing about the file and changes nothing. */
static void log_stream_check_replaced(struct log_stream *s) {
        struct stat st;

        if (stat(s->path, &st) < 0) {
                if (errno != ENOENT)
                        return;
        } else if (st.st_dev == s->dev && st.st_ino == s->ino)
                return;

        (void) log_debug("%s: '%s' was removed or replaced, reopening it", s->name, s->path);
        s->fd = safe_close(s->fd);
}

static int log_stream_rotate(struct log_stream *s) {
        int extra = 0;

        if (rename(s->path, s->path_rotated) < 0 && errno != ENOENT) {
                /* The old lines cannot be kept: bounding the disk use matters more than they do. */
                (void) log_debug_errno(errno, "Failed to rename '%s', truncating it: %m", s->path);
                extra = O_TRUNC;
        }

        /* The old fd now writes to NAME.log.1 (or to the file about to be truncated): never again. */
        s->fd = safe_close(s->fd);
        return log_stream_open_file(s, extra);
}

/* @n bytes of lines did not reach the file, for @error; @opening: the file could not be opened. */
static void log_stream_dropped(struct log_stream *s, int error, bool opening, uint64_t n) {
        if (n == 0)
                return;
        if (s->drop_error == 0) {
                const char *what = opening ? "cannot open the log file"
                                   : error == -ENOSPC || error == -EDQUOT || error == -EFBIG ? "log file full"
                                                                                             : "cannot write the log file";

                (void) log_warning_errno(error, "%s: %s, dropping output (%m)", s->name, what);
        }
        s->drop_error = error;
        s->drop_episode += n;
        s->drop_total += n;
}

/* A write worked: the end of an episode of drops, if one was under way. */
static void log_stream_written(struct log_stream *s) {
        if (s->drop_error == 0)
                return;
        (void) log_warning("%s: log file written again; %" PRIu64 " bytes of output were dropped", s->name,
                           s->drop_episode);
        s->drop_error = 0;
        s->drop_episode = 0;
}

/* Opens the file if it is not (again if NAME.log is another file now), and rotates it if @n more
 * bytes would take it past the maximum. */
static int log_stream_prepare(struct log_stream *s, size_t n) {
        int r;

        if (s->fd >= 0)
                log_stream_check_replaced(s);
        if (s->fd < 0) {
                r = log_stream_open_file(s, 0);
                if (r < 0)
                        return r;
        }

        if (s->max_size != SIZE_INFINITY && s->size > 0 && s->size + n > s->max_size)
                return log_stream_rotate(s);
        return 0;
}

/* @data is whole lines, each ending in '\n'. */
static void log_stream_write_file(struct log_stream *s, const char *data, size_t n) {
        ssize_t k;
        int r;

        r = log_stream_prepare(s, n);
        if (r < 0) {
                log_stream_dropped(s, r, true, n);
                return;
        }

        k = write(s->fd, data, n);
        if (k < 0)
                log_stream_dropped(s, -errno, false, n);
        else if ((size_t) k < n) {
                /* Keep the file made of whole lines (those that made it); O_APPEND puts the next
                 * batch at the real end. */
                const char *last = memrchr(data, '\n', (size_t) k);
                size_t keep = last ? (size_t) (last - data) + 1 : 0;

                if (ftruncate(s->fd, (off_t) (s->size + keep)) < 0)
                        keep = (size_t) k;
                s->size += keep;
                log_stream_dropped(s, -ENOSPC, false, n - keep);
        } else {
                s->size += (uint64_t) k;
                log_stream_written(s);
        }
}

/* ---- batches ----------------------------------------------------------------------------- */

/* Lines formatted but not written yet, all of one stream and with one timestamp. supd has one
 * thread and a batch never spans a return to the loop, so one buffer serves every stream; it is
 * empty between batches. */
static struct {
        struct log_stream *stream;
        char stamp[LOG_TIMESTAMP_LEN + 1];
        size_t len;
        char buf[LOG_OUT_MAX];
} batch;

static void format_timestamp(char buf[static LOG_TIMESTAMP_LEN + 1]) {
        uint64_t usec = now(CLOCK_REALTIME);
        time_t sec = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&sec, &tm) ||
            strftime(buf, LOG_TIMESTAMP_LEN + 1, "%Y-%m-%dT%H:%M:%S", &tm) != 19) {
                /* Cannot happen for any clock of this century; keep the column width anyway. */
                memcpy(buf, "0000-00-00T00:00:00.000000Z", LOG_TIMESTAMP_LEN + 1);
                return;
        }

        (void) snprintf(buf + 19, LOG_TIMESTAMP_LEN + 1 - 19, ".%06uZ", (unsigned) (usec % USEC_PER_SEC));
}

static void log_stream_remember(struct log_stream *s, const char *line, size_t n) {
        /* A failed copy leaves a hole that log_stream_tail() skips: losing one line of the tail is
         * better than failing the log. */
        free(s->tail[s->tail_next]);
        s->tail[s->tail_next] = strndup(line, n);
        s->tail_next = (s->tail_next + 1) % LOG_STREAM_TAIL_MAX;
        if (s->tail_count < LOG_STREAM_TAIL_MAX)
                s->tail_count++;
}

/* The last LOG_STREAM_TAIL_MAX lines of the buffer go to the tail, oldest first: copying every line
 * of a flood would cost a malloc() each. */
static void log_batch_remember(struct log_stream *s) {
        size_t first = 0, end = batch.len - 1; /* end: the '\n' of the newest line not counted yet */

        for (unsigned k = 0; k < LOG_STREAM_TAIL_MAX; k++) {
                const char *nl = memrchr(batch.buf, '\n', end);

                if (!nl) {
                        first = 0;
                        break;
                }
                end = (size_t) (nl - batch.buf);
                first = end + 1;
        }

        for (size_t i = first; i < batch.len;) {
                const char *nl = memchr(batch.buf + i, '\n', batch.len - i);
                size_t n = (size_t) (nl - (batch.buf + i));

                log_stream_remember(s, batch.buf + i, n);
                i += n + 1;
        }
}

static void log_batch_flush(void) {
        if (batch.len == 0)
                return;
        log_batch_remember(batch.stream);
        log_stream_write_file(batch.stream, batch.buf, batch.len);
        batch.len = 0;
}

/* One clock read for every line until log_batch_end(). */
static void log_batch_begin(struct log_stream *s) {
        assert(!batch.stream);

        batch.stream = s;
        batch.len = 0;
        format_timestamp(batch.stamp);
}

static void log_batch_end(struct log_stream *s) {
        assert(batch.stream == s);

        log_batch_flush();
        batch.stream = NULL;
        log_stream_release_file(s);
}

/* ---- lines ------------------------------------------------------------------------------- */

/* One line of the file, @len <= LOG_STREAM_LINE_MAX bytes of text, into the batch. */
static void log_stream_write_line(struct log_stream *s, const char *tag, const char *text, size_t len) {
        size_t n, tag_len = strlen(tag);
        char *line;

        assert(batch.stream == s);
        assert(len <= LOG_STREAM_LINE_MAX);
        assert(tag_len <= LOG_TAG_MAX);

        n = LOG_TIMESTAMP_LEN + 1 + tag_len + 1 + len + 1;
        if (batch.len + n > sizeof(batch.buf))
                log_batch_flush();
        if (s->max_size != SIZE_INFINITY && s->size + batch.len > 0 &&
            s->size + batch.len + n > s->max_size) {
                /* The rotation point: what precedes it goes to the old file, this line starts the
                 * new one (or is alone in a file that is empty anyway). A failure here is counted
                 * by the write of the batch, which tries again. */
                log_batch_flush();
                (void) log_stream_prepare(s, n);
        }

        line = batch.buf + batch.len;
        memcpy(line, batch.stamp, LOG_TIMESTAMP_LEN);
        line[LOG_TIMESTAMP_LEN] = ' ';
        memcpy(line + LOG_TIMESTAMP_LEN + 1, tag, tag_len);
        line[LOG_TIMESTAMP_LEN + 1 + tag_len] = ' ';
        memcpy(line + LOG_TIMESTAMP_LEN + 1 + tag_len + 1, text, len);
        line[n - 1] = '\n';
        batch.len += n;
}

/* Where to cut a text longer than a line: at LOG_STREAM_LINE_MAX, or up to three bytes earlier
 * when that would cut a UTF-8 sequence (text[cut] is a continuation byte). */
static size_t split_point(const char *text, size_t len) {
        size_t cut = LOG_STREAM_LINE_MAX;

        assert(len > LOG_STREAM_LINE_MAX);

        for (size_t i = 0; i < 3 && ((unsigned char) text[cut] & 0xC0) == 0x80; i++)
                cut--;
        if (((unsigned char) text[cut] & 0xC0) == 0x80)
                cut = LOG_STREAM_LINE_MAX; /* not UTF-8 anyway */
        return cut;
}

/* A complete line of text (no newline in it), split when too long. */
static void log_stream_emit(struct log_stream *s, const char *tag, const char *text, size_t len) {
        while (len > LOG_STREAM_LINE_MAX) {
                size_t cut = split_point(text, len);

                log_stream_write_line(s, tag, text, cut);
                text += cut;
                len -= cut;
        }
        log_stream_write_line(s, tag, text, len);
}

/* ---- pipes ------------------------------------------------------------------------------- */

/* The newline (or EOF) arrived: out with the buffered line. */
static void log_pipe_end_line(struct log_pipe *p) {
        if (p->len > 0 && p->buf[p->len - 1] == '\r')
                p->len--;
        log_stream_emit(p->stream, p->tag, p->buf, p->len);
        p->len = 0;
}

static void log_pipe_feed(struct log_pipe *p, const char *data, size_t n) {
        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                size_t k = nl ? (size_t) (nl - data) : n;

                while (k > 0) {
                        size_t m;

                        if (p->len == sizeof(p->buf)) {
                                /* Full and no newline yet: out with one line's worth. */
                                size_t cut = split_point(p->buf, p->len);

                                log_stream_write_line(p->stream, p->tag, p->buf, cut);
                                memmove(p->buf, p->buf + cut, p->len - cut);
                                p->len -= cut;
                        }

                        m = MIN(k, sizeof(p->buf) - p->len);
                        memcpy(p->buf + p->len, data, m);
                        p->len += m;
                        data += m;
                        n -= m;
                        k -= m;
                }

                if (!nl)
                        break;
                data++;
                n--;
                log_pipe_end_line(p);
        }
}

/* One batch: reads what is there, at most LOG_BATCH_MAX, and writes its lines. Returns 0 on EOF,
 * -EAGAIN when drained, > 0 when the budget ran out with more maybe left, other -errno on failure;
 * *ret_total: how much it read. */
/* A copy of what a pipe holds, taken with tee() into this pipe (one for every stream: supd has one
 * thread), so that a pipe's bytes are consumed only once their lines are in the file: a supd killed
 * between reading and writing leaves them in the pipe for its successor (supervisor/README.md,
 * "Adoption"). -EBADF until first needed; a failure falls back to plain reads. */
static int peek_pipe[2] = { -EBADF, -EBADF };
static int peek_null = -EBADF;
static unsigned n_streams; /* the peek fds are open while a stream exists: 3 fds for all of supd */

static bool peek_ready(void) {
        if (peek_pipe[0] >= 0)
                return true;
        if (pipe2(peek_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
                peek_pipe[0] = peek_pipe[1] = -EBADF;
                return false;
        }
        (void) fcntl(peek_pipe[1], F_SETPIPE_SZ, (int) LOG_READ_CHUNK);
        peek_null = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (peek_null < 0) {
                peek_pipe[0] = safe_close(peek_pipe[0]);
                peek_pipe[1] = safe_close(peek_pipe[1]);
                return false;
        }
        return true;
}

/* Up to @size bytes of @fd into @buf without consuming them (they are dropped with peek_consume()
 * once written), or a plain read() when that cannot be done. Returns the count, 0 at EOF, -errno. */
static ssize_t peek_read(int fd, char *buf, size_t size, bool *ret_peeked) {
        ssize_t n, k;

        *ret_peeked = false;
        if (!peek_ready()) {
                n = read(fd, buf, size);
                return n < 0 ? -errno : n;
        }
        n = tee(fd, peek_pipe[1], size, SPLICE_F_NONBLOCK);
        if (n < 0 && errno == EINVAL) {
                n = read(fd, buf, size);
                return n < 0 ? -errno : n;
        }
        if (n < 0)
                return -errno;
        if (n == 0)
                return 0; /* no writer left, nothing in the pipe: EOF */
        k = read(peek_pipe[0], buf, (size_t) n);
        if (k != n) {
                /* Cannot happen (the copy is ours alone); drain it and read for real. */
                char tmp[4096];
                while (read(peek_pipe[0], tmp, sizeof(tmp)) > 0)
                        ;
                n = read(fd, buf, size);
                return n < 0 ? -errno : n;
        }
        *ret_peeked = true;
        return n;
}

/* Drops @n bytes, already written, from the front of @fd. */
static void peek_consume(int fd, size_t n) {
        while (n > 0) {
                ssize_t k = splice(fd, NULL, peek_null, NULL, n, SPLICE_F_NONBLOCK);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        /* Never expected: they are there. Read them away instead. */
                        char tmp[4096];
                        k = read(fd, tmp, MIN(sizeof(tmp), n));
                        if (k <= 0)
                                return;
                }
                n -= (size_t) k;
        }
}

static int log_pipe_read(struct log_pipe *p, size_t *ret_total) {
        /* supd has one thread: one buffer serves every pipe. */
        static char buf[LOG_READ_CHUNK];
        size_t total = 0;
        int r = 1;

        log_batch_begin(p->stream);
        while (total < LOG_BATCH_MAX) {
                bool peeked;
                ssize_t n = peek_read(p->fd, buf, MIN(sizeof(buf), LOG_BATCH_MAX - total), &peeked);

                if (n < 0) {
                        if (n == -EINTR)
                                continue;
                        r = n == -EWOULDBLOCK ? -EAGAIN : (int) n;
                        break;
                }
                if (n == 0) {
                        r = 0;
                        break;
                }

                log_pipe_feed(p, buf, (size_t) n);
                if (peeked) {
                        /* In the file first, then out of the pipe. */
                        log_batch_flush();
                        peek_consume(p->fd, (size_t) n);
                }
                total += (size_t) n;
        }
        log_batch_end(p->stream);

        if (ret_total)
                *ret_total = total;
        return r;
}

/* Flushes the partial line, stops watching, unlinks and frees @p. */
static void log_pipe_close(struct log_pipe *p) {
        struct log_stream *s = p->stream;

        if (p->len > 0) {
                log_batch_begin(s);
                log_pipe_end_line(p);
                log_batch_end(s);
        }

        ev_io_stop(s->loop, &p->io);
        ev_timer_stop(s->loop, &p->delay);
        p->fd = safe_close(p->fd);

        for (struct log_pipe **i = &s->pipes; *i; i = &(*i)->next)
                if (*i == p) {
                        *i = p->next;
                        break;
                }
        if (s->run_out == p)
                s->run_out = NULL;
        if (s->run_err == p)
                s->run_err = NULL;
        free(p);

        /* The last pipe at EOF, everything flushed: the file until the next run or note. */
        log_stream_release_file(s);
}

static void log_pipe_wait(struct log_pipe *p, double delay) {
        ev_timer_set(&p->delay, delay, 0.);
        ev_timer_start(p->stream->loop, &p->delay);
}

/* A batch now, then what to wait for before the next one. */
static void log_pipe_batch(struct log_pipe *p) {
        size_t total = 0;
        int r;

        r = log_pipe_read(p, &total);
        if (r > 0) {
                /* More than a batch is there: again after the loop's other watchers had a turn. */
                p->flood = true;
                log_pipe_wait(p, 0.);
                return;
        }
        if (r == -EAGAIN) {
                /* A flood is read on a short timer, without waiting for the pipe's next event. */
                p->flood = total >= LOG_FLOOD_BYTES;
                if (p->flood)
                        log_pipe_wait(p, LOG_DELAY_FLOOD);
                else
                        ev_io_start(p->stream->loop, &p->io);
                return;
        }

        /* EOF, or a read error that would only repeat (EIO): this pipe is done. */
        if (r < 0)
                (void) log_debug_errno(r, "Failed to read %s of '%s', closing it: %m", p->tag,
                                       p->stream->path);
        log_pipe_close(p);
}

static void log_pipe_delay(struct ev_loop *loop, ev_timer *w, int revents) {
        log_pipe_batch(w->data);
}

static void log_pipe_io(struct ev_loop *loop, ev_io *w, int revents) {
        struct log_pipe *p = w->data;
        int avail;

        /* The first event of a quiet pipe: let the batch gather. Unless the pipe is half full
         * already, or readable with nothing in it (EOF): then at once. */
        ev_io_stop(loop, &p->io);
        if (ioctl(p->fd, FIONREAD, &avail) < 0 || avail == 0 || (size_t) avail >= p->pipe_size / 2)
                log_pipe_batch(p);
        else
                log_pipe_wait(p, LOG_DELAY);
}

static int fd_nonblock(int fd) {
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0)
                return -errno;
        if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        return 0;
}

/* Makes the pipe LOG_PIPE_SIZE large, or as large as fs.pipe-max-size allows, or leaves it; returns
 * its size. */
static size_t log_pipe_grow(int fd) {
        int r;

        r = fcntl(fd, F_SETPIPE_SZ, LOG_PIPE_SIZE);
        if (r < 0) {
                _cleanup_free_ char *max = NULL;
                unsigned long m;

                if (read_full_file("/proc/sys/fs/pipe-max-size", 64, READ_FULL_TEXT, &max, NULL) >= 0) {
                        m = strtoul(max, NULL, 10);
                        if (m > 0 && m < LOG_PIPE_SIZE)
                                r = fcntl(fd, F_SETPIPE_SZ, (int) m);
                }
        }
        if (r < 0)
                r = fcntl(fd, F_GETPIPE_SZ);
        return r > 0 ? (size_t) r : 4096;
}

static void log_pipe_start(struct log_stream *s, struct log_pipe *p, const char *tag, int fd) {
        p->stream = s;
        p->tag = tag;
        p->fd = fd;
        p->pipe_size = log_pipe_grow(fd);
        ev_io_init(&p->io, log_pipe_io, fd, EV_READ);
        p->io.data = p;
        ev_init(&p->delay, log_pipe_delay);
        p->delay.data = p;
        ev_io_start(s->loop, &p->io);

        p->next = s->pipes;
        s->pipes = p;
}

/* A run begins: the file is opened with its pipes, so that a start fails while supd is out of fds
 * (the pipes would need them too) instead of running with its output lost. Other failures (the
 * directory is gone, the disk is full) do not stop the run: each batch tries again, and counts
 * what it drops. */
static int log_stream_open_run_file(struct log_stream *s) {
        int r;

        if (s->fd >= 0)
                return 0;
        r = log_stream_open_file(s, 0);
        if (r == -EMFILE || r == -ENFILE || r == -ENOMEM)
                return r;
        return 0;
}

static int fd_cloexec(int fd) {
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0)
                return -errno;
        if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
                return -errno;
        return 0;
}

int log_stream_open_pipes(struct log_stream *s, int *ret_stdout_fd, int *ret_stderr_fd) {
        _cleanup_close_pair_ int out[2] = {-EBADF, -EBADF}, err[2] = {-EBADF, -EBADF};
        _cleanup_free_ struct log_pipe *po = NULL, *pe = NULL;
        int r;

        assert(s);
        assert(s->loop);
        assert(ret_stdout_fd);
        assert(ret_stderr_fd);

        r = log_stream_open_run_file(s);
        if (r < 0)
                return r;

        /* Not O_NONBLOCK in pipe2(): that would make the child's write ends non-blocking too. */
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                r = -errno;
                goto fail;
        }

        r = fd_nonblock(out[0]);
        if (r < 0)
                goto fail;
        r = fd_nonblock(err[0]);
        if (r < 0)
                goto fail;

        po = calloc(1, sizeof(*po));
        pe = calloc(1, sizeof(*pe));
        if (!po || !pe) {
                r = -ENOMEM;
                goto fail;
        }

        /* Nothing fails from here on. */
        s->run_out = po;
        s->run_err = pe;
        log_pipe_start(s, TAKE_PTR(po), "stdout", TAKE_FD(out[0]));
        log_pipe_start(s, TAKE_PTR(pe), "stderr", TAKE_FD(err[0]));

        *ret_stdout_fd = TAKE_FD(out[1]);
        *ret_stderr_fd = TAKE_FD(err[1]);
        return 0;

fail:
        log_stream_release_file(s);
        return r;
}

int log_stream_adopt_pipes(struct log_stream *s, int out_fd, int err_fd) {
        _cleanup_free_ struct log_pipe *po = NULL, *pe = NULL;
        const int fds[] = {out_fd, err_fd};
        int r;

        assert(s);
        assert(s->loop);
        assert(out_fd < 0 || out_fd != err_fd);

        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                struct stat st;
                int flags;

                if (fds[i] < 0)
                        continue;
                if (fstat(fds[i], &st) < 0)
                        return -errno;
                flags = fcntl(fds[i], F_GETFL);
                if (flags < 0)
                        return -errno;
                if (!S_ISFIFO(st.st_mode) || (flags & O_ACCMODE) != O_RDONLY)
                        return -EBADFD;
        }
        if (out_fd >= 0 && !(po = calloc(1, sizeof(*po))))
                return -ENOMEM;
        if (err_fd >= 0 && !(pe = calloc(1, sizeof(*pe))))
                return -ENOMEM;

        r = log_stream_open_run_file(s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                if (fds[i] < 0)
                        continue;
                r = fd_nonblock(fds[i]);
                if (r >= 0)
                        r = fd_cloexec(fds[i]);
                if (r < 0) {
                        log_stream_release_file(s);
                        return r;
                }
        }

        /* Nothing fails from here on. */
        s->run_out = po;
        s->run_err = pe;
        if (po)
                log_pipe_start(s, TAKE_PTR(po), "stdout", out_fd);
        if (pe)
                log_pipe_start(s, TAKE_PTR(pe), "stderr", err_fd);
        log_stream_release_file(s); /* when both were -EBADF */
        return 0;
}

void log_stream_read_fds(struct log_stream *s, int *ret_out, int *ret_err) {
        assert(s);

        if (ret_out)
                *ret_out = s->run_out ? s->run_out->fd : -EBADF;
        if (ret_err)
                *ret_err = s->run_err ? s->run_err->fd : -EBADF;
}

/* ---- the stream -------------------------------------------------------------------------- */

/* "/var/lib/sup/logs/web.log" → "web" */
static char *log_stream_name(const char *path) {
        const char *b = strrchr(path, '/');
        size_t n;

        b = b ? b + 1 : path;
        n = strlen(b);
        if (n > 4 && streq(b + n - 4, ".log"))
                n -= 4;
        return strndup(b, n);
}

int log_stream_new(struct ev_loop *loop, const char *path, uint64_t max_size, struct log_stream **ret) {
        struct log_stream *s;
        int r;

        assert(path);
        assert(ret);

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        if (n_streams++ == 0)
                (void) peek_ready(); /* with the first stream, so that they count as supd's idle fds */
        s->loop = loop;
        s->fd = -EBADF;
        s->max_size = max_size;

        s->path = strdup(path);
        if (!s->path || asprintf(&s->path_rotated, "%s.1", path) < 0) {
                s->path_rotated = NULL;
                r = -ENOMEM;
                goto fail;
        }
        s->name = log_stream_name(path);
        if (!s->name) {
                r = -ENOMEM;
                goto fail;
        }

        /* Created now, so that `supctl logs` finds the file of a unit that never ran; closed again.
         * Running out of fds or space now is no reason to have no log later: a start opens it. */
        r = log_stream_open_file(s, 0);
        if (r < 0 && r != -EMFILE && r != -ENFILE && r != -ENOMEM && r != -ENOSPC && r != -EDQUOT)
                goto fail;
        s->fd = safe_close(s->fd);

        *ret = s;
        return 0;

fail:
        log_stream_free(s);
        return r;
}

struct log_stream *log_stream_free(struct log_stream *s) {
        if (!s)
                return NULL;

        log_stream_flush(s);
        s->fd = safe_close(s->fd);
        if (--n_streams == 0) {
                peek_pipe[0] = safe_close(peek_pipe[0]);
                peek_pipe[1] = safe_close(peek_pipe[1]);
                peek_null = safe_close(peek_null);
        }

        for (size_t i = 0; i < ELEMENTSOF(s->tail); i++)
                free(s->tail[i]);
        free(s->path);
        free(s->path_rotated);
        free(s->name);
        return mfree(s);
}

uint64_t log_stream_bytes_dropped(const struct log_stream *s) {
        assert(s);
        return s->drop_total;
}

void log_stream_set_max_size(struct log_stream *s, uint64_t max_size) {
        assert(s);

        /* Takes effect with the next line, which rotates if the file is already past it. */
        s->max_size = max_size;
}

void log_stream_note(struct log_stream *s, const char *fmt, ...) {
        char buf[LOG_STREAM_LINE_MAX + 1];
        size_t len, i = 0;
        va_list ap;
        int n;

        assert(s);
        assert(fmt);

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        len = MIN((size_t) n, sizeof(buf) - 1); /* longer notes are cut to one line's length */

        log_batch_begin(s);
        if (len == 0)
                log_stream_emit(s, "supd", buf, 0);

        /* One line per line of the note; a final newline does not add an empty one. */
        while (i < len) {
                const char *nl = memchr(buf + i, '\n', len - i);
                size_t k = nl ? (size_t) (nl - (buf + i)) : len - i;

                log_stream_emit(s, "supd", buf + i, k);
                i += k + 1;
        }
        log_batch_end(s);
}

int log_stream_tail(struct log_stream *s, unsigned n, char ***ret) {
        char **v;
        unsigned k = 0;

        assert(s);
        assert(ret);

        n = MIN(n, s->tail_count);
        v = calloc(n + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;

        for (unsigned i = s->tail_count - n; i < s->tail_count; i++) {
                unsigned idx =
                        (s->tail_next + LOG_STREAM_TAIL_MAX - s->tail_count + i) % LOG_STREAM_TAIL_MAX;

                if (!s->tail[idx])
                        continue;
                v[k] = strdup(s->tail[idx]);
                if (!v[k]) {
                        strv_free(v);
                        return -ENOMEM;
                }
                k++;
        }

        *ret = v;
        return (int) k;
}

void log_stream_flush(struct log_stream *s) {
        assert(s);

        /* Take in what is already in the pipes (one wakeup's worth each: a writer that never stops
         * must not hold shutdown up), then write out partial lines and close the read ends. */
        while (s->pipes) {
                struct log_pipe *p = s->pipes;

                (void) log_pipe_read(p, NULL);
                log_pipe_close(p);
        }
}

void log_stream_drain(struct log_stream *s) {
        /* What the pipes hold right now, so that a note written next comes after it in the file.
         * Pipes at EOF are closed as the watcher would; live ones stay. One read each, bounded. */
        for (struct log_pipe *p = s->pipes, *next; p; p = next) {
                next = p->next;
                int r = log_pipe_read(p, NULL);
                if (r == 0 || (r < 0 && r != -EAGAIN))
                        log_pipe_close(p);
        }
}
