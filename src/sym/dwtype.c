/* dwtype: the ctype graph, built from DWARF type DIEs.
 *
 * One ctype per type DIE, memoized by the DIE's offset, so that shared types
 * are shared and cycles (struct node { struct node *next; }) close on
 * themselves. Names of derived types ("char *", "int (*)(int)") depend on
 * their targets, which may still be under construction inside a cycle, so
 * they are computed once the outermost build returns; likewise a const
 * copy of a struct is refreshed once that struct has its members. */
#include "sym/internal.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

#define MAX_DEPTH 256

/* Every ctype we hand out is the head of a tnode. */
struct tnode {
	struct ctype ct;
	const struct tnode *qual_of; /* const copy: the type it qualifies */
	bool variadic;   /* CT_FUNC */
	bool prototyped; /* CT_FUNC */
	bool rvalue;     /* CT_PTR: && */
	bool dwarf_named; /* the name is DWARF's, not a declarator we made */
};

struct tnode_vec {
	struct tnode **items;
	size_t len, cap;
};

struct dwtype {
	uint64_t *keys; /* DIE offset + 1; 0: empty slot */
	struct tnode **vals;
	size_t cap, len;
	int depth;
	struct tnode_vec names;  /* derived names to compute */
	struct tnode_vec copies; /* const copies to refresh, in post-order */
	struct tnode unknown, void_t;
};

static struct tnode *tn(const struct ctype *t)
{
	return (struct tnode *)t;
}

static struct dwtype *types(struct symtab *st)
{
	struct dwtype *d = st->types;

	if (!d) {
		d = st->types = xcalloc(1, sizeof(*d));
		d->unknown.ct.kind = CT_UNKNOWN;
		d->unknown.ct.name = "unknown";
		d->void_t.ct.kind = CT_VOID;
		d->void_t.ct.name = "void";
	}
	return d;
}

static size_t slot(const struct dwtype *d, uint64_t key)
{
	size_t h = (size_t)(key * 0x9e3779b97f4a7c15ull) & (d->cap - 1);

	while (d->keys[h] && d->keys[h] != key)
		h = (h + 1) & (d->cap - 1);
	return h;
}

static struct tnode *memo_get(struct dwtype *d, uint64_t key)
{
	size_t h;

	if (!d->cap)
		return NULL;
	h = slot(d, key);
	return d->keys[h] ? d->vals[h] : NULL;
}

static void memo_put(struct dwtype *d, uint64_t key, struct tnode *n)
{
	size_t h;

	if ((d->len + 1) * 2 > d->cap) {
		uint64_t *ok = d->keys;
		struct tnode **ov = d->vals;
		size_t ocap = d->cap;

		d->cap = ocap ? ocap * 2 : 1024;
		d->keys = xcalloc(d->cap, sizeof(*d->keys));
		d->vals = xcalloc(d->cap, sizeof(*d->vals));
		for (size_t i = 0; i < ocap; i++) {
			if (!ok[i])
				continue;
			h = slot(d, ok[i]);
			d->keys[h] = ok[i];
			d->vals[h] = ov[i];
		}
		free(ok);
		free(ov);
	}
	h = slot(d, key);
	if (!d->keys[h])
		d->len++;
	d->keys[h] = key;
	d->vals[h] = n;
}

static void push(struct tnode_vec *v, struct tnode *n)
{
	VEC_PUSH(v, n);
}

static struct tnode *node_new(struct symtab *st, enum ctype_kind kind)
{
	struct tnode *n = arena_alloc(&st->arena, sizeof(*n));

	n->ct.kind = kind;
	return n;
}

static uint64_t udata(Dwarf_Die *die, unsigned int at, uint64_t def)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	if (!dwarf_attr_integrate(die, at, &a) || dwarf_formudata(&a, &w))
		return def;
	return w;
}

static bool flag(Dwarf_Die *die, unsigned int at)
{
	Dwarf_Attribute a;
	bool b = false;

	if (!dwarf_attr_integrate(die, at, &a) || dwarf_formflag(&a, &b))
		return false;
	return b;
}

/* The DIE of die's DW_AT_type, if any. */
static bool type_die(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;

	return dwarf_attr_integrate(die, DW_AT_type, &a) &&
	       dwarf_formref_die(&a, out);
}

static const struct ctype *build(struct symtab *st, Dwarf_Die *die,
				 enum sym_lang lang);
static const struct ctype *ref_type(struct symtab *st, Dwarf_Die *die,
				    unsigned int at, enum sym_lang lang);

/* The type of die's DW_AT_type; void when it has none. */
static const struct ctype *target_of(struct symtab *st, Dwarf_Die *die,
				     enum sym_lang lang, bool void_null)
{
	Dwarf_Attribute a;
	Dwarf_Die t;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a))
		return void_null ? NULL : &types(st)->void_t.ct;
	if (!dwarf_formref_die(&a, &t))
		return &types(st)->unknown.ct;
	return build(st, &t, lang);
}

/* gcc spells base types its own way ("long unsigned int"); show them as
 * C programmers write them. */
static const char *c_base_name(const char *n)
{
	static const char *const map[][2] = {
		{"long int", "long"},
		{"long unsigned int", "unsigned long"},
		{"short int", "short"},
		{"short unsigned int", "unsigned short"},
		{"long long int", "long long"},
		{"long long unsigned int", "unsigned long long"},
		{"__int128 unsigned", "unsigned __int128"},
		{"complex float", "_Complex float"},
		{"complex double", "_Complex double"},
		{"complex long double", "_Complex long double"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(n, map[i][0]))
			return map[i][1];
	return n;
}

static void base_type(struct symtab *st, Dwarf_Die *die, enum sym_lang lang,
		      struct tnode *n)
{
	const char *name = dwarf_diename(die);
	uint64_t enc = udata(die, DW_AT_encoding, 0);

	n->ct.size = udata(die, DW_AT_byte_size, 0);
	switch (enc) {
	case DW_ATE_signed:
	case DW_ATE_unsigned:
	case DW_ATE_address:
		n->ct.kind = n->ct.size <= 16 && n->ct.size ? CT_INT
							     : CT_UNKNOWN;
		n->ct.is_signed = enc == DW_ATE_signed;
		break;
	case DW_ATE_signed_char:
	case DW_ATE_unsigned_char:
	case DW_ATE_UTF:
		n->ct.kind = CT_CHAR;
		n->ct.is_signed = enc == DW_ATE_signed_char;
		break;
	case DW_ATE_boolean:
		n->ct.kind = CT_BOOL;
		break;
	case DW_ATE_float:
		n->ct.kind = CT_FLOAT;
		n->ct.is_signed = true;
		break;
	case DW_ATE_complex_float:
		n->ct.kind = CT_COMPLEX;
		n->ct.is_signed = true;
		break;
	default:
		n->ct.kind = CT_UNKNOWN;
		break;
	}
	if (!name)
		name = "?";
	if (lang != LANG_GO)
		name = c_base_name(name);
	/* clang calls every complex type just "complex". */
	if (n->ct.kind == CT_COMPLEX && !strcmp(name, "complex"))
		name = n->ct.size == 8	  ? "_Complex float"
		       : n->ct.size == 16 ? "_Complex double"
					  : "_Complex long double";
	n->ct.name = arena_strdup(&st->arena, name);
}

/* "struct point", "union u", "enum color" in C; the bare name in C++ and
 * Go; "struct {...}" when anonymous. */
static char *tag_name(struct symtab *st, Dwarf_Die *die, enum sym_lang lang,
		      const char *kw)
{
	const char *name = dwarf_diename(die);

	if (!name)
		return xasprintf("%s {...}", kw);
	if (lang == LANG_CPP || lang == LANG_GO)
		return xstrdup(name);
	return xasprintf("%s %s", kw, name);
}

static void set_tag_name(struct symtab *st, Dwarf_Die *die,
			 enum sym_lang lang, const char *kw, struct tnode *n)
{
	char *s = tag_name(st, die, lang, kw);

	n->ct.name = arena_strdup(&st->arena, s);
	free(s);
}

/* data_member_location: a constant, or DWARF 2's DW_OP_plus_uconst. False
 * for anything computed (virtual bases). */
static bool member_offset(Dwarf_Die *m, uint64_t *off)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	Dwarf_Word w;
	size_t n;

	*off = 0;
	if (!dwarf_attr(m, DW_AT_data_member_location, &a))
		return true;
	if (dwarf_formudata(&a, &w) == 0) {
		*off = w;
		return true;
	}
	if (dwarf_getlocation(&a, &ops, &n) == 0 && n == 1 &&
	    ops[0].atom == DW_OP_plus_uconst) {
		*off = ops[0].number;
		return true;
	}
	return false;
}

struct member_vec {
	struct ctype_member *items;
	size_t len, cap;
};

static bool is_by_ref_struct(const struct ctype *t)
{
	while (t && (t->kind == CT_TYPEDEF || t->is_const) &&
	       t->kind != CT_STRUCT && t->kind != CT_UNION)
		t = t->target;
	return t && (t->kind == CT_STRUCT || t->kind == CT_UNION) &&
	       t->pass_by_ref;
}

/* Whether reference type ref is to the class named cls (const or not):
 * a copy or move constructor's parameter. A converting constructor
 * (std::optional<int>'s optional(int &&)) takes a reference too, to
 * something else, and leaves the class trivial. */
static bool refers_to_class(Dwarf_Die *ref, const char *cls)
{
	Dwarf_Die t = *ref;
	const char *n;

	for (int i = 0; i < 8; i++) {
		if (!type_die(&t, &t))
			return false;
		if (dwarf_tag(&t) != DW_TAG_const_type &&
		    dwarf_tag(&t) != DW_TAG_volatile_type)
			break;
	}
	n = dwarf_diename(&t);
	return n && !strcmp(n, cls);
}

/* A C++ special member that makes the class non-trivial for calls (the
 * Itanium ABI then passes and returns it by invisible reference): a user
 * destructor or copy/move constructor, or anything virtual. Used when the
 * compiler does not say so with DW_AT_calling_convention (gcc). */
static bool nontrivial_member(Dwarf_Die *fn, const char *cls)
{
	const char *name = dwarf_diename(fn);
	Dwarf_Die c;
	int nparams = 0;
	bool ref = false;

	if (udata(fn, DW_AT_virtuality, 0))
		return true;
	if (!name || flag(fn, DW_AT_artificial) ||
	    udata(fn, DW_AT_defaulted, 0) == DW_DEFAULTED_in_class)
		return false;
	if (name[0] == '~')
		return true;
	if (!cls || strcmp(name, cls))
		return false;
	if (dwarf_child(fn, &c) != 0)
		return false;
	do {
		Dwarf_Die t;

		if (dwarf_tag(&c) != DW_TAG_formal_parameter ||
		    flag(&c, DW_AT_artificial))
			continue;
		nparams++;
		ref = type_die(&c, &t) &&
		      (dwarf_tag(&t) == DW_TAG_reference_type ||
		       dwarf_tag(&t) == DW_TAG_rvalue_reference_type) &&
		      refers_to_class(&t, cls);
	} while (dwarf_siblingof(&c, &c) == 0);
	return nparams == 1 && ref;
}

static void aggregate(struct symtab *st, Dwarf_Die *die, enum sym_lang lang,
		      struct tnode *n)
{
	struct member_vec v = {0};
	struct { const struct ctype **items; size_t len, cap; } targs = {0};
	const char *cls = dwarf_diename(die);
	uint64_t cc = udata(die, DW_AT_calling_convention, 0);
	bool guess = lang == LANG_CPP && !cc, byref = false;
	Dwarf_Die c;

	n->ct.size = udata(die, DW_AT_byte_size, 0);
	n->ct.declaration = flag(die, DW_AT_declaration);
	n->ct.pass_by_ref = cc == DW_CC_pass_by_reference;
	if (dwarf_child(die, &c) != 0)
		return;
	do {
		int tag = dwarf_tag(&c);
		struct ctype_member m = {0};
		uint64_t off, bs;
		Dwarf_Attribute a;
		Dwarf_Word w;

		if (tag == DW_TAG_subprogram) {
			if (guess && !byref)
				byref = nontrivial_member(&c, cls);
			continue;
		}
		if (tag == DW_TAG_template_type_parameter) {
			VEC_PUSH(&targs, target_of(st, &c, lang, false));
			continue;
		}
		if (tag != DW_TAG_member && tag != DW_TAG_inheritance)
			continue;
		/* Static data members: declarations, not storage. */
		if (flag(&c, DW_AT_external) || flag(&c, DW_AT_declaration))
			continue;
		if (tag == DW_TAG_inheritance && udata(&c, DW_AT_virtuality, 0))
			byref = guess;
		if (!member_offset(&c, &off))
			continue;
		m.type = target_of(st, &c, lang, false);
		m.offset = off;
		if (tag == DW_TAG_inheritance) {
			Dwarf_Die t;

			m.is_base = true;
			const char *bn = type_die(&c, &t) ? dwarf_diename(&t)
							  : NULL;
			m.name = arena_strdup(&st->arena, bn ? bn : "");
		} else {
			m.name = arena_strdup(&st->arena, dwarf_diename(&c));
		}
		if (guess && is_by_ref_struct(m.type))
			byref = true;
		bs = udata(&c, DW_AT_bit_size, 0);
		if (bs && bs < 65536) {
			uint64_t dbo;

			if (dwarf_attr(&c, DW_AT_data_bit_offset, &a) &&
			    dwarf_formudata(&a, &w) == 0) {
				dbo = w;
			} else if (dwarf_attr(&c, DW_AT_bit_offset, &a) &&
				   dwarf_formudata(&a, &w) == 0) {
				/* DWARF 2/3: counted from the most
				 * significant bit of a storage unit. */
				uint64_t unit = udata(&c, DW_AT_byte_size,
						      m.type->size);
				dbo = off * 8 + unit * 8 - w - bs;
			} else {
				dbo = off * 8;
			}
			m.offset = dbo / 8;
			m.bit_offset = (uint16_t)(dbo % 8);
			m.bit_size = (uint16_t)bs;
		}
		VEC_PUSH(&v, m);
	} while (dwarf_siblingof(&c, &c) == 0);
	if (byref)
		n->ct.pass_by_ref = true;
	if (v.len) {
		n->ct.members = arena_alloc(&st->arena,
					    v.len * sizeof(*v.items));
		memcpy(n->ct.members, v.items, v.len * sizeof(*v.items));
		n->ct.nmembers = v.len;
	}
	if (targs.len) {
		n->ct.targs = arena_alloc(&st->arena,
					  targs.len * sizeof(*targs.items));
		memcpy(n->ct.targs, targs.items,
		       targs.len * sizeof(*targs.items));
		n->ct.ntargs = targs.len;
	}
	free(v.items);
	free(targs.items);
}

static void enumeration(struct symtab *st, Dwarf_Die *die,
			enum sym_lang lang, struct tnode *n)
{
	VEC(struct ctype_enumerator) v = {0};
	Dwarf_Die c;

	n->ct.size = udata(die, DW_AT_byte_size, 0);
	n->ct.declaration = flag(die, DW_AT_declaration);
	if (dwarf_hasattr_integrate(die, DW_AT_type)) {
		n->ct.target = target_of(st, die, lang, true);
		if (n->ct.target) {
			n->ct.is_signed = ctype_strip(n->ct.target)->is_signed;
			if (!n->ct.size)
				n->ct.size = n->ct.target->size;
		}
	}
	if (dwarf_child(die, &c) != 0)
		return;
	do {
		struct ctype_enumerator e;
		Dwarf_Attribute a;
		unsigned int form;
		Dwarf_Sword s;
		Dwarf_Word w;

		if (dwarf_tag(&c) != DW_TAG_enumerator ||
		    !dwarf_attr(&c, DW_AT_const_value, &a))
			continue;
		form = dwarf_whatform(&a);
		e.name = arena_strdup(&st->arena, dwarf_diename(&c));
		if (form == DW_FORM_sdata || form == DW_FORM_implicit_const) {
			if (dwarf_formsdata(&a, &s))
				continue;
			e.value = s;
			if (s < 0 && !n->ct.target)
				n->ct.is_signed = true;
		} else {
			if (dwarf_formudata(&a, &w))
				continue;
			e.value = (int64_t)w;
			/* dataN holds bits: extend them when signed. */
			if (n->ct.is_signed && form == DW_FORM_data1)
				e.value = (int8_t)w;
			else if (n->ct.is_signed && form == DW_FORM_data2)
				e.value = (int16_t)w;
			else if (n->ct.is_signed && form == DW_FORM_data4)
				e.value = (int32_t)w;
		}
		VEC_PUSH(&v, e);
	} while (dwarf_siblingof(&c, &c) == 0);
	if (v.len) {
		n->ct.enums = arena_alloc(&st->arena, v.len * sizeof(*v.items));
		memcpy(n->ct.enums, v.items, v.len * sizeof(*v.items));
		n->ct.nenums = v.len;
	}
	free(v.items);
}

/* The element count of a subrange DIE; 0 when unknown (flexible, VLA). */
static uint64_t subrange_count(Dwarf_Die *sr)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	Dwarf_Sword lb = 0, ub;

	if (dwarf_attr(sr, DW_AT_count, &a))
		return dwarf_formudata(&a, &w) == 0 ? w : 0;
	if (!dwarf_attr(sr, DW_AT_upper_bound, &a))
		return 0;
	switch (dwarf_whatform(&a)) {
	case DW_FORM_data1:
	case DW_FORM_data2:
	case DW_FORM_data4:
	case DW_FORM_data8:
	case DW_FORM_udata:
	case DW_FORM_sdata:
	case DW_FORM_implicit_const:
		break;
	default:
		return 0; /* a reference or expression: a VLA */
	}
	if (dwarf_formsdata(&a, &ub))
		return 0;
	if (dwarf_attr(sr, DW_AT_lower_bound, &a) && dwarf_formsdata(&a, &lb))
		return 0;
	/* -1 is gcc's way of saying "[]" (zero-length). */
	return ub >= lb ? (uint64_t)(ub - lb + 1) : 0;
}

static void array(struct symtab *st, Dwarf_Die *die, enum sym_lang lang,
		  struct tnode *outer)
{
	uint64_t counts[16];
	int ndims = 0;
	const struct ctype *elem;
	Dwarf_Die c;

	if (dwarf_child(die, &c) == 0) {
		do {
			if (dwarf_tag(&c) != DW_TAG_subrange_type &&
			    dwarf_tag(&c) != DW_TAG_enumeration_type)
				continue;
			if (ndims < 16)
				counts[ndims++] = subrange_count(&c);
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	if (!ndims)
		counts[ndims++] = 0;
	elem = target_of(st, die, lang, false);
	/* int a[2][3] is an array of 2 arrays of 3 ints: build inside out,
	 * the outermost being the node the DIE maps to. */
	for (int i = ndims - 1; i >= 0; i--) {
		struct tnode *n = i ? node_new(st, CT_ARRAY) : outer;

		n->ct.target = elem;
		n->ct.count = counts[i];
		n->ct.size = counts[i] * elem->size;
		if (i)
			push(&types(st)->names, n);
		elem = &n->ct;
	}
	if (dwarf_hasattr(die, DW_AT_byte_size))
		outer->ct.size = udata(die, DW_AT_byte_size, outer->ct.size);
}

static void subroutine(struct symtab *st, Dwarf_Die *die, enum sym_lang lang,
		       struct tnode *n)
{
	struct member_vec v = {0};
	Dwarf_Die c;

	n->ct.target = target_of(st, die, lang, true);
	n->prototyped = flag(die, DW_AT_prototyped) || lang != LANG_C;
	if (dwarf_child(die, &c) == 0) {
		do {
			struct ctype_member m = {.name = ""};

			if (dwarf_tag(&c) == DW_TAG_unspecified_parameters)
				n->variadic = true;
			if (dwarf_tag(&c) != DW_TAG_formal_parameter)
				continue;
			m.type = target_of(st, &c, lang, false);
			VEC_PUSH(&v, m);
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	if (v.len) {
		n->ct.members = arena_alloc(&st->arena,
					    v.len * sizeof(*v.items));
		memcpy(n->ct.members, v.items, v.len * sizeof(*v.items));
		n->ct.nmembers = v.len;
	}
	free(v.items);
}

static const struct ctype *build(struct symtab *st, Dwarf_Die *die,
				 enum sym_lang lang)
{
	struct dwtype *d = types(st);
	uint64_t key = dwarf_dieoffset(die) + 1;
	struct tnode *n = memo_get(d, key);
	const struct ctype *t;
	const char *dname;
	int tag;

	if (n)
		return &n->ct;
	if (d->depth >= MAX_DEPTH)
		return &d->unknown.ct;
	d->depth++;
	tag = dwarf_tag(die);
	switch (tag) {
	case DW_TAG_base_type:
		n = node_new(st, CT_INT);
		base_type(st, die, lang, n);
		memo_put(d, key, n);
		break;
	case DW_TAG_unspecified_type: /* decltype(nullptr) */
		n = node_new(st, CT_PTR);
		n->ct.size = udata(die, DW_AT_byte_size, 8);
		n->ct.name = arena_strdup(&st->arena, dwarf_diename(die) ?:
						       "void *");
		n->dwarf_named = true;
		memo_put(d, key, n);
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		n = node_new(st, CT_PTR);
		n->ct.size = udata(die, DW_AT_byte_size, 8);
		n->ct.is_ref = tag != DW_TAG_pointer_type;
		n->rvalue = tag == DW_TAG_rvalue_reference_type;
		memo_put(d, key, n);
		n->ct.target = target_of(st, die, lang, true);
		/* void * has no target, whatever the qualifiers. */
		if (n->ct.target && n->ct.target->kind == CT_VOID &&
		    !n->ct.target->is_const)
			n->ct.target = NULL;
		break;
	case DW_TAG_const_type:
		n = node_new(st, CT_UNKNOWN);
		memo_put(d, key, n);
		t = target_of(st, die, lang, false);
		n->qual_of = tn(t);
		n->ct = *t;
		n->ct.name = NULL;
		n->ct.is_const = true;
		push(&d->copies, n);
		push(&d->names, n);
		break;
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
	case DW_TAG_immutable_type:
	case DW_TAG_shared_type:
	case DW_TAG_packed_type:
		/* Qualifiers that change nothing we read. */
		t = target_of(st, die, lang, false);
		memo_put(d, key, tn(t));
		d->depth--;
		return t;
	case DW_TAG_typedef:
		n = node_new(st, CT_TYPEDEF);
		n->ct.name = arena_strdup(&st->arena, dwarf_diename(die) ?:
						       "?");
		memo_put(d, key, n);
		n->ct.target = target_of(st, die, lang, false);
		n->ct.size = n->ct.target->size;
		break;
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
		n = node_new(st, tag == DW_TAG_union_type ? CT_UNION
							  : CT_STRUCT);
		set_tag_name(st, die, lang,
			     tag == DW_TAG_union_type   ? "union"
			     : tag == DW_TAG_class_type ? "class"
							: "struct", n);
		memo_put(d, key, n);
		aggregate(st, die, lang, n);
		break;
	case DW_TAG_enumeration_type:
		n = node_new(st, CT_ENUM);
		set_tag_name(st, die, lang, "enum", n);
		memo_put(d, key, n);
		enumeration(st, die, lang, n);
		break;
	case DW_TAG_array_type:
		n = node_new(st, CT_ARRAY);
		memo_put(d, key, n);
		array(st, die, lang, n);
		break;
	case DW_TAG_subroutine_type:
		n = node_new(st, CT_FUNC);
		memo_put(d, key, n);
		subroutine(st, die, lang, n);
		break;
	default:
		/* Pointers to members, Go's odd types...: known by name
		 * and size only. */
		n = node_new(st, CT_UNKNOWN);
		n->ct.size = udata(die, DW_AT_byte_size, 0);
		n->ct.name = arena_strdup(&st->arena, dwarf_diename(die) ?:
						       "?");
		memo_put(d, key, n);
		break;
	}
	if (lang == LANG_GO) {
		n->ct.go_kind = (uint8_t)udata(die, DW_AT_GO_KIND, 0);
		n->ct.go_key = ref_type(st, die, DW_AT_GO_KEY, lang);
		n->ct.go_elem = ref_type(st, die, DW_AT_GO_ELEM, lang);
		if (tag == DW_TAG_typedef && dwarf_hasattr(die,
							   DW_AT_GO_DICT_INDEX))
			n->ct.go_dict_slot =
				(uint32_t)udata(die, DW_AT_GO_DICT_INDEX, 0) + 1;
	}
	/* Derived types get a C declarator name, unless DWARF names them
	 * (Go names its pointers and slices: "*main.T"). */
	if (!n->ct.name) {
		dname = dwarf_diename(die);
		if (dname && tag != DW_TAG_const_type) {
			n->ct.name = arena_strdup(&st->arena, dname);
			n->dwarf_named = true;
		} else
			push(&d->names, n);
	}
	d->depth--;
	return &n->ct;
}

/* The type DIE an attribute of die refers to (Go's DW_AT_go_key...). */
static const struct ctype *ref_type(struct symtab *st, Dwarf_Die *die,
				    unsigned int at, enum sym_lang lang)
{
	Dwarf_Attribute a;
	Dwarf_Die t;

	if (!dwarf_attr(die, at, &a) || !dwarf_formref_die(&a, &t))
		return NULL;
	return build(st, &t, lang);
}

/* The C declarator for t around inner: decl(int *, "") is "int *",
 * decl(int, "(*)(int)") is "int (*)(int)". */
static void decl(struct symtab *st, struct strbuf *sb, const struct ctype *t,
		 const char *inner, int depth);

static const char *name_of(struct symtab *st, const struct ctype *t,
			   int depth)
{
	struct strbuf sb = STRBUF_INIT;
	struct tnode *n = tn(t);

	if (t->name)
		return t->name;
	strbuf_init(&sb);
	decl(st, &sb, t, "", depth + 1);
	n->ct.name = arena_strdup(&st->arena, sb.buf);
	strbuf_release(&sb);
	return n->ct.name;
}

static void decl(struct symtab *st, struct strbuf *sb, const struct ctype *t,
		 const char *inner, int depth)
{
	const struct tnode *n = tn(t);
	struct strbuf in = STRBUF_INIT;
	const struct ctype *target;

	if (depth > 32) {
		strbuf_adds(sb, "?");
		return;
	}
	strbuf_init(&in);
	switch (t->kind) {
	case CT_PTR:
		if (n->dwarf_named) /* nullptr_t, Go's pointers */
			goto named;
		target = t->target ? t->target : &types(st)->void_t.ct;
		if (target->kind == CT_ARRAY || target->kind == CT_FUNC)
			strbuf_addch(&in, '(');
		strbuf_adds(&in, !t->is_ref ? "*" : n->rvalue ? "&&" : "&");
		if (t->is_const)
			strbuf_adds(&in, *inner ? " const " : " const");
		strbuf_adds(&in, inner);
		if (target->kind == CT_ARRAY || target->kind == CT_FUNC)
			strbuf_addch(&in, ')');
		decl(st, sb, target, in.buf, depth + 1);
		break;
	case CT_ARRAY:
		if (n->dwarf_named)
			goto named;
		strbuf_adds(&in, inner);
		if (t->count)
			strbuf_addf(&in, "[%llu]", (unsigned long long)t->count);
		else
			strbuf_adds(&in, "[]");
		decl(st, sb, t->target, in.buf, depth + 1);
		break;
	case CT_FUNC:
		if (n->dwarf_named)
			goto named;
		strbuf_adds(&in, inner);
		strbuf_addch(&in, '(');
		for (size_t i = 0; i < t->nmembers; i++) {
			if (i)
				strbuf_adds(&in, ", ");
			strbuf_adds(&in, name_of(st, t->members[i].type,
						 depth + 1));
		}
		if (n->variadic)
			strbuf_adds(&in, t->nmembers ? ", ..." : "...");
		else if (!t->nmembers && n->prototyped)
			strbuf_adds(&in, "void");
		strbuf_addch(&in, ')');
		decl(st, sb, t->target ? t->target : &types(st)->void_t.ct,
		     in.buf, depth + 1);
		break;
	default:
	named:
		if (n->qual_of && !t->name) {
			strbuf_adds(sb, "const ");
			strbuf_adds(sb, name_of(st, &n->qual_of->ct, depth));
		} else {
			strbuf_adds(sb, t->name ? t->name : "?");
		}
		if (*inner) {
			strbuf_addch(sb, ' ');
			strbuf_adds(sb, inner);
		}
		break;
	}
	strbuf_release(&in);
}

/* After the outermost build: refresh const copies, then name everything
 * that waited for its targets. */
static void finish(struct symtab *st)
{
	struct dwtype *d = types(st);

	for (size_t i = 0; i < d->copies.len; i++) {
		struct tnode *n = d->copies.items[i];
		const struct ctype *src = &n->qual_of->ct;
		char *name = n->ct.name;

		n->ct = *src;
		n->ct.name = name;
		n->ct.is_const = true;
		n->dwarf_named = false;
		n->variadic = n->qual_of->variadic;
		n->prototyped = n->qual_of->prototyped;
		n->rvalue = n->qual_of->rvalue;
	}
	d->copies.len = 0;
	for (size_t i = 0; i < d->names.len; i++)
		name_of(st, &d->names.items[i]->ct, 0);
	d->names.len = 0;
}

const struct ctype *dwtype_get(struct symtab *st, Dwarf_Die *die,
			       enum sym_lang lang)
{
	const struct ctype *t;

	if (!die)
		return &types(st)->void_t.ct;
	t = build(st, die, lang);
	if (types(st)->depth == 0)
		finish(st);
	return t;
}

const struct ctype *dwtype_of(struct symtab *st, Dwarf_Die *die,
			      enum sym_lang lang)
{
	Dwarf_Attribute a;
	Dwarf_Die t;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a))
		return NULL;
	if (!dwarf_formref_die(&a, &t))
		return dwtype_unknown(st);
	return dwtype_get(st, &t, lang);
}

const struct ctype *dwtype_unknown(struct symtab *st)
{
	return &types(st)->unknown.ct;
}

void dwtype_free(struct symtab *st)
{
	struct dwtype *d = st->types;

	if (!d)
		return;
	free(d->keys);
	free(d->vals);
	free(d->names.items);
	free(d->copies.items);
	free(d);
	st->types = NULL;
}
