/* symtab: one ELF executable's functions, their parameters and types.
 *
 * Built once from DWARF (DW_TAG_subprogram with code, concrete out-of-line
 * instances included) and, for functions DWARF does not describe or when
 * there is no DWARF at all, from .symtab/.dynsym. All addresses here are
 * link-time (file) addresses; the debugger adds the load bias.
 *
 * A symtab owns every string, type and array it hands out; they stay valid
 * until symtab_close(). Not thread-safe for concurrent use. */
#ifndef TINYDBG_SYM_SYMTAB_H
#define TINYDBG_SYM_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/errbuf.h"
#include "sym/ctype.h"
#include "sym/loc.h"

enum sym_lang { LANG_UNKNOWN, LANG_C, LANG_CPP, LANG_GO };

struct addr_range {
	uint64_t lo, hi; /* [lo, hi) */
};

struct param {
	char *name;               /* "" when DWARF gives none */
	const struct ctype *type; /* never NULL (CT_UNKNOWN when unknown) */
	struct loc loc;           /* where it is at the func's entry_pc */
};

enum ret_site_kind {
	RET_SITE_RET,     /* a ret instruction */
	RET_SITE_TAILJMP, /* a jmp/jcc that may leave the function: a tail call
	                   * when its target at run time is outside .ranges */
};

struct ret_site {
	uint64_t addr;
	enum ret_site_kind kind;
	/* RET: where a 5-byte jump could replace the ret and the
	 * instructions just before it (link-time; 0: nowhere). Those run
	 * anywhere (no branch, no call), and no branch of the function,
	 * switch tables included, lands after patch_lo up to the ret: an
	 * engine may run them elsewhere and catch the return there. Or the
	 * ret itself, when the bytes after it up to 5 are padding (int3s or
	 * nops in no function or symbol). 0 too when the function jumps
	 * through a table it cannot read. */
	uint64_t patch_lo;
};

struct func {
	char *name;         /* qualified display name: "add", "ns::Klass::method" */
	char *linkage_name; /* mangled/ELF symbol name, or NULL */
	size_t base_len;    /* a compiler's clone of another function, named
	                     * as its ELF symbol says ("foo.part.0",
	                     * "foo.isra.0", "foo.constprop.0"): the length
	                     * of the part naming the original ("foo");
	                     * 0 for any other function */
	uint64_t low_pc;    /* first instruction */
	uint64_t entry_pc;  /* where the entry tracepoint goes (see below) */
	struct addr_range *ranges; /* all code ranges (.cold parts included) */
	size_t nranges;
	struct param *params;
	size_t nparams;
	bool has_dwarf;     /* false: from the symbol table only (args unknown
	                     * unless has_proto) */
	bool has_proto;     /* no DWARF, but params, ret_type and variadic
	                     * from a prototype (proto/: the C library's
	                     * functions, ltrace's files) */
	bool variadic;
	const struct ctype *ret_type; /* NULL: void (or unknown without DWARF);
	                               * always NULL for Go: see results */
	struct param *results; /* Go: the results, named or "~r0"..., with
	                        * their locs valid at a ret instruction */
	size_t nresults;
	/* Go: a generic function's dictionary, its hidden parameter .dict
	 * (which is not in params): where the dictionary's address is at
	 * entry_pc, and at the ret instructions (npieces 0: not known
	 * there). A type parameter's concrete type is read through it (see
	 * ctype's go_dict_slot). */
	bool has_go_dict;
	struct loc go_dict, go_dict_ret;
	enum sym_lang lang;
	const char *file;   /* declaring source file, or NULL */
	int line;
	/* Filled by symtab_func_load only: entry_pc (low_pc until then),
	 * file, params, variadic, ret_type, results. */
	bool complete;
	uint64_t die;       /* the DWARF DIE's offset (has_dwarf) */
	/* An STT_GNU_IFUNC symbol: its resolver (link-time), which low_pc and
	 * ranges describe until symtab_ifunc_set_impl moves them onto the
	 * implementation the resolver chose at run time (ifunc_set). */
	uint64_t ifunc_resolver;
	bool ifunc_set;
};
/* Whether f's params and result have types (DWARF or a prototype). */
static inline bool func_typed(const struct func *f)
{
	return f->has_dwarf || f->has_proto;
}

/* entry_pc: the address where every param's loc is valid. C and C++: low_pc
 * (after an endbr64, if any), where each argument is where the caller put it;
 * a param DWARF cannot place there (-O0's frame slots, filled only by the
 * prologue) gets its loc from the System V calling convention. Go: the end of
 * the prologue (after the stack-growth check). */

struct symtab;

/* Opens the ELF file at path and reads its symbols and DWARF. Fails (returning
 * a negative errno, message in eb) when the file is missing, unreadable, not an
 * ELF, not x86-64, or has neither DWARF nor a symbol table. */
int symtab_open(struct symtab **out, const char *path, struct errbuf *eb);
/* The same for a library: a separate debug file's DWARF (not the file's
 * own) is read only when a function is loaded (symtab_func_load), and
 * the functions are those of the symbol tables (the debug file's
 * included), named as their symbols are. */
int symtab_open_lazy(struct symtab **out, const char *path,
		     struct errbuf *eb);
void symtab_close(struct symtab *st);

bool symtab_has_dwarf(const struct symtab *st);
/* The separate debug file st's DWARF came from (see debugfile.c: by
 * build-id under /usr/lib/debug or $TINYDBG_DEBUG_DIR, by .gnu_debuglink,
 * or from debuginfod), or NULL when it came from the file itself or there
 * is none. */
const char *symtab_debug_path(const struct symtab *st);

/* What the symbol layer has to say while it works, since a lookup of debug
 * files may take a while or find a wrong file: a download from debuginfod
 * under way (a note), a debug file ignored (a warning). One line each,
 * without a prefix or newline. Set once by a main, before any
 * symtab_open; NULL (the default) drops them. fn may be called from any
 * thread that opens a symtab. */
enum symtab_notice { SYMTAB_NOTE, SYMTAB_WARNING };
void symtab_set_notice(void (*fn)(enum symtab_notice kind, const char *msg));
bool symtab_is_pie(const struct symtab *st);   /* ET_DYN */
bool symtab_is_go(const struct symtab *st);    /* built by the Go toolchain */
/* True when path names the file st was read from. */
bool symtab_same_file(const struct symtab *st, const char *path);
/* The same, for a file not opened yet (cheap: section headers only). */
bool symtab_path_is_go(const char *path);
uint64_t symtab_entry(const struct symtab *st); /* e_entry */
const char *symtab_path(const struct symtab *st);

size_t symtab_nfuncs(const struct symtab *st);
/* Function i, as the index knows it: name, ranges, low_pc, lang, file.
 * Its params, results and entry_pc need symtab_func_load. */
const struct func *symtab_func(const struct symtab *st, size_t i);
/* The nth (from 0) function named name, by address; NULL when there are
 * fewer (static functions, aliases and overloads share names). */
const struct func *symtab_func_named(const struct symtab *st,
				     const char *name, size_t nth);
/* f (from this symtab) with everything read: what a tracepoint needs. The
 * details are read from DWARF on first use, since a trace needs them for
 * a few functions and a big program has tens of thousands. */
const struct func *symtab_func_load(struct symtab *st, const struct func *f);

/* Every function whose name matches the PCRE2 regexp (unanchored, like
 * Delve's; RE2-style syntax such as (?i) and \. works), a clone also when
 * the name of its original matches ("^foo$" matches foo.part.0, since that
 * code does foo's work; "^foo\.part" only the clone). Appends indexes
 * (ascending by name, then address) to *idx (a malloc'd array the caller
 * frees) and sets *n. Returns 0, or -EINVAL with the compiler's message when
 * the regexp does not compile. */
int symtab_match(const struct symtab *st, const char *regexp, size_t **idx,
		 size_t *n, struct errbuf *eb);

/* The functions matching regexp (as symtab_match) that the compiler
 * inlined at every call: DWARF describes them, but they have no code of
 * their own to trace. *names (malloc'd; the names belong to st) is sorted;
 * returns 0 or -EINVAL for a bad regexp. */
int symtab_match_inlined(const struct symtab *st, const char *regexp,
			 const char ***names, size_t *n, struct errbuf *eb);

/* A function-name regexp, as symtab_match takes it, for testing names one
 * by one (the matched calls of --follow-calls). */
struct name_re;
int name_re_compile(struct name_re **out, const char *regexp,
		    struct errbuf *eb);
bool name_re_match(struct name_re *r, const char *name);
/* Whether r matches f as symtab_match does: its name or, for a clone,
 * the name of its original. */
bool name_re_match_func(struct name_re *r, const struct func *f);
void name_re_free(struct name_re *r);

/* The function whose ranges contain addr (link-time), or NULL. */
const struct func *symtab_func_at(const struct symtab *st, uint64_t addr);
/* True when addr (link-time) is in one of f's ranges. */
bool symtab_in_ranges(const struct func *f, uint64_t addr);

/* The name of the function or ELF symbol containing addr, or NULL. Used to
 * print function pointers. */
const char *symtab_name_at(const struct symtab *st, uint64_t addr);

/* The ways out of f: every ret, and every jump that may leave its ranges
 * (tail calls; not for Go), decoded from the code. Returns a count, fills a malloc'd
 * array the caller frees; negative errno on failure. */
int symtab_return_sites(const struct symtab *st, const struct func *f,
			struct ret_site **sites, size_t *n, struct errbuf *eb);

/* Go: the type whose runtime descriptor (runtime._type) is at link-time
 * address addr, as an interface value or a map header points to it; NULL
 * when the program has no such type (or is not Go). Builds an index on
 * first use, hence not const. */
const struct ctype *symtab_go_rtype(struct symtab *st, uint64_t addr);
/* Go: the constants of integer type t (a type of this symtab) with a
 * package-qualified name ("main.Color": "main.Red"...), sorted by value and
 * named without the type's package ("Red"), as Delve describes such values;
 * 0 when there are none. Shares symtab_go_rtype's index. */
size_t symtab_go_consts(struct symtab *st, const struct ctype *t,
			const struct ctype_enumerator **out);

/* Go: where a goroutine's descriptor (runtime.g, whose address a Go
 * thread keeps in its TLS, at fs_base + tls_off) holds its id and the top of its stack, from
 * DWARF: the layout changes between Go versions. */
struct go_g_layout {
	uint64_t goid_off;
	uint64_t stack_hi_off;
	uint64_t m_off;      /* g.m: the thread (runtime.m) running it */
	uint64_t curg_off;   /* m.curg: the user goroutine on that thread */
	int64_t tls_off;     /* g is at fs_base + tls_off (-8 unless the
	                      * system's linker placed runtime.tlsg) */
};
int symtab_go_g_layout(struct symtab *st, struct go_g_layout *out);

/* The call frame information's rule for the canonical frame address at
 * link-time pc: CFA = reg + off. -ENOENT when the CFI does not cover pc. */
int symtab_cfa_rule(struct symtab *st, uint64_t pc, int *reg, int64_t *off);

/* IFUNCs. The GOT slots (link-time addresses in st) that hold, once the
 * dynamic loader has relocated st, the implementation an IFUNC resolver
 * chose: first the R_X86_64_IRELATIVE slots whose addend is resolver (an
 * address of st; 0: none), then the JUMP_SLOT and GLOB_DAT slots naming
 * the symbol name (NULL: none). Up to max of them; returns the count. */
size_t symtab_ifunc_slots(struct symtab *st, uint64_t resolver,
			  const char *name, uint64_t *slots, size_t max);
/* Makes f (an IFUNC of st, f->ifunc_resolver set) describe impl, the
 * link-time address of the implementation its resolver chose: f keeps its
 * name, takes impl's extent (its symbol's, else its .eh_frame FDE's) and,
 * when a DWARF function starts there, its parameters. The resolver is no
 * longer traced as f. Returns 0; -EINVAL when impl is no code of st, or
 * -ENOENT when its extent is unknown (f is left alone). */
int symtab_ifunc_set_impl(struct symtab *st, const struct func *f,
			  uint64_t impl, struct errbuf *eb);

/* The symbol a call returning to ra (a link-time address of st's code) was
 * made by: the `call rel32` just before ra into a function of st or a PLT
 * stub (the stub's GOT slot's relocation names it; an IRELATIVE slot, the
 * IFUNC it is for), or the `call *slot(%rip)` (-fno-plt, -z now) through a
 * GOT slot, likewise. NULL when the bytes before ra are neither, when the
 * call goes to code several IFUNCs share (one of their implementations),
 * or when the slot names nothing. Reads st's file only. */
const char *symtab_call_name(struct symtab *st, uint64_t ra);

/* A call (or tail jump) in a function's code, for --follow-calls. */
struct call_site {
	uint64_t addr;            /* the instruction (link-time) */
	bool indirect;            /* call through a register or memory: the
	                           * target is known only when it runs */
	uint64_t target;          /* direct: the address called */
	const struct func *callee; /* direct, into this image: the function */
	const char *plt_name;     /* direct, into the PLT: the symbol the
	                           * stub jumps to (in another image) */
};

/* The calls f makes, decoded from its code: direct ones with their callee
 * (or, through the PLT, its name), and every indirect one. Returns a
 * count and a malloc'd array the caller frees; a negative errno on
 * failure. */
int symtab_calls(struct symtab *st, const struct func *f,
		 struct call_site **out, size_t *n, struct errbuf *eb);

/* The source file and line of link-time address addr, from the line
 * table of the function's compile unit; -ENOENT without DWARF there. The
 * file name stays valid until symtab_close. */
int symtab_line_at(struct symtab *st, uint64_t addr, const char **file,
		   int *line);

/* One logical frame at a pc: the function whose code is there, or a call
 * inlined into it. */
struct symtab_frame {
	const char *function; /* valid until symtab_close */
	const char *file;     /* NULL when unknown */
	int line;
	int inlined;          /* 0: the function itself; n > 0: a call
	                       * inlined n levels deep in it */
};

/* The logical frames at link-time address addr, innermost first, as gdb
 * and Delve show them: when addr lies in code DWARF says was inlined
 * (DW_TAG_inlined_subroutine), first the inlined function with the line
 * of addr, then each function it was inlined into, with the line of that
 * call (DW_AT_call_file/line), down to the function itself (named as
 * symtab_name_at names it). Without inlining, one frame: symtab_name_at
 * and symtab_line_at. Fills out[0..min(count, max)) and returns the count
 * (0 when addr is in no known function). */
size_t symtab_frames_at(struct symtab *st, uint64_t addr,
			struct symtab_frame *out, size_t max);

/* Reads len bytes of the file image at link-time address addr (code, data).
 * Returns 0 or -EFAULT when addr is not in a loaded section. */
int symtab_read(const struct symtab *st, uint64_t addr, void *buf, size_t len);

#endif
