/* test_cli.c — the `rill` program run as a user runs it, on real files, a
 * FIFO and standard input: the word count example against the same count
 * made by tr, sort and uniq; the words stage against wc -w and on UTF-8
 * (within and between ASCII runs, on a line too long for its stack buffer);
 * -s overrides; an output folder; a spec wired with input: names; stdin;
 * rill record files written by one run and read by another (and cut by
 * --max-batches); a sequence; TSV's escapes on standard output. */
#include "cli_helpers.h"

/* Writes a text of n lines of words of mixed case and punctuation, made
 * from a fixed seed, into cli_tmp/name. */
static void write_text(const char *name, int lines, unsigned seed)
{
    static const char *const words[] = {"the", "The", "river", "RIVER", "flows", "rill's",
                                        "stone", "Stone,", "water.", "a", "in", "(an)",
                                        "42", "x-ray", "over", "under"};
    static const char *const gaps[] = {" ", "  ", "\t", " , ", " - "};
    char path[512];
    FILE *f = fopen(cli_path(path, name), "wb");
    int i, j;
    assert_non_null(f);
    for (i = 0; i < lines; i++) {
        int n = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;
        for (j = 0; j < n; j++) {
            seed = seed * 1103515245u + 12345u;
            fputs(words[(seed >> 16) % 16], f);
            seed = seed * 1103515245u + 12345u;
            fputs(gaps[(seed >> 16) % 5], f);
        }
        fputc('\n', f);
    }
    fclose(f);
}

static void wordcount_example_matches_tr_sort_uniq(void **state)
{
    char text[512], set[600], cmd[1200];
    char *mine, *theirs;
    cli_result r;
    (void)state;
    write_text("text.txt", 5000, 7);
    cli_path(text, "text.txt");
    snprintf(set, sizeof(set), "text.files=%s", text);
    r = cli_rill(NULL, "run", "-q", "-w", "2", SOURCE_DIR "/examples/wordcount.yaml", "-s", set,
                 NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    mine = cli_tsv_as_counts(r.out);
    /* letters only, lower-cased: the same with tr */
    snprintf(cmd, sizeof(cmd),
             "tr -cs 'A-Za-z' '\\n' < '%s' | tr 'A-Z' 'a-z' | grep -v '^$' | LC_ALL=C sort | "
             "uniq -c | awk '{print $1, $2}' | LC_ALL=C sort", text);
    theirs = cli_shell(cmd);
    assert_true(strlen(theirs) > 0);
    assert_string_equal(mine, theirs);
    free(mine);
    free(theirs);
    cli_result_free(&r);
}

/* A spec counting the words (whitespace-separated) of path, as cli_tmp/name. */
static void write_plain_spec(const char *name, const char *path)
{
    char spec[1024];
    snprintf(spec, sizeof(spec), "sources: ['%s']\nstages:\n  - kind: words\n  - kind: count\n",
             path);
    cli_write(name, spec);
}

static void words_by_default_split_at_whitespace_as_wc_w_counts(void **state)
{
    char text[512], spec[512], cmd[1200];
    char *mine, *theirs, *wc;
    long total = 0;
    const char *p;
    cli_result r;
    (void)state;
    /* tabs, runs of spaces, vertical tabs, form feeds, CR LF and UTF-8 */
    cli_write("ws.txt", "  one\ttwo  three\n\n\vfour\f five caf\xc3\xa9 caf\xc3\xa9\r\n"
                        "lone-\xe5\xad\x97 one\n   \n");
    write_plain_spec("plain.yaml", cli_path(text, "ws.txt"));
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "plain.yaml"), NULL);
    assert_int_equal(r.status, 0);
    for (p = r.out; (p = strchr(p, '\t')) != NULL; p++)
        total += atol(p + 1);
    snprintf(cmd, sizeof(cmd), "LC_ALL=C wc -w < '%s'", text);
    wc = cli_shell(cmd);
    assert_int_equal(total, atol(wc));
    mine = cli_tsv_as_counts(r.out);
    snprintf(cmd, sizeof(cmd),
             "LC_ALL=C tr -s ' \\t\\n\\v\\f\\r' '\\n' < '%s' | grep -av '^$' | LC_ALL=C sort | "
             "uniq -c | awk '{print $1, $2}' | LC_ALL=C sort", text);
    theirs = cli_shell(cmd);
    assert_string_equal(mine, theirs);
    free(mine);
    free(theirs);
    free(wc);
    cli_result_free(&r);
}

static void words_lower_and_letters_only_are_utf8_aware(void **state)
{
    char spec[512];
    cli_result r;
    char *counts;
    (void)state;
    cli_write("utf8.txt", "\xc3\x84rger \xc3\xa4rger \xc3\x84RGER, \xd0\x96\xd1\x83\xd0\xba "
                          "\xd0\xb6\xd1\x83\xd0\xba! 1234 don't \xe5\xad\x97\n");
    cli_write("utf8.yaml", "sources: [utf8.txt]\n"
                           "stages:\n"
                           "  - {kind: words, lower: true, letters_only: true}\n"
                           "  - {kind: count}\n");
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "utf8.yaml"), NULL);
    assert_int_equal(r.status, 0);
    counts = cli_tsv_as_counts(r.out);
    /* Ärger thrice (é's case folded), Жук twice, a CJK letter; digits and
     * punctuation separate words */
    assert_string_equal(counts, "1 don\n1 t\n1 \xe5\xad\x97\n2 \xd0\xb6\xd1\x83\xd0\xba\n"
                                "3 \xc3\xa4rger\n");
    free(counts);
    cli_result_free(&r);
}

/* Letters from 0x80 up inside and after ASCII runs, separators that are
 * not ASCII (an em dash, a euro sign, a byte that is not UTF-8), and a line
 * of 3,000 bytes: the same words with and without letters_only. */
static void words_mix_ascii_runs_and_utf8_within_a_word_on_any_line_length(void **state)
{
    char spec[512], text[3200];
    cli_result r;
    char *counts;
    size_t n;
    FILE *f;
    int i;
    (void)state;
    n = (size_t)snprintf(text, sizeof(text), "NA\xc3\x8fVE na\xc3\xafve Stra\xc3\x9f"
                                             "e\xe2\x80\x94x x\xffY \xe2\x82\xac" "5\n");
    for (i = 0; i < 600; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "ab\xc3\xa9 ");
    n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
    assert_non_null(f = fopen(cli_path(spec, "mix.txt"), "wb"));
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    cli_write("letters.yaml", "sources: [mix.txt]\n"
                              "stages: [{kind: words, lower: true, letters_only: true}, "
                              "{kind: count}]\n");
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "letters.yaml"), NULL);
    assert_int_equal(r.status, 0);
    counts = cli_tsv_as_counts(r.out);
    assert_string_equal(counts, "1 stra\xc3\x9f" "e\n1 y\n2 na\xc3\xafve\n2 x\n600 ab\xc3\xa9\n");
    free(counts);
    cli_result_free(&r);
    cli_write("lower.yaml", "sources: [mix.txt]\n"
                            "stages: [{kind: words, lower: true}, {kind: count}]\n");
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "lower.yaml"), NULL);
    assert_int_equal(r.status, 0);
    counts = cli_tsv_as_counts(r.out);
    /* the byte that is not UTF-8 is written escaped (TSV's rule) */
    assert_string_equal(counts, "1 stra\xc3\x9f" "e\xe2\x80\x94x\n1 x\\xffy\n1 \xe2\x82\xac" "5\n"
                                "2 na\xc3\xafve\n600 ab\xc3\xa9\n");
    free(counts);
    cli_result_free(&r);
}

static void set_overrides_an_option_and_a_source(void **state)
{
    char spec[512], other[512], set[600];
    cli_result r;
    (void)state;
    cli_write("a.txt", "Hello hello HELLO\n");
    cli_write("b.txt", "Bye bye\n");
    cli_write("set.yaml", "sources:\n  - {name: text, kind: lines, files: [a.txt]}\n"
                          "stages:\n  - {kind: words, lower: true}\n  - {kind: count}\n");
    cli_path(spec, "set.yaml");
    r = cli_rill(NULL, "run", "-q", spec, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "hello\t3\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-q", spec, "-s", "words.lower=false", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "HELLO\t1\n"));
    assert_non_null(strstr(r.out, "Hello\t1\n"));
    cli_result_free(&r);
    snprintf(set, sizeof(set), "text.files=[%s]", cli_path(other, "b.txt"));
    r = cli_rill(NULL, "run", "-q", spec, "-s", set, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "bye\t2\n");
    cli_result_free(&r);
    /* a bad override: said where, with -s as the file, and nothing runs */
    r = cli_rill(NULL, "run", "-q", spec, "-s", "words.lower=false", "-s", "wrods.lower=1",
                 NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "-s:2:1: no stage or source named 'wrods' "
                                  "(did you mean 'words'?)"));
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-q", spec, "-s", "words.lower=perhaps", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "-s:1:13: stage 'words': option 'lower': expected true or "
                                  "false, got 'perhaps'"));
    cli_result_free(&r);
}

static void output_folder_gets_the_counts(void **state)
{
    char spec[512], dir[512], cmd[1200];
    char *listing, *content;
    cli_result r;
    (void)state;
    cli_write("o.txt", "b a b\n");
    cli_write("o.yaml", "sources: [o.txt]\nstages: [{kind: words}, {kind: count}]\n"
                        "output: {format: tsv, run_id: r1}\n");
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "o.yaml"), "-o", cli_path(dir, "out"), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    snprintf(cmd, sizeof(cmd), "cd '%s' && ls", dir);
    listing = cli_shell(cmd);
    assert_string_equal(listing, "r1-0.tsv\n");
    snprintf(cmd, sizeof(cmd), "LC_ALL=C sort '%s/r1-0.tsv'", dir);
    content = cli_shell(cmd);
    assert_string_equal(content, "a\t1\nb\t2\n");
    free(listing);
    free(content);
    cli_result_free(&r);
    /* run_id is for a folder: the spec checks, a run without -o is refused */
    r = cli_rill(NULL, "check", spec, NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    r = cli_rill(NULL, "run", spec, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    snprintf(cmd, sizeof(cmd), "%s:3:31: output: option 'run_id' needs a folder", spec);
    assert_non_null(strstr(r.err, cmd));
    cli_result_free(&r);
}

/* Without a run_id the spec's name is the run id: a second run of it into
 * the same folder replaces the first one's files; another spec's stay. */
static void a_spec_run_again_into_a_folder_replaces_its_own_files(void **state)
{
    char dir[512], spec[512];
    cli_result r;
    int k;
    (void)state;
    cli_write("again.txt", "a b\nb c\n");
    cli_write("again.yaml", "sources: [again.txt]\nstages: [{kind: words}, {kind: count}]\n");
    cli_write("other.yaml", "sources: [again.txt]\nstages: [{kind: words}]\n"
                            "output: {format: lines}\n");
    cli_path(dir, "again-out");
    for (k = 0; k < 2; k++) {
        r = cli_rill(NULL, "run", "-q", "-o", dir, cli_path(spec, "again.yaml"), NULL);
        assert_int_equal(r.status, 0);
        cli_result_free(&r);
    }
    r = cli_rill(NULL, "run", "-q", "-o", dir, cli_path(spec, "other.yaml"), NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-q", "-o", dir, cli_path(spec, "again.yaml"), NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    /* one set of each spec, the counts once */
    {
        char cmd[2048], *out;
        snprintf(cmd, sizeof(cmd), "{ ls %s | LC_ALL=C sort | tr '\\n' ' '; "
                 "cat %s/again-*.tsv | LC_ALL=C sort | tr '\\n' ' '; }", dir, dir);
        out = cli_shell(cmd);
        assert_string_equal(out, "again-0.tsv other-0.txt a\t1 b\t2 c\t1 ");
        free(out);
    }
}

static void standard_input_and_a_fifo_are_read_as_streams(void **state)
{
    char spec[512], in[512], fifo[512], cmd[1200];
    char *mine, *theirs;
    cli_result r;
    pid_t writer;
    int status;
    (void)state;
    write_text("stream.txt", 3000, 11);
    cli_path(in, "stream.txt");
    snprintf(cmd, sizeof(cmd),
             "LC_ALL=C tr -s ' \\t\\n' '\\n' < '%s' | grep -v '^$' | LC_ALL=C sort | uniq -c | "
             "awk '{print $1, $2}' | LC_ALL=C sort", in);
    theirs = cli_shell(cmd);

    /* -, standard input */
    write_plain_spec("stdin.yaml", "-");
    r = cli_rill(in, "run", "-q", cli_path(spec, "stdin.yaml"), NULL);
    assert_int_equal(r.status, 0);
    mine = cli_tsv_as_counts(r.out);
    assert_string_equal(mine, theirs);
    free(mine);
    cli_result_free(&r);

    /* a FIFO, written by another process while rill reads it */
    cli_path(fifo, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    write_plain_spec("fifo.yaml", fifo);
    writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        char buf[4096];
        size_t got;
        FILE *src = fopen(in, "rb"), *dst = fopen(fifo, "wb");
        free(theirs); /* under valgrind a child's exit is checked for leaks too */
        if (src == NULL || dst == NULL)
            _exit(1);
        while ((got = fread(buf, 1, 1000, src)) > 0) /* in pieces */
            if (fwrite(buf, 1, got, dst) != got || fflush(dst) != 0)
                _exit(1);
        fclose(src);
        _exit(fclose(dst) != 0);
    }
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "fifo.yaml"), NULL);
    assert_int_equal(waitpid(writer, &status, 0), writer);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(r.status, 0);
    mine = cli_tsv_as_counts(r.out);
    assert_string_equal(mine, theirs);
    free(mine);
    free(theirs);
    cli_result_free(&r);
}

static void a_spec_wired_with_input_names_runs_as_a_graph(void **state)
{
    char spec[512], dir[512], cmd[1200];
    char *listing, *lower, *letters;
    cli_result r;
    (void)state;
    cli_write("g.txt", "Big big, BIG!\n");
    cli_write("g.yaml", "sources:\n  - {name: text, kind: lines, files: [g.txt]}\n"
                        "stages:\n"
                        "  - {name: lower, kind: words, lower: true, input: text}\n"
                        "  - {name: letters, kind: words, letters_only: true, input: text}\n"
                        "output: {format: lines, run_id: g}\n");
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "g.yaml"), "-o", cli_path(dir, "gout"), NULL);
    assert_int_equal(r.status, 0);
    snprintf(cmd, sizeof(cmd), "cd '%s' && find . -type f | LC_ALL=C sort", dir);
    listing = cli_shell(cmd);
    assert_string_equal(listing, "./task=letters/g-0.txt\n./task=lower/g-0.txt\n");
    snprintf(cmd, sizeof(cmd), "cat '%s/task=lower/g-0.txt'", dir);
    lower = cli_shell(cmd);
    assert_string_equal(lower, "big\nbig,\nbig!\n");
    snprintf(cmd, sizeof(cmd), "cat '%s/task=letters/g-0.txt'", dir);
    letters = cli_shell(cmd);
    assert_string_equal(letters, "Big\nbig\nBIG\n");
    cli_result_free(&r);
    /* the plan and the picture say the same */
    r = cli_rill(NULL, "explain", cli_path(spec, "g.yaml"), NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "a graph (input: wiring, the graph API) of 3 stages"));
    assert_non_null(strstr(r.out, "  letters\n    from:        stage 'letters' (kind words)"));
    assert_non_null(strstr(r.out, "    follows:     text\n"));
    cli_result_free(&r);
    r = cli_rill(NULL, "graph", cli_path(spec, "g.yaml"), NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"text\" -> \"lower\";\n"));
    assert_non_null(strstr(r.out, "\"text\" -> \"letters\";\n"));
    assert_non_null(strstr(r.out, "\"lower\" -> \"(output)\";\n"));
    assert_non_null(strstr(r.out, "\"letters\" -> \"(output)\";\n"));
    free(listing);
    free(lower);
    free(letters);
    cli_result_free(&r);
}

static void record_files_one_run_writes_another_reads_back(void **state)
{
    char spec[512], dir[512], set[600];
    char *direct, *back;
    cli_result r;
    (void)state;
    write_text("rec.txt", 500, 3);
    cli_write("write.yaml", "sources: [rec.txt]\nstages: [{kind: words}, {kind: count}]\n");
    cli_write("read.yaml", "sources: [{name: earlier, kind: records, files: [DIR]}]\n");
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "write.yaml"), NULL);
    assert_int_equal(r.status, 0);
    direct = cli_tsv_as_counts(r.out);
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "write.yaml"), "-o", cli_path(dir, "recs"),
                 "-s", "output.format=rill", NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    snprintf(set, sizeof(set), "earlier.files=%s/*.rill", dir);
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "read.yaml"), "-s", set, NULL);
    assert_int_equal(r.status, 0);
    back = cli_tsv_as_counts(r.out); /* keys and counts as they were written */
    assert_true(strlen(direct) > 0);
    assert_string_equal(back, direct);
    free(direct);
    free(back);
    cli_result_free(&r);
}

static void a_sequence_gives_each_number_once_as_text(void **state)
{
    char spec[512];
    const char *p;
    long long sum = 0, want = 0, n = 0, i;
    cli_result r;
    (void)state;
    cli_write("seq.yaml", "sources: [{name: n, kind: sequence, from: 1, to: 11}]\n"
                          "stages: [{kind: count}]\n");
    r = cli_rill(NULL, "run", "-q", "-w", "3", cli_path(spec, "seq.yaml"), "-s", "n.to=2001",
                 NULL);
    assert_int_equal(r.status, 0);
    for (p = r.out; *p; p = strchr(p, '\n') + 1) { /* NUMBER TAB 1 */
        sum += atoll(p);
        assert_int_equal(atoll(strchr(p, '\t') + 1), 1);
        n++;
    }
    for (i = 1; i < 2001; i++)
        want += i;
    assert_int_equal(n, 2000);
    assert_int_equal(sum, want);
    cli_result_free(&r);
}

static void max_batches_stops_a_records_source_after_that_many(void **state)
{
    char spec[512], dir[512], set[600];
    const char *p;
    long lines = 0;
    cli_result r;
    (void)state;
    /* 5000 distinct records in a rill file, read back 2 batches of 1024 */
    cli_write("make.yaml", "sources: [{name: n, kind: sequence, from: 0, to: 5000}]\n"
                           "stages: [{kind: count}]\noutput: {format: rill}\n");
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "make.yaml"), "-o", cli_path(dir, "five"),
                 NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    cli_write("take.yaml", "sources: [{name: f, kind: records, files: [x]}]\n"
                           "output: {format: tsv}\n");
    snprintf(set, sizeof(set), "f.files=%s/*.rill", dir);
    r = cli_rill(NULL, "run", "-q", "--max-batches", "2", cli_path(spec, "take.yaml"), "-s", set,
                 NULL);
    assert_int_equal(r.status, 0);
    for (p = r.out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    assert_int_equal(lines, 2 * 1024);
    cli_result_free(&r);
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "take.yaml"), "-s", set, NULL);
    assert_int_equal(r.status, 0);
    for (lines = 0, p = r.out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    assert_int_equal(lines, 5000);
    cli_result_free(&r);
}

static void input_names_that_form_a_chain_are_built_as_one_and_may_count(void **state)
{
    char spec[512];
    cli_result r;
    (void)state;
    cli_write("c.txt", "to be or not to be\n");
    cli_write("chain.yaml", "sources: [{name: text, kind: lines, files: [c.txt]}]\n"
                            "stages:\n"
                            "  - {name: w, kind: words, input: text}\n"
                            "  - {name: c, kind: count, input: w}\n");
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "chain.yaml"), NULL);
    assert_int_equal(r.status, 0);
    {
        char *counts = cli_tsv_as_counts(r.out);
        assert_string_equal(counts, "1 not\n1 or\n2 be\n2 to\n");
        free(counts);
    }
    cli_result_free(&r);
    r = cli_rill(NULL, "check", spec, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "a chain"));
    cli_result_free(&r);
}

/* A key with a tab, a backslash and a carriage return at its ends and in
 * between: each escaped, the bytes between them as they are. */
static void tsv_on_standard_output_escapes_tabs_backslashes_and_returns(void **state)
{
    char spec[512];
    cli_result r;
    (void)state;
    cli_write("esc.txt", "\ta\\b\rc d\t\n\ta\\b\rc d\t\n");
    cli_write("esc.yaml", "sources: [esc.txt]\nstages: [{kind: count}]\noutput: {format: tsv}\n");
    r = cli_rill(NULL, "run", "-q", cli_path(spec, "esc.yaml"), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "\\ta\\\\b\\rc d\\t\t2\n");
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(wordcount_example_matches_tr_sort_uniq, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(words_by_default_split_at_whitespace_as_wc_w_counts,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(words_lower_and_letters_only_are_utf8_aware, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(
            words_mix_ascii_runs_and_utf8_within_a_word_on_any_line_length, cli_setup,
            cli_teardown),
        cmocka_unit_test_setup_teardown(set_overrides_an_option_and_a_source, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(output_folder_gets_the_counts, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_spec_run_again_into_a_folder_replaces_its_own_files,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(standard_input_and_a_fifo_are_read_as_streams, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(a_spec_wired_with_input_names_runs_as_a_graph, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(
            input_names_that_form_a_chain_are_built_as_one_and_may_count, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(record_files_one_run_writes_another_reads_back,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(a_sequence_gives_each_number_once_as_text, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(max_batches_stops_a_records_source_after_that_many,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(tsv_on_standard_output_escapes_tabs_backslashes_and_returns,
                                        cli_setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
