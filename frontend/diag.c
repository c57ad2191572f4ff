/*
** frontend/diag.c: collected diagnostics, printed bpftrace-style.
**
**   stdin:1:9-12: ERROR: Unknown function: foo
**   BEGIN { foo(); }
**           ^~~
**   HINT: did you mean 'ntop'?
**
** Stages never print or exit: they append here and return; main prints
** once, errors first (bpftrace src/ast/diagnostic.h). Tabs in the source
** line are expanded to 4 spaces, as bpftrace does, and the caret line is
** built from the same expansion so it stays aligned.
*/
#include <stdlib.h>
#include <string.h>
#include "ast.h"

void source_init(struct source *s, const char *name, const char *text, size_t len)
{
	s->name = name;
	s->text = text;
	s->len = len;
	int n = 1;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	s->line_start = malloc(sizeof(int) * (size_t)(n + 1));
	if (!s->line_start)
		abort();
	int k = 0;
	s->line_start[k++] = 0;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			s->line_start[k++] = (int)i + 1;
	s->nlines = k;
}

void source_fini(struct source *s)
{
	free(s->line_start);
	s->line_start = NULL;
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *p = NULL;
	if (vasprintf(&p, fmt, ap) < 0)
		abort();
	return p;
}

void diag_verror(struct diags *d, enum diag_level lvl, const struct loc *loc,
		 const char *hint, const char *fmt, va_list ap)
{
	/* the same message at the same place once (a probe split per
	 * tracepoint checks its body once per copy) */
	char *msg = vfmt(fmt, ap);
	for (int i = 0; i < d->n; i++) {
		const struct diag *o = &d->v[i];
		if (o->level == lvl && !strcmp(o->msg, msg) && o->has_loc == (loc && loc->line > 0) &&
		    (!o->has_loc || !memcmp(&o->loc, loc, sizeof(*loc)))) {
			free(msg);
			return;
		}
	}
	d->v = vec_reserve(d->v, d->n, &d->cap, sizeof(*d->v));
	struct diag *g = &d->v[d->n++];
	memset(g, 0, sizeof(*g));
	g->level = lvl;
	if (loc && loc->line > 0) {
		g->has_loc = true;
		g->loc = *loc;
	}
	g->msg = msg;
	g->hint = hint ? strdup(hint) : NULL;
	if (lvl == DIAG_ERROR)
		d->nerrors++;
}

void diag_error(struct diags *d, const struct loc *loc, const char *hint,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_verror(d, DIAG_ERROR, loc, hint, fmt, ap);
	va_end(ap);
}

void diag_warn(struct diags *d, const struct loc *loc, const char *hint,
	       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_verror(d, DIAG_WARNING, loc, hint, fmt, ap);
	va_end(ap);
}

void diag_now(enum diag_level lvl, const struct source *src, const struct loc *loc,
	      const char *hint, const char *fmt, ...)
{
	struct diags d = { .src = src };
	va_list ap;
	va_start(ap, fmt);
	diag_verror(&d, lvl, loc, hint, fmt, ap);
	va_end(ap);
	diag_print(&d, stderr);
	diag_fini(&d);
}

/* display column (0-based) of byte offset `col0` in a line, tabs as 4 */
static int display_col(const char *line, int col0)
{
	int w = 0;
	for (int i = 0; i < col0 && line[i] && line[i] != '\n'; i++)
		w += line[i] == '\t' ? 4 : 1;
	return w;
}

static void print_one(const struct diags *d, const struct diag *g, FILE *out)
{
	const char *lvl = g->level == DIAG_ERROR ? "ERROR" : "WARNING";
	const struct source *s = d->src;
	if (!g->has_loc || !s) {
		fprintf(out, "%s: %s\n", lvl, g->msg);
	} else {
		const struct loc *l = &g->loc;
		int endc = l->end_line == l->line && l->end_col > l->col ? l->end_col : l->col + 1;
		fprintf(out, "%s:%d:%d-%d: %s: %s\n", s->name, l->line, l->col, endc, lvl, g->msg);
		if (l->line >= 1 && l->line <= s->nlines) {
			const char *line = s->text + s->line_start[l->line - 1];
			size_t n = strcspn(line, "\n");
			if (line + n > s->text + s->len)
				n = (size_t)(s->text + s->len - line);
			for (size_t i = 0; i < n; i++) {
				if (line[i] == '\t')
					fputs("    ", out);
				else
					fputc(line[i], out);
			}
			fputc('\n', out);
			int from = display_col(line, l->col - 1);
			int to = display_col(line, (l->end_line == l->line ? endc : (int)n + 1) - 1);
			if (to <= from)
				to = from + 1;
			for (int i = 0; i < from; i++)
				fputc(' ', out);
			fputc('^', out);
			for (int i = from + 1; i < to; i++)
				fputc('~', out);
			fputc('\n', out);
		}
	}
	if (g->hint)
		fprintf(out, "HINT: %s\n", g->hint);
}

/* source order; diagnostics without a location after those with one */
static bool diag_before(const struct diag *a, const struct diag *b)
{
	if (a->has_loc != b->has_loc)
		return a->has_loc;
	if (!a->has_loc)
		return false;
	return a->loc.line < b->loc.line || (a->loc.line == b->loc.line && a->loc.col < b->loc.col);
}

/*
** Errors, then warnings, each in source order (a stable insertion sort:
** equal places keep the order the stages found them in).
*/
int diag_print(const struct diags *d, FILE *out)
{
	const struct diag **v = malloc(sizeof(*v) * (size_t)(d->n ? d->n : 1));
	if (!v)
		abort();
	int n = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < d->n; i++) {
			if ((d->v[i].level == DIAG_ERROR) != (pass == 0))
				continue;
			int k = n++;
			while (k > 0 && (v[k - 1]->level == d->v[i].level) && diag_before(&d->v[i], v[k - 1])) {
				v[k] = v[k - 1];
				k--;
			}
			v[k] = &d->v[i];
		}
	for (int i = 0; i < n; i++)
		print_one(d, v[i], out);
	free(v);
	return d->nerrors;
}

void diag_fini(struct diags *d)
{
	for (int i = 0; i < d->n; i++) {
		free(d->v[i].msg);
		free(d->v[i].hint);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = d->nerrors = 0;
}

/* edit distance counting a swap of two neighbours as one edit ("pdi" -> "pid") */
static int lev(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	int d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/*
** Closest candidate within a distance that scales with the name's length
** (1 for short names, up to a third of it), so "pdi" -> "pid" but "x"
** suggests nothing.
*/
const char *diag_suggest(const char *name, const char *const *cands, int n)
{
	const char *best = NULL;
	int bestd = 1000;
	int limit = (int)strlen(name) / 3;
	if (limit < 1)
		limit = 1;
	for (int i = 0; i < n; i++) {
		if (!cands[i])
			continue;
		int dd = lev(name, cands[i]);
		if (dd < bestd) {
			bestd = dd;
			best = cands[i];
		}
	}
	return bestd <= limit ? best : NULL;
}
