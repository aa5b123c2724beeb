/* tramp: trampolines as machine code (tramp.h). */
#include "engine/jump/tramp.h"

#include <errno.h>
#include <string.h>

#include "arch/x86.h"

/* The frame: 8 bytes (where the flags once went), then FRAME bytes below
 * them. With rsp = 8 mod 16 at a function's entry (the return address
 * just pushed), rsp is 16-aligned after both, as the call into the agent
 * needs. */
#define FRAME 0x1f0
#define XMM_AT 0x90 /* regs + 18: after regs[0..16] and one pad slot */
/* The System V red zone: 128 bytes below the stack pointer. */
#define REDZONE 128

/* Hardware numbers of the registers in DWARF order 0..15. */
static const uint8_t hw_of_dwarf[16] = {0, 2, 1, 3, 6, 7, 5, 4,
					8, 9, 10, 11, 12, 13, 14, 15};

static int put(struct tramp_buf *b, const void *bytes, size_t n)
{
	if (b->len + n > b->cap)
		return -ENOSPC;
	memcpy(b->p + b->len, bytes, n);
	b->len += n;
	return 0;
}

static void put32(uint8_t *at, uint32_t v)
{
	memcpy(at, &v, 4);
}

static uint64_t here(const struct tramp_buf *b)
{
	return b->at + b->len;
}

/* mov %reg, disp32(%rsp) (store) or mov disp32(%rsp), %reg (load). */
static int mov_rsp(struct tramp_buf *b, int hw, uint32_t disp, int load)
{
	uint8_t c[8] = {(uint8_t)(0x48 | (hw >= 8 ? 4 : 0)),
			(uint8_t)(load ? 0x8b : 0x89),
			(uint8_t)(0x84 | ((hw & 7) << 3)), 0x24};

	put32(c + 4, disp);
	return put(b, c, 8);
}

/* movups %xmmN, disp32(%rsp) or back. */
static int movups_rsp(struct tramp_buf *b, int n, uint32_t disp, int load)
{
	uint8_t c[8] = {0x0f, (uint8_t)(load ? 0x10 : 0x11),
			(uint8_t)(0x84 | (n << 3)), 0x24};

	put32(c + 4, disp);
	return put(b, c, 8);
}

/* lea disp32(%rsp), %reg */
static int lea_rsp(struct tramp_buf *b, int hw, int32_t disp)
{
	uint8_t c[8] = {(uint8_t)(0x48 | (hw >= 8 ? 4 : 0)), 0x8d,
			(uint8_t)(0x84 | ((hw & 7) << 3)), 0x24};

	put32(c + 4, (uint32_t)disp);
	return put(b, c, 8);
}

static int movabs_rax(struct tramp_buf *b, uint64_t v)
{
	uint8_t c[10] = {0x48, 0xb8};

	memcpy(c + 2, &v, 8);
	return put(b, c, 10);
}

/* Saves the registers into the frame; regs[7] = rsp_disp(%rsp) (the
 * caller's view of rsp), regs[16] = rip; xmm0..7 only when xmm (the
 * agent uses none: only a plan that reads them needs them). The flags
 * are not kept: every trampoline runs where they are dead (a function's
 * entry, its ret; the ABIs keep none across a call, and DF is clear). */
static int save(struct tramp_buf *b, int32_t rsp_disp, uint64_t rip, bool xmm)
{
	static const uint8_t enter[] = {
		0x48, 0x8d, 0xa4, 0x24, 0x08, 0xfe, 0xff, 0xff, /* lea -0x1f8(%rsp),%rsp */
	};
	int err = put(b, enter, sizeof(enter));

	for (int r = 0; r < 16 && !err; r++)
		if (r != 7)
			err = mov_rsp(b, hw_of_dwarf[r], (uint32_t)(8 * r), 0);
	for (int n = 0; xmm && n < 8 && !err; n++)
		err = movups_rsp(b, n, (uint32_t)(XMM_AT + 16 * n), 0);
	if (!err)
		err = lea_rsp(b, 0, rsp_disp);
	if (!err)
		err = mov_rsp(b, 0, 8 * 7, 0);
	if (!err)
		err = movabs_rax(b, rip);
	if (!err)
		err = mov_rsp(b, 0, 8 * 16, 0);
	return err;
}

static int restore(struct tramp_buf *b, bool xmm)
{
	static const uint8_t leave[] = {
		0x48, 0x8d, 0xa4, 0x24, 0xf8, 0x01, 0x00, 0x00, /* lea 0x1f8(%rsp),%rsp */
	};
	int err = 0;

	for (int n = 0; xmm && n < 8 && !err; n++)
		err = movups_rsp(b, n, (uint32_t)(XMM_AT + 16 * n), 1);
	for (int r = 0; r < 16 && !err; r++)
		if (r != 7)
			err = mov_rsp(b, hw_of_dwarf[r], (uint32_t)(8 * r), 1);
	return err ? err : put(b, leave, sizeof(leave));
}

int tramp_reaches(uint64_t from, uint64_t to)
{
	int64_t d = (int64_t)(to - (from + 5));

	return d >= INT32_MIN && d <= INT32_MAX;
}

void tramp_jmp5(uint8_t out[5], uint64_t from, uint64_t to)
{
	out[0] = 0xe9;
	put32(out + 1, (uint32_t)(int32_t)(int64_t)(to - (from + 5)));
}

int tramp_displaced(const uint8_t *code, size_t n, uint64_t addr)
{
	size_t off = 0;

	while (off < 5) {
		struct insn in;

		if (off >= n || x86_decode(code + off, n - off, addr + off, &in))
			return -ENOTSUP;
		switch (in.cls) {
		case INSN_OTHER:
		case INSN_RIPREL:
		case INSN_JMP:
		case INSN_JCC:
			break;
		case INSN_CALL:
			/* Only last: its callee returns straight to the code
			 * after the patch (relocate). */
			if (off + in.len < 5)
				return -ENOTSUP;
			break;
		default:
			return -ENOTSUP;
		}
		off += in.len;
	}
	return off <= n ? (int)off : -ENOTSUP;
}

/* Writes insn in (decoded at its own address) so that it runs at here(b). */
static int relocate(struct tramp_buf *b, const struct insn *in)
{
	uint8_t c[16];
	int64_t d;

	switch (in->cls) {
	case INSN_OTHER:
		return put(b, in->bytes, in->len);
	case INSN_RIPREL: {
		int32_t old;

		memcpy(c, in->bytes, in->len);
		memcpy(&old, c + in->disp_off, 4);
		d = (int64_t)old + (int64_t)(in->addr - here(b));
		if (d < INT32_MIN || d > INT32_MAX)
			return -ERANGE;
		put32(c + in->disp_off, (uint32_t)(int32_t)d);
		return put(b, c, in->len);
	}
	case INSN_CALL: {
		/* The return address the function's own code pushes, so that
		 * the callee returns to the original code and an unwinder
		 * (an exception, backtrace()) sees the real caller:
		 * lea -8(%rsp),%rsp; movl lo,(%rsp); movl hi,4(%rsp); jmp. */
		uint64_t ra = in->addr + in->len;
		uint8_t k[20] = {0x48, 0x8d, 0x64, 0x24, 0xf8,
				 0xc7, 0x04, 0x24, 0, 0, 0, 0,
				 0xc7, 0x44, 0x24, 0x04, 0, 0, 0, 0};
		int err;

		put32(k + 8, (uint32_t)ra);
		put32(k + 16, (uint32_t)(ra >> 32));
		if ((err = put(b, k, sizeof(k))))
			return err;
		/* Then a jump to the callee. */
		__attribute__((fallthrough));
	}
	case INSN_JMP:
		c[0] = 0xe9;
		d = (int64_t)(in->target - (here(b) + 5));
		if (d < INT32_MIN || d > INT32_MAX)
			return -ERANGE;
		put32(c + 1, (uint32_t)(int32_t)d);
		return put(b, c, 5);
	case INSN_JCC:
		c[0] = 0x0f;
		c[1] = (uint8_t)(0x80 | in->cond);
		d = (int64_t)(in->target - (here(b) + 6));
		if (d < INT32_MIN || d > INT32_MAX)
			return -ERANGE;
		put32(c + 2, (uint32_t)(int32_t)d);
		return put(b, c, 6);
	default:
		return -ENOTSUP;
	}
}

/* code[0..dlen), decoded at addr, relocated to b. */
static int relocate_all(struct tramp_buf *b, const uint8_t *code, size_t dlen,
			uint64_t addr)
{
	size_t off = 0;
	int err;

	while (off < dlen) {
		struct insn in;

		if (x86_decode(code + off, dlen - off, addr + off, &in))
			return -ENOTSUP;
		if ((err = relocate(b, &in)))
			return err;
		off += in.len;
	}
	return 0;
}

/* The call into the agent, the frame at rsp (struct tramp_agent). Every
 * register it uses was saved. */
static int call_agent(struct tramp_buf *b, uint32_t id,
		      const struct tramp_agent *ag)
{
	uint8_t c[5] = {0xbf}; /* mov $id,%edi */
	size_t jz;
	int err;

	put32(c + 1, id);
	if (!ag->go_stack_fn) {
		/* mov $id,%edi; mov %rsp,%rsi; call enter_fn */
		if ((err = put(b, c, 5)) || (err = put(b, "\x48\x89\xe6", 3)) ||
		    (err = movabs_rax(b, ag->enter_fn)))
			return err;
		return put(b, "\xff\xd0", 2);
	}
	/* Go: m = g->m; r12 = go_stack_fn(m), on this stack (a few bytes
	 * of it: the goroutine's, which the frame already took 500 of). */
	static const uint8_t get_m[] = {
		0x49, 0x8b, 0x7e, TRAMP_GO_G_M, /* mov TRAMP_GO_G_M(%r14),%rdi */
		0x49, 0x89, 0xfd,            /* mov %rdi,%r13 */
	};
	static const uint8_t switch_to[] = {
		0x48, 0x85, 0xc0,       /* test %rax,%rax */
		0x74, 0x00,             /* jz done (patched below) */
		0x49, 0x89, 0xc4,       /* mov %rax,%r12 */
		0x48, 0x89, 0xe3,       /* mov %rsp,%rbx */
		0x48, 0x89, 0xc4,       /* mov %rax,%rsp */
	};
	static const uint8_t args[] = {
		0x48, 0x89, 0xde, /* mov %rbx,%rsi */
		0x4c, 0x89, 0xea, /* mov %r13,%rdx */
	};
	static const uint8_t back[] = {
		0x48, 0x89, 0xdc,                         /* mov %rbx,%rsp */
		0x49, 0xc7, 0x04, 0x24, 0, 0, 0, 0,       /* movq $0,(%r12) */
	};
	if ((err = put(b, get_m, sizeof(get_m))) ||
	    (err = movabs_rax(b, ag->go_stack_fn)) ||
	    (err = put(b, "\xff\xd0", 2)))
		return err;
	jz = b->len + 4;
	if ((err = put(b, switch_to, sizeof(switch_to))) ||
	    (err = put(b, c, 5)) || (err = put(b, args, sizeof(args))) ||
	    (err = movabs_rax(b, ag->go_enter_fn)) ||
	    (err = put(b, "\xff\xd0", 2)) ||
	    (err = put(b, back, sizeof(back))))
		return err;
	b->p[jz] = (uint8_t)(b->len - (jz + 1));
	return 0;
}

/* An entry trampoline's end: the displaced bytes code[0..dlen) (from
 * addr) relocated, then the jump back to addr + dlen. */
static int displaced_and_back(struct tramp_buf *b, const uint8_t *code,
			      size_t dlen, uint64_t addr)
{
	int err;

	if ((err = relocate_all(b, code, dlen, addr)))
		return err;
	if (b->len + 5 > b->cap)
		return -ENOSPC;
	if (!tramp_reaches(here(b), addr + dlen))
		return -ERANGE;
	tramp_jmp5(b->p + b->len, here(b), addr + dlen);
	b->len += 5;
	return 0;
}

int tramp_entry(struct tramp_buf *b, uint32_t id, uint64_t probe_addr,
		const uint8_t *code, size_t dlen, const struct tramp_agent *ag)
{
	size_t start = b->len;
	int err;

	/* The caller's rsp, the return address's slot: above the frame and
	 * the flags. */
	if ((err = save(b, FRAME + 8, probe_addr, ag->xmm)) ||
	    (err = call_agent(b, id, ag)) || (err = restore(b, ag->xmm)) ||
	    (err = displaced_and_back(b, code, dlen, probe_addr)))
		b->len = start;
	return err;
}

const uint8_t tramp_nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};

int tramp_nop_entry(struct tramp_buf *b, uint64_t probe_addr,
		    const uint8_t *code, size_t dlen)
{
	size_t start = b->len;
	int err;

	if ((err = put(b, tramp_nop5, sizeof(tramp_nop5))) ||
	    (err = displaced_and_back(b, code, dlen, probe_addr)))
		b->len = start;
	return err;
}

int tramp_nop_retsite(struct tramp_buf *b, uint64_t lo, const uint8_t *code,
		      size_t dlen, const uint8_t *ret_bytes, size_t ret_len,
		      int32_t below, size_t *nop_at)
{
	size_t start = b->len;
	int err;

	/* lea, not sub: the flags are the function's. */
	if ((err = relocate_all(b, code, dlen, lo)) ||
	    (err = lea_rsp(b, 4, -below)))
		goto fail;
	*nop_at = b->len;
	if ((err = put(b, tramp_nop5, sizeof(tramp_nop5))) ||
	    (err = lea_rsp(b, 4, below)) ||
	    (err = put(b, ret_bytes, ret_len)))
		goto fail;
	return 0;
fail:
	b->len = start;
	return err;
}

int tramp_retsite(struct tramp_buf *b, uint32_t id, uint64_t lo,
		  const uint8_t *code, size_t dlen, uint64_t ret_addr,
		  const uint8_t *ret_bytes, size_t ret_len,
		  const struct tramp_agent *ag)
{
	size_t start = b->len;
	int err;

	/* The function's own last instructions first: what they read
	 * below the stack pointer (a leaf's red zone) is still there. The
	 * stack is then as at the ret. */
	if ((err = relocate_all(b, code, dlen, lo)) ||
	    /* Past the red zone: what the function left below the stack
	     * pointer is still there for the plan's copy, and the unwinder
	     * reads there (gcc's CFI keeps rbp "saved at CFA-16" after the
	     * pop, up to the ret). lea: the flags are the function's. */
	    (err = lea_rsp(b, 4, -REDZONE)) ||
	    (err = save(b, FRAME + 8 + REDZONE, ret_addr, ag->xmm)) ||
	    (err = call_agent(b, id, ag)) || (err = restore(b, ag->xmm)) ||
	    (err = lea_rsp(b, 4, REDZONE)) ||
	    (err = put(b, ret_bytes, ret_len)))
		b->len = start;
	return err;
}

int tramp_return(struct tramp_buf *b, uint64_t return_fn)
{
	size_t start = b->len;
	int err;

	/* The ret took the slot: step back onto it (lea, not sub: the
	 * flags are the function's). The slot is then regs[7]. */
	if ((err = put(b, "\x48\x8d\x64\x24\xf8", 5)) || /* lea -8(%rsp),%rsp */
	    (err = save(b, FRAME + 8, 0, true)) ||
	    (err = put(b, "\x48\x89\xe7", 3)) ||   /* mov %rsp, %rdi */
	    (err = movabs_rax(b, return_fn)) ||
	    (err = put(b, "\xff\xd0", 2)) ||       /* call *%rax */
	    (err = mov_rsp(b, 0, FRAME + 8, 0)) || /* the slot = rax */
	    (err = restore(b, true)) ||
	    (err = put(b, "\xc3", 1)))             /* ret */
		b->len = start;
	return err;
}
