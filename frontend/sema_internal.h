/*
** frontend/sema_internal.h: state shared by the sema files.
**   sema.c       passes, probes, statements, expressions, scratch
**                variables and maps, casts, identifiers, map layout
**   sema_call.c  function calls (one check per function, dispatched by
**                enum func_id), builtins, compile-time folds (sizeof,
**                kaddr), events and their printf formats
** The small type helpers below are used by both.
*/
#ifndef MINIBT_SEMA_INTERNAL_H
#define MINIBT_SEMA_INTERNAL_H

#include "ast.h"

#define STRLEN_DEFAULT 64
#define MAX_STACK_FRAMES 127

struct scope {
	struct varinfo **v;
	int n, cap;
};

struct sema {
	struct program *p;
	struct arena *a;
	struct diags *d;
	struct btf_ctx *btf;
	const struct sema_opts *o;
	bool report;  /* final pass: diagnostics and events on */
	bool changed; /* a type was learned this pass */
	struct probe *probe;
	struct scope vars;
	int loops;    /* while loops around the statement: break/continue */
};

/* "did you mean 'x'?" for the closest of cands, or NULL */
static inline const char *did_you_mean(struct sema *s, const char *name, const char *const *cands, int n)
{
	const char *sug = diag_suggest(name, cands, n);
	return sug ? arena_printf(s->a, "did you mean '%s'?", sug) : NULL;
}

/* diagnostics, given in the reporting pass only */
static inline void err(struct sema *s, const struct loc *l, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline void err(struct sema *s, const struct loc *l, const char *hint, const char *fmt, ...)
{
	if (!s->report)
		return;
	va_list ap;
	va_start(ap, fmt);
	diag_verror(s->d, DIAG_ERROR, l, hint, fmt, ap);
	va_end(ap);
}

static inline void warn(struct sema *s, const struct loc *l, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline void warn(struct sema *s, const struct loc *l, const char *hint, const char *fmt, ...)
{
	if (!s->report)
		return;
	va_list ap;
	va_start(ap, fmt);
	diag_verror(s->d, DIAG_WARNING, l, hint, fmt, ap);
	va_end(ap);
}

static inline const char *tn(struct sema *s, const struct type *t)
{
	return ty_name(s->a, t);
}

static inline bool is_int(const struct type *t) { return t && t->kind == TY_INT; }
static inline bool is_intlike(const struct type *t)
{
	return t && (t->kind == TY_INT || t->kind == TY_PTR || t->kind == TY_COUNT ||
		     t->kind == TY_SUM || t->kind == TY_MIN || t->kind == TY_MAX ||
		     t->kind == TY_AVG);
}

/* widen integers to 64 bits for map storage, keeping the sign */
static inline const struct type *widen(const struct type *t)
{
	if (t->kind == TY_INT)
		return ty_int(8, t->sign);
	return t;
}

static inline void set_const(struct node *n, int64_t v)
{
	n->is_const = true;
	n->cval = v;
}

/* the word for a value's kind in "expects a string literal (integer provided)" */
static inline const char *kind_word(const struct type *t)
{
	switch (t->kind) {
	case TY_INT: case TY_PTR: return "integer";
	case TY_STR: case TY_TIMESTAMP: case TY_MACADDR: case TY_USERNAME:
	case TY_STRERROR: case TY_CGROUP_PATH: case TY_UFUNC: case TY_USYM: return "string"; /* as 0.17 says */
	case TY_RECORD: return "record";
	case TY_TUPLE: return "tuple";
	default: return "value";
	}
}

/* sema.c */
void sema_posparam(struct sema *s, struct node *n, bool in_str);
void sema_expr(struct sema *s, struct node *n);
const struct type *sema_resolve_ctype(struct sema *s, struct ctype *c);
struct mapinfo *sema_map_get(struct sema *s, struct node *n); /* created on first use */
const char *sema_map_disp(struct sema *s, const struct mapinfo *m); /* "@name" */
void sema_set_key_type(struct sema *s, struct node *m);

/* sema_call.c */
/* map_rhs: the call is the whole right side of `@m = ...` (aggregations) */
void sema_call(struct sema *s, struct node *n, bool map_rhs);
void sema_builtin(struct sema *s, struct node *n);

/* how sema_call() checks each function; tests/unit checks no slot is empty */
struct sema_func {
	void (*check)(struct sema *s, struct node *n); /* after its arguments */
	enum ty_kind agg; /* an aggregation: the map value kind it makes */
	bool map_arg;     /* its first argument may be a map, not a value */
	bool mode_args;   /* bare identifiers are modes (kstack perf), not values */
};
extern const struct sema_func sema_funcs[FUNC__COUNT];

#endif
