/* value: typed values read from a stopped target, and their text.
 *
 * A struct value is a tree in the shape of Delve's api.Variable, so it can
 * cross the wire unchanged: scalars carry their text in .value, aggregates
 * carry children. It is data: the backend loads it at the moment of the hit,
 * the frontend prints it (value_format). */
#ifndef TINYDBG_VALUE_VALUE_H
#define TINYDBG_VALUE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "sym/ctype.h"
#include "sym/loc.h"

/* Delve's (Go reflect's) kinds; the numbers travel on the wire. */
enum vkind {
	VK_INVALID = 0, VK_BOOL = 1, VK_INT = 2, VK_INT8 = 3, VK_INT16 = 4,
	VK_INT32 = 5, VK_INT64 = 6, VK_UINT = 7, VK_UINT8 = 8, VK_UINT16 = 9,
	VK_UINT32 = 10, VK_UINT64 = 11, VK_UINTPTR = 12, VK_FLOAT32 = 13,
	VK_FLOAT64 = 14, VK_COMPLEX64 = 15, VK_COMPLEX128 = 16, VK_ARRAY = 17,
	VK_CHAN = 18, VK_FUNC = 19, VK_INTERFACE = 20, VK_MAP = 21,
	VK_PTR = 22, VK_SLICE = 23, VK_STRING = 24, VK_STRUCT = 25,
	VK_UNSAFEPTR = 26,
};

/* Delve's VariableFlags, plus ours from bit 16 up. */
enum vflag {
	VF_ARGUMENT = 8,
	VF_RETURN = 16,
	VF_C = 1 << 16, /* a C/C++ value: print it the C way */
	/* Go: two fields of Delve's api.Variable the tree has no room for.
	 * VF_GO_ONLYADDR is its OnlyAddr (an address, not loaded: a pointer's
	 * target, an interface's data one level down); VF_GO_BASE says its
	 * Base is not 0 (a slice's array, a map's hmap: not nil). */
	VF_GO_ONLYADDR = 1 << 17,
	VF_GO_BASE = 1 << 18,
	/* C++: a standard library type as its pretty-printer shows it:
	 * .value is the summary ("std::vector of length 3, capacity 4"), the
	 * children its first elements (VK_MAP: key, value, key...) or named
	 * parts ("get()"); see value/cxxstd.c. */
	VF_CXX = 1 << 19,
};

/* Go values (types with Go's DWARF) are loaded as Delve's trace loads them
 * (by default its ShortLoadConfig: no pointer followed, aggregates one
 * level deep; with -v, the level's LoadConfig) into the shape of its
 * api.Variable, and printed as it prints them; see goload.c. Where it prints "[...]" for the elements of slices, arrays and
 * maps, we load the first max_array of them. */

/* How C values map onto the tree:
 *  integers   kind by size/sign, .value "42"; char: VK_INT8/VK_UINT8 with a
 *             type named like "char", .value "97" (printed 97 'a')
 *  _Bool      VK_BOOL, "true"/"false"
 *  enum       VK_INT*, .value the enumerator's name, or the number
 *  float      VK_FLOAT32/64 (long double too), .value shortest round-trip
 *  pointer    VK_PTR, .value "0x7ffd1234" (0 prints NULL); .addr = pointee;
 *             with follow_pointers, a struct or union pointee as its one
 *             child (printed "0x7ffd1234 -> struct point {x: 1, y: 2}")
 *  char *     VK_STRING, .value the first max_string bytes (raw), .len the
 *             full length found, .addr the pointer; NULL → VK_PTR "0x0"
 *  func ptr   VK_FUNC, .value the symbol's name (or hex), "0x0" for NULL
 *  struct     VK_STRUCT, children = first max_fields members, .len = all
 *  union      VK_STRUCT with type "union u"
 *  array      VK_ARRAY, children = first max_array elements, .len = count
 *  reference  what it refers to, loaded as a value of the target type
 *             (its .type the reference's: "const string &")
 *  std::      C++ standard library types as gdb's libstdc++ printers show
 *             them (VF_CXX); std::string and std::string_view as char *
 *  unreadable .unreadable = "optimized out", or the read error; .addr set
 */
struct value {
	char *name;
	char *type;
	enum vkind kind;
	uint32_t flags;
	uint64_t addr;
	char *value;       /* scalar text; NULL for aggregates */
	int64_t len, cap;
	struct value *children;
	size_t nchildren;
	char *unreadable;  /* NULL when loaded fine */
};

/* What the value loader may touch in the target. All callbacks return 0 or a
 * negative errno. read_reg fills len bytes of DWARF register reg (xmm: 16
 * bytes, st: 10 bytes of x87 extended). name_at names the function at a
 * run-time address (NULL when unknown). bias: the load bias to add to
 * link-time addresses (LOC_MEM_ADDR). */
struct target_access {
	void *ctx;
	int (*read_mem)(void *ctx, uint64_t addr, void *buf, size_t len);
	int (*read_reg)(void *ctx, int reg, void *buf, size_t len);
	const char *(*name_at)(void *ctx, uint64_t addr);
	/* Go: the type whose runtime descriptor is at run-time address addr
	 * (an interface's dynamic type), or NULL. May be NULL itself. */
	const struct ctype *(*go_type)(void *ctx, uint64_t addr);
	/* Go: the constants declared with integer type t, sorted by value,
	 * named without their package (Delve prints a value of such a type
	 * as "Blue (2)"); 0 when there are none. May be NULL itself. */
	size_t (*go_consts)(void *ctx, const struct ctype *t,
			    const struct ctype_enumerator **out);
	/* Go: a counter the caller zeroes at each stop, shared by the values
	 * loaded there. A value assembled from registers has no address;
	 * Delve gives the n-th of a stop the fake address 0xbeef000000000000
	 * + n * 0x100 and prints it in places (an interface's data word), so
	 * we do the same. NULL: every such value gets the first. */
	unsigned *go_fake_n;
	uint64_t bias;
};

/* Delve's LoadConfig, reduced to what a trace needs. */
struct load_config {
	int max_string;    /* bytes of a string loaded (Delve's ShortLoadConfig: 64) */
	int max_fields;    /* struct fields loaded (3) */
	int max_array;     /* array elements (Go: map pairs too) loaded (we
	                    * show a few: 8) */
	int max_recurse;   /* nesting levels of aggregates loaded (1); Go:
	                    * Delve's MaxVariableRecurse + 1 */
	bool follow_pointers; /* load what a pointer points to (Delve's
	                       * FollowPointers): Go's; C's to a struct or
	                       * union, while max_recurse allows */
};
extern const struct load_config LOAD_SHORT;

/* Loads the value of type t found at loc into *out (which the caller owns and
 * frees with value_release), naming it name. Never fails: what cannot be read
 * is described in .unreadable and the rest is still loaded. */
void value_load(struct value *out, const char *name, const struct ctype *t,
		const struct loc *loc, const struct target_access *acc,
		const struct load_config *cfg);

/* Go: the type a value of a generic function's type parameter t (a
 * ctype with go_dict_slot, as .param0) is loaded as, found as Delve finds
 * it: the concrete type whose runtime descriptor is in the function's
 * dictionary (at the address dict's loc holds), main.Pair[string,int];
 * when that cannot be read, the shape t stands for (go.shape.int_0). Every
 * other type is returned as it is. */
const struct ctype *value_go_param_type(const struct ctype *t,
					const struct loc *dict,
					const struct target_access *acc);

void value_release(struct value *v);
/* Deep copy. */
void value_copy(struct value *dst, const struct value *src);

/* Appends v's single-line text to sb, as tinydbg prints it: C values the C
 * way (see the table above), Go values as Delve does. */
void value_format(const struct value *v, struct strbuf *sb);

/* Appends v's text at a -v level, as Delve's FormatTraceVariable: 0 as
 * value_format; 1 "<type>" only (Go's shortened: no package path); 2 the
 * value, Go's types shortened; 3 and 4 the same with nested aggregates on
 * lines of their own. */
void value_format_trace(const struct value *v, int verbosity,
			struct strbuf *sb);

#endif
