/* gotype: Go runtime type descriptors to ctypes.
 *
 * An interface value holds a pointer to its dynamic type's runtime
 * descriptor (runtime._type), not a DWARF type. Go's DWARF ties the two:
 * every type DIE carries DW_AT_go_runtime_type, the descriptor's offset from
 * the start of the type data (the linker's runtime.types symbol). The index
 * from offsets to DIEs is built on first use, since only programs whose
 * traced values hold interfaces need it, and a scan of every type DIE of a
 * large program costs milliseconds. */
#include "sym/internal.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gotype_ent {
	uint64_t off;     /* runtime type offset */
	Dwarf_Off die;    /* its DIE */
};

struct gotype_index {
	uint64_t types;   /* link-time address of runtime.types; 0: none */
	VEC(struct gotype_ent) ents; /* sorted by off */
};

static int cmp_ent(const void *a, const void *b)
{
	const struct gotype_ent *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* The address of the data symbol name in .symtab, or 0. */
static uint64_t data_symbol(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *s;

			if (!gelf_getsym(data, (int)i, &sym))
				break;
			s = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (s && !strcmp(s, name))
				return sym.st_value;
		}
	}
	return 0;
}

static void index_cu(struct gotype_index *gi, Dwarf_Die *cu)
{
	Dwarf_Die c;

	if (dwarf_child(cu, &c) != 0)
		return;
	do {
		Dwarf_Attribute a;
		Dwarf_Word off;

		if (!dwarf_attr(&c, DW_AT_GO_RUNTIME_TYPE, &a) ||
		    dwarf_formudata(&a, &off) || !off)
			continue;
		VEC_PUSH(&gi->ents, ((struct gotype_ent){off,
							 dwarf_dieoffset(&c)}));
	} while (dwarf_siblingof(&c, &c) == 0);
}

static struct gotype_index *build_index(struct symtab *st)
{
	struct gotype_index *gi = xcalloc(1, sizeof(*gi));
	Dwarf_Off off = 0, next;
	size_t hsize;

	st->gotypes = gi;
	gi->types = data_symbol(st->elf, "runtime.types");
	if (!gi->types || !st->dw)
		return gi;
	while (dwarf_nextcu(st->dw, off, &next, &hsize, NULL, NULL, NULL) ==
	       0) {
		Dwarf_Die cu;

		if (dwarf_offdie(st->dw, off + hsize, &cu))
			index_cu(gi, &cu);
		off = next;
	}
	if (gi->ents.len)
		qsort(gi->ents.items, gi->ents.len, sizeof(*gi->ents.items),
		      cmp_ent);
	return gi;
}

const struct ctype *symtab_go_rtype(struct symtab *st, uint64_t addr)
{
	struct gotype_index *gi = st->gotypes ? st->gotypes : build_index(st);
	size_t lo = 0, hi = gi->ents.len;
	uint64_t off;

	if (!gi->types || addr <= gi->types)
		return NULL;
	off = addr - gi->types;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (gi->ents.items[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < gi->ents.len && gi->ents.items[lo].off == off) {
		Dwarf_Die die;

		if (dwarf_offdie(st->dw, gi->ents.items[lo].die, &die))
			return dwtype_get(st, &die, LANG_GO);
	}
	return NULL;
}

void gotype_free(struct symtab *st)
{
	if (!st->gotypes)
		return;
	VEC_FREE(&st->gotypes->ents);
	free(st->gotypes);
	st->gotypes = NULL;
}

/* The member named name of struct type t, or NULL. */
static const struct ctype_member *member(const struct ctype *t,
					 const char *name)
{
	t = ctype_strip(t);
	if (!t || t->kind != CT_STRUCT)
		return NULL;
	for (size_t i = 0; i < t->nmembers; i++)
		if (!strcmp(t->members[i].name, name))
			return &t->members[i];
	return NULL;
}

/* The type DIE named name at the top level of some CU. */
static bool find_type_die(struct symtab *st, const char *name, int tag,
			  Dwarf_Die *out)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (dwarf_nextcu(st->dw, off, &next, &hsize, NULL, NULL, NULL) ==
	       0) {
		Dwarf_Die cu, c;

		if (dwarf_offdie(st->dw, off + hsize, &cu) &&
		    dwarf_child(&cu, &c) == 0) {
			do {
				const char *n;

				if (dwarf_tag(&c) != tag)
					continue;
				n = dwarf_diename(&c);
				if (n && !strcmp(n, name)) {
					*out = c;
					return true;
				}
			} while (dwarf_siblingof(&c, &c) == 0);
		}
		off = next;
	}
	return false;
}

int symtab_go_g_layout(struct symtab *st, struct go_g_layout *out)
{
	const struct ctype_member *goid, *stack, *hi, *m, *curg;
	const struct ctype *g, *mt;
	Dwarf_Die die;

	memset(out, 0, sizeof(*out));
	if (!st->dw || !find_type_die(st, "runtime.g", DW_TAG_structure_type,
				      &die))
		return -ENOENT;
	g = dwtype_get(st, &die, LANG_GO);
	goid = member(g, "goid");
	stack = member(g, "stack");
	hi = stack ? member(stack->type, "hi") : NULL;
	m = member(g, "m");
	mt = m ? ctype_strip(m->type) : NULL;
	curg = mt && mt->kind == CT_PTR ? member(mt->target, "curg") : NULL;
	if (!goid || !hi || !curg)
		return -ENOENT;
	out->goid_off = goid->offset;
	out->stack_hi_off = stack->offset + hi->offset;
	out->m_off = m->offset;
	out->curg_off = curg->offset;
	return 0;
}
