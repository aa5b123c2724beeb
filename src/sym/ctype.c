/* ctype: helpers on the type graph dwtype.c builds. */
#include "sym/ctype.h"

const struct ctype *ctype_strip(const struct ctype *t)
{
	/* DWARF cannot make a typedef cycle, but a corrupt file can: give
	 * up after a depth no real program reaches. */
	for (int i = 0; t && t->kind == CT_TYPEDEF && i < 64; i++)
		t = t->target;
	return t;
}
