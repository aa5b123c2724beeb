/* gofmt: Go values as Delve's api.Variable.SinglelineString prints them
 * (Delve 1.20's service/api/prettyprint.go, writeTo without newlines or a
 * format string), so that a Go trace reads as under `dlv trace`. The tree
 * is Delve's Variable; its OnlyAddr and Base != 0 are the flags
 * VF_GO_ONLYADDR and VF_GO_BASE (see goload.c).
 *
 * Where Delve would print nonsense for a tree it never makes (a length
 * shorter than the elements held: "...+-2 more"), or crash (an interface
 * without its data child), we print what the tree has. */
#include "value/value.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "value/internal.h"

static void go_write(const struct value *v, struct strbuf *sb, bool top,
		     bool with_type);

static const char *const go_kinds[] = {
	"invalid", "bool", "int", "int8", "int16", "int32", "int64", "uint",
	"uint8", "uint16", "uint32", "uint64", "uintptr", "float32",
	"float64", "complex64", "complex128", "array", "chan", "func",
	"interface", "map", "ptr", "slice", "string", "struct",
	"unsafe.Pointer",
};

static bool empty(const char *s)
{
	return !s || !*s;
}

static const char *type_of(const struct value *v)
{
	return v->type ? v->type : "";
}

static const char *text_of(const struct value *v)
{
	return v->value ? v->value : "";
}

static bool only_addr(const struct value *v)
{
	return v->flags & VF_GO_ONLYADDR;
}

/* The code point of the UTF-8 sequence at s (n bytes left) in *c, and its
 * length; 0 when it is not one Go decodes (an invalid byte). C0 80 is the
 * loader's NUL. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *c)
{
	size_t len;

	if (s[0] < 0x80) {
		*c = s[0];
		return 1;
	}
	if (n >= 2 && s[0] == 0xc0 && s[1] == 0x80) {
		*c = 0;
		return 2;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, *c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, *c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, *c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*c = *c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && *c < 0x800) || (len == 4 && *c < 0x10000) ||
	    (*c >= 0xd800 && *c <= 0xdfff) || *c > 0x10ffff)
		return 0;
	return len;
}

/* unicode.IsPrint for what is not ASCII, close enough: the controls,
 * spaces, format characters, private use and non-characters that text
 * holds are escaped; unassigned code points are taken as printable. */
static bool go_isprint(uint32_t c)
{
	return !((c >= 0x80 && c <= 0xa0) || c == 0xad ||
		 (c >= 0x600 && c <= 0x605) || c == 0x61c || c == 0x6dd ||
		 c == 0x70f || c == 0x1680 || c == 0x180e ||
		 (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
		 (c >= 0x205f && c <= 0x206f) || c == 0x3000 ||
		 (c >= 0xe000 && c <= 0xf8ff) || c == 0xfeff ||
		 (c >= 0xfff9 && c <= 0xfffb) || c == 0xfffe || c == 0xffff ||
		 (c >= 0xe0000 && c <= 0xe007f) || c >= 0xf0000);
}

/* Go's short escapes, or NULL. */
static const char *go_escape(uint32_t c)
{
	switch (c) {
	case '\a':
		return "\\a";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\v':
		return "\\v";
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	default:
		return NULL;
	}
}

/* Go's %q (strconv.Quote). */
static void go_quote(struct strbuf *sb, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	const char *esc;
	uint32_t c;
	size_t k;

	strbuf_addch(sb, '"');
	for (size_t i = 0; i < n; i += k) {
		k = utf8_decode(s + i, n - i, &c);
		if (!k) {
			k = 1;
			strbuf_addf(sb, "\\x%02x", s[i]);
		} else if ((esc = go_escape(c))) {
			strbuf_adds(sb, esc);
		} else if (c < 0x20 || c == 0x7f) {
			strbuf_addf(sb, "\\x%02x", c);
		} else if (c < 0x80 || go_isprint(c)) {
			strbuf_add(sb, s + i, k);
		} else if (c < 0x10000) {
			strbuf_addf(sb, "\\u%04x", c);
		} else {
			strbuf_addf(sb, "\\U%08x", c);
		}
	}
	strbuf_addch(sb, '"');
}

/* Go's len() of the loader's text: its NUL is two bytes here. */
static int64_t go_len(const char *s)
{
	int64_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)s[0] == 0xc0 && (unsigned char)s[1] == 0x80)
			s++;
	return n;
}

static void go_string(struct strbuf *sb, const struct value *v)
{
	const char *s = text_of(v);
	int64_t n = go_len(s);
	struct strbuf t = STRBUF_INIT;

	/* .len comes off the wire: anything not longer than what we hold
	 * means there is no more (where Delve would say "...+-2 more"). */
	if (v->len <= n) {
		go_quote(sb, s, strlen(s));
		return;
	}
	strbuf_init(&t);
	strbuf_adds(&t, s);
	strbuf_addf(&t, "...+%" PRId64 " more", v->len - n);
	go_quote(sb, t.buf, t.len);
	strbuf_release(&t);
}

static void go_basic(struct strbuf *sb, const struct value *v)
{
	if (empty(v->value) && v->kind != VK_STRING) {
		strbuf_addf(sb, "(unknown %s)",
			    v->kind <= VK_UNSAFEPTR ? go_kinds[v->kind] : "?");
		return;
	}
	switch (v->kind) {
	case VK_COMPLEX64:
	case VK_COMPLEX128:
		if (v->nchildren >= 2)
			strbuf_addf(sb, "(%s + %si)", text_of(&v->children[0]),
				    text_of(&v->children[1]));
		else
			strbuf_adds(sb, v->value);
		return;
	case VK_STRING:
		go_string(sb, v);
		return;
	default:
		strbuf_adds(sb, v->value);
		return;
	}
}

/* fmt has a %s for the type and a 0x%x for addr; a type name with a
 * package path in it is quoted (%q), as Delve does. */
static void add_type_addr(struct strbuf *sb, const char *fmt,
			  const char *type, uint64_t addr)
{
	struct strbuf q = STRBUF_INIT;

	if (!strchr(type, '/')) {
		strbuf_addf(sb, fmt, type, addr);
		return;
	}
	strbuf_init(&q);
	go_quote(&q, type, strlen(type));
	strbuf_addf(sb, fmt, q.buf, addr);
	strbuf_release(&q);
}

/* ",...+N more" after n of len shown; "..." when none is. */
static void add_more(struct strbuf *sb, size_t n, int64_t len)
{
	if (len == (int64_t)n)
		return;
	if (!n)
		strbuf_adds(sb, "...");
	else if (len > (int64_t)n)
		strbuf_addf(sb, ",...+%" PRId64 " more", len - (int64_t)n);
}

static void go_elems(struct strbuf *sb, const struct value *v)
{
	strbuf_addch(sb, '[');
	for (size_t i = 0; i < v->nchildren; i++) {
		go_write(&v->children[i], sb, false, false);
		if (i + 1 != v->nchildren)
			strbuf_addch(sb, ',');
	}
	add_more(sb, v->nchildren, v->len);
	strbuf_addch(sb, ']');
}

static void go_struct(struct strbuf *sb, const struct value *v,
		      bool with_type)
{
	/* not loaded (one level too deep): its address */
	if (v->len != (int64_t)v->nchildren && !v->nchildren) {
		add_type_addr(sb, "(*%s)(0x%" PRIx64 ")", type_of(v), v->addr);
		return;
	}
	if (with_type)
		strbuf_addf(sb, "%s ", type_of(v));
	strbuf_addch(sb, '{');
	for (size_t i = 0; i < v->nchildren; i++) {
		const char *name = v->children[i].name;

		strbuf_addf(sb, "%s: ", name ? name : "");
		go_write(&v->children[i], sb, false, true);
		if (i + 1 != v->nchildren)
			strbuf_adds(sb, ", ");
	}
	if (v->len > (int64_t)v->nchildren)
		strbuf_addf(sb, ",...+%" PRId64 " more",
			    v->len - (int64_t)v->nchildren);
	strbuf_addch(sb, '}');
}

static void go_map(struct strbuf *sb, const struct value *v, bool with_type)
{
	size_t n = v->nchildren & ~(size_t)1;

	if (with_type)
		strbuf_addf(sb, "%s ", type_of(v));
	if (!(v->flags & VF_GO_BASE) && !v->nchildren) {
		strbuf_adds(sb, "nil");
		return;
	}
	strbuf_addch(sb, '[');
	/* Delve puts ", " after every pair, the last one too */
	for (size_t i = 0; i < n; i += 2) {
		go_write(&v->children[i], sb, false, false);
		strbuf_adds(sb, ": ");
		go_write(&v->children[i + 1], sb, false, false);
		strbuf_adds(sb, ", ");
	}
	add_more(sb, n / 2, v->len);
	strbuf_addch(sb, ']');
}

static void go_interface(struct strbuf *sb, const struct value *v,
			 bool with_type)
{
	const struct value *data;

	if (!v->addr || !v->nchildren) {
		strbuf_adds(sb, "nil");
		return;
	}
	data = &v->children[0];
	if (with_type) {
		if (data->kind == VK_INVALID) {
			strbuf_addf(sb, "%s ", type_of(v));
			if (!data->addr) {
				strbuf_adds(sb, "nil");
				return;
			}
		} else {
			strbuf_addf(sb, "%s(%s) ", type_of(v), type_of(data));
		}
	}
	if (data->kind == VK_PTR) {
		if (!data->nchildren)
			strbuf_adds(sb, "...");
		else if (!data->children[0].addr)
			strbuf_adds(sb, "nil");
		else if (only_addr(&data->children[0]))
			/* The pointer itself: where the object is. Delve
			 * prints where the data word is stored instead, a
			 * made-up 0xbeef... address when it is in registers
			 * (a documented difference). */
			strbuf_addf(sb, "0x%" PRIx64, data->children[0].addr);
		else
			go_write(data, sb, false, !with_type);
	} else if (only_addr(data)) {
		add_type_addr(sb, "*(*%s)(0x%" PRIx64 ")", type_of(v), v->addr);
	} else {
		go_write(data, sb, false, !with_type);
	}
}

static void go_ptr(struct strbuf *sb, const struct value *v, bool with_type)
{
	const struct value *to;

	if (empty(v->type) || !v->nchildren) {
		strbuf_adds(sb, "nil");
		return;
	}
	to = &v->children[0];
	if (only_addr(to) && to->addr) {
		add_type_addr(sb, "(%s)(0x%" PRIx64 ")", type_of(v), to->addr);
		return;
	}
	strbuf_addch(sb, '*');
	go_write(to, sb, false, with_type);
}

static void go_write(const struct value *v, struct strbuf *sb, bool top,
		     bool with_type)
{
	if (!empty(v->unreadable)) {
		strbuf_addf(sb, "(unreadable %s)", v->unreadable);
		return;
	}
	if (!top && !v->addr && empty(v->value)) {
		if (with_type && strcmp(type_of(v), "void"))
			strbuf_addf(sb, "%s nil", type_of(v));
		else
			strbuf_adds(sb, "nil");
		return;
	}
	switch (v->kind) {
	case VK_SLICE:
		if (with_type)
			strbuf_addf(sb,
				    "%s len: %" PRId64 ", cap: %" PRId64 ", ",
				    type_of(v), v->len, v->cap);
		if (!(v->flags & VF_GO_BASE) && !v->nchildren)
			strbuf_adds(sb, "nil");
		else
			go_elems(sb, v);
		return;
	case VK_ARRAY:
		if (with_type)
			strbuf_addf(sb, "%s ", type_of(v));
		go_elems(sb, v);
		return;
	case VK_PTR:
		go_ptr(sb, v, with_type);
		return;
	case VK_UNSAFEPTR:
		if (!v->nchildren)
			strbuf_adds(sb, "unsafe.Pointer(nil)");
		else
			strbuf_addf(sb, "unsafe.Pointer(0x%" PRIx64 ")",
				    v->children[0].addr);
		return;
	case VK_CHAN:
		if (!v->nchildren)
			strbuf_addf(sb, "%s nil", type_of(v));
		else
			strbuf_addf(sb, "%s %s/%s", type_of(v),
				    text_of(&v->children[0]),
				    v->nchildren > 1 ? text_of(&v->children[1])
						     : "");
		return;
	case VK_STRUCT:
		if (!empty(v->value)) {
			strbuf_addf(sb, "%s(%s)", type_of(v), v->value);
			with_type = false;
		}
		go_struct(sb, v, with_type);
		return;
	case VK_INTERFACE:
		go_interface(sb, v, with_type);
		return;
	case VK_MAP:
		go_map(sb, v, with_type);
		return;
	case VK_FUNC:
		strbuf_adds(sb, empty(v->value) ? "nil" : v->value);
		return;
	default:
		go_basic(sb, v);
		return;
	}
}

void value_format_go(const struct value *v, struct strbuf *sb)
{
	go_write(v, sb, true, true);
}
