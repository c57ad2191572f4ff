/*
** frontend/pp.c: the preprocessor bpftrace scripts need.
**
** Lines in, the same lines out: directive lines and lines in a false
** conditional are blanked (their newline kept), so every token keeps its
** line and column and carets need no origin map. `#include` is accepted
** and ignored: types come from kernel BTF. Object-like `#define` bodies
** are collected here and expanded by the lexer at the use site, which
** gives expanded tokens the location of the macro name.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"

#define PP_MAX_DEPTH 64

struct cond {
	bool active;   /* lines are kept */
	bool taken;    /* some branch already taken */
	bool parent;   /* enclosing state */
	struct loc loc;
};

static bool is_defined(const struct pp_result *r, const char *name, size_t n, bool have_btf)
{
	if (have_btf && n == strlen("BPFTRACE_HAVE_BTF") && !strncmp(name, "BPFTRACE_HAVE_BTF", n))
		return true;
	for (int i = 0; i < r->nmacros; i++)
		if (strlen(r->macros[i].name) == n && !strncmp(r->macros[i].name, name, n))
			return true;
	return false;
}

static size_t ident_len(const char *p)
{
	size_t n = 0;
	if (!(isalpha((unsigned char)p[0]) || p[0] == '_'))
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n;
}

static void add_macro(struct pp_result *r, const char *name, size_t n, const char *body,
		      size_t blen, struct loc loc)
{
	for (int i = 0; i < r->nmacros; i++)
		if (strlen(r->macros[i].name) == n && !strncmp(r->macros[i].name, name, n)) {
			free(r->macros[i].body);
			r->macros[i].body = strndup(body, blen);
			r->macros[i].loc = loc;
			return;
		}
	r->macros = vec_reserve(r->macros, r->nmacros, &r->capmacros, sizeof(*r->macros));
	struct macro *m = &r->macros[r->nmacros++];
	m->name = strndup(name, n);
	m->body = strndup(body, blen);
	m->loc = loc;
}

static void del_macro(struct pp_result *r, const char *name, size_t n)
{
	for (int i = 0; i < r->nmacros; i++)
		if (strlen(r->macros[i].name) == n && !strncmp(r->macros[i].name, name, n)) {
			free(r->macros[i].name);
			free(r->macros[i].body);
			r->macros[i] = r->macros[--r->nmacros];
			return;
		}
}

/*
** #if / #elif expressions, as C's preprocessor evaluates them: integers
** (0x, 0 octal, u/l suffixes), defined NAME and defined(NAME), macros
** replaced by their bodies (an unknown name is 0), the unary, binary and
** ?: operators with C's precedence, in intmax arithmetic. Errors set
** e->err (the message) and the value is 0.
*/
struct ppx {
	const char *p;
	const struct pp_result *r;
	bool have_btf;
	const char *err;
	int depth; /* macro bodies being read, and nesting */
};

static int64_t ppx_cond(struct ppx *e);

static void ppx_ws(struct ppx *e)
{
	while (*e->p == ' ' || *e->p == '\t' || *e->p == '\\' || *e->p == '\n' || *e->p == '\r')
		e->p++;
}

static bool ppx_eat(struct ppx *e, const char *op)
{
	ppx_ws(e);
	size_t n = strlen(op);
	if (strncmp(e->p, op, n))
		return false;
	/* "<" is not the start of "<<" or "<=", and so on */
	if (n == 1 && strchr("<>&|=!", op[0]) && (e->p[1] == op[0] || e->p[1] == '=') &&
	    !(op[0] == '!' && e->p[1] == '!'))
		return false;
	if (n == 2 && (op[0] == '<' || op[0] == '>') && op[1] == op[0] && e->p[2] == '=')
		return false;
	e->p += n;
	return true;
}

static int64_t ppx_primary(struct ppx *e)
{
	ppx_ws(e);
	if (e->err)
		return 0;
	if (++e->depth > 64) {
		e->err = "expression nested too deeply";
		return 0;
	}
	int64_t v = 0;
	if (ppx_eat(e, "(")) {
		v = ppx_cond(e);
		if (!ppx_eat(e, ")"))
			e->err = "missing ')' in expression";
	} else if (ppx_eat(e, "!")) {
		v = !ppx_primary(e);
	} else if (ppx_eat(e, "~")) {
		v = ~ppx_primary(e);
	} else if (ppx_eat(e, "-")) {
		v = (int64_t)(0 - (uint64_t)ppx_primary(e));
	} else if (ppx_eat(e, "+")) {
		v = ppx_primary(e);
	} else if (isdigit((unsigned char)*e->p)) {
		char *end;
		v = (int64_t)strtoull(e->p, &end, 0);
		while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
			end++;
		if (isalnum((unsigned char)*end) || *end == '_')
			e->err = "invalid integer in expression";
		e->p = end;
	} else if (ident_len(e->p)) {
		size_t n = ident_len(e->p);
		const char *id = e->p;
		e->p += n;
		if (n == 7 && !strncmp(id, "defined", 7)) {
			bool paren = ppx_eat(e, "(");
			ppx_ws(e);
			size_t m = ident_len(e->p);
			if (!m) {
				e->err = "defined: expected a macro name";
			} else {
				v = is_defined(e->r, e->p, m, e->have_btf);
				e->p += m;
			}
			if (paren && !ppx_eat(e, ")"))
				e->err = "missing ')' after defined(NAME";
		} else {
			for (int i = 0; i < e->r->nmacros; i++)
				if (strlen(e->r->macros[i].name) == n && !strncmp(e->r->macros[i].name, id, n)) {
					struct ppx sub = { e->r->macros[i].body, e->r, e->have_btf, NULL, e->depth };
					ppx_ws(&sub);
					v = *sub.p ? ppx_cond(&sub) : 0;
					ppx_ws(&sub);
					if (sub.err || *sub.p)
						e->err = sub.err ? sub.err : "a macro in the expression is no integer expression";
					break;
				}
		}
	} else {
		e->err = *e->p ? "unexpected character in expression" : "missing value in expression";
	}
	e->depth--;
	return v;
}

/* binary operators by C's precedence, lowest level first */
static int64_t ppx_bin(struct ppx *e, int level)
{
	static const char *const ops[][4] = {
		{ "||" }, { "&&" }, { "|" }, { "^" }, { "&" }, { "==", "!=" },
		{ "<=", ">=", "<", ">" }, { "<<", ">>" }, { "+", "-" }, { "*", "/", "%" },
	};
	if (level == (int)(sizeof(ops) / sizeof(*ops)))
		return ppx_primary(e);
	int64_t a = ppx_bin(e, level + 1);
	for (;;) {
		int k = -1;
		for (int i = 0; i < 4 && ops[level][i]; i++)
			if (ppx_eat(e, ops[level][i])) {
				k = i;
				break;
			}
		if (k < 0 || e->err)
			return a;
		const char *op = ops[level][k];
		int64_t b = ppx_bin(e, level + 1);
		uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
		if (!strcmp(op, "||")) a = a || b;
		else if (!strcmp(op, "&&")) a = a && b;
		else if (!strcmp(op, "|")) a = a | b;
		else if (!strcmp(op, "^")) a = a ^ b;
		else if (!strcmp(op, "&")) a = a & b;
		else if (!strcmp(op, "==")) a = a == b;
		else if (!strcmp(op, "!=")) a = a != b;
		else if (!strcmp(op, "<=")) a = a <= b;
		else if (!strcmp(op, ">=")) a = a >= b;
		else if (!strcmp(op, "<")) a = a < b;
		else if (!strcmp(op, ">")) a = a > b;
		else if (!strcmp(op, "<<")) a = (int64_t)(ua << (ub & 63));
		else if (!strcmp(op, ">>")) a = a >> (ub & 63);
		else if (!strcmp(op, "+")) a = (int64_t)(ua + ub);
		else if (!strcmp(op, "-")) a = (int64_t)(ua - ub);
		else if (!strcmp(op, "*")) a = (int64_t)(ua * ub);
		else if (b == 0) e->err = "division by zero in expression";
		else if (!strcmp(op, "/")) a = (b == -1) ? (int64_t)(0 - ua) : a / b;
		else a = (b == -1) ? 0 : a % b;
	}
}

static int64_t ppx_cond(struct ppx *e)
{
	int64_t c = ppx_bin(e, 0);
	if (!ppx_eat(e, "?"))
		return c;
	int64_t a = ppx_cond(e);
	if (!ppx_eat(e, ":")) {
		e->err = "missing ':' in ?: expression";
		return 0;
	}
	int64_t b = ppx_cond(e);
	return c ? a : b;
}

/* the value of a #if/#elif line's text (to its end, continuations included) */
static bool pp_if_value(const char *text, const struct pp_result *r, bool have_btf, const char **err)
{
	size_t n = 0;
	while (text[n] && !(text[n] == '\n' && (n == 0 || text[n - 1] != '\\')))
		n++;
	char *arg = strndup(text, n);
	if (!arg)
		abort();
	struct ppx e = { arg, r, have_btf, NULL, 0 };
	ppx_ws(&e);
	int64_t v = *e.p ? ppx_cond(&e) : 0;
	ppx_ws(&e);
	if (!e.err && !*arg)
		e.err = "#if with no expression";
	else if (!e.err && *e.p && !(e.p[0] == '/' && (e.p[1] == '/' || e.p[1] == '*')))
		e.err = "unexpected text after the expression";
	*err = e.err;
	free(arg);
	return !e.err && v != 0;
}

static struct loc mkloc(int line, int col, int len)
{
	return (struct loc){ line, col, line, col + (len > 0 ? len : 1) };
}

/*
** One pass over lines. `in_comment` tracks block comments so a '#' inside a
** block comment is text, not a directive. Continuation lines of a
** directive (trailing backslash) are blanked with it.
*/
int pp_run(const struct source *src, bool have_btf, struct pp_result *out,
	   struct diags *d)
{
	memset(out, 0, sizeof(*out));
	char *o = malloc(src->len + 1);
	if (!o)
		abort();
	memcpy(o, src->text, src->len);
	o[src->len] = 0;
	out->text = o;
	out->len = src->len;

	struct cond stack[PP_MAX_DEPTH];
	int depth = 0;
	bool active = true, in_comment = false;
	int errs0 = d->nerrors;

	for (int ln = 0; ln < src->nlines; ln++) {
		char *line = o + src->line_start[ln];
		size_t len = strcspn(line, "\n");
		size_t i = 0;
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		bool directive = !in_comment && i < len && line[i] == '#';
		/* track block comments on this line (strings ignored: good enough
		 * for comment markers, which cannot appear in bpftrace strings
		 * that span lines) */
		if (!directive) {
			bool in_str = false;
			for (size_t k = 0; k < len; k++) {
				if (in_comment) {
					if (line[k] == '*' && k + 1 < len && line[k + 1] == '/') {
						in_comment = false;
						k++;
					}
				} else if (in_str) {
					if (line[k] == '\\')
						k++;
					else if (line[k] == '"')
						in_str = false;
				} else if (line[k] == '"') {
					in_str = true;
				} else if (line[k] == '/' && k + 1 < len && line[k + 1] == '/') {
					break;
				} else if (line[k] == '/' && k + 1 < len && line[k + 1] == '*') {
					in_comment = true;
					k++;
				}
			}
			if (!active)
				memset(line, ' ', len);
			continue;
		}
		/* gather continuation lines */
		int last = ln;
		while (last + 1 < src->nlines) {
			char *l2 = o + src->line_start[last];
			size_t n2 = strcspn(l2, "\n");
			if (n2 == 0 || l2[n2 - 1] != '\\')
				break;
			last++;
		}
		size_t dcol = i + 1; /* 1-based column of '#' */
		char *p = line + i + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t kw = ident_len(p);
		char *arg = p + kw;
		while (*arg == ' ' || *arg == '\t')
			arg++;
		size_t an = ident_len(arg);
		struct loc kloc = mkloc(ln + 1, (int)dcol, (int)(p + kw - line - i));
		struct loc aloc = mkloc(ln + 1, (int)(arg - line) + 1, (int)an);

#define KW(s) (kw == strlen(s) && !strncmp(p, s, kw))
		if (KW("ifdef") || KW("ifndef") || KW("if")) {
			if (depth == PP_MAX_DEPTH) {
				diag_error(d, &kloc, NULL, "conditionals nested too deeply");
				break;
			}
			bool val;
			if (KW("if")) {
				const char *why = NULL;
				val = active && pp_if_value(arg, out, have_btf, &why);
				if (active && why)
					diag_error(d, &aloc, "integers, macros, defined(NAME) and C's operators", "#if: %s", why);
			} else {
				if (!an) {
					diag_error(d, &aloc, NULL, "#%.*s: expected a macro name",
						   (int)kw, p);
					val = false;
				} else {
					val = is_defined(out, arg, an, have_btf);
					if (KW("ifndef"))
						val = !val;
				}
			}
			stack[depth++] = (struct cond){ active && val, val, active, kloc };
			active = active && val;
		} else if (KW("elif")) {
			if (!depth) {
				diag_error(d, &kloc, "remove it, or add the #if it belongs to", "#elif without #if");
			} else {
				struct cond *c = &stack[depth - 1];
				const char *why = NULL;
				bool val = false;
				if (c->parent && !c->taken) {
					val = pp_if_value(arg, out, have_btf, &why);
					if (why)
						diag_error(d, &aloc, "integers, macros, defined(NAME) and C's operators", "#elif: %s", why);
				}
				c->active = c->parent && !c->taken && val;
				c->taken = c->taken || val;
				active = c->active;
			}
		} else if (KW("else")) {
			if (!depth) {
				diag_error(d, &kloc, "remove it, or add the #ifdef it belongs to", "#else without #if");
			} else {
				struct cond *c = &stack[depth - 1];
				c->active = c->parent && !c->taken;
				c->taken = true;
				active = c->active;
			}
		} else if (KW("endif")) {
			if (!depth) {
				diag_error(d, &kloc, "remove it, or add the #ifdef it belongs to", "#endif without #if");
			} else {
				active = stack[--depth].parent;
			}
		} else if (!active) {
			/* skipped region: other directives are not looked at */
		} else if (KW("include")) {
			/* types come from BTF: nothing to read */
		} else if (KW("define")) {
			if (!an) {
				diag_error(d, &aloc, "write #define NAME value", "#define: expected a macro name");
			} else if (arg[an] == '(') {
				struct loc fl = mkloc(ln + 1, (int)(arg - line) + 1, (int)an + 1);
				diag_error(d, &fl, "use an object-like macro (#define NAME value) or write the expression out",
					   "not supported by minibt: function-like macro '%.*s'", (int)an, arg);
			} else {
				char *body = arg + an;
				/* body runs to the end of the last continuation line */
				char *end = o + src->line_start[last] + strcspn(o + src->line_start[last], "\n");
				char *b = strndup(body, (size_t)(end - body));
				for (char *q = b; *q; q++)
					if (*q == '\\' && (q[1] == '\n' || q[1] == 0))
						*q = ' ';
				/* strip // comments and trailing blanks */
				char *cm = strstr(b, "//");
				if (cm)
					*cm = 0;
				size_t bl = strlen(b);
				while (bl && isspace((unsigned char)b[bl - 1]))
					b[--bl] = 0;
				char *bs = b;
				while (*bs == ' ' || *bs == '\t')
					bs++;
				add_macro(out, arg, an, bs, strlen(bs), aloc);
				free(b);
			}
		} else if (KW("undef")) {
			if (an)
				del_macro(out, arg, an);
		} else if (KW("pragma")) {
		} else {
			diag_error(d, &kloc, "minibt understands #include, #define, #undef, #if, #ifdef, #ifndef, #elif, #else and #endif",
				   "unknown preprocessor directive '#%.*s'", (int)kw, p);
		}
#undef KW
		for (int k = ln; k <= last; k++) {
			char *l2 = o + src->line_start[k];
			memset(l2, ' ', strcspn(l2, "\n"));
		}
		ln = last;
	}
	for (int k = depth; k > 0; k--)
		diag_error(d, &stack[k - 1].loc, "add the missing #endif", "unterminated conditional directive");
	return d->nerrors > errs0 ? -1 : 0;
}

void pp_free(struct pp_result *r)
{
	for (int i = 0; i < r->nmacros; i++) {
		free(r->macros[i].name);
		free(r->macros[i].body);
	}
	free(r->macros);
	free(r->text);
	memset(r, 0, sizeof(*r));
}
