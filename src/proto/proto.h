/* proto: function prototypes for code without debug info, as ltrace knows
 * them — so `malloc(16) => (0x5555...)`, `strlen("hi") => (2)` and
 * `open("/etc/passwd", O_RDONLY|O_CLOEXEC) => (3)` print typed values where
 * the library has no DWARF.
 *
 * A prototype set is parsed from text in ltrace's prototype language
 * (`long strlen(string);`, `typedef fd = int;`, `enum(A=1, B)`, `hex(uint)`,
 * `octal`, `addr`, `file`, `format`, `string[N]`, `+` out-parameters,
 * comments after `;`), with three additions for the built-in table:
 * parameter names (`ulong strlen(string s);`), `...` for the variadic rest,
 * and `flags(NAME=VALUE[/MASK], ...)`, a bit set printed as `A|B|0x40`
 * (a MASK makes NAME one value of a field: O_RDONLY=0/3). A statement the
 * language allows but we do not model (struct, array, lens) skips its
 * function, counted, never an error.
 *
 * The default set (proto_default) is the built-in table of the C library's
 * common functions, then ltrace's files: /usr/share/ltrace/NAME.conf and
 * /etc/ltrace.conf below the built-in table (ltrace's own defaults, which
 * ours refine), ~/.ltrace.conf above it (what the user wrote wins). DWARF
 * always wins over any prototype (sym decides). */
#ifndef TINYDBG_PROTO_PROTO_H
#define TINYDBG_PROTO_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "sym/ctype.h"

struct proto {
	const char *name;
	const struct ctype *ret;       /* NULL: void */
	const struct ctype **params;   /* nparams types */
	const char **names;            /* nparams names ("arg1" when none) */
	size_t nparams;
	bool variadic;                 /* more arguments follow, untyped */
};

struct proto_set;

struct proto_set *proto_set_new(void);
/* Adds the prototypes text declares; a later one replaces an earlier of the
 * same name unless keep_old. Returns how many statements were skipped (not
 * understood). */
size_t proto_set_parse(struct proto_set *s, const char *text, bool keep_old);
/* Reads a file in ltrace's language into s (keep_old as above). Returns
 * -errno when it cannot be read, else the number of statements skipped. */
long proto_set_load_file(struct proto_set *s, const char *path, bool keep_old);
/* The prototype of the function named name ("malloc"; a symbol version,
 * "@GLIBC_2.2.5", is ignored), or NULL. */
const struct proto *proto_set_find(const struct proto_set *s,
				   const char *name);
size_t proto_set_count(const struct proto_set *s);
void proto_set_free(struct proto_set *s);

/* The process's set: built once, on first use (thread-safe), from the
 * built-in table and ltrace's files ($HOME/.ltrace.conf, /etc/ltrace.conf,
 * /usr/share/ltrace/NAME.conf). Lives until proto_default_free. */
const struct proto_set *proto_default(void);
void proto_default_free(void);

/* The built-in table's text (libc.c): the typedefs (flags and enums:
 * oflags, prot, mapflags, signum...), then the functions, which use them. */
extern const char proto_libc_types[];
extern const char proto_libc_text[];

#endif
