/* gofmt: Go values as Delve's api.Variable.SinglelineString prints them
 * (service/api/prettyprint.go, writeTo without a format string), so that a
 * Go trace reads as under `dlv trace`; with -v, as its FormatTraceVariable
 * does: types shortened (ShortenType), nested values on lines of their
 * own (PrettyNewlines). The tree
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

/* Delve's PrettyFlags. */
enum {
	GF_TOP = 1,       /* prettyTop */
	GF_TYPE = 2,      /* prettyIncludeType */
	GF_NEWLINES = 4,  /* PrettyNewlines */
	GF_SHORTEN = 8,   /* PrettyShortenType */
};

/* One level of indentation, and the length above which a string element
 * puts its aggregate on several lines (Delve's indentString and
 * maxShortStringLen). */
#define GO_INDENT "\t"
#define GO_MAX_SHORT_STRING 7

static void go_write(const struct value *v, struct strbuf *sb, unsigned fl,
		     const char *indent);

/* fl with bit set or cleared (Delve's PrettyFlags.set). */
static unsigned fl_set(unsigned fl, unsigned bit, bool on)
{
	return on ? fl | bit : fl & ~bit;
}

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

/* Delve's ShortenType: the package path dropped from every name in a type
 * ("a/b/pkg.T" → "pkg.T"; one slash or none stays), through [N], *, map[]
 * and generic arguments. false, with sb undefined, where Delve gives up and
 * keeps the type as it is (an anonymous struct, interface or func). */
static bool shorten(struct strbuf *sb, const char *t, size_t n)
{
	static const char *const anon[] = {
		"interface {", "interface{", "struct {", "struct{",
		"func (", "func(",
	};
	size_t slash = 0, nslash = 0, lbrk = n;

	if (n && t[0] == '[') {
		for (size_t i = 0; i < n; i++)
			if (t[i] == ']') {
				strbuf_add(sb, t, i + 1);
				return shorten(sb, t + i + 1, n - i - 1);
			}
		return false;
	}
	if (n && t[0] == '*') {
		strbuf_addch(sb, '*');
		return shorten(sb, t + 1, n - 1);
	}
	if (n >= 4 && !strncmp(t, "map[", 4)) {
		int depth = 1;

		for (size_t i = 4; i < n; i++) {
			if (t[i] == '[') {
				depth++;
			} else if (t[i] == ']' && !--depth) {
				strbuf_adds(sb, "map[");
				if (!shorten(sb, t + 4, i - 4))
					return false;
				strbuf_addch(sb, ']');
				return shorten(sb, t + i + 1, n - i - 1);
			}
		}
		return false;
	}
	if ((n == 12 && !strncmp(t, "interface {}", n)) ||
	    (n == 11 && !strncmp(t, "interface{}", n)) ||
	    (n == 9 && !strncmp(t, "struct {}", n)) ||
	    (n == 8 && !strncmp(t, "struct{}", n))) {
		strbuf_add(sb, t, n);
		return true;
	}
	for (size_t k = 0; k < sizeof(anon) / sizeof(anon[0]); k++) {
		size_t m = strlen(anon[k]);

		for (size_t i = 0; i + m < n; i++)
			if (!strncmp(t + i, anon[k], m)) {
				if (t[i + m] != '}' && t[i + m] != ')')
					return false;
				break; /* Delve looks at the first only */
			}
	}
	for (size_t i = 0; i < n; i++)
		if (t[i] == '[') {
			lbrk = i;
			break;
		}
	if (lbrk < n) {
		size_t a;

		if (t[n - 1] != ']' || !shorten(sb, t, lbrk))
			return false;
		strbuf_addch(sb, '[');
		a = lbrk + 1;
		for (size_t i = a; i < n; i++) {
			if (t[i] != ',' && i != n - 1)
				continue;
			/* strings.TrimSpace of each argument */
			size_t lo = a, hi = i;
			while (lo < hi && t[lo] == ' ')
				lo++;
			while (hi > lo && t[hi - 1] == ' ')
				hi--;
			if (a != lbrk + 1)
				strbuf_adds(sb, ", ");
			if (!shorten(sb, t + lo, hi - lo))
				return false;
			a = i + 1;
		}
		strbuf_addch(sb, ']');
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		/* unicode.IsLetter: any byte of a UTF-8 sequence passes */
		if (!(c >= 0x80 || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_./@%-", c)))
			return false;
		if (c == '/')
			slash = i, nslash++;
	}
	if (nslash <= 1)
		strbuf_add(sb, t, n);
	else
		strbuf_add(sb, t + slash + 1, n - slash - 1);
	return true;
}

void value_go_shorten_type(struct strbuf *sb, const char *type)
{
	struct strbuf t = STRBUF_INIT;

	strbuf_init(&t);
	if (shorten(&t, type, strlen(type)))
		strbuf_add(sb, t.buf, t.len);
	else
		strbuf_adds(sb, type);
	strbuf_release(&t);
}

/* Delve's typeStr: v's type, shortened when fl says so. */
static void add_type(struct strbuf *sb, const struct value *v, unsigned fl)
{
	if (fl & GF_SHORTEN)
		value_go_shorten_type(sb, type_of(v));
	else
		strbuf_adds(sb, type_of(v));
}

/* add_type into a string of its own, for the formats that take one. */
static char *type_str(const struct value *v, unsigned fl)
{
	struct strbuf t = STRBUF_INIT;

	strbuf_init(&t);
	add_type(&t, v, fl);
	return strbuf_detach(&t);
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
	if (s[0] < 0x80) {
		*c = s[0];
		return 1;
	}
	if (n >= 2 && s[0] == 0xc0 && s[1] == 0x80) {
		*c = 0;
		return 2;
	}
	return go_utf8_seq(s, n, c);
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

/* add_type_addr with v's type as fl prints it. */
static void add_vtype_addr(struct strbuf *sb, const char *fmt,
			   const struct value *v, unsigned fl, uint64_t addr)
{
	char *t = type_str(v, fl);

	add_type_addr(sb, fmt, t, addr);
	free(t);
}

/* The indentation one level in from indent (the caller frees it). */
static char *indent_in(const char *indent)
{
	struct strbuf t = STRBUF_INIT;

	strbuf_init(&t);
	strbuf_adds(&t, indent);
	strbuf_adds(&t, GO_INDENT);
	return strbuf_detach(&t);
}

/* A new line at indent, one level further in when in. */
static void newline(struct strbuf *sb, const char *indent, bool in)
{
	strbuf_addch(sb, '\n');
	strbuf_adds(sb, indent);
	if (in)
		strbuf_adds(sb, GO_INDENT);
}

/* "...+N more" after n of len shown, on its own line when nl; "..." when
 * none is. */
static void add_more(struct strbuf *sb, size_t n, int64_t len, bool nl,
		     const char *indent)
{
	if (len == (int64_t)n)
		return;
	if (!n) {
		strbuf_adds(sb, "...");
	} else if (len > (int64_t)n) {
		if (nl)
			newline(sb, indent, true);
		else
			strbuf_addch(sb, ',');
		strbuf_addf(sb, "...+%" PRId64 " more", len - (int64_t)n);
	}
}

/* Delve's recursiveKind: the kind through pointers, and whether there was
 * one. */
static enum vkind deref_kind(const struct value *v, bool *hasptr)
{
	*hasptr = false;
	while (v->kind == VK_PTR) {
		*hasptr = true;
		if (!v->nchildren)
			return VK_PTR;
		v = &v->children[0];
	}
	return v->kind;
}

/* Whether element or field c puts its aggregate on several lines
 * (Delve's shouldNewlineArray and shouldNewlineStruct, which differ only
 * in looking at the first element or at every field). */
static bool is_tall(const struct value *c, bool *string)
{
	bool hasptr;

	*string = false;
	switch (deref_kind(c, &hasptr)) {
	case VK_SLICE:
	case VK_ARRAY:
	case VK_STRUCT:
	case VK_MAP:
	case VK_INTERFACE:
		return true;
	case VK_STRING:
		*string = true;
		return hasptr || go_len(text_of(c)) > GO_MAX_SHORT_STRING;
	default:
		return false;
	}
}

static bool newline_elems(const struct value *v, unsigned fl)
{
	bool string;

	if (!(fl & GF_NEWLINES) || !v->nchildren)
		return false;
	if (is_tall(&v->children[0], &string))
		return true;
	if (!string)
		return false;
	for (size_t i = 1; i < v->nchildren; i++)
		if (go_len(text_of(&v->children[i])) > GO_MAX_SHORT_STRING)
			return true;
	return false;
}

static bool newline_struct(const struct value *v, unsigned fl)
{
	bool string;

	if (!(fl & GF_NEWLINES))
		return false;
	for (size_t i = 0; i < v->nchildren; i++)
		if (is_tall(&v->children[i], &string))
			return true;
	return false;
}

static void go_elems(struct strbuf *sb, const struct value *v, unsigned fl,
		     const char *indent)
{
	bool nl = newline_elems(v, fl);
	char *in = indent_in(indent);

	strbuf_addch(sb, '[');
	for (size_t i = 0; i < v->nchildren; i++) {
		if (nl)
			newline(sb, indent, true);
		go_write(&v->children[i], sb,
			 fl_set(fl & GF_SHORTEN, GF_NEWLINES, nl), in);
		if (i + 1 != v->nchildren || nl)
			strbuf_addch(sb, ',');
	}
	add_more(sb, v->nchildren, v->len, nl, indent);
	if (nl)
		newline(sb, indent, false);
	strbuf_addch(sb, ']');
	free(in);
}

/* With newlines, Delve's closing brace follows the last field's comma on
 * its line: "{\n\tA: 1,\n\tB: \"long string\",}". */
static void go_struct(struct strbuf *sb, const struct value *v, unsigned fl,
		      const char *indent)
{
	bool nl;
	char *in;

	/* not loaded (one level too deep): its address */
	if (v->len != (int64_t)v->nchildren && !v->nchildren) {
		add_vtype_addr(sb, "(*%s)(0x%" PRIx64 ")", v, fl, v->addr);
		return;
	}
	if (fl & GF_TYPE) {
		add_type(sb, v, fl);
		strbuf_addch(sb, ' ');
	}
	nl = newline_struct(v, fl);
	in = indent_in(indent);
	strbuf_addch(sb, '{');
	for (size_t i = 0; i < v->nchildren; i++) {
		const char *name = v->children[i].name;

		if (nl)
			newline(sb, indent, true);
		strbuf_addf(sb, "%s: ", name ? name : "");
		go_write(&v->children[i], sb,
			 GF_TYPE | (fl & GF_SHORTEN) | (nl ? GF_NEWLINES : 0),
			 in);
		if (i + 1 != v->nchildren || nl)
			strbuf_adds(sb, nl ? "," : ", ");
	}
	if (v->len > (int64_t)v->nchildren) {
		if (nl)
			newline(sb, indent, true);
		else
			strbuf_addch(sb, ',');
		strbuf_addf(sb, "...+%" PRId64 " more",
			    v->len - (int64_t)v->nchildren);
	}
	strbuf_addch(sb, '}');
	free(in);
}

static void go_map(struct strbuf *sb, const struct value *v, unsigned fl,
		   const char *indent)
{
	size_t n = v->nchildren & ~(size_t)1;
	bool nl;
	char *in;

	if (fl & GF_TYPE) {
		add_type(sb, v, fl);
		strbuf_addch(sb, ' ');
	}
	if (!(v->flags & VF_GO_BASE) && !v->nchildren) {
		strbuf_adds(sb, "nil");
		return;
	}
	nl = (fl & GF_NEWLINES) && v->nchildren;
	in = indent_in(indent);
	strbuf_addch(sb, '[');
	/* Delve puts ", " after every pair, the last one too */
	for (size_t i = 0; i < n; i += 2) {
		if (nl)
			newline(sb, indent, true);
		go_write(&v->children[i], sb, 0, in);
		strbuf_adds(sb, ": ");
		go_write(&v->children[i + 1], sb,
			 fl_set(fl & GF_SHORTEN, GF_NEWLINES, nl), in);
		strbuf_adds(sb, ", ");
	}
	add_more(sb, n / 2, v->len, nl, indent);
	if (nl)
		newline(sb, indent, false);
	strbuf_addch(sb, ']');
	free(in);
}

static void go_interface(struct strbuf *sb, const struct value *v,
			 unsigned fl, const char *indent)
{
	const struct value *data;
	/* the data: its type shown when the interface's was not */
	unsigned dfl = fl_set(fl & ~GF_TOP, GF_TYPE, !(fl & GF_TYPE));

	if (!v->addr || !v->nchildren) {
		strbuf_adds(sb, "nil");
		return;
	}
	data = &v->children[0];
	if (fl & GF_TYPE) {
		add_type(sb, v, fl);
		if (data->kind == VK_INVALID) {
			strbuf_addch(sb, ' ');
			if (!data->addr) {
				strbuf_adds(sb, "nil");
				return;
			}
		} else {
			strbuf_addch(sb, '(');
			add_type(sb, data, fl);
			strbuf_adds(sb, ") ");
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
			go_write(data, sb, dfl, indent);
	} else if (only_addr(data)) {
		add_vtype_addr(sb, "*(*%s)(0x%" PRIx64 ")", v, fl, v->addr);
	} else {
		go_write(data, sb, dfl, indent);
	}
}

static void go_ptr(struct strbuf *sb, const struct value *v, unsigned fl,
		   const char *indent)
{
	const struct value *to;

	if (empty(v->type) || !v->nchildren) {
		strbuf_adds(sb, "nil");
		return;
	}
	to = &v->children[0];
	if (only_addr(to) && to->addr) {
		add_vtype_addr(sb, "(%s)(0x%" PRIx64 ")", v, fl, to->addr);
		return;
	}
	if ((fl & GF_TOP) && (fl & GF_NEWLINES) && to->addr) {
		add_vtype_addr(sb, "(%s)(0x%" PRIx64 ")", v, fl, to->addr);
		strbuf_addch(sb, '\n');
	}
	strbuf_addch(sb, '*');
	go_write(to, sb, fl & ~GF_TOP, indent);
}

/* A closure with its captured variables, one a line (newlines only). */
static void go_func(struct strbuf *sb, const struct value *v, unsigned fl,
		    const char *indent)
{
	char *in;

	if (empty(v->value)) {
		strbuf_adds(sb, "nil");
		return;
	}
	strbuf_adds(sb, v->value);
	if (!(fl & GF_NEWLINES) || !v->nchildren)
		return;
	in = indent_in(indent);
	strbuf_adds(sb, " {\n");
	for (size_t i = 0; i < v->nchildren; i++) {
		const struct value *c = &v->children[i];

		strbuf_addf(sb, "%s%s ", in, c->name ? c->name : "");
		add_type(sb, c, fl);
		strbuf_adds(sb, " = ");
		go_write(c, sb, fl & ~(GF_TOP | GF_TYPE), in);
		strbuf_addch(sb, '\n');
	}
	strbuf_addf(sb, "%s}", indent);
	free(in);
}

static void go_write(const struct value *v, struct strbuf *sb, unsigned fl,
		     const char *indent)
{
	if (!empty(v->unreadable)) {
		strbuf_addf(sb, "(unreadable %s)", v->unreadable);
		return;
	}
	if (!(fl & GF_TOP) && !v->addr && empty(v->value)) {
		if ((fl & GF_TYPE) && strcmp(type_of(v), "void")) {
			add_type(sb, v, fl);
			strbuf_adds(sb, " nil");
		} else {
			strbuf_adds(sb, "nil");
		}
		return;
	}
	switch (v->kind) {
	case VK_SLICE:
		if (fl & GF_TYPE) {
			add_type(sb, v, fl);
			strbuf_addf(sb, " len: %" PRId64 ", cap: %" PRId64 ", ",
				    v->len, v->cap);
		}
		if (!(v->flags & VF_GO_BASE) && !v->nchildren)
			strbuf_adds(sb, "nil");
		else
			go_elems(sb, v, fl, indent);
		return;
	case VK_ARRAY:
		if (fl & GF_TYPE) {
			add_type(sb, v, fl);
			strbuf_addch(sb, ' ');
		}
		go_elems(sb, v, fl, indent);
		return;
	case VK_PTR:
		go_ptr(sb, v, fl, indent);
		return;
	case VK_UNSAFEPTR:
		if (!v->nchildren)
			strbuf_adds(sb, "unsafe.Pointer(nil)");
		else
			strbuf_addf(sb, "unsafe.Pointer(0x%" PRIx64 ")",
				    v->children[0].addr);
		return;
	case VK_CHAN:
		if (fl & GF_NEWLINES) {
			go_struct(sb, v, fl, indent);
			return;
		}
		add_type(sb, v, fl);
		if (!v->nchildren)
			strbuf_adds(sb, " nil");
		else
			strbuf_addf(sb, " %s/%s", text_of(&v->children[0]),
				    v->nchildren > 1 ? text_of(&v->children[1])
						     : "");
		return;
	case VK_STRUCT:
		if (!empty(v->value)) {
			add_type(sb, v, fl);
			strbuf_addf(sb, "(%s)", v->value);
			fl &= ~GF_TYPE;
		}
		go_struct(sb, v, fl, indent);
		return;
	case VK_INTERFACE:
		go_interface(sb, v, fl, indent);
		return;
	case VK_MAP:
		go_map(sb, v, fl, indent);
		return;
	case VK_FUNC:
		go_func(sb, v, fl, indent);
		return;
	default:
		go_basic(sb, v);
		return;
	}
}

void value_format_go(const struct value *v, struct strbuf *sb)
{
	go_write(v, sb, GF_TOP | GF_TYPE, "");
}

void value_format_go_pretty(const struct value *v, struct strbuf *sb,
			    bool newlines)
{
	go_write(v, sb, GF_TOP | GF_TYPE | GF_SHORTEN |
				(newlines ? GF_NEWLINES : 0), "");
}
