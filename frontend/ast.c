/*
** frontend/ast.c: name tables of the X-macro lists and the `-d ast` dump.
** The dump is stable text used by golden tests: one node per line,
** indented by depth, with its location.
*/
#include <stdlib.h>
#include <string.h>
#include "ast.h"

const char *const probe_type_names[PROBE__COUNT] = {
#define PROBE(id, name, alias) [id] = name,
#include "probes.def"
#undef PROBE
};

const char *const builtin_names[BUILTIN__COUNT] = {
#define BUILTIN(id, name) [id] = name,
#include "builtins.def"
#undef BUILTIN
};

const char *const func_names[FUNC__COUNT] = {
#define FUNC(id, name, mn, mx) [id] = name,
#include "funcs.def"
#undef FUNC
};

const char *const op_names[] = {
	[OP_NONE] = "?", [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*",
	[OP_DIV] = "/", [OP_MOD] = "%", [OP_BAND] = "&", [OP_BOR] = "|",
	[OP_BXOR] = "^", [OP_SHL] = "<<", [OP_SHR] = ">>", [OP_LAND] = "&&",
	[OP_LOR] = "||", [OP_EQ] = "==", [OP_NE] = "!=", [OP_LT] = "<",
	[OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=", [OP_NOT] = "!",
	[OP_BNOT] = "~", [OP_NEG] = "-", [OP_DEREF] = "*", [OP_ADDR] = "&",
	[OP_DOT] = ".", [OP_ARROW] = "->", [OP_INC] = "++", [OP_DEC] = "--",
	[OP_ASSIGN] = "=",
};

static void indent(FILE *o, int d)
{
	for (int i = 0; i < d; i++)
		fputs("  ", o);
}

static void dump_str(FILE *o, const char *s, size_t n)
{
	fputc('"', o);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			fputs("\\n", o);
		else if (c == '\t')
			fputs("\\t", o);
		else if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c < 32 || c >= 127)
			fprintf(o, "\\x%02x", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

static void dump(FILE *o, const struct node *n, int d);

static void dump_ctype(FILE *o, const struct ctype *c)
{
	fprintf(o, " (%s%s%s%s", c->kw ? c->kw : "", c->kw ? " " : "", c->name, c->nptr ? " " : "");
	for (int i = 0; i < c->nptr; i++)
		fputc('*', o);
	fputc(')', o);
}

static void dump_list(FILE *o, const struct node *n, int d)
{
	for (; n; n = n->next)
		dump(o, n, d);
}

static void dump(FILE *o, const struct node *n, int d)
{
	if (!n)
		return;
	indent(o, d);
	switch (n->kind) {
	case N_INT: fprintf(o, "int %lld", (long long)n->ival); break;
	case N_STR: fputs("string ", o); dump_str(o, n->str, n->slen); break;
	case N_BUILTIN:
		if (n->builtin == B_ARG || n->builtin == B_SARG)
			fprintf(o, "builtin %s%lld", builtin_names[n->builtin], (long long)n->ival);
		else
			fprintf(o, "builtin %s", builtin_names[n->builtin]);
		break;
	case N_CALL:
		fprintf(o, "call %s", n->name);
		if (n->cast) /* sizeof(type) */
			dump_ctype(o, n->cast);
		break;
	case N_VAR: fprintf(o, "variable $%s", n->name); break;
	case N_MAP: fprintf(o, "map @%s", n->name); break;
	case N_POSPARAM:
		if (n->ival < 0)
			fputs("param $#", o);
		else
			fprintf(o, "param $%lld", (long long)n->ival);
		break;
	case N_IDENT: fprintf(o, "identifier %s", n->name); break;
	case N_BINOP: fprintf(o, "binop %s", op_names[n->op]); break;
	case N_UNOP: fprintf(o, "unop %s", op_names[n->op]); break;
	case N_TERNARY: fputs("ternary ?:", o); break;
	case N_FIELD: fprintf(o, "field %s%s", op_names[n->op], n->name); break;
	case N_INDEX: fputs("index []", o); break;
	case N_CAST:
		fputs("cast", o);
		dump_ctype(o, n->cast);
		break;
	case N_TUPLE: fputs("tuple", o); break;
	case N_EXPRSTMT: fputs("exprstmt", o); break;
	case N_ASSIGN: fprintf(o, "assign %s%s", n->op == OP_ASSIGN ? "" : op_names[n->op], "="); break;
	case N_INCDEC: fprintf(o, "%s %s", n->ival ? "pre" : "post", op_names[n->op]); break;
	case N_IF: fputs("if", o); break;
	case N_UNROLL: fputs("unroll", o); break;
	case N_WHILE: fputs("while", o); break;
	case N_BREAK: fputs("break", o); break;
	case N_CONTINUE: fputs("continue", o); break;
	case N_RETURN: fputs("return", o); break;
	case N_BLOCK: fputs("block", o); break;
	}
	fprintf(o, "  <%d:%d-%d:%d>", n->loc.line, n->loc.col, n->loc.end_line, n->loc.end_col);
	if (n->ty && n->ty->kind != TY_NONE) {
		/* types are printed by sema dumps; ast dump stays syntactic */
	}
	fputc('\n', o);
	if (n->kind == N_TERNARY || n->kind == N_IF || n->kind == N_UNROLL || n->kind == N_WHILE)
		dump(o, n->cond, d + 1);
	dump(o, n->lhs, d + 1);
	dump(o, n->rhs, d + 1);
	dump_list(o, n->args, d + 1);
	dump_list(o, n->stmts, d + 1);
	if (n->then)
		dump(o, n->then, d + 1);
	if (n->els) {
		indent(o, d);
		fputs("else\n", o);
		dump(o, n->els, d + 1);
	}
}

static struct node *clone_list(struct arena *a, const struct node *n)
{
	struct node *head = NULL, **tail = &head;
	for (; n; n = n->next) {
		*tail = ast_clone(a, n);
		tail = &(*tail)->next;
	}
	return head;
}

/* deep copy of n and its subtrees (not of n->next); casts are shared */
struct node *ast_clone(struct arena *a, const struct node *n)
{
	if (!n)
		return NULL;
	struct node *c = arena_alloc(a, sizeof(*c));
	*c = *n;
	c->next = NULL;
	c->lhs = ast_clone(a, n->lhs);
	c->rhs = ast_clone(a, n->rhs);
	c->cond = ast_clone(a, n->cond);
	c->then = ast_clone(a, n->then);
	c->els = ast_clone(a, n->els);
	c->args = clone_list(a, n->args);
	c->stmts = clone_list(a, n->stmts);
	return c;
}

/*
** Program
**   probe  <loc>            one per probe, with its attach points,
**     kprobe:f  <loc>       predicate and body
**     predicate
**       ...
**     block  <loc>
**       statements
*/
void ast_dump(const struct program *p, FILE *o)
{
	fputs("Program\n", o);
	for (int i = 0; i < p->nprobes; i++) {
		const struct probe *pr = p->probes[i];
		fprintf(o, "  probe  <%d:%d-%d:%d>\n", pr->loc.line, pr->loc.col, pr->loc.end_line, pr->loc.end_col);
		for (int k = 0; k < pr->naps; k++)
			fprintf(o, "    %s  <%d:%d-%d:%d>\n", pr->aps[k].raw, pr->aps[k].loc.line,
				pr->aps[k].loc.col, pr->aps[k].loc.end_line, pr->aps[k].loc.end_col);
		if (pr->pred) {
			fputs("    predicate\n", o);
			dump(o, pr->pred, 3);
		}
		dump(o, pr->body, 2);
	}
}

/*
** Every later stage (sema, codegen, ast_clone, the dump) walks expressions
** and blocks by recursion, one C frame or more per level; a generated
** `!!!...!1` or `1 + 1 + ... + 1` 100,000 deep would overflow the stack.
** So the parser refuses trees deeper than AST_MAX_DEPTH, found here
** without recursion (an explicit stack of {node, depth}). Parentheses
** make no nodes: `((((1))))` is one.
*/
struct depth_item {
	const struct node *n;
	int depth;
};

bool ast_check_depth(const struct program *p, struct diags *d)
{
	struct depth_item *st = NULL;
	int n = 0, cap = 0;
	bool ok = true;
	for (int i = 0; i < p->nprobes && ok; i++) {
		const struct node *roots[2] = { p->probes[i]->pred, p->probes[i]->body };
		for (int r = 0; r < 2; r++)
			if (roots[r]) {
				st = vec_reserve(st, n, &cap, sizeof(*st));
				st[n++] = (struct depth_item){ roots[r], 1 };
			}
		while (n && ok) {
			struct depth_item it = st[--n];
			if (it.depth > AST_MAX_DEPTH) {
				diag_error(d, &it.n->loc, "split it into steps with $variables",
					   "nested too deeply: more than %d levels of expressions and blocks",
					   AST_MAX_DEPTH);
				ok = false;
				break;
			}
			const struct node *one[] = { it.n->lhs, it.n->rhs, it.n->cond, it.n->then, it.n->els };
			const struct node *lists[] = { it.n->args, it.n->stmts };
			for (size_t k = 0; k < sizeof(one) / sizeof(*one); k++)
				if (one[k]) {
					st = vec_reserve(st, n, &cap, sizeof(*st));
					st[n++] = (struct depth_item){ one[k], it.depth + 1 };
				}
			for (size_t k = 0; k < sizeof(lists) / sizeof(*lists); k++)
				for (const struct node *c = lists[k]; c; c = c->next) {
					st = vec_reserve(st, n, &cap, sizeof(*st));
					st[n++] = (struct depth_item){ c, it.depth + 1 };
				}
		}
		n = 0;
	}
	free(st);
	return ok;
}
