/*
** frontend/fmtparse.c: printf format strings, parsed once for sema and
** runtime alike.
**
** bpftrace 0.17 finds conversions with the regex
**   %-?[0-9]*(\.[0-9]+)?(<length><conv>)
** over the length/conversion pairs of its printf_format_types table:
** lengths "", hh, h, l, ll, j, z, t with d u o x X p; plus c, s, r, rx.
** So the only flags are '-' and a leading '0' of the width; %i, %+d,
** "% d", %#x and %*d are not conversions at all.  Each literal run before
** a conversion then goes through snprintf (so "%%" prints "%"), while the
** text after the last conversion is written raw (so printf("100%%\n")
** prints "100%%").  That second one is a bug minibt does not copy: "%%"
** prints "%" everywhere (a lone '%' in the trailing text stays as it is,
** as in 0.17).  What bpftrace leaves undefined
** (a stray '%' that snprintf would take for a conversion, ahead of a real
** one) is an error here.
*/
#include <string.h>

#include "ast.h"

#define FMT_MAX_WIDTH 65535

/* what may follow '%' in a spec we reject, for the error text */
static const char fmt_spec_chars[] = "-+ #0123456789.*hlLqjzt";

/* length modifiers, longest first so "hh" wins over "h" */
static const char *const fmt_lengths[] = { "hh", "h", "ll", "l", "j", "z", "t" };

/*
** Match a conversion at s[i] == '%' the way bpftrace's regex does. On
** success fill *p (conversion, flags, width, prec, length) and return the
** length of the spec; return 0 if s[i] starts no conversion.
*/
static size_t fmt_match(const char *s, size_t len, size_t i, struct fmt_piece *p)
{
	size_t j = i + 1, w0, k;
	long width = -1, prec = -1;
	int nflags = 0;

	memset(p->flags, 0, sizeof(p->flags));
	memset(p->length, 0, sizeof(p->length));
	p->rx = false;
	p->rh = false;
	if (j < len && s[j] == '-') {
		p->flags[nflags++] = '-';
		j++;
	}
	if (j < len && s[j] == '0')
		p->flags[nflags++] = '0';
	w0 = j;
	while (j < len && s[j] >= '0' && s[j] <= '9') {
		width = (j == w0 ? 0 : width) * 10 + (s[j] - '0');
		if (width > FMT_MAX_WIDTH)
			width = FMT_MAX_WIDTH + 1;
		j++;
	}
	if (j + 1 < len && s[j] == '.' && s[j + 1] >= '0' && s[j + 1] <= '9') {
		prec = 0;
		for (j++; j < len && s[j] >= '0' && s[j] <= '9'; j++) {
			prec = prec * 10 + (s[j] - '0');
			if (prec > FMT_MAX_WIDTH)
				prec = FMT_MAX_WIDTH + 1;
		}
	}
	p->width = (int)width;
	p->prec = (int)prec;
	if (j >= len)
		return 0;
	switch (s[j]) { /* conversions that take no length modifier */
	case 'c': p->conv = FC_CHAR; return j + 1 - i;
	case 's': p->conv = FC_STR; return j + 1 - i;
	case 'r':
		p->conv = FC_BUF;
		p->rx = j + 1 < len && s[j + 1] == 'x';
		p->rh = j + 1 < len && s[j + 1] == 'h';
		return j + 1 + (p->rx || p->rh) - i;
	}
	for (k = 0; k <= sizeof(fmt_lengths) / sizeof(fmt_lengths[0]); k++) {
		const char *l = k < sizeof(fmt_lengths) / sizeof(fmt_lengths[0])
					? fmt_lengths[k] : "";
		size_t ll = strlen(l), c = j + ll;

		if (c >= len || strncmp(s + j, l, ll) != 0)
			continue;
		switch (s[c]) {
		case 'd': p->conv = FC_INT; break;
		case 'u': p->conv = FC_UINT; break;
		case 'o': p->conv = FC_OCT; break;
		case 'x': p->conv = FC_HEX; break;
		case 'X': p->conv = FC_HEXU; break;
		case 'p': p->conv = FC_PTR; break;
		default: continue;
		}
		memcpy(p->length, l, ll);
		return c + 1 - i;
	}
	return 0;
}

/*
** Copy the literal s[a..b) into the arena. Before a conversion, fold
** "%%" and reject any other '%' (snprintf would read it as a conversion);
** in trailing text fold "%%" and keep a lone '%'.
*/
static char *fmt_lit(struct arena *ar, const char *s, size_t a, size_t b,
		     bool trailing, char *err, size_t errlen, int *at)
{
	char *out = arena_alloc(ar, b - a + 1), *o = out;
	size_t i, n;

	for (i = a; i < b; i++) {
		*o++ = s[i];
		if (s[i] != '%')
			continue;
		if (i + 1 < b && s[i + 1] == '%') {
			i++;
			continue;
		}
		if (trailing)
			continue;
		n = strspn(s + i + 1, fmt_spec_chars);
		if (i + 1 + n > b)
			n = b - i - 1;
		else if (i + 1 + n < b)
			n++;
		snprintf(err, errlen,
			 "printf: Unknown format string token: %%%.*s (bpftrace 0.17 "
			 "supports %%[-][width][.prec][hh|h|l|ll|j|z|t](d|u|o|x|X|p), "
			 "%%c, %%s, %%r, %%rx and %%%%)",
			 (int)n, s + i + 1);
		*at = (int)i;
		return NULL;
	}
	*o = '\0';
	return out;
}

/*
** Split s into pieces {literal, conversion} and a trailing literal piece.
** Conversions are found like bpftrace 0.17 finds them (see top of file).
*/
int fmt_parse(struct arena *a, const char *s, size_t len, struct fmt *out,
	      char *err, size_t errlen, int *at)
{
	struct fmt_piece *v = NULL, cur;
	int n = 0, cap = 0;
	size_t i = 0, last = 0, m;

	memset(out, 0, sizeof(*out));
	*at = -1;
	while (i < len) {
		if (s[i] != '%') {
			i++;
			continue;
		}
		if (i + 1 < len && s[i + 1] == '%') {
			i += 2;
			continue;
		}
		m = fmt_match(s, len, i, &cur);
		if (!m) {
			i++;
			continue;
		}
		if (cur.width > FMT_MAX_WIDTH || cur.prec > FMT_MAX_WIDTH) {
			snprintf(err, errlen, "printf: width or precision larger than %d",
				 FMT_MAX_WIDTH);
			*at = (int)i;
			return -1;
		}
		cur.lit = fmt_lit(a, s, last, i, false, err, errlen, at);
		if (!cur.lit)
			return -1;
		cur.loc = (struct loc){ 0, (int)i + 1, 0, (int)(i + m) + 1 };
		if (n == cap) {
			struct fmt_piece *nv;

			cap = cap ? 2 * cap : 8;
			nv = arena_alloc(a, cap * sizeof(*nv));
			if (n)
				memcpy(nv, v, n * sizeof(*nv));
			v = nv;
		}
		v[n++] = cur;
		i += m;
		last = i;
	}
	out->nargs = n;
	if (last < len || n == 0) {
		memset(&cur, 0, sizeof(cur));
		cur.conv = FC_LIT;
		cur.width = cur.prec = -1;
		cur.lit = fmt_lit(a, s, last, len, true, err, errlen, at);
		cur.loc = (struct loc){ 0, (int)last + 1, 0, (int)len + 1 };
		if (n == cap) {
			struct fmt_piece *nv = arena_alloc(a, (n + 1) * sizeof(*nv));

			if (n)
				memcpy(nv, v, n * sizeof(*nv));
			v = nv;
		}
		v[n++] = cur;
	}
	out->p = v;
	out->n = n;
	return 0;
}
