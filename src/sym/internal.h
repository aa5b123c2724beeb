/* sym/internal.h: what the files of src/sym share and nobody else sees.
 *
 * symtab.c    open/close, the indexes, lookups, return sites
 * elfsym.c    .symtab/.dynsym: the symbol array, functions DWARF lacks
 * dwfunc.c    DWARF subprograms: names, ranges, entry_pc, params
 * dwloc.c     location expressions to loc pieces, frame base, CFA
 * dwtype.c    the ctype graph
 * gotype.c    Go: runtime type descriptors to ctypes
 * calls.c     what a function calls (--follow-calls)
 * protoparams.c  a function's types from its prototype when DWARF has none
 * cxxname.c   demangling and trimming C++ names
 * debugfile.c the separate debug file of an image without DWARF
 * arena.c     the bump allocator that owns names and types */
#ifndef TINYDBG_SYM_INTERNAL_H
#define TINYDBG_SYM_INTERNAL_H

#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include "base/errbuf.h"
#include "base/xalloc.h"
#include "sym/symtab.h"

/* arena: many small allocations freed together with the symtab. */
struct arena_chunk;
struct arena {
	struct arena_chunk *head;
};

void *arena_alloc(struct arena *a, size_t n); /* zeroed, 16-aligned */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_release(struct arena *a);

/* An ELF symbol (function-like: STT_FUNC or STT_GNU_IFUNC, defined). */
struct elfsym {
	uint64_t addr, size;
	const char *name; /* in the file image: valid while the Elf is open */
	bool ifunc;       /* STT_GNU_IFUNC: addr is the resolver */
	bool weak;        /* STB_WEAK */
};

/* One loadable piece of the file image, for symtab_read. */
struct segment {
	uint64_t vaddr, memsz;
	uint64_t off, filesz;
	bool exec;
};

/* A range of a function, for address lookups. */
struct range_ent {
	uint64_t lo, hi;
	size_t fi; /* index in funcs */
};

struct dwtype;

struct inline_name {
	Dwarf_Off origin;
	const char *name;
};

struct symtab {
	char *path;
	int fd;
	Elf *elf;
	Dwarf *dw; /* NULL without (usable) DWARF */
	/* The separate debug file dw was read from (debugfile.c), or
	 * dbg_elf NULL and dbg_fd -1: its .symtab adds to st->syms, its
	 * code sections are empty, so code is read from fd. */
	int dbg_fd;
	Elf *dbg_elf;
	char *dbg_path;
	/* symtab_open_lazy: the functions are the symbols' (dbg_elf's
	 * .symtab included) and dw is opened on the first symtab_func_load
	 * (dbg_tried), each function then taking its DIE (dwfunc.c). */
	bool dbg_lazy, dbg_tried;
	Dwarf_CFI *cfi_eh;  /* .eh_frame: ours to end */
	Dwarf_CFI *cfi_dbg; /* .debug_frame: owned by dw */
	size_t image_size; /* the file's */
	bool pie;
	uint64_t entry;
	enum sym_lang file_lang; /* for functions known only by symbol */
	bool go_pclntab;  /* the functions came from .gopclntab (no symbols) */

	struct segment *segs;
	size_t nsegs;

	VEC(struct func) funcs;
	size_t *by_name; /* func indexes sorted by name, then address */
	struct range_ent *rindex; /* sorted by lo */
	size_t nrindex;

	/* Functions inlined at every call (DWARF describes them, but no copy
	 * has code): names, sorted, unique; filled while reading DWARF, then
	 * cut down to these by symtab_open. */
	VEC(char *) inlined;

	struct elfsym *syms; /* sorted by address */
	size_t nsyms;

	struct arena arena;
	struct dwtype *types;
	struct gotype_index *gotypes; /* built on first use */
	struct reloc_index *relocs;   /* calls.c: jump slots, on first use */
	/* dwfunc.c: names of inlined functions by their abstract origin's
	 * DIE offset, computed once (C++ names are demangled into the
	 * arena, which would grow with every stack otherwise) */
	VEC(struct inline_name) inline_names;
};

/* symtab.c */
bool symtab_addr_exec(const struct symtab *st, uint64_t addr);
struct insn;
/* Calls fn on each instruction of f's code, in address order per range
 * (a range ends early at undecodable bytes). Stops at fn's first non-zero
 * return and returns it; a negative errno when the code cannot be read. */
int symtab_walk_code(const struct symtab *st, const struct func *f,
		     int (*fn)(void *ctx, const struct insn *in), void *ctx,
		     struct errbuf *eb);
/* Rebuilds rindex from the functions' ranges (used again after adding
 * functions from the symbol tables). */
void symtab_index_ranges(struct symtab *st);
/* The same after f's ranges alone changed (an IFUNC moved onto its
 * implementation, for each of a C library's ~100 at every start): in
 * place, in linear time. */
void symtab_reindex_func(struct symtab *st, const struct func *f);

/* debugfile.c: whether st has no DWARF of its own; then finds and opens
 * its separate debug file into dbg_fd, dbg_elf and dbg_path (0), or
 * -ENOENT when there is none to use. */
bool debugfile_needed(struct symtab *st);
int debugfile_open(struct symtab *st);
void debugfile_close(struct symtab *st);

/* elfsym.c: reads .symtab and .dynsym (of the debug file too) into st->syms. Returns the number of
 * symbols found, or a negative errno for a corrupt table. */
int elfsym_load(struct symtab *st, struct errbuf *eb);
/* The first function symbol starting exactly at addr (not a .cold part),
 * or NULL. */
const struct elfsym *elfsym_at(const struct symtab *st, uint64_t addr);
/* The symbol containing addr (size 0 symbols only at their address). */
/* Whether elf has a section named name (with_bytes: one that holds
 * bytes in the file, not SHT_NOBITS). */
bool elf_has_section(Elf *elf, const char *name, bool with_bytes);
const struct elfsym *elfsym_containing(const struct symtab *st,
				       uint64_t addr);
/* True for "foo.cold" and "foo.cold.N": a split-off part of foo. */
bool elfsym_is_cold(const char *name);
/* The compiler's suffix of a C or C++ symbol naming a clone or a renamed
 * copy of a function (".part.0", ".isra.0", ".constprop.0.isra.0",
 * ".lto_priv.0"): from its first '.', which no C identifier or mangled
 * name contains. NULL when there is none. Not for Go's symbols. */
const char *elfsym_clone_suffix(const char *name);
/* Adds a function (has_dwarf false) for every function symbol that no
 * DWARF function covers. */
void elfsym_add_funcs(struct symtab *st);

/* gopclntab.c: a Go binary without symbols or DWARF. gopclntab_syms: its
 * functions from .gopclntab as symbols (*out malloc'd, names in the file
 * image), their count (0: none). gopclntab_entry: where the entry
 * tracepoint of the function at [lo, hi) goes (after its stack check).
 * gobuildinfo_version: "go1.19.8", from .go.buildinfo. */
size_t gopclntab_syms(struct symtab *st, struct elfsym **out);
uint64_t gopclntab_entry(struct symtab *st, uint64_t lo, uint64_t hi);
int gobuildinfo_version(struct symtab *st, char *buf, size_t size);

/* protoparams.c: f (no DWARF; C or unknown language) gets its params,
 * result type and variadic from its prototype (proto/), if it has one, and
 * has_proto. protoparams_drop undoes it (an IFUNC moved onto its
 * implementation). */
void protoparams_apply(struct symtab *st, struct func *f);
void protoparams_drop(struct func *f);

/* dwfunc.c: adds every DWARF function. Returns how many, or a negative
 * errno when the DWARF is unusable (the caller falls back to symbols). */
int dwfunc_load(struct symtab *st, struct errbuf *eb);
/* Reads what add_func left for later: f's params, results, result type
 * and (Go) its entry past the prologue. Once per function. */
void dwfunc_complete(struct symtab *st, struct func *f);
/* The instruction after an endbr64 at addr, or addr. */
uint64_t dwfunc_skip_endbr(const struct symtab *st, uint64_t addr);

/* dwloc.c */
struct frame_base {
	bool known;
	bool cfa;    /* the base is the CFA itself, so DW_OP_call_frame_cfa
	              * (Go's stack arguments) can be read from it too */
	int reg;     /* the base is reg(reg) + off */
	int64_t off;
};
/* Where DW_OP_fbreg counts from at pc, for the subprogram die. */
void dwloc_frame_base(struct symtab *st, Dwarf_Die *fn, uint64_t pc,
		      struct frame_base *fb);
/* Translates one location expression (valid at pc) into pieces. at_entry:
 * pc is the function's first address, where DW_OP_entry_value(reg) is reg
 * itself. out->pieces is malloc'd; the ops of LOC_EXPR pieces live in ar
 * (NULL ar: such pieces are LOC_OPTIMIZED). */
void dwloc_translate(struct arena *ar, Dwarf_Attribute *attr,
		     const Dwarf_Op *ops, size_t n,
		     const struct frame_base *fb, bool at_entry,
		     struct loc *out);
/* The loc of a DW_AT_const_value attribute of a value of type t. */
void dwloc_const(Dwarf_Attribute *attr, const struct ctype *t,
		 struct loc *out);
/* True when the expression reads the frame base (DW_OP_fbreg) or the CFA
 * (DW_OP_call_frame_cfa), which dwloc_frame_base gives when it is the
 * frame base. */
bool dwloc_uses_fbreg(const Dwarf_Op *ops, size_t n);
/* True when the expression reads the callee's own frame, which only exists
 * once the prologue has run: any fbreg from a register frame base (clang
 * -O0's rbp), a negative one from the CFA (gcc -O0's spill slots). A
 * positive offset from the CFA is the caller's stack arguments, valid from
 * the first instruction. */
bool dwloc_in_frame(const Dwarf_Op *ops, size_t n, bool cfa_base);
/* The CFA rule at pc (fb->known false when there is none), from
 * .eh_frame or .debug_frame. */
void dwloc_cfa_at(struct symtab *st, uint64_t pc, struct frame_base *fb);
/* Go writes a fixed location (a stack argument's DW_OP_call_frame_cfa)
 * as DW_FORM_block1, which libdw takes for an expression only in DWARF 2
 * and 3 CUs, and Go's are version 4. The bytes are those of an exprloc
 * when the length is below 128 (one byte of ULEB128 either way): such an
 * attribute is relabelled so that libdw reads it. */
void dwloc_block_as_exprloc(Dwarf_Attribute *attr);
/* True when fn's DW_AT_frame_base is DW_OP_call_frame_cfa. */
bool dwloc_frame_is_cfa(Dwarf_Die *fn);

/* dwtype.c: the ctype of the type DIE die (NULL die: void), built once per
 * DIE and owned by st; lang picks the naming style ("struct point" in C,
 * "point" in C++). Never NULL. */
const struct ctype *dwtype_get(struct symtab *st, Dwarf_Die *die,
			       enum sym_lang lang);
/* The type of die's DW_AT_type (following abstract origins); NULL for none
 * (void). */
const struct ctype *dwtype_of(struct symtab *st, Dwarf_Die *die,
			      enum sym_lang lang);
const struct ctype *dwtype_unknown(struct symtab *st);
void dwtype_free(struct symtab *st);

/* Go's DWARF extensions (cmd/internal/dwarf). */
#define DW_AT_GO_KIND 0x2900
#define DW_AT_GO_KEY 0x2901
#define DW_AT_GO_ELEM 0x2902
#define DW_AT_GO_RUNTIME_TYPE 0x2904
#define DW_AT_GO_DICT_INDEX 0x2906

/* gotype.c: the index from Go runtime type offsets to type DIEs. */
struct gotype_index;
void gotype_free(struct symtab *st);

/* calls.c */
struct reloc_index;
/* The symbol whose GOT slot (JUMP_SLOT or GLOB_DAT) is at link-time
 * address slot, or NULL. */
const char *symtab_reloc_name(struct symtab *st, uint64_t slot);
void calls_free(struct symtab *st);

/* cxxname.c: the display name of a mangled C++ name: demangled, without
 * its parameter list, qualifiers, clone suffixes and (for templates) result
 * type. NULL when name does not demangle. Allocated in the arena. */
char *cxxname_display(struct arena *a, const char *mangled);

#endif
