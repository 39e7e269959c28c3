/* test_cli_output.c — TSV written by `rill run` is text whatever the
 * records' bytes (docs/spec.md, "Output"): a value or key holding tabs,
 * newlines, other control bytes or bytes that are not UTF-8 comes out
 * escaped (\\ \t \n \r, \xHH), the same on standard output and in a folder
 * (-o DIR), and reads back to the original bytes. */
#include <dirent.h>

#include "cli_helpers.h"

/* Decodes one TSV field of rill's rule into out (cap bytes); its length. */
static size_t unescape(const char *s, size_t n, unsigned char *out, size_t cap)
{
    size_t i, len = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        assert_true(len < cap);
        assert_true(c >= 0x20 && c != 0x7f); /* nothing raw but text */
        if (c != '\\') {
            out[len++] = c;
            continue;
        }
        assert_true(++i < n);
        switch (s[i]) {
        case '\\': out[len++] = '\\'; break;
        case 't': out[len++] = '\t'; break;
        case 'n': out[len++] = '\n'; break;
        case 'r': out[len++] = '\r'; break;
        case 'x': {
            unsigned v;
            char hex[3] = {0, 0, 0};
            assert_true(i + 2 < n);
            memcpy(hex, s + i + 1, 2);
            assert_int_equal(sscanf(hex, "%2x", &v), 1);
            out[len++] = (unsigned char)v;
            i += 2;
            break;
        }
        default:
            fail_msg("unknown escape \\%c", s[i]);
        }
    }
    return len;
}

/* The one file under dir (a folder of one output file). */
static char *only_file(const char *dir)
{
    char path[1024];
    DIR *d = opendir(dir);
    struct dirent *e;
    char *text = NULL;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') {
            assert_null(text);
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            text = cli_slurp(path);
        }
    closedir(d);
    assert_non_null(text);
    return text;
}

static void tsv_escapes_binary_keys_and_values_the_same_everywhere(void **state)
{
    /* key: a control byte and a byte that is not UTF-8; value: a tab, a
     * backslash, a carriage return, DEL, UTF-8 (kept), a lone continuation
     * byte and a cut-short sequence */
    static const char line[] = "\x02\xfe v\tal\\ue\r\x7f\xc3\xa9\x80\xe2\x82\n";
    static const char want[] = "\\x02\\xfe\tv\\tal\\\\ue\\r\\x7f\xc3\xa9\\x80\\xe2\\x82\n";
    static const unsigned char value[] = "v\tal\\ue\r\x7f\xc3\xa9\x80\xe2\x82";
    char path[512], out_dir[512];
    unsigned char back[64];
    const char *tab;
    char *file;
    cli_result r;
    FILE *f;
    (void)state;
    assert_non_null(f = fopen(cli_path(path, "in.txt"), "wb"));
    assert_int_equal(fwrite(line, 1, sizeof(line) - 1, f), sizeof(line) - 1);
    assert_int_equal(fclose(f), 0);
    cli_write("spec.yaml", "sources:\n"
                           "  - {name: in, kind: lines, files: [in.txt]}\n"
                           "stages:\n"
                           "  - {name: kv, kind: fields, delimiter: space, key: 1, select: [2]}\n"
                           "output: {format: tsv}\n");
    r = cli_rill(NULL, "run", "-q", "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, want);
    tab = strchr(r.out, '\t');
    assert_non_null(tab);
    assert_int_equal(unescape(tab + 1, strlen(tab + 1) - 1, back, sizeof(back)),
                     sizeof(value) - 1);
    assert_memory_equal(back, value, sizeof(value) - 1);
    cli_result_free(&r);

    r = cli_rill(NULL, "run", "-q", "-o", cli_path(out_dir, "out"), "spec.yaml", NULL);
    assert_int_equal(r.status, 0);
    file = only_file(out_dir);
    assert_string_equal(file, want); /* the folder's writer: the same rule */
    free(file);
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tsv_escapes_binary_keys_and_values_the_same_everywhere,
                                        cli_setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
