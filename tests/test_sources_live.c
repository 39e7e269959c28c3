/* test_sources_live.c — the live sources (rill/sources.h) on real parts: child
 * processes, a file that is appended to, rotated and truncated while a run
 * follows it, TCP sockets on 127.0.0.1 and ::1, a Unix socket, a FIFO as
 * standard input, rill record files; and their signatures. Every run is
 * bounded (max_ms as a safety net, max_records or the input's end), so every
 * test ends by itself. */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rill/sys/source.h>

#define SAFETY_MS 20000 /* no run here may last longer than this */

static char tmp[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/rill-live-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static rill_live_options bounded(int64_t max_records)
{
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    o.max_records = max_records;
    o.max_ms = SAFETY_MS;
    o.poll_ms = 20;
    return o;
}

/* A pipeline whose one stage passes on what the source gives. */
static rill_pipeline *passing(void)
{
    rill_pipeline *p;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_task(p, "pass", NULL, copy_all, NULL), 0);
    return p;
}

/* Whether the batch holds exactly the lines of want (in order when
 * ordered, else as a multiset). */
static int holds(const rill_batch *b, const char *const *want, size_t n, int ordered)
{
    char *seen = calloc(n, 1);
    size_t i, j;
    int ok = rill_batch_count(b) == n;
    for (i = 0; ok && i < n; i++) {
        rill_record r;
        rill_batch_get(&r, b, i);
        for (j = ordered ? i : 0; j < (ordered ? i + 1 : n); j++)
            if (!seen[j] && strlen(want[j]) == r.len && memcmp(want[j], r.data, r.len) == 0)
                break;
        ok = j < (ordered ? i + 1 : n);
        if (ok)
            seen[j] = 1;
    }
    free(seen);
    return ok;
}

/* ---- the output lines of a command ---- */

static void a_command_gives_a_record_per_line_and_its_last_partial_line(void **state)
{
    const char *const want[] = {"one", "two words", "", "last without newline"};
    char script[256];
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    rill_live_options o = bounded(0);
    rill_run_options ro = with_workers(1);
    rill_pipeline *p = passing();
    rill_batch *out;
    (void)state;
    snprintf(script, sizeof(script), "printf '%s\\n%s\\n%s\\n%s'", want[0], want[1], want[2],
             want[3]);
    assert_int_equal(rill_read_command(p, argv, &o), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_true(holds(out, want, 4, 1));
    rill_batch_free(out);
    /* a pipeline runs again: the command is started again */
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_true(holds(out, want, 4, 1));
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void a_long_output_arrives_whole_over_several_workers(void **state)
{
    const char *argv[] = {"/usr/bin/seq", "1", "100000", NULL};
    rill_run_options ro = with_workers(2);
    rill_pipeline *p = passing();
    rill_batch *out;
    int64_t sum = 0;
    size_t i;
    (void)state;
    assert_int_equal(rill_read_command(p, argv, NULL), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_int_equal(rill_batch_count(out), 100000);
    for (i = 0; i < rill_batch_count(out); i++) {
        rill_record r;
        char num[32];
        rill_batch_get(&r, out, i);
        snprintf(num, sizeof(num), "%.*s", (int)r.len, (const char *)r.data);
        sum += atoll(num);
    }
    assert_true(sum == (int64_t)100000 * 100001 / 2);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static void a_command_that_fails_fails_the_run_naming_it_its_status_and_stderr(void **state)
{
    const char *argv[] = {"/bin/sh", "-c", "echo fine; echo 'disk on fire' >&2; exit 3", NULL};
    rill_pipeline *p = passing();
    rill_batch *out;
    (void)state;
    assert_int_equal(rill_read_command(p, argv, NULL), 0);
    assert_true(rill_run(p, NULL, &out) < 0);
    assert_null(out);
    assert_non_null(strstr(rill_error_last(), "'/bin/sh -c echo fine"));
    assert_non_null(strstr(rill_error_last(), "status 3"));
    assert_non_null(strstr(rill_error_last(), "disk on fire"));
    rill_pipeline_free(p);
}

static void a_command_killed_by_a_signal_fails_the_run(void **state)
{
    const char *argv[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
    rill_pipeline *p = passing();
    (void)state;
    assert_int_equal(rill_read_command(p, argv, NULL), 0);
    assert_true(rill_run(p, NULL, NULL) < 0);
    assert_non_null(strstr(rill_error_last(), "signal 9"));
    rill_pipeline_free(p);
}

static void a_command_that_cannot_be_started_is_refused_naming_it(void **state)
{
    const char *missing[] = {"/nonexistent/rill-no-such-tool", "x", NULL};
    const char *unknown[] = {"rill-no-such-tool-in-path", NULL};
    const char *none[] = {NULL};
    rill_pipeline *p;
    (void)state;
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_read_command(p, missing, NULL), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "/nonexistent/rill-no-such-tool"));
    assert_int_equal(rill_read_command(p, unknown, NULL), RILL_ENOTFOUND);
    assert_non_null(strstr(rill_error_last(), "rill-no-such-tool-in-path"));
    assert_non_null(strstr(rill_error_last(), "PATH"));
    assert_int_equal(rill_read_command(p, none, NULL), RILL_EINVAL);
    assert_true(rill_pipeline_validate(p) < 0); /* the pipeline remembers */
    rill_pipeline_free(p);
}

/* The pid a command wrote into path (before exec'ing on as itself). */
static pid_t pid_in(const char *path)
{
    FILE *f = fopen(path, "r");
    long pid = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    return (pid_t)pid;
}

static void a_run_that_stops_early_kills_the_command(void **state)
{
    char pidfile[300], script[400];
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    rill_live_options o = bounded(0);
    rill_run_options ro = with_workers(2);
    rill_pipeline *p = passing();
    rill_stream *s;
    rill_batch *b, *out;
    const char *sink;
    pid_t pid;
    (void)state;
    snprintf(pidfile, sizeof(pidfile), "%s/pid", tmp);
    snprintf(script, sizeof(script), "echo $$ > '%s'; exec yes", pidfile);
    assert_int_equal(rill_read_command(p, argv, &o), 0);
    /* max_batches stops it: the run succeeds, the command is gone */
    ro.max_batches = 3;
    ro.batch_records = 100;
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_true(rill_batch_count(out) > 0 && rill_batch_count(out) <= 300);
    rill_batch_free(out);
    pid = pid_in(pidfile);
    assert_true(kill(pid, 0) < 0 && errno == ESRCH);
    /* so does closing a stream */
    unlink(pidfile);
    ro.max_batches = 0;
    assert_int_equal(rill_stream_open(&s, p, &ro), 0);
    assert_int_equal(rill_stream_next(&b, &sink, s), 1);
    rill_batch_free(b);
    rill_stream_close(s);
    pid = pid_in(pidfile);
    assert_true(kill(pid, 0) < 0 && errno == ESRCH);
    rill_pipeline_free(p);
}

static void a_command_that_lingers_after_its_output_ends_is_bounded_and_killed(void **state)
{
    const char *const want[] = {"said"};
    char pidfile[300], script[400];
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    rill_pipeline *p = passing();
    rill_batch *out;
    pid_t pid;
    (void)state;
    snprintf(pidfile, sizeof(pidfile), "%s/linger", tmp);
    /* closes its output, then would sleep for a minute */
    snprintf(script, sizeof(script), "echo $$ > '%s'; echo said; exec >&- sleep 60", pidfile);
    o.max_ms = 300;
    o.poll_ms = 20;
    assert_int_equal(rill_read_command(p, argv, &o), 0);
    assert_int_equal(rill_run(p, NULL, &out), 0);
    assert_true(holds(out, want, 1, 1));
    rill_batch_free(out);
    pid = pid_in(pidfile);
    assert_true(kill(pid, 0) < 0 && errno == ESRCH);
    rill_pipeline_free(p);
}

static void max_records_bounds_an_endless_command(void **state)
{
    const char *argv[] = {"/usr/bin/yes", "rill", NULL};
    rill_live_options o = bounded(2500);
    rill_run_options ro = with_workers(2);
    rill_pipeline *p = passing();
    rill_batch *out;
    (void)state;
    ro.batch_records = 1000;
    assert_int_equal(rill_read_command(p, argv, &o), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_int_equal(rill_batch_count(out), 2500);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

/* ---- a followed file ---- */

static void append(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Takes records from the stream into got until it holds n. */
static void take(rill_stream *s, rill_batch *got, size_t n)
{
    while (rill_batch_count(got) < n) {
        rill_batch *b;
        const char *sink;
        size_t i;
        assert_int_equal(rill_stream_next(&b, &sink, s), 1);
        for (i = 0; i < rill_batch_count(b); i++) {
            rill_record r;
            rill_batch_get(&r, b, i);
            assert_int_equal(rill_batch_add(got, r.data, r.len), 0);
        }
        rill_batch_free(b);
    }
}

static void a_followed_file_gives_appends_across_rotation_and_truncation(void **state)
{
    const char *const want[] = {"a1", "a2", "a3", "a4", "a5 in two writes", "old-late",
                                "b1", "b2", "c1"};
    char path[300], old[300];
    rill_live_options o = bounded(9);
    rill_run_options ro = with_workers(1);
    rill_pipeline *p = passing();
    rill_stream *s;
    rill_batch *got, *b;
    const char *sink;
    FILE *f;
    (void)state;
    snprintf(path, sizeof(path), "%s/app.log", tmp);
    snprintf(old, sizeof(old), "%s/app.log.1", tmp);
    append(path, "a1\na2\na3\n");
    assert_int_equal(rill_follow_file(p, path, &o), 0);
    assert_int_equal(rill_batch_new(&got), 0);
    assert_int_equal(rill_stream_open(&s, p, &ro), 0);
    take(s, got, 3);                   /* what was there */
    append(path, "a4\na5 in ");        /* an append, and half a line */
    take(s, got, 4);
    append(path, "two writes\n");      /* the half is held until its end */
    take(s, got, 5);
    assert_int_equal(rename(path, old), 0); /* rotation: the writer writes on */
    append(old, "old-late\n");
    append(path, "b1\nb2\n");
    take(s, got, 8);
    assert_non_null(f = fopen(path, "w")); /* truncation, shorter than before */
    fputs("c1\n", f);
    fclose(f);
    take(s, got, 9);
    assert_int_equal(rill_stream_next(&b, &sink, s), 0); /* max_records: done */
    rill_stream_close(s);
    assert_true(holds(got, want, 9, 1));
    rill_batch_free(got);
    rill_pipeline_free(p);
}

typedef struct appender {
    const char *path;
    atomic_int stop;
} appender;

/* Appends "new" every 20 ms until told to stop (10 s at most). */
static void *keep_appending(void *arg)
{
    appender *a = arg;
    int i;
    for (i = 0; i < 500 && !atomic_load(&a->stop); i++) {
        append(a->path, "new\n");
        usleep(20000);
    }
    return NULL;
}

static void a_followed_file_can_start_at_its_end_and_wait_for_the_file(void **state)
{
    const char *const want[] = {"new"};
    const char *const later[] = {"first", "second"};
    char path[300], late[300];
    rill_live_options o = bounded(1);
    rill_run_options ro = with_workers(1);
    rill_pipeline *p = passing(), *q = passing();
    rill_stream *s;
    rill_batch *got;
    appender ap = {NULL, 0};
    pthread_t t;
    (void)state;
    snprintf(path, sizeof(path), "%s/end.log", tmp);
    snprintf(late, sizeof(late), "%s/late.log", tmp);
    append(path, "old1\nold2\n");
    o.from_end = 1;
    assert_int_equal(rill_follow_file(p, path, &o), 0);
    assert_int_equal(rill_batch_new(&got), 0);
    assert_int_equal(rill_stream_open(&s, p, &ro), 0);
    /* lines appended while the run goes come, those before do not */
    ap.path = path;
    assert_int_equal(pthread_create(&t, NULL, keep_appending, &ap), 0);
    take(s, got, 1);
    atomic_store(&ap.stop, 1);
    pthread_join(t, NULL);
    rill_stream_close(s);
    assert_true(holds(got, want, 1, 1));
    /* a file that does not exist yet is waited for */
    o = bounded(2);
    rill_batch_clear(got);
    assert_int_equal(rill_follow_file(q, late, &o), 0);
    assert_int_equal(rill_stream_open(&s, q, &ro), 0);
    usleep(50000);
    append(late, "first\nsecond\n");
    take(s, got, 2);
    rill_stream_close(s);
    assert_true(holds(got, later, 2, 1));
    rill_batch_free(got);
    rill_pipeline_free(p);
    rill_pipeline_free(q);
}


/* Passes records on; in its first run asks for a checkpoint at "l3" and
 * fails at "l7" (a crash after a checkpoint). */
typedef struct crashing {
    rill_pipeline *p;
    int crash;
} crashing;

static int pass_or_crash(rill_emitter *out, const rill_record *in, void *payload)
{
    crashing *c = payload;
    if (c->crash && in->len == 2 && memcmp(in->data, "l3", 2) == 0)
        rill_checkpoint_request(c->p);
    if (c->crash && in->len == 2 && memcmp(in->data, "l7", 2) == 0)
        return -1;
    return rill_emit_record(out, in);
}

static void a_followed_file_resumes_from_its_checkpointed_offset(void **state)
{
    char path[300], db[300];
    rill_checkpoint_options co = RILL_CHECKPOINT_OPTIONS_INIT;
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    rill_run_options ro = with_workers(1);
    crashing c = {NULL, 1};
    rill_pipeline *p;
    rill_batch *out;
    size_t i;
    int seen[10] = {0};
    (void)state;
    snprintf(path, sizeof(path), "%s/resume.log", tmp);
    snprintf(db, sizeof(db), "%s/resume.db", tmp);
    for (i = 0; i < 10; i++) {
        char line[8];
        snprintf(line, sizeof(line), "l%zu\n", i);
        append(path, line);
    }
    o.max_ms = 1500; /* the second run ends on it */
    o.poll_ms = 20;
    co.path = db;
    co.resume = 1;
    assert_int_equal(rill_pipeline_new(&p), 0);
    c.p = p;
    assert_int_equal(rill_job(p, "pass", NULL, pass_or_crash, &c), 0);
    assert_int_equal(rill_follow_file(p, path, &o), 0);
    assert_int_equal(rill_checkpointing(p, &co), 0);
    ro.batch_records = 1; /* a line a batch: the checkpoint falls between them */
    assert_int_equal(rill_run(p, &ro, NULL), RILL_EUSER);
    c.crash = 0;
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_int_equal(rill_checkpoint_restored(p), 1);
    for (i = 0; i < rill_batch_count(out); i++) {
        rill_record r;
        rill_batch_get(&r, out, i);
        assert_int_equal(r.len, 2);
        seen[((const char *)r.data)[1] - '0']++;
    }
    /* l0-l2 were done before the checkpoint asked for at l3: not read
     * again; the lines after it (l7 failed the first run) come once each */
    for (i = 0; i < 10; i++)
        assert_int_equal(seen[i], i < 3 ? 0 : i < 7 ? seen[i] <= 1 ? seen[i] : -1 : 1);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

/* ---- listeners ---- */

typedef struct client {
    int family;           /* AF_INET, AF_INET6, AF_UNIX */
    int port;
    const char *path;
    int conns, lines;     /* connections, lines each */
} client;

static int dial(const client *c)
{
    int fd = socket(c->family, SOCK_STREAM, 0);
    if (c->family == AF_INET) {
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)c->port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 ? fd : -1;
    }
    if (c->family == AF_INET6) {
        struct sockaddr_in6 a = {0};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons((uint16_t)c->port);
        a.sin6_addr = in6addr_loopback;
        return connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 ? fd : -1;
    }
    {
        struct sockaddr_un a = {0};
        a.sun_family = AF_UNIX;
        snprintf(a.sun_path, sizeof(a.sun_path), "%.100s", c->path);
        return connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 ? fd : -1;
    }
}

/* Opens every connection at once, then writes each one's lines, a line in
 * pieces now and then, the last without its newline. */
static void *send_lines(void *arg)
{
    const client *c = arg;
    int fd[16], i, j;
    for (i = 0; i < c->conns; i++)
        fd[i] = dial(c);
    for (j = 0; j < c->lines; j++)
        for (i = 0; i < c->conns; i++) {
            char line[64];
            int n = snprintf(line, sizeof(line), "conn%d line%d%s", i, j,
                             j + 1 < c->lines ? "\n" : "");
            if (fd[i] < 0)
                continue;
            if (j % 7 == 3) { /* in two writes */
                if (write(fd[i], line, 3) != 3 || write(fd[i], line + 3, (size_t)n - 3) < 0)
                    return NULL;
            } else if (write(fd[i], line, (size_t)n) != n) {
                return NULL;
            }
        }
    for (i = 0; i < c->conns; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    return NULL;
}

/* Runs p, listening, while a client thread sends; checks every line came. */
static void check_listener(rill_pipeline *p, client *c)
{
    rill_run_options ro = with_workers(2);
    rill_batch *out;
    pthread_t t;
    char **want = calloc((size_t)(c->conns * c->lines), sizeof(char *));
    int i, j, n = 0;
    for (i = 0; i < c->conns; i++)
        for (j = 0; j < c->lines; j++) {
            want[n] = malloc(64);
            snprintf(want[n++], 64, "conn%d line%d", i, j);
        }
    assert_int_equal(pthread_create(&t, NULL, send_lines, c), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    pthread_join(t, NULL);
    assert_true(holds(out, (const char *const *)want, (size_t)n, 0));
    rill_batch_free(out);
    for (i = 0; i < n; i++)
        free(want[i]);
    free(want);
}

static void a_tcp_listener_takes_lines_from_several_connections(void **state)
{
    client v4 = {AF_INET, 0, NULL, 5, 200}, v6 = {AF_INET6, 0, NULL, 3, 50};
    rill_live_options o = bounded(5 * 200);
    rill_pipeline *p = passing(), *q = passing(), *busy = passing();
    (void)state;
    assert_int_equal(rill_listen_tcp(p, "127.0.0.1", 0, &o, &v4.port), 0);
    assert_true(v4.port > 0);
    check_listener(p, &v4);
    /* the port is taken while p lives */
    assert_int_equal(rill_listen_tcp(busy, "127.0.0.1", v4.port, &o, NULL), RILL_EIO);
    assert_non_null(strstr(rill_error_last(), "127.0.0.1"));
    o = bounded(3 * 50);
    assert_int_equal(rill_listen_tcp(q, "::1", 0, &o, &v6.port), 0);
    check_listener(q, &v6);
    rill_pipeline_free(p);
    rill_pipeline_free(q);
    rill_pipeline_free(busy);
}

static void a_unix_listener_takes_lines_and_removes_its_socket(void **state)
{
    char path[300];
    client c = {AF_UNIX, 0, path, 4, 100};
    rill_live_options o = bounded(4 * 100);
    rill_pipeline *p = passing(), *q = passing(), *r = passing();
    struct stat st;
    int fd;
    (void)state;
    snprintf(path, sizeof(path), "%s/in.sock", tmp);
    assert_int_equal(rill_listen_unix(p, path, &o), 0);
    check_listener(p, &c);
    assert_int_equal(rill_listen_unix(q, path, &o), RILL_EEXISTS); /* p listens there */
    assert_non_null(strstr(rill_error_last(), path));
    rill_pipeline_free(p);
    assert_true(stat(path, &st) < 0 && errno == ENOENT);
    /* a socket left by a listener that is gone is replaced */
    {
        struct sockaddr_un a = {0};
        a.sun_family = AF_UNIX;
        snprintf(a.sun_path, sizeof(a.sun_path), "%.100s", path);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        close(fd);
    }
    assert_int_equal(rill_listen_unix(r, path, &o), 0);
    check_listener(r, &c);
    rill_pipeline_free(q);
    rill_pipeline_free(r);
    /* a file that is not a socket is never replaced */
    append(path, "keep me\n");
    q = passing();
    assert_int_equal(rill_listen_unix(q, path, &o), RILL_EEXISTS);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    rill_pipeline_free(q);
}

static void a_listener_with_no_clients_ends_on_its_time_bound(void **state)
{
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    rill_run_options ro = with_workers(2);
    rill_pipeline *p = passing();
    rill_batch *out;
    int port;
    (void)state;
    o.max_ms = 300;
    o.poll_ms = 50;
    ro.max_batches = 1; /* waiting is not a batch: it does not end the run */
    assert_int_equal(rill_listen_tcp(p, "127.0.0.1", 0, &o, &port), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_int_equal(rill_batch_count(out), 0);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

/* ---- standard input ("-") from a FIFO, and rill record files ---- */

typedef struct fifo_writer {
    const char *path;
    int lines;
} fifo_writer;

static void *write_fifo(void *arg)
{
    const fifo_writer *w = arg;
    FILE *f = fopen(w->path, "w");
    int i;
    for (i = 0; f && i < w->lines; i++)
        fprintf(f, "fifo %d\n", i);
    if (f)
        fclose(f);
    return NULL;
}

static void standard_input_is_read_as_a_stream_from_a_fifo(void **state)
{
    char path[300];
    fifo_writer w = {path, 5000};
    rill_run_options ro = with_workers(2);
    rill_pipeline *p;
    rill_batch *work, *out;
    pthread_t t;
    int fd, saved;
    size_t i;
    (void)state;
    snprintf(path, sizeof(path), "%s/in.fifo", tmp);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(pthread_create(&t, NULL, write_fifo, &w), 0);
    assert_true((fd = open(path, O_RDONLY)) >= 0);
    saved = dup(0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add(work, "-", 1), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "read", 0), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    dup2(saved, 0);
    close(saved);
    pthread_join(t, NULL);
    assert_int_equal(rill_batch_count(out), (size_t)w.lines);
    for (i = 0; i < rill_batch_count(out); i++) {
        rill_record r;
        rill_batch_get(&r, out, i);
        assert_true(r.len > 5 && memcmp(r.data, "fifo ", 5) == 0);
    }
    rill_batch_free(out);
    rill_pipeline_free(p);
}

static int keyed(rill_emitter *out, const rill_record *in, void *payload)
{
    char k[32];
    (void)payload;
    snprintf(k, sizeof(k), "k%lld", (long long)(i64(in) % 7));
    return rill_emit_keyed(out, k, strlen(k), in->data, in->len);
}

static void rill_record_files_are_read_back_with_their_keys(void **state)
{
    char dir[300], glob[320], bad[320];
    rill_dir_options d = RILL_DIR_OPTIONS_INIT;
    rill_run_options ro = with_workers(2);
    rill_pipeline *w, *r;
    rill_batch *work, *out;
    int64_t sum = 0;
    size_t i;
    (void)state;
    snprintf(dir, sizeof(dir), "%s/recs", tmp);
    snprintf(glob, sizeof(glob), "%s/*.rill", dir);
    /* written by rill, keyed */
    assert_int_equal(rill_pipeline_new(&w), 0);
    assert_int_equal(rill_work(w, ints(0, 3000)), 0);
    assert_int_equal(rill_job(w, "key", NULL, keyed, NULL), 0);
    d.dir = dir;
    d.format = RILL_FORMAT_RILL;
    assert_int_equal(rill_output_dir(w, &d), 0);
    assert_int_equal(rill_run(w, &ro, NULL), 0);
    rill_pipeline_free(w);
    assert_int_equal(rill_pipeline_new(&r), 0);
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add(work, glob, strlen(glob)), 0);
    assert_int_equal(rill_work(r, work), 0);
    assert_int_equal(rill_read_rill_files(r, "read"), 0);
    assert_int_equal(rill_run(r, &ro, &out), 0);
    assert_int_equal(rill_batch_count(out), 3000);
    for (i = 0; i < rill_batch_count(out); i++) {
        rill_record rec;
        int64_t v;
        rill_batch_get(&rec, out, i);
        v = i64(&rec);
        char key[32];
        assert_non_null(rec.key);
        snprintf(key, sizeof(key), "%.*s", (int)rec.key_len, (const char *)rec.key);
        assert_int_equal(atoll(key + 1), v % 7);
        sum += v;
    }
    assert_true(sum == (int64_t)2999 * 3000 / 2);
    rill_batch_free(out);
    rill_pipeline_free(r);
    /* a file that is not one fails the run naming it */
    snprintf(bad, sizeof(bad), "%s/bad.rill", dir);
    append(bad, "not records\n");
    assert_int_equal(rill_pipeline_new(&r), 0);
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add(work, bad, strlen(bad)), 0);
    assert_int_equal(rill_work(r, work), 0);
    assert_int_equal(rill_read_rill_files(r, "read"), 0);
    assert_int_equal(rill_run(r, &ro, NULL), RILL_ECORRUPT);
    assert_non_null(strstr(rill_error_last(), "bad.rill"));
    rill_pipeline_free(r);
}

/* ---- signatures ---- */

static rill_source_signature sig_of(rill_pipeline *p)
{
    rill_source_signature s;
    assert_int_equal(rill_pipeline_source_count(p), 1);
    assert_int_equal(rill_pipeline_source_signature(p, 0, &s), 0);
    rill_pipeline_free(p);
    return s;
}

static int same(rill_source_signature x, rill_source_signature y)
{
    return strcmp(x.kind, y.kind) == 0 && x.hash[0] == y.hash[0] && x.hash[1] == y.hash[1];
}

static rill_source_signature command_sig(const char *arg, int64_t max_records, int poll_ms)
{
    const char *argv[] = {"/bin/echo", arg, NULL};
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    rill_pipeline *p = passing();
    o.max_records = max_records;
    o.poll_ms = poll_ms;
    assert_int_equal(rill_read_command(p, argv, &o), 0);
    return sig_of(p);
}

static rill_source_signature follow_sig(const char *path, int from_end)
{
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    rill_pipeline *p = passing();
    o.from_end = from_end;
    assert_int_equal(rill_follow_file(p, path, &o), 0);
    return sig_of(p);
}

static rill_source_signature unix_sig(const char *name)
{
    char path[300];
    rill_pipeline *p = passing();
    rill_source_signature s;
    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    assert_int_equal(rill_listen_unix(p, path, NULL), 0);
    s = sig_of(p);
    return s;
}

static void signatures_are_stable_and_follow_the_configuration(void **state)
{
    rill_source_signature a = command_sig("x", 0, 0), tcp1, tcp2;
    rill_pipeline *p;
    int port;
    (void)state;
    assert_string_equal(a.kind, "command");
    assert_false(a.flags & RILL_SOURCE_BOUNDED);
    assert_true(same(a, command_sig("x", 0, 0)));
    assert_true(same(a, command_sig("x", 0, 500))); /* polling is not what it reads */
    assert_false(same(a, command_sig("y", 0, 0)));
    assert_false(same(a, command_sig("x", 10, 0)));
    assert_string_equal(follow_sig("/var/log/a", 0).kind, "follow");
    assert_true(same(follow_sig("/var/log/a", 0), follow_sig("/var/log/a", 0)));
    assert_false(same(follow_sig("/var/log/a", 0), follow_sig("/var/log/b", 0)));
    assert_false(same(follow_sig("/var/log/a", 0), follow_sig("/var/log/a", 1)));
    assert_true(same(unix_sig("s1"), unix_sig("s1")));
    assert_false(same(unix_sig("s1"), unix_sig("s2")));
    /* a TCP listener: the port asked for, not the one the system picked */
    p = passing();
    assert_int_equal(rill_listen_tcp(p, "127.0.0.1", 0, NULL, &port), 0);
    tcp1 = sig_of(p);
    p = passing();
    assert_int_equal(rill_listen_tcp(p, "127.0.0.1", 0, NULL, &port), 0);
    tcp2 = sig_of(p);
    assert_string_equal(tcp1.kind, "tcp");
    assert_true(same(tcp1, tcp2));
    p = passing();
    assert_int_equal(rill_listen_tcp(p, "::1", 0, NULL, &port), 0);
    assert_false(same(tcp1, sig_of(p)));
}

static void bad_options_are_refused(void **state)
{
    const char *argv[] = {"/bin/echo", NULL};
    rill_live_options o = RILL_LIVE_OPTIONS_INIT;
    rill_pipeline *p = passing();
    (void)state;
    o.version = 99;
    assert_int_equal(rill_read_command(p, argv, &o), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "RILL_LIVE_OPTIONS_INIT"));
    rill_pipeline_free(p);
    p = passing();
    o = bounded(-1);
    assert_int_equal(rill_follow_file(p, "/tmp/x", &o), RILL_EINVAL);
    rill_pipeline_free(p);
    p = passing();
    o = bounded(0);
    o.from_end = 1;
    assert_int_equal(rill_read_command(p, argv, &o), RILL_EINVAL);
    assert_non_null(strstr(rill_error_last(), "from_end"));
    rill_pipeline_free(p);
    p = passing();
    assert_int_equal(rill_read_command(p, argv, NULL), 0);
    assert_int_equal(rill_follow_file(p, "/tmp/x", NULL), RILL_EPIPELINE); /* one source */
    rill_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_command_gives_a_record_per_line_and_its_last_partial_line),
        cmocka_unit_test(a_long_output_arrives_whole_over_several_workers),
        cmocka_unit_test(a_command_that_fails_fails_the_run_naming_it_its_status_and_stderr),
        cmocka_unit_test(a_command_killed_by_a_signal_fails_the_run),
        cmocka_unit_test(a_command_that_cannot_be_started_is_refused_naming_it),
        cmocka_unit_test(a_run_that_stops_early_kills_the_command),
        cmocka_unit_test(a_command_that_lingers_after_its_output_ends_is_bounded_and_killed),
        cmocka_unit_test(max_records_bounds_an_endless_command),
        cmocka_unit_test(a_followed_file_gives_appends_across_rotation_and_truncation),
        cmocka_unit_test(a_followed_file_can_start_at_its_end_and_wait_for_the_file),
        cmocka_unit_test(a_followed_file_resumes_from_its_checkpointed_offset),
        cmocka_unit_test(a_tcp_listener_takes_lines_from_several_connections),
        cmocka_unit_test(a_unix_listener_takes_lines_and_removes_its_socket),
        cmocka_unit_test(a_listener_with_no_clients_ends_on_its_time_bound),
        cmocka_unit_test(standard_input_is_read_as_a_stream_from_a_fifo),
        cmocka_unit_test(rill_record_files_are_read_back_with_their_keys),
        cmocka_unit_test(signatures_are_stable_and_follow_the_configuration),
        cmocka_unit_test(bad_options_are_refused),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
