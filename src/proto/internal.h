/* proto/internal.h: what the files of src/proto share.
 *
 * set.c    the set: its prototypes, typedefs and the memory it owns; the
 *          default set and the files it reads
 * parse.c  ltrace's prototype language to prototypes and ctypes
 * libc.c   the built-in table's text */
#ifndef TINYDBG_PROTO_INTERNAL_H
#define TINYDBG_PROTO_INTERNAL_H

#include "base/xalloc.h"
#include "proto/proto.h"

struct proto_typedef {
	const char *name;
	const struct ctype *type; /* NULL: void */
};

struct proto_set {
	VEC(struct proto *) protos;
	VEC(struct proto_typedef) typedefs;
	VEC(void *) owned; /* every allocation the set frees */
};

/* An allocation the set owns (zeroed). */
void *proto_alloc(struct proto_set *s, size_t n);
char *proto_strndup(struct proto_set *s, const char *p, size_t n);
/* Adds p, replacing one of the same name (unless keep_old: then p is
 * dropped). */
void proto_set_add(struct proto_set *s, struct proto *p, bool keep_old);
const struct proto_typedef *proto_typedef_find(const struct proto_set *s,
					       const char *name, size_t len);
void proto_typedef_add(struct proto_set *s, const char *name, size_t len,
		       const struct ctype *t);

#endif
