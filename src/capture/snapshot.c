/* snapshot: a record read back as a stopped thread. Registers come from
 * the header, memory from the chunks; whatever the plan did not copy is
 * unreadable (-EFAULT), never read from the live target. */
#include "capture/capture.h"

#include <errno.h>
#include <string.h>

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

int capture_snapshot_init(struct capture_snapshot *s, const void *rec,
			  size_t len)
{
	const struct cap_record_hdr *h = rec;
	const uint8_t *p = rec;
	size_t pos = sizeof(*h);

	memset(s, 0, sizeof(*s));
	if (!rec || len < sizeof(*h) || h->size < sizeof(*h) ||
	    h->size > len || h->kind != CAP_REC_HIT ||
	    h->nchunks > CAP_MAX_OPS * CAP_MAX_REP)
		return -EINVAL;
	for (uint16_t i = 0; i < h->nchunks; i++) {
		const struct cap_chunk *c = (const void *)(p + pos);

		if (pos + sizeof(*c) > h->size)
			return -EINVAL;
		if (c->len > CAP_MAX_CHUNK || (c->err && c->len) ||
		    c->err > 0 ||
		    pos + sizeof(*c) + pad8(c->len) > h->size ||
		    c->addr + c->len < c->addr)
			return -EINVAL;
		pos += sizeof(*c) + pad8(c->len);
	}
	if (pos != h->size)
		return -EINVAL;
	s->hdr = h;
	s->data = p + sizeof(*h);
	s->size = h->size;
	return 0;
}

/* The chunk holding byte addr that goes on furthest past it, or NULL. */
static const struct cap_chunk *chunk_at(const struct capture_snapshot *s,
					uint64_t addr, const uint8_t **bytes)
{
	const struct cap_chunk *best = NULL;
	const uint8_t *p = s->data;

	for (uint16_t i = 0; i < s->hdr->nchunks; i++) {
		const struct cap_chunk *c = (const void *)p;

		p += sizeof(*c);
		if (c->len && addr >= c->addr && addr - c->addr < c->len &&
		    (!best || c->addr + c->len > best->addr + best->len)) {
			best = c;
			*bytes = p;
		}
		p += pad8(c->len);
	}
	return best;
}

static int snap_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct capture_snapshot *s = ctx;
	uint8_t *out = buf;

	/* A read may span chunks that touch or overlap (a struct copied
	 * whole and a stack window around it). */
	while (len) {
		const uint8_t *bytes = NULL;
		const struct cap_chunk *c = chunk_at(s, addr, &bytes);
		uint64_t skip, n;

		if (!c)
			return -EFAULT;
		skip = addr - c->addr;
		n = c->len - skip;
		if (n > len)
			n = len;
		memcpy(out, bytes + skip, n);
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

static int snap_read_reg(void *ctx, int reg, void *buf, size_t len)
{
	const struct capture_snapshot *s = ctx;
	const void *src;
	size_t size;

	if (reg >= 0 && reg < CAP_NREGS) {
		if (s->hdr->absent & (1u << reg))
			return -EINVAL; /* not copied at the hit */
		src = &s->hdr->regs[reg];
		size = 8;
	} else if (reg >= DREG_XMM0 && reg < DREG_XMM0 + 8 &&
		   (s->hdr->flags & CAP_REC_XMM)) {
		src = &s->hdr->xmm[(reg - DREG_XMM0) * 2];
		size = 16;
	} else {
		/* Not in the record: x87, xmm8..15, fs_base. */
		return -EINVAL;
	}
	memcpy(buf, src, len < size ? len : size);
	if (len > size)
		memset((uint8_t *)buf + size, 0, len - size);
	return 0;
}

void capture_snapshot_access(struct capture_snapshot *s,
			     struct target_access *acc)
{
	acc->ctx = s;
	acc->read_mem = snap_read_mem;
	acc->read_reg = snap_read_reg;
}
