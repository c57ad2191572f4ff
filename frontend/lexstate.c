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

/*
** Integer literals as bpftrace 0.17 reads them: decimal with '_' between
** digits (1_000), scientific (1e6, an integer), hex (0x2a), octal (052),
** each with an optional C suffix u, l, ll, ul or ull (any case). Also
** used for the counts in attach points (interval:s:1e3).
*/
const char *lex_parse_int(const char *s, size_t n, uint64_t *out, const char **hint,
			  char *msg, size_t msglen)
{
	size_t i = 0;
	unsigned __int128 v = 0;
	*hint = "integer literals are decimal (42, 1_000, 1e6), hex (0x2a) or octal (052), "
		"with an optional u, l, ll, ul or ull suffix";
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2])) {
		for (i = 2; i < n && isxdigit((unsigned char)s[i]); i++) {
			int d = isdigit((unsigned char)s[i]) ? s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10;
			v = v * 16 + (unsigned)d;
			if (v > UINT64_MAX)
				goto range;
		}
	} else {
		/* digits, '_' only between two digits */
		size_t d0 = i;
		for (; i < n && (isdigit((unsigned char)s[i]) || (s[i] == '_' && i > d0 && i + 1 < n &&
							    isdigit((unsigned char)s[i + 1]))); i++)
			;
		size_t dn = i;
		bool octal = s[0] == '0' && dn > 1;
		uint64_t exp = 0;
		bool has_exp = false;
		if (i + 1 < n && (s[i] == 'e' || s[i] == 'E') && isdigit((unsigned char)s[i + 1])) {
			has_exp = true;
			octal = false; /* the coefficient of 1e3 is decimal */
			for (i++; i < n && (isdigit((unsigned char)s[i]) || (s[i] == '_' && i + 1 < n &&
									    isdigit((unsigned char)s[i + 1]))); i++)
				if (s[i] != '_' && (exp = exp * 10 + (uint64_t)(s[i] - '0')) > 100)
					exp = 100;
		}
		for (size_t k = d0; k < dn; k++) {
			if (s[k] == '_')
				continue;
			if (octal && s[k] > '7') {
				*hint = "a leading 0 makes an octal literal (digits 0-7): drop the 0 for a decimal number";
				return "Found trailing non-numeric characters";
			}
			v = v * (octal ? 8 : 10) + (unsigned)(s[k] - '0');
			if (v > UINT64_MAX)
				goto range;
		}
		if (has_exp) {
			for (uint64_t k = 0; k < exp && v; k++) {
				v *= 10;
				if (v > UINT64_MAX) {
					snprintf(msg, msglen, "Exponent will overflow integer range: %llu",
						 (unsigned long long)exp);
					*hint = "integers are at most 64 bits (about 1.8e19)";
					return msg;
				}
			}
		}
	}
	/* suffix: u, l, ll, ul, ull */
	size_t k = i;
	if (k < n && (s[k] == 'u' || s[k] == 'U'))
		k++;
	for (int nl = 0; nl < 2 && k < n && (s[k] == 'l' || s[k] == 'L'); nl++)
		k++;
	if (k != n) {
		snprintf(msg, msglen, "invalid integer literal '%.*s'", (int)(n < 40 ? n : 40), s);
		return msg;
	}
	*out = (uint64_t)v;
	*hint = NULL;
	return NULL;
range:
	*hint = "integers are at most 64 bits (18446744073709551615)";
	return "integer literal out of range";
}

int lex_int(struct lexstate *ls, const struct loc *l, const char *text, union lexval *v)
{
	uint64_t x;
	const char *hint;
	char msg[96];
	const char *e = lex_parse_int(text, strlen(text), &x, &hint, msg, sizeof(msg));
	if (e) {
		lex_error(ls, l, e, hint);
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
				lex_error(ls, &el, "invalid escape character '\\x'", "\\x takes one or two hex digits: \\x41 is 'A'");
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
				snprintf(msg, sizeof(msg), isprint((unsigned char)c) ? "invalid escape character '\\%c'" : "invalid escape character: byte 0x%02x after '\\'", (unsigned char)c);
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
