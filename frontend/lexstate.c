/*
** frontend/lexstate.c: literal decoding, lexical errors and macro
** expansion between the flex scanner and the bison parser.
**
** An identifier naming a #define is replaced by the tokens of its body,
** lexed by a scanner of its own; every expanded token carries the
** location of the macro name, so carets point where the user wrote it.
*/
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lexstate.h"
#include "parser.h"

void lex_error(struct lexstate *ls, const struct loc *l, const char *msg, const char *hint)
{
	diag_error(ls->diags, l, hint, "%s", msg);
	ls->lex_errors++;
}

void lex_badchar(struct lexstate *ls, const struct loc *l, char c)
{
	if (isprint((unsigned char)c))
		diag_error(ls->diags, l, NULL, "invalid character '%c'", c);
	else
		diag_error(ls->diags, l, NULL, "invalid character 0x%02x", (unsigned char)c);
	ls->lex_errors++;
}

int lex_int(struct lexstate *ls, const struct loc *l, const char *text, int base, union lexval *v)
{
	char buf[64];
	size_t n = 0;
	for (const char *p = text; *p && n < sizeof(buf) - 1; p++)
		if (*p != '_')
			buf[n++] = *p;
	buf[n] = 0;
	errno = 0;
	unsigned long long x = strtoull(buf, NULL, base);
	if (errno == ERANGE) {
		lex_error(ls, l, "integer literal out of range", "integers are at most 64 bits (18446744073709551615)");
		return T_ERROR;
	}
	v->i = (int64_t)x;
	return T_INT;
}

/* C escapes: \n \t \r \\ \" \' \0 \xHH \NNN (octal) */
int lex_string(struct lexstate *ls, const struct loc *l, const char *text, int len, union lexval *v)
{
	char *out = arena_alloc(ls->arena, (size_t)len);
	size_t n = 0;
	for (int i = 1; i < len - 1; i++) {
		char c = text[i];
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		c = text[++i];
		switch (c) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case 'a': out[n++] = '\a'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'v': out[n++] = '\v'; break;
		case 'e': out[n++] = 27; break;
		case '\\': case '"': case '\'': out[n++] = c; break;
		case 'x': {
			int val = 0, k = 0;
			while (k < 2 && isxdigit((unsigned char)text[i + 1])) {
				char h = text[++i];
				val = val * 16 + (isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
				k++;
			}
			if (!k) {
				struct loc el = { l->line, l->col + i - 1, l->line, l->col + i + 1 };
				lex_error(ls, &el, "\\x used with no following hex digits", "write \\x41 for 'A'");
				return T_ERROR;
			}
			out[n++] = (char)val;
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				int val = c - '0', k = 1;
				while (k < 3 && text[i + 1] >= '0' && text[i + 1] <= '7') {
					val = val * 8 + (text[++i] - '0');
					k++;
				}
				out[n++] = (char)val;
			} else {
				struct loc el = { l->line, l->col + i - 1, l->line, l->col + i + 1 };
				char msg[64];
				snprintf(msg, sizeof(msg), "invalid escape sequence '\\%c'", c);
				lex_error(ls, &el, msg, "valid escapes: \\n \\t \\r \\\\ \\\" \\xHH \\NNN");
				return T_ERROR;
			}
		}
	}
	out[n] = 0;
	v->str.s = out;
	v->str.n = n;
	return T_STRING;
}

static const struct macro *find_macro(const struct lexstate *ls, const char *name)
{
	if (!ls->pp)
		return NULL;
	for (int i = 0; i < ls->nexpanding; i++)
		if (!strcmp(ls->expanding[i], name))
			return NULL; /* no recursion, as cpp */
	for (int i = 0; i < ls->pp->nmacros; i++)
		if (!strcmp(ls->pp->macros[i].name, name))
			return &ls->pp->macros[i];
	return NULL;
}

static void qpush(struct lexstate *ls, int tok, const union lexval *v, const struct loc *l)
{
	if (ls->qn == ls->qcap) {
		ls->qcap = ls->qcap ? ls->qcap * 2 : 16;
		struct qtok *nq = arena_alloc(ls->arena, sizeof(*nq) * (size_t)ls->qcap);
		if (ls->qn)
			memcpy(nq, ls->q, sizeof(*nq) * (size_t)ls->qn);
		ls->q = nq;
	}
	ls->q[ls->qn++] = (struct qtok){ tok, *v, *l };
}

/* lex a macro body into ls's queue, expanding nested macros */
static void expand(struct lexstate *ls, const struct macro *m, const struct loc *at)
{
	if (ls->nexpanding == (int)(sizeof(ls->expanding) / sizeof(ls->expanding[0]))) {
		lex_error(ls, at, "macro expansion too deep", NULL);
		return;
	}
	struct lexstate sub = { 0 };
	sub.arena = ls->arena;
	sub.diags = ls->diags;
	sub.pp = ls->pp;
	sub.line = at->line;
	sub.col = at->col;
	memcpy(sub.expanding, ls->expanding, sizeof(ls->expanding));
	sub.nexpanding = ls->nexpanding;
	sub.expanding[sub.nexpanding++] = m->name;
	void *sc;
	mbt_lex_init_extra(&sub, &sc);
	sub.scanner = sc;
	mbt__scan_bytes(m->body, (int)strlen(m->body), sc);
	lex_begin_body(sc);
	union lexval v;
	struct loc l;
	int tok;
	while ((tok = lex_next(&v, &l, &sub)) != 0) {
		if (tok == T_ERROR)
			break;
		qpush(ls, tok, &v, at);
	}
	ls->lex_errors += sub.lex_errors;
	mbt_lex_destroy(sc);
}

int lex_next(union lexval *v, struct loc *l, struct lexstate *ls)
{
	for (;;) {
		if (ls->qpos < ls->qn) {
			struct qtok *t = &ls->q[ls->qpos++];
			*v = t->val;
			*l = t->loc;
			if (ls->qpos == ls->qn)
				ls->qpos = ls->qn = 0;
			ls->last = *l;
			return t->tok;
		}
		int tok = mbt_lex(v, l, ls->scanner);
		if (tok == T_IDENT) {
			const struct macro *m = find_macro(ls, v->s);
			if (m) {
				expand(ls, m, l);
				continue;
			}
		}
		if (tok)
			ls->last = *l;
		return tok;
	}
}
