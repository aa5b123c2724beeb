/* jsonw: compact JSON written straight into a strbuf, for the event
 * formats (--format json and chrome), which write one small object per
 * event: building a json-c tree for each and serialising it cost more than
 * the rest of the event's printing. Parsing stays with json-c.
 *
 * Separators are inferred from what the buffer ends with (after "{", "["
 * or ":" nothing, else a comma), so a writer keeps no nesting state: start
 * each document in an empty buffer (or after a newline). Strings are
 * escaped as json-c escapes them ('"', '\\', \b \f \n \r \t, other control
 * bytes as \u00xx; '/' and bytes above 0x7f as they are), so the output
 * is the same as json_object_to_json_string_ext(PLAIN | NOSLASHESCAPE). */
#ifndef TINYDBG_RPC_JSONW_H
#define TINYDBG_RPC_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "base/strbuf.h"

void jw_obj(struct strbuf *sb);        /* { */
void jw_obj_end(struct strbuf *sb);    /* } */
void jw_arr(struct strbuf *sb);        /* [ */
void jw_arr_end(struct strbuf *sb);    /* ] */
/* "k": (then the value) */
void jw_key(struct strbuf *sb, const char *k);
void jw_str(struct strbuf *sb, const char *s);
void jw_int(struct strbuf *sb, int64_t v);
void jw_bool(struct strbuf *sb, bool v);
/* A number already written as JSON text ("12.345"). */
void jw_num_text(struct strbuf *sb, const char *text);

/* "k":"s" and "k":v, the common pairs. */
void jw_kstr(struct strbuf *sb, const char *k, const char *s);
void jw_kint(struct strbuf *sb, const char *k, int64_t v);

#endif
