/* value internals: what the loader's files share. Not for other modules. */
#ifndef TINYDBG_VALUE_INTERNAL_H
#define TINYDBG_VALUE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value/value.h"

/* A single read of target memory is capped: a bigger value (a huge array)
 * is read piecemeal, and only the parts we show. */
#define VALUE_BULK_MAX (64 * 1024)

/* vsrc_read's answer for bytes the loc does not supply. */
#define VALUE_ENODATA ENODATA

/* Where the bytes of the value being loaded come from.
 *
 * mem: the value lives in target memory at addr; buf holds a prefix of it
 * (nbuf bytes, possibly none) read in one go, the rest is read on demand.
 * !mem: the loc's pieces were assembled into buf; valid[i] says whether the
 * loc supplied byte i (a piece may be optimized out, a register shorter
 * than its piece). */
struct vsrc {
	const struct target_access *acc;
	const struct load_config *cfg;
	bool mem;
	uint64_t addr;
	uint8_t *buf;
	uint8_t *valid;
	size_t nbuf;
	const struct vsrc *up; /* a pointee's: the source of the value that
	                        * points to it (vload_pointee's cycle check) */
	/* buf and valid for a small value (a register argument, a scalar
	 * on the stack): no heap block per value loaded. vsrc_release
	 * frees what is not these. */
	uint8_t small[32], small_valid[32];
};

/* Copies n bytes at offset off of the value into out. Returns 0, -ENODATA
 * when the loc does not supply them (optimized out), or the read's negative
 * errno; *where is then the address that failed (0 for registers). */
int vsrc_read(const struct vsrc *s, uint64_t off, void *out, size_t n,
	      uint64_t *where);

/* Loads the part of s at offset off, of type t, into *v. depth counts the
 * aggregates around it (0: the top value). */
void vload_at(struct value *v, const char *name, const struct ctype *t,
	      const struct vsrc *s, uint64_t off, int depth);

/* Decodes a scalar of stripped type st from bytes (16 bytes, little-endian,
 * the type's size of them meaningful) into *v, which vinit prepared. */
void vload_scalar(struct value *v, const struct ctype *st,
		  const uint8_t bytes[16], const struct vsrc *s);

/* FollowPointers (-v 4): when v, just loaded at depth from s, is a
 * non-NULL pointer (VK_PTR) to a struct or union, loads the pointee as its
 * one child, at depth + 1, if that depth still shows members. NULL, an
 * incomplete type, and a pointer to a value being loaded (a cycle) are
 * not followed; a pointee whose first byte is unreadable is a child
 * marked unreadable. */
void vload_pointee(struct value *v, const struct ctype *st,
		   const struct vsrc *s, int depth);

/* Reads the NUL-terminated string at p into *v (VK_STRING). */
void vload_cstring(struct value *v, uint64_t p, const struct target_access *acc,
		   const struct load_config *cfg);

/* Aggregates (aggregate.c). */
void vload_struct(struct value *v, const struct ctype *st,
		  const struct vsrc *s, uint64_t off, int depth);
void vload_array(struct value *v, const struct ctype *st,
		 const struct vsrc *s, uint64_t off, int depth);
void vload_chars(struct value *v, const struct ctype *st,
		 const struct vsrc *s, uint64_t off);

/* C++ standard library types (cxxstd.c, cxxtypes.c). */
enum vcxx_kind {
	VCXX_NONE,
	VCXX_STRING,      /* p[0] the data pointer, p[1] the length */
	VCXX_STRING_VIEW, /* the same */
	VCXX_VECTOR,      /* p[0..2] start, finish, end of storage; elem */
	VCXX_ARRAY,       /* p[0] _M_elems, t[0] its array type (not an
	                   * array for std::array<T, 0>) */
	VCXX_DEQUE,
	VCXX_TREE,        /* map, multimap */
	VCXX_TREE_SET,    /* set, multiset */
	VCXX_HASH,        /* unordered_map, unordered_multimap */
	VCXX_HASH_SET,
	VCXX_UNIQUE,      /* p[0], t[0] the pointer */
	VCXX_SHARED,      /* p[0], t[0] the pointer; p[1] the control block's
	                   * address, p[2], p[3] the use and weak counts' in
	                   * it (4 bytes each) */
	VCXX_OPTIONAL,    /* p[0] the engaged byte; p[1], t[1] the value */
	VCXX_TUPLE,       /* n elements: p[i], t[i] */
	VCXX_PAIR,        /* p[0..1], t[0..1] first and second */
	VCXX_LIST,        /* p[0] the header's _M_next; the rest checked as
	                   * it loads */
	VCXX_VARIANT,     /* p[0], t[0] the index; n alternatives, each
	                   * p[i + 1], t[i + 1] (all at the same place) */
};

#define VCXX_MAX_PARTS 16

/* Where a std type's parts are in it, found by libstdc++'s member names:
 * what the loader reads, and what the capture compiler copies for it. */
struct vcxx_layout {
	enum vcxx_kind kind;
	const struct ctype *elem; /* a container's element type */
	uint64_t p[VCXX_MAX_PARTS];
	const struct ctype *t[VCXX_MAX_PARTS];
	size_t n;
	/* Bytes of the object: its DWARF size, or (clang's declaration
	 * of std::string) the layout's. */
	uint64_t size;
};

/* The layout of struct st (stripped); false when st is not a std type we
 * know or its members are not where libstdc++ puts them (it then loads
 * as a struct). */
bool vcxx_layout(const struct ctype *st, struct vcxx_layout *l);
/* Loads the std type st at offset off of s into v (vinit done) as its
 * pretty-printer shows it; false when vcxx_layout is (v is then
 * untouched). */
bool vcxx_load(struct value *v, const struct ctype *st, const struct vsrc *s,
	       uint64_t off, int depth);
/* The number of elements of n the loader shows at depth, under cfg. */
size_t vcxx_shown(const struct load_config *cfg, int depth, uint64_t n);
/* "std::vector<int>" for DWARF's bare "vector<int, std::allocator<int> >"
 * (malloc'd). */
char *vcxx_type_name(const char *bare);
/* The data member named name[0, n) of st, in st or (depth first) its base
 * classes; *off its offset in st. */
const struct ctype_member *vcxx_member(const struct ctype *st,
				       const char *name, size_t n,
				       uint64_t *off);
/* The type of the member at a dotted path ("_M_impl._M_start"), each step
 * through base classes too; *off its offset in st. NULL when not there. */
const struct ctype *vcxx_path(const struct ctype *st, const char *path,
			      uint64_t *off);
/* The first data member named name anywhere below st (members and bases,
 * depth first, a few levels), in a struct whose name starts with
 * in_prefix when that is not NULL. */
const struct ctype_member *vcxx_find(const struct ctype *st, const char *name,
				     const char *in_prefix, uint64_t *off);

/* The low 8 bytes of DWARF register reg (load.c). */
int vreg_read_u64(const struct target_access *acc, int reg, uint64_t *out);

/* dwexpr.c: evaluates the ops of a LOC_EXPR piece (see sym/loc.h) into
 * *result: the value itself when *is_value (DW_OP_stack_value), else the
 * address of the value's bytes. Returns 0, -ENODATA for an expression it
 * cannot evaluate (an unknown op, a malformed stack, a division by zero),
 * or a read's negative errno with *where the address that failed (0 for a
 * register). */
int dwexpr_eval(const struct loc_op *ops, size_t nops,
		const struct target_access *acc, uint64_t *result,
		bool *is_value, uint64_t *where);

/* Helpers (value.c). */
const struct ctype *vtype_strip(const struct ctype *t);
/* A 1-byte CT_CHAR, typedefs seen through. */
bool vtype_is_char(const struct ctype *t);
enum vkind vkind_of(const struct ctype *st);
/* Resets *v to an empty C value named name of type t (display name) and
 * the kind of st = vtype_strip(t). */
void vinit(struct value *v, const char *name, const struct ctype *t,
	   const struct ctype *st);
/* Marks v unreadable: err is -ENODATA ("optimized out") or a read error
 * (its strerror text); addr is where the read failed. */
void vfail(struct value *v, int err, uint64_t addr);

/* cfloat.c: the shortest %g text that reads back as x, for a value of the
 * given byte size (4 float, 8 double, else long double). "inf", "-inf",
 * "nan" for the special values. */
void cfloat_format(char *buf, size_t n, long double x, unsigned size);
/* Decodes a little-endian float of size 4, 8, or >= 10 (x87 extended). */
long double cfloat_decode(const uint8_t *bytes, unsigned size);

/* gotext.c: the length of the multi-byte UTF-8 sequence Go's decoder
 * accepts at s (n bytes left), its code point in *c; 0 when Go takes one
 * byte of it as U+FFFD. */
size_t go_utf8_seq(const unsigned char *s, size_t n, uint32_t *c);

/* gofmt.c: Delve's SinglelineString for values without VF_C. */
void value_format_go(const struct value *v, struct strbuf *sb);
/* Go values as Delve's FormatTraceVariable prints them at -v 2 (types
 * shortened) and, with newlines, at -v 3 and 4. */
void value_format_go_pretty(const struct value *v, struct strbuf *sb,
			    bool newlines);
/* Delve's api.ShortenType of a Go type name. */
void value_go_shorten_type(struct strbuf *sb, const char *type);

/* ---- Go values (goload.c, goiface.c, gotext.c) ---- */

/* True for a type from Go's DWARF. */
bool vgo_is_go(const struct ctype *t);
/* value_load for a Go type: s is where its bytes are. */
void vgo_load(struct value *out, const char *name, const struct ctype *t,
	      const struct vsrc *s);
/* A Go value of type t that could not be read at all (err as vfail's). */
void vgo_fail(struct value *out, const char *name, const struct ctype *t,
	      int err);

/* Delve's maxErrCount: unreadable elements before it loads no more. */
#define GO_MAX_ERRS 3

/* One top value being loaded. fm ("fake memory") below says that an
 * address is in comp, the bytes a loc assembled from registers, which
 * Delve places at fake; else it is in target memory. */
struct gctx {
	const struct target_access *acc;
	const struct load_config *cfg;
	const struct vsrc *comp;
	uint64_t fake;
	int budget;          /* nodes still to load */
	int max_level;       /* Delve's MaxVariableRecurse: the deepest
	                      * recurseLevel whose aggregates are loaded */
	uint64_t caddr;      /* a block of target memory read ahead */
	size_t clen;
	uint8_t cbuf[1024];
};

/* Reads n bytes at addr: -ERANGE past the assembled bytes. */
int gread(struct gctx *g, bool fm, uint64_t addr, void *buf, size_t n);
int gread_ptr(struct gctx *g, bool fm, uint64_t addr, uint64_t *p);
/* Reads ahead (up to the cache's size) of target memory at addr. */
void gcache(struct gctx *g, uint64_t addr, uint64_t n);
/* The text of a read error, as Delve words the ones it has. */
const char *gerr(int err, char *buf, size_t n);
/* Sets v->unreadable. */
void gfail(struct value *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Delve's kind of type t; *real is what decides it (the chan, map or
 * interface typedef, else t without typedefs). */
enum vkind gkind(const struct ctype *t, const struct ctype **real);
/* The member of struct st named name, or NULL. */
const struct ctype_member *gmember(const struct ctype *st, const char *name);
/* Bytes of a value of type t. */
uint64_t gsize(const struct ctype *t);
/* Delve's newVariable + loadValueInternal: the value of type t at addr,
 * level aggregates down (its recurseLevel); load false leaves it an
 * address (OnlyAddr). */
void gload(struct gctx *g, struct value *v, const char *name,
	   const struct ctype *t, bool fm, uint64_t addr, int level, bool load);
void gload_iface(struct gctx *g, struct value *v, const struct ctype *real,
		 bool fm, int level);
void gload_map(struct gctx *g, struct value *v, const struct ctype *real,
	       bool fm, int level);

/* gotext.c. strconv.FormatFloat(x, 'f', -1, bits), and Delve's +Inf,
 * -Inf, NaN. */
void gofloat_format(char *buf, size_t size, double x, int bits);
/* A Go string's bytes as the text of a value: what Delve's client gets
 * through JSON (an invalid UTF-8 byte is U+FFFD), with NUL written as
 * the two bytes C0 80 so that the text stays a C string. */
char *gostring_text(const uint8_t *s, size_t n);
/* The integer x of type t, as Delve writes it: "2", or "Blue (2)" when
 * t has constants. */
char *goint_text(const struct target_access *acc, const struct ctype *t,
		 int64_t x, bool is_signed);
/* Delve's text of a time.Time ("2009-11-10T23:00:00Z"), from its wall and
 * ext fields and its Location's name (NULL: UTC); NULL when Delve has
 * none we can reproduce (a zone other than UTC and Local). */
char *gotime_text(uint64_t wall, int64_t ext, const char *loc);

#endif
