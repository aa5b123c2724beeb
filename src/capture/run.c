/* run: a plan executed in user space — the reference semantics of the
 * ops (record.h), which the BPF program implements in the kernel: the
 * tests, the ptrace engine's check mode and an in-process engine run it. */
#include "capture/capture.h"

#include <errno.h>
#include <string.h>

/* Pages: a string or a partial copy is read page by page, so a range that
 * ends in an unmapped page still yields its readable part. */
#define RUN_PAGE 4096

struct chunk_ref {
	const struct cap_chunk *c;
	const uint8_t *data;
};

/* value(n) for repeat i: 0 and true, or false when n's source chunk is
 * missing or short. */
static bool num_value(const struct cap_num *n, const uint64_t *regs,
		      const struct chunk_ref *first, int self, uint32_t i,
		      uint64_t *out)
{
	const struct cap_chunk *c;
	uint64_t off, x = 0;
	size_t size = n->src == CAP_SRC_DATA32 ? 4 : 8;

	switch (n->src) {
	case CAP_SRC_NONE:
		*out = (uint64_t)n->disp;
		return true;
	case CAP_SRC_REG:
		if (n->reg >= CAP_NREGS)
			return false;
		*out = regs[n->reg] + (uint64_t)n->disp;
		return true;
	case CAP_SRC_DATA:
	case CAP_SRC_DATA32:
		/* An earlier op's first chunk (its first repeat). */
		if (n->op >= self || !first[n->op].c)
			return false;
		c = first[n->op].c;
		off = (uint64_t)n->off + (uint64_t)i * n->stride;
		if (c->err || off + size > c->len)
			return false;
		memcpy(&x, first[n->op].data + off, size);
		*out = x + (uint64_t)n->disp;
		return true;
	default:
		return false;
	}
}

/* Copies what can be read of [addr, addr+len) page by page; str: up to and
 * including the first NUL. Returns the bytes copied, or the first read's
 * error when none could be. */
static long read_prefix(capture_read_fn read, void *ctx, uint64_t addr,
			uint8_t *buf, size_t len, bool str)
{
	size_t got = 0;
	int err = 0;

	while (got < len) {
		size_t n = RUN_PAGE - (size_t)((addr + got) % RUN_PAGE);
		uint8_t *z;

		if (n > len - got)
			n = len - got;
		if ((err = read(ctx, addr + got, buf + got, n, 0))) {
			/* A string that ends just before a hole is still
			 * whole: a byte at a time finds its end. */
			if (!str)
				break;
			while (n && !read(ctx, addr + got, buf + got, 1, 0)) {
				got++;
				if (!buf[got - 1])
					return (long)got;
			}
			break;
		}
		if (str && (z = memchr(buf + got, 0, n)))
			return (long)(got + (size_t)(z - (buf + got)) + 1);
		got += n;
	}
	if (!got && err)
		return err;
	return (long)got;
}

long capture_run_chunks(const struct cap_plan *p, const uint64_t *regs,
			capture_read_fn read, void *ctx, void *buf,
			size_t cap, uint16_t *nchunks)
{
	/* Each op's first chunk (what later ops read), and the last chunk
	 * made (a chain's previous frame): a few hundred bytes of stack, as
	 * the in-process agent runs this on the target's threads' stacks. */
	struct chunk_ref first[CAP_MAX_OPS], prev = {0};
	size_t pos = 0, data = 0, nch = 0;

	if (p->nops > CAP_MAX_OPS)
		return -ENOSPC;
	for (uint32_t k = 0; k < p->nops; k++) {
		const struct cap_op *o = &p->ops[k];
		uint64_t reps = 1;

		first[k].c = NULL;
		first[k].data = NULL;
		if (o->rep.src != CAP_SRC_NONE || o->rep.disp) {
			if (!num_value(&o->rep, regs, first, (int)k, 0, &reps))
				reps = 0;
			if (reps > ((o->flags & CAP_OP_CHAIN) ? CAP_MAX_CHAIN
							     : CAP_MAX_REP))
				reps = (o->flags & CAP_OP_CHAIN) ? CAP_MAX_CHAIN
								 : CAP_MAX_REP;
			if (o->rep_max && reps > o->rep_max)
				reps = o->rep_max;
		}
		for (uint32_t i = 0; i < reps; i++) {
			struct cap_chunk *c;
			uint64_t addr = 0, len = o->len, cnt;
			uint8_t *dst;
			long got;
			bool ok;

			if (pos + sizeof(*c) > cap)
				return -ENOSPC;
			c = (struct cap_chunk *)((uint8_t *)buf + pos);
			if (i && (o->flags & CAP_OP_CHAIN)) {
				/* The next frame: where the previous one's
				 * saved frame pointer points. */
				uint64_t next;

				if (prev.c->err || prev.c->len < 8)
					break;
				memcpy(&next, prev.data, 8);
				if (next + (uint64_t)o->addr.disp <=
				    prev.c->addr)
					break;
				addr = next + (uint64_t)o->addr.disp;
				ok = true;
			} else {
				ok = num_value(&o->addr, regs, first, (int)k,
					       i, &addr);
			}
			memset(c, 0, sizeof(*c));
			dst = (uint8_t *)(c + 1);
			if (ok && (o->count.src != CAP_SRC_NONE ||
				   o->count.disp)) {
				ok = num_value(&o->count, regs, first, (int)k,
					       i, &cnt);
				/* count × scale, without overflowing */
				if (ok && o->scale &&
				    cnt < (len + o->scale - 1) / o->scale)
					len = cnt * o->scale;
				else if (ok && !o->scale)
					len = 0;
			}
			c->addr = addr;
			if (!ok) {
				c->err = -EFAULT;
				len = 0;
			} else if (data + len > CAP_MAX_DATA) {
				c->err = -ENOSPC;
				len = 0;
			} else if (pos + sizeof(*c) + ((len + 7) & ~7ull) >
				   cap) {
				return -ENOSPC;
			} else if (len && (o->flags & (CAP_OP_STR |
							CAP_OP_PARTIAL))) {
				got = read_prefix(read, ctx, addr, dst, len,
						  o->flags & CAP_OP_STR);
				if (got < 0) {
					c->err = (int32_t)got;
					len = 0;
				} else {
					len = (uint64_t)got;
				}
			} else if (len) {
				int err = read(ctx, addr, dst, len, o->flags);

				if (err) {
					c->err = err;
					len = 0;
				}
			}
			c->len = (uint32_t)len;
			memset(dst + len, 0, ((len + 7) & ~7ull) - len);
			prev.c = c;
			prev.data = dst;
			if (!first[k].c)
				first[k] = prev;
			nch++;
			data += len;
			pos += sizeof(*c) + ((len + 7) & ~7ull);
		}
	}
	*nchunks = (uint16_t)nch;
	return (long)pos;
}

long capture_run(const struct cap_plan *p, const uint64_t *regs,
		 capture_read_fn read, void *ctx, void *buf, size_t cap)
{
	struct cap_record_hdr *h = buf;
	uint16_t nch = 0;
	long n;

	if (cap < sizeof(*h))
		return -ENOSPC;
	/* Field by field: the xmm area, read only with CAP_REC_XMM, is
	 * left alone. */
	h->size = 0;
	h->kind = CAP_REC_HIT;
	h->nchunks = 0;
	h->probe = h->time_ns = h->lost = 0;
	h->pid = h->tid = h->flags = h->absent = 0;
	memcpy(h->regs, regs, sizeof(h->regs));
	n = capture_run_chunks(p, regs, read, ctx, h + 1, cap - sizeof(*h),
			       &nch);
	if (n < 0)
		return n;
	h->nchunks = nch;
	h->size = (uint32_t)(sizeof(*h) + (size_t)n);
	return (long)h->size;
}
