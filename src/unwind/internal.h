/* unwind/internal.h: what the files of src/unwind share.
 *
 * cfirow.c   CFI rows: from libdw into struct row, and the (module, pc)
 *            cache of the simple ones
 * unwind.c   the walk: rules applied to registers and stack memory */
#ifndef TINYDBG_UNWIND_INTERNAL_H
#define TINYDBG_UNWIND_INTERNAL_H

#include <elfutils/libdw.h>
#include <stdbool.h>

#include "unwind/unwind.h"

/* The registers a walk tracks, by DWARF number: rax..r15 and rip, which is
 * also the return address column of every x86-64 CIE (gcc's, clang's and
 * Go's). Vector registers are never needed to find a caller. */
#define UNW_NREGS 17
#define UNW_RSP 7
#define UNW_RIP 16

enum rule_kind {
	RULE_UNDEF,      /* the caller's value is lost */
	RULE_SAME,       /* unchanged by this frame */
	RULE_OFFSET,     /* saved at CFA + off */
	RULE_VAL_OFFSET, /* is CFA + off */
	RULE_REG,        /* is this frame's register reg */
	RULE_EXPR,       /* saved at the address ops compute */
	RULE_VAL_EXPR,   /* is what ops compute */
};

struct rule {
	enum rule_kind kind;
	int reg;
	int64_t off;
	const Dwarf_Op *ops; /* EXPR rules: valid while the row's frame is */
	size_t nops;
};

/* One CFI row, for one pc. cfa is RULE_REG (reg + off: the usual case) or
 * RULE_VAL_EXPR (DW_CFA_def_cfa_expression). */
struct row {
	struct rule cfa;
	struct rule r[UNW_NREGS];
	int ra;      /* the return address column */
	bool signal; /* a signal frame (augmentation 'S') */
};

/* A cached row, compact (the cache holds thousands): only rows whose rules
 * are all simple get one. */
struct crule {
	uint8_t kind;
	uint8_t reg;
	int16_t off;
};

enum row_state {
	ROW_EMPTY,  /* a free slot */
	ROW_SIMPLE, /* rules below */
	ROW_NONE,   /* no CFI covers pc */
	ROW_LIVE,   /* expression rules: parsed from libdw at each use */
};

struct row_ent {
	const struct symtab *st;
	uint64_t pc;
	uint8_t state;
	uint8_t ra;
	uint8_t cfa_reg;
	bool signal;
	int32_t cfa_off;
	struct crule r[UNW_NREGS];
};

/* Stack memory read ahead in aligned blocks: a read of the target is a
 * system call, and a walk reads a few words from each of a few hundred
 * bytes of stack. Blocks are aligned to their size, which divides the page
 * size, so a block is readable exactly when the word asked for is. */
#define UNW_MEMBLK 4096
#define UNW_NMEMBLK 4

struct memblk {
	uint64_t base;
	bool valid;
	uint8_t data[UNW_MEMBLK];
};

struct unwinder {
	struct row_ent *rows; /* open addressing, power-of-two size */
	size_t cap, used;
	struct memblk blk[UNW_NMEMBLK];
	unsigned next_blk;
};

/* cfirow.c */
/* The row of link-time pc in st into *row. 0, or -ENOENT when no CFI
 * covers pc. A row with expression rules comes with *frame set: the
 * libdw frame its ops live in, which the caller frees once the row is
 * applied (NULL otherwise). */
int cfirow_get(struct unwinder *u, struct symtab *st, uint64_t pc,
	       struct row *row, Dwarf_Frame **frame);
void cfirow_cache_init(struct unwinder *u);
void cfirow_cache_release(struct unwinder *u);
void cfirow_cache_forget(struct unwinder *u, const struct symtab *st);

#endif
