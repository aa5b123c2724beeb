/* gotype: Go runtime type descriptors to ctypes, and named constants.
 *
 * An interface value holds a pointer to its dynamic type's runtime
 * descriptor (runtime._type), not a DWARF type. Go's DWARF ties the two:
 * every type DIE carries DW_AT_go_runtime_type, the descriptor's offset from
 * the start of the type data (the linker's runtime.types symbol). The index
 * from offsets to DIEs is built on first use, since only programs whose
 * traced values hold interfaces need it, and a scan of every type DIE of a
 * large program costs milliseconds.
 *
 * The same scan collects the integer constants (DW_TAG_constant) whose
 * type is a named one of some package (main.Color), for Delve's "Blue (2)":
 * untyped constants are "int", and would name every 1 io.SeekCurrent. */
#include "sym/internal.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gotype_ent {
	uint64_t off;     /* runtime type offset */
	Dwarf_Off die;    /* its DIE */
};

/* A constant while the scan runs: its type is resolved afterwards. */
struct goconst_ent {
	Dwarf_Off type;
	const char *name; /* in the DWARF data */
	int64_t value;
	size_t seq;       /* DIE order, to keep equal values stable */
};

/* The constants of one type, sorted by value. */
struct goconst_set {
	const struct ctype *type;
	struct ctype_enumerator *items; /* in the arena */
	size_t n;
};

struct gotype_index {
	uint64_t types;   /* link-time address of runtime.types; 0: none */
	VEC(struct gotype_ent) ents; /* sorted by off */
	VEC(struct goconst_ent) pending; /* during the scan only */
	VEC(struct goconst_set) consts;  /* sorted by type */
};

static int cmp_ent(const void *a, const void *b)
{
	const struct gotype_ent *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* The address of the data symbol name in .symtab, or 0. */
static bool data_symbol(Elf *elf, const char *name, uint64_t *val)
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
			if (s && !strcmp(s, name)) {
				*val = sym.st_value;
				return true;
			}
		}
	}
	return false;
}

/* A DW_TAG_constant worth keeping: an integer of a package's named type. */
static void note_const(struct gotype_index *gi, Dwarf_Die *c)
{
	Dwarf_Attribute a;
	Dwarf_Die t;
	Dwarf_Sword v;
	const char *name = dwarf_diename(c), *tname;

	if (!name || !dwarf_attr(c, DW_AT_type, &a) ||
	    !dwarf_formref_die(&a, &t) ||
	    !dwarf_attr(c, DW_AT_const_value, &a) || dwarf_formsdata(&a, &v))
		return;
	tname = dwarf_diename(&t);
	if (!tname || !strchr(tname, '.'))
		return;
	VEC_PUSH(&gi->pending,
		 ((struct goconst_ent){dwarf_dieoffset(&t), name, (int64_t)v,
				       gi->pending.len}));
}

static void index_cu(struct gotype_index *gi, Dwarf_Die *cu)
{
	Dwarf_Die c;

	if (dwarf_child(cu, &c) != 0)
		return;
	do {
		Dwarf_Attribute a;
		Dwarf_Word off;

		if (dwarf_tag(&c) == DW_TAG_constant) {
			note_const(gi, &c);
			continue;
		}
		/* The linker writes the offset with DW_FORM_addr. */
		if (!dwarf_attr(&c, DW_AT_GO_RUNTIME_TYPE, &a) ||
		    (dwarf_formudata(&a, &off) &&
		     dwarf_formaddr(&a, (Dwarf_Addr *)&off)) ||
		    !off)
			continue;
		VEC_PUSH(&gi->ents, ((struct gotype_ent){off,
							 dwarf_dieoffset(&c)}));
	} while (dwarf_siblingof(&c, &c) == 0);
}

static int cmp_pending(const void *a, const void *b)
{
	const struct goconst_ent *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_set(const void *a, const void *b)
{
	const struct goconst_set *x = a, *y = b;
	uintptr_t p = (uintptr_t)x->type, q = (uintptr_t)y->type;

	return p < q ? -1 : p > q;
}

/* Delve names a constant without its type's package: the part of the
 * type name before the first dot after the last slash. */
static const char *trim_package(const char *name, const char *tname)
{
	const char *slash = strrchr(tname, '/');
	const char *dot = strchr(slash ? slash : tname, '.');
	size_t n = dot ? (size_t)(dot - tname) + 1 : 0;

	return n && !strncmp(name, tname, n) ? name + n : name;
}

/* Groups the pending constants by type, the types as ctypes. */
static void build_consts(struct symtab *st, struct gotype_index *gi)
{
	size_t i = 0;

	if (gi->pending.len)
		qsort(gi->pending.items, gi->pending.len,
		      sizeof(*gi->pending.items), cmp_pending);
	while (i < gi->pending.len) {
		struct goconst_set set = {0};
		size_t j = i;
		Dwarf_Die die;

		while (j < gi->pending.len &&
		       gi->pending.items[j].type == gi->pending.items[i].type)
			j++;
		if (dwarf_offdie(st->dw, gi->pending.items[i].type, &die))
			set.type = dwtype_get(st, &die, LANG_GO);
		if (set.type && set.type->name) {
			set.items = arena_alloc(&st->arena,
						(j - i) * sizeof(*set.items));
			for (size_t k = i; k < j; k++) {
				const struct goconst_ent *e =
					&gi->pending.items[k];
				set.items[set.n].name = arena_strdup(
					&st->arena,
					trim_package(e->name, set.type->name));
				set.items[set.n++].value = e->value;
			}
			VEC_PUSH(&gi->consts, set);
		}
		i = j;
	}
	VEC_FREE(&gi->pending);
	if (gi->consts.len)
		qsort(gi->consts.items, gi->consts.len,
		      sizeof(*gi->consts.items), cmp_set);
}

static struct gotype_index *build_index(struct symtab *st)
{
	struct gotype_index *gi = xcalloc(1, sizeof(*gi));
	Dwarf_Off off = 0, next;
	size_t hsize;

	st->gotypes = gi;
	if (!data_symbol(st->elf, "runtime.types", &gi->types))
		gi->types = 0;
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
	build_consts(st, gi);
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

size_t symtab_go_consts(struct symtab *st, const struct ctype *t,
			const struct ctype_enumerator **out)
{
	struct gotype_index *gi = st->gotypes ? st->gotypes : build_index(st);
	size_t lo = 0, hi = gi->consts.len;

	*out = NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)gi->consts.items[mid].type < (uintptr_t)t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == gi->consts.len || gi->consts.items[lo].type != t)
		return 0;
	*out = gi->consts.items[lo].items;
	return gi->consts.items[lo].n;
}

void gotype_free(struct symtab *st)
{
	if (!st->gotypes)
		return;
	VEC_FREE(&st->gotypes->ents);
	VEC_FREE(&st->gotypes->pending);
	VEC_FREE(&st->gotypes->consts);
	free(st->gotypes);
	st->gotypes = NULL;
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

/* Go names its structs through typedefs (runtime.stack, runtime.m). */
static bool strip_typedefs(Dwarf_Die *type)
{
	Dwarf_Attribute a;

	for (int hop = 0; hop < 8 && dwarf_tag(type) == DW_TAG_typedef; hop++)
		if (!dwarf_attr(type, DW_AT_type, &a) ||
		    !dwarf_formref_die(&a, type))
			return false;
	return dwarf_tag(type) != DW_TAG_typedef;
}

/* The member named name of the struct DIE die: its offset and, in *type,
 * its type's DIE. Read from the DIEs themselves: building ctypes for
 * runtime.g would build the runtime's whole type graph (tens of ms). */
static bool die_member(Dwarf_Die *die, const char *name, uint64_t *off,
		       Dwarf_Die *type)
{
	Dwarf_Die c;

	if (dwarf_child(die, &c) != 0)
		return false;
	do {
		Dwarf_Attribute a;
		Dwarf_Word w;
		const char *n;

		if (dwarf_tag(&c) != DW_TAG_member || !(n = dwarf_diename(&c)) ||
		    strcmp(n, name))
			continue;
		if (!dwarf_attr(&c, DW_AT_data_member_location, &a) ||
		    dwarf_formudata(&a, &w))
			return false;
		*off = w;
		if (!type)
			return true;
		if (!dwarf_attr(&c, DW_AT_type, &a) ||
		    !dwarf_formref_die(&a, type))
			return false;
		return strip_typedefs(type);
	} while (dwarf_siblingof(&c, &c) == 0);
	return false;
}

/* Where a thread keeps its g, from the thread pointer. A program the Go
 * linker linked alone puts it at fs_base - 8. One linked by the system's
 * linker (cgo, -linkmode=external) has the linker place the TLS symbol
 * runtime.tlsg in the executable's TLS block, which ends at the thread
 * pointer: g is at tlsg's offset into the block minus the block's size,
 * rounded as linkers round it (the block's start keeps the segment's
 * alignment). */
static int64_t g_tls_offset(struct symtab *st)
{
	uint64_t tlsg = 0;
	size_t nph = 0;

	if (!data_symbol(st->elf, "runtime.tlsg", &tlsg) ||
	    elf_getphdrnum(st->elf, &nph))
		return -8;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		uint64_t size, align;

		if (!gelf_getphdr(st->elf, (int)i, &ph) || ph.p_type != PT_TLS)
			continue;
		align = ph.p_align ? ph.p_align : 1;
		size = ph.p_memsz + ((-ph.p_vaddr - ph.p_memsz) & (align - 1));
		return (int64_t)tlsg - (int64_t)size;
	}
	return -8;
}

/* Without DWARF (-ldflags=-w): the layout of the Go versions we have
 * checked it for, by the version .go.buildinfo records. */
static int go_g_layout_known(struct symtab *st, struct go_g_layout *out)
{
	char v[64];

	if (gobuildinfo_version(st, v, sizeof(v)) || strncmp(v, "go1.19", 6) ||
	    (v[6] && v[6] != '.'))
		return -ENOENT;
	out->goid_off = 152;
	out->stack_hi_off = 8;
	out->m_off = 48;
	out->curg_off = 192;
	out->tls_off = -8;
	return 0;
}

int symtab_go_g_layout(struct symtab *st, struct go_g_layout *out)
{
	Dwarf_Die g, stack, mptr, m;
	Dwarf_Attribute a;
	uint64_t stack_off, hi_off;

	memset(out, 0, sizeof(*out));
	if (!st->dw || !find_type_die(st, "runtime.g", DW_TAG_structure_type,
				      &g))
		return go_g_layout_known(st, out);
	if (!die_member(&g, "goid", &out->goid_off, NULL) ||
	    !die_member(&g, "stack", &stack_off, &stack) ||
	    !die_member(&stack, "hi", &hi_off, NULL) ||
	    !die_member(&g, "m", &out->m_off, &mptr) ||
	    dwarf_tag(&mptr) != DW_TAG_pointer_type ||
	    !dwarf_attr(&mptr, DW_AT_type, &a) || !dwarf_formref_die(&a, &m) ||
	    !strip_typedefs(&m) ||
	    !die_member(&m, "curg", &out->curg_off, NULL))
		return -ENOENT;
	out->stack_hi_off = stack_off + hi_off;
	out->tls_off = g_tls_offset(st);
	return 0;
}
