/* Allocation that never returns NULL: running out of memory in a tracer is
 * not a condition we can report usefully, so we abort with a message. */
#ifndef TINYDBG_BASE_XALLOC_H
#define TINYDBG_BASE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *items (of *cap elements of size elem) so that it holds at least
 * need elements. Used by the VEC macros. */
void xgrow(void **items, size_t *cap, size_t need, size_t elem);

/* A growable array of T: `VEC(int) v = {0}; VEC_PUSH(&v, 3); free(v.items);` */
#define VEC(T)                                                                 \
	struct {                                                               \
		T *items;                                                      \
		size_t len, cap;                                               \
	}
#define VEC_PUSH(v, x)                                                         \
	do {                                                                   \
		xgrow((void **)&(v)->items, &(v)->cap, (v)->len + 1,           \
		      sizeof(*(v)->items));                                    \
		(v)->items[(v)->len++] = (x);                                  \
	} while (0)
#define VEC_FREE(v)                                                            \
	do {                                                                   \
		free((v)->items);                                              \
		(v)->items = NULL;                                             \
		(v)->len = (v)->cap = 0;                                       \
	} while (0)

#endif
