/*
** frontend/parser.y: the bpftrace grammar (bison, pure, with locations).
**
** Actions only build nodes; nothing is looked up or printed here except
** through the diagnostics list. Operator precedence and associativity
** follow C, as bpftrace's do. Statements are separated by ';'; blocks
** (if, unroll) need none after their '}'.
*/
%code requires {
#include "ast.h"
#include "lexstate.h"
#include "cdef.h"
}

%code {
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#define yylex lex_next
/* a probe's statements are a right-recursive list, one stack entry each:
 * bison's default of 10,000 ended a 5,000-statement block with "memory
 * exhausted". Expression depth is bounded after the parse (ast.c). */
#define YYMAXDEPTH 1000000
/* a probe's statements are a right-recursive list: one stack entry each
 * (10,000 by default would end a 5,000-statement block with "memory
 * exhausted"); nesting is bounded by the lexer (LEX_MAX_NEST) */
#define YYMAXDEPTH 1000000
#define YYLLOC_DEFAULT(Cur, Rhs, N) do {                          \
	if (N) {                                                  \
		(Cur).line = YYRHSLOC(Rhs, 1).line;               \
		(Cur).col = YYRHSLOC(Rhs, 1).col;                 \
		(Cur).end_line = YYRHSLOC(Rhs, N).end_line;       \
		(Cur).end_col = YYRHSLOC(Rhs, N).end_col;         \
	} else {                                                  \
		(Cur).line = (Cur).end_line = YYRHSLOC(Rhs, 0).end_line; \
		(Cur).col = (Cur).end_col = YYRHSLOC(Rhs, 0).end_col; \
	}                                                         \
} while (0)

static struct node *mk(struct lexstate *ls, enum node_kind k, const struct loc *l)
{
	struct node *n = arena_alloc(ls->arena, sizeof(*n));
	n->kind = k;
	n->loc = *l;
	n->event = -1;
	return n;
}
static struct node *bin(struct lexstate *ls, enum op op, struct node *a, struct node *b, const struct loc *l)
{
	struct node *n = mk(ls, N_BINOP, l);
	n->op = op; n->lhs = a; n->rhs = b;
	return n;
}
static struct node *un(struct lexstate *ls, enum op op, struct node *a, const struct loc *l)
{
	struct node *n = mk(ls, N_UNOP, l);
	n->op = op; n->lhs = a;
	return n;
}
static struct node *append(struct node *list, struct node *x)
{
	if (!list)
		return x;
	struct node *p = list;
	while (p->next)
		p = p->next;
	p->next = x;
	return list;
}
static int count(struct node *n)
{
	int k = 0;
	for (; n; n = n->next)
		k++;
	return k;
}
static void unsupported(struct lexstate *ls, const struct loc *l, const char *what, const char *hint)
{
	diag_error(ls->diags, l, hint, "not supported by minibt: %s", what);
}
static struct attach_point *mkap(struct lexstate *ls, char *raw, const struct loc *l);
static void yyerror(const struct loc *l, struct lexstate *ls, const char *msg)
{
	diag_error(ls->diags, l, NULL, "%s", msg);
}
static struct node *ident_expr(struct lexstate *ls, char *name, const struct loc *l);
static struct node *lvalue(struct lexstate *ls, struct node *n, const char *op);
static struct node *expr_stmt(struct lexstate *ls, struct node *e);
static struct node *incdec(struct lexstate *ls, enum op op, struct node *x, int prefix, const struct loc *l);
}

%define api.pure full
%define api.value.type {union lexval}
%define parse.error custom
%define parse.lac full
%locations
%param {struct lexstate *ls}
%expect 0

%token T_ATTACH "attach point" T_PRED_BEGIN "'/'" T_PRED_END "end of predicate '/'"
%token T_IDENT "identifier" T_VAR "variable" T_MAP "map" T_INT "integer" T_STRING "string"
%token T_TYPE "type name" T_POSPARAM "positional parameter" T_PARAMCOUNT "'$#'"
%token T_IF "if" T_ELSE "else" T_UNROLL "unroll" T_RETURN "return" T_WHILE "while" T_FOR "for"
%token T_BREAK "break" T_CONTINUE "continue"
%token T_STRUCT "struct" T_UNION "union" T_ENUM "enum" T_SIZEOF "sizeof" T_OFFSETOF "offsetof"
%token T_ARROW "->" T_INC "++" T_DEC "--" T_COMPOUND "compound assignment"
%token T_SHL "<<" T_SHR ">>" T_LE "<=" T_GE ">=" T_EQ "==" T_NE "!=" T_LAND "&&" T_LOR "||"
%token T_CASTOPEN "'('"
%token T_CDEF "C definition"
%token T_ERROR "invalid token"

%right '?' ':'
%left T_LOR
%left T_LAND
%left '|'
%left '^'
%left '&'
%left T_EQ T_NE
%left '<' '>' T_LE T_GE
%left T_SHL T_SHR
%left '+' '-'
%left '*' '/' '%'
%precedence UNARY CAST
%precedence '.' T_ARROW '[' T_INC T_DEC

%%

program
	: %empty
	| items
	;

items
	: item
	| items item
	;

item
	: probe
	| T_CDEF { cdef_add(ls->prog, ls->diags, $1.s, &@1); }
	;

probe
	: attach_list pred block {
		struct probe *p = $1.probe;
		p->pred = $2.n;
		p->body = $3.n;
		p->loc = @1;
		p->index = ls->prog->nprobes;
		arena_vec_push(ls->arena, (void ***)&ls->prog->probes, &ls->prog->nprobes,
			       &ls->prog->capprobes, p);
	}
	;

attach_list
	: T_ATTACH {
		struct probe *p = arena_alloc(ls->arena, sizeof(*p));
		p->aps = arena_alloc(ls->arena, sizeof(struct attach_point) * 64);
		p->aps[p->naps++] = *mkap(ls, $1.s, &@1);
		$$.probe = p;
	}
	| attach_list ',' T_ATTACH {
		struct probe *p = $1.probe;
		if (p->naps == 64)
			diag_error(ls->diags, &@3, "split the probe", "too many attach points (at most 64)");
		else
			p->aps[p->naps++] = *mkap(ls, $3.s, &@3);
		$$.probe = p;
	}
	;

pred
	: %empty { $$.n = NULL; }
	| T_PRED_BEGIN expr T_PRED_END { $$.n = $2.n; }
	;

block
	: '{' stmts '}' {
		$$.n = mk(ls, N_BLOCK, &@$);
		$$.n->stmts = $2.n;
	}
	;

/* statements: simple ones need ';' between them, blocks do not */
stmts
	: %empty { $$.n = NULL; }
	| stmt { $$.n = $1.n; }
	| stmt ';' stmts { $$.n = append($1.n, $3.n); }
	| block_stmt stmts { $$.n = append($1.n, $2.n); }
	| ';' stmts { $$.n = $2.n; }
	| error ';' stmts { $$.n = $3.n; }
	;

block_stmt
	: if_stmt
	| T_UNROLL '(' expr ')' block {
		$$.n = mk(ls, N_UNROLL, &@$);
		$$.n->cond = $3.n;
		$$.n->then = $5.n;
	}
	| T_WHILE '(' expr ')' block {
		$$.n = mk(ls, N_WHILE, &@$);
		$$.n->cond = $3.n;
		$$.n->then = $5.n;
	}
	| T_FOR '(' expr ')' block {
		unsupported(ls, &@1, "for loops", "use unroll(N) { ... }");
		$$.n = mk(ls, N_BLOCK, &@$);
	}
	| block { $$.n = $1.n; }
	;

if_stmt
	: T_IF '(' expr ')' block {
		$$.n = mk(ls, N_IF, &@$);
		$$.n->cond = $3.n;
		$$.n->then = $5.n;
	}
	| T_IF '(' expr ')' block T_ELSE block {
		$$.n = mk(ls, N_IF, &@$);
		$$.n->cond = $3.n;
		$$.n->then = $5.n;
		$$.n->els = $7.n;
	}
	| T_IF '(' expr ')' block T_ELSE if_stmt {
		$$.n = mk(ls, N_IF, &@$);
		$$.n->cond = $3.n;
		$$.n->then = $5.n;
		struct node *b = mk(ls, N_BLOCK, &@7);
		b->stmts = $7.n;
		$$.n->els = b;
	}
	;

/* assignments and ++/-- target a variable or a map; anything else is
 * parsed as an expression and rejected here, with bpftrace's words */
stmt
	: expr { $$.n = expr_stmt(ls, $1.n); }
	| expr '=' expr {
		$$.n = mk(ls, N_ASSIGN, &@$);
		$$.n->op = OP_ASSIGN;
		$$.n->lhs = lvalue(ls, $1.n, "=");
		$$.n->rhs = $3.n;
	}
	| expr T_COMPOUND expr {
		$$.n = mk(ls, N_ASSIGN, &@$);
		$$.n->op = $2.op;
		$$.n->lhs = lvalue(ls, $1.n, arena_printf(ls->arena, "%s=", op_names[$2.op]));
		$$.n->rhs = $3.n;
	}
	| T_RETURN { $$.n = mk(ls, N_RETURN, &@$); }
	| T_BREAK { $$.n = mk(ls, N_BREAK, &@$); }
	| T_CONTINUE { $$.n = mk(ls, N_CONTINUE, &@$); }
	;

map
	: T_MAP %prec UNARY { $$.n = mk(ls, N_MAP, &@$); $$.n->name = $1.s; }
	| T_MAP '[' exprs ']' {
		$$.n = mk(ls, N_MAP, &@$);
		$$.n->name = $1.s;
		$$.n->args = $3.n;
		$$.n->nargs = count($3.n);
	}
	;

stars
	: '*' { $$.i = 1; }
	| stars '*' { $$.i = $1.i + 1; }
	;

exprs
	: expr { $$.n = $1.n; }
	| exprs ',' expr { $$.n = append($1.n, $3.n); }
	;

args
	: %empty { $$.n = NULL; }
	| exprs { $$.n = $1.n; }
	;

/* offsetof's member: a.b.c */
fieldpath
	: T_IDENT { $$.s = $1.s; }
	| fieldpath '.' T_IDENT { $$.s = arena_printf(ls->arena, "%s.%s", $1.s, $3.s); }
	;

ctype
	: T_TYPE { $$.ct = arena_alloc(ls->arena, sizeof(struct ctype)); $$.ct->name = $1.s; $$.ct->loc = @$; }
	| T_STRUCT T_IDENT { $$.ct = arena_alloc(ls->arena, sizeof(struct ctype)); $$.ct->kw = "struct"; $$.ct->name = $2.s; $$.ct->loc = @$; }
	| T_UNION T_IDENT { $$.ct = arena_alloc(ls->arena, sizeof(struct ctype)); $$.ct->kw = "union"; $$.ct->name = $2.s; $$.ct->loc = @$; }
	| T_ENUM T_IDENT { $$.ct = arena_alloc(ls->arena, sizeof(struct ctype)); $$.ct->kw = "enum"; $$.ct->name = $2.s; $$.ct->loc = @$; }
	| ctype '*' { $$.ct = $1.ct; $$.ct->nptr++; $$.ct->loc = @$; }
	;

expr
	: T_INT { $$.n = mk(ls, N_INT, &@$); $$.n->ival = $1.i; }
	| T_STRING { $$.n = mk(ls, N_STR, &@$); $$.n->str = $1.str.s; $$.n->slen = $1.str.n; }
	| T_POSPARAM { $$.n = mk(ls, N_POSPARAM, &@$); $$.n->ival = $1.i; }
	| T_PARAMCOUNT { $$.n = mk(ls, N_POSPARAM, &@$); $$.n->ival = -1; }
	| T_VAR { $$.n = mk(ls, N_VAR, &@$); $$.n->name = $1.s; }
	| map { $$.n = $1.n; }
	| T_IDENT { $$.n = ident_expr(ls, $1.s, &@$); }
	| T_IDENT '(' args ')' {
		$$.n = mk(ls, N_CALL, &@$);
		$$.n->name = $1.s;
		$$.n->name_loc = @1;
		$$.n->args = $3.n;
		$$.n->nargs = count($3.n);
	}
	| '(' expr ')' { $$.n = $2.n; }
	| '(' expr ',' exprs ')' {
		$$.n = mk(ls, N_TUPLE, &@$);
		$$.n->args = append($2.n, $4.n);
		$$.n->nargs = count($$.n->args);
	}
	| '(' ctype ')' expr %prec CAST {
		$$.n = mk(ls, N_CAST, &@$);
		$$.n->cast = $2.ct;
		$$.n->lhs = $4.n;
	}
	| T_CASTOPEN ctype ')' expr %prec CAST {
		$$.n = mk(ls, N_CAST, &@$);
		$$.n->cast = $2.ct;
		$$.n->lhs = $4.n;
	}
	| T_CASTOPEN T_IDENT stars ')' expr %prec CAST {
		$$.n = mk(ls, N_CAST, &@$);
		$$.n->cast = arena_alloc(ls->arena, sizeof(struct ctype));
		$$.n->cast->name = $2.s;
		$$.n->cast->nptr = (int)$3.i;
		$$.n->cast->loc = @2;
		$$.n->cast->loc.end_col = @3.end_col;
		$$.n->lhs = $5.n;
	}
	| T_SIZEOF '(' expr ')' {
		$$.n = mk(ls, N_CALL, &@$);
		$$.n->name = "sizeof";
		$$.n->args = $3.n;
		$$.n->nargs = 1;
	}
	| T_SIZEOF '(' ctype ')' {
		$$.n = mk(ls, N_CALL, &@$);
		$$.n->name = "sizeof";
		$$.n->cast = $3.ct;
	}
	| T_SIZEOF T_CASTOPEN ctype ')' {
		$$.n = mk(ls, N_CALL, &@$);
		$$.n->name = "sizeof";
		$$.n->cast = $3.ct;
	}
	| T_SIZEOF T_CASTOPEN T_IDENT stars ')' {
		$$.n = mk(ls, N_CALL, &@$);
		$$.n->name = "sizeof";
		$$.n->cast = arena_alloc(ls->arena, sizeof(struct ctype));
		$$.n->cast->name = $3.s;
		$$.n->cast->nptr = (int)$4.i;
		$$.n->cast->loc = @3;
		$$.n->cast->loc.end_col = @4.end_col;
	}
	| T_OFFSETOF '(' ctype ',' fieldpath ')' {
		$$.n = mk(ls, N_CALL, &@$);
		$$.n->name = "offsetof";
		$$.n->cast = $3.ct;
		$$.n->str = $5.s;
		$$.n->name_loc = @5;
	}
	| T_OFFSETOF '(' expr ',' fieldpath ')' {
		$$.n = mk(ls, N_CALL, &@$);
		$$.n->name = "offsetof";
		$$.n->args = $3.n;
		$$.n->nargs = 1;
		$$.n->str = $5.s;
		$$.n->name_loc = @5;
	}
	| expr '.' T_IDENT { $$.n = mk(ls, N_FIELD, &@$); $$.n->op = OP_DOT; $$.n->lhs = $1.n; $$.n->name = $3.s; $$.n->name_loc = @3; }
	| expr '.' T_INT {
		$$.n = mk(ls, N_FIELD, &@$); $$.n->op = OP_DOT; $$.n->lhs = $1.n; $$.n->name_loc = @3;
		$$.n->name = arena_printf(ls->arena, "%lld", (long long)$3.i); $$.n->ival = $3.i + 1;
	}
	| expr T_ARROW T_IDENT { $$.n = mk(ls, N_FIELD, &@$); $$.n->op = OP_ARROW; $$.n->lhs = $1.n; $$.n->name = $3.s; $$.n->name_loc = @3; }
	| expr '[' expr ']' { $$.n = mk(ls, N_INDEX, &@$); $$.n->lhs = $1.n; $$.n->rhs = $3.n; }
	| expr '?' expr ':' expr {
		$$.n = mk(ls, N_TERNARY, &@$);
		$$.n->cond = $1.n; $$.n->lhs = $3.n; $$.n->rhs = $5.n;
	}
	| expr T_LOR expr { $$.n = bin(ls, OP_LOR, $1.n, $3.n, &@$); }
	| expr T_LAND expr { $$.n = bin(ls, OP_LAND, $1.n, $3.n, &@$); }
	| expr '|' expr { $$.n = bin(ls, OP_BOR, $1.n, $3.n, &@$); }
	| expr '^' expr { $$.n = bin(ls, OP_BXOR, $1.n, $3.n, &@$); }
	| expr '&' expr { $$.n = bin(ls, OP_BAND, $1.n, $3.n, &@$); }
	| expr T_EQ expr { $$.n = bin(ls, OP_EQ, $1.n, $3.n, &@$); }
	| expr T_NE expr { $$.n = bin(ls, OP_NE, $1.n, $3.n, &@$); }
	| expr '<' expr { $$.n = bin(ls, OP_LT, $1.n, $3.n, &@$); }
	| expr '>' expr { $$.n = bin(ls, OP_GT, $1.n, $3.n, &@$); }
	| expr T_LE expr { $$.n = bin(ls, OP_LE, $1.n, $3.n, &@$); }
	| expr T_GE expr { $$.n = bin(ls, OP_GE, $1.n, $3.n, &@$); }
	| expr T_SHL expr { $$.n = bin(ls, OP_SHL, $1.n, $3.n, &@$); }
	| expr T_SHR expr { $$.n = bin(ls, OP_SHR, $1.n, $3.n, &@$); }
	| expr '+' expr { $$.n = bin(ls, OP_ADD, $1.n, $3.n, &@$); }
	| expr '-' expr { $$.n = bin(ls, OP_SUB, $1.n, $3.n, &@$); }
	| expr '*' expr { $$.n = bin(ls, OP_MUL, $1.n, $3.n, &@$); }
	| expr '/' expr { $$.n = bin(ls, OP_DIV, $1.n, $3.n, &@$); }
	| expr '%' expr { $$.n = bin(ls, OP_MOD, $1.n, $3.n, &@$); }
	| expr T_INC { $$.n = incdec(ls, OP_INC, $1.n, 0, &@$); }
	| expr T_DEC { $$.n = incdec(ls, OP_DEC, $1.n, 0, &@$); }
	| T_INC expr %prec UNARY { $$.n = incdec(ls, OP_INC, $2.n, 1, &@$); }
	| T_DEC expr %prec UNARY { $$.n = incdec(ls, OP_DEC, $2.n, 1, &@$); }
	| '!' expr %prec UNARY { $$.n = un(ls, OP_NOT, $2.n, &@$); }
	| '~' expr %prec UNARY { $$.n = un(ls, OP_BNOT, $2.n, &@$); }
	| '-' expr %prec UNARY { $$.n = un(ls, OP_NEG, $2.n, &@$); }
	| '*' expr %prec UNARY { $$.n = un(ls, OP_DEREF, $2.n, &@$); }
	| '&' expr %prec UNARY { $$.n = un(ls, OP_ADDR, $2.n, &@$); }
	;

%%

static struct attach_point *mkap(struct lexstate *ls, char *raw, const struct loc *l)
{
	struct attach_point *ap = arena_alloc(ls->arena, sizeof(*ap));
	ap->raw = raw;
	ap->loc = *l;
	ap->type = PROBE__COUNT; /* resolved by sema */
	return ap;
}

/* the target of an assignment: a variable or a map */
/*
** An expression as a statement. A ternary there is an if/else of its two
** branches, each a statement again, so that its branches may be calls
** without a value (c ? printf("a") : printf("b")), as bpftrace 0.17 allows
*/
static struct node *expr_stmt(struct lexstate *ls, struct node *e)
{
	if (e->kind == N_INCDEC)
		return e;
	if (e->kind == N_TERNARY) {
		struct node *n = mk(ls, N_IF, &e->loc), *t = mk(ls, N_BLOCK, &e->lhs->loc),
			    *f = mk(ls, N_BLOCK, &e->rhs->loc);
		n->cond = e->cond;
		t->stmts = expr_stmt(ls, e->lhs);
		f->stmts = expr_stmt(ls, e->rhs);
		n->then = t;
		n->els = f;
		return n;
	}
	struct node *n = mk(ls, N_EXPRSTMT, &e->loc);
	n->lhs = e;
	return n;
}

static struct node *lvalue(struct lexstate *ls, struct node *n, const char *op)
{
	if (n->kind == N_IDENT) {
		char hint[160];
		snprintf(hint, sizeof(hint), "variables start with $ and maps with @: write $%s %s ... or @%s %s ...",
			 n->name, op, n->name, op);
		diag_error(ls->diags, &n->loc, hint, "The %s operator can only assign to a map or variable", op);
	} else if (n->kind == N_BUILTIN) {
		char hint[160];
		const char *b = n->builtin == B_ARG || n->builtin == B_SARG
				? arena_printf(ls->arena, "%s%lld", builtin_names[n->builtin], (long long)n->ival)
				: builtin_names[n->builtin];
		snprintf(hint, sizeof(hint), "%s is a read-only builtin: copy it into a variable first ($%s = %s;)", b, b, b);
		diag_error(ls->diags, &n->loc, hint, "The %s operator can only assign to a map or variable", op);
	} else if (n->kind != N_VAR && n->kind != N_MAP) {
		diag_error(ls->diags, &n->loc, "assign to a variable ($x = ...) or a map (@x = ...)",
			   "The %s operator can only assign to a map or variable", op);
	}
	return n;
}

static struct node *incdec(struct lexstate *ls, enum op op, struct node *x, int prefix, const struct loc *l)
{
	struct node *n = mk(ls, N_INCDEC, l);
	n->op = op;
	n->lhs = x;
	n->ival = prefix;
	if (x->kind == N_IDENT) {
		char hint[160];
		snprintf(hint, sizeof(hint), "variables start with $ and maps with @: write $%s%s or @%s%s",
			 x->name, op_names[op], x->name, op_names[op]);
		diag_error(ls->diags, &x->loc, hint, "The %s operator must be applied to a map or variable", op_names[op]);
	} else if (x->kind != N_VAR && x->kind != N_MAP) {
		diag_error(ls->diags, &x->loc, "increment a variable ($x++) or a map (@x++)",
			   "The %s operator must be applied to a map or variable", op_names[op]);
	}
	return n;
}

/* a bare identifier: builtin variable (pid, arg0, ...) or a name sema resolves */
static struct node *ident_expr(struct lexstate *ls, char *name, const struct loc *l)
{
	struct node *n = mk(ls, N_IDENT, l);
	n->name = name;
	for (int i = 0; i < BUILTIN__COUNT; i++)
		if (i != B_ARG && i != B_SARG && !strcmp(name, builtin_names[i])) {
			n->kind = N_BUILTIN;
			n->builtin = (enum builtin_id)i;
			return n;
		}
	/* argN, and sargN (bpftrace 0.17: one digit) */
	size_t pl = !strncmp(name, "arg", 3) ? 3 : !strncmp(name, "sarg", 4) && name[5] == 0 ? 4 : 0;
	if (pl && name[pl] >= '0' && name[pl] <= '9') {
		char *e;
		long k = strtol(name + pl, &e, 10);
		if (!*e) {
			n->kind = N_BUILTIN;
			n->builtin = pl == 3 ? B_ARG : B_SARG;
			n->ival = k;
		}
	}
	return n;
}

/*
** Syntax errors name the unexpected token and what would have fitted, at
** the location of the unexpected token. With LAC the expected set is
** exact; when it is long, its expression-starting tokens are said as
** "an expression" and its binary operators as "an operator".
*/
static bool in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(name, *list))
			return true;
	return false;
}

/* does this line of the (preprocessed) text start with a word at column 1? */
static bool line_starts_flush(const struct lexstate *ls, int line)
{
	if (!ls->pp || line < 1)
		return false;
	const char *t = ls->pp->text, *end = t + ls->pp->len;
	for (int k = 1; k < line && t < end; t++)
		if (*t == '\n')
			k++;
	return t < end && (isalpha((unsigned char)*t) || *t == '_');
}

static int yyreport_syntax_error(const yypcontext_t *ctx, struct lexstate *ls)
{
	static const char *const expr_start[] = {
		"integer", "string", "identifier", "variable", "map", "positional parameter", "'$#'",
		"'('", "'!'", "'~'", "'-'", "'*'", "'&'", "++", "--", "sizeof", "offsetof", NULL,
	};
	static const char *const operators[] = {
		"'+'", "'-'", "'*'", "'/'", "'%'", "'&'", "'|'", "'^'", "'<'", "'>'", "<=", ">=",
		"==", "!=", "&&", "||", "<<", ">>", "'?'", "'.'", "->", "'['", "++", "--", NULL,
	};
	yysymbol_kind_t tok = yypcontext_token(ctx);
	if (tok == YYSYMBOL_T_ERROR)
		return 0; /* the lexer already said what is wrong */
	yysymbol_kind_t exp[64];
	int n = yypcontext_expected_tokens(ctx, exp, 64);
	bool has_expr = false, has_op = false;
	for (int i = 0; i < n; i++) {
		has_expr |= exp[i] == YYSYMBOL_T_INT;
		has_op |= exp[i] == YYSYMBOL_T_LOR;
	}
	const char *parts[64];
	int np = 0;
	if (has_expr)
		parts[np++] = "an expression";
	if (has_op)
		parts[np++] = "an operator";
	for (int i = 0; i < n; i++) {
		const char *nm = yysymbol_name(exp[i]);
		if ((has_expr && in_list(nm, expr_start)) || (has_op && in_list(nm, operators)))
			continue;
		parts[np++] = nm;
	}
	char buf[512];
	int k;
	if (tok == YYSYMBOL_YYEOF)
		k = snprintf(buf, sizeof(buf), "syntax error, unexpected end of input");
	else
		k = snprintf(buf, sizeof(buf), "syntax error, unexpected %s", yysymbol_name(tok));
	if (n > 0 && np <= 8)
		for (int i = 0; i < np && k < (int)sizeof(buf) - 64; i++)
			k += snprintf(buf + k, sizeof(buf) - (size_t)k, "%s%s",
				      i == 0 ? ", expecting " : (i == np - 1 ? " or " : ", "), parts[i]);
	const char *hint = NULL;
	char hbuf[160];
	bool want_rbrace = false;
	for (int i = 0; i < n; i++)
		want_rbrace |= !strcmp(yysymbol_name(exp[i]), "'}'");
	struct loc l = *yypcontext_location(ctx);
	if (tok == YYSYMBOL_YYEOF) {
		l = ls->last;
		if (want_rbrace && ls->nbraces > 0) {
			const struct loc *b = &ls->braces[(ls->nbraces < LEX_MAX_BRACES ? ls->nbraces : LEX_MAX_BRACES) - 1];
			snprintf(hbuf, sizeof(hbuf), "the '{' at line %d column %d is not closed: add a '}'", b->line, b->col);
			hint = hbuf;
		} else {
			hint = "a probe needs a body in braces: kprobe:do_nanosleep { printf(\"hi\\n\"); }";
		}
	} else if (tok == YYSYMBOL_T_ATTACH) {
		hint = "separate statements with ';' and check that every '{' has its '}'";
	} else if (ls->nbraces > 0 && line_starts_flush(ls, l.line) && l.line > ls->braces[0].line) {
		/* text at column 1 inside a body: likely the next probe */
		snprintf(hbuf, sizeof(hbuf), "is a '}' missing before line %d? The '{' at line %d column %d is still open",
			 l.line, ls->braces[0].line, ls->braces[0].col);
		hint = hbuf;
	} else if (want_rbrace && has_op && !has_expr) {
		hint = "separate statements with ';'";
	}
	diag_error(ls->diags, &l, hint, "%s", buf);
	return 0;
}

struct program *parse_program(struct arena *a, const struct source *src,
			      const struct pp_result *pp, struct diags *d)
{
	struct lexstate ls = { 0 };
	ls.arena = a;
	ls.diags = d;
	ls.pp = pp;
	ls.line = 1;
	ls.col = 1;
	ls.prog = arena_alloc(a, sizeof(struct program));
	ls.prog->arena = a;
	ls.prog->src = src;
	void *sc;
	mbt_lex_init_extra(&ls, &sc);
	ls.scanner = sc;
	const char *text = pp ? pp->text : src->text;
	size_t len = pp ? pp->len : src->len;
	mbt__scan_bytes(text, (int)len, sc);
	int errs0 = d->nerrors;
	int rc = yyparse(&ls);
	mbt_lex_destroy(sc);
	if (rc == 0 && d->nerrors == errs0 && ls.prog->nprobes == 0) {
		struct loc l = { 1, 1, 1, 2 };
		diag_error(d, src->len ? &l : NULL, "write at least one probe, e.g. BEGIN { printf(\"hello\\n\"); }",
			   "no probes in the program");
	}
	if (rc != 0 || d->nerrors > errs0 || !ast_check_depth(ls.prog, d))
		return NULL;
	return ls.prog;
}
