/* Unit tests of the capture plans (src/capture/): for C and Go values the
 * plan compiled from a type and a loc copies everything the value loader
 * reads, so that a value formatted from the record's snapshot is the value
 * formatted from the live (fake) target; and what the live target does
 * after the hit (a string freed and overwritten) does not change it. Also
 * the record's framing checks and the snapshot's reads. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "capture/capture.h"
#include "check.h"
#include "value/value.h"

/* ---- the fake target ---- */

#define BASE 0x10000ull
#define SIZE (3 * 4096)
#define END (BASE + SIZE)
#define STACK (BASE + 0x2000) /* rsp */

static uint8_t mem[SIZE];
static uint64_t regs[CAP_NREGS];
static uint8_t xmm[8][16];

static int read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	if (addr < BASE || addr > END || len > END - addr)
		return -EIO;
	memcpy(buf, mem + (addr - BASE), len);
	return 0;
}

static int run_read(void *ctx, uint64_t addr, void *buf, size_t len,
		    unsigned flags)
{
	return read_mem(ctx, addr, buf, len);
}

static int read_reg(void *ctx, int reg, void *buf, size_t len)
{
	memset(buf, 0, len);
	if (reg >= 0 && reg < CAP_NREGS) {
		memcpy(buf, &regs[reg], len < 8 ? len : 8);
		return 0;
	}
	if (reg >= 17 && reg < 25) {
		memcpy(buf, xmm[reg - 17], len < 16 ? len : 16);
		return 0;
	}
	return -EINVAL;
}

static const struct ctype *go_type(void *ctx, uint64_t addr);

static const struct target_access live = {
	.read_mem = read_mem, .read_reg = read_reg, .go_type = go_type};

static void poke(uint64_t addr, const void *p, size_t n)
{
	memcpy(mem + (addr - BASE), p, n);
}

static void poke64(uint64_t addr, uint64_t x)
{
	poke(addr, &x, 8);
}

#define LOC(...)                                                               \
	(&(struct loc){                                                        \
		.pieces = (struct loc_piece[]){__VA_ARGS__},                   \
		.npieces = sizeof((struct loc_piece[]){__VA_ARGS__}) /         \
			   sizeof(struct loc_piece)})
#define REG(r, sz) {.kind = LOC_REG, .reg = (r), .size = (sz)}
#define MEM(r, o) {.kind = LOC_MEM, .reg = (r), .off = (o)}
#define DEREF(r, o) {.kind = LOC_MEM_DEREF, .reg = (r), .off = (o)}

#define RAX 0
#define RBX 3
#define RSI 4
#define RDI 5
#define RBP 6
#define RSP 7

/* ---- C types ---- */

static struct ctype t_int = {.kind = CT_INT, .name = "int", .size = 4,
			     .is_signed = true};
static struct ctype t_char = {.kind = CT_CHAR, .name = "char", .size = 1,
			      .is_signed = true};
static struct ctype t_str = {.kind = CT_PTR, .name = "char *", .size = 8,
			     .target = &t_char};
static struct ctype t_ldbl = {.kind = CT_FLOAT, .name = "long double",
			      .size = 16};
static struct ctype t_dbl = {.kind = CT_FLOAT, .name = "double", .size = 8};
static struct ctype t_name = {.kind = CT_ARRAY, .name = "char [8]",
			      .size = 8, .count = 8, .target = &t_char};
static struct ctype t_ints = {.kind = CT_ARRAY, .name = "int [4]",
			      .size = 16, .count = 4, .target = &t_int};
static struct ctype t_strs = {.kind = CT_ARRAY, .name = "char *[3]",
			      .size = 24, .count = 3, .target = &t_str};
/* struct rec {int id; char *label; char name[8]; int v[4]; char *tags[3]} */
static struct ctype_member rec_m[] = {
	{"id", 0, &t_int, 0, 0},
	{"label", 8, &t_str, 0, 0},
	{"name", 16, &t_name, 0, 0},
	{"v", 24, &t_ints, 0, 0},
	{"tags", 40, &t_strs, 0, 0},
};
static struct ctype t_rec = {.kind = CT_STRUCT, .name = "struct rec",
			     .size = 64, .members = rec_m, .nmembers = 5};
static struct ctype t_recp = {.kind = CT_PTR, .name = "struct rec *",
			      .size = 8, .target = &t_rec};

/* ---- Go types ---- */

static struct ctype g_int = {.kind = CT_INT, .name = "int", .size = 8,
			     .is_signed = true, .go_kind = 2};
static struct ctype g_u8 = {.kind = CT_INT, .name = "uint8", .size = 1,
			    .go_kind = 8};
static struct ctype g_u8p = {.kind = CT_PTR, .name = "*uint8", .size = 8,
			     .target = &g_u8, .go_kind = 22};
static struct ctype_member gstr_m[] = {
	{"str", 0, &g_u8p, 0, 0},
	{"len", 8, &g_int, 0, 0},
};
static struct ctype g_string = {.kind = CT_STRUCT, .name = "string",
				.size = 16, .members = gstr_m, .nmembers = 2,
				.go_kind = 24};
static struct ctype g_strp = {.kind = CT_PTR, .name = "*string", .size = 8,
			      .target = &g_string};
static struct ctype_member gslice_m[] = {
	{"array", 0, &g_strp, 0, 0},
	{"len", 8, &g_int, 0, 0},
	{"cap", 16, &g_int, 0, 0},
};
static struct ctype g_slice = {.kind = CT_STRUCT, .name = "[]string",
			       .size = 24, .members = gslice_m, .nmembers = 3,
			       .go_kind = 23};
static struct ctype_member gt_m[] = {
	{"A", 0, &g_int, 0, 0},
	{"S", 8, &g_string, 0, 0},
};
static struct ctype g_t = {.kind = CT_STRUCT, .name = "main.T", .size = 24,
			   .members = gt_m, .nmembers = 2, .go_kind = 25};
static struct ctype g_tp = {.kind = CT_PTR, .name = "*main.T", .size = 8,
			    .target = &g_t, .go_kind = 22};
static struct ctype g_voidp = {.kind = CT_PTR, .name = "unsafe.Pointer",
			       .size = 8};
static struct ctype_member geface_m[] = {
	{"_type", 0, &g_voidp, 0, 0},
	{"data", 8, &g_voidp, 0, 0},
};
static struct ctype g_eface_s = {.kind = CT_STRUCT, .name = "runtime.eface",
				 .size = 16, .members = geface_m,
				 .nmembers = 2};
static struct ctype g_eface = {.kind = CT_TYPEDEF, .name = "interface {}",
			       .size = 16, .target = &g_eface_s, .go_kind = 20};

/* struct main.W {N int; E interface {}}: an interface one level down */
static struct ctype_member gw_m[] = {
	{"N", 0, &g_int, 0, 0},
	{"E", 8, &g_eface, 0, 0},
};
static struct ctype g_w = {.kind = CT_STRUCT, .name = "main.W", .size = 24,
			   .members = gw_m, .nmembers = 2, .go_kind = 25};

#define RTYPE_INT (BASE + 0xb00)

static const struct ctype *go_type(void *ctx, uint64_t addr)
{
	return addr == RTYPE_INT ? &g_int : NULL;
}

/* ---- helpers ---- */

#define REC_MAX (sizeof(struct cap_record_hdr) + CAP_MAX_DATA +               \
		 CAP_MAX_OPS * CAP_MAX_REP * (sizeof(struct cap_chunk) + 8))

static uint8_t rec[REC_MAX];
static struct capture_snapshot snap;
static struct target_access snap_acc;

/* Runs plan p at the fake target's registers into rec and points snap_acc
 * at it. */
static int capture(const struct cap_plan *p)
{
	long n = capture_run(p, regs, run_read, NULL, rec, sizeof(rec));

	if (n < 0)
		return (int)n;
	if (p->flags & CAP_PLAN_XMM) {
		struct cap_record_hdr *h = (void *)rec;
		memcpy(h->xmm, xmm, sizeof(h->xmm));
		h->flags |= CAP_REC_XMM;
	}
	snap_acc = live;
	if (capture_snapshot_init(&snap, rec, (size_t)n))
		return -EINVAL;
	capture_snapshot_access(&snap, &snap_acc);
	return 0;
}

static char *text(const struct ctype *t, const struct loc *l,
		  const struct target_access *acc,
		  const struct load_config *cfg, int verbosity)
{
	struct strbuf sb = STRBUF_INIT;
	struct value v;
	unsigned fake_n = 0;
	struct target_access a = *acc;

	a.go_fake_n = &fake_n;
	value_load(&v, "x", t, l, &a, cfg);
	value_format_trace(&v, verbosity, &sb);
	value_release(&v);
	return strbuf_detach(&sb);
}

/* The value compiles, and prints the same from the capture as live;
 * returns the live text (the caller frees it) for further checks. */
static char *same(const struct ctype *t, const struct loc *l,
		  const struct load_config *cfg, int verbosity)
{
	struct cap_plan p;
	char *want, *got;

	capture_plan_init(&p);
	CHECK_INT(capture_add_value(&p, t, l, cfg, t->go_kind || 
				    (t->target && t->target->go_kind), 0), 0);
	CHECK_INT(capture(&p), 0);
	want = text(t, l, &live, cfg, verbosity);
	got = text(t, l, &snap_acc, cfg, verbosity);
	CHECK_STR(got, want);
	free(got);
	return want;
}

static const char LONG[] =
	"0123456789012345678901234567890123456789012345678901234567890123"
	"456789012345678901234567890123456789012345678901234567890123456789"
	"0123456789012345678901234567890123456789";

static void setup(void)
{
	memset(mem, 0, sizeof(mem));
	memset(regs, 0, sizeof(regs));
	poke(BASE + 0x100, "hello", 6);
	poke(BASE + 0x200, LONG, sizeof(LONG));
	poke(BASE + 0x300, "lbl", 4);
	poke(BASE + 0x310, "t0", 3);
	poke(BASE + 0x320, "tag one", 8);
	/* struct rec at 0x800 and on the stack at rsp + 8 */
	uint8_t r[64] = {0};
	int32_t id = 7, v[4] = {1, -2, 3, 4};
	uint64_t lbl = BASE + 0x300, tags[3] = {BASE + 0x310, BASE + 0x320, 0};
	memcpy(r, &id, 4);
	memcpy(r + 8, &lbl, 8);
	memcpy(r + 16, "name", 5);
	memcpy(r + 24, v, 16);
	memcpy(r + 40, tags, 24);
	poke(BASE + 0x800, r, sizeof(r));
	poke(STACK + 8, r, sizeof(r));
	regs[RSP] = STACK;
}

static const struct load_config deep = {.max_string = 64, .max_fields = 5,
					.max_array = 8, .max_recurse = 2,
					.follow_pointers = true};

static void test_c(void)
{
	struct cap_plan p;
	char *s, *got;
	double d = 2.5;

	setup();
	regs[RDI] = (uint64_t)-5;
	free(same(&t_int, LOC(REG(RDI, 4)), &LOAD_SHORT, 0));
	regs[RSI] = BASE + 0x100;
	s = same(&t_str, LOC(REG(RSI, 0)), &LOAD_SHORT, 0);
	CHECK_STR(s, "\"hello\"");
	free(s);
	/* A string longer than shown: its whole length counts. */
	regs[RSI] = BASE + 0x200;
	s = same(&t_str, LOC(REG(RSI, 0)), &LOAD_SHORT, 0);
	CHECK(strstr(s, "...+106 more") != NULL);
	free(s);
	/* Unreadable: unreadable from the capture too. */
	regs[RSI] = 0x5;
	free(same(&t_str, LOC(REG(RSI, 0)), &LOAD_SHORT, 0));
	/* A struct by value on the stack: members, char array, int array,
	 * and the strings its pointers point to. */
	s = same(&t_rec, LOC(MEM(RSP, 8)), &deep, 2);
	CHECK(strstr(s, "\"lbl\"") && strstr(s, "\"tag one\"") &&
	      strstr(s, "\"name\""));
	free(s);
	free(same(&t_rec, LOC(MEM(RSP, 8)), &LOAD_SHORT, 0));
	/* Passed by invisible reference, and through a pointer followed. */
	poke64(STACK + 0x100, BASE + 0x800);
	regs[RDI] = STACK + 0x100;
	free(same(&t_rec, LOC(DEREF(RDI, 0)), &deep, 2));
	regs[RDI] = BASE + 0x800;
	s = same(&t_recp, LOC(REG(RDI, 0)), &deep, 2);
	CHECK(strstr(s, "\"lbl\"") != NULL);
	free(s);
	/* A double in xmm0: a plan that needs the xmm registers. */
	memset(xmm, 0, sizeof(xmm));
	memcpy(xmm[0], &d, 8);
	capture_plan_init(&p);
	CHECK_INT(capture_add_value(&p, &t_dbl, LOC(REG(17, 0)), &LOAD_SHORT,
				    false, 0), 0);
	CHECK(p.flags & CAP_PLAN_XMM);
	free(same(&t_dbl, LOC(REG(17, 0)), &LOAD_SHORT, 0));
	/* x87: beyond a plan, which is left as it was. */
	capture_plan_init(&p);
	capture_add_mem(&p, RSP, 0, 64, CAP_OP_PARTIAL);
	CHECK_INT(capture_add_value(&p, &t_ldbl, LOC(REG(33, 0)), &LOAD_SHORT,
				    false, 0), -ENOTSUP);
	CHECK_INT(p.nops, 1);

	/* Freed and overwritten right after the hit: the capture still
	 * prints what the call was given. */
	regs[RSI] = BASE + 0x100;
	capture_plan_init(&p);
	CHECK_INT(capture_add_value(&p, &t_str, LOC(REG(RSI, 0)), &LOAD_SHORT,
				    false, 0), 0);
	CHECK_INT(capture(&p), 0);
	poke(BASE + 0x100, "XXXXXXXXXX", 11);
	got = text(&t_str, LOC(REG(RSI, 0)), &snap_acc, &LOAD_SHORT, 0);
	CHECK_STR(got, "\"hello\"");
	free(got);
	got = text(&t_str, LOC(REG(RSI, 0)), &live, &LOAD_SHORT, 0);
	CHECK_STR(got, "\"XXXXXXXXXX\"");
	free(got);
}

static void test_go(void)
{
	struct cap_plan p;
	char *s;

	setup();
	/* A string in two registers. */
	regs[RAX] = BASE + 0x200;
	regs[RBX] = 100;
	s = same(&g_string, LOC(REG(RAX, 8), REG(RBX, 8)), &LOAD_SHORT, 0);
	CHECK(strstr(s, "0123") != NULL);
	free(s);
	/* A []string in memory, its elements' data. */
	poke64(BASE + 0x900, BASE + 0x100);
	poke64(BASE + 0x908, 5);
	poke64(BASE + 0x910, BASE + 0x300);
	poke64(BASE + 0x918, 3);
	poke64(BASE + 0x920, BASE + 0x200);
	poke64(BASE + 0x928, 150);
	poke64(STACK + 0x200, BASE + 0x900);
	poke64(STACK + 0x208, 3);
	poke64(STACK + 0x210, 4);
	s = same(&g_slice, LOC(MEM(RSP, 0x200)), &LOAD_SHORT, 0);
	CHECK(strstr(s, "hello") && strstr(s, "lbl"));
	free(s);
	/* Its strings' data is one op repeated per element, as many times
	 * as the slice has elements. */
	capture_plan_init(&p);
	CHECK_INT(capture_add_value(&p, &g_slice, LOC(MEM(RSP, 0x200)),
				    &LOAD_SHORT, true, 0), 0);
	CHECK_INT(p.nops, 3);
	CHECK_INT(capture(&p), 0);
	CHECK_INT(((struct cap_record_hdr *)rec)->nchunks, 2 + 3);
	/* *main.T followed (-v 4). */
	poke64(BASE + 0xa00, 42);
	poke64(BASE + 0xa08, BASE + 0x100);
	poke64(BASE + 0xa10, 5);
	regs[RDI] = BASE + 0xa00;
	s = same(&g_tp, LOC(REG(RDI, 8)), &deep, 4);
	CHECK(strstr(s, "hello") && strstr(s, "42"));
	free(s);
	free(same(&g_tp, LOC(REG(RDI, 8)), &LOAD_SHORT, 0));
	/* An interface one level down: its type is read, its data is not
	 * loaded (Delve's "..."). */
	mem[RTYPE_INT + 23 - BASE] = 2 | 32;
	poke64(STACK + 0x300, 5);
	poke64(STACK + 0x308, RTYPE_INT);
	poke64(STACK + 0x310, 77);
	s = same(&g_w, LOC(MEM(RSP, 0x300)), &LOAD_SHORT, 0);
	CHECK(strstr(s, "N: 5") && strstr(s, "interface {}(int)"));
	free(s);
	/* An interface's dynamic type is known only at the hit: whose data
	 * is loaded is beyond a plan. */
	capture_plan_init(&p);
	CHECK_INT(capture_add_value(&p, &g_eface, LOC(REG(RAX, 8), REG(RBX, 8)),
				    &LOAD_SHORT, true, 0), -ENOTSUP);
	CHECK_INT(p.nops, 0);
}

static void test_snapshot(void)
{
	struct cap_plan p;
	struct cap_record_hdr *h = (void *)rec;
	struct cap_chunk *c;
	uint8_t b[32];
	uint64_t x;
	long n;

	setup();
	/* Adjacent and overlapping chunks answer one read together. */
	capture_plan_init(&p);
	CHECK_INT(capture_add_mem(&p, RSP, 0, 8, 0), 0);
	CHECK_INT(capture_add_mem(&p, RSP, 8, 8, 0), 1);
	CHECK_INT(capture_add_mem(&p, RSP, 4, 16, 0), 2);
	CHECK_INT(capture(&p), 0);
	CHECK_INT(snap_acc.read_mem(snap_acc.ctx, STACK, b, 20), 0);
	CHECK(!memcmp(b, mem + (STACK - BASE), 20));
	CHECK_INT(snap_acc.read_mem(snap_acc.ctx, STACK, b, 21), -EFAULT);
	CHECK_INT(snap_acc.read_mem(snap_acc.ctx, STACK - 1, b, 1), -EFAULT);
	CHECK_INT(snap_acc.read_reg(snap_acc.ctx, RSP, &x, 8), 0);
	CHECK_INT(x, STACK);
	CHECK(snap_acc.read_reg(snap_acc.ctx, 17, b, 16) != 0); /* no xmm */
	CHECK(snap_acc.read_reg(snap_acc.ctx, 58, &x, 8) != 0); /* fs_base */

	/* A partial copy stops where the memory does. */
	capture_plan_init(&p);
	regs[RBX] = END - 100;
	CHECK_INT(capture_add_mem(&p, RBX, 0, 4096, CAP_OP_PARTIAL), 0);
	CHECK_INT(capture_add_mem(&p, RBX, 0, 4096, 0), 1);
	CHECK_INT(capture(&p), 0);
	c = (void *)(rec + sizeof(*h));
	CHECK_INT(c->len, 100);
	CHECK_INT(c->err, 0);
	c = (void *)((uint8_t *)(c + 1) + 104);
	CHECK_INT(c->len, 0);
	CHECK(c->err < 0);
	CHECK_INT(snap_acc.read_mem(snap_acc.ctx, END - 100, b, 32), 0);
	CHECK(snap_acc.read_mem(snap_acc.ctx, END - 8, b, 16) < 0);

	/* Malformed records. */
	capture_plan_init(&p);
	CHECK_INT(capture_add_mem(&p, RSP, 0, 12, 0), 0);
	n = capture_run(&p, regs, run_read, NULL, rec, sizeof(rec));
	CHECK(n > 0);
	CHECK_INT(capture_snapshot_init(&snap, rec, (size_t)n), 0);
	CHECK_INT(capture_snapshot_init(&snap, rec, (size_t)n - 1), -EINVAL);
	CHECK_INT(capture_snapshot_init(&snap, rec, 10), -EINVAL);
	CHECK_INT(capture_snapshot_init(&snap, NULL, 0), -EINVAL);
	c = (void *)(rec + sizeof(*h));
	c->len = 64; /* past the record */
	CHECK_INT(capture_snapshot_init(&snap, rec, (size_t)n), -EINVAL);
	c->len = 12;
	c->err = -EFAULT; /* an error with bytes */
	CHECK_INT(capture_snapshot_init(&snap, rec, (size_t)n), -EINVAL);
	c->err = 0;
	h->nchunks = 2; /* a chunk header past the end */
	CHECK_INT(capture_snapshot_init(&snap, rec, (size_t)n), -EINVAL);
	h->nchunks = 0; /* bytes left over */
	CHECK_INT(capture_snapshot_init(&snap, rec, (size_t)n), -EINVAL);
	h->nchunks = 1;
	h->kind = CAP_REC_LOST;
	CHECK_INT(capture_snapshot_init(&snap, rec, (size_t)n), -EINVAL);
	h->kind = CAP_REC_HIT;
	c->addr = UINT64_MAX - 4; /* wraps */
	CHECK_INT(capture_snapshot_init(&snap, rec, (size_t)n), -EINVAL);
	/* Too small a buffer. */
	CHECK_INT(capture_run(&p, regs, run_read, NULL, rec, 100), -ENOSPC);
}

/* A frame pointer chain: each frame's 32 bytes, following the saved
 * frame pointers up the stack; it ends at a 0, at a pointer that does not
 * go up, at unreadable memory, or at the count asked. */
static void test_chain(void)
{
	struct cap_plan p;
	struct cap_record_hdr *h = (void *)rec;
	uint64_t fp[4] = {STACK + 0x40, STACK + 0x80, STACK + 0xc0, 0};
	uint64_t ret = 0x401234, x;
	uint8_t b[16];

	setup();
	regs[RBP] = STACK + 0x10;
	poke(STACK + 0x10, &fp[0], 8);
	poke(STACK + 0x18, &ret, 8);
	for (int i = 0; i < 3; i++) {
		poke(fp[i], &fp[i + 1], 8);
		poke(fp[i] + 8, &ret, 8);
	}
	capture_plan_init(&p);
	CHECK_INT(capture_add_chain(&p, RBP, 10), 0);
	CHECK_INT(capture(&p), 0);
	CHECK_INT(h->nchunks, 4); /* rbp's frame and three more, then 0 */
	CHECK_INT(snap_acc.read_mem(snap_acc.ctx, STACK + 0xc8, &x, 8), 0);
	CHECK_INT(x, ret);
	/* The slot above the last frame (16 bytes past its record). */
	CHECK_INT(snap_acc.read_mem(snap_acc.ctx, STACK + 0xd0, b, 16), 0);
	/* Not what lies between the frames. */
	CHECK(snap_acc.read_mem(snap_acc.ctx, STACK + 0x60, b, 8) < 0);

	capture_plan_init(&p);
	CHECK_INT(capture_add_chain(&p, RBP, 2), 0);
	CHECK_INT(capture(&p), 0);
	CHECK_INT(h->nchunks, 2);

	/* A loop (a frame pointing down) ends the chain. */
	poke(fp[1], &fp[0], 8);
	capture_plan_init(&p);
	CHECK_INT(capture_add_chain(&p, RBP, 10), 0);
	CHECK_INT(capture(&p), 0);
	CHECK_INT(h->nchunks, 3);

	/* A frame at the end of the memory: the readable part. */
	regs[RBP] = END - 16;
	capture_plan_init(&p);
	CHECK_INT(capture_add_chain(&p, RBP, 10), 0);
	CHECK_INT(capture(&p), 0);
	CHECK_INT(h->nchunks, 1);
	CHECK_INT(snap_acc.read_mem(snap_acc.ctx, END - 16, b, 16), 0);
	CHECK_INT(capture_add_chain(&p, RBP, 0), -ENOTSUP);
}

int main(void)
{
	test_c();
	test_go();
	test_snapshot();
	test_chain();
	return check_report();
}
