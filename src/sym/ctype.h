/* ctype: the types of a target's values, as read from DWARF.
 *
 * A ctype graph is owned by the symtab that built it and lives as long as the
 * symtab. Types are shared (several params can point at one ctype) and may be
 * cyclic through pointers (struct node { struct node *next; }). */
#ifndef TINYDBG_SYM_CTYPE_H
#define TINYDBG_SYM_CTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ctype_kind {
	CT_VOID,
	CT_INT,     /* any integer: size 1,2,4,8,16; is_signed says which */
	CT_CHAR,    /* char, signed char, unsigned char (DW_ATE_*char) */
	CT_BOOL,    /* _Bool / bool */
	CT_FLOAT,   /* size 4 float, 8 double, 16 (or 10/12) long double */
	CT_COMPLEX, /* _Complex float/double/long double; size is the whole */
	CT_ENUM,    /* enumerators in .enums; size and is_signed of the base */
	CT_PTR,     /* pointer (or C++ reference: is_ref) to .target (NULL: void *) */
	CT_STRUCT,  /* struct or C++ class */
	CT_UNION,
	CT_ARRAY,   /* .count elements of .target (count 0: unknown / flexible) */
	CT_FUNC,    /* a function type; only ever seen through a CT_PTR */
	CT_TYPEDEF, /* .name names it; .target is what it stands for */
	CT_UNKNOWN, /* a DWARF type we do not model */
};

struct ctype_member {
	char *name;           /* "" for an anonymous member */
	uint64_t offset;      /* byte offset within the aggregate */
	const struct ctype *type;
	uint16_t bit_size;    /* 0 unless a bit-field */
	uint16_t bit_offset;  /* bit offset from `offset`, little-endian order */
	bool is_base;         /* a C++ base class (named as its type) */
};

struct ctype_enumerator {
	char *name;
	int64_t value;
	uint64_t mask; /* CTF_FLAGS: the bits this one is a value of (0: its
	                * own bits, a single flag); DWARF never sets it */
};

/* How an integer or enum prints. DWARF types are all CTF_DEFAULT; the
 * others come from prototypes (proto/), as ltrace's hex(), octal and bit
 * sets. */
enum ctype_fmt {
	CTF_DEFAULT,
	CTF_HEX,   /* 0x1f */
	CTF_OCTAL, /* 0644 */
	CTF_FLAGS, /* an enum of bits: O_RDONLY|O_CLOEXEC, the rest in hex */
};

struct ctype {
	enum ctype_kind kind;
	/* Display name as a C programmer writes it: "int", "unsigned long",
	 * "struct point", "char *", "int [3]", "int (*)(int, int)", "color_t". */
	char *name;
	uint64_t size; /* bytes; 0 when unknown or void */
	bool is_signed;
	bool is_ref;        /* CT_PTR that is a C++ reference */
	bool is_const;      /* qualifiers are folded into the type they qualify */
	bool declaration;   /* an incomplete struct/union (no members known) */
	bool pass_by_ref;   /* C++ class passed by invisible reference */
	uint8_t fmt;        /* enum ctype_fmt: INT, ENUM */
	const struct ctype *target; /* PTR, ARRAY, TYPEDEF, ENUM base, FUNC result */
	struct ctype_member *members; /* STRUCT, UNION */
	size_t nmembers;
	/* C++ class templates: the type arguments, in order (a value
	 * argument has no entry). The value layer finds the element type of
	 * a std::map's tree in them (_Rb_tree<Key, Val, ...>). */
	const struct ctype **targs;
	size_t ntargs;
	struct ctype_enumerator *enums; /* ENUM */
	size_t nenums;
	uint64_t count; /* ARRAY: elements in the outermost dimension */
	/* Go types only (0/NULL otherwise), from Go's DWARF extensions:
	 * go_kind is reflect.Kind (DW_AT_go_kind: 21 map, 18 chan, 20
	 * interface...), go_key/go_elem a map's key and element types and a
	 * chan's element (DW_AT_go_key, DW_AT_go_elem). */
	uint8_t go_kind;
	const struct ctype *go_key, *go_elem;
	/* Go: a generic function's type parameter (the typedef ".param1"
	 * whose target is a shape, go.shape.int_0) carries 1 + its index in
	 * the function's dictionary (DW_AT_go_dict_index), where the
	 * concrete type's runtime descriptor is; 0 for every other type. */
	uint32_t go_dict_slot;
};

/* Follows typedefs (and nothing else) down to the type they name. */
const struct ctype *ctype_strip(const struct ctype *t);

#endif
