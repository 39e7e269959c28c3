/* test_cli_compile.c — `rill compile SPEC`, spawned as a user runs it (the
 * real binary, RILL_BIN) on real folders in a scratch folder: a folder
 * imported and compiled into postings (the first run full, and says so),
 * files changed, added and removed, imported and compiled again
 * (incremental), the postings equal to what grep -lw finds in the folder
 * after each run and to a full compile (--verify); a changed option of the
 * compile runs in full naming it, a default written out does not; stats
 * against wc and
 * concat against cat; --why; a reprocess job runs in full and says why; an
 * output changed behind the compile's back is caught by --verify; rill
 * catalog why (from the last commit alone, or with the spec) and verify;
 * spec errors with their file:line:column and exit 2. */
#include "cli_helpers.h"

/* The documents: words of lower-case letters only, so that grep -w finds
 * what the postings' tokenizer (letters_only, lower) does. */
static void make_docs(void)
{
    assert_int_equal(mkdir("docs", 0755), 0);
    cli_write("docs/a.txt", "the cat sat\non the mat\n");
    cli_write("docs/b.txt", "the dog ate the cat\n");
    cli_write("docs/c.txt", "a bird sang\n");
}

static const char postings_spec[] =
    "inputs:\n"
    "  - catalog: docs\n"
    "output: postings\n"
    "compile:\n"
    "  kind: postings\n"
    "  lower: true\n"
    "  letters_only: true\n";

static void ok(cli_result *r)
{
    if (r->status != 0)
        fail_msg("rill exited %d: %s", r->status, r->err);
}

static void import_docs(void)
{
    cli_result r = cli_rill(NULL, "catalog", "import", "docs", "docs", NULL);
    ok(&r);
    cli_result_free(&r);
}

/* "word=doc,doc," per word of docs/, from grep -lw; and the same of the
 * postings catalog, exported. */
static void assert_postings_are_grep(void)
{
    char *want, *got;
    cli_result r;
    assert_int_equal(system("rm -rf out"), 0);
    r = cli_rill(NULL, "catalog", "export", "postings", "out", NULL);
    ok(&r);
    cli_result_free(&r);
    want = cli_shell("cd docs && for w in $(cat * | tr -cs a-z '\\n' | LC_ALL=C sort -u); do "
                     "printf '%s=' \"$w\"; LC_ALL=C grep -lw -- \"$w\" * | tr '\\n' ,; echo; "
                     "done");
    got = cli_shell("cd out && for w in $(ls | LC_ALL=C sort); do printf '%s=' \"$w\"; "
                    "tr '\\n' , < \"$w\"; echo; done");
    assert_true(strlen(want) > 20);
    assert_string_equal(got, want);
    free(want);
    free(got);
}

static void assert_verified(const char *spec)
{
    cli_result r = cli_rill(NULL, "compile", "--verify", spec, NULL);
    ok(&r);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "verify: 0 keys of 'postings' differ from a full compile"));
    cli_result_free(&r);
}

static void postings_full_then_incremental(void **s)
{
    cli_result r;
    (void)s;
    make_docs();
    cli_write("p.yaml", postings_spec);
    import_docs();
    r = cli_rill(NULL, "compile", "-w", "2", "p.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: full: output 'postings' has no compile's commit "
                                  "yet: the first run is full\n"));
    assert_non_null(strstr(r.err, "rill compile: 'postings' version 1: 10 compiled, 10 written, "
                                  "0 deleted (3 input partitions changed) in "));
    cli_result_free(&r);
    assert_postings_are_grep();
    assert_verified("p.yaml");

    /* a file changed, one added, one removed */
    cli_write("docs/b.txt", "the dog ate the fish\n");
    cli_write("docs/d.txt", "one more cat\n");
    assert_int_equal(unlink("docs/c.txt"), 0);
    import_docs();
    r = cli_rill(NULL, "compile", "-w", "2", "--self-check", "1", "p.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: incremental: from input 'docs' 1 to 2\n"));
    assert_non_null(strstr(r.err, "(3 input partitions changed"));
    cli_result_free(&r);
    assert_postings_are_grep();
    assert_verified("p.yaml");

    /* nothing changed: incremental, nothing compiled */
    import_docs();
    r = cli_rill(NULL, "compile", "p.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: incremental: from input 'docs' 2 to 3\n"));
    assert_non_null(strstr(r.err, "version 3: 0 compiled, 0 written, 0 deleted (0 input "
                                  "partitions changed)"));
    cli_result_free(&r);

    /* -q: nothing said */
    cli_write("docs/a.txt", "the mat\n");
    import_docs();
    r = cli_rill(NULL, "compile", "-q", "p.yaml", NULL);
    ok(&r);
    assert_string_equal(r.err, "");
    cli_result_free(&r);
    assert_postings_are_grep();
}

static void why_says_last_and_now(void **s)
{
    cli_result r;
    (void)s;
    make_docs();
    cli_write("p.yaml", postings_spec);
    import_docs();
    r = cli_rill(NULL, "compile", "--why", "p.yaml", NULL);
    ok(&r);
    assert_string_equal(r.out, "last: none (no catalog 'postings' yet); now: full: the first "
                               "run is full\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "list", NULL); /* --why made nothing */
    ok(&r);
    assert_null(strstr(r.out, "postings"));
    cli_result_free(&r);
    r = cli_rill(NULL, "compile", "p.yaml", NULL);
    ok(&r);
    cli_result_free(&r);
    cli_write("docs/c.txt", "a fish sang\n");
    import_docs();
    r = cli_rill(NULL, "compile", "--why", "p.yaml", NULL);
    ok(&r);
    assert_string_equal(r.out, "last: output version 1, full: output 'postings' has no "
                               "compile's commit yet: the first run is full; now: incremental: "
                               "from input 'docs' 1 to 2\n");
    assert_string_equal(r.err, "");
    cli_result_free(&r);
    /* --why compiled nothing: the output is still at version 1 */
    r = cli_rill(NULL, "catalog", "log", "postings", NULL);
    ok(&r);
    { /* the header and version 1 */
        const char *p;
        int lines = 0;
        for (p = r.out; *p; p++)
            lines += *p == '\n';
        assert_int_equal(lines, 2);
        assert_non_null(strstr(r.out, "\n      1  "));
    }
    cli_result_free(&r);
}

/* `rill catalog why OUTPUT` without the spec: the last commit, each input
 * and how far it moved, the fingerprints, and what follows; with the spec,
 * the same as rill compile --why. */
static void catalog_why_reads_the_last_commit_alone(void **s)
{
    cli_result r;
    (void)s;
    make_docs();
    cli_write("p.yaml", postings_spec);
    import_docs();
    r = cli_rill(NULL, "catalog", "why", "postings", NULL);
    ok(&r);
    assert_string_equal(r.out, "last: none (no catalog 'postings'); now: full: the first run "
                               "is full\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "compile", "p.yaml", NULL);
    ok(&r);
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "why", "postings", NULL);
    ok(&r);
    assert_true(strncmp(r.out, "last: output 'postings' version 1 at ", 37) == 0);
    assert_non_null(strstr(r.out, "a map-group compile of 1 input: full: output 'postings' "
                                  "has no compile's commit yet: the first run is full\n"
                                  "input 0: 'docs' in /"));
    assert_non_null(strstr(r.out, "/.rill/catalogs.db: compiled at version 1, the latest\n"));
    assert_non_null(strstr(r.out, "\nfingerprint: option letters_only = \"true\"\n"));
    assert_non_null(strstr(r.out, "\nnow: nothing changed, unless the code or the "
                                  "configuration changed, which only the spec tells (rill "
                                  "catalog why postings SPEC)\n"));
    cli_result_free(&r);
    cli_write("docs/c.txt", "a fish sang\n");
    cli_write("docs/d.txt", "a new one\n");
    import_docs();
    r = cli_rill(NULL, "catalog", "why", "postings", NULL);
    ok(&r);
    assert_non_null(strstr(r.out, "/.rill/catalogs.db: compiled at version 1, now at 2 (2 "
                                  "partitions added, changed or removed since)\n"));
    assert_non_null(strstr(r.out, "\nnow: incremental: the changes of the inputs above, "));
    cli_result_free(&r);
    { /* from another folder, the file named by --db: the inputs are where they were */
        char *db = cli_shell("printf %s \"$PWD/.rill/catalogs.db\"");
        assert_int_equal(mkdir("elsewhere", 0755), 0);
        assert_int_equal(chdir("elsewhere"), 0);
        r = cli_rill(NULL, "catalog", "why", "postings", "--db", db, NULL);
        assert_int_equal(chdir(".."), 0);
        ok(&r);
        assert_non_null(strstr(r.out, "now at 2 (2 partitions added, changed or removed "
                                      "since)\n"));
        assert_non_null(strstr(r.out, "\nnow: incremental: "));
        cli_result_free(&r);
        r = cli_rill(NULL, "catalog", "why", "postings", "p.yaml", "--db", db, NULL);
        ok(&r); /* the spec's file, named another way */
        assert_non_null(strstr(r.out, "; now: incremental: from input 'docs' 1 to 2\n"));
        cli_result_free(&r);
        free(db);
    }
    r = cli_rill(NULL, "catalog", "why", "postings", "p.yaml", NULL); /* = compile --why */
    ok(&r);
    assert_non_null(strstr(r.out, "; now: incremental: from input 'docs' 1 to 2\n"));
    cli_result_free(&r);
    cli_write("bogus", "nobody\n"); /* written behind the compile's back */
    r = cli_rill(NULL, "catalog", "put", "postings", "cat", "bogus", NULL);
    ok(&r);
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "why", "postings", NULL);
    ok(&r);
    assert_non_null(strstr(r.out, "\nnow: full: output 'postings' is at version 2, not the "
                                  "version its last compile committed (it was written "
                                  "since)\n"));
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "why", "docs", NULL);
    ok(&r);
    assert_string_equal(r.out, "last: none (no compile has committed into 'docs'); now: "
                               "full: the first run is full\n");
    cli_result_free(&r);
}

static void catalog_verify_is_compile_verify_of_its_output(void **s)
{
    cli_result r;
    (void)s;
    make_docs();
    cli_write("p.yaml", postings_spec);
    import_docs();
    r = cli_rill(NULL, "compile", "p.yaml", NULL);
    ok(&r);
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "verify", "postings", "p.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "verify: 0 keys of 'postings' differ from a full compile"));
    cli_result_free(&r);
    cli_write("bogus", "nobody\n");
    r = cli_rill(NULL, "catalog", "put", "postings", "cat", "bogus", NULL);
    ok(&r);
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "verify", "postings", "p.yaml", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "differs\tcat\n");
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "verify", "docs", "p.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "p.yaml compiles into 'postings', not 'docs'"));
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "verify", "postings", "p.yaml", "--db", "other.db", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "keeps its catalogs in .rill/catalogs.db, not in --db "
                                  "other.db"));
    cli_result_free(&r);
}

static void reprocess_runs_full(void **s)
{
    cli_result r;
    (void)s;
    make_docs();
    cli_write("p.yaml", postings_spec);
    cli_write("re.yaml", "inputs:\n"
                         "  - catalog: docs\n"
                         "    job: reprocess\n"
                         "output: postings\n"
                         "compile: {kind: postings, lower: true, letters_only: true}\n");
    import_docs();
    r = cli_rill(NULL, "compile", "p.yaml", NULL);
    ok(&r);
    cli_result_free(&r);
    cli_write("docs/a.txt", "the bird sat\n");
    import_docs();
    r = cli_rill(NULL, "compile", "re.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: full: input 'docs' is to be reprocessed "
                                  "(Reprocess(2))\n"));
    assert_non_null(strstr(r.err, "(3 input partitions changed)"));
    cli_result_free(&r);
    assert_postings_are_grep();
    /* the same with -s on the incremental spec */
    r = cli_rill(NULL, "compile", "-s", "docs.job=reprocess", "p.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: full: input 'docs' is to be reprocessed"));
    cli_result_free(&r);
    /* and without: incremental again */
    r = cli_rill(NULL, "compile", "p.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: incremental: "));
    cli_result_free(&r);
}

static void an_option_changed_runs_full(void **s)
{
    cli_result r;
    (void)s;
    make_docs();
    cli_write("p.yaml", postings_spec);
    import_docs();
    r = cli_rill(NULL, "compile", "p.yaml", NULL);
    ok(&r);
    cli_result_free(&r);
    r = cli_rill(NULL, "compile", "-s", "compile.lower=false", "p.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: full: option 'lower' changed: \"true\" -> "
                                  "\"false\"\n"));
    cli_result_free(&r);
    r = cli_rill(NULL, "compile", "--why", "p.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.out, "now: full: option 'lower' changed: \"false\" -> \"true\""));
    cli_result_free(&r);
    r = cli_rill(NULL, "compile", "p.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: full: option 'lower' changed"));
    cli_result_free(&r);
    assert_postings_are_grep();
    /* the defaults left out, then written out: the same configuration */
    cli_write("d1.yaml", "inputs: docs\noutput: postings\ncompile: postings\n");
    cli_write("d2.yaml", "inputs: [{catalog: docs, job: derived}]\n"
                         "output: postings\n"
                         "compile: {kind: postings, letters_only: false, lower: false}\n");
    r = cli_rill(NULL, "compile", "d1.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: full: option "));
    cli_result_free(&r);
    r = cli_rill(NULL, "compile", "d2.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: incremental: "));
    cli_result_free(&r);
    /* another kind into the same output: full */
    cli_write("s.yaml", "inputs: docs\noutput: postings\ncompile: stats\n");
    r = cli_rill(NULL, "compile", "s.yaml", NULL);
    ok(&r);
    assert_non_null(strstr(r.err, "rill compile: full: "));
    cli_result_free(&r);
}

static void verify_names_a_changed_output(void **s)
{
    cli_result r;
    (void)s;
    make_docs();
    cli_write("p.yaml", postings_spec);
    import_docs();
    r = cli_rill(NULL, "compile", "p.yaml", NULL);
    ok(&r);
    cli_result_free(&r);
    cli_write("bogus", "nobody\n");
    r = cli_rill(NULL, "catalog", "put", "postings", "cat", "bogus", NULL);
    ok(&r);
    cli_result_free(&r);
    r = cli_rill(NULL, "compile", "--verify", "p.yaml", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "differs\tcat\n");
    assert_non_null(strstr(r.err, "verify: 1 key of 'postings' differs from a full compile\n"));
    cli_result_free(&r);
}

static void stats_and_concat_as_the_shell(void **s)
{
    cli_result r;
    char *want, *got;
    (void)s;
    make_docs();
    assert_int_equal(mkdir("docs/sub", 0755), 0);
    cli_write("docs/sub/x.txt", "in a folder\n");
    cli_write("docs/sub/y.txt", "and another\nline\n");
    import_docs();
    cli_write("s.yaml", "inputs: docs\noutput: stats\ncompile: stats\n");
    cli_write("c.yaml", "inputs: [docs]\noutput: joined\ncompile: {kind: concat}\n");
    r = cli_rill(NULL, "compile", "s.yaml", NULL);
    ok(&r);
    cli_result_free(&r);
    r = cli_rill(NULL, "compile", "c.yaml", NULL);
    ok(&r);
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "get", "stats", "sub/y.txt", NULL);
    ok(&r);
    got = cli_shell("wc -l -w -c < docs/sub/y.txt | awk '{printf \"lines=%s words=%s "
                    "bytes=%s\\n\", $1, $2, $3}'");
    assert_string_equal(r.out, got);
    free(got);
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "get", "joined", "sub", NULL);
    ok(&r);
    want = cli_shell("cat docs/sub/x.txt docs/sub/y.txt");
    assert_string_equal(r.out, want);
    free(want);
    cli_result_free(&r);
    r = cli_rill(NULL, "catalog", "get", "joined", "a.txt", NULL);
    ok(&r);
    assert_string_equal(r.out, "the cat sat\non the mat\n");
    cli_result_free(&r);
}

static void spec_errors_at_their_place(void **s)
{
    cli_result r;
    (void)s;
    cli_write("bad.yaml", "inputs:\n"
                          "  - catalog: docs\n"
                          "    job: reprocss\n"
                          "output: postings\n"
                          "compile:\n"
                          "  kind: postings\n"
                          "  lowr: true\n");
    r = cli_rill(NULL, "compile", "bad.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err,
                        "bad.yaml:3:10: input 'docs': option 'job': unknown value 'reprocss' "
                        "(did you mean 'reprocess'?); expected one of derived, changes, "
                        "no_changes, reprocess\n"
                        "bad.yaml:7:9: compile: unknown option 'lowr' for kind 'compile "
                        "postings' (did you mean 'lower'?)\n");
    cli_result_free(&r);
    /* rill check says the same */
    r = cli_rill(NULL, "check", "bad.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "bad.yaml:7:9: compile: unknown option 'lowr'"));
    cli_result_free(&r);
    cli_write("bad2.yaml", "inputs: docs\noutput: x\ncompile: postngs\nsources: [a]\n");
    r = cli_rill(NULL, "compile", "bad2.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "bad2.yaml:4:1: unknown key 'sources': a compile spec has "
                                  "db:, inputs:, output: and compile:\n"));
    assert_non_null(strstr(r.err, "bad2.yaml:3:10: compile: unknown kind 'postngs' (did you "
                                  "mean 'postings'?)"));
    cli_result_free(&r);
    cli_write("bad3.yaml", "inputs: docs\ncompile: {kind: concat, separator: \"\"}\n");
    r = cli_rill(NULL, "compile", "bad3.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "bad3.yaml:1:1: the spec has no output: (the output "
                                  "catalog's name)\n"));
    assert_non_null(strstr(r.err, "bad3.yaml:2:36: compile: option 'separator': expected at "
                                  "least one character\n"));
    cli_result_free(&r);
    /* an override in error: -s:N:COLUMN */
    cli_write("p.yaml", postings_spec);
    r = cli_rill(NULL, "compile", "-s", "docs.since=x", "p.yaml", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "-s:1:12: input 'docs': option 'since': expected an integer, "
                                  "got 'x'\n"));
    cli_result_free(&r);
    /* an input catalog that is not there: the compile fails (1) */
    r = cli_rill(NULL, "compile", "p.yaml", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "rill compile: .rill/catalogs.db: no catalogs"));
    cli_result_free(&r);
    make_docs();
    cli_write("docs2.yaml", "inputs: [docs, more]\noutput: p\ncompile: stats\n");
    import_docs();
    r = cli_rill(NULL, "compile", "docs2.yaml", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "rill compile: "));
    assert_non_null(strstr(r.err, "'more'"));
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(postings_full_then_incremental, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(why_says_last_and_now, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(catalog_why_reads_the_last_commit_alone, cli_setup,
                                        cli_teardown),
        cmocka_unit_test_setup_teardown(catalog_verify_is_compile_verify_of_its_output,
                                        cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(reprocess_runs_full, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(an_option_changed_runs_full, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(verify_names_a_changed_output, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(stats_and_concat_as_the_shell, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(spec_errors_at_their_place, cli_setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
