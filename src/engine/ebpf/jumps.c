/* jumps: entries patched with a jump to a nop the kernel optimises
 * (jumps.h). */
#include "engine/ebpf/jumps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86.h"
#include "base/errbuf.h"
#include "capture/record.h"
#include "engine/jump/inject.h"
#include "engine/jump/tramp.h"
#include "engine/ptrace/ptrace.h"

/* A trampoline's room: the nop, at most 16 displaced bytes grown by
 * relocation (a short jcc becomes 6), the jump back (or for a ret site:
 * two lea of 8 bytes and the ret); 16-aligned. */
#define SLOT 64
/* A region's size: 1024 trampolines; another is made when it is full. */
#define REGION_SIZE (SLOT * 1024)

void jumps_init(struct jumps *j, struct engine *pt, pid_t pid)
{
	memset(j, 0, sizeof(*j));
	j->pt = pt;
	j->pid = pid;
}

void jumps_end(struct jumps *j)
{
	/* The uprobes about to go in copy the pages they are on: a later
	 * batch's trampolines, written to the memfd, would not show there. */
	for (size_t i = 0; i < j->regions.len; i++) {
		struct jump_region *r = &j->regions.items[i];

		r->used = (r->used + 0xfff) & ~(size_t)0xfff;
	}
	free(j->maps);
	j->maps = NULL;
	j->nmaps = 0;
}

/* A region for the image at addr with room for one more trampoline. */
static struct jump_region *region_for(struct jumps *j, uint64_t addr)
{
	for (size_t i = 0; i < j->regions.len; i++) {
		struct jump_region *r = &j->regions.items[i];

		if (addr >= r->img_lo && addr < r->img_hi &&
		    r->size - r->used >= SLOT && tramp_reaches(addr, r->at) &&
		    tramp_reaches(r->at + r->size, addr))
			return r;
	}
	return NULL;
}

/* Maps a new region near the image at addr: a memfd created in the
 * target by one of its stopped threads, mapped private there, shared
 * here. */
static struct jump_region *region_new(struct jumps *j, uint64_t addr)
{
	struct jump_region r = {.fd = -1};
	struct errbuf eb;
	uint64_t hint;
	pid_t tid;
	int err;

	if (!j->maps)
		j->nmaps = site_read_maps(j->pid, &j->maps);
	hint = site_near_gap(j->maps, j->nmaps, addr, REGION_SIZE, &r.img_lo,
			     &r.img_hi);
	if (!hint || (tid = inject_pick(j->pid)) < 0)
		return NULL;
	if (j->mute)
		j->mute(j->mute_ctx, tid, true);
	err = inject_memfd_at(tid, "tinydbg-nops", REGION_SIZE, hint,
			      PROT_READ | PROT_EXEC, MAP_PRIVATE, &r.at, &r.fd,
			      &eb);
	if (j->mute)
		j->mute(j->mute_ctx, tid, false);
	if (err)
		return NULL;
	/* The maps read before are stale now: a later region must not
	 * take the same gap. */
	free(j->maps);
	j->maps = NULL;
	r.ours = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r.fd, 0);
	if (r.ours == MAP_FAILED) {
		close(r.fd);
		return NULL;
	}
	r.size = REGION_SIZE;
	snprintf(r.path, sizeof(r.path), "/proc/%d/fd/%d", (int)getpid(),
		 r.fd);
	VEC_PUSH(&j->regions, r);
	return &j->regions.items[j->regions.len - 1];
}

/* How many bytes at p's entry a jump displaces, their bytes in code: or
 * a negative errno when they cannot move (tramp_displaced), or hold a
 * call or a jump (a call-site or tail-call probe may come for them
 * later, and a breakpoint inside the jump would break it). */
static int displaced(struct jumps *j, const struct probe *p, uint8_t *code)
{
	size_t avail = 16;
	int dlen;

	if (p->nranges && p->ranges[0].hi > p->addr &&
	    p->ranges[0].hi - p->addr < avail)
		avail = (size_t)(p->ranges[0].hi - p->addr);
	memset(code, 0, 16);
	if (ptrace_engine_ops.read_mem(j->pt, p->addr, code, avail))
		return -EFAULT;
	if (!memcmp(code, tramp_nop5, sizeof(tramp_nop5)))
		return -EEXIST; /* a nop already: the uprobe goes there */
	if ((dlen = tramp_displaced(code, avail, p->addr)) < 0)
		return dlen;
	return site_moves_freely(code, (size_t)dlen, p->addr) ? dlen
							      : -ENOTSUP;
}

/* The bytes a jump at ret site p's patch_lo displaces, in code: the
 * instructions up to the ret and the ret (and, when patch_lo is the ret,
 * the padding after it up to 5); *dlen: those before the ret, *rlen: the
 * ret's. Returns their count, or a negative errno. */
static int ret_displaced(struct jumps *j, const struct probe *p,
			 uint8_t *code, size_t *dlen, size_t *rlen)
{
	uint64_t lo = p->patch_lo;
	struct insn in;
	size_t len;

	if (!lo || lo > p->addr || p->addr - lo > 10)
		return -ENOTSUP;
	*dlen = (size_t)(p->addr - lo);
	memset(code, 0, 16);
	if (ptrace_engine_ops.read_mem(j->pt, lo, code, 16) &&
	    ptrace_engine_ops.read_mem(j->pt, lo, code, *dlen + 3))
		return -EFAULT;
	if (x86_decode(code + *dlen, 3, p->addr, &in) || in.cls != INSN_RET)
		return -ENOTSUP;
	*rlen = in.len;
	len = *dlen + in.len;
	if (!*dlen && len < 5)
		len = 5; /* padding after the ret (struct probe's patch_lo) */
	if (len < 5 || len > 16 || !site_moves_freely(code, *dlen, lo))
		return -ENOTSUP;
	return (int)len;
}

/* How far below the ret's stack pointer a uprobe on p's ret site must
 * run (tramp_nop_retsite): past the red zone and past every byte below
 * it that p's plan reads (a Go result at -N lives in the popped frame).
 * 0 when too far: a Go goroutine's stack has only its guard below a
 * frame, and a function that skips the stack check may not even have
 * that. */
static int32_t below_for(struct jumps *j, const struct probe *p)
{
	uint64_t deepest = 0;
	uint8_t b[8];

	for (uint32_t k = 0; p->plan && k < p->plan->nops; k++) {
		const struct cap_num *a = &p->plan->ops[k].addr;

		if (a->src == CAP_SRC_REG && a->reg == CAP_REG_RSP &&
		    a->disp < 0 && (uint64_t)-a->disp > deepest)
			deepest = (uint64_t)-a->disp;
	}
	deepest = (deepest + 8 + 15) & ~15ull;
	if (deepest < 128)
		deepest = 128;
	if (!p->go)
		return deepest <= 4096 ? (int32_t)deepest : 0;
	/* Go: the function checks its stack at entry (cmp 0x10(%r14),%rsp,
	 * or %r12 after lea -n(%rsp),%r12), which leaves StackGuard (928
	 * bytes) below its frame; the kernel's call pushes some 64. */
	if (!p->nranges || deepest > 768 ||
	    ptrace_engine_ops.read_mem(j->pt, p->ranges[0].lo, b, sizeof(b)))
		return 0;
	if (!memcmp(b, "\x49\x3b\x66\x10", 4) ||
	    (b[0] == 0x4c && b[1] == 0x8d && b[2] == 0x64 && b[3] == 0x24))
		return (int32_t)deepest;
	/* A leaf with a small frame skips the check: its caller's left it
	 * StackSmall (128 bytes) below the frame and the linker keeps a
	 * chain of such functions within StackLimit (800); a leaf is the
	 * chain's end. Only the runtime chains nosplit functions deep. */
	return site_calls(j->pt, p) ? 0 : (int32_t)deepest;
}

const struct jump *jumps_add(struct jumps *j, const struct probe *p,
			     const uint64_t *rips, size_t nrips,
			     bool (*busy)(void *ctx, const struct probe *p,
					  uint64_t lo, uint64_t hi),
			     void *ctx)
{
	bool entry = p->kind == PROBE_ENTRY;
	struct jump jp = {.site = p->addr};
	struct jump_region *r;
	struct tramp_buf b;
	uint8_t code[16], jmp[16];
	size_t dlen = 0, rlen = 0, nop_at = 0;
	int len;

	if (entry) {
		jp.addr = p->addr;
		len = displaced(j, p, code);
	} else if (p->kind == PROBE_RETURN && p->patch_lo &&
		   (jp.sp_bias = below_for(j, p))) {
		jp.addr = p->patch_lo;
		len = ret_displaced(j, p, code, &dlen, &rlen);
	} else {
		return NULL;
	}
	if (len < 0 || jumps_at(j, p->addr) ||
	    jumps_over(j, jp.addr, jp.addr + (uint64_t)len))
		return NULL;
	for (size_t k = 0; k < nrips; k++)
		if (rips[k] > jp.addr && rips[k] < jp.addr + (uint64_t)len)
			return NULL;
	/* A ret site's bytes: no branch lands in them (struct probe's
	 * patch_lo). */
	if (busy(ctx, p, jp.addr, jp.addr + (uint64_t)len) ||
	    (entry && site_jumped_into(j->pt, p, jp.addr, (size_t)len)))
		return NULL;
	if (!(r = region_for(j, jp.addr)) && !(r = region_new(j, jp.addr)))
		return NULL;
	b = (struct tramp_buf){r->ours + r->used, 0, SLOT, r->at + r->used};
	if ((entry ? tramp_nop_entry(&b, jp.addr, code, (size_t)len)
		   : tramp_nop_retsite(&b, jp.addr, code, dlen, code + dlen,
				       rlen, jp.sp_bias, &nop_at)) ||
	    !tramp_reaches(jp.addr, b.at))
		return NULL;
	/* The jump, then int3s: nothing runs the rest of the displaced
	 * bytes any more (nothing jumps into them). */
	tramp_jmp5(jmp, jp.addr, b.at);
	memset(jmp + 5, 0xcc, (size_t)len - 5);
	if (ptrace_engine_write_mem(j->pt, jp.addr, jmp, (size_t)len))
		return NULL;
	jp.len = (uint8_t)len;
	memcpy(jp.orig, code, (size_t)len);
	jp.nop = b.at + nop_at;
	jp.nop_off = r->used + nop_at;
	jp.region = (size_t)(r - j->regions.items);
	r->used += SLOT;
	VEC_PUSH(&j->jumps, jp);
	return &j->jumps.items[j->jumps.len - 1];
}

const struct jump *jumps_at(const struct jumps *j, uint64_t site)
{
	for (size_t i = 0; i < j->jumps.len; i++)
		if (j->jumps.items[i].site == site)
			return &j->jumps.items[i];
	return NULL;
}

const struct jump *jumps_over(const struct jumps *j, uint64_t lo,
			      uint64_t hi)
{
	for (size_t i = 0; i < j->jumps.len; i++) {
		const struct jump *jp = &j->jumps.items[i];

		if (lo < jp->addr + jp->len && jp->addr < hi)
			return jp;
	}
	return NULL;
}

const char *jumps_path(const struct jumps *j, const struct jump *jp)
{
	return j->regions.items[jp->region].path;
}

void jumps_undo(struct jumps *j, uint64_t site)
{
	for (size_t i = 0; i < j->jumps.len; i++) {
		const struct jump *jp = &j->jumps.items[i];

		if (jp->site != site)
			continue;
		/* The trampoline stays: a thread may be in it. */
		ptrace_engine_write_mem(j->pt, jp->addr, jp->orig, jp->len);
		j->jumps.items[i] = j->jumps.items[--j->jumps.len];
		return;
	}
}

void jumps_forget(struct jumps *j, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < j->jumps.len; i++)
		if (j->jumps.items[i].addr >= lo && j->jumps.items[i].addr < hi)
			j->jumps.items[i--] = j->jumps.items[--j->jumps.len];
}

void jumps_restore(struct jumps *j)
{
	for (size_t i = 0; i < j->jumps.len; i++) {
		const struct jump *jp = &j->jumps.items[i];

		ptrace_engine_write_mem(j->pt, jp->addr, jp->orig, jp->len);
	}
	j->jumps.len = 0;
}

void jumps_restore_child(const struct jumps *j, pid_t child)
{
	for (size_t i = 0; i < j->jumps.len; i++) {
		const struct jump *jp = &j->jumps.items[i];

		ptrace_engine_poke(child, jp->addr, jp->orig, jp->len);
		ptrace_engine_poke(child, jp->nop, tramp_nop5,
				   sizeof(tramp_nop5));
	}
}

void jumps_drop(struct jumps *j)
{
	for (size_t i = 0; i < j->regions.len; i++) {
		munmap(j->regions.items[i].ours, j->regions.items[i].size);
		close(j->regions.items[i].fd);
	}
	j->regions.len = 0;
	j->jumps.len = 0;
	free(j->maps);
	j->maps = NULL;
	j->nmaps = 0;
}

void jumps_free(struct jumps *j)
{
	jumps_drop(j);
	VEC_FREE(&j->regions);
	VEC_FREE(&j->jumps);
}
