/* test_cli_head.c — `head` ends a run whose source never ends, as `yes |
 * head` does: the `rill` program spawned on standard input from a pipe the
 * test keeps open, on a FIFO the test keeps open, on an endless sequence and
 * on a followed file exits 0 with the first n records; a count after head
 * counts what head passed; and in a graph whose other branch needs the
 * whole input, head does not stop it. */
#include <signal.h>
#include <time.h>

#include "cli_helpers.h"

/* rill run -q -w workers spec, its standard input from in_fd (-1:
 * /dev/null), output in cli_tmp/stdout and stderr. */
static pid_t spawn_rill(const char *spec, const char *workers, int in_fd)
{
    const char *const argv[] = {"run", "-q", "-w", workers, spec, NULL};
    return cli_spawn(in_fd, argv);
}

/* Waits for it, killing it after a minute (a run that head did not end
 * fails the test); its result. */
static cli_result wait_rill(pid_t pid)
{
    return cli_wait(pid, "head did not end the run");
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* "1\n2\n...n\n" */
static char *numbers(int from, int to)
{
    char *s = malloc((size_t)(to - from + 1) * 12 + 1), *at = s;
    int i;
    assert_non_null(s);
    *s = '\0';
    for (i = from; i <= to; i++)
        at += sprintf(at, "%d\n", i);
    return s;
}

static void head_on_a_pipe_held_open_exits_with_the_first_n_lines(void **state)
{
    const char *workers[] = {"1", "3"};
    size_t k;
    (void)state;
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: in, kind: stdin}\n"
                           "stages:\n"
                           "  - {name: first, kind: head, n: 10}\n"
                           "output: {format: lines}\n");
    for (k = 0; k < 2; k++) {
        char *lines = numbers(1, 100), *want = numbers(1, 10);
        cli_result r;
        int fds[2];
        pid_t pid;
        assert_int_equal(pipe(fds), 0);
        pid = spawn_rill("spec.yaml", workers[k], fds[0]);
        close(fds[0]);
        assert_int_equal(write(fds[1], lines, strlen(lines)), (ssize_t)strlen(lines));
        r = wait_rill(pid); /* the writer's end is still open */
        close(fds[1]);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, want); /* one reader of one stream: in order */
        cli_result_free(&r);
        free(lines);
        free(want);
    }
}

static void head_on_a_fifo_held_open_exits_with_the_first_n_lines(void **state)
{
    char path[512];
    cli_result r;
    pid_t pid;
    int rfd, wfd;
    (void)state;
    assert_int_equal(mkfifo(cli_path(path, "feed"), 0600), 0);
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: in, kind: lines, files: [feed]}\n"
                           "stages:\n"
                           "  - {name: first, kind: head, n: 2}\n"
                           "output: {format: lines}\n");
    assert_true((rfd = open(path, O_RDONLY | O_NONBLOCK)) >= 0); /* so that the */
    assert_true((wfd = open(path, O_WRONLY)) >= 0);              /* writer opens */
    assert_int_equal(write(wfd, "alpha\nbeta\ngamma\n", 17), 17);
    pid = spawn_rill("spec.yaml", "2", -1);
    r = wait_rill(pid);
    close(wfd);
    close(rfd);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "alpha\nbeta\n");
    cli_result_free(&r);
}

static void head_on_an_endless_sequence_exits_with_n_records(void **state)
{
    char *want = numbers(0, 9);
    cli_result r;
    (void)state;
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: nums, kind: sequence}\n"
                           "stages:\n"
                           "  - {name: first, kind: head, n: 10}\n"
                           "output: {format: lines}\n");
    r = wait_rill(spawn_rill("spec.yaml", "1", -1));
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, want); /* one worker: the input's order */
    cli_result_free(&r);
    r = wait_rill(spawn_rill("spec.yaml", "4", -1));
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 10); /* which ten: as the workers go */
    cli_result_free(&r);
    free(want);
}

static void a_count_after_head_counts_what_head_passed(void **state)
{
    const char *text = "a b\nb c\nc a\nzz zz\nzz zz\n";
    cli_result r;
    int fds[2];
    pid_t pid;
    (void)state;
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: in, kind: stdin}\n"
                           "stages:\n"
                           "  - {name: first, kind: head, n: 3}\n"
                           "  - {name: words, kind: words}\n"
                           "  - {name: counts, kind: count}\n"
                           "  - {name: ordered, kind: sort}\n"
                           "output: {format: tsv}\n");
    assert_int_equal(pipe(fds), 0);
    pid = spawn_rill("spec.yaml", "2", fds[0]);
    close(fds[0]);
    assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    r = wait_rill(pid);
    close(fds[1]);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "a\t2\nb\t2\nc\t2\n"); /* zz: after the first 3 lines */
    cli_result_free(&r);
}

/* However long the source waits for input at a time (poll_ms: 2 minutes,
 * more than wait_rill allows), it sees that no more is wanted. */
static void head_on_a_followed_file_exits(void **state)
{
    char *lines = numbers(1, 40);
    cli_result r;
    (void)state;
    cli_write("app.log", lines);
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: log, kind: follow, path: app.log, poll_ms: 120000}\n"
                           "stages:\n"
                           "  - {name: first, kind: head, n: 4}\n"
                           "output: {format: lines}\n");
    r = wait_rill(spawn_rill("spec.yaml", "2", -1));
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n2\n3\n4\n");
    cli_result_free(&r);
    free(lines);
}

/* The other branch gets every record: head leaves the input alone. */
static void head_on_one_branch_of_a_graph_reads_the_whole_input(void **state)
{
    cli_result r;
    (void)state;
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: nums, kind: sequence, to: 100000}\n"
                           "stages:\n"
                           "  - {name: first, kind: head, n: 5, input: nums}\n"
                           "  - {name: all, kind: grep, pattern: '.', input: nums}\n"
                           "output: {format: lines}\n");
    r = wait_rill(spawn_rill("spec.yaml", "1", -1));
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 100005);
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(head_on_a_pipe_held_open_exits_with_the_first_n_lines,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(head_on_a_fifo_held_open_exits_with_the_first_n_lines,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(head_on_an_endless_sequence_exits_with_n_records,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_count_after_head_counts_what_head_passed, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(head_on_a_followed_file_exits, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(head_on_one_branch_of_a_graph_reads_the_whole_input,
                                        cli_setup, cli_teardown),
    };
    signal(SIGPIPE, SIG_IGN); /* a write to a pipe rill left is an error, not a death */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
