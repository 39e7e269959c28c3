/* test_sources_live.c — the live sources (rill/sources.h) on real parts: a
 * file that is appended to, rotated and truncated while a run follows it,
 * TCP sockets on 127.0.0.1 and ::1, a Unix socket, a FIFO as standard input,
 * rill record files. Every run is bounded (max_ms as a safety net,
 * max_records or the input's end), so every test ends by itself. */
#include "live_helpers.h"

/* ---- a followed file ---- */

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
    long long t0;
    int port;
    (void)state;
    o.max_ms = 300;
    o.poll_ms = 50;
    assert_int_equal(rill_listen_tcp(p, "127.0.0.1", 0, &o, &port), 0);
    t0 = rill__test_ms();
    assert_int_equal(rill_run(p, &ro, &out), 0);
    assert_true(rill__test_ms() - t0 >= 300);
    assert_int_equal(rill_batch_count(out), 0);
    rill_batch_free(out);
    rill_pipeline_free(p);
}

/* Connects after a while (longer than many poll slices) and sends a line. */
static void *late_client(void *arg)
{
    client *c = arg;
    int fd;
    usleep(200000);
    if ((fd = dial(c)) >= 0) {
        if (write(fd, "late\n", 5) != 5) {
        }
        close(fd);
    }
    return NULL;
}

static void waiting_is_not_a_batch_max_batches_counts_records_given(void **state)
{
    const char *const want[] = {"late"};
    client c = {AF_INET, 0, NULL, 1, 1};
    rill_live_options o = bounded(0);
    rill_run_options ro = with_workers(2);
    rill_pipeline *p = passing();
    rill_batch *out;
    pthread_t t;
    (void)state;
    ro.max_batches = 1; /* the run ends with the first batch that gives records */
    assert_int_equal(rill_listen_tcp(p, "127.0.0.1", 0, &o, &c.port), 0);
    assert_int_equal(pthread_create(&t, NULL, late_client, &c), 0);
    assert_int_equal(rill_run(p, &ro, &out), 0);
    pthread_join(t, NULL);
    assert_true(holds(out, want, 1, 1));
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

static void standard_input_from_a_file_is_read_from_where_it_is(void **state)
{
    const char *const want[] = {"second", "third"};
    char path[300], first[7];
    rill_pipeline *p;
    rill_batch *work, *out;
    int fd, saved;
    (void)state;
    snprintf(path, sizeof(path), "%s/stdin.txt", tmp);
    append(path, "first\nsecond\nthird\n");
    assert_true((fd = open(path, O_RDONLY)) >= 0);
    assert_int_equal(read(fd, first, 6), 6); /* the caller took a line already */
    saved = dup(0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    assert_int_equal(rill_pipeline_new(&p), 0);
    assert_int_equal(rill_batch_new(&work), 0);
    assert_int_equal(rill_batch_add(work, "-", 1), 0);
    assert_int_equal(rill_work(p, work), 0);
    assert_int_equal(rill_read_lines(p, "read", 0), 0);
    assert_int_equal(rill_run(p, NULL, &out), 0);
    dup2(saved, 0);
    close(saved);
    assert_true(holds(out, want, 2, 1));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_followed_file_gives_appends_across_rotation_and_truncation),
        cmocka_unit_test(a_followed_file_can_start_at_its_end_and_wait_for_the_file),
        cmocka_unit_test(a_followed_file_resumes_from_its_checkpointed_offset),
        cmocka_unit_test(a_tcp_listener_takes_lines_from_several_connections),
        cmocka_unit_test(a_unix_listener_takes_lines_and_removes_its_socket),
        cmocka_unit_test(a_listener_with_no_clients_ends_on_its_time_bound),
        cmocka_unit_test(waiting_is_not_a_batch_max_batches_counts_records_given),
        cmocka_unit_test(standard_input_is_read_as_a_stream_from_a_fifo),
        cmocka_unit_test(standard_input_from_a_file_is_read_from_where_it_is),
        cmocka_unit_test(rill_record_files_are_read_back_with_their_keys),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
