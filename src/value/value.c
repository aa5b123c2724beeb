/* value: the value tree's lifecycle and the helpers the loader shares. */
#include "value/value.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "value/internal.h"

const struct load_config LOAD_SHORT = {
	.max_string = 64,
	.max_fields = 3,
	.max_array = 8,
	.max_recurse = 1,
};

void value_release(struct value *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nchildren; i++)
		value_release(&v->children[i]);
	free(v->children);
	free(v->name);
	free(v->type);
	free(v->value);
	free(v->unreadable);
	memset(v, 0, sizeof(*v));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void value_copy(struct value *dst, const struct value *src)
{
	*dst = *src;
	dst->name = dup_or_null(src->name);
	dst->type = dup_or_null(src->type);
	dst->value = dup_or_null(src->value);
	dst->unreadable = dup_or_null(src->unreadable);
	dst->children = NULL;
	if (!src->nchildren)
		return;
	dst->children = xcalloc(src->nchildren, sizeof(*dst->children));
	for (size_t i = 0; i < src->nchildren; i++)
		value_copy(&dst->children[i], &src->children[i]);
}

/* Our own copy of the typedef walk, so that this module does not depend on
 * the order in which sym's code lands; a cycle of typedefs (which valid
 * DWARF cannot express) is cut after a bounded number of steps. */
const struct ctype *vtype_strip(const struct ctype *t)
{
	for (int i = 0; t && t->kind == CT_TYPEDEF && i < 64; i++)
		t = t->target;
	if (t && t->kind == CT_TYPEDEF)
		return NULL;
	return t;
}

bool vtype_is_char(const struct ctype *t)
{
	t = vtype_strip(t);
	return t && t->kind == CT_CHAR && t->size == 1;
}

static enum vkind int_kind(uint64_t size, bool is_signed)
{
	switch (size) {
	case 1:
		return is_signed ? VK_INT8 : VK_UINT8;
	case 2:
		return is_signed ? VK_INT16 : VK_UINT16;
	case 4:
		return is_signed ? VK_INT32 : VK_UINT32;
	case 8:
		return is_signed ? VK_INT64 : VK_UINT64;
	default: /* __int128 has no Go kind: the plain one says "integer" */
		return is_signed ? VK_INT : VK_UINT;
	}
}

enum vkind vkind_of(const struct ctype *st)
{
	if (!st)
		return VK_INVALID;
	switch (st->kind) {
	case CT_INT:
	case CT_CHAR:
	case CT_ENUM:
		return int_kind(st->size, st->is_signed);
	case CT_BOOL:
		return VK_BOOL;
	case CT_FLOAT:
		return st->size == 4 ? VK_FLOAT32 : VK_FLOAT64;
	case CT_COMPLEX:
		return st->size == 8 ? VK_COMPLEX64 : VK_COMPLEX128;
	case CT_PTR: {
		const struct ctype *to = vtype_strip(st->target);
		if (to && to->kind == CT_FUNC)
			return VK_FUNC;
		if (vtype_is_char(to) && !st->is_ref)
			return VK_STRING;
		return VK_PTR;
	}
	case CT_STRUCT:
	case CT_UNION:
		return VK_STRUCT;
	case CT_ARRAY:
		return vtype_is_char(st->target) ? VK_STRING : VK_ARRAY;
	case CT_FUNC:
		return VK_FUNC;
	default:
		return VK_INVALID;
	}
}

void vinit(struct value *v, const char *name, const struct ctype *t,
	   const struct ctype *st)
{
	memset(v, 0, sizeof(*v));
	v->name = xstrdup(name ? name : "");
	if (!t)
		v->type = xstrdup("void");
	else
		v->type = xstrdup(t->name ? t->name : "");
	v->kind = vkind_of(st);
	v->flags = VF_C;
}

void vfail(struct value *v, int err, uint64_t addr)
{
	char buf[128];

	free(v->unreadable);
	if (err == -VALUE_ENODATA) {
		v->unreadable = xstrdup("optimized out");
	} else {
		/* GNU strerror_r: thread-safe, may return a static string. */
		v->unreadable = xstrdup(strerror_r(err < 0 ? -err : err, buf,
						   sizeof(buf)));
	}
	v->addr = addr;
}
