/* cmd_catalog.h — what the two files of `rill catalog` share
 * (cmd_catalog.c: the command line, list, ls, get, diff, log;
 * cmd_catalog_edit.c: put, rm, import, export, gc): the parsed options,
 * opening a catalog, printing keys and failures. Public API only. */
#ifndef RILL_CLI_CMD_CATALOG_H
#define RILL_CLI_CMD_CATALOG_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* The options of one `rill catalog SUB` command line. */
typedef struct cat_args {
    const char *cmd;     /* "rill catalog ls", for messages */
    const char *db;      /* --db; NULL: the library's default */
    int json, quiet;
    int64_t version;     /* -v; RILL_CATALOG_LATEST when not given */
    const char *output;  /* -o FILE; NULL: standard output */
    const char *message; /* -m; NULL: none */
    int64_t keep;        /* --keep; 0: every version */
    char **pos;          /* the arguments after the subcommand's name */
    int npos;
} cat_args;

/* Opens the catalog name of a->db (create: made when missing). On failure
 * prints why and returns CLI_EXIT_FAILED; CLI_EXIT_OK otherwise. */
int cat_open(rill_catalog **c, const cat_args *a, const char *name, int create);
/* Prints "CMD: rill_error_last()" on stderr; returns CLI_EXIT_FAILED. */
int cat_fail(const cat_args *a);
/* Writes key to f, bytes that are not printable UTF-8 escaped (\\, \t, \n,
 * \r, \xHH), so a key is always one line. */
void cat_put_key(FILE *f, const void *key, size_t len);
/* What the log says of version v of c (found 0: nothing, e.g. version 0). */
int cat_version_info(rill_catalog_version *out, int *found, rill_catalog *c, int64_t v);
/* Prints "catalog 'NAME': version V (A added, R removed, C changed)" on
 * stderr unless -q. Returns CLI_EXIT_OK or CLI_EXIT_FAILED. */
int cat_said_version(const cat_args *a, rill_catalog *c, int64_t v);

int cat_put(const cat_args *a);
int cat_rm(const cat_args *a);
int cat_import(const cat_args *a);
int cat_export(const cat_args *a);
int cat_gc(const cat_args *a);
int cat_why(const cat_args *a);    /* cmd_catalog_why.c */
int cat_verify(const cat_args *a);

#endif
