/* capture: the values of a hit, copied at the hit by an engine that does
 * not stop the target, and read back later as if the thread were stopped.
 *
 *   compile  (capture_add_*)  a probe's values (type + loc) and the
 *                             debugger's own reads (return address,
 *                             goroutine, call operand, stack) -> cap_plan
 *   run      (capture_run)    executes a plan in user space against a
 *                             memory reader: the in-process engine's and
 *                             the tests' reference for the BPF program
 *   read     (capture_snapshot) a record as a struct target_access: the
 *                             value layer and the unwinder read it as they
 *                             read a stopped thread; what was not captured
 *                             is unreadable, never read from live memory.
 *
 * The plan and record layouts are in capture/record.h (shared with BPF). */
#ifndef TINYDBG_CAPTURE_CAPTURE_H
#define TINYDBG_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/errbuf.h"
#include "capture/record.h"
#include "sym/ctype.h"
#include "sym/loc.h"
#include "value/value.h"

/* Empties a plan. */
void capture_plan_init(struct cap_plan *p);

/* Adds registers (bit n: DWARF register n) to those a record of p must
 * carry (cap_plan.regmask): what the caller reads at a hit besides the
 * values and the ops, which the capture_add_* functions add themselves. */
void capture_plan_need(struct cap_plan *p, uint32_t regs);

/* Adds the ops that copy what value_load(t, loc, cfg) reads for a value
 * of language go (Go's loader) or C's. Returns 0, or -ENOTSUP when the
 * plan cannot hold it (too many ops, a location BPF cannot compute): the
 * caller then needs a stop for this probe. bias: the module's load bias
 * (LOC_MEM_ADDR). Values in xmm0..7 set CAP_PLAN_XMM; x87 (st) and
 * xmm8..15 are -ENOTSUP.
 *
 * Which loader runs is decided by the type, as value_load decides (go is
 * only a hint). On -ENOTSUP the plan is left as it was. Refused (the
 * probe takes a stop): an address computed by a DWARF expression, an
 * expression piece that reads memory; a value bigger than CAP_MAX_CHUNK
 * in memory; a Go interface whose data is loaded (its dynamic type is
 * known only at the hit), a map, a time.Time, a type parameter (see
 * capture_add_go_param). A C string is copied up to CAPTURE_CSTR_LEN
 * (1024) bytes: a longer one shows the length of the part copied. */
int capture_add_value(struct cap_plan *p, const struct ctype *t,
		      const struct loc *loc, const struct load_config *cfg,
		      bool go, uint64_t bias);

/* A generic Go function's value whose type t is a type parameter
 * (t->go_dict_slot set): adds what value_go_param_type reads (the
 * dictionary's address at dict, then the descriptor's slot in it; dict
 * NULL or empty: nothing, the shape is used) and the value as its shape
 * (t->target) lays it out, which is the concrete type's layout. Returns 0
 * or -ENOTSUP, as capture_add_value; also when what the loader reads
 * depends on more than the layout (pointers followed). */
int capture_add_go_param(struct cap_plan *p, const struct ctype *t,
			 const struct loc *loc, const struct loc *dict,
			 const struct load_config *cfg, uint64_t bias);

/* Adds one op copying len bytes at reg(base) + disp (flags: CAP_OP_*).
 * Returns the op's index, or -ENOTSUP when the plan is full. */
int capture_add_mem(struct cap_plan *p, int base_reg, int64_t disp,
		    uint32_t len, unsigned flags);

/* Adds one op copying a chain of up to nframes frame records (saved frame
 * pointer and return address, and the 16 bytes above) from reg(base), following
 * the saved frame pointers (CAP_OP_CHAIN). Returns the op's index, or
 * -ENOTSUP when the plan is full. */
int capture_add_chain(struct cap_plan *p, int base_reg, uint32_t nframes);

/* A memory reader for capture_run: 0 or a negative errno, all or nothing.
 * flags: the op's (CAP_OP_RUNTIME: memory known to be there). */
typedef int (*capture_read_fn)(void *ctx, uint64_t addr, void *buf,
			       size_t len, unsigned flags);

/* Runs plan p at a hit whose registers are regs[CAP_NREGS] (DWARF order)
 * and writes one CAP_REC_HIT record into buf (cap bytes). Fills the
 * header's regs, kind, size and nchunks; the caller fills probe, time,
 * pid, tid (and xmm). Returns the record's size, or -ENOSPC. */
long capture_run(const struct cap_plan *p, const uint64_t *regs,
		 capture_read_fn read, void *ctx, void *buf, size_t cap);

/* capture_run's chunks alone, from buf (cap bytes) on, for an engine
 * with a record header of its own: sets *nchunks; returns their bytes or
 * -ENOSPC. */
long capture_run_chunks(const struct cap_plan *p, const uint64_t *regs,
			capture_read_fn read, void *ctx, void *buf,
			size_t cap, uint16_t *nchunks);

/* A record read back. Points into the record (which must outlive it). */
struct capture_snapshot {
	const struct cap_record_hdr *hdr;
	const uint8_t *data;  /* the first chunk */
	size_t size;
};

/* Checks a record's framing (sizes, chunk lengths) and sets s to read it.
 * Returns 0 or -EINVAL for a malformed record. */
int capture_snapshot_init(struct capture_snapshot *s, const void *rec,
			  size_t len);

/* Fills acc's ctx, read_mem and read_reg to read s (read_mem: the bytes
 * of the chunks, a read spanning adjacent chunks included; anything else
 * -EFAULT; read_reg: the general registers, xmm when captured, fs_base
 * never). The other members of acc are left as they are. */
void capture_snapshot_access(struct capture_snapshot *s,
			     struct target_access *acc);

#endif
