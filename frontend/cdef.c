/*
** frontend/cdef.c: struct, union and enum definitions written in a
** script, as bpftrace 0.17 lets its clang read them:
**
**     struct Foo { int x; char c; unsigned long *p; struct sock *sk; };
**     union U { u32 a; u64 b; };
**     enum E { A = 3, B, C = 1 << 4 };
**
** The lexer hands each definition over as one T_CDEF token (its text and
** where it starts); cdef_add parses it here into declarations, and
** cdef_resolve (sema, once the kernel's BTF is there) lays them out as C
** does on x86-64: members at their alignment, bitfields packed in units
** of their type, unions at offset 0, sizes rounded to the alignment.
** Members may be C integer types (char, unsigned long, ...), fixed-width
** names (u8, __u32, uint64_t, int8, ...), bool, pointers, arrays, earlier
** definitions of the script, kernel BTF types and typedefs, and nested or
** anonymous structs and unions. A script definition of a name BTF has
** too replaces the kernel's, as clang's does in bpftrace. The records are
** TY_RECORD types without BTF, looked up by field name (btfc_member).
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"
#include "cdef.h"

#define MAX_WORDS 8
#define MAX_DIMS 4

struct cmember;

struct cdecl_def { /* one struct/union/enum body */
	const char *kw; /* "struct", "union", "enum" */
	const char *name; /* NULL: anonymous */
	struct loc loc;
	struct cmember *members;
	int nmembers, capmembers;
	/* enum */
	const char **enames;
	int64_t *evals;
	int nenum, capenum;
	const struct type *ty; /* resolved */
	bool resolving, top;
};

struct cmember {
	const char *words[MAX_WORDS]; /* the specifier: "unsigned", "long" / "struct", "sock" */
	int nwords;
	struct cdecl_def *nested; /* a struct/union/enum defined in place */
	int nptr;
	uint32_t dims[MAX_DIMS];
	int ndims;
	int bits; /* -1: not a bitfield */
	bool funcptr;
	const char *name; /* NULL: an anonymous struct/union member */
	struct loc loc;  /* the name's */
	struct loc tloc; /* the type's */
};

struct cdefs {
	struct cdecl_def **defs;
	int n, cap;
	/* enum constants of every definition, in order */
	const char **cnames;
	int64_t *cvals;
	int nc, capc;
};

static struct cdecl_def *find_named(const struct cdefs *c, const char *kw, const char *name);

/* ------------------------------------------------------------- scanner */

enum { CT_EOF, CT_IDENT, CT_INT, CT_PUNCT, CT_BAD };

struct cscan {
	struct arena *a;
	struct diags *d;
	const char *p;
	int line, col;
	/* the current token */
	int kind;
	char punct;
	char *text;
	int64_t ival;
	struct loc loc;
	bool failed;
};

static void cs_err(struct cscan *s, const struct loc *l, const char *hint, const char *msg, const char *what)
{
	if (!s->failed)
		diag_error(s->d, l, hint, msg, what);
	s->failed = true;
}

static void cs_advance(struct cscan *s, int n)
{
	for (int i = 0; i < n && *s->p; i++, s->p++) {
		if (*s->p == '\n') {
			s->line++;
			s->col = 1;
		} else {
			s->col++;
		}
	}
}

static void cs_next(struct cscan *s)
{
	for (;;) { /* blanks and comments */
		if (isspace((unsigned char)*s->p)) {
			cs_advance(s, 1);
		} else if (s->p[0] == '/' && s->p[1] == '/') {
			while (*s->p && *s->p != '\n')
				cs_advance(s, 1);
		} else if (s->p[0] == '/' && s->p[1] == '*') {
			cs_advance(s, 2);
			while (*s->p && !(s->p[0] == '*' && s->p[1] == '/'))
				cs_advance(s, 1);
			cs_advance(s, 2);
		} else {
			break;
		}
	}
	s->loc.line = s->line;
	s->loc.col = s->col;
	const char *b = s->p;
	if (!*s->p) {
		s->kind = CT_EOF;
	} else if (isalpha((unsigned char)*s->p) || *s->p == '_') {
		while (isalnum((unsigned char)*s->p) || *s->p == '_')
			cs_advance(s, 1);
		s->kind = CT_IDENT;
		s->text = arena_strndup(s->a, b, (size_t)(s->p - b));
	} else if (isdigit((unsigned char)*s->p)) {
		while (isalnum((unsigned char)*s->p) || *s->p == '_')
			cs_advance(s, 1);
		uint64_t v = 0;
		const char *hint = NULL;
		s->kind = CT_INT;
		s->text = arena_strndup(s->a, b, (size_t)(s->p - b));
		s->loc.end_line = s->line;
		s->loc.end_col = s->col;
		const char *m = lex_parse_int(b, (size_t)(s->p - b), &v, &hint, NULL, 0);
		if (m)
			cs_err(s, &s->loc, hint, "%s", m);
		s->ival = (int64_t)v;
		return;
	} else {
		s->kind = strchr("{}[]();,*:=-+~|&^<>()", *s->p) ? CT_PUNCT : CT_BAD;
		s->punct = *s->p;
		if ((s->p[0] == '<' && s->p[1] == '<') || (s->p[0] == '>' && s->p[1] == '>'))
			cs_advance(s, 1); /* "<<" / ">>": punct '<' / '>' */
		cs_advance(s, 1);
	}
	s->loc.end_line = s->line;
	s->loc.end_col = s->col;
	if (s->kind == CT_BAD)
		cs_err(s, &s->loc, "a definition holds C declarations: type name;", "unexpected '%s' in a C definition",
		       arena_strndup(s->a, b, 1));
}

static bool cs_is(struct cscan *s, char c)
{
	return s->kind == CT_PUNCT && s->punct == c;
}

static bool cs_word(struct cscan *s, const char *w)
{
	return s->kind == CT_IDENT && !strcmp(s->text, w);
}

static bool cs_expect(struct cscan *s, char c, const char *hint)
{
	if (cs_is(s, c)) {
		cs_next(s);
		return true;
	}
	char want[2] = { c, 0 };
	cs_err(s, &s->loc, hint, "expected '%s' in a C definition", want);
	return false;
}

/* __attribute__((...)), __aligned(...) and the like: skipped, with their parentheses */
static void cs_skip_parens(struct cscan *s)
{
	int depth = 0;
	do {
		if (cs_is(s, '('))
			depth++;
		else if (cs_is(s, ')'))
			depth--;
		cs_next(s);
	} while (depth > 0 && s->kind != CT_EOF && !s->failed);
}

static bool is_qualifier(struct cscan *s)
{
	static const char *const q[] = { "const", "volatile", "restrict", "__restrict", "__user", "__rcu",
					 "__iomem", "__percpu", "__packed", "__aligned", "__attribute__",
					 "__randomize_layout", "static", "extern", NULL };
	if (s->kind != CT_IDENT)
		return false;
	for (int i = 0; q[i]; i++)
		if (!strcmp(s->text, q[i]))
			return true;
	return false;
}

static void skip_qualifiers(struct cscan *s)
{
	while (is_qualifier(s) && !s->failed) {
		cs_next(s);
		if (cs_is(s, '('))
			cs_skip_parens(s);
	}
}

/* ----------------------------------------------------------- constants */

static int64_t const_expr(struct cscan *s, struct cdefs *c, int prec);

static int64_t const_primary(struct cscan *s, struct cdefs *c)
{
	if (cs_is(s, '-')) {
		cs_next(s);
		return -const_primary(s, c);
	}
	if (cs_is(s, '~')) {
		cs_next(s);
		return ~const_primary(s, c);
	}
	if (cs_is(s, '(')) {
		cs_next(s);
		int64_t v = const_expr(s, c, 0);
		cs_expect(s, ')', "close the parenthesis");
		return v;
	}
	if (s->kind == CT_INT) {
		int64_t v = s->ival;
		cs_next(s);
		return v;
	}
	if (s->kind == CT_IDENT) {
		for (int i = c->nc - 1; i >= 0; i--)
			if (!strcmp(c->cnames[i], s->text)) {
				cs_next(s);
				return c->cvals[i];
			}
		cs_err(s, &s->loc, "an enumerator's value is an integer, or an expression of integers and earlier enumerators",
		       "unknown name '%s' in an enumerator's value", s->text);
		return 0;
	}
	cs_err(s, &s->loc, "give the enumerator an integer value: NAME = 3", "expected an integer in a C definition%s", "");
	return 0;
}

static int binop_prec(struct cscan *s)
{
	if (s->kind != CT_PUNCT)
		return -1;
	switch (s->punct) {
	case '|': return 1;
	case '^': return 2;
	case '&': return 3;
	case '<': case '>': return 4; /* << >> */
	case '+': case '-': return 5;
	case '*': return 6;
	default: return -1;
	}
}

static int64_t const_expr(struct cscan *s, struct cdefs *c, int prec)
{
	int64_t l = const_primary(s, c);
	for (;;) {
		int p = binop_prec(s);
		if (p < 0 || p <= prec || s->failed)
			return l;
		char op = s->punct;
		cs_next(s);
		int64_t r = const_expr(s, c, p);
		switch (op) {
		case '|': l |= r; break;
		case '^': l ^= r; break;
		case '&': l &= r; break;
		case '<': l = r >= 0 && r < 64 ? (int64_t)((uint64_t)l << r) : 0; break;
		case '>': l = r >= 0 && r < 64 ? l >> r : 0; break;
		case '+': l = (int64_t)((uint64_t)l + (uint64_t)r); break;
		case '-': l = (int64_t)((uint64_t)l - (uint64_t)r); break;
		case '*': l = (int64_t)((uint64_t)l * (uint64_t)r); break;
		}
	}
}

/* -------------------------------------------------------------- parser */

static struct cdecl_def *parse_body(struct cscan *s, struct cdefs *c, const char *kw, const char *name,
				    const struct loc *at);

static void push_i64(struct arena *a, int64_t **v, int n, int64_t x)
{
	/* arrays of enumerator values: grown by doubling at powers of two */
	if (n == 0 || (n & (n - 1)) == 0) {
		int64_t *nv = arena_alloc(a, sizeof(*nv) * (size_t)(n ? 2 * n : 1));
		if (n)
			memcpy(nv, *v, sizeof(*nv) * (size_t)n);
		*v = nv;
	}
	(*v)[n] = x;
}

static void add_member(struct cscan *s, struct cdecl_def *d, const struct cmember *m)
{
	if (d->nmembers == d->capmembers) {
		int cap = d->capmembers ? d->capmembers * 2 : 8;
		struct cmember *nm = arena_alloc(s->a, sizeof(*nm) * (size_t)cap);
		if (d->nmembers)
			memcpy(nm, d->members, sizeof(*nm) * (size_t)d->nmembers);
		d->members = nm;
		d->capmembers = cap;
	}
	d->members[d->nmembers++] = *m;
}

/* one declarator after the specifier: *name[N][M] : bits, or (*name)(args) */
static bool parse_declarator(struct cscan *s, struct cmember *m)
{
	while (cs_is(s, '*') || is_qualifier(s)) {
		if (cs_is(s, '*'))
			m->nptr++;
		cs_next(s);
		if (cs_is(s, '('))
			cs_skip_parens(s); /* __attribute__((...)) after a qualifier */
	}
	if (cs_is(s, '(')) { /* a function pointer: (*name)(...) is a pointer */
		cs_next(s);
		while (cs_is(s, '*')) {
			m->nptr++;
			cs_next(s);
		}
		if (s->kind != CT_IDENT) {
			cs_err(s, &s->loc, "write a function pointer member as: void (*name)(int)", "expected a member name%s", "");
			return false;
		}
		m->name = s->text;
		m->loc = s->loc;
		cs_next(s);
		cs_expect(s, ')', "write a function pointer member as: void (*name)(int)");
		if (cs_is(s, '('))
			cs_skip_parens(s);
		m->funcptr = true;
		return !s->failed;
	}
	if (s->kind == CT_IDENT) {
		m->name = s->text;
		m->loc = s->loc;
		cs_next(s);
	} else if (!cs_is(s, ':')) {
		cs_err(s, &s->loc, "each member is: type name;", "expected a member name%s", "");
		return false;
	}
	while (cs_is(s, '[')) {
		cs_next(s);
		if (s->kind != CT_INT || s->ival < 0 || s->ival > (1 << 24)) {
			cs_err(s, &s->loc, "an array member has a constant size: char name[16];",
			       "expected an array size%s", "");
			return false;
		}
		if (m->ndims == MAX_DIMS) {
			cs_err(s, &s->loc, "use at most 4 dimensions", "too many array dimensions%s", "");
			return false;
		}
		m->dims[m->ndims++] = (uint32_t)s->ival;
		cs_next(s);
		if (!cs_expect(s, ']', "close the array size with ']'"))
			return false;
	}
	if (cs_is(s, ':')) {
		cs_next(s);
		if (s->kind != CT_INT || s->ival < 0 || s->ival > 64) {
			cs_err(s, &s->loc, "a bitfield's width is an integer from 0 to 64", "expected a bitfield width%s", "");
			return false;
		}
		m->bits = (int)s->ival;
		cs_next(s);
	}
	skip_qualifiers(s);
	return !s->failed;
}

static bool is_c_int_word(const char *w)
{
	static const char *const ckw[] = { "unsigned", "signed", "char", "short", "int", "long", NULL };
	for (int i = 0; ckw[i]; i++)
		if (!strcmp(w, ckw[i]))
			return true;
	return false;
}

/* members up to the closing '}' */
static void parse_members(struct cscan *s, struct cdefs *c, struct cdecl_def *d)
{
	while (!cs_is(s, '}') && s->kind != CT_EOF && !s->failed) {
		struct cmember m = { .bits = -1 };
		skip_qualifiers(s);
		m.tloc = s->loc;
		if (cs_word(s, "struct") || cs_word(s, "union") || cs_word(s, "enum")) {
			const char *kw = s->text;
			struct loc kl = s->loc;
			cs_next(s);
			const char *name = NULL;
			struct loc nl = s->loc;
			if (s->kind == CT_IDENT && !is_qualifier(s)) {
				name = s->text;
				cs_next(s);
			}
			if (cs_is(s, '{')) {
				m.nested = parse_body(s, c, kw, name, &kl);
				if (!m.nested)
					return;
			} else if (!name) {
				cs_err(s, &nl, "name the struct, or give its members: struct { int x; } name;",
				       "expected a name or '{' after '%s'", kw);
				return;
			} else {
				m.words[m.nwords++] = kw;
				m.words[m.nwords++] = name;
			}
		} else {
			/* type words: unsigned long, u32, pid_t, ... up to the declarator:
			** C's integer keywords go together; any other name is a type
			** name alone, and a name after a type is the member's */
			while (s->kind == CT_IDENT && !s->failed) {
				if (is_qualifier(s)) {
					skip_qualifiers(s);
					continue;
				}
				bool kw = is_c_int_word(s->text);
				if (m.nwords && (!kw || !is_c_int_word(m.words[m.nwords - 1])))
					break;
				if (m.nwords == MAX_WORDS) {
					cs_err(s, &s->loc, NULL, "too many words in a type name%s", "");
					return;
				}
				m.words[m.nwords++] = s->text;
				cs_next(s);
			}
			if (!m.nwords) {
				cs_err(s, &s->loc, "each member is: type name;", "expected a member type%s", "");
				return;
			}
		}
		if (cs_is(s, ';') && m.nested) { /* an anonymous member, or only a definition */
			cs_next(s);
			if (!m.nested->name || strcmp(m.nested->kw, "enum"))
				add_member(s, d, &m);
			continue;
		}
		for (;;) {
			struct cmember one = m;
			if (!parse_declarator(s, &one))
				return;
			add_member(s, d, &one);
			if (!cs_is(s, ','))
				break;
			cs_next(s);
		}
		if (cs_is(s, '}')) /* the last member's ';' may go, as clang allows */
			break;
		if (!cs_expect(s, ';', "end each member with ';'"))
			return;
	}
}

static void parse_enum(struct cscan *s, struct cdefs *c, struct cdecl_def *d)
{
	int64_t next = 0;
	while (!cs_is(s, '}') && s->kind != CT_EOF && !s->failed) {
		if (s->kind != CT_IDENT) {
			cs_err(s, &s->loc, "an enum lists NAME or NAME = value, separated by ','", "expected an enumerator name%s", "");
			return;
		}
		const char *name = s->text;
		cs_next(s);
		if (cs_is(s, '=')) {
			cs_next(s);
			next = const_expr(s, c, 0);
		}
		push_i64(s->a, &d->evals, d->nenum, next);
		arena_vec_push(s->a, (void ***)&d->enames, &d->nenum, &d->capenum, (void *)name);
		/* visible to later values at once */
		push_i64(s->a, &c->cvals, c->nc, next);
		arena_vec_push(s->a, (void ***)&c->cnames, &c->nc, &c->capc, (void *)name);
		next++;
		if (!cs_is(s, ','))
			break;
		cs_next(s);
	}
}

/* at '{': the body of a struct, union or enum, through its '}' */
static struct cdecl_def *parse_body(struct cscan *s, struct cdefs *c, const char *kw, const char *name,
				    const struct loc *at)
{
	struct cdecl_def *d = arena_alloc(s->a, sizeof(*d));
	cs_next(s); /* '{' */
	d->kw = kw;
	d->name = name;
	d->loc = *at;
	if (!strcmp(kw, "enum"))
		parse_enum(s, c, d);
	else
		parse_members(s, c, d);
	if (!s->failed)
		cs_expect(s, '}', "close the definition with '}'");
	return s->failed ? NULL : d;
}

void cdef_add(struct program *p, struct diags *d, const char *text, const struct loc *start)
{
	struct arena *a = p->arena;
	if (!p->cdefs)
		p->cdefs = arena_alloc(a, sizeof(*p->cdefs));
	struct cdefs *c = p->cdefs;
	struct cscan s = { .a = a, .d = d, .p = text, .line = start->line, .col = start->col };
	cs_next(&s);
	/* the lexer matched: (struct|union|enum) NAME? { */
	const char *kw = s.text;
	struct loc at = s.loc;
	cs_next(&s);
	const char *name = NULL;
	if (s.kind == CT_IDENT) {
		name = s.text;
		at.end_line = s.loc.end_line;
		at.end_col = s.loc.end_col;
		cs_next(&s);
	}
	struct cdecl_def *def = parse_body(&s, c, kw, name, &at);
	if (!def)
		return;
	if (!name && strcmp(kw, "enum"))
		diag_warn(d, &at, "name it: struct Foo { ... }", "an anonymous %s at the top level defines nothing", kw);
	def->top = true;
	struct cdecl_def *old = name ? find_named(c, kw, name) : NULL;
	if (old) {
		diag_error(d, &at, arena_printf(a, "the first definition is at line %d; give this one another name",
						old->loc.line),
			   "redefinition of '%s %s'", kw, name);
		return;
	}
	arena_vec_push(a, (void ***)&c->defs, &c->n, &c->cap, def);
}

/* ----------------------------------------------------------- resolving */

struct resolver {
	struct arena *a;
	struct diags *d;
	struct btf_ctx *btf;
	struct cdefs *c;
	/* named definitions, nested ones included, in order */
	struct cdecl_def **named;
	int nnamed, capnamed;
};

static const struct type *resolve_def(struct resolver *r, struct cdecl_def *d);

static struct cdecl_def *find_named(const struct cdefs *c, const char *kw, const char *name)
{
	for (int i = c->n - 1; i >= 0; i--) { /* the last definition of a name wins, as a redefinition */
		struct cdecl_def *d = c->defs[i];
		if (d->name && !strcmp(d->kw, kw) && !strcmp(d->name, name))
			return d;
	}
	return NULL;
}

/* a fixed-width or C integer type named by the words, or NULL */
static const struct type *int_named(const char *const *w, int n)
{
	if (n == 1) {
		static const struct { const char *name; int size; bool sign; } fixed[] = {
			{ "u8", 1, false }, { "u16", 2, false }, { "u32", 4, false }, { "u64", 8, false },
			{ "s8", 1, true }, { "s16", 2, true }, { "s32", 4, true }, { "s64", 8, true },
			{ "__u8", 1, false }, { "__u16", 2, false }, { "__u32", 4, false }, { "__u64", 8, false },
			{ "__s8", 1, true }, { "__s16", 2, true }, { "__s32", 4, true }, { "__s64", 8, true },
			{ "uint8_t", 1, false }, { "uint16_t", 2, false }, { "uint32_t", 4, false }, { "uint64_t", 8, false },
			{ "int8_t", 1, true }, { "int16_t", 2, true }, { "int32_t", 4, true }, { "int64_t", 8, true },
			{ "uint8", 1, false }, { "uint16", 2, false }, { "uint32", 4, false }, { "uint64", 8, false },
			{ "int8", 1, true }, { "int16", 2, true }, { "int32", 4, true }, { "int64", 8, true },
			{ "bool", 1, false }, { "_Bool", 1, false },
		};
		for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
			if (!strcmp(w[0], fixed[i].name))
				return ty_int(fixed[i].size, fixed[i].sign);
	}
	return ty_c_int(w, n);
}

static uint32_t align_of(const struct type *t)
{
	if (t->kind == TY_ARRAY)
		return align_of(t->sub);
	if (t->kind == TY_STR)
		return 1;
	return t->align ? t->align : t->size >= 8 ? 8 : t->size ? t->size : 1;
}

/* the member's type: specifier, pointers, arrays; NULL after an error */
static const struct type *member_type(struct resolver *r, const struct cmember *m)
{
	const struct type *t = NULL;
	const char *what = m->nwords ? m->words[m->nwords - 1] : "";
	if (m->funcptr) {
		t = ty_void();
	} else if (m->nested) {
		t = resolve_def(r, m->nested);
	} else if (m->nwords == 2 && (!strcmp(m->words[0], "struct") || !strcmp(m->words[0], "union") ||
				      !strcmp(m->words[0], "enum"))) {
		struct cdecl_def *d = find_named(r->c, m->words[0], m->words[1]);
		for (int i = 0; !d && i < r->nnamed; i++)
			if (!strcmp(r->named[i]->kw, m->words[0]) && !strcmp(r->named[i]->name, m->words[1]))
				d = r->named[i];
		if (d && d->resolving && !m->nptr) {
			diag_error(r->d, &m->loc, "a struct cannot hold itself: make the member a pointer",
				   "member '%s' has the incomplete type '%s %s'", m->name ? m->name : "", d->kw, d->name);
			return NULL;
		}
		if (d)
			t = d->ty ? d->ty : resolve_def(r, d);
		else if (r->btf)
			t = btfc_record(r->btf, m->words[0], m->words[1]);
		if (t && !strcmp(m->words[0], "enum") && t->kind != TY_INT)
			t = ty_int(4, false);
		if (!t && m->nptr)
			t = ty_void(); /* a pointer to a type nobody defines: opaque, as in C */
		if (!t) {
			diag_error(r->d, &m->tloc, "define it earlier in the script, or check the kernel's BTF for the name",
				   "Unknown struct/union: '%s %s'", m->words[0], m->words[1]);
			return NULL;
		}
	} else if (m->nwords == 1 && !strcmp(m->words[0], "void")) {
		if (!m->nptr) {
			diag_error(r->d, &m->loc, "a void member needs a '*': void *name;", "member '%s' has type void",
				   m->name ? m->name : "");
			return NULL;
		}
		t = ty_void();
	} else if (!(t = int_named(m->words, m->nwords))) {
		if (m->nwords == 1 && r->btf)
			t = btfc_record(r->btf, NULL, m->words[0]); /* a kernel typedef: pid_t, u64, ... */
		if (!t) {
			diag_error(r->d, &m->tloc, "C integer types, u8..u64, int8_t..uint64_t, struct/union/enum NAME, or a kernel typedef",
				   "unknown type name '%s' in a C definition", what);
			return NULL;
		}
	}
	for (int i = 0; i < m->nptr; i++)
		t = ty_ptr(r->a, t);
	for (int i = m->ndims - 1; i >= 0; i--) {
		/* plain char[N] is a string, as bpftrace 0.17 (clang's Char_S) */
		bool is_char = m->nwords == 1 && !strcmp(m->words[0], "char") && !m->nptr && i == m->ndims - 1;
		t = is_char ? ty_str(r->a, m->dims[i]) : ty_array(r->a, t, m->dims[i]);
	}
	return t;
}

struct fields {
	const struct type **ty;
	uint32_t *off;
	const char **name;
	int n, cap;
};

static void add_field(struct arena *a, struct fields *f, const char *name, const struct type *t, uint32_t off)
{
	if (f->n == f->cap) {
		int cap = f->cap ? f->cap * 2 : 8;
		const struct type **nt = arena_alloc(a, sizeof(*nt) * (size_t)cap);
		uint32_t *no = arena_alloc(a, sizeof(*no) * (size_t)cap);
		const char **nn = arena_alloc(a, sizeof(*nn) * (size_t)cap);
		if (f->n) {
			memcpy(nt, f->ty, sizeof(*nt) * (size_t)f->n);
			memcpy(no, f->off, sizeof(*no) * (size_t)f->n);
			memcpy(nn, f->name, sizeof(*nn) * (size_t)f->n);
		}
		f->ty = nt, f->off = no, f->name = nn, f->cap = cap;
	}
	f->ty[f->n] = t;
	f->off[f->n] = off;
	f->name[f->n++] = name;
}

static uint32_t round_up(uint32_t v, uint32_t a)
{
	return a ? (v + a - 1) / a * a : v;
}

/* the record of a struct/union definition, laid out as C on x86-64 */
static const struct type *resolve_record(struct resolver *r, struct cdecl_def *d)
{
	struct type *rec = arena_alloc(r->a, sizeof(*rec));
	rec->kind = TY_RECORD;
	rec->name = arena_printf(r->a, "%s %s", d->kw, d->name ? d->name : "(anon)");
	d->ty = rec; /* pointers to it may appear in its members */
	d->resolving = true;
	bool uni = !strcmp(d->kw, "union");
	struct fields f = { 0 };
	uint64_t bitpos = 0, size = 0;
	uint32_t maxalign = 1;
	for (int i = 0; i < d->nmembers; i++) {
		const struct cmember *m = &d->members[i];
		const struct type *t = member_type(r, m);
		if (!t)
			continue;
		if (m->nested && !m->nested->name && !m->name && !strcmp(m->nested->kw, "enum"))
			continue;
		uint32_t al = align_of(t), sz = t->size;
		if (uni)
			bitpos = 0;
		if (t->kind == TY_VOID) {
			diag_error(r->d, &m->loc, NULL, "member '%s' has type void", m->name ? m->name : "");
			continue;
		}
		if (m->bits >= 0) {
			if (t->kind != TY_INT) {
				diag_error(r->d, &m->loc, "a bitfield is of an integer type: unsigned int flag : 1;",
					   "bitfield '%s' has a non-integer type", m->name ? m->name : "");
				continue;
			}
			uint32_t unit = sz * 8;
			if ((uint32_t)m->bits > unit) {
				diag_error(r->d, &m->loc, NULL, "bitfield '%s' is wider than its type (%u bits)",
					   m->name ? m->name : "", unit);
				continue;
			}
			if (m->bits == 0) { /* the next bitfield starts a new unit */
				bitpos = round_up((uint32_t)bitpos, unit);
				continue;
			}
			if (bitpos / unit != (bitpos + (uint64_t)m->bits - 1) / unit)
				bitpos = round_up((uint32_t)bitpos, unit);
			uint32_t base = (uint32_t)(bitpos / unit) * sz;
			if (m->name) {
				struct type *bf = arena_alloc(r->a, sizeof(*bf));
				*bf = *t;
				bf->bit_off = (uint8_t)(bitpos - (uint64_t)base * 8);
				bf->bit_size = (uint8_t)m->bits;
				add_field(r->a, &f, m->name, bf, base);
			}
			bitpos += (uint64_t)m->bits;
		} else {
			uint32_t off = round_up((uint32_t)((bitpos + 7) / 8), al);
			if (m->name) {
				add_field(r->a, &f, m->name, t, off);
			} else if (t->kind == TY_RECORD && !t->btf) { /* anonymous: its members are ours */
				for (int k = 0; k < t->nfields; k++)
					add_field(r->a, &f, t->fnames[k], t->fields[k], off + t->offsets[k]);
			}
			bitpos = ((uint64_t)off + sz) * 8;
		}
		if (al > maxalign)
			maxalign = al;
		uint64_t end = (bitpos + 7) / 8;
		if (end > size)
			size = end;
	}
	rec->size = round_up((uint32_t)size, maxalign);
	rec->align = maxalign;
	rec->nfields = f.n;
	rec->fields = f.ty;
	rec->offsets = f.off;
	rec->fnames = f.name;
	d->resolving = false;
	return rec;
}

static const struct type *resolve_enum(struct resolver *r, struct cdecl_def *d)
{
	struct enum_consts *ec = arena_alloc(r->a, sizeof(*ec));
	ec->name = arena_printf(r->a, "enum %s", d->name ? d->name : "(anon)");
	ec->n = d->nenum;
	ec->names = d->enames;
	ec->vals = d->evals;
	struct type *t = arena_alloc(r->a, sizeof(*t));
	*t = *ty_int(4, false);
	t->enums = ec;
	return d->ty = t;
}

static const struct type *resolve_def(struct resolver *r, struct cdecl_def *d)
{
	if (d->ty)
		return d->ty;
	if (d->name)
		arena_vec_push(r->a, (void ***)&r->named, &r->nnamed, &r->capnamed, d);
	return !strcmp(d->kw, "enum") ? resolve_enum(r, d) : resolve_record(r, d);
}

void cdef_resolve(struct program *p, struct btf_ctx *btf, struct diags *d)
{
	struct cdefs *c = p->cdefs;
	if (!c)
		return;
	struct resolver r = { .a = p->arena, .d = d, .btf = btf, .c = c };
	for (int i = 0; i < c->n; i++)
		resolve_def(&r, c->defs[i]);
	/* nested named definitions are visible as the top-level ones */
	for (int i = 0; i < r.nnamed; i++)
		if (!find_named(c, r.named[i]->kw, r.named[i]->name))
			arena_vec_push(p->arena, (void ***)&c->defs, &c->n, &c->cap, r.named[i]);
}

const struct type *cdef_lookup(const struct program *p, const char *kw, const char *name)
{
	if (!p->cdefs || !kw)
		return NULL;
	struct cdecl_def *d = find_named(p->cdefs, kw, name);
	return d ? d->ty : NULL;
}

bool cdef_enum_value(const struct program *p, const char *name, int64_t *val)
{
	if (!p->cdefs)
		return false;
	for (int i = p->cdefs->nc - 1; i >= 0; i--)
		if (!strcmp(p->cdefs->cnames[i], name)) {
			*val = p->cdefs->cvals[i];
			return true;
		}
	return false;
}
