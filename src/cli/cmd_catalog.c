/* cmd_catalog.c — `rill catalog SUB`: the command line (a table of
 * subcommands, each with its arguments and the options it takes: any other
 * is a usage error, exit 2), the help, what the subcommands share (opening,
 * failures, printing keys), and the ones that only read: list, ls, get,
 * diff and log. The ones that write are in cmd_catalog_edit.c.
 *
 * Data goes to standard output (text, or JSON lines with --json); what was
 * done, and errors, to standard error. Keys are printed one a line, with
 * what is not printable UTF-8 escaped (cat_put_key). Uses the public API
 * only (rill/catalog.h). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_catalog.h"
#include "commands.h"

enum { O_DB = 1, O_JSON = 2, O_QUIET = 4, O_VERSION = 8, O_OUTPUT = 16, O_MESSAGE = 32,
       O_KEEP = 64 };

static int cat_list(const cat_args *a);
static int cat_ls(const cat_args *a);
static int cat_get(const cat_args *a);
static int cat_diff(const cat_args *a);
static int cat_log(const cat_args *a);

typedef struct subcommand {
    const char *name;
    int min, max;   /* arguments after the name; max -1: any number */
    int opts;       /* O_* it takes besides --db, -q, --help */
    const char *usage;
    int (*run)(const cat_args *a);
} subcommand;

static const subcommand subs[] = {
    {"list", 0, 0, O_JSON, "list [--json]", cat_list},
    {"ls", 1, 1, O_JSON | O_VERSION, "ls NAME [-v VERSION] [--json]", cat_ls},
    {"get", 2, 2, O_VERSION | O_OUTPUT, "get NAME KEY [-v VERSION] [-o FILE]", cat_get},
    {"put", 3, 3, O_MESSAGE, "put NAME KEY FILE|- [-m MESSAGE]", cat_put},
    {"rm", 2, -1, O_MESSAGE, "rm NAME KEY... [-m MESSAGE]", cat_rm},
    {"import", 2, 2, O_MESSAGE, "import NAME DIR [-m MESSAGE]", cat_import},
    {"export", 2, 2, O_VERSION, "export NAME DIR [-v VERSION]", cat_export},
    {"diff", 3, 3, O_JSON, "diff NAME N M [--json]", cat_diff},
    {"log", 1, 1, O_JSON, "log NAME [--json]", cat_log},
    {"gc", 0, 1, O_KEEP, "gc [NAME] [--keep K]", cat_gc},
    {"why", 1, 2, 0, "why OUTPUT [SPEC]", cat_why},
    {"verify", 2, 2, 0, "verify OUTPUT SPEC", cat_verify},
};
#define NSUBS ((int)(sizeof(subs) / sizeof(subs[0])))

const char cmd_catalog_help[] =
    "usage: rill catalog SUBCOMMAND [--db PATH] [-q] ...\n"
    "\n"
    "Reads and writes catalogs: named, versioned sets of partitions (key -> data)\n"
    "in an SQLite file, .rill/catalogs.db by default (README, Catalogs).\n"
    "\n"
    "  list [--json]                     the catalogs of the file: name, latest\n"
    "                                    version, partitions, bytes\n"
    "  ls NAME [-v VERSION] [--json]     the keys of a version: size, hash, key\n"
    "  get NAME KEY [-v VERSION] [-o FILE]  a partition's data to standard output\n"
    "                                    (or FILE)\n"
    "  put NAME KEY FILE|- [-m MESSAGE]  a new version with KEY set to the bytes of\n"
    "                                    FILE (-: standard input)\n"
    "  rm NAME KEY... [-m MESSAGE]       a new version without the KEYs\n"
    "  import NAME DIR [-m MESSAGE]      a new version holding the files under DIR\n"
    "                                    (keys: their paths relative to DIR)\n"
    "  export NAME DIR [-v VERSION]      a version's partitions as files in DIR\n"
    "  diff NAME N M [--json]            keys added (+), removed (-) and changed (~)\n"
    "                                    from version N to M, then a summary\n"
    "  log NAME [--json]                 the versions, newest first: time (UTC),\n"
    "                                    partitions, bytes, changes, message\n"
    "  gc [NAME] [--keep K]              keep only the last K versions (of NAME, or\n"
    "                                    of every catalog) and remove the payloads no\n"
    "                                    kept version refers to\n"
    "  why OUTPUT [SPEC]                 the last compile's decision for OUTPUT, the\n"
    "                                    inputs it read and how far they moved since,\n"
    "                                    its fingerprints, and what a run would do\n"
    "                                    now (with SPEC: rill compile --why SPEC)\n"
    "  verify OUTPUT SPEC                compile SPEC in full into a scratch catalog\n"
    "                                    and name every key of OUTPUT that differs\n"
    "                                    (rill compile --verify SPEC; exit 1 if any)\n"
    "\n"
    "      --db PATH          the catalogs' file (default .rill/catalogs.db)\n"
    "  -v, --version VERSION  a version number, or 'latest' (the default)\n"
    "  -o, --output FILE      get: write the data to FILE\n"
    "  -m, --message TEXT     the new version's message in the log\n"
    "      --keep K           gc: the versions to keep (0: all, the default)\n"
    "      --json             list, ls, diff, log: JSON lines\n"
    "  -q, --quiet            no headers, summaries or 'made version' lines\n"
    "\n"
    "Keys are printed with what is not printable escaped (\\\\ \\t \\n \\r \\xHH). A\n"
    "missing catalog, key or version exits 1; a usage error exits 2.\n";

int cat_fail(const cat_args *a)
{
    fprintf(stderr, "%s: %s\n", a->cmd, rill_error_last());
    return CLI_EXIT_FAILED;
}

int cat_open(rill_catalog **c, const cat_args *a, const char *name, int create)
{
    rill_catalog_options o = RILL_CATALOG_OPTIONS_INIT;
    o.path = a->db;
    o.create = create;
    o.wait_ms = 5000;
    /* the library's message names the file and the catalog */
    return rill_catalog_open(c, name, &o) == 0 ? CLI_EXIT_OK : cat_fail(a);
}

/* The length of the printable UTF-8 character at s (at most n bytes), or 0
 * when the byte there must be escaped. */
static size_t printable(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t len, i;
    if (s[0] < 0x80)
        return s[0] >= 0x20 && s[0] < 0x7f && s[0] != '\\';
    len = s[0] >= 0xc2 && s[0] <= 0xdf   ? 2
          : s[0] >= 0xe0 && s[0] <= 0xef ? 3
          : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                         : 0;
    if (len == 0 || len > n)
        return 0;
    cp = s[0] & (0x7f >> len);
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp < 0xe000) || cp < 0xa0)
        return 0;
    return len;
}

void cat_put_key(FILE *f, const void *key, size_t len)
{
    const unsigned char *s = key;
    size_t i = 0, n;
    while (i < len) {
        if ((n = printable(s + i, len - i)) > 0) {
            fwrite(s + i, 1, n, f);
            i += n;
            continue;
        }
        switch (s[i]) {
        case '\\': fputs("\\\\", f); break;
        case '\t': fputs("\\t", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        default: fprintf(f, "\\x%02x", s[i]);
        }
        i++;
    }
}

typedef struct find_version {
    int64_t v;
    rill_catalog_version *out;
    int found;
} find_version;

static int on_version(const rill_catalog_version *v, void *payload)
{
    find_version *f = payload;
    if (v->version != f->v)
        return v->version < f->v; /* newest first: past it, stop */
    *f->out = *v;
    f->out->message = NULL; /* borrowed during the callback only */
    f->found = 1;
    return 1;
}

int cat_version_info(rill_catalog_version *out, int *found, rill_catalog *c, int64_t v)
{
    find_version f = {v, out, 0};
    int rc;
    memset(out, 0, sizeof(*out));
    rc = rill_catalog_log(c, on_version, &f);
    *found = f.found;
    return rc == RILL_EUSER ? 0 : rc;
}

int cat_said_version(const cat_args *a, rill_catalog *c, int64_t v)
{
    rill_catalog_version info;
    int found;
    if (a->quiet)
        return CLI_EXIT_OK;
    if (cat_version_info(&info, &found, c, v) < 0)
        return cat_fail(a);
    fprintf(stderr, "catalog '%s': version %lld (%llu added, %llu removed, %llu changed)\n",
            rill_catalog_name(c), (long long)v, (unsigned long long)info.added,
            (unsigned long long)info.removed, (unsigned long long)info.changed);
    return CLI_EXIT_OK;
}

/* Prints o as one compact line and frees it. */
static void json_line(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    json_decref(o);
}

/* Sets "key" to key as a string, or "key_hex" when it is not UTF-8. */
static void json_key(json_t *o, const void *key, size_t len)
{
    json_t *k = json_stringn(key, len);
    if (k) {
        json_object_set_new(o, "key", k);
    } else {
        char *hex = malloc(2 * len + 1);
        size_t i;
        if (hex == NULL)
            return;
        for (i = 0; i < len; i++)
            sprintf(hex + 2 * i, "%02x", ((const unsigned char *)key)[i]);
        json_object_set_new(o, "key_hex", json_string(hex));
        free(hex);
    }
}

/* Standard output written and closed well: else a message and exit 1. */
static int flushed(const cat_args *a, int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: cannot write to standard output\n", a->cmd);
        return CLI_EXIT_FAILED;
    }
    return code;
}

/* ---- list ---- */

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static int on_name(const char *name, void *payload)
{
    names *ns = payload;
    if (ns->n == ns->cap) {
        char **v = realloc(ns->v, (ns->cap = ns->cap ? 2 * ns->cap : 16) * sizeof(*v));
        if (v == NULL)
            return 1;
        ns->v = v;
    }
    if ((ns->v[ns->n] = strdup(name)) == NULL)
        return 1;
    ns->n++;
    return 0;
}

static int cat_list(const cat_args *a)
{
    names ns = {NULL, 0, 0};
    size_t i;
    int rc = CLI_EXIT_OK;
    if (rill_catalog_names(a->db, on_name, &ns) < 0) {
        rc = cat_fail(a);
        goto done;
    }
    if (!a->json && !a->quiet)
        printf("%-24s %8s %12s %14s\n", "CATALOG", "VERSION", "PARTITIONS", "BYTES");
    for (i = 0; i < ns.n && rc == CLI_EXIT_OK; i++) {
        rill_catalog *c = NULL;
        rill_catalog_version info;
        int64_t latest = 0;
        int found;
        if ((rc = cat_open(&c, a, ns.v[i], 0)) != CLI_EXIT_OK)
            break;
        if (rill_catalog_latest(&latest, c) < 0 ||
            cat_version_info(&info, &found, c, latest) < 0) {
            rc = cat_fail(a);
        } else if (a->json) {
            json_line(json_pack("{s:s, s:I, s:I, s:I}", "catalog", ns.v[i], "version",
                                (json_int_t)latest, "partitions", (json_int_t)info.partitions,
                                "bytes", (json_int_t)info.bytes));
        } else {
            printf("%-24s %8lld %12llu %14llu\n", ns.v[i], (long long)latest,
                   (unsigned long long)info.partitions, (unsigned long long)info.bytes);
        }
        rill_catalog_free(c);
    }
done:
    for (i = 0; i < ns.n; i++)
        free(ns.v[i]);
    free(ns.v);
    return flushed(a, rc);
}

/* ---- ls ---- */

static int on_entry(const rill_catalog_entry *e, void *payload)
{
    const cat_args *a = payload;
    char hex[33];
    rill_catalog_hash_hex(hex, e->hash);
    if (a->json) {
        json_t *o = json_object();
        json_key(o, e->key, e->key_len);
        json_object_set_new(o, "size", json_integer((json_int_t)e->size));
        json_object_set_new(o, "hash", json_string(hex));
        json_object_set_new(o, "since", json_integer((json_int_t)e->since));
        json_line(o);
    } else {
        printf("%12llu  %s  ", (unsigned long long)e->size, hex);
        cat_put_key(stdout, e->key, e->key_len);
        putchar('\n');
    }
    return ferror(stdout) ? 1 : 0;
}

static int cat_ls(const cat_args *a)
{
    rill_catalog *c = NULL;
    int rc;
    if ((rc = cat_open(&c, a, a->pos[0], 0)) != CLI_EXIT_OK)
        return rc;
    if (rill_catalog_list(c, a->version, on_entry, (void *)a) < 0)
        rc = ferror(stdout) ? CLI_EXIT_FAILED : cat_fail(a);
    rill_catalog_free(c);
    return flushed(a, rc);
}

/* ---- get ---- */

static int cat_get(const cat_args *a)
{
    rill_catalog *c = NULL;
    void *data = NULL;
    size_t len = 0;
    FILE *f = stdout;
    int rc;
    if ((rc = cat_open(&c, a, a->pos[0], 0)) != CLI_EXIT_OK)
        return rc;
    if (rill_catalog_get(&data, &len, c, a->version, a->pos[1], strlen(a->pos[1])) < 0) {
        rc = cat_fail(a);
        goto done;
    }
    if (a->output && (f = fopen(a->output, "wb")) == NULL) {
        fprintf(stderr, "%s: -o %s: %s\n", a->cmd, a->output, strerror(errno));
        rc = CLI_EXIT_FAILED;
        goto done;
    }
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || (f != stdout && fclose(f) != 0)) {
        fprintf(stderr, "%s: cannot write %s: %s\n", a->cmd,
                a->output ? a->output : "to standard output", strerror(errno));
        rc = CLI_EXIT_FAILED;
    }
done:
    free(data);
    rill_catalog_free(c);
    return rc;
}

/* ---- diff ---- */

typedef struct diff_sum {
    const cat_args *a;
    uint64_t n[4]; /* by rill_catalog_change */
} diff_sum;

static json_t *json_side(const rill_catalog_entry *e)
{
    char hex[33];
    if (e == NULL)
        return json_null();
    rill_catalog_hash_hex(hex, e->hash);
    return json_pack("{s:s, s:I}", "hash", hex, "size", (json_int_t)e->size);
}

static int on_change(rill_catalog_change change, const rill_catalog_entry *from,
                     const rill_catalog_entry *to, void *payload)
{
    static const char *const names[] = {"", "added", "removed", "changed"};
    diff_sum *d = payload;
    const rill_catalog_entry *e = to ? to : from;
    d->n[change & 3]++;
    if (d->a->json) {
        json_t *o = json_pack("{s:s}", "change", names[change & 3]);
        json_key(o, e->key, e->key_len);
        json_object_set_new(o, "from", json_side(from));
        json_object_set_new(o, "to", json_side(to));
        json_line(o);
    } else {
        fputs(change == RILL_CATALOG_ADDED ? "+ " : change == RILL_CATALOG_REMOVED ? "- " : "~ ",
              stdout);
        cat_put_key(stdout, e->key, e->key_len);
        putchar('\n');
    }
    return ferror(stdout) ? 1 : 0;
}

/* A version argument: digits or "latest"; else a usage error. */
static int parse_version(const char *cmd, const char *s, int64_t *out)
{
    char *end;
    long long v;
    if (strcmp(s, "latest") == 0) {
        *out = RILL_CATALOG_LATEST;
        return 0;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno) {
        fprintf(stderr, "%s: expected a version (0, 1, 2... or 'latest'), got '%s'\n", cmd, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int cat_diff(const cat_args *a)
{
    rill_catalog *c = NULL;
    diff_sum d = {a, {0, 0, 0, 0}};
    int64_t from, to;
    int rc;
    if (parse_version(a->cmd, a->pos[1], &from) < 0 || parse_version(a->cmd, a->pos[2], &to) < 0)
        return CLI_EXIT_USAGE;
    if ((rc = cat_open(&c, a, a->pos[0], 0)) != CLI_EXIT_OK)
        return rc;
    if (from == RILL_CATALOG_LATEST || to == RILL_CATALOG_LATEST) {
        int64_t latest = 0;
        if (rill_catalog_latest(&latest, c) < 0)
            rc = cat_fail(a);
        from = from == RILL_CATALOG_LATEST ? latest : from;
        to = to == RILL_CATALOG_LATEST ? latest : to;
    }
    if (rc == CLI_EXIT_OK && rill_catalog_diff(c, from, to, on_change, &d) < 0)
        rc = ferror(stdout) ? CLI_EXIT_FAILED : cat_fail(a);
    if (rc == CLI_EXIT_OK && !a->quiet) {
        if (a->json)
            json_line(json_pack("{s:I, s:I, s:I, s:I, s:I}", "from", (json_int_t)from, "to",
                                (json_int_t)to, "added", (json_int_t)d.n[1], "removed",
                                (json_int_t)d.n[2], "changed", (json_int_t)d.n[3]));
        else
            printf("%llu added, %llu removed, %llu changed (version %lld to %lld)\n",
                   (unsigned long long)d.n[1], (unsigned long long)d.n[2],
                   (unsigned long long)d.n[3], (long long)from, (long long)to);
    }
    rill_catalog_free(c);
    return flushed(a, rc);
}

/* ---- log ---- */

static int on_log(const rill_catalog_version *v, void *payload)
{
    const cat_args *a = payload;
    char when[32];
    time_t t = (time_t)(v->time_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (a->json) {
        json_line(json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s}", "version",
                            (json_int_t)v->version, "time", when, "time_ms",
                            (json_int_t)v->time_ms, "partitions", (json_int_t)v->partitions,
                            "bytes", (json_int_t)v->bytes, "added", (json_int_t)v->added,
                            "removed", (json_int_t)v->removed, "changed",
                            (json_int_t)v->changed, "pruned", v->pruned, "message",
                            v->message ? v->message : ""));
    } else {
        char changes[80];
        snprintf(changes, sizeof(changes), "+%llu -%llu ~%llu", (unsigned long long)v->added,
                 (unsigned long long)v->removed, (unsigned long long)v->changed);
        printf("%7lld  %s  %10llu  %12llu  %-20s  %s", (long long)v->version, when,
               (unsigned long long)v->partitions, (unsigned long long)v->bytes, changes,
               v->pruned ? "(pruned) " : "");
        if (v->message)
            cat_put_key(stdout, v->message, strlen(v->message));
        putchar('\n');
    }
    return ferror(stdout) ? 1 : 0;
}

static int cat_log(const cat_args *a)
{
    rill_catalog *c = NULL;
    int rc;
    if ((rc = cat_open(&c, a, a->pos[0], 0)) != CLI_EXIT_OK)
        return rc;
    if (!a->json && !a->quiet)
        printf("%7s  %-20s  %10s  %12s  %-20s  %s\n", "VERSION", "TIME (UTC)", "PARTITIONS",
               "BYTES", "CHANGES", "MESSAGE");
    if (rill_catalog_log(c, on_log, (void *)a) < 0)
        rc = ferror(stdout) ? CLI_EXIT_FAILED : cat_fail(a);
    rill_catalog_free(c);
    return flushed(a, rc);
}

/* ---- the command line ---- */

static int usage_error(const subcommand *s)
{
    fprintf(stderr, "usage: rill catalog %s\n       (rill help catalog: every subcommand)\n",
            s ? s->usage : "SUBCOMMAND [OPTION]... (list, ls, get, put, rm, import, export, "
                           "diff, log, gc, why, verify)");
    return CLI_EXIT_USAGE;
}

int cmd_catalog(int argc, char **argv)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'D'},    {"json", no_argument, NULL, 'J'},
        {"quiet", no_argument, NULL, 'q'},       {"version", required_argument, NULL, 'v'},
        {"output", required_argument, NULL, 'o'}, {"message", required_argument, NULL, 'm'},
        {"keep", required_argument, NULL, 'K'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static const char *const words[] = {"list", "ls", "get", "put", "rm", "import", "export",
                                        "diff", "log", "gc", "why", "verify", NULL};
    const subcommand *s = NULL;
    cat_args a;
    char cmd[64];
    int i, c;
    if (argc < 2)
        return usage_error(NULL);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(cmd_catalog_help, stdout);
        return CLI_EXIT_OK;
    }
    for (i = 0; i < NSUBS && s == NULL; i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            s = &subs[i];
    if (s == NULL) {
        const char *near = cli_did_you_mean(argv[1], words);
        fprintf(stderr, "rill catalog: no subcommand '%s'%s%s%s\n", argv[1],
                near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        return usage_error(NULL);
    }
    memset(&a, 0, sizeof(a));
    snprintf(cmd, sizeof(cmd), "rill catalog %s", s->name);
    a.cmd = cmd;
    a.version = RILL_CATALOG_LATEST;
    argv[1] = cmd; /* getopt's messages name the subcommand */
    argc--, argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qv:o:m:h", longs, NULL)) != -1) {
        int flag = c == 'J' ? O_JSON : c == 'v' ? O_VERSION : c == 'o' ? O_OUTPUT
                   : c == 'm' ? O_MESSAGE : c == 'K' ? O_KEEP : 0;
        if (flag && !(s->opts & flag)) {
            fprintf(stderr, "%s: option %s does not apply here\n", cmd,
                    c == 'J' ? "--json" : c == 'v' ? "-v (--version)" : c == 'o' ? "-o (--output)"
                    : c == 'm' ? "-m (--message)" : "--keep");
            return usage_error(s);
        }
        switch (c) {
        case 'D': a.db = optarg; break;
        case 'J': a.json = 1; break;
        case 'q': a.quiet = 1; break;
        case 'o': a.output = optarg; break;
        case 'm': a.message = optarg; break;
        case 'v':
            if (parse_version(cmd, optarg, &a.version) < 0)
                return usage_error(s);
            break;
        case 'K': {
            char *end;
            errno = 0;
            a.keep = strtoll(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || *end || errno) {
                fprintf(stderr, "%s: --keep: expected a whole number of versions (0: all), "
                        "got '%s'\n", cmd, optarg);
                return usage_error(s);
            }
            break;
        }
        case 'h': fputs(cmd_catalog_help, stdout); return CLI_EXIT_OK;
        default: return usage_error(s);
        }
    }
    a.pos = argv + optind;
    a.npos = argc - optind;
    if (a.npos < s->min || (s->max >= 0 && a.npos > s->max)) {
        fprintf(stderr, "%s: %s arguments\n", cmd, a.npos < s->min ? "missing" : "too many");
        return usage_error(s);
    }
    return s->run(&a);
}
