/* spec_yaml.c — YAML to a tree of spec_node, each knowing its line and
 * column, with libyaml's event parser.
 *
 * The tree is built with an explicit stack, never by recursion, and
 * bounded: at most SPEC_MAX_DEPTH levels and SPEC_MAX_NODES nodes.
 * Aliases are refused (a spec is short; an alias could multiply its size),
 * so are keys that are not plain values, duplicate keys and a second
 * document. Every refusal is one error at its position. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "spec.h"
#include "xalloc.h"

void spec_node_free(spec_node *n)
{
    size_t i;
    if (n == NULL)
        return;
    for (i = 0; i < n->n; i++) {
        if (n->keys)
            spec_node_free(n->keys[i]);
        spec_node_free(n->vals[i]);
    }
    free(n->keys);
    free(n->vals);
    free(n->text);
    free(n);
}

const spec_node *spec_map_get(const spec_node *map, const char *key)
{
    size_t i;
    if (map == NULL || map->type != SPEC_MAP)
        return NULL;
    for (i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return map->vals[i];
    return NULL;
}

typedef struct frame {
    spec_node *node;
    spec_node *key; /* a mapping's key waiting for its value */
    size_t cap;
} frame;

static spec_node *node_new(spec_type type, const yaml_mark_t *m)
{
    spec_node *n = cli_xcalloc(1, sizeof(*n));
    n->type = type;
    n->line = (int)m->line + 1;
    n->column = (int)m->column + 1;
    return n;
}

/* Adds child to the node open at the top of the stack; -1 after an error. */
static int add_child(const char *file, frame *f, spec_node *child)
{
    spec_node *p = f->node;
    if (p->type == SPEC_MAP && f->key == NULL) {
        size_t i;
        if (child->type != SPEC_SCALAR) {
            cli_error_at(file, child->line, child->column,
                         "a key must be a plain value, not a %s",
                         child->type == SPEC_MAP ? "mapping" : "list");
            spec_node_free(child);
            return -1;
        }
        for (i = 0; i < p->n; i++)
            if (strcmp(p->keys[i]->text, child->text) == 0) {
                cli_error_at(file, child->line, child->column,
                             "duplicate key '%s' (first given at line %d, column %d)",
                             child->text, p->keys[i]->line, p->keys[i]->column);
                spec_node_free(child);
                return -1;
            }
        f->key = child;
        return 0;
    }
    if (p->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 4;
        p->vals = cli_xrealloc(p->vals, f->cap * sizeof(*p->vals));
        if (p->type == SPEC_MAP)
            p->keys = cli_xrealloc(p->keys, f->cap * sizeof(*p->keys));
    }
    if (p->type == SPEC_MAP) {
        p->keys[p->n] = f->key;
        f->key = NULL;
    }
    p->vals[p->n++] = child;
    return 0;
}

spec_node *spec_sniff_tree(const char *file)
{
    spec_node *root = NULL;
    char *text;
    size_t len;
    int rc;
    if (spec_read_file(&text, &len, file) < 0) {
        cli_error_reset();
        return NULL;
    }
    rc = spec_parse_tree(&root, file, text, len);
    free(text);
    cli_error_reset();
    return rc < 0 ? NULL : root;
}

int spec_parse_tree(spec_node **out, const char *file, const char *bytes, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    frame stack[SPEC_MAX_DEPTH + 1];
    spec_node *root = NULL;
    size_t depth = 0, nodes = 0, i;
    int docs = 0, rc = -1, done = 0;

    *out = NULL;
    if (!yaml_parser_initialize(&parser))
        return cli_error_at(file, 0, 0, "out of memory starting the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)bytes, len);
    while (!done) {
        spec_node *n = NULL;
        if (!yaml_parser_parse(&parser, &ev)) {
            const yaml_mark_t *m = parser.problem_mark.line || parser.problem_mark.column ?
                &parser.problem_mark : &parser.context_mark;
            cli_error_at(file, (int)m->line + 1, (int)m->column + 1, "malformed YAML: %s%s%s",
                         parser.problem ? parser.problem : "cannot parse",
                         parser.context ? " " : "", parser.context ? parser.context : "");
            goto out;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                cli_error_at(file, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                             "a spec is one YAML document; a second one starts here");
                yaml_event_delete(&ev);
                goto out;
            }
            break;
        case YAML_ALIAS_EVENT:
            cli_error_at(file, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                         "aliases (*%s) are not supported in a spec", ev.data.alias.anchor);
            yaml_event_delete(&ev);
            goto out;
        case YAML_SCALAR_EVENT:
            n = node_new(SPEC_SCALAR, &ev.start_mark);
            n->text = cli_xmalloc(ev.data.scalar.length + 1);
            memcpy(n->text, ev.data.scalar.value, ev.data.scalar.length);
            n->text[ev.data.scalar.length] = '\0';
            if (strlen(n->text) != ev.data.scalar.length) {
                cli_error_at(file, n->line, n->column, "a value holds a NUL character");
                spec_node_free(n);
                yaml_event_delete(&ev);
                goto out;
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            n = node_new(ev.type == YAML_SEQUENCE_START_EVENT ? SPEC_SEQ : SPEC_MAP,
                         &ev.start_mark);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            spec_node *closed = stack[--depth].node;
            if (depth == 0)
                root = closed;
            else if (add_child(file, &stack[depth - 1], closed) < 0) {
                yaml_event_delete(&ev);
                goto out;
            }
            break;
        }
        default:
            break;
        }
        if (n != NULL) {
            if (++nodes > SPEC_MAX_NODES) {
                cli_error_at(file, n->line, n->column, "the spec has more than %d values",
                             SPEC_MAX_NODES);
                spec_node_free(n);
                yaml_event_delete(&ev);
                goto out;
            }
            if (n->type == SPEC_SCALAR) {
                if (depth == 0)
                    root = n;
                else if (add_child(file, &stack[depth - 1], n) < 0) {
                    yaml_event_delete(&ev);
                    goto out;
                }
            } else {
                if (depth == SPEC_MAX_DEPTH) {
                    cli_error_at(file, n->line, n->column, "nested more than %d levels deep",
                                 SPEC_MAX_DEPTH);
                    spec_node_free(n);
                    yaml_event_delete(&ev);
                    goto out;
                }
                stack[depth].node = n;
                stack[depth].key = NULL;
                stack[depth].cap = 0;
                depth++;
            }
        }
        yaml_event_delete(&ev);
    }
    if (root == NULL) {
        cli_error_at(file, 0, 0, "the spec is empty: it needs sources: and stages:");
        goto out;
    }
    *out = root;
    root = NULL;
    rc = 0;
out:
    for (i = 0; i < depth; i++) {
        spec_node_free(stack[i].key);
        spec_node_free(stack[i].node);
    }
    spec_node_free(root);
    yaml_parser_delete(&parser);
    return rc;
}
